"""Charts of a sweep's sensitivity indices: Sobol, Morris and delta bars.

One panel per output (a metric's broker effect, ``<metric>.effect``, or an arm's
level), one pair of bars per swept parameter, each with its 95% bootstrap CI; see
:mod:`orgsim.analysis.sensitivity` for the indices themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from orgsim.metrics.catalogue import UNITS, label
from orgsim.reporting.charts import common
from orgsim.reporting.charts.common import BLUE, Chart, PathLike, param_label

if TYPE_CHECKING:  # pragma: no cover
    from orgsim.analysis.sensitivity import Sensitivity

__all__ = ["delta_bars", "morris_bars", "sobol_bars"]


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

    if not any_output:
        common.no_data(axes[0], "no output could be analysed")
    fig.legend(
        handles=[
            Patch(color=BLUE, label=first),
            Patch(facecolor="#E69F00", hatch="//", edgecolor="white", label=second),
        ],
        loc="outside lower center",
        ncol=2,
        frameon=False,
    )


def _bar_panels(sens: Sensitivity, chosen: Sequence[str]) -> tuple[Any, list[Any], np.ndarray]:
    """A figure with one panel per output and a row of bars per parameter.

    Returns the figure, its axes and the parameters' row positions; call it inside
    :func:`common.style`.
    """
    n = max(len(chosen), 1)
    rows, cols = common.grid(n, 2)
    fig = common.figure(5.2 * cols + 0.3, (0.9 + 0.55 * len(sens.names)) * rows + 1.2)
    return fig, common.axes(fig, n, cols), np.arange(len(sens.names))


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
    with common.style():
        fig, axes, y = _bar_panels(sens, chosen)
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
        paths = common.save(fig, out_dir, name)
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
    with common.style():
        fig, axes, y = _bar_panels(sens, chosen)
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
            unit = UNITS.get(metric, "")
            what = "effect of crossing the parameter's range"
            ax.set_xlabel(what + common.unit_suffix(unit))
            common.value_axis(ax.xaxis, unit)
            ax.set_title(_output_label(o))
        _finish_bars(
            fig,
            axes,
            bool(chosen),
            "μ*: mean |effect| (importance)",
            "σ: spread (non-linearity, interactions)",
        )
        fig.suptitle("Morris screening, 95% bootstrap CI on μ*")
        paths = common.save(fig, out_dir, name)
    return Chart(name, paths, {"outputs": chosen, "panels": panels})


def delta_bars(
    sens: Sensitivity,
    out_dir: PathLike,
    outputs: Sequence[str] | None = None,
    name: str = "sensitivity-delta",
) -> Chart:
    """Borgonovo's delta and first-order S1 with 95% CIs, one panel per output.

    The sensitivity of grid and LHS designs (see
    :func:`orgsim.analysis.sensitivity.delta_indices`). The subtitle gives the number of
    design points, and warns that the CIs are wide when there are few.

    Returns:
        The chart; ``data["panels"][output]`` holds ``names`` and arrays
        ``delta``, ``delta_conf``, ``S1``, ``S1_conf`` (per parameter, in parameter
        order; NaN where SALib could not estimate); ``data["points"]`` the number
        of design points.
    """
    chosen = _outputs(sens, outputs)
    panels = _index_panels(sens, chosen)
    with common.style():
        n = max(len(chosen), 1)
        rows, cols = common.grid(n, 2)
        fig = common.figure(6.2 * cols + 0.3, (1.0 + 0.6 * len(sens.names)) * rows + 1.6)
        axes = common.axes(fig, n, cols)
        y = np.arange(len(sens.names))
        left, right = _delta_range(panels)
        for ax, o in zip(axes, chosen, strict=False):
            _draw_delta(ax, panels[o], y)
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
        paths = common.save(fig, out_dir, name)
    data = {"outputs": chosen, "panels": panels, "points": sens.points}
    return Chart(name, paths, data)


def _delta_range(panels: Mapping[str, Mapping[str, Any]]) -> tuple[float, float]:
    """One x range for every panel, so that bars compare across outputs."""
    ends = [0.0, 1.0]
    for p in panels.values():
        for key in ("delta", "S1"):
            v = np.asarray(p[key], dtype=float)
            c = np.nan_to_num(np.asarray(p[f"{key}_conf"], dtype=float))
            ends += [float(e) for e in np.concatenate([v - c, v + c]) if math.isfinite(e)]
    return min(ends), max(ends) + 0.22  # room for the value labels


def _draw_delta(ax: Any, p: Mapping[str, Any], y: np.ndarray) -> None:
    """Delta and S1 bars of one output with their CIs, each labelled with its value."""
    h = 0.38
    s1_style: dict[str, Any] = {"color": "#E69F00", "hatch": "//", "edgecolor": "white"}
    delta_style: dict[str, Any] = {"color": BLUE}
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
