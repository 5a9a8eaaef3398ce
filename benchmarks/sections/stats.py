"""stats: CRN variance reduction, and replications for a ±5% CI on the headline metrics.

Paired replications share their random streams across the two arms, so the variance
of their difference shows what common random numbers save.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from orgsim import HEADLINE
from orgsim.analysis.stats import replications_needed
from orgsim.experiments.executors import run_tasks
from sections.common import SCENARIOS, make_tasks, pc, table


def needed(by: dict[tuple[str, int], dict[str, Any]], reps: int) -> dict[str, Any]:
    """Per headline metric and arm, the replications a ±5% 95% CI needs (or why not)."""
    out: dict[str, Any] = {}
    for m in HEADLINE:
        per_arm = {}
        for arm in ("on", "off"):
            xs = [by[arm, i].get(m, math.nan) for i in range(reps)]
            try:
                per_arm[arm] = replications_needed(xs, 0.05)
            except ValueError as exc:
                per_arm[arm] = f"n/a ({exc})"
        out[m] = per_arm
    return out


def worst(per_arm: dict[str, Any]) -> Any:
    vals = [v for v in per_arm.values() if isinstance(v, int)]
    return max(vals) if vals else "n/a"


def measure(name: str, reps: int) -> dict[str, Any]:
    tasks = make_tasks(name, 2 * reps, experiment=f"stats-{name}")
    t = pc()
    records = run_tasks(tasks, executor="local", jobs=2)
    elapsed = pc() - t
    by = {(r.arm, r.replication): r.metrics for r in records if r.status == "ok"}
    on = np.array([by["on", i]["value_shipped"] for i in range(reps)])
    off = np.array([by["off", i]["value_shipped"] for i in range(reps)])
    vd = float(np.var(on - off, ddof=1))
    vrf = (float(np.var(on, ddof=1)) + float(np.var(off, ddof=1))) / vd if vd > 0 else math.inf
    return {
        "paired_replications": reps,
        "elapsed_s": elapsed,
        "value_shipped_var_on": float(np.var(on, ddof=1)),
        "value_shipped_var_off": float(np.var(off, ddof=1)),
        "value_shipped_var_diff": vd,
        "crn_variance_reduction": vrf,
        "replications_needed_5pct": needed(by, reps),
    }


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    out: dict[str, Any] = {}
    rows = []
    for name in SCENARIOS:
        reps = cfg["stats_reps"] if name != "enterprise" else cfg["stats_reps_big"]
        m = out[name] = measure(name, reps)
        need = m["replications_needed_5pct"]
        rows.append([name, reps, m["crn_variance_reduction"]] + [worst(need[k]) for k in HEADLINE])
    table(
        "Statistical efficiency: CRN variance reduction on value_shipped, and replications "
        "for a +/-5% 95% CI (worse arm)",
        ["scenario", "pairs", "CRN VRF", *HEADLINE],
        rows,
    )
    res["stats"] = out
