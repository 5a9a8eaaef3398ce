"""The attribution waterfall: which of the broker's channels make its effect on net value.

Left, the waterfall: starting at 0, one bar per channel from the running sum before
it to the sum after it (its mean Shapley value; green a gain, red a loss, the
whisker its 95% CI), ending at the total paired difference (blue, with its CI).
Because the Shapley values add up to the total exactly, the last channel's bar ends
where the total's begins. Right, the same total split into the terms of net value
(value shipped, and each cost with its sign): where the money shows up.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from orgsim.experiments.attribution import AttributionResult
from orgsim.metrics.catalogue import metric
from orgsim.metrics.format import format_number
from orgsim.reporting.charts import common
from orgsim.reporting.charts.common import BLUE, RED, Chart, PathLike

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["waterfall"]

GAIN, LOSS, TOTAL = "#009E73", RED, BLUE


def waterfall(result: AttributionResult, out_dir: PathLike, name: str = "attribution") -> Chart:
    """Draw the waterfall of channels and the accounting split of an attribution.

    Returns:
        The chart; ``data["steps"]`` per channel its ``channel``, ``start``, ``end``
        (running sums of the mean Shapley values) and ``half_width``;
        ``data["total"]`` the total's ``mean``/``low``/``high``; ``data["accounting"]``
        per net-value term its ``metric``, ``sign`` (+1 value, −1 a cost), ``mean``
        and ``half_width`` (signed as it enters net value).
    """
    steps = []
    running = 0.0
    for row in result.rows:
        start, running = running, running + row.shapley.mean
        steps.append(
            {
                "channel": row.channel,
                "start": start,
                "end": running,
                "half_width": row.shapley.half_width,
            }
        )
    total = {"mean": result.total.mean, "low": result.total.low, "high": result.total.high}
    accounting = [
        {
            "metric": t.metric,
            "sign": t.sign,
            "mean": t.effect.mean,
            "half_width": t.effect.half_width,
        }
        for t in result.accounting
    ]
    with common.style():
        fig = common.figure(12.5, 5.2)
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [len(steps) + 2, 4]})
        _waterfall(left, steps, total)
        _accounting(right, accounting, total)
        fig.suptitle(
            f"{result.scenario.name}: where the broker's effect on net value comes from\n"
            f"Shapley values over {len(steps)} channels, {result.runs} replications of "
            f"each of {2 ** len(steps)} coalitions, common random numbers; whiskers 95% CI"
        )
        paths = common.save(fig, out_dir, name)
    return Chart(name, paths, {"steps": steps, "total": total, "accounting": accounting})


def _whisker(ax: Axes, x: float, y: float, half: float, *, horizontal: bool = False) -> None:
    if not math.isfinite(half):
        return
    if horizontal:
        ax.errorbar(y, x, xerr=half, fmt="none", ecolor="#333333", capsize=3, lw=1, zorder=4)
    else:
        ax.errorbar(x, y, yerr=half, fmt="none", ecolor="#333333", capsize=3, lw=1, zorder=4)


def _money(value: float) -> str:
    """``+$1.2M``: an amount of k$ as the tables write it, signed."""
    return format_number(value, "k$", signed=True)


def _waterfall(ax: Axes, steps: list[dict[str, Any]], total: dict[str, float]) -> None:
    """One bar per channel from the running sum before it to after it; the total last."""
    n = len(steps)
    for i, s in enumerate(steps):
        delta = s["end"] - s["start"]
        colour = GAIN if delta >= 0 else LOSS
        ax.bar(i, delta, bottom=s["start"], color=colour, width=0.7, zorder=3)
        _whisker(ax, i, s["end"], s["half_width"])
        following = s["end"]
        ax.plot([i + 0.35, i + 0.65], [following, following], color="#888888", lw=0.8, zorder=2)
    ax.bar(n, total["mean"], color=TOTAL, width=0.7, zorder=3)
    if math.isfinite(total["low"]):
        ax.errorbar(
            n,
            total["mean"],
            yerr=[[total["mean"] - total["low"]], [total["high"] - total["mean"]]],
            fmt="none",
            ecolor="#333333",
            capsize=4,
            lw=1.2,
            zorder=4,
        )
    ax.axhline(0.0, color="#333333", lw=0.8, zorder=2)
    ticks = [f"{s['channel']}\n{_money(s['end'] - s['start'])}" for s in steps]
    ax.set_xticks(range(n + 1), [*ticks, f"total\n{_money(total['mean'])}"])
    ax.get_xticklabels()[-1].set_fontweight("bold")
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("Δ net value, broker on − off")
    ax.set_title("by mechanism: each channel's Shapley value, then the total")
    common.money_axis(ax.yaxis)


def _accounting(ax: Axes, terms: list[dict[str, Any]], total: dict[str, float]) -> None:
    """Horizontal bars: each term of net value's part of the difference, then the total."""
    n = len(terms)
    for i, t in enumerate(terms):
        y = n - i
        colour = GAIN if t["mean"] >= 0 else LOSS
        ax.barh(y, t["mean"], color=colour, height=0.6, zorder=3)
        _whisker(ax, y, t["mean"], t["half_width"], horizontal=True)
    ax.barh(0, total["mean"], color=TOTAL, height=0.6, zorder=3)
    if math.isfinite(total["low"]):
        ax.errorbar(
            total["mean"],
            0,
            xerr=[[total["mean"] - total["low"]], [total["high"] - total["mean"]]],
            fmt="none",
            ecolor="#333333",
            capsize=3,
            lw=1,
            zorder=4,
        )
    ax.axvline(0.0, color="#333333", lw=0.8, zorder=2)
    labels = [
        f"{'+' if t['sign'] > 0 else '−'} Δ {metric(t['metric']).label.lower()}  "
        f"{_money(t['mean'])}"
        for t in terms
    ]
    ax.set_yticks(range(n, -1, -1), [*labels, f"= Δ net value  {_money(total['mean'])}"])
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("part of Δ net value, broker on − off")
    ax.set_title("by account: where the money shows up")
    common.money_axis(ax.xaxis, ticks=4)
