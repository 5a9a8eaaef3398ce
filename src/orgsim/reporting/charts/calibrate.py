"""Charts of a calibration: the posterior against the prior, in pairs, and its predictive check.

* ``posterior-marginals``: per fitted constant, the weighted histogram of the
  posterior over its prior's density (grey), the 90% credible interval shaded,
  the posterior mean, and the true value (black) when the observations were
  simulated from known parameters;
* ``posterior-pairs``: the particles over each pair of constants, dot area by
  weight, with the true point marked; the diagonal holds each marginal;
* ``predictive-check``: per observed statistic, the histogram of the posterior
  predictive runs over that of the prior sample (grey outline), the observed
  value with its measurement uncertainty (±1 sd band) and its percentile.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from orgsim.experiments.calibrate.run import CalibrationResult
from orgsim.metrics.catalogue import metric
from orgsim.reporting.charts import common
from orgsim.reporting.charts.common import BLUE, RED, Chart, PathLike

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["calibration_charts", "marginals_chart", "pairs_chart", "predictive_chart"]

PRIOR = "#999999"
MAX_PAIRS = 6
"""Constants in the pairs plot at most (the most narrowed ones)."""


def calibration_charts(result: CalibrationResult, out_dir: PathLike) -> list[Chart]:
    """Every chart of a calibration."""
    return [
        marginals_chart(result, out_dir),
        pairs_chart(result, out_dir),
        predictive_chart(result, out_dir),
    ]


def _bins(low: float, high: float) -> np.ndarray:
    return np.linspace(low, high, 26)


def marginals_chart(
    result: CalibrationResult, out_dir: PathLike, name: str = "posterior-marginals"
) -> Chart:
    """Each fitted constant's posterior over its prior.

    Returns:
        The chart; ``data["panels"]`` holds per constant its ``path``, ``density``
        and ``edges`` (the weighted histogram), ``prior`` (density over the same
        bins), ``mean``, ``interval`` (90%) and ``truth``.
    """
    post = result.posterior
    panels = []
    for j, (u, s) in enumerate(zip(post.fit, result.summary, strict=True)):
        edges = _bins(u.low - (0.5 if u.integer else 0), u.high + (0.5 if u.integer else 0))
        density, _ = np.histogram(post.values[:, j], bins=edges, weights=post.weights, density=True)
        grid = (np.arange(20_000) + 0.5) / 20_000
        prior, _ = np.histogram(u.values(grid), bins=edges, density=True)
        panels.append(
            {
                "path": u.path,
                "edges": edges,
                "density": density,
                "prior": prior,
                "mean": s.mean,
                "interval": (s.low, s.high),
                "truth": s.truth,
            }
        )
    with common.style():
        fig = common.figure(11.0, 2.6 * common.grid(len(panels), 3)[0] + 0.8)
        for ax, panel in zip(common.axes(fig, len(panels), 3), panels, strict=True):
            _draw_marginal(ax, panel)
        handles, labels = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
        o = result.observed
        fig.suptitle(
            f"{o.name}: posterior of {len(panels)} constants given {len(o.observations)} "
            f"statistics ({result.stopped.simulations:,} simulations)"
        )
        paths = common.save(fig, out_dir, name)
    return Chart(name=name, paths=paths, data={"panels": panels})


def _draw_marginal(ax: Axes, panel: dict[str, Any]) -> None:
    edges = np.asarray(panel["edges"])
    ax.stairs(np.asarray(panel["prior"]), edges, color=PRIOR, linestyle="--", label="prior")
    ax.stairs(
        np.asarray(panel["density"]),
        edges,
        fill=True,
        color=BLUE,
        alpha=0.45,
        edgecolor=BLUE,
        label="posterior",
    )
    low, high = panel["interval"]
    ax.axvspan(low, high, color=BLUE, alpha=0.08, label="90% credible interval")
    ax.axvline(float(panel["mean"]), color=BLUE, linewidth=1.5, label="posterior mean")
    truth = panel["truth"]
    if truth is not None:
        ax.axvline(float(truth), color="black", linewidth=1.5, linestyle=":", label="true value")
    ax.set_title(str(panel["path"]), fontsize=9)
    ax.set_ylabel("density")


def pairs_chart(
    result: CalibrationResult, out_dir: PathLike, name: str = "posterior-pairs"
) -> Chart:
    """The particles over each pair of the (at most six most narrowed) constants.

    Returns:
        The chart; ``data["paths"]`` the constants shown, in order.
    """
    post = result.posterior
    order = sorted(
        range(len(post.fit)),
        key=lambda j: (
            -(result.summary[j].shrinkage if math.isfinite(result.summary[j].shrinkage) else -1)
        ),
    )[:MAX_PAIRS]
    order.sort()
    d = len(order)
    size = 40 * post.weights / post.weights.max()
    with common.style():
        fig = common.figure(2.3 * d + 1.0, 2.3 * d + 0.6)
        cells = fig.subplots(d, d, squeeze=False)
        for a, j in enumerate(order):
            for b, i in enumerate(order):
                ax = cells[a][b]
                u_i, u_j = post.fit[i], post.fit[j]
                if a == b:
                    ax.hist(post.values[:, i], bins=20, weights=post.weights, color=BLUE, alpha=0.6)
                    ax.set_xlim(u_i.low, u_i.high)
                else:
                    ax.scatter(
                        post.values[:, i],
                        post.values[:, j],
                        s=size,
                        color=BLUE,
                        alpha=0.4,
                        linewidths=0,
                    )
                    ax.set_xlim(u_i.low, u_i.high)
                    ax.set_ylim(u_j.low, u_j.high)
                    ti, tj = result.summary[i].truth, result.summary[j].truth
                    if ti is not None and tj is not None:
                        ax.plot([ti], [tj], marker="x", color=RED, markersize=9, mew=2)
                if a == d - 1:
                    ax.set_xlabel(u_i.path, fontsize=8)
                if b == 0 and a != b:
                    ax.set_ylabel(u_j.path, fontsize=8)
                ax.tick_params(labelsize=7)
        fig.suptitle(
            f"{result.observed.name}: posterior particles in pairs (dot area by weight"
            + ("; × the true values)" if any(s.truth is not None for s in result.summary) else ")")
        )
        paths = common.save(fig, out_dir, name)
    return Chart(name=name, paths=paths, data={"paths": [post.fit[j].path for j in order]})


def predictive_chart(
    result: CalibrationResult, out_dir: PathLike, name: str = "predictive-check"
) -> Chart:
    """Each observed statistic against its posterior (and prior) predictive runs.

    Returns:
        The chart; ``data["panels"]`` holds per statistic its ``name``,
        ``observed``, ``sd``, ``percentile``, ``posterior`` and ``prior`` (the
        runs' values, finite ones only).
    """
    panels = []
    for c, o in zip(result.checks, result.observed.observations, strict=True):
        post = np.asarray(result.predictive.get(c.name, []), dtype=float)
        prior = np.asarray(result.prior_predictive.get(c.name, []), dtype=float)
        panels.append(
            {
                "name": c.name,
                "label": _statistic_label(o.metric, o.per),
                "observed": c.observed,
                "sd": c.sd,
                "percentile": c.percentile,
                "warning": c.warning,
                "posterior": post[np.isfinite(post)],
                "prior": prior[np.isfinite(prior)],
            }
        )
    with common.style():
        fig = common.figure(11.0, 2.6 * common.grid(len(panels), 3)[0] + 0.8)
        for ax, panel in zip(common.axes(fig, len(panels), 3), panels, strict=True):
            _draw_check(ax, panel)
        handles, labels = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
        fig.suptitle(
            f"{result.observed.name}: observed statistics against runs of the calibrated "
            "model (posterior predictive) and of the priors"
        )
        paths = common.save(fig, out_dir, name)
    return Chart(name=name, paths=paths, data={"panels": panels})


def _draw_check(ax: Axes, panel: dict[str, Any]) -> None:
    post = np.asarray(panel["posterior"])
    prior = np.asarray(panel["prior"])
    observed, sd = float(panel["observed"]), float(panel["sd"])
    both = np.concatenate([post, prior, [observed - sd, observed + sd]])
    edges = np.histogram_bin_edges(both, bins=25).tolist()
    if prior.size:
        ax.hist(
            prior,
            bins=edges,
            density=True,
            histtype="step",
            color=PRIOR,
            linestyle="--",
            label="prior predictive",
        )
    if post.size:
        ax.hist(post, bins=edges, density=True, color=BLUE, alpha=0.5, label="posterior predictive")
    ax.axvspan(observed - sd, observed + sd, color="black", alpha=0.08, label="observed ± 1 sd")
    ax.axvline(observed, color="black", linewidth=1.5, label="observed")
    pct = float(panel["percentile"])
    title = str(panel["label"]) + (f" (percentile {pct:.0f})" if math.isfinite(pct) else "")
    ax.set_title(title, fontsize=9, color=RED if panel["warning"] else "black")
    ax.set_ylabel("density")


def _statistic_label(name: str, per: str) -> str:
    """A statistic as the catalogue names it, with its unit: ``Attrition rate (1/year)``."""
    m = metric(name)
    unit = f"{m.unit} per quarter" if per == "quarter" else m.unit
    return f"{m.label} ({unit})"
