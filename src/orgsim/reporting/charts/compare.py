"""Charts of a comparison: forest plot, distributions, time series, conflict funnel.

Each draws the broker-on and broker-off arms of one paired experiment; the numbers
it draws come from :mod:`orgsim.reporting.charts.summaries`, and what every chart
shares (files, palette, matplotlib imported only inside the functions) from
:mod:`orgsim.reporting.charts.common`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from orgsim.analysis.stats import CORRECTION_NAMES, Comparison
from orgsim.metrics.catalogue import label
from orgsim.reporting.charts import common, summaries
from orgsim.reporting.charts.common import (
    ARM_COLOURS,
    ARM_LABELS,
    ARM_STYLES,
    OUTCOME_COLOURS,
    Chart,
    PathLike,
    dept_colour,
    dept_marker,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["distributions", "forest_plot", "funnel", "time_series"]

_OUTCOME_MARKERS = {"better": "o", "worse": "s", "higher": "D", "lower": "D", "unclear": "o"}
_OUTCOME_TEXT = {
    "better": "broker better",
    "worse": "broker worse",
    "higher": "higher with broker",
    "lower": "lower with broker",
    "unclear": "not significant",
}
_STAGE_TEXT = {"open": "still open"}


def _thousands(ax: Axes, *arrays: ArrayLike) -> None:
    """Group digits on the y axis (``200,000``) when the values reach 10,000."""
    from matplotlib.ticker import StrMethodFormatter

    finite = [np.asarray(a, dtype=np.float64) for a in arrays]
    peak = max((float(np.nanmax(np.abs(a))) for a in finite if np.isfinite(a).any()), default=0.0)
    if peak >= 10_000:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


# --- forest plot ------------------------------------------------------------------


def forest_plot(
    comparisons: Mapping[str, Comparison],
    units: Mapping[str, str],
    out_dir: PathLike,
    name: str = "forest",
) -> Chart:
    """Relative paired difference (broker on − off) of every metric, with its CI.

    One row per metric, top to bottom in the order given; the marker's colour and
    shape say whether the broker is significantly better, worse, or neither (for
    metrics without a preferred direction: higher or lower), as the comparisons
    judged it: by the paired t-test's p-value adjusted over their family (Holm
    over the metrics, by default), which the subtitle names. The bars are the
    unadjusted CIs. Metrics whose relative difference is undefined are left out
    and listed: those that exist with the broker only (no paired difference), and
    those whose broker-off mean is 0.

    Args:
        comparisons: Metric name to :class:`orgsim.analysis.stats.Comparison`.
        units: Metric name to unit, used for the absolute difference annotated on
            the right of each row.
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["rows"]`` is a list of dicts (top to bottom) with keys
        ``metric``, ``label``, ``relative_pct``, ``low_pct``, ``high_pct`` (the
        comparison's relative values x 100), ``outcome``, ``diff``, ``unit``,
        ``text``; ``data["skipped"]`` lists the metrics left out, and
        ``data["broker_only"]`` those of them that exist with the broker only;
        ``data["level"]`` is the confidence level, ``data["significance"]`` the
        sentence saying how significance was judged.
    """
    rows, skipped = summaries.forest_rows(comparisons, units)
    broker_only = [m for m in skipped if comparisons[m].broker_only]
    level = next(iter(comparisons.values())).level if comparisons else 0.95
    judged = significance_text(comparisons.values())
    with common.style():
        fig = common.figure(9.0, 1.6 + 0.42 * max(len(rows), 2))
        ax = fig.subplots()
        _draw_forest(ax, rows)
        ax.set_title(
            f"Effect of the broker: paired difference with {100 * level:g}% CI (unadjusted)\n"
            f"significant: {judged}",
            fontsize=10,
        )
        _forest_legend(fig, rows, skipped, broker_only)
        paths = common.save(fig, out_dir, name)
    data = {
        "rows": rows,
        "skipped": skipped,
        "broker_only": broker_only,
        "level": level,
        "significance": judged,
    }
    return Chart(name, paths, data)


def significance_text(comparisons: Iterable[Comparison]) -> str:
    """How the comparisons' significance was judged, in a few words.

    ``"paired t-test p < 0.05 after Holm over 38 metrics"``; without a correction
    ``"paired t-test p < 0.05, not corrected for multiplicity"``.
    """
    tested = [c for c in comparisons if c.family > 0]
    if not tested:
        return "paired t-test p < 0.05"
    c = tested[0]
    alpha = f"p < {1.0 - c.level:.2g}"
    if c.correction == "none":
        return f"paired t-test {alpha}, not corrected for multiplicity"
    return f"paired t-test {alpha} after {CORRECTION_NAMES[c.correction]} over {c.family} metrics"


def _draw_forest(ax: Axes, rows: Sequence[Mapping[str, Any]]) -> None:
    """One marker with its CI per row, top to bottom, the text on the right."""
    ax.axvline(0.0, color="#000000", lw=1.0, zorder=1)
    ypos = np.arange(len(rows))[::-1]
    for y, row in zip(ypos, rows, strict=True):
        outcome = row["outcome"]
        colour = OUTCOME_COLOURS[outcome]
        x, low, high = row["relative_pct"], row["low_pct"], row["high_pct"]
        xerr = None if math.isnan(low) else [[x - low], [high - x]]
        ax.errorbar(
            [x],
            [y],
            xerr=xerr,
            fmt=_OUTCOME_MARKERS[outcome],
            color=colour,
            ecolor=colour,
            mfc="white" if outcome == "unclear" else colour,
            ms=7,
            elinewidth=2,
            capsize=4,
            zorder=3,
        )
        ax.annotate(
            row["text"],
            xy=(1.02, y),
            xycoords=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize=9,
            family="monospace",
        )
    ax.set_yticks(ypos, [r["label"] for r in rows])
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Relative difference, with − without broker (% of without-broker mean)")
    if not rows:
        common.no_data(ax, "no metric with a defined relative difference")


def _forest_legend(
    fig: Figure,
    rows: Sequence[Mapping[str, Any]],
    skipped: Sequence[str],
    broker_only: Sequence[str] = (),
) -> None:
    """The outcomes shown, and the metrics left out (and why) as text-only entries."""
    from matplotlib.lines import Line2D

    present = [o for o in OUTCOME_COLOURS if any(r["outcome"] == o for r in rows)]
    handles = [
        Line2D(
            [],
            [],
            ls="",
            marker=_OUTCOME_MARKERS[o],
            color=OUTCOME_COLOURS[o],
            mfc="white" if o == "unclear" else OUTCOME_COLOURS[o],
            ms=7,
            label=_OUTCOME_TEXT[o],
        )
        for o in present
    ]
    # text-only legend entries, so they never collide with the legend
    zero = [m for m in skipped if m not in broker_only]
    for why, names in (("with the broker only", broker_only), ("without-broker mean 0", zero)):
        if names:
            text = ", ".join(label(m) for m in names)
            handles.append(Line2D([], [], ls="", label=f"not shown ({why}): {text}"))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)


# --- distributions ----------------------------------------------------------------


def distributions(
    on: Mapping[str, ArrayLike],
    off: Mapping[str, ArrayLike],
    metrics: Sequence[str],
    units: Mapping[str, str],
    out_dir: PathLike,
    name: str = "distributions",
) -> Chart:
    """Small multiples of each metric's distribution over replications, per arm.

    Each panel shows a box (quartiles, whiskers at 1.5 IQR) with every replication
    as a jittered point on top and the mean as a white diamond. A metric that
    exists with the broker only has no box without the broker.

    Args:
        on: Metric name to one value per replication, with the broker.
        off: The same without the broker.
        metrics: Metrics to draw, one panel each, in this order.
        units: Metric name to unit, for the y axis labels.
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["panels"][metric]`` holds ``label`` and, for ``"on"`` and
        ``"off"``, a dict of ``values`` (NaNs dropped), ``mean``, ``median``, ``q1``,
        ``q3``; ``data["metrics"]`` is the panel order.
    """
    panels = summaries.distribution_panels(on, off, metrics, units)
    with common.style():
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        rows, cols = common.grid(len(metrics), 4)
        fig = common.figure(3.1 * cols + 0.4, 3.0 * rows + 0.7)
        jitter = np.random.default_rng(0)
        for ax, metric in zip(common.axes(fig, len(metrics), 4), metrics, strict=True):
            _draw_distribution(ax, panels[metric], jitter)
            ax.set_title(label(metric))
        handles = [
            *(
                Patch(
                    facecolor=ARM_COLOURS[a] + "40", edgecolor=ARM_COLOURS[a], label=ARM_LABELS[a]
                )
                for a in ("on", "off")
            ),
            Line2D([], [], ls="", marker="D", color="white", mec="#000000", label="mean"),
        ]
        fig.suptitle("Distribution over replications")
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        paths = common.save(fig, out_dir, name)
    return Chart(name, paths, {"metrics": list(metrics), "panels": panels})


def _draw_distribution(ax: Axes, panel: Mapping[str, Any], jitter: np.random.Generator) -> None:
    """Both arms' boxes, with every replication jittered on top and the mean."""
    for pos, arm in ((1, "on"), (2, "off")):
        v = panel[arm]["values"]
        if v.size == 0:
            continue
        colour = ARM_COLOURS[arm]
        ax.boxplot(
            [v],
            positions=[pos],
            widths=0.55,
            showfliers=False,
            patch_artist=True,
            medianprops={"color": colour, "lw": 2},
            whiskerprops={"color": colour},
            capprops={"color": colour},
            boxprops={"edgecolor": colour, "facecolor": colour + "40"},
        )
        x = pos + jitter.uniform(-0.17, 0.17, v.size)
        ax.scatter(x, v, s=9, color=colour, alpha=0.55, lw=0, zorder=3)
        ax.scatter(
            [pos],
            [panel[arm]["mean"]],
            marker="D",
            s=30,
            color="white",
            edgecolor="#000000",
            lw=1,
            zorder=4,
        )
    if panel["on"]["values"].size + panel["off"]["values"].size == 0:
        common.no_data(ax)
    _thousands(ax, panel["on"]["values"], panel["off"]["values"])
    ax.set_xticks([1, 2], [ARM_LABELS["on"], ARM_LABELS["off"]])
    ax.set_xlim(0.4, 2.6)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(panel["label"])


# --- time series ------------------------------------------------------------------


def time_series(
    quarterly_on: Mapping[str, ArrayLike],
    quarterly_off: Mapping[str, ArrayLike],
    series: Sequence[str],
    units: Mapping[str, str],
    out_dir: PathLike,
    name: str = "timeseries",
) -> Chart:
    """Quarter-by-quarter trajectories of both arms, one panel per series.

    A plain series (``"value_shipped"``) gets, per arm, the median over runs and a
    10-90 % band. A family of per-department series is named ``"headcount.*"``
    (or by its base alone, ``"budget_share"``, when no plain series has that name);
    its panel has one median line per department and arm, in the department's
    colour, solid with the broker and dashed without.

    Args:
        quarterly_on: Series name to an array of runs x quarters, with the broker.
        quarterly_off: The same without the broker.
        series: Panels to draw, in this order.
        units: Series name (or family base) to unit, for the y axis labels.
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["panels"][s]`` for each requested series ``s`` is either
        ``{"kind": "series", "label", "on": band, "off": band}`` with ``band`` a dict
        of ``quarter`` (1-based), ``median``, ``p10`` and ``p90`` arrays (NaN-aware
        percentiles over runs, per quarter), or ``{"kind": "family", "label",
        "depts": {dept: {"on": band, "off": band}}}`` (only the medians are drawn).
    """
    panels = summaries.series_panels(quarterly_on, quarterly_off, series, units)
    with common.style():
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
        from matplotlib.ticker import MaxNLocator

        rows, cols = common.grid(len(series), 2)
        fig = common.figure(6.0 * cols, 3.4 * rows + 0.8)
        for ax, s in zip(common.axes(fig, len(series), 2), series, strict=True):
            panel = panels[s]
            if panel["kind"] == "series":
                _draw_band(ax, panel)
                ax.set_title(label(s))
            else:
                _draw_family(ax, panel)
                ax.set_title(f"{label(s.removesuffix('.*'))} by department (median)")
            ax.set_xlabel("quarter")
            ax.set_ylabel(panel["label"])
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        handles = [
            (
                Patch(facecolor=ARM_COLOURS[a], alpha=0.2),
                Line2D([], [], color=ARM_COLOURS[a], ls=ARM_STYLES[a], lw=2),
            )
            for a in ("on", "off")
        ]
        fig.suptitle("Quarterly trajectories: median over runs, band 10th-90th percentile")
        fig.legend(
            handles=handles,
            labels=[ARM_LABELS["on"], ARM_LABELS["off"]],
            loc="outside lower center",
            ncol=2,
            frameon=False,
        )
        paths = common.save(fig, out_dir, name)
    return Chart(name, paths, {"series": list(series), "panels": panels})


def _draw_band(ax: Axes, panel: Mapping[str, Any]) -> None:
    """A plain series: per arm, the median over runs in a 10-90 % band."""
    for arm in ("on", "off"):
        b = panel[arm]
        colour = ARM_COLOURS[arm]
        ax.fill_between(b["quarter"], b["p10"], b["p90"], color=colour, alpha=0.2, lw=0)
        ax.plot(b["quarter"], b["median"], color=colour, ls=ARM_STYLES[arm], lw=2)
    _thousands(ax, *(panel[a][k] for a in ("on", "off") for k in ("p10", "p90")))


def _draw_family(ax: Axes, panel: Mapping[str, Any]) -> None:
    """A family: one median line per department and arm, with its own legend."""
    from matplotlib.lines import Line2D

    dept_handles = []
    for i, (dept, arms) in enumerate(panel["depts"].items()):
        colour, marker = dept_colour(i), dept_marker(i)
        for arm, b in arms.items():
            ax.plot(
                b["quarter"],
                b["median"],
                color=colour,
                ls=ARM_STYLES[arm],
                lw=1.8,
                marker=marker,
                ms=4,
            )
        dept_handles.append(Line2D([], [], color=colour, lw=2, marker=marker, ms=4, label=dept))
    style_handles = [
        Line2D([], [], color="#555555", ls=ARM_STYLES[a], lw=1.8, label=ARM_LABELS[a])
        for a in ("on", "off")
    ]
    ax.legend(
        handles=dept_handles + style_handles,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        title="department",
        title_fontsize=9,
    )


# --- funnel -----------------------------------------------------------------------


def funnel(
    funnel_on: Mapping[str, ArrayLike],
    funnel_off: Mapping[str, ArrayLike],
    out_dir: PathLike,
    name: str = "funnel",
) -> Chart:
    """Conflict funnel: mean count per run at each stage, grouped bars per arm.

    Stages run top to bottom raised, detected, resolved, escalated, lapsed, open
    (those present in either arm), then any other keys in input order. Each bar is
    annotated with its mean and, below "raised", its share of the raised count.

    Args:
        funnel_on: Stage to one count per run, with the broker.
        funnel_off: The same without the broker.
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["stages"]`` is the stage order, ``data["on"]`` and
        ``data["off"]`` the mean counts per stage (NaN for a stage absent from that
        arm), ``data["labels"]`` the annotation text per arm.
    """
    stages, means, texts = summaries.funnel_bars(funnel_on, funnel_off)
    with common.style():
        fig = common.figure(8.5, 1.4 + 0.75 * max(len(stages), 2))
        ax = fig.subplots()
        y = np.arange(len(stages))
        h = 0.38
        for offset, arm in ((-h / 2, "on"), (h / 2, "off")):
            m = means[arm]
            bars = ax.barh(
                y + offset,
                np.nan_to_num(m),
                height=h,
                color=ARM_COLOURS[arm],
                edgecolor="white",
                hatch="" if arm == "on" else "//",
                label=ARM_LABELS[arm],
            )
            ax.bar_label(bars, labels=texts[arm], padding=3, fontsize=9)
        if "detected" in stages and stages.index("detected") + 1 < len(stages):
            ax.axhline(stages.index("detected") + 0.5, color="#999999", lw=0.8, ls=":")
        ax.set_yticks(y, [_STAGE_TEXT.get(s, s).capitalize() for s in stages])
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        finite = np.concatenate([means["on"], means["off"]])
        finite = finite[np.isfinite(finite)]
        top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        ax.set_xlim(0, top * 1.3)
        ax.set_xlabel("Conflicts per run (mean count)")
        ax.set_title("Conflict funnel: raised → detected → outcome")
        ax.legend(loc="lower right", frameon=False)
        paths = common.save(fig, out_dir, name)
    return Chart(
        name,
        paths,
        {"stages": stages, "on": means["on"], "off": means["off"], "labels": texts},
    )
