"""Charts of a parameter sweep: effect heatmaps and effect curves, and all of them.

The broker's effect at a point is the paired difference with − without broker,
relative to the without-broker mean or in the metric's unit (see
:mod:`orgsim.reporting.charts.pooling`). Colours are diverging and centred at
zero; blue always means *the broker is better* (for a metric where lower is
better, a negative difference is blue), red worse, and purple/orange are used for
metrics without a preferred direction. :func:`sweep_charts` draws the standard
set, the sensitivity bars of :mod:`orgsim.reporting.charts.sensitivity` included.

A mark of significance (a dot, a ring, a filled marker) means the cell's paired
t-test p-value, adjusted by Benjamini–Hochberg over the panel's cells, is below
0.05: of the marks on a panel about 5% at most are expected to be false. The bands
and annotations are the unadjusted 95% CIs. Each legend says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from orgsim.metrics.catalogue import BETTER, UNITS, label
from orgsim.metrics.format import format_level
from orgsim.reporting.charts import common, pooling
from orgsim.reporting.charts.common import (
    BLUE,
    DEPT_COLOURS,
    SERIES_HATCHES,
    Chart,
    PathLike,
    axis_label,
    param_label,
)
from orgsim.reporting.charts.sensitivity import delta_bars, morris_bars, sobol_bars

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from orgsim.analysis.sensitivity import Sensitivity
    from orgsim.experiments.sweep.aggregate import PointResult
    from orgsim.experiments.sweep.spec import SweepSpec

__all__ = ["effect_curve", "effect_map", "sweep_charts"]

_CMAPS = {"higher": "RdBu", "lower": "RdBu_r", "": "PuOr"}

#: What a mark of significance means, as the legends say it.
SIGNIFICANT = (
    "paired t-test p < 0.05 after Benjamini–Hochberg over the panel's cells (FDR 5%); "
    "CIs unadjusted"
)


def _mode_text(metric: str, relative: bool, paired_sweep: bool) -> str:
    if not paired_sweep:
        return axis_label(metric, UNITS.get(metric, ""))
    if relative:
        return "with − without broker (% of without)"
    return "with − without broker" + common.unit_suffix(UNITS.get(metric, ""))


def _norm(values: np.ndarray, paired_sweep: bool) -> Any:
    from matplotlib.colors import Normalize, TwoSlopeNorm

    finite = values[np.isfinite(values)]
    if not paired_sweep:
        if finite.size == 0:
            return Normalize(0.0, 1.0)
        lo, hi = float(finite.min()), float(finite.max())
        return Normalize(lo, hi if hi > lo else lo + 1.0)
    peak = float(np.max(np.abs(finite))) if finite.size else 0.0
    peak = peak if peak > 0 else 1.0
    return TwoSlopeNorm(vcenter=0.0, vmin=-peak, vmax=peak)


def _cmap(metric: str, paired_sweep: bool) -> str:
    return _CMAPS[BETTER.get(metric, "")] if paired_sweep else "cividis"


# --- heatmap / effect map -----------------------------------------------------------


def effect_map(
    points: Sequence[PointResult],
    x: str,
    y: str,
    metrics: Sequence[str],
    out_dir: PathLike,
    *,
    paired_sweep: bool = True,
    name: str = "heatmap",
) -> Chart:
    """The broker's effect over two parameters, one panel per metric.

    A full grid over ``x`` and ``y`` is drawn as a heatmap whose cells are
    annotated with the effect; cells significant after Benjamini–Hochberg over the
    panel's cells carry a dot and bold text. Scattered designs (LHS, Sobol, Morris)
    are drawn as points coloured the same way, ringed in black when significant.
    Unpaired sweeps show the metric's mean on a sequential colour map instead.

    Args:
        points: The sweep's point results.
        x: Parameter on the horizontal axis.
        y: Parameter on the vertical axis.
        metrics: One panel per metric.
        out_dir: Directory for ``{name}.png`` and ``.svg``.
        paired_sweep: Whether ``points`` hold paired effects.
        name: File stem.

    Returns:
        The chart; ``data["kind"]`` is ``"grid"`` or ``"scatter"``, ``data["x"]``
        and ``data["y"]`` the parameters, ``data["x_levels"]``/``data["y_levels"]``
        the axis values (grid), and ``data["panels"][metric]`` holds ``relative``
        (whether values are % of the without-broker mean), ``values`` (rows = y
        levels, columns = x levels, NaN where empty; for scatter one per point),
        ``low``, ``high``, ``significant`` (same shape; BH-adjusted) and ``text``
        (the annotations).
    """
    x_levels, y_levels = pooling.levels(points, x), pooling.levels(points, y)
    is_grid, panels = pooling.map_panels(points, x, y, metrics, paired_sweep)
    with common.style():
        n = len(metrics)
        rows, cols = common.grid(n, 3 if n > 4 else 2)
        width = 4.6 if is_grid else 4.4
        fig = common.figure(width * cols + 0.3, 3.9 * rows + 0.9)
        for ax, metric in zip(common.axes(fig, n, cols), metrics, strict=True):
            panel = panels[metric]
            norm = _norm(np.asarray(panel["values"], dtype=float), paired_sweep)
            cmap = _cmap(metric, paired_sweep)
            if is_grid:
                image = _draw_grid(ax, panel, x_levels, y_levels, norm, cmap, paired_sweep)
            else:
                image = _draw_scatter(ax, panel, points, x, y, norm, cmap)
                common.integer_axis(ax.xaxis, [pr.params[x] for pr in points])
                common.integer_axis(ax.yaxis, [pr.params[y] for pr in points])
            bar = fig.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
            if not panel["relative"]:
                common.value_axis(bar.ax.yaxis, UNITS.get(metric, ""))
            bar.set_label(_mode_text(metric, panel["relative"], paired_sweep), fontsize=8)
            bar.ax.tick_params(labelsize=8)
            ax.set_title(label(metric))
            ax.set_xlabel(param_label(x))
            ax.set_ylabel(param_label(y))
        _map_legend(fig, is_grid, paired_sweep)
        paths = common.save(fig, out_dir, name)
    data = {
        "kind": "grid" if is_grid else "scatter",
        "x": x,
        "y": y,
        "x_levels": x_levels if is_grid else [pr.params[x] for pr in points],
        "y_levels": y_levels if is_grid else [pr.params[y] for pr in points],
        "panels": panels,
    }
    return Chart(name, paths, data)


def _map_legend(fig: Any, is_grid: bool, paired_sweep: bool) -> None:
    """The title, and for paired sweeps how a significant effect is marked."""
    if not paired_sweep:
        fig.suptitle("Mean over replications")
        return
    from matplotlib.lines import Line2D

    fig.suptitle("Broker effect (paired, with − without): blue = broker better, red = worse")
    if is_grid:
        note = f"bold with a dot: {SIGNIFICANT}"
        marker = Line2D([], [], ls="", marker="o", ms=4, color="#000000", label=note)
    else:
        note = f"ringed in black: {SIGNIFICANT}"
        marker = Line2D([], [], ls="", marker="o", ms=7, mfc="#DDDDDD", mec="#000000", label=note)
    fig.legend(handles=[marker], loc="outside lower center", frameon=False)


def _draw_grid(
    ax: Axes,
    panel: Mapping[str, Any],
    x_levels: Sequence[Any],
    y_levels: Sequence[Any],
    norm: Any,
    cmap: str,
    paired_sweep: bool,
) -> Any:
    values = np.asarray(panel["values"], dtype=float)
    masked = np.ma.masked_invalid(values)
    import matplotlib as mpl

    colours = mpl.colormaps[cmap].with_extremes(bad="#DDDDDD")
    image = ax.imshow(masked, cmap=colours, norm=norm, origin="lower", aspect="auto")
    for i in range(len(y_levels)):
        for j in range(len(x_levels)):
            v = values[i, j]
            sig = bool(panel["significant"][i][j])
            dark = math.isfinite(v) and _is_dark(image.cmap(norm(v)))
            colour = "white" if dark else "black"
            ax.text(
                j,
                i,
                panel["text"][i][j],
                ha="center",
                va="center",
                fontsize=9,
                color=colour,
                fontweight="bold" if sig else "normal",
            )
            if sig and paired_sweep:
                ax.plot(j + 0.36, i + 0.3, marker="o", ms=4, color=colour, ls="")
    ax.set_xticks(range(len(x_levels)), [format_level(v) for v in x_levels])
    ax.set_yticks(range(len(y_levels)), [format_level(v) for v in y_levels])
    ax.grid(False)
    ax.set_xlim(-0.5, len(x_levels) - 0.5)
    ax.set_ylim(-0.5, len(y_levels) - 0.5)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def _is_dark(rgba: Sequence[float]) -> bool:
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45


def _draw_scatter(
    ax: Axes,
    panel: Mapping[str, Any],
    points: Sequence[PointResult],
    x: str,
    y: str,
    norm: Any,
    cmap: str,
) -> Any:
    xs = [_numeric(pr.params[x]) for pr in points]
    ys = [_numeric(pr.params[y]) for pr in points]
    sig = np.asarray(panel["significant"], dtype=bool)
    values = np.asarray(panel["values"], dtype=float)
    image = ax.scatter(
        xs,
        ys,
        c=values,
        cmap=cmap,
        norm=norm,
        s=46,
        edgecolors=["#000000" if s else "#BBBBBB" for s in sig],
        linewidths=[1.6 if s else 0.6 for s in sig],
        zorder=3,
    )
    return image


def _geometric(x: np.ndarray) -> bool:
    """Whether levels span a wide positive range (0.25 ... 4): a log axis reads better."""
    return bool(x.size >= 3 and np.all(x > 0) and x.max() / x.min() >= 8)


def _numeric(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return math.nan


# --- effect curve ------------------------------------------------------------------


def effect_curve(
    points: Sequence[PointResult],
    x: str,
    metrics: Sequence[str],
    out_dir: PathLike,
    *,
    by: str | None = None,
    paired_sweep: bool = True,
    name: str | None = None,
) -> Chart:
    """The broker's effect against one parameter, with its 95% CI as a band.

    One line per level of ``by`` (Okabe-Ito colours), or one line pooled over
    everything else when ``by`` is None; one panel per metric. A filled dot marks
    a point whose effect is significant after Benjamini–Hochberg over the panel's
    points (all series together); the band is the unadjusted 95% CI.

    Returns:
        The chart; ``data["panels"][metric]`` holds ``relative`` and ``series``, a
        list of dicts with ``by`` (the level, or None), ``x``, ``value``, ``low``,
        ``high`` (arrays over the x levels) and ``significant``.
    """
    name = name or f"effect-{x.replace('.', '_')}"
    x_levels = pooling.levels(points, x)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x_levels)
    xpos = np.array(x_levels if numeric else range(len(x_levels)), dtype=float)
    panels = pooling.curve_panels(points, x, metrics, by, paired_sweep, xpos)
    with common.style():
        n = len(metrics)
        rows, cols = common.grid(n, 2)
        fig = common.figure(5.4 * cols + 0.3, 3.6 * rows + 1.0)
        for ax, metric in zip(common.axes(fig, n, cols), metrics, strict=True):
            panel = panels[metric]
            _draw_curves(ax, panel["series"], by is not None)
            if paired_sweep:
                ax.axhline(0.0, color="#000000", lw=0.9, zorder=2)
            if not numeric:
                ax.set_xticks(xpos, [format_level(v) for v in x_levels])
            elif _geometric(xpos):
                ax.set_xscale("log", base=2)
                ax.set_xticks(xpos, [format_level(v) for v in x_levels])
                ax.minorticks_off()
            else:
                common.integer_axis(ax.xaxis, x_levels)
            if not panel["relative"]:
                common.value_axis(ax.yaxis, UNITS.get(metric, ""))
            ax.set_xlabel(param_label(x))
            ax.set_ylabel(_mode_text(metric, panel["relative"], paired_sweep))
            ax.set_title(label(metric))
        _curve_legend(fig, by, pooling.levels(points, by) if by else [])
        what = (
            "Broker effect (with − without), 95% CI; filled: BH-adjusted p < 0.05"
            if paired_sweep
            else "Mean and 95% CI"
        )
        fig.suptitle(f"{what} against {param_label(x)}")
        paths = common.save(fig, out_dir, name)
    return Chart(name, paths, {"x": x, "by": by, "x_levels": list(x_levels), "panels": panels})


def _draw_curves(ax: Axes, series: Sequence[Mapping[str, Any]], coloured: bool) -> None:
    """Each series as a line in its CI band; filled dots where the effect is significant."""
    for k, s in enumerate(series):
        colour, ls, hatch = _curve_style(k) if coloured else (BLUE, "-", "")
        ax.fill_between(s["x"], s["low"], s["high"], **common.band_style(colour, hatch, ls))
        ax.plot(s["x"], s["value"], color=colour, ls=ls, lw=1.8, marker="", zorder=3)
        sig = s["significant"]
        ax.scatter(s["x"][sig], s["value"][sig], color=colour, s=24, zorder=4, edgecolors="none")
        ax.scatter(
            s["x"][~sig],
            s["value"][~sig],
            facecolors="white",
            edgecolors=colour,
            s=24,
            zorder=4,
            linewidths=1.2,
        )


def _curve_style(k: int) -> tuple[str, str, str]:
    """Colour, line style and band hatch of the ``k``-th level of ``by``."""
    n = len(common.SERIES_STYLES)
    return DEPT_COLOURS[k % len(DEPT_COLOURS)], common.SERIES_STYLES[k % n], SERIES_HATCHES[k % n]


def _curve_legend(fig: Any, by: str | None, by_levels: Sequence[Any]) -> None:
    """The levels of ``by`` (when there is one), and what a filled dot means."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    labels: list[str] = []
    for k, bv in enumerate(by_levels):
        colour, ls, hatch = _curve_style(k)
        band = Patch(**common.band_style(colour, hatch, ls))
        handles.append((band, Line2D([], [], color=colour, ls=ls, lw=2)))
        labels.append(format_level(bv))
    handles += [
        Line2D([], [], ls="", marker="o", color="#555555"),
        Line2D([], [], ls="", marker="o", mfc="white", mec="#555555"),
    ]
    labels += ["BH-adjusted p < 0.05", "not significant"]
    fig.legend(
        handles=handles,
        labels=labels,
        loc="outside lower center",
        ncol=min(len(handles), max(2, int(fig.get_figwidth() / 1.7))),  # inside the width
        frameon=False,
        title=param_label(by) if by else None,
        title_fontsize=9,
    )


# --- all of a sweep's charts -----------------------------------------------------------


def sweep_charts(
    spec: SweepSpec,
    points: Sequence[PointResult],
    sens: Sensitivity | None,
    out_dir: PathLike,
) -> list[Chart]:
    """The standard charts of a sweep.

    * ``heatmap``: the effect (or level) of each metric of interest over the first
      two parameters;
    * ``effect-<param>``: the effect against each of the first two parameters,
      one line per level of the other when the design is a grid of two;
    * ``sobol`` or ``morris``: the indices of the metrics' broker effects (paired)
      or levels (unpaired);
    * ``sensitivity-delta`` (grid and LHS designs): their delta and S1, when at
      least one could be estimated (delta needs 20 points or more).
    """
    names = list(spec.names)
    metrics = list(spec.metrics)
    out: list[Chart] = []
    if len(names) >= 2:
        out.append(
            effect_map(points, names[0], names[1], metrics, out_dir, paired_sweep=spec.paired)
        )
    grid2 = spec.design == "grid" and len(names) == 2
    for i, x in enumerate(names[:2]):
        by = (
            names[1 - i]
            if grid2 and len(pooling.levels(points, names[1 - i])) <= len(DEPT_COLOURS)
            else None
        )
        out.append(effect_curve(points, x, metrics, out_dir, by=by, paired_sweep=spec.paired))
    if sens is not None:
        wanted = [f"{m}.effect" if spec.paired else m for m in metrics]
        if sens.method == "sobol":
            out.append(sobol_bars(sens, out_dir, wanted))
        elif sens.method == "morris":
            out.append(morris_bars(sens, out_dir, wanted))
        elif any(o in sens.indices for o in wanted):  # too few points: no chart
            out.append(delta_bars(sens, out_dir, wanted))
    return out
