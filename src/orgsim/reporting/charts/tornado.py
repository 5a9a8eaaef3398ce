"""The tornado diagram: the broker's effect at both ends of each uncertain number's range.

One row per measured parameter, largest swing on top: a bar from the effect at the
low end of the parameter's plausible range to the effect at its high end, each end
with its 95% CI as a whisker, over a vertical line at the base effect (its CI
shaded) and one at zero. Where a bar crosses zero, the verdict hangs on that number.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from orgsim.experiments.tornado import TornadoResult
from orgsim.metrics.catalogue import metric
from orgsim.reporting.charts import common
from orgsim.reporting.charts.common import BLUE, RED, Chart, PathLike

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["tornado_chart"]

LOW_COLOUR, HIGH_COLOUR = "#56B4E9", BLUE


def tornado_chart(result: TornadoResult, out_dir: PathLike, name: str = "tornado") -> Chart:
    """Draw the tornado of a :class:`~orgsim.experiments.tornado.TornadoResult`.

    Returns:
        The chart; ``data["rows"]`` (top to bottom) holds per parameter its
        ``path``, ``low``/``high`` (range ends), ``effect_low``/``effect_high`` with
        ``ci_low``/``ci_high`` pairs, and ``verdict``; ``data["base"]`` the base
        effect and its CI; ``data["metric"]`` the metric.
    """
    m = metric(result.metric)
    rows = [
        {
            "path": r.parameter.path,
            "low": r.parameter.low,
            "high": r.parameter.high,
            "effect_low": r.low.mean,
            "effect_high": r.high.mean,
            "ci_low": (r.low.low, r.low.high),
            "ci_high": (r.high.low, r.high.high),
            "verdict": r.verdict,
        }
        for r in result.rows
    ]
    base = {"mean": result.base.mean, "low": result.base.low, "high": result.base.high}
    with common.style():
        fig = common.figure(9.5, 1.8 + 0.5 * max(len(rows), 2))
        ax = fig.subplots()
        _draw(ax, rows, base)
        unit = f"; {m.unit}" if common.unit_suffix(m.unit) else ""
        ax.set_xlabel(f"broker effect on {m.label} (on − off, paired{unit})")
        common.value_axis(ax.xaxis, m.unit)
        fig.suptitle(
            f"{result.scenario.name}: what the broker's effect on {m.label} hangs on\n"
            f"each parameter at the ends of its plausible range; {result.runs} paired "
            "replications per end, 95% CI"
        )
        paths = common.save(fig, out_dir, name)
    return Chart(name, paths, {"rows": rows, "base": base, "metric": result.metric})


def _draw(ax: Axes, rows: list[dict[str, Any]], base: dict[str, float]) -> None:
    """Bars from the low-end to the high-end effect, whiskers, the base and zero."""
    n = len(rows)
    if math.isfinite(base["low"]):
        ax.axvspan(base["low"], base["high"], color="#BBBBBB", alpha=0.4, lw=0, zorder=0)
    ax.axvline(base["mean"], color="#555555", lw=1.2, zorder=1, label="base effect (95% CI)")
    ax.axvline(0.0, color=RED, lw=1.0, ls=":", zorder=1, label="no effect")
    for i, row in enumerate(rows):
        y = n - 1 - i
        lo, hi = row["effect_low"], row["effect_high"]
        ax.plot([lo, hi], [y, y], color="#999999", lw=6, solid_capstyle="butt", zorder=2)
        for value, (c_lo, c_hi), colour, where in (
            (lo, row["ci_low"], LOW_COLOUR, "low end"),
            (hi, row["ci_high"], HIGH_COLOUR, "high end"),
        ):
            ax.errorbar(
                value,
                y,
                xerr=[[value - c_lo], [c_hi - value]] if math.isfinite(c_lo) else None,
                fmt="o",
                color=colour,
                capsize=3,
                zorder=3,
                label=f"parameter at its {where}" if i == 0 else None,
            )
    ax.set_yticks(
        range(n),
        [f"{r['path']}  [{r['low']:g}, {r['high']:g}]" for r in reversed(rows)],
    )
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=False)
