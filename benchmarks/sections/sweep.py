"""sweep: the main process's memory over a long sweep, committed run by run.

Flat means a few KB per run at most (the records ``run_tasks`` returns are kept by
design).
"""

from __future__ import annotations

import gc
import tempfile
from pathlib import Path
from typing import Any

from orgsim.experiments.executors import run_tasks
from orgsim.storage.results import ResultsDB
from sections.common import make_tasks, maxrss_mb, pc, rss_mb, table


def sweep_memory(tasks: list[Any], marks: list[int]) -> tuple[dict[int, dict[str, float]], float]:
    """Run ``tasks`` into a ResultsDB; RSS at each count in ``marks``, and the seconds."""
    samples: dict[int, dict[str, float]] = {}
    count = [0]
    with tempfile.TemporaryDirectory() as tmp:
        db = ResultsDB(Path(tmp) / "results.sqlite")

        def commit(record: Any) -> None:
            db.commit(record)
            count[0] += 1
            if count[0] in marks:
                samples[count[0]] = {"rss_mb": rss_mb(), "maxrss_mb": maxrss_mb()}

        t = pc()
        run_tasks(tasks, executor="local", jobs=2, batch=10, on_record=commit)
        elapsed = pc() - t
        db.close()
    return samples, elapsed


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    n = cfg["sweep_runs"]
    marks = sorted({max(1, n // 10), n // 2, n})
    tasks = make_tasks("startup", n, ("horizon=60",), experiment="sweep")
    gc.collect()
    before = rss_mb()
    samples, elapsed = sweep_memory(tasks, marks)
    first, last = samples[marks[0]], samples[marks[-1]]
    growth = last["rss_mb"] - first["rss_mb"]
    out = {
        "runs": n,
        "scenario": "startup 60 d, local jobs=2, batch=10, ResultsDB commit per run",
        "rss_before_mb": before,
        "samples": {str(k): v for k, v in samples.items()},
        "rss_growth_mb": growth,
        "rss_growth_kb_per_run": growth * 1024 / (marks[-1] - marks[0]),
        "elapsed_s": elapsed,
        "runs_per_s": n / elapsed,
    }
    rows = [[k, v["rss_mb"], v["maxrss_mb"]] for k, v in samples.items()]
    table(
        f"Memory of the main process over a {n}-run sweep ({n / elapsed:.0f} runs/s); "
        f"RSS before {before:.1f} MB",
        ["runs committed", "RSS MB", "peak RSS MB"],
        rows,
    )
    print(
        f"  growth {marks[0]}->{marks[-1]} runs: {growth:+.2f} MB "
        f"({out['rss_growth_kb_per_run']:.2f} KB/run)"
    )
    res["sweep"] = out
