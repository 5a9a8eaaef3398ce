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
    ARM_HATCHES,
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
        sentence saying how significance was judged, ``data["clipped"]`` the
        legends and texts that reach outside the image (none).
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
        clipped = common.clipped(fig)
    data = {
        "clipped": clipped,
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
    """The outcomes shown above the plot, and the metrics left out (and why) below it.

    Both are laid out by the figure's constrained layout (a legend "outside", a
    wrapped ``supxlabel``), so neither can fall outside the image however long
    the list of left-out metrics.
    """
    import textwrap

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
    if handles:
        fig.legend(handles=handles, loc="outside upper center", ncol=len(handles), frameon=False)
    zero = [m for m in skipped if m not in broker_only]
    notes = [
        f"Not shown ({why}): {', '.join(label(m) for m in names)}."
        for why, names in (("with the broker only", broker_only), ("without-broker mean 0", zero))
        if names
    ]
    if notes:
        width = int(fig.get_figwidth() * 13)  # characters of 9 pt a line holds
        text = "\n".join(textwrap.fill(n, width) for n in notes)
        fig.supxlabel(text, fontsize=9, ha="left", x=0.01, color="#333333")


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
        The chart; ``data["panels"][metric]`` holds ``label``, ``unit`` and, for ``"on"`` and
        ``"off"``, a dict of ``values`` (NaNs dropped), ``mean``, ``median``, ``q1``,
        ``q3``; ``data["metrics"]`` is the panel order, ``data["clipped"]`` the
        legends and texts that reach outside the image (none).
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
        clipped = common.clipped(fig)
    return Chart(name, paths, {"metrics": list(metrics), "panels": panels, "clipped": clipped})


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
    common.value_axis(ax.yaxis, panel["unit"])
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
        units: Series name (or family base) to unit, for the y axis labels; a
            series the catalogue measures under another name (``wip``: the
            features of ``wip_mean``) takes that metric's unit
            (:func:`~orgsim.reporting.charts.summaries.series_unit`).
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["panels"][s]`` for each requested series ``s`` is either
        ``{"kind": "series", "label", "unit", "on": band, "off": band}`` with
        ``band`` a dict of ``quarter`` (1-based), ``median``, ``p10`` and ``p90``
        arrays (NaN-aware percentiles over runs, per quarter), or ``{"kind":
        "family", "label", "unit", "depts": {dept: {"on": band, "off": band}}}``
        (only the medians are drawn); ``data["clipped"]`` the legends and texts
        that reach outside the image (none).
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
                common.value_axis(ax.yaxis, panel["unit"])
                ax.set_title(f"{label(s.removesuffix('.*'))} by department (median)")
            ax.set_xlabel("quarter")
            ax.set_ylabel(panel["label"])
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        handles = [
            (
                Patch(**_band_style(a)),
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
        clipped = common.clipped(fig)
    return Chart(name, paths, {"series": list(series), "panels": panels, "clipped": clipped})


def _draw_band(ax: Axes, panel: Mapping[str, Any]) -> None:
    """A plain series: per arm, the median over runs in a 10-90 % band.

    The broker arm's band is filled and outlined solid, the other's hatched and
    outlined dashed, so where they overlap both stay visible as two.
    """
    for arm in ("on", "off"):
        b = panel[arm]
        ax.fill_between(b["quarter"], b["p10"], b["p90"], **_band_style(arm))
        ax.plot(b["quarter"], b["median"], color=ARM_COLOURS[arm], ls=ARM_STYLES[arm], lw=2)
    common.value_axis(ax.yaxis, panel["unit"])


def _band_style(arm: str) -> dict[str, Any]:
    """How an arm's band is drawn (and its legend patch): fill or hatch, and outline."""
    return common.band_style(ARM_COLOURS[arm], ARM_HATCHES[arm], ARM_STYLES[arm])


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
                mfc=colour if arm == "on" else "white",
            )
        name = label(f"headcount.{dept}").partition(": ")[2]  # "QA", as the tables write it
        dept_handles.append(Line2D([], [], color=colour, lw=2, marker=marker, ms=4, label=name))
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
    """Conflict funnel: raised → detected, then how every raised conflict ended.

    Grouped bars per arm of the mean count per run, from
    :func:`~orgsim.reporting.charts.summaries.funnel_stages`: raised and detected
    (a funnel), then the outcomes, a partition of the raised conflicts (resolved in
    negotiation, by the broker, by the CEO; lapsed; still open) whose shares of
    raised, annotated on the bars, sum to 100 % in each arm. Escalations to the
    CEO overlap the outcomes (an escalated conflict is resolved by the CEO, lapses
    or stays open), so the subtitle counts them rather than a bar. Records stored
    before the funnel split resolutions by forum show ``Resolved`` unsplit.

    Args:
        funnel_on: Funnel count to one count per run, with the broker.
        funnel_off: The same without the broker.
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["stages"]`` is the bar order (funnel keys),
        ``data["on"]`` and ``data["off"]`` the mean counts per stage (NaN for a
        stage absent from that arm), ``data["shares"][arm]`` their shares of
        raised, ``data["labels"][arm]`` the annotations, ``data["escalated"]`` the
        mean escalations per arm, ``data["split"]`` whether resolved is split by
        forum, ``data["clipped"]`` the texts outside the image (none) and
        ``data["summary"]`` the
        :class:`~orgsim.reporting.charts.summaries.FunnelSummary` drawn.
    """
    fs = summaries.funnel_stages(funnel_on, funnel_off)
    stages = [st.key for st in fs.stages]
    means = {arm: np.array([st.mean[arm] for st in fs.stages]) for arm in ("on", "off")}
    shares = {arm: np.array([st.share[arm] for st in fs.stages]) for arm in ("on", "off")}
    texts = {arm: [st.text[arm] for st in fs.stages] for arm in ("on", "off")}
    with common.style():
        fig = common.figure(8.5, 1.9 + 0.75 * max(len(stages), 2))
        ax = fig.subplots()
        y = _funnel_positions(fs.stages)
        _draw_funnel(ax, y, means, texts)
        ax.set_yticks(y, [st.label for st in fs.stages])
        ax.set_xlabel("Conflicts per run (mean count)")
        ax.set_title(
            "Conflict funnel: raised → detected, then how each raised conflict ended\n"
            + _escalated_text(fs.escalated),
            fontsize=10,
        )
        fig.legend(loc="outside lower center", ncol=2, frameon=False)
        paths = common.save(fig, out_dir, name)
        clipped = common.clipped(fig)
    data = {
        "clipped": clipped,
        "stages": stages,
        "on": means["on"],
        "off": means["off"],
        "shares": shares,
        "labels": texts,
        "escalated": dict(fs.escalated),
        "split": fs.split,
        "summary": fs,
    }
    return Chart(name, paths, data)


def _funnel_positions(stages: Sequence[summaries.FunnelStage]) -> np.ndarray:
    """Rows top to bottom, with a gap of half a row before the outcomes."""
    gap = np.array([0.5 if st.part == "outcome" else 0.0 for st in stages])
    return np.arange(len(stages)) + gap


def _draw_funnel(
    ax: Axes, y: np.ndarray, means: Mapping[str, np.ndarray], texts: Mapping[str, list[str]]
) -> None:
    """Both arms' bars, annotated, with the outcomes' heading above them."""
    h = 0.38
    for offset, arm in ((-h / 2, "on"), (h / 2, "off")):
        bars = ax.barh(
            y + offset,
            np.nan_to_num(means[arm]),
            height=h,
            color=ARM_COLOURS[arm],
            edgecolor="white",
            hatch="" if arm == "on" else "//",
            label=ARM_LABELS[arm],
        )
        ax.bar_label(bars, labels=texts[arm], padding=3, fontsize=9)
    outcomes = np.flatnonzero(np.diff(y) > 1.0)
    if outcomes.size:
        at = float(y[outcomes[0]] + y[outcomes[0] + 1]) / 2
        ax.axhline(at, color="#999999", lw=0.8, ls=":")
        ax.annotate(
            "outcome (shares of raised, summing to 100%):",
            xy=(0.0, at),
            xycoords=ax.get_yaxis_transform(),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
            style="italic",
            color="#444444",
            backgroundcolor="white",
        )
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    finite = np.concatenate([means["on"], means["off"]])
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    ax.set_xlim(0, top * 1.3)


def _escalated_text(escalated: Mapping[str, float]) -> str:
    """The subtitle: the escalations per arm, which the outcomes already include."""
    counts = ", ".join(
        f"{'n/a' if math.isnan(v) else f'{v:.1f}'} {ARM_LABELS[arm]}"
        for arm, v in escalated.items()
    )
    return f"escalated to the CEO: {counts} (each also in one outcome)"
