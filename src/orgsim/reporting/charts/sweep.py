"""Charts of a parameter sweep: effect heatmaps, effect curves, sensitivity bars.

The same standards as :mod:`orgsim.charts`, whose palette, labels, figure and save
helpers these reuse: every function writes one PNG (150 dpi) and SVG and returns a
:class:`~orgsim.charts.Chart` whose ``data`` holds the exact numbers plotted;
matplotlib is imported only inside the functions, through the object-oriented API.

The broker's effect at a point is the paired difference with − without broker,
shown relative to the without-broker mean (%), or in the metric's own unit when a
relative figure would mislead: when the without-broker means change sign or come
close to zero across the chart (net value often does), so that a few percent of
nearly nothing would dominate the colour scale. Colours are diverging and centred
at zero; blue always means *the broker is better* (for a metric where lower is
better, a negative difference is blue), red worse, and purple/orange are used for
metrics without a preferred direction.

When several design points fall on one cell (a grid of three parameters seen over
two), the cell's effect is pooled per replication: each replication's values are
averaged over the cell's points, then paired, so the CI stays a CI over
replications and keeps the common random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from orgsim.analysis.stats import mean_ci, paired
from orgsim.metrics.catalogue import BETTER, UNITS
from orgsim.reporting.charts.compare import (
    DEPT_COLOURS,
    Chart,
    PathLike,
    _axes,
    _figure,
    _grid,
    _save,
    _style,
    label,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from orgsim.analysis.sensitivity import Sensitivity
    from orgsim.experiments.sweep.aggregate import PointResult
    from orgsim.experiments.sweep.spec import SweepSpec

__all__ = [
    "delta_bars",
    "effect_curve",
    "effect_map",
    "morris_bars",
    "param_label",
    "pooled",
    "sobol_bars",
    "sweep_charts",
]

BLUE, RED = "#0072B2", "#D55E00"
_CMAPS = {"higher": "RdBu", "lower": "RdBu_r", "": "PuOr"}
_MAX_RELATIVE = 3.0  # beyond ±300% a relative effect is read as noise around zero


def param_label(path: str) -> str:
    """Axis label of a swept parameter (its dotted path; ``scale`` explained)."""
    if path == "scale":
        return "company size (× base scenario)"
    return path


def _unit(metric: str) -> str:
    return UNITS.get(metric, "")


def _better(metric: str) -> str:
    return BETTER.get(metric, "")


# --- pooling ----------------------------------------------------------------------


def pooled(points: Sequence[PointResult], metric: str, paired_sweep: bool) -> dict[str, Any]:
    """The effect (paired sweeps) or level (unpaired) of ``metric`` over some points.

    Each replication's values are averaged over the points first (replications
    complete in all of them), so a single point gives exactly its own comparison.

    Returns:
        ``diff``, ``low``, ``high`` (absolute; for unpaired sweeps the mean and its
        CI), ``off`` (without-broker mean; NaN unpaired), ``rel``, ``rel_low``,
        ``rel_high`` (share of ``|off|``), ``significant`` and ``n``.
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
        c = paired(stack("on"), stack("off"), better=_better(metric))
        return {
            "diff": c.diff.mean,
            "low": c.diff.low,
            "high": c.diff.high,
            "off": c.off.mean,
            "rel": c.relative,
            "rel_low": c.relative_low,
            "rel_high": c.relative_high,
            "significant": c.significant,
            "n": c.diff.n,
        }
    arm = next(iter(points[0].samples), "on")
    e = mean_ci(stack(arm))
    return {**empty, "diff": e.mean, "low": e.low, "high": e.high, "n": e.n}


def _relative_ok(cells: Sequence[Mapping[str, Any]]) -> bool:
    """Whether relative effects read well: off means of one sign, effects moderate."""
    offs = [c["off"] for c in cells if not math.isnan(c["off"])]
    rels = [c["rel"] for c in cells if not math.isnan(c["rel"])]
    if not offs or not rels:
        return False
    one_sign = all(o > 0 for o in offs) or all(o < 0 for o in offs)
    return one_sign and max(abs(r) for r in rels) <= _MAX_RELATIVE


def _shown(cell: Mapping[str, Any], relative: bool) -> tuple[float, float, float]:
    if relative:
        return 100.0 * cell["rel"], 100.0 * cell["rel_low"], 100.0 * cell["rel_high"]
    return cell["diff"], cell["low"], cell["high"]


def _fmt(value: float, relative: bool) -> str:
    if math.isnan(value):
        return "n/a"
    if relative:
        return f"{value:+.0f}%" if abs(value) >= 10 else f"{value:+.1f}%"
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:+.1f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:+.0f}k"
    if magnitude >= 1e3:
        return f"{value / 1e3:+.1f}k"
    if magnitude >= 10:
        return f"{value:+.0f}"
    return f"{value:+.2g}"


def _levels(points: Sequence[PointResult], path: str) -> list[Any]:
    """The distinct values of a parameter, sorted (numbers) or in first-seen order."""
    seen = list(dict.fromkeys(pr.params[path] for pr in points))
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seen):
        return sorted(seen)
    return seen


def _tick(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _mode_text(metric: str, relative: bool, paired_sweep: bool) -> str:
    if not paired_sweep:
        return label(metric, _unit(metric))
    if relative:
        return "with − without broker (% of without)"
    unit = _unit(metric)
    return "with − without broker" + (f" ({unit})" if unit else "")


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
    return _CMAPS[_better(metric)] if paired_sweep else "cividis"


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
    annotated with the effect; cells whose 95% CI excludes zero carry a dot and
    bold text. Scattered designs (LHS, Sobol, Morris) are drawn as points coloured
    the same way, ringed in black when significant. Unpaired sweeps show the
    metric's mean on a sequential colour map instead.

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
        ``low``, ``high``, ``significant`` (same shape) and ``text`` (the
        annotations).
    """
    x_levels, y_levels = _levels(points, x), _levels(points, y)
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
            flat = [c for row in cells for c in row]
        else:
            flat = [pooled([pr], metric, paired_sweep) for pr in points]
            cells = [flat]
        relative = paired_sweep and _relative_ok(flat)
        shown = [[_shown(c, relative) for c in row] for row in cells]
        values, low, high = (
            np.array([[s[k] for s in row] for row in shown], dtype=float) for k in range(3)
        )
        significant = np.array([[bool(c["significant"]) for c in row] for row in cells])
        text = [[_fmt(s[0], relative) for s in row] for row in shown]
        if not is_grid:  # one row of points
            values, low, high, significant = values[0], low[0], high[0], significant[0]
            text = text[:1]
        panels[metric] = {
            "relative": relative,
            "values": values,
            "low": low,
            "high": high,
            "significant": significant,
            "text": text if is_grid else text[0],
        }

    with _style():
        n = len(metrics)
        rows, cols = _grid(n, 3 if n > 4 else 2)
        width = 4.6 if is_grid else 4.4
        fig = _figure(width * cols + 0.3, 3.9 * rows + 0.9)
        axes = _axes(fig, n, cols)
        for ax, metric in zip(axes, metrics, strict=True):
            panel = panels[metric]
            norm = _norm(np.asarray(panel["values"], dtype=float), paired_sweep)
            cmap = _cmap(metric, paired_sweep)
            if is_grid:
                image = _draw_grid(ax, panel, x_levels, y_levels, norm, cmap, paired_sweep)
            else:
                image = _draw_scatter(ax, panel, points, x, y, norm, cmap)
                _integer_axis(ax.xaxis, [pr.params[x] for pr in points])
                _integer_axis(ax.yaxis, [pr.params[y] for pr in points])
            bar = fig.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
            if not panel["relative"]:
                _compact_axis(bar.ax.yaxis)
            bar.set_label(_mode_text(metric, panel["relative"], paired_sweep), fontsize=8)
            bar.ax.tick_params(labelsize=8)
            ax.set_title(label(metric))
            ax.set_xlabel(param_label(x))
            ax.set_ylabel(param_label(y))
        if paired_sweep:
            fig.suptitle(
                "Broker effect (paired, with − without): blue = broker better, red = worse"
            )
            from matplotlib.lines import Line2D

            note = (
                "bold with a dot: the 95% CI of the paired difference excludes 0"
                if is_grid
                else "ringed in black: the 95% CI of the paired difference excludes 0"
            )
            marker = (
                Line2D([], [], ls="", marker="o", ms=4, color="#000000", label=note)
                if is_grid
                else Line2D(
                    [], [], ls="", marker="o", ms=7, mfc="#DDDDDD", mec="#000000", label=note
                )
            )
            fig.legend(handles=[marker], loc="outside lower center", frameon=False)
        else:
            fig.suptitle("Mean over replications")
        paths = _save(fig, out_dir, name)
    data = {
        "kind": "grid" if is_grid else "scatter",
        "x": x,
        "y": y,
        "x_levels": x_levels if is_grid else [pr.params[x] for pr in points],
        "y_levels": y_levels if is_grid else [pr.params[y] for pr in points],
        "panels": panels,
    }
    return Chart(name, paths, data)


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
    ax.set_xticks(range(len(x_levels)), [_tick(v) for v in x_levels])
    ax.set_yticks(range(len(y_levels)), [_tick(v) for v in y_levels])
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


def _compact_axis(axis: Any) -> None:
    """Tick labels like 20k and 1.5M instead of 20000 and 1500000."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: _fmt(v, False).lstrip("+")))


def _integer_axis(axis: Any, values: Sequence[Any]) -> None:
    """Integer ticks for a parameter that only takes integers."""
    from matplotlib.ticker import MaxNLocator

    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        axis.set_major_locator(MaxNLocator(integer=True))


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
    everything else when ``by`` is None; one panel per metric.

    Returns:
        The chart; ``data["panels"][metric]`` holds ``relative`` and ``series``, a
        list of dicts with ``by`` (the level, or None), ``x``, ``value``, ``low``,
        ``high`` (arrays over the x levels) and ``significant``.
    """
    name = name or f"effect-{x.replace('.', '_')}"
    x_levels = _levels(points, x)
    by_levels: list[Any] = _levels(points, by) if by else [None]
    select: Callable[[PointResult, Any, Any], bool] = lambda pr, xv, bv: (  # noqa: E731
        pr.params[x] == xv and (by is None or pr.params[by] == bv)
    )
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x_levels)
    xpos = np.array(x_levels if numeric else range(len(x_levels)), dtype=float)
    panels: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        cells = {
            (bv, i): pooled([pr for pr in points if select(pr, xv, bv)], metric, paired_sweep)
            for bv in by_levels
            for i, xv in enumerate(x_levels)
        }
        relative = paired_sweep and _relative_ok(list(cells.values()))
        series = []
        for bv in by_levels:
            shown = [_shown(cells[(bv, i)], relative) for i in range(len(x_levels))]
            series.append(
                {
                    "by": bv,
                    "x": xpos,
                    "value": np.array([s[0] for s in shown]),
                    "low": np.array([s[1] for s in shown]),
                    "high": np.array([s[2] for s in shown]),
                    "significant": np.array(
                        [bool(cells[(bv, i)]["significant"]) for i in range(len(x_levels))]
                    ),
                }
            )
        panels[metric] = {"relative": relative, "series": series}

    with _style():
        from matplotlib.lines import Line2D

        n = len(metrics)
        rows, cols = _grid(n, 2)
        fig = _figure(5.4 * cols + 0.3, 3.6 * rows + 1.0)
        axes = _axes(fig, n, cols)
        handles = []
        for ax, metric in zip(axes, metrics, strict=True):
            panel = panels[metric]
            for k, s in enumerate(panel["series"]):
                colour = DEPT_COLOURS[k % len(DEPT_COLOURS)] if by else BLUE
                ax.fill_between(s["x"], s["low"], s["high"], color=colour, alpha=0.15, lw=0)
                ax.plot(s["x"], s["value"], color=colour, lw=1.8, marker="", zorder=3)
                sig = s["significant"]
                ax.scatter(
                    s["x"][sig], s["value"][sig], color=colour, s=24, zorder=4, edgecolors="none"
                )
                ax.scatter(
                    s["x"][~sig],
                    s["value"][~sig],
                    facecolors="white",
                    edgecolors=colour,
                    s=24,
                    zorder=4,
                    linewidths=1.2,
                )
            if paired_sweep:
                ax.axhline(0.0, color="#000000", lw=0.9, zorder=2)
            if not numeric:
                ax.set_xticks(xpos, [_tick(v) for v in x_levels])
            elif _geometric(xpos):
                ax.set_xscale("log", base=2)
                ax.set_xticks(xpos, [_tick(v) for v in x_levels])
                ax.minorticks_off()
            else:
                _integer_axis(ax.xaxis, x_levels)
            if not panel["relative"]:
                _compact_axis(ax.yaxis)
            ax.set_xlabel(param_label(x))
            ax.set_ylabel(_mode_text(metric, panel["relative"], paired_sweep))
            ax.set_title(label(metric))
        if by:
            handles = [
                Line2D([], [], color=DEPT_COLOURS[k % len(DEPT_COLOURS)], lw=2, label=_tick(bv))
                for k, bv in enumerate(by_levels)
            ]
        handles += [
            Line2D([], [], ls="", marker="o", color="#555555", label="CI excludes 0"),
            Line2D([], [], ls="", marker="o", mfc="white", mec="#555555", label="CI includes 0"),
        ]
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncol=min(len(handles), 8),
            frameon=False,
            title=param_label(by) if by else None,
            title_fontsize=9,
        )
        what = "Broker effect (with − without) and 95% CI" if paired_sweep else "Mean and 95% CI"
        fig.suptitle(f"{what} against {param_label(x)}")
        paths = _save(fig, out_dir, name)
    return Chart(name, paths, {"x": x, "by": by, "x_levels": list(x_levels), "panels": panels})


# --- sensitivity bars --------------------------------------------------------------


def _outputs(sens: Sensitivity, outputs: Sequence[str] | None) -> list[str]:
    names = list(outputs) if outputs is not None else list(sens.indices)
    return [o for o in names if o in sens.indices]


def _output_label(output: str) -> str:
    metric, _, what = output.rpartition(".")
    if what == "effect":
        return f"{label(metric)}: broker effect"
    if what in ("on", "off"):
        return f"{label(metric)}: {'with' if what == 'on' else 'without'} broker"
    return label(output)


def _index_panels(sens: Sensitivity, chosen: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per output, the parameter names and every index as an array (the chart data)."""
    return {
        o: {
            "names": list(sens.names),
            **{k: np.asarray(v) for k, v in sens.indices[o].values.items()},
        }
        for o in chosen
    }


def _parameter_axis(ax: Any, y: np.ndarray, names: Sequence[str]) -> None:
    """Parameters down the y axis, first on top, without horizontal grid lines."""
    ax.set_yticks(y, [param_label(nm) for nm in names])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)


def _finish_bars(fig: Any, axes: Sequence[Any], any_output: bool, first: str, second: str) -> None:
    """The shared tail of the sensitivity bar charts: empty-state note and legend."""
    from matplotlib.patches import Patch

    from orgsim.reporting.charts.compare import _no_data

    if not any_output:
        _no_data(axes[0], "no output could be analysed")
    fig.legend(
        handles=[
            Patch(color=BLUE, label=first),
            Patch(facecolor="#E69F00", hatch="//", edgecolor="white", label=second),
        ],
        loc="outside lower center",
        ncol=2,
        frameon=False,
    )


def sobol_bars(
    sens: Sensitivity,
    out_dir: PathLike,
    outputs: Sequence[str] | None = None,
    name: str = "sobol",
) -> Chart:
    """First- and total-order Sobol indices with 95% CIs, one panel per output.

    Returns:
        The chart; ``data["panels"][output]`` holds ``names`` and arrays ``S1``,
        ``S1_conf``, ``ST``, ``ST_conf`` (per parameter, in parameter order).
    """
    chosen = _outputs(sens, outputs)
    panels = _index_panels(sens, chosen)
    with _style():
        n = max(len(chosen), 1)
        rows, cols = _grid(n, 2)
        fig = _figure(5.2 * cols + 0.3, (0.9 + 0.55 * len(sens.names)) * rows + 1.2)
        axes = _axes(fig, n, cols)
        y = np.arange(len(sens.names))
        h = 0.38
        for ax, o in zip(axes, chosen, strict=False):
            p = panels[o]
            ax.barh(y - h / 2, p["S1"], height=h, color=BLUE, label="first order S1")
            ax.errorbar(
                p["S1"], y - h / 2, xerr=p["S1_conf"], fmt="none", ecolor="#000000", capsize=3, lw=1
            )
            ax.barh(
                y + h / 2,
                p["ST"],
                height=h,
                color="#E69F00",
                hatch="//",
                edgecolor="white",
                label="total order ST",
            )
            ax.errorbar(
                p["ST"], y + h / 2, xerr=p["ST_conf"], fmt="none", ecolor="#000000", capsize=3, lw=1
            )
            ax.axvline(0.0, color="#000000", lw=0.8)
            _parameter_axis(ax, y, sens.names)
            ax.set_xlabel("share of output variance")
            ax.set_title(_output_label(o))
        _finish_bars(
            fig, axes, bool(chosen), "first order S1 (alone)", "total order ST (with interactions)"
        )
        fig.suptitle("Sobol sensitivity indices, 95% bootstrap CI")
        paths = _save(fig, out_dir, name)
    return Chart(name, paths, {"outputs": chosen, "panels": panels})


def morris_bars(
    sens: Sensitivity,
    out_dir: PathLike,
    outputs: Sequence[str] | None = None,
    name: str = "morris",
) -> Chart:
    """Morris mu* (mean absolute elementary effect) with 95% CI, and sigma.

    Returns:
        The chart; ``data["panels"][output]`` holds ``names`` and arrays ``mu``,
        ``mu_star``, ``mu_star_conf``, ``sigma``.
    """
    chosen = _outputs(sens, outputs)
    panels = _index_panels(sens, chosen)
    with _style():
        n = max(len(chosen), 1)
        rows, cols = _grid(n, 2)
        fig = _figure(5.2 * cols + 0.3, (0.9 + 0.55 * len(sens.names)) * rows + 1.2)
        axes = _axes(fig, n, cols)
        y = np.arange(len(sens.names))
        h = 0.38
        for ax, o in zip(axes, chosen, strict=False):
            p = panels[o]
            ax.barh(y - h / 2, p["mu_star"], height=h, color=BLUE)
            ax.errorbar(
                p["mu_star"],
                y - h / 2,
                xerr=p["mu_star_conf"],
                fmt="none",
                ecolor="#000000",
                capsize=3,
                lw=1,
            )
            ax.barh(y + h / 2, p["sigma"], height=h, color="#E69F00", hatch="//", edgecolor="white")
            _parameter_axis(ax, y, sens.names)
            metric = o.rpartition(".")[0] or o
            unit = _unit(metric)
            what = "effect of crossing the parameter's range"
            ax.set_xlabel(f"{what} ({unit})" if unit else what)
            _compact_axis(ax.xaxis)
            ax.set_title(_output_label(o))
        _finish_bars(
            fig,
            axes,
            bool(chosen),
            "μ*: mean |effect| (importance)",
            "σ: spread (non-linearity, interactions)",
        )
        fig.suptitle("Morris screening, 95% bootstrap CI on μ*")
        paths = _save(fig, out_dir, name)
    return Chart(name, paths, {"outputs": chosen, "panels": panels})


def delta_bars(
    sens: Sensitivity,
    out_dir: PathLike,
    outputs: Sequence[str] | None = None,
    name: str = "sensitivity-delta",
) -> Chart:
    """Borgonovo's delta and first-order S1 with 95% CIs, one panel per output.

    The sensitivity of grid and LHS designs (see
    :func:`orgsim.sensitivity.delta_indices`). The subtitle gives the number of
    design points, and warns that the CIs are wide when there are few.

    Returns:
        The chart; ``data["panels"][output]`` holds ``names`` and arrays
        ``delta``, ``delta_conf``, ``S1``, ``S1_conf`` (per parameter, in parameter
        order; NaN where SALib could not estimate); ``data["points"]`` the number
        of design points.
    """
    chosen = _outputs(sens, outputs)
    panels = _index_panels(sens, chosen)
    with _style():
        n = max(len(chosen), 1)
        rows, cols = _grid(n, 2)
        fig = _figure(6.2 * cols + 0.3, (1.0 + 0.6 * len(sens.names)) * rows + 1.6)
        axes = _axes(fig, n, cols)
        y = np.arange(len(sens.names))
        h = 0.38
        s1_style: dict[str, Any] = {"color": "#E69F00", "hatch": "//", "edgecolor": "white"}
        delta_style: dict[str, Any] = {"color": BLUE}
        # one x range for every panel, so that bars compare across outputs
        ends = [0.0, 1.0]
        for p in panels.values():
            for key in ("delta", "S1"):
                v = np.asarray(p[key], dtype=float)
                c = np.nan_to_num(np.asarray(p[f"{key}_conf"], dtype=float))
                ends += [float(e) for e in np.concatenate([v - c, v + c]) if math.isfinite(e)]
        left, right = min(ends), max(ends) + 0.22  # room for the value labels
        for ax, o in zip(axes, chosen, strict=False):
            p = panels[o]
            for values, conf, offset, style in (
                (p["delta"], p["delta_conf"], -h / 2, delta_style),
                (p["S1"], p["S1_conf"], h / 2, s1_style),
            ):
                v = np.asarray(values, dtype=float)
                c = np.asarray(conf, dtype=float)
                ax.barh(y + offset, np.nan_to_num(v), height=h, **style)
                ax.errorbar(v, y + offset, xerr=c, fmt="none", ecolor="#000000", capsize=3, lw=1)
                for yi, vi, ci in zip(y + offset, v, c, strict=True):
                    if math.isnan(vi):
                        ax.text(0.02, yi, "n/a", va="center", fontsize=8, color="#555555")
                        continue
                    end = max(vi, 0.0) + (0.0 if math.isnan(ci) else ci)
                    ax.text(end + 0.02, yi, f"{vi:.2f}", va="center", fontsize=8)
            ax.axvline(0.0, color="#000000", lw=0.8)
            _parameter_axis(ax, y, sens.names)
            ax.set_xlim(left - 0.02, right)
            ax.set_xlabel("index (0: no influence; 1: decides the output)")
            ax.set_title(_output_label(o))
        _finish_bars(
            fig,
            axes,
            bool(chosen),
            "δ: moment-independent importance (0 to 1)",
            "S1: first-order variance share",
        )
        caveat = (
            f"{sens.points} design points: wide CIs, read the ranking, not the values"
            if sens.points < 50
            else f"{sens.points} design points"
        )
        fig.suptitle(f"Delta sensitivity (SALib), 95% bootstrap CI\n{caveat}")
        paths = _save(fig, out_dir, name)
    data = {"outputs": chosen, "panels": panels, "points": sens.points}
    return Chart(name, paths, data)


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
            if grid2 and len(_levels(points, names[1 - i])) <= len(DEPT_COLOURS)
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
