"""Charts of an explore ensemble: which policy pays, how much each regrets, where it pays.

* :func:`levers_chart`: per policy, the probability it beats the reference (with
  its Wilson 95% interval) and the spread of its paired effect over the points.
* :func:`regret_chart`: per policy, its regret at every point (a strip over a box
  plot), with the maximum and the 90th percentile marked; the minimax-regret
  policy is highlighted.
* :func:`prim_tradeoff_chart`: PRIM's peeling trajectory, coverage against
  density, and the chosen box's limits over each uncertainty's range with their
  quasi-p-values.
* :func:`pairs_chart`: the most influential uncertainties pairwise, each point
  coloured by whether the focus policy pays there, the PRIM box drawn over them.

:func:`explore_charts` draws every one that applies. The numbers come from
:func:`orgsim.analysis.discovery.analyse_ensemble`; see docs/discovery.md for how
to read them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from orgsim.analysis.discovery import EnsembleAnalysis, FeatureScores, PrimResult
from orgsim.metrics.catalogue import UNITS, label
from orgsim.metrics.format import format_number
from orgsim.reporting.charts import common
from orgsim.reporting.charts.common import BLUE, RED, Chart, PathLike, param_label

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "explore_charts",
    "levers_chart",
    "pairs_chart",
    "prim_tradeoff_chart",
    "regret_chart",
]

PAYS, NOT_PAYS = BLUE, "#E69F00"
GREY = "#7F7F7F"


def _metric_text(analysis: EnsembleAnalysis) -> tuple[str, str]:
    """The outcome's label and unit (``Net value``, ``k$``)."""
    if not analysis.metric:
        return "outcome", ""
    return label(analysis.metric), UNITS.get(analysis.metric, "")


def _with_unit(text: str, unit: str) -> str:
    """An axis label with its unit; none for k$ or a share, whose ticks write theirs."""
    return text + common.unit_suffix(unit)


def _direction(analysis: EnsembleAnalysis) -> str:
    return "higher" if analysis.better == "higher" else "lower"


# --- levers -------------------------------------------------------------------------


def levers_chart(analysis: EnsembleAnalysis, out_dir: PathLike, name: str = "levers") -> Chart:
    """Each policy against the reference: how often it beats it, and by how much.

    Returns:
        The chart; ``data["levers"]`` (top to bottom) holds per policy its
        ``p_beats`` with ``low``/``high`` (Wilson interval), ``points``, the mean
        effect with its CI (``effect``, ``effect_low``, ``effect_high``) and the
        effect's quantiles ``p5`` ... ``p95``.
    """
    metric, unit = _metric_text(analysis)
    rows: list[dict[str, Any]] = [
        {
            "lever": lever,
            "p_beats": s.p_beats.share,
            "low": s.p_beats.low,
            "high": s.p_beats.high,
            "points": s.points,
            "effect": s.effect.mean,
            "effect_low": s.effect.low,
            "effect_high": s.effect.high,
            **{f"p{q}": v for q, v in s.quantiles.items()},
        }
        for lever, s in analysis.levers.items()
    ]
    n = len(rows)
    with common.style():
        fig = common.figure(10.0, 2.2 + 0.55 * max(n, 2))
        left, right = fig.subplots(1, 2, sharey=True)
        ys = np.arange(n)
        for y, row in zip(ys, rows, strict=True):
            if math.isfinite(row["p_beats"]):
                left.errorbar(
                    row["p_beats"],
                    y,
                    xerr=_bounds(row["p_beats"], row["low"], row["high"]),
                    fmt="o",
                    color=BLUE,
                    capsize=4,
                )
                left.annotate(
                    f"{row['p_beats']:.0%}",
                    (row["p_beats"], y),
                    xytext=(0, 7),
                    textcoords="offset points",
                    ha="center",
                    fontsize=9,
                )
            if math.isfinite(row["p50"]):
                right.plot([row["p5"], row["p95"]], [y, y], color=GREY, lw=1.2, zorder=1)
                right.plot(
                    [row["p25"], row["p75"]],
                    [y, y],
                    color=BLUE,
                    lw=8,
                    alpha=0.35,
                    solid_capstyle="butt",
                    zorder=2,
                )
                right.plot(row["p50"], y, "|", color=BLUE, ms=14, mew=2, zorder=3)
                if math.isfinite(row["effect_low"]):
                    right.errorbar(
                        row["effect"],
                        y,
                        xerr=_bounds(row["effect"], row["effect_low"], row["effect_high"]),
                        fmt="D",
                        color="#000000",
                        ms=5,
                        capsize=3,
                        zorder=4,
                    )
        left.axvline(0.5, color=GREY, lw=0.8, ls=":")
        left.set_xlim(0, 1)
        left.xaxis.set_major_formatter(_percent())
        left.set_xlabel(f"share of scenarios where it beats {analysis.reference} (95% CI)")
        left.set_yticks(ys, [r["lever"] for r in rows])
        left.set_ylim(len(rows) - 0.5, -0.8)  # top to bottom, room above the first label
        left.grid(axis="y", visible=False)
        right.axvline(0.0, color=RED, lw=1.0, ls=":")
        right.set_xlabel(_with_unit(f"effect on {metric} vs {analysis.reference}", unit))
        right.grid(axis="y", visible=False)
        common.value_axis(right.xaxis, unit)
        left.set_title(f"probability it beats {analysis.reference}", fontsize=10)
        right.set_title(
            "effect over the scenarios: bar middle half, line 5–95%,\n"
            "tick median, diamond mean (95% CI)",
            fontsize=9,
        )
        fig.suptitle(
            f"How often each policy beats {analysis.reference}, and by how much\n"
            f"{metric}, {_direction(analysis)} is better; {analysis.points} scenarios × "
            f"{analysis.replications} paired replications"
        )
        paths = common.save(fig, out_dir, name)
    return Chart(name, paths, {"levers": rows, "metric": analysis.metric})


def _bounds(value: float, low: float, high: float) -> list[list[float]]:
    """Error-bar lengths below and above ``value``; never negative (rounding at a bound)."""
    return [[max(0.0, value - low)], [max(0.0, high - value)]]


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


# --- regret -------------------------------------------------------------------------


def regret_chart(analysis: EnsembleAnalysis, out_dir: PathLike, name: str = "regret") -> Chart:
    """Every policy's regret at every point: a strip over a box plot, max and p90 marked.

    Returns:
        The chart; ``data["levers"]`` holds per policy (top to bottom) its ``max``,
        ``p90`` and ``mean`` regret; ``data["minimax"]`` the minimax-regret policy,
        ``data["points"]`` and ``data["dropped"]`` the points used and left out.
    """
    r = analysis.regret
    metric, unit = _metric_text(analysis)
    rows: list[dict[str, Any]] = [
        {"lever": lv, "max": r.max[lv], "p90": r.p90[lv], "mean": r.mean[lv]} for lv in r.levers
    ]
    n = len(rows)
    jitter = np.random.default_rng(0)  # a fixed local stream: the same chart every time
    with common.style():
        fig = common.figure(9.5, 2.0 + 0.6 * max(n, 2))
        ax = fig.subplots()
        if r.kept.size == 0:
            common.no_data(ax, "no point where every policy has a value")
        for y, row in enumerate(rows):
            values = r.by_point[row["lever"]]
            if values.size == 0:
                continue
            best = row["lever"] in r.minimax_tied
            colour = BLUE if best else GREY
            ax.scatter(
                values,
                y + jitter.uniform(-0.18, 0.18, size=values.size),
                s=6,
                color=colour,
                alpha=0.35,
                lw=0,
                zorder=1,
            )
            ax.boxplot(
                values,
                positions=[y],
                orientation="horizontal",
                widths=0.5,
                showfliers=False,
                whis=(5, 95),
                patch_artist=True,
                boxprops={"facecolor": "none", "edgecolor": colour, "lw": 1.4},
                medianprops={"color": colour, "lw": 1.6},
                whiskerprops={"color": colour},
                capprops={"color": colour},
                zorder=2,
            )
            ax.plot(
                row["p90"],
                y,
                "v",
                color="#000000",
                ms=7,
                zorder=3,
                label="90th percentile" if y == 0 else None,
            )
            ax.plot(
                row["max"], y, "D", color=RED, ms=6, zorder=3, label="maximum" if y == 0 else None
            )
            ax.annotate(
                f"max {common.value_text(row['max'], unit)}",
                (row["max"], y),
                xytext=(6, -3),
                textcoords="offset points",
                fontsize=8,
                color=RED,
                va="top",
            )
        ax.set_yticks(
            range(n),
            [
                f"{row['lever']}  ★" if row["lever"] in r.minimax_tied else row["lever"]
                for row in rows
            ],
        )
        for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
            if row["lever"] in r.minimax_tied:
                tick.set_fontweight("bold")
                tick.set_color(BLUE)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        widest = max([row["max"] for row in rows if math.isfinite(row["max"])] + [1.0])
        ax.set_xlim(-0.02 * widest, 1.14 * widest)  # room for the "max" label right of it
        common.value_axis(ax.xaxis, unit)
        ax.set_xlabel(_with_unit(f"regret: best policy's {metric} minus this policy's", unit))
        if r.kept.size:  # below the plot: inside, it lands on some policy's maximum
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
        chosen = ", ".join(r.minimax_tied) if r.minimax_tied else "none"
        dropped = f"; {r.dropped} point(s) left out (a policy had no value)" if r.dropped else ""
        fig.suptitle(
            f"Regret of each policy over {r.kept.size} scenarios; ★ minimax regret: {chosen}\n"
            f"box: middle half, whiskers: 5–95%, each dot one scenario{dropped}"
        )
        paths = common.save(fig, out_dir, name)
    return Chart(
        name,
        paths,
        {
            "levers": rows,
            "minimax": r.minimax,
            "minimax_tied": list(r.minimax_tied),
            "points": int(r.kept.size),
            "dropped": r.dropped,
        },
    )


# --- PRIM ---------------------------------------------------------------------------


def prim_tradeoff_chart(
    analysis: EnsembleAnalysis, out_dir: PathLike, name: str = "prim_tradeoff"
) -> Chart | None:
    """PRIM's trade-off of coverage and density, and the chosen box's limits.

    Returns:
        None when there is no PRIM box (``analysis.prim_reason`` says why); else
        the chart, with ``data["trajectory"]`` (per step ``coverage``,
        ``density``, ``mass``, ``restricted``), ``data["chosen"]`` and
        ``data["limits"]`` (per restricted uncertainty its ``low``/``high``, the
        same normalised to its observed range, ``norm_low``/``norm_high``, and
        ``qp``).
    """
    prim = analysis.prim
    if prim is None:
        return None
    traj = [
        {"coverage": s.coverage, "density": s.density, "mass": s.mass, "restricted": s.restricted}
        for s in prim.trajectory
    ]
    limits = [
        _limit_row(b.name, b.low, b.high, b.observed_low, b.observed_high, b.qp)
        for b in prim.limits
    ]
    metric, _ = _metric_text(analysis)
    with common.style():
        fig = common.figure(11.5, 4.8)
        left, right = fig.subplots(1, 2, width_ratios=[1.0, 1.1])
        _draw_tradeoff(fig, left, prim)
        _draw_limits(right, limits)
        fig.suptitle(
            f"Where {analysis.focus} beats {analysis.reference} on {metric}: the PRIM box\n"
            f"{prim.paying} of {prim.points} scenarios pay; the box holds "
            f"{prim.coverage:.0%} of them (coverage), and {prim.density:.0%} of the "
            f"scenarios in it pay (density)"
        )
        paths = common.save(fig, out_dir, name)
    return Chart(
        name, paths, {"trajectory": traj, "chosen": prim.chosen, "limits": limits, "why": prim.why}
    )


def _limit_row(
    name: str, low: float, high: float, lo: float, hi: float, qp: float
) -> dict[str, Any]:
    span = hi - lo
    return {
        "name": name,
        "low": low,
        "high": high,
        "norm_low": (low - lo) / span if span > 0 else 0.0,
        "norm_high": (high - lo) / span if span > 0 else 1.0,
        "qp": qp,
    }


def _draw_tradeoff(fig: Any, ax: Axes, prim: PrimResult) -> None:
    """Coverage against density for every step, coloured by restricted dimensions."""
    import matplotlib as mpl

    cov = np.array([s.coverage for s in prim.trajectory])
    den = np.array([s.density for s in prim.trajectory])
    res = np.array([s.restricted for s in prim.trajectory])
    top = int(res.max())
    cmap = mpl.colormaps["viridis"].resampled(top + 1)
    norm = mpl.colors.BoundaryNorm(np.arange(-0.5, top + 1.5), top + 1)
    ax.plot(cov, den, color="#BBBBBB", lw=0.8, zorder=1)
    points = ax.scatter(cov, den, c=res, cmap=cmap, norm=norm, s=28, zorder=2, edgecolors="none")
    bar = fig.colorbar(points, ax=ax, ticks=range(top + 1), pad=0.01)
    bar.set_label("uncertainties restricted")
    ax.axhline(prim.threshold, color=GREY, ls="--", lw=0.9)
    ax.annotate(
        f"density threshold {prim.threshold:g}",
        (0.02, prim.threshold),
        xycoords=("axes fraction", "data"),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=8,
        color="#555555",
    )
    s = prim.trajectory[prim.chosen]
    ax.scatter([s.coverage], [s.density], s=160, facecolors="none", edgecolors=RED, lw=2, zorder=3)
    ax.annotate(
        f"chosen box (step {s.step})\ncoverage {s.coverage:.0%}, density {s.density:.0%},\n"
        f"{s.mass:.0%} of scenarios, {s.restricted} restricted",
        (s.coverage, s.density),
        xytext=(-14, -14),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=8,
        color=RED,
        bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": RED, "lw": 0.6, "alpha": 0.9},
    )
    ax.set_xlabel("coverage: share of paying scenarios inside the box")
    ax.set_ylabel("density: share of the box's scenarios that pay")
    ax.set_xlim(-0.02, 1.04)
    ax.set_ylim(max(0.0, float(den.min()) - 0.05), 1.03)
    ax.xaxis.set_major_formatter(_percent())
    ax.yaxis.set_major_formatter(_percent())
    ax.set_title("peeling trajectory: each dot a candidate box", fontsize=10)


def _draw_limits(ax: Axes, limits: Sequence[Mapping[str, Any]]) -> None:
    """The chosen box's limits on each restricted uncertainty, over its full range."""
    if not limits:
        common.no_data(ax, "the chosen box restricts no uncertainty")
        ax.set_axis_off()
        return
    for y, row in enumerate(limits):
        ax.barh(y, 1.0, left=0.0, height=0.5, color="#E5E5E5", zorder=1)
        ax.barh(
            y,
            row["norm_high"] - row["norm_low"],
            left=row["norm_low"],
            height=0.5,
            color=BLUE,
            zorder=2,
        )
        qp = row["qp"]
        qp_text = f"qp {qp:.1g}" if math.isfinite(qp) else "qp –"
        ax.text(
            1.02,
            y,
            f"{_num(row['low'])} to {_num(row['high'])}\n{qp_text}",
            va="center",
            fontsize=8,
            transform=ax.get_yaxis_transform(),
        )
    ax.set_yticks(range(len(limits)), [param_label(r["name"]) for r in limits])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_ylim(len(limits) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("position in the uncertainty's sampled range (0 = lowest, 1 = highest)")
    ax.set_title("the chosen box: its range on each restricted uncertainty", fontsize=10)


def _num(value: float) -> str:
    return format_number(value, style="compact") if abs(value) >= 1000 else f"{value:.3g}"


# --- pairs --------------------------------------------------------------------------


def pairs_chart(
    x: Mapping[str, Any],
    y_pays: Any,
    scores: FeatureScores | Sequence[str],
    out_dir: PathLike,
    top: int = 3,
    *,
    prim: PrimResult | None = None,
    focus: str = "the broker",
    name: str = "pairs",
) -> Chart:
    """The ``top`` most influential uncertainties pairwise, points coloured by whether it pays.

    Args:
        x: Uncertainty name to its value at each point.
        y_pays: Whether the focus policy pays at each point; NaN (a point with no
            effect) is left out.
        scores: The feature scores (or uncertainty names, most influential first).
        out_dir: Folder of the files.
        top: How many uncertainties.
        prim: The PRIM box, drawn on every panel where it restricts an axis (the
            unrestricted axis spans its whole range).
        focus: The policy's name, for the title.
        name: File stem.

    Returns:
        The chart; ``data["names"]`` the uncertainties drawn, ``data["pays"]`` and
        ``data["points"]`` the paying and plotted points, ``data["boxes"]`` per
        drawn panel ``(x name, y name)`` its rectangle ``(x0, x1, y0, y1)``.
    """
    order = list(scores.names) if isinstance(scores, FeatureScores) else list(scores)
    names = [nm for nm in order if nm in x][: max(1, top)]
    what = (
        f"the {len(names)} most influential uncertainties"
        if isinstance(scores, FeatureScores)
        else ", ".join(param_label(nm) for nm in names)
    )
    pays_raw = np.asarray(y_pays, dtype=np.float64)
    keep = np.isfinite(pays_raw)
    pays = pays_raw[keep] > 0.5
    cols = {nm: np.asarray(x[nm], dtype=np.float64)[keep] for nm in names}
    limits = {b.name: b for b in prim.limits} if prim is not None else {}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    k = len(names)
    with common.style():
        size = 2.6 * k + 1.0
        fig = common.figure(size, size + 0.4)
        cells = fig.subplots(k, k, squeeze=False)
        for i, yn in enumerate(names):
            for j, xn in enumerate(names):
                ax = cells[i][j]
                if j > i:
                    ax.set_visible(False)
                    continue
                if i == j:
                    _histogram(ax, cols[xn], pays)
                else:
                    _scatter(ax, cols[xn], cols[yn], pays)
                    rect = _rectangle(ax, limits, xn, yn, cols)
                    if rect is not None:
                        boxes[f"{xn} | {yn}"] = rect
                if _spans_decades(cols[xn]):
                    ax.set_xscale("log")
                if i != j and _spans_decades(cols[yn]):
                    ax.set_yscale("log")
                if i == k - 1:
                    ax.set_xlabel(param_label(xn))
                else:
                    ax.tick_params(labelbottom=False)
                if j == 0 and i > 0:
                    ax.set_ylabel(param_label(yn))
                elif i == j:
                    ax.set_ylabel("scenarios" if j == 0 else "")
        _pairs_legend(fig, prim is not None and bool(boxes))
        fig.suptitle(
            f"Where {focus} pays, over {what}\n{int(pays.sum())} of {int(pays.size)} scenarios pay"
        )
        paths = common.save(fig, out_dir, name)
    return Chart(
        name,
        paths,
        {"names": names, "pays": int(pays.sum()), "points": int(pays.size), "boxes": boxes},
    )


def _spans_decades(values: np.ndarray) -> bool:
    """Whether a positive uncertainty spans more than a decade (size, sampled log-uniform).

    Such an axis is drawn on a log scale, so that the small companies, half of a
    log-uniform sample, are not squeezed against the left edge.
    """
    finite = values[np.isfinite(values)]
    return bool(finite.size) and float(finite.min()) > 0 and finite.max() > 10 * finite.min()


def _histogram(ax: Axes, values: np.ndarray, pays: np.ndarray) -> None:
    bins: Any = 10
    if values.size and _spans_decades(values):
        bins = np.geomspace(float(values.min()), float(values.max()), 16)
    elif values.size:
        bins = np.linspace(float(values.min()), float(values.max()), 16)
    ax.hist(
        [values[~pays], values[pays]],
        bins=bins,
        stacked=True,
        color=[NOT_PAYS, PAYS],
        alpha=0.85,
    )
    ax.grid(axis="x", visible=False)


def _scatter(ax: Axes, xs: np.ndarray, ys: np.ndarray, pays: np.ndarray) -> None:
    ax.scatter(xs[~pays], ys[~pays], s=7, color=NOT_PAYS, alpha=0.55, lw=0, zorder=1)
    ax.scatter(xs[pays], ys[pays], s=7, color=PAYS, alpha=0.7, lw=0, zorder=2)


def _rectangle(
    ax: Axes, limits: Mapping[str, Any], xn: str, yn: str, cols: Mapping[str, np.ndarray]
) -> tuple[float, float, float, float] | None:
    """Draw the PRIM box where it restricts either axis; its rectangle, or None."""
    from matplotlib.patches import Rectangle

    if xn not in limits and yn not in limits:
        return None

    def span(nm: str) -> tuple[float, float]:
        if nm in limits:
            return float(limits[nm].low), float(limits[nm].high)
        return float(cols[nm].min()), float(cols[nm].max())

    (x0, x1), (y0, y1) = span(xn), span(yn)
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=RED, lw=1.8, zorder=3))
    return (x0, x1, y0, y1)


def _pairs_legend(fig: Any, with_box: bool) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [
        Line2D([], [], marker="o", ls="", color=PAYS, label="pays"),
        Line2D([], [], marker="o", ls="", color=NOT_PAYS, label="does not pay"),
    ]
    if with_box:
        handles.append(Patch(fill=False, edgecolor=RED, lw=1.8, label="PRIM box"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)


# --- all ----------------------------------------------------------------------------


def explore_charts(
    analysis: EnsembleAnalysis, x: Mapping[str, Any], out_dir: PathLike
) -> list[Chart]:
    """Every explore chart that applies: levers, regret, PRIM trade-off, pairs.

    The PRIM chart is skipped when there is no box; the pairs chart orders the
    uncertainties by their feature scores, or as given when there are none.
    """
    charts = [levers_chart(analysis, out_dir), regret_chart(analysis, out_dir)]
    tradeoff = prim_tradeoff_chart(analysis, out_dir)
    if tradeoff is not None:
        charts.append(tradeoff)
    scores: FeatureScores | Sequence[str] = (
        analysis.features if analysis.features is not None else list(analysis.uncertainties)
    )
    pays = np.where(analysis.used, analysis.pays.astype(np.float64), np.nan)
    charts.append(pairs_chart(x, pays, scores, out_dir, prim=analysis.prim, focus=analysis.focus))
    return charts
