"""pairs: wall time of ``orgsim.compare`` over paired midsize replications, no charts.

What a user waits for: ``orgsim.compare("midsize", runs=N, jobs=2, charts=False)``,
N replications per arm (both arms share their random streams), every run committed
to the results database and the tables written, into a temporary folder. The quick
mode runs fewer pairs and scales the time to 1,000 linearly (marked as such; fixed
costs such as starting the pool make it a slight over-estimate).
"""

from __future__ import annotations

import tempfile
from typing import Any

import orgsim
from sections.common import pc, table

TARGET_S = 30.0
PAIRS = 1000


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    n = cfg["pairs"]
    with tempfile.TemporaryDirectory() as tmp:
        t = pc()
        result = orgsim.compare(
            "midsize",
            runs=n,
            jobs=2,
            executor="local",
            out=tmp,
            charts=False,
            command=["benchmarks/run.py", "pairs"],
            allow_large=True,
        )
        elapsed = pc() - t
    records = list(result.records)
    failed = sum(1 for r in records if r.status != "ok")
    sim = sum(r.elapsed for r in records)  # simulation time alone, summed over the workers
    extrapolated = n != PAIRS
    s_1000 = elapsed * PAIRS / n
    out = {
        "pairs": n,
        "runs": len(records),
        "failed_runs": failed,
        "jobs": 2,
        "elapsed_s": elapsed,
        "runs_per_s": len(records) / elapsed,
        "simulation_s_summed": sim,
        "simulation_ms_per_run": sim / max(1, len(records)) * 1e3,
        "simulation_share_of_2_workers": sim / 2 / elapsed,
        "seconds_for_1000_pairs": s_1000,
        "extrapolated": extrapolated,
        "target_s": TARGET_S,
    }
    note = f" (extrapolated from {n})" if extrapolated else ""
    table(
        f"orgsim.compare('midsize', runs={n}, jobs=2, charts=False); "
        f"target <= {TARGET_S:g} s for {PAIRS:,} pairs",
        [
            "pairs",
            "runs",
            "failed",
            "wall s",
            "runs/s",
            "sim ms/run",
            "sim share",
            f"s for {PAIRS:,} pairs",
        ],
        [
            [
                n,
                len(records),
                failed,
                elapsed,
                out["runs_per_s"],
                out["simulation_ms_per_run"],
                out["simulation_share_of_2_workers"],
                f"{s_1000:.1f}{note}",
            ]
        ],
    )
    print(
        "  sim ms/run = the runs' own simulation time (RunRecord.elapsed); sim share = their"
        " sum / (2 workers x wall time):\n  the rest is the pool, pickling, committing to the"
        " results database and writing the tables"
    )
    res["pairs"] = out
