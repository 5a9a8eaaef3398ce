"""The chart of a one-parameter sweep's best level: the effect, and the cost of missing it.

Two panels sharing the parameter's axis (see :mod:`orgsim.analysis.optimum`):

* top: the broker's paired effect (with − without) at each level with its 95% CI
  as a band; the zero line is the reference arm (the runs without the broker,
  named as the sweep names it: ``never appointed``); the best level is marked;
* bottom: each level's shortfall from the best (this level − the best, per
  replication) with its 95% CI band, the cost of choosing that level instead. A
  level whose shortfall CI contains 0 is drawn filled: it cannot be told from the
  best. The reference's own shortfall is the dashed orange line and band.

A log axis is used when the levels are positive and span more than ten times.
Amounts in k$ read as dollars. Colours are Okabe-Ito: blue for the levels, orange
for the reference, black for the best.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from orgsim.metrics.catalogue import UNITS, label
from orgsim.metrics.format import format_level
from orgsim.reporting.charts import common
from orgsim.reporting.charts.common import BLUE, Chart, PathLike, param_label

if TYPE_CHECKING:  # pragma: no cover
    from orgsim.analysis.optimum import Optimum

__all__ = ["optimum_chart"]

ORANGE = "#E69F00"  # the reference level: Okabe-Ito orange, apart from the levels' blue


def _numeric(levels: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in levels)


def _log_axis(x: np.ndarray) -> bool:
    """Whether positive levels span more than ten times: a log axis reads better."""
    return bool(x.size >= 2 and np.all(x > 0) and x.max() / x.min() > 10)


def _band(values: list[Any]) -> dict[str, np.ndarray]:
    return {
        "value": np.array([e.mean for e in values], dtype=float),
        "low": np.array([e.low for e in values], dtype=float),
        "high": np.array([e.high for e in values], dtype=float),
    }


def optimum_chart(
    opt: Optimum, parameter: str, out_dir: PathLike, *, name: str = "sweep-optimum"
) -> Chart:
    """Draw the effect per level and the shortfall from the best, with 95% CI bands.

    Args:
        opt: The sweep's optimum.
        parameter: The swept parameter's dotted path (the x axis).
        out_dir: Directory for ``{name}.png`` and ``.svg``.
        name: File stem.

    Returns:
        The chart; ``data`` holds ``parameter``, ``metric``, ``levels``, ``x`` (the
        plotted positions), ``log_x``, ``effect`` and ``shortfall`` (``value``,
        ``low``, ``high`` per level), ``indistinguishable`` (per level),
        ``best`` (the best level, None for the reference), ``reference`` (its
        label and shortfall ``value``, ``low``, ``high``).
    """
    levels = [c.level for c in opt.levels]
    numeric = _numeric(levels)
    x = np.array(levels if numeric else range(len(levels)), dtype=float)
    log_x = numeric and _log_axis(x)
    effect = _band([c.effect for c in opt.levels])
    short = _band([c.shortfall for c in opt.levels])
    same = np.array([c.indistinguishable for c in opt.levels], dtype=bool)
    ref = opt.reference.shortfall
    unit = UNITS.get(opt.metric, "")
    what = label(opt.metric) if opt.metric else "effect"
    suffix = common.unit_suffix(unit)
    best = opt.winner
    with common.style():
        fig = common.figure(7.2, 7.0)
        top, bottom = fig.subplots(2, 1, sharex=True)
        _effect_panel(top, x, effect, opt, what, suffix, parameter)
        _shortfall_panel(bottom, x, short, same, opt, unit, suffix)
        if not best.reference:
            for ax in (top, bottom):
                ax.axvline(x[opt.best], color="#000000", lw=0.8, ls=":", zorder=1)
        bottom.set_xlabel(param_label(parameter))
        for ax in (top, bottom):
            common.value_axis(ax.yaxis, unit)
        _level_axis(bottom, x, levels, numeric, log_x)
        paths = common.save(fig, out_dir, name)
    data = {
        "parameter": parameter,
        "metric": opt.metric,
        "levels": levels,
        "x": x,
        "log_x": log_x,
        "effect": effect,
        "shortfall": short,
        "indistinguishable": same,
        "best": None if best.reference else best.level,
        "reference": {
            "label": opt.reference_label,
            "value": ref.mean,
            "low": ref.low,
            "high": ref.high,
        },
    }
    return Chart(name, paths, data)


def _effect_panel(
    ax: Any,
    x: np.ndarray,
    effect: dict[str, np.ndarray],
    opt: Optimum,
    what: str,
    suffix: str,
    parameter: str,
) -> None:
    """The top panel: each level's effect with its band, the reference's 0, the best."""
    best = opt.winner
    ax.fill_between(x, effect["low"], effect["high"], **common.band_style(BLUE))
    ax.plot(x, effect["value"], color=BLUE, lw=1.8, marker="o", ms=5, label="effect, 95% CI")
    ax.axhline(0.0, color=ORANGE, lw=1.6, ls="--", label=f"reference: {opt.reference_label} (0)")
    if best.reference:
        ax.text(
            0.02,
            0.04,
            f"no level beats the reference: best is {opt.reference_label}",
            transform=ax.transAxes,
            fontsize=9,
            color="#333333",
        )
    else:
        ax.plot(
            [x[opt.best]],
            [best.effect.mean],
            ls="",
            marker="*",
            ms=15,
            color="#000000",
            zorder=5,
            label=f"best: {format_level(best.level)} (P(best) {best.p_best:.0%})",
        )
    ax.set_ylabel(f"{what}: with − without broker{suffix}")
    ax.set_title(f"Broker effect on {what} at each level of {param_label(parameter)}")
    ax.legend(loc="best", fontsize=8, framealpha=0.9)


def _shortfall_panel(
    ax: Any,
    x: np.ndarray,
    short: dict[str, np.ndarray],
    same: np.ndarray,
    opt: Optimum,
    unit: str,
    suffix: str,
) -> None:
    """The bottom panel: each level's shortfall from the best, and the reference's."""
    best, ref = opt.winner, opt.reference.shortfall
    ax.fill_between(x, short["low"], short["high"], **common.band_style(BLUE))
    ax.plot(x, short["value"], color=BLUE, lw=1.8, label="shortfall, 95% CI")
    ax.scatter(
        x[same],
        short["value"][same],
        color=BLUE,
        s=30,
        zorder=4,
        label="indistinguishable from the best (CI contains 0)",
    )
    if not same.all():
        ax.scatter(
            x[~same],
            short["value"][~same],
            facecolors="white",
            edgecolors=BLUE,
            s=30,
            linewidths=1.2,
            zorder=4,
            label="worse than the best (CI excludes 0)",
        )
    best_name = opt.reference_label if best.reference else format_level(best.level)
    ax.axhline(0.0, color="#000000", lw=0.9, label=f"0: the best ({best_name})")
    if not best.reference and math.isfinite(ref.mean):
        ax.axhspan(
            ref.low if math.isfinite(ref.low) else ref.mean,
            ref.high if math.isfinite(ref.high) else ref.mean,
            **common.band_style(ORANGE, "////", "--"),  # hatched: apart from the blue band
        )
        ax.axhline(
            ref.mean,
            color=ORANGE,
            lw=1.6,
            ls="--",
            label=f"{opt.reference_label} instead: {common.value_text(ref.mean, unit)}, 95% CI",
        )
    ax.set_ylabel(f"this level − the best{suffix}")
    ax.set_title(f"Cost of choosing this level instead of the best ({opt.method} 95% CI)")
    ax.legend(loc="best", fontsize=8, framealpha=0.9)


def _level_axis(ax: Any, x: np.ndarray, levels: list[Any], numeric: bool, log_x: bool) -> None:
    """The shared x axis: the levels' names, on a log scale when they span a lot."""
    if log_x:
        ax.set_xscale("log")
        ax.minorticks_off()
    if not numeric or len(levels) <= 12:
        ax.set_xticks(x, [format_level(v) for v in levels])
