"""Charts: matplotlib figures of comparisons and sweeps (matplotlib is imported lazily)."""
