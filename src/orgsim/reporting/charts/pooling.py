"""The numbers behind a sweep's charts: a metric's effect pooled over design points.

When several design points fall on one cell of a chart (a grid of three parameters
seen over two), the cell's effect is pooled per replication: each replication's
values are averaged over the cell's points, then paired, so the CI stays a CI over
replications and keeps the common random numbers.

The effect is shown relative to the without-broker mean (%), or in the metric's
own unit when a relative figure would mislead: when the without-broker means
change sign or come close to zero across the chart (net value often does), so that
a few percent of nearly nothing would dominate the colour scale.

A panel's cells are one family of tests: a cell is marked significant when its
paired t-test p-value, adjusted by Benjamini–Hochberg over the panel's cells
(false discovery rate 5%), is below 0.05, as the sweep's table marks its points
(:mod:`orgsim.experiments.sweep.aggregate`); the CIs drawn are not adjusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from orgsim.analysis.stats import adjust, mean_ci, paired
from orgsim.metrics.catalogue import BETTER, UNITS
from orgsim.metrics.format import Style, format_number

if TYPE_CHECKING:  # pragma: no cover
    from orgsim.experiments.sweep.aggregate import PointResult

__all__ = [
    "MAX_RELATIVE",
    "adjust_cells",
    "curve_panels",
    "effect_text",
    "levels",
    "map_panels",
    "pooled",
    "relative_ok",
    "shown",
]

MAX_RELATIVE = 3.0  # beyond ±300% a relative effect is read as noise around zero


def pooled(points: Sequence[PointResult], metric: str, paired_sweep: bool) -> dict[str, Any]:
    """The effect (paired sweeps) or level (unpaired) of ``metric`` over some points.

    Each replication's values are averaged over the points first (replications
    complete in all of them), so a single point gives exactly its own comparison.

    Returns:
        ``diff``, ``low``, ``high`` (absolute; for unpaired sweeps the mean and its
        CI), ``off`` (without-broker mean; NaN unpaired), ``rel``, ``rel_low``,
        ``rel_high`` (share of ``|off|``), ``significant`` (the cell alone: its
        t CI excludes 0), ``p`` (the paired t-test's p-value; NaN without a test)
        and ``n``.
    """
    nan = math.nan
    empty = {
        "diff": nan,
        "low": nan,
        "high": nan,
        "off": nan,
        "rel": nan,
        "rel_low": nan,
        "rel_high": nan,
        "significant": False,
        "p": nan,
        "n": 0,
    }
    if not points:
        return empty
    common = set(points[0].replications)
    for pr in points[1:]:
        common &= set(pr.replications)
    reps = sorted(common)
    if not reps:
        return empty

    def stack(arm: str) -> np.ndarray:
        rows = []
        for pr in points:
            index = {r: i for i, r in enumerate(pr.replications)}
            values = pr.samples.get(arm, {}).get(metric)
            if values is None:
                return np.full(len(reps), nan)
            rows.append([values[index[r]] for r in reps])
        return np.mean(np.array(rows, dtype=float), axis=0)

    if paired_sweep:
        c = paired(stack("on"), stack("off"), better=BETTER.get(metric, ""))
        return {
            "diff": c.diff.mean,
            "low": c.diff.low,
            "high": c.diff.high,
            "off": c.off.mean,
            "rel": c.relative,
            "rel_low": c.relative_low,
            "rel_high": c.relative_high,
            "significant": c.significant,
            "p": c.p_value,
            "n": c.diff.n,
        }
    arm = next(iter(points[0].samples), "on")
    e = mean_ci(stack(arm))
    return {**empty, "diff": e.mean, "low": e.low, "high": e.high, "n": e.n}


def adjust_cells(cells: Sequence[dict[str, Any]], level: float = 0.95) -> None:
    """Mark the cells of one panel significant by Benjamini–Hochberg over them, in place.

    Each cell gets ``p_bh``, its p-value adjusted over the cells that have a test,
    and keeps ``significant`` only if its adjusted p-value is below ``1 − level``.
    """
    adjusted = adjust([c["p"] for c in cells], "bh")
    for c, p in zip(cells, adjusted, strict=True):
        c["p_bh"] = float(p)
        c["significant"] = bool(c["significant"]) and bool(p < 1.0 - level)


def relative_ok(cells: Sequence[Mapping[str, Any]]) -> bool:
    """Whether relative effects read well: off means of one sign, effects moderate."""
    offs = [c["off"] for c in cells if not math.isnan(c["off"])]
    rels = [c["rel"] for c in cells if not math.isnan(c["rel"])]
    if not offs or not rels:
        return False
    one_sign = all(o > 0 for o in offs) or all(o < 0 for o in offs)
    return one_sign and max(abs(r) for r in rels) <= MAX_RELATIVE


def shown(cell: Mapping[str, Any], relative: bool) -> tuple[float, float, float]:
    """A pooled cell's effect and CI as drawn: in % when ``relative``, else absolute."""
    if relative:
        return 100.0 * cell["rel"], 100.0 * cell["rel_low"], 100.0 * cell["rel_high"]
    return cell["diff"], cell["low"], cell["high"]


def levels(points: Sequence[PointResult], path: str) -> list[Any]:
    """The distinct values of a parameter, sorted (numbers) or in first-seen order."""
    seen = list(dict.fromkeys(pr.params[path] for pr in points))
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seen):
        return sorted(seen)
    return seen


def effect_text(value: float, relative: bool, unit: str = "") -> str:
    """A cell's effect: % of the without-broker mean, or in the metric's unit.

    An amount of k$ reads in dollars (``+$1.5M``) and a share in percent, as the
    axes and tables write them; other units compact (``+20k``), named by the
    colour bar.
    """
    if not relative and unit == "share":
        return format_number(value, "share", signed=True, missing="n/a")
    style: Style = "percent" if relative else "money" if unit == "k$" else "compact"
    return format_number(value, style=style, signed=True, missing="n/a")


def map_panels(
    points: Sequence[PointResult],
    x: str,
    y: str,
    metrics: Sequence[str],
    paired_sweep: bool,
) -> tuple[bool, dict[str, dict[str, Any]]]:
    """Whether ``points`` cover a full grid over ``x`` and ``y``, and the panels.

    A grid pools the points of each cell (rows the y levels, columns the x
    levels); a scattered design keeps one value per point.
    """
    x_levels, y_levels = levels(points, x), levels(points, y)
    groups: dict[tuple[Any, Any], list[PointResult]] = {}
    for pr in points:
        groups.setdefault((pr.params[x], pr.params[y]), []).append(pr)
    is_grid = len(groups) == len(x_levels) * len(y_levels) and len(groups) <= 400
    panels: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        if is_grid:
            cells = [
                [pooled(groups[(xv, yv)], metric, paired_sweep) for xv in x_levels]
                for yv in y_levels
            ]
        else:
            cells = [[pooled([pr], metric, paired_sweep) for pr in points]]
        adjust_cells([c for row in cells for c in row])
        panels[metric] = _map_panel(cells, paired_sweep, is_grid, UNITS.get(metric, ""))
    return is_grid, panels


def _map_panel(
    cells: list[list[dict[str, Any]]], paired_sweep: bool, is_grid: bool, unit: str
) -> dict[str, Any]:
    relative = paired_sweep and relative_ok([c for row in cells for c in row])
    drawn = [[shown(c, relative) for c in row] for row in cells]
    values, low, high = (
        np.array([[s[k] for s in row] for row in drawn], dtype=float) for k in range(3)
    )
    significant = np.array([[bool(c["significant"]) for c in row] for row in cells])
    text = [[effect_text(s[0], relative, unit) for s in row] for row in drawn]
    if not is_grid:  # one row of points
        return {
            "relative": relative,
            "values": values[0],
            "low": low[0],
            "high": high[0],
            "significant": significant[0],
            "text": text[0],
        }
    return {
        "relative": relative,
        "values": values,
        "low": low,
        "high": high,
        "significant": significant,
        "text": text,
    }


def curve_panels(
    points: Sequence[PointResult],
    x: str,
    metrics: Sequence[str],
    by: str | None,
    paired_sweep: bool,
    xpos: np.ndarray,
) -> dict[str, dict[str, Any]]:
    """Per metric, one series over the levels of ``x`` per level of ``by``."""
    x_levels = levels(points, x)
    by_levels: list[Any] = levels(points, by) if by else [None]
    panels: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        cells = {
            (bv, i): pooled(
                [pr for pr in points if pr.params[x] == xv and (by is None or pr.params[by] == bv)],
                metric,
                paired_sweep,
            )
            for bv in by_levels
            for i, xv in enumerate(x_levels)
        }
        adjust_cells(list(cells.values()))
        relative = paired_sweep and relative_ok(list(cells.values()))
        series = []
        for bv in by_levels:
            row = [cells[(bv, i)] for i in range(len(x_levels))]
            drawn = [shown(c, relative) for c in row]
            series.append(
                {
                    "by": bv,
                    "x": xpos,
                    "value": np.array([s[0] for s in drawn]),
                    "low": np.array([s[1] for s in drawn]),
                    "high": np.array([s[2] for s in drawn]),
                    "significant": np.array([bool(c["significant"]) for c in row]),
                }
            )
        panels[metric] = {"relative": relative, "series": series}
    return panels
