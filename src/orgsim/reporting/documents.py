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

from orgsim.analysis.optimum import Optimum
from orgsim.analysis.stats import BOOTSTRAP_RESAMPLES, Estimate
from orgsim.experiments.compare import ComparisonResult, PrecisionCheck
from orgsim.experiments.patterns import PatternCheck
from orgsim.experiments.runner import RunResult
from orgsim.experiments.sweep.run import SweepResult
from orgsim.experiments.tornado import TornadoResult
from orgsim.storage.results import json_safe

__all__ = ["comparison_json", "dumps", "optimum_json", "run_json", "sweep_json"]


def dumps(doc: dict[str, Any]) -> str:
    """A document as printed and written: indented JSON and a final newline."""
    return json.dumps(doc, indent=2) + "\n"


def _num(x: float | None) -> float | None:
    """A number as JSON holds it: NaN and infinities (not JSON) as null."""
    return None if x is None or not math.isfinite(x) else float(x)


def _estimate(e: Estimate) -> dict[str, Any]:
    return {"mean": _num(e.mean), "low": _num(e.low), "high": _num(e.high), "n": e.n}


def _precision(check: PrecisionCheck | None) -> dict[str, Any] | None:
    """The precision target and what each headline metric achieved (null: undefined)."""
    if check is None:
        return None
    return {
        "target": check.target,
        "level": check.level,
        "max_runs": check.max_runs,
        "met": check.met,
        "missed": {k: _num(v) for k, v in check.missed.items()},
        "achieved": {k: _num(v) for k, v in check.achieved.items()},
        "by_arm": {arm: {k: _num(v) for k, v in m.items()} for arm, m in check.by_arm.items()},
    }


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
    """The comparison as plain data (NaN as null).

    A metric that exists with the broker only (``"broker_only": true``) has its
    broker arm's estimate under ``on`` and nulls for ``off``, ``diff`` and the
    effects, as the table shows it. ``precision`` is null without a target.
    ``statistics`` says how it was judged: the CI method, the correction and the
    family's size; per metric, ``p_value`` is the paired t-test's and
    ``p_adjusted`` the one adjusted over the family, which ``significant`` reads.
    """
    rows = {}
    for name, c in result.table.items():
        rows[name] = {
            "broker_only": c.broker_only,
            "on": _estimate(c.on),
            "off": _estimate(c.off),
            "diff": _estimate(c.diff),
            "relative": _num(c.relative),
            "win_rate": _num(c.win_rate),
            "crn_variance_ratio": _num(c.crn_variance_ratio),
            "p_value": _num(c.p_value),
            "p_adjusted": _num(c.p_adjusted),
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
        "precision": _precision(result.precision),
        "statistics": {
            "ci": result.ci,
            "n_resamples": BOOTSTRAP_RESAMPLES if result.ci == "bootstrap" else None,
            "level": next((c.level for c in result.table.values()), 0.95),
            "correction": result.correction,
            "family": result.family,
            "test": "paired t-test",
        },
        "metrics": rows,
    }


def sweep_json(result: SweepResult) -> dict[str, Any]:
    """Plain data: spec, table, sensitivity, optimum, charts, failures (NaN as None).

    ``optimum`` is null except for a paired sweep of one parameter
    (:func:`optimum_json`).
    """
    sens = None if result.sensitivity is None else result.sensitivity.to_dict()
    opt = None if result.optimum is None else optimum_json(result.optimum, result.spec.names[0])
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
            "optimum": opt,
            "charts": [str(c.png) for c in result.charts],
        }
    )


def optimum_json(opt: Optimum, parameter: str) -> dict[str, Any]:
    """A sweep's best level as plain data.

    ``best`` and each of ``candidates`` (the levels in order, then the reference
    arm, whose ``level`` is null and ``reference`` true) carry the paired
    ``effect`` and the ``shortfall`` from the best, both with their 95% CIs, and
    ``p_best``; ``indistinguishable`` lists the levels whose shortfall CI contains
    0 (null for the reference), the best first.
    """

    def candidate(i: int) -> dict[str, Any]:
        c = opt.candidates[i]
        return {
            "level": c.level,
            "reference": c.reference,
            "best": i == opt.best,
            "effect": _estimate(c.effect),
            "shortfall": _estimate(c.shortfall),
            "p_best": _num(c.p_best),
            "indistinguishable": c.indistinguishable,
        }

    return {
        "metric": opt.metric,
        "better": opt.better,
        "parameter": parameter,
        "reference": opt.reference_label,
        "paired": opt.paired,
        "shortfall_ci": opt.method,
        "level": opt.level,
        "n_resamples": opt.n_resamples,
        "best": candidate(opt.best),
        "indistinguishable": [c.level for c in opt.indistinguishable],
        "candidates": [candidate(i) for i in range(len(opt.candidates))],
    }


def tornado_json(result: TornadoResult) -> dict[str, Any]:
    """A tornado analysis as plain data.

    The base effect, each measured parameter's effect at both ends of its range with
    its verdict, and every parameter's screening swing.
    """
    return {
        "scenario": result.scenario.name,
        "metric": result.metric,
        "seed": result.seed,
        "runs": result.runs,
        "screen": result.screen,
        "base": _estimate(result.base),
        "rows": [
            {
                "parameter": r.parameter.path,
                "value": r.parameter.value,
                "low": r.parameter.low,
                "high": r.parameter.high,
                "source": r.parameter.source,
                "effect_low": _estimate(r.low),
                "effect_high": _estimate(r.high),
                "verdict": r.verdict,
            }
            for r in result.rows
        ],
        "screened": [{"parameter": u.path, "swing": _num(swing)} for u, swing in result.screened],
    }


def patterns_json(checks: list[PatternCheck]) -> dict[str, Any]:
    """The pattern checks as plain data: per pattern its claim, source, status, figures."""
    return {
        "patterns": [
            {
                "key": c.pattern.key,
                "claim": c.pattern.claim,
                "source": c.pattern.source,
                "status": c.status,
                "reason": c.reason,
                "figures": {name: _estimate(e) for name, e in c.figures.items()},
            }
            for c in checks
        ]
    }
