"""JSON documents of results: one builder per kind of output, and how they are written.

* :func:`run_json`: one run, as ``orgsim run --json`` prints it;
* :func:`comparison_json`: a comparison, as ``orgsim compare --json`` prints it;
* :func:`sweep_json`: a sweep, as ``orgsim sweep --json`` prints it and
  ``summary.json`` holds it.

Each is plain data (NaN as null), so scripts read it without orgsim; :func:`dumps`
gives the text every one of them is printed or written as.
"""

from __future__ import annotations

import json
import math
from typing import Any

from orgsim.experiments.compare import ComparisonResult
from orgsim.experiments.runner import RunResult
from orgsim.experiments.sweep.run import SweepResult
from orgsim.storage.results import json_safe

__all__ = ["comparison_json", "dumps", "run_json", "sweep_json"]


def dumps(doc: dict[str, Any]) -> str:
    """A document as printed and written: indented JSON and a final newline."""
    return json.dumps(doc, indent=2) + "\n"


def _num(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def run_json(result: RunResult) -> dict[str, Any]:
    """One run: its scenario, seed, arm, log digest, where it is stored, its metrics."""
    return {
        "scenario": result.scenario.name,
        "scenario_hash": result.scenario.digest(),
        "seed": result.seed,
        "broker": result.broker,
        "events": len(result.log),
        "log_digest": result.log.digest(),
        "elapsed_s": result.elapsed,
        "run_id": result.run_id,
        "db": str(result.db) if result.db else None,
        "metrics": {k: (None if math.isnan(v) else v) for k, v in result.metrics.items()},
    }


def comparison_json(result: ComparisonResult) -> dict[str, Any]:
    """The comparison as plain data (NaN as null)."""
    rows = {}
    for name, c in result.table.items():
        rows[name] = {
            "on": {"mean": _num(c.on.mean), "low": _num(c.on.low), "high": _num(c.on.high)},
            "off": {"mean": _num(c.off.mean), "low": _num(c.off.low), "high": _num(c.off.high)},
            "diff": {
                "mean": _num(c.diff.mean),
                "low": _num(c.diff.low),
                "high": _num(c.diff.high),
            },
            "relative": _num(c.relative),
            "win_rate": _num(c.win_rate),
            "crn_variance_ratio": _num(c.crn_variance_ratio),
            "significant": c.significant,
            "verdict": c.verdict,
        }
    return {
        "scenario": result.scenario.name,
        "seed": result.seed,
        "runs": result.runs,
        "db": str(result.db),
        "charts": [str(p) for chart in result.charts for p in chart.paths],
        "broker_roi": _num(result.broker_roi()),
        "metrics": rows,
    }


def sweep_json(result: SweepResult) -> dict[str, Any]:
    """Plain data: spec, table, sensitivity, charts, failures (NaN as None)."""
    sens = None if result.sensitivity is None else result.sensitivity.to_dict()
    return json_safe(
        {
            "name": result.spec.name,
            "experiment": result.spec.experiment,
            "spec": result.spec.to_dict(),
            "out": str(result.out),
            "db": str(result.db),
            "runs": len(result.records),
            "ran": result.ran,
            "elapsed_s": round(result.elapsed, 3),
            "failed": result.failed,
            "points": result.table,
            "sensitivity": sens,
            "charts": [str(c.png) for c in result.charts],
        }
    )
