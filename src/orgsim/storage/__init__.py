"""Storage: the SQLite event store, the results database and their provenance."""
