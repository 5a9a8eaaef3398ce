"""Aggregating a sweep's runs per design point, in canonical order.

Per point, each arm's mean with a 95% CI and the broker's paired effect with its
CI; the rows of the points table; the outputs the sensitivity analysis reads; and,
for a paired sweep of one parameter, its best level (:func:`sweep_optimum`).

A sweep tests the broker's effect on each metric at every design point: many tests,
read as a map of where the effect is. Per metric, the points' paired t-test
p-values are adjusted together by Benjamini–Hochberg (:data:`SWEEP_CORRECTION`), so
that of the points marked significant about 5% at most are expected to be false
(the false discovery rate); the CIs are not adjusted. Holm, which the verdict table
of a single comparison uses, would guard against any false mark at all and leave a
map of a hundred points nearly blank (docs/statistics.md).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from orgsim.analysis.optimum import Optimum, find_optimum
from orgsim.analysis.stats import Comparison, Estimate, adjust_family, compare_table, mean_ci
from orgsim.experiments.samples import metric_names, paired_samples
from orgsim.experiments.sweep.design import Point
from orgsim.experiments.sweep.spec import SweepSpec
from orgsim.metrics.catalogue import BETTER, BROKER_ONLY, HEADLINE
from orgsim.storage.results import RunRecord

logger = logging.getLogger(__name__)

#: How a sweep's significance marks are corrected: Benjamini–Hochberg over the
#: design points, per metric.
SWEEP_CORRECTION = "bh"

# ------------------------------------------------------------------ aggregation


@attrs.frozen(kw_only=True)
class PointResult:
    """What one design point found.

    Attributes:
        point: Index in the design.
        params: Parameter path to value.
        x: Design-space coordinates.
        runs: Replications complete (in both arms when paired).
        failed: Runs of this point that raised.
        replications: The complete replications, in order.
        samples: Arm to metric to values, one per complete replication.
        arms: Arm to metric to mean with 95% CI (over the complete replications).
        effect: Metric to paired comparison on − off (paired sweeps only), its
            significance adjusted by Benjamini–Hochberg over the design points.
    """

    point: int
    params: dict[str, Any]
    x: tuple[float, ...]
    runs: int
    failed: int
    replications: tuple[int, ...]
    samples: dict[str, dict[str, np.ndarray]] = attrs.field(eq=False, repr=False)
    arms: dict[str, dict[str, Estimate]] = attrs.field(eq=False, repr=False)
    effect: dict[str, Comparison] = attrs.field(eq=False, repr=False)


def aggregate(
    spec: SweepSpec, points: Sequence[Point], records: Sequence[RunRecord]
) -> list[PointResult]:
    """Per point: each arm's means with CIs and the paired effect, in canonical order.

    The effects' significance is adjusted per metric over the points
    (:func:`adjust_effects`).
    """
    by_point: dict[int, list[RunRecord]] = {p.index: [] for p in points}
    for r in records:
        if r.point in by_point:
            by_point[r.point].append(r)
    names = metric_names(records)
    out = []
    for point in points:
        rows = by_point[point.index]
        arms = sorted({r.arm for r in rows}, key=lambda a: (a != "on", a)) or list(spec.arms)
        samples, reps = paired_samples(rows, arms, names)
        effect: dict[str, Comparison] = {}
        if spec.paired and "on" in samples and "off" in samples:
            # the family is a metric's design points, not a point's metrics: adjusted below
            effect = compare_table(
                samples["on"],
                samples["off"],
                better=BETTER,
                broker_only=BROKER_ONLY,
                correction="none",
            )
            # Without NaNs, each arm's estimate is the comparison's (same replications);
            # with them (a metric undefined in one arm) the arm keeps its own values.
            estimates = {
                arm: {
                    m: getattr(c, arm)
                    if c.diff.n == len(reps) or c.broker_only
                    else mean_ci(samples[arm][m])
                    for m, c in effect.items()
                }
                for arm in ("on", "off")
            }
        else:
            estimates = {a: {m: mean_ci(v) for m, v in samples[a].items()} for a in arms}
        out.append(
            PointResult(
                point=point.index,
                params=dict(point.values),
                x=point.x,
                runs=len(reps),
                failed=sum(1 for r in rows if r.status != "ok"),
                replications=tuple(reps),
                samples=samples,
                arms=estimates,
                effect=effect,
            )
        )
    return adjust_effects(out)


def adjust_effects(
    results: Sequence[PointResult], correction: str = SWEEP_CORRECTION
) -> list[PointResult]:
    """The points with each metric's effects adjusted as one family over the points.

    Per metric, the family is the points where the effect has a paired test
    (:func:`~orgsim.analysis.stats.adjust_family`); the arms' estimates are left
    as they are.
    """
    names = list(dict.fromkeys(m for pr in results for m in pr.effect))
    effects: list[dict[str, Comparison]] = [dict(pr.effect) for pr in results]
    for m in names:
        family = {i: pr.effect[m] for i, pr in enumerate(results) if m in pr.effect}
        for i, c in adjust_family(family, correction, "design points").items():
            effects[i][m] = c
    return [
        attrs.evolve(pr, effect=e) if pr.effect else pr
        for pr, e in zip(results, effects, strict=True)
    ]


def table_rows(spec: SweepSpec, results: Sequence[PointResult]) -> list[dict[str, Any]]:
    """The per-point table: parameters, runs, then per metric arm means and effect.

    Metrics of interest come first, then the remaining headline metrics. Paired
    sweeps give ``m.on``, ``m.off``, ``m.diff`` with ``m.diff_low``/``m.diff_high``,
    the relative effect ``m.rel`` (share of the without-broker mean) with its CI,
    the paired t-test's ``m.p`` and its Benjamini–Hochberg adjustment over the
    points ``m.p_bh``, and ``m.significant`` (``m.p_bh`` below 0.05); unpaired
    sweeps ``m.mean``, ``m.low``, ``m.high``.
    """
    names = list(spec.metrics) + [m for m in HEADLINE if m not in spec.metrics]
    rows = []
    for pr in results:
        row: dict[str, Any] = {"point": pr.point, **pr.params, "runs": pr.runs, "failed": pr.failed}
        for m in names:
            if spec.paired:
                c = pr.effect.get(m)
                if c is None:
                    continue
                row.update(
                    {
                        f"{m}.on": c.on.mean,
                        f"{m}.off": c.off.mean,
                        f"{m}.diff": c.diff.mean,
                        f"{m}.diff_low": c.diff.low,
                        f"{m}.diff_high": c.diff.high,
                        f"{m}.rel": c.relative,
                        f"{m}.rel_low": c.relative_low,
                        f"{m}.rel_high": c.relative_high,
                        f"{m}.p": c.p_value,
                        f"{m}.p_bh": c.p_adjusted,
                        f"{m}.significant": c.significant,
                    }
                )
            else:
                arm = next(iter(pr.arms), None)
                if arm is None or m not in pr.arms[arm]:
                    continue
                e = pr.arms[arm][m]
                row.update({f"{m}.mean": e.mean, f"{m}.low": e.low, f"{m}.high": e.high})
        if spec.paired:
            row.update(broker_return(pr))
        rows.append(row)
    return rows


def broker_return(pr: PointResult) -> dict[str, float]:
    """The broker's return at a point: the paired net-value effect per k$ it costs.

    ``broker_return`` with the bounds of its 95% CI (the net-value effect's CI over
    the mean cost: the cost barely varies between replications, being the VP PM's
    salary over the run). Empty when either is missing or the broker costs nothing.
    """
    net, cost = pr.effect.get("net_value"), pr.effect.get("broker_cost")
    if net is None or cost is None or not cost.on.mean > 0:
        return {}
    ret = net.diff.per(cost.on.mean)
    return {
        "broker_return": ret.mean,
        "broker_return_low": ret.low,
        "broker_return_high": ret.high,
    }


def sensitivity_outputs(spec: SweepSpec, results: Sequence[PointResult]) -> dict[str, np.ndarray]:
    """Per output, one value per point (means over replications), in design order.

    Paired sweeps: ``m.effect`` (mean paired difference on − off), ``m.on`` and
    ``m.off`` for each metric of interest; unpaired: ``m``. A metric that exists with
    the broker only (:data:`~orgsim.metrics.catalogue.BROKER_ONLY`) has no effect and
    no value without the broker, so it gives ``m.on`` alone.
    """
    out: dict[str, np.ndarray] = {}
    for m in spec.metrics:
        if spec.paired:
            arms = ("on",) if m in BROKER_ONLY else ("on", "off")
            if m not in BROKER_ONLY:
                out[f"{m}.effect"] = np.array([_mean(pr.effect.get(m)) for pr in results])
            for arm in arms:
                out[f"{m}.{arm}"] = np.array(
                    [pr.arms[arm][m].mean if arm in pr.arms else math.nan for pr in results]
                )
        else:
            out[m] = np.array(
                [next(iter(pr.arms.values()))[m].mean if pr.arms else math.nan for pr in results]
            )
    return out


def _mean(c: Comparison | None) -> float:
    return math.nan if c is None else c.diff.mean


def sweep_optimum(spec: SweepSpec, results: Sequence[PointResult]) -> Optimum | None:
    """The best level of a paired one-parameter sweep for ``spec.optimum``'s metric.

    Each level's row holds the per-replication paired effects (on − off) of the
    judged metric, laid out by replication number, NaN where a replication is not
    complete, so column *r* is replication *r* at every level: with ``crn =
    "design"`` those share their random streams and the shortfalls are paired;
    with ``crn = "point"`` they do not, and Welch CIs are used
    (:func:`~orgsim.analysis.optimum.find_optimum`). Numeric levels are reported
    in increasing order, others in design order. The bootstrap is seeded by the
    sweep's seed.

    Returns:
        The optimum, or None when the sweep has none (unpaired, several
        parameters, no judged metric, or a level that occurs at two points, as a
        sampled design of an integer may give).
    """
    metric = spec.optimum
    if not metric or not spec.paired or len(spec.parameters) != 1 or not results:
        return None
    path = spec.parameters[0].path
    levels = [pr.params[path] for pr in results]
    if len(set(map(repr, levels))) != len(levels):
        logger.info("no optimum: a level of %s occurs at more than one point", path)
        return None
    order = list(range(len(results)))
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in levels):
        order.sort(key=lambda i: levels[i])
    width = max((max(pr.replications, default=-1) for pr in results), default=-1) + 1
    effects = np.full((len(results), max(width, 1)), math.nan)
    for row, i in enumerate(order):
        pr = results[i]
        if "on" in pr.samples and "off" in pr.samples and metric in pr.samples["on"]:
            diff = pr.samples["on"][metric] - pr.samples["off"][metric]
            effects[row, list(pr.replications)] = diff
    return find_optimum(
        [levels[i] for i in order],
        effects,
        BETTER[metric],
        paired=spec.crn == "design",
        seed=spec.seed,
        reference=spec.reference,
        metric=metric,
    )
