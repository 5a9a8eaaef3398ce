"""Sensitivity indices of a sweep's outputs (Sobol, Morris, delta), with SALib.

Which swept parameter drives the broker's effect, and which drive the company's
results? For a ``design = "sobol"`` sweep, Saltelli's sampling scheme (SALib's
``sample.sobol``) gives first-order (S1) and total-order (ST) Sobol indices with
bootstrap confidence intervals; for ``design = "morris"``, Morris trajectories give
the elementary-effects screening measures mu* (mean absolute effect, with a
bootstrap CI) and sigma (spread: non-linearity or interactions). Grid and LHS
designs have no such structure, so they get Borgonovo's moment-independent delta
measure (SALib's ``analyze.delta``, which accepts any sample) with a first-order
S1 estimated from the same data, both with bootstrap CIs. Delta needs enough
points: SALib (1.5 and later) estimates nothing below 20, and at 20 to 50 the CIs
are wide.

The outputs analysed are, per design point, means over replications: for a paired
sweep ``<metric>.effect`` (the broker's mean paired difference, on − off) and each
arm's level ``<metric>.on`` / ``<metric>.off``; for an unpaired sweep the metric.
Sampling and bootstrap are seeded, so the same sweep gives the same indices.

Integers and listed levels are analysed in their design space (see
:meth:`orgsim.experiments.sweep.spec.Parameter.bounds`): the model is then
piecewise constant in that coordinate, which the estimators handle, if less
efficiently.

The module knows nothing of sweeps: it takes a SALib problem, a design matrix and
output arrays, and returns indices; printing them is the terminal's job
(:func:`orgsim.reporting.terminal.sensitivity_table`).

SALib pulls in scipy and pandas (~0.7 s), so it is imported only here, and only
when an analysis is asked for.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

__all__ = [
    "DELTA_MIN_POINTS",
    "METHODS",
    "Indices",
    "Sensitivity",
    "analyse",
    "available",
    "delta_indices",
    "method_for",
    "morris_indices",
    "morris_sample",
    "sobol_indices",
    "sobol_sample",
]

METHODS = ("sobol", "morris", "delta")
SOBOL_KEYS = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_KEYS = ("mu", "mu_star", "mu_star_conf", "sigma")
DELTA_KEYS = ("delta", "delta_conf", "S1", "S1_conf")
DELTA_MIN_POINTS = 20  # SALib >= 1.5 bins at least 10 points in each of 2+ classes
DELTA_RESAMPLES = 200  # bootstrap resamples of a sweep's delta analysis


def available() -> bool:
    """Whether SALib is installed (without importing it)."""
    return importlib.util.find_spec("SALib") is not None


def method_for(design: str) -> str:
    """The sensitivity method of a design: ``sobol``, ``morris``, else ``delta``."""
    return design if design in ("sobol", "morris") else "delta"


def sobol_sample(problem: Mapping[str, Any], n: int, *, seed: int) -> np.ndarray:
    """Saltelli's sample for first- and total-order indices: ``n * (D + 2)`` rows.

    Args:
        problem: SALib problem (``num_vars``, ``names``, ``bounds``).
        n: Base sample size N, a power of 2.
        seed: Seed of the scrambled Sobol' sequence.
    """
    from SALib.sample import sobol

    return np.asarray(sobol.sample(dict(problem), n, calc_second_order=False, seed=seed))


def morris_sample(
    problem: Mapping[str, Any], n: int, *, num_levels: int = 4, seed: int
) -> np.ndarray:
    """Morris trajectories: ``n * (D + 1)`` rows on a ``num_levels`` grid."""
    from SALib.sample import morris

    return np.asarray(morris.sample(dict(problem), n, num_levels=num_levels, seed=seed))


@attrs.frozen
class Indices:
    """Sensitivity indices of one output.

    Attributes:
        output: What was analysed (``net_value.effect``).
        method: ``sobol``, ``morris`` or ``delta``.
        names: Parameter paths, in order.
        values: Index name to one value per parameter: ``S1``, ``S1_conf``,
            ``ST``, ``ST_conf`` (Sobol; ``_conf`` is the CI half-width), ``mu``,
            ``mu_star``, ``mu_star_conf``, ``sigma`` (Morris) or ``delta``,
            ``delta_conf``, ``S1``, ``S1_conf`` (delta; NaN where SALib could not
            estimate a parameter).
        conf_level: Confidence level of the ``_conf`` half-widths.
    """

    output: str
    method: str
    names: tuple[str, ...]
    values: dict[str, np.ndarray] = attrs.field(eq=False)
    conf_level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        """Parameter to index name to value (NaN as None)."""
        return {
            name: {
                k: (None if math.isnan(float(v[i])) else float(v[i]))
                for k, v in self.values.items()
            }
            for i, name in enumerate(self.names)
        }


@attrs.frozen
class Sensitivity:
    """The indices of every output of a sweep.

    Attributes:
        method: ``sobol``, ``morris`` or ``delta``.
        names: Parameter paths.
        indices: Output name to its indices, in output order.
        skipped: Output name to why it was not analysed (failed runs, NaNs, too
            few points).
        seed: Seed of the bootstrap.
        points: Design points analysed.
    """

    method: str
    names: tuple[str, ...]
    indices: dict[str, Indices]
    skipped: dict[str, str]
    seed: int
    points: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "method": self.method,
            "seed": self.seed,
            "points": self.points,
            "outputs": {k: v.to_dict() for k, v in self.indices.items()},
            "skipped": dict(self.skipped),
        }


def sobol_indices(
    problem: Mapping[str, Any],
    y: Sequence[float] | np.ndarray,
    *,
    seed: int,
    output: str = "y",
    num_resamples: int = 1000,
    conf_level: float = 0.95,
) -> Indices:
    """First- and total-order Sobol indices of ``y`` over a :func:`sobol_sample`.

    Args:
        problem: The SALib problem the sample was drawn for.
        y: One output value per sample row, in sample order.
        seed: Seed of the bootstrap confidence intervals.
        output: Name of the output (for labels).
        num_resamples: Bootstrap resamples.
        conf_level: Confidence level of the intervals.
    """
    from SALib.analyze import sobol

    arr = np.asarray(y, dtype=float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sobol.analyze(
            dict(problem),
            arr,
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=seed,
        )
    values = {k: np.asarray(res[k], dtype=float) for k in SOBOL_KEYS}
    return Indices(output, "sobol", tuple(problem["names"]), values, conf_level)


def morris_indices(
    problem: Mapping[str, Any],
    x: np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    num_levels: int,
    seed: int,
    output: str = "y",
    num_resamples: int = 1000,
    conf_level: float = 0.95,
) -> Indices:
    """Morris elementary-effects measures of ``y`` over a :func:`morris_sample` ``x``."""
    from SALib.analyze import morris

    arr = np.asarray(y, dtype=float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = morris.analyze(
            dict(problem),
            np.asarray(x, dtype=float),
            arr,
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=num_levels,
            seed=seed,
        )
    values: dict[str, np.ndarray] = {
        k: np.ma.filled(np.ma.asarray(res[k], dtype=float), np.nan) for k in MORRIS_KEYS
    }
    return Indices(output, "morris", tuple(problem["names"]), values, conf_level)


def delta_indices(
    problem: Mapping[str, Any],
    x: np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    seed: int,
    output: str = "y",
    num_resamples: int = DELTA_RESAMPLES,
    conf_level: float = 0.95,
) -> Indices:
    """Borgonovo's delta and a first-order S1 of ``y`` over any sample ``x``.

    Delta (0 to 1) measures how much fixing a parameter shifts the whole
    distribution of the output, not only its variance; S1 is the share of the
    output's variance explained by the parameter alone. Both come with bootstrap
    CIs (``_conf`` half-widths). SALib draws from NumPy's global random state: it
    is seeded with ``seed`` for the call and restored afterwards.

    With SALib 1.5 and later ``delta`` is its ``delta_raw`` (the classic
    estimator, bootstrapping the sample as it is: a grid or LHS is balanced
    already); earlier versions call it ``delta``.

    Raises:
        ValueError: SALib could not analyse ``y`` (e.g. a singular density).
    """
    from SALib.analyze import delta

    arr = np.asarray(y, dtype=float)
    state = np.random.get_state()
    fmt = warnings.formatwarning
    try:
        np.random.seed(seed)
        with warnings.catch_warnings(record=True), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = delta.analyze(
                dict(problem),
                np.asarray(x, dtype=float),
                arr,
                num_resamples=num_resamples,
                conf_level=conf_level,
                seed=seed,
                print_to_console=False,
            )
    finally:
        np.random.set_state(state)
        warnings.formatwarning = fmt  # SALib >= 1.5 replaces it
    key = "delta" if "delta" in res else "delta_raw"
    values = {
        "delta": np.asarray(res[key], dtype=float),
        "delta_conf": np.asarray(res[f"{key}_conf"], dtype=float),
        "S1": np.asarray(res["S1"], dtype=float),
        "S1_conf": np.asarray(res["S1_conf"], dtype=float),
    }
    return Indices(output, "delta", tuple(problem["names"]), values, conf_level)


def analyse(
    problem: Mapping[str, Any],
    x: np.ndarray,
    outputs: Mapping[str, np.ndarray],
    *,
    method: str,
    seed: int,
    num_levels: int = 4,
    delta_resamples: int | None = None,
) -> Sensitivity:
    """Indices of every output over one design: Sobol, Morris, or delta.

    Args:
        problem: The SALib problem (``num_vars``, ``names``, ``bounds``) the design
            was drawn for.
        x: The design matrix, one row per point, in design order (a
            :func:`sobol_sample` for ``sobol``, a :func:`morris_sample` for
            ``morris``, any sample for ``delta``).
        outputs: Output name to one value per row of ``x``.
        method: ``sobol``, ``morris`` or ``delta`` (see :func:`method_for`).
        seed: Seed of the bootstrap confidence intervals.
        num_levels: Grid levels of a Morris design.
        delta_resamples: Bootstrap resamples of the delta method (default
            ``DELTA_RESAMPLES``).

    Returns:
        The indices; an output with a missing value (a point whose runs failed),
        no variation at all, or that SALib's delta could not estimate (too few
        points) is skipped, with the reason.
    """
    resamples = DELTA_RESAMPLES if delta_resamples is None else delta_resamples
    x = np.asarray(x, dtype=float)
    indices: dict[str, Indices] = {}
    skipped: dict[str, str] = {}
    for name, values in outputs.items():
        y = np.asarray(values, dtype=float)
        if np.isnan(y).any():
            skipped[name] = f"{int(np.isnan(y).sum())} point(s) without a value (failed runs?)"
        elif np.ptp(y) == 0:
            skipped[name] = "the output does not vary over the design"
        elif method == "sobol":
            indices[name] = sobol_indices(problem, y, seed=seed, output=name)
        elif method == "morris":
            indices[name] = morris_indices(
                problem, x, y, num_levels=num_levels, seed=seed, output=name
            )
        else:
            found = _delta_or_why(problem, x, y, seed=seed, output=name, resamples=resamples)
            if isinstance(found, str):
                skipped[name] = found
            else:
                indices[name] = found
    return Sensitivity(method, tuple(problem["names"]), indices, skipped, seed, len(x))


def _delta_or_why(
    problem: Mapping[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    output: str,
    resamples: int,
) -> Indices | str:
    """The delta indices of one output, or why SALib could not estimate them."""
    if len(y) < DELTA_MIN_POINTS:
        return (
            f"too few design points for the delta measure ({len(y)}, "
            f"needs {DELTA_MIN_POINTS} or more)"
        )
    try:
        ind = delta_indices(problem, x, y, seed=seed, output=output, num_resamples=resamples)
    except (ValueError, RuntimeError, ArithmeticError) as exc:
        return f"SALib's delta failed: {exc}"
    if np.isnan(ind.values["delta"]).all() and np.isnan(ind.values["S1"]).all():
        return "SALib's delta estimated nothing (too few or degenerate points)"
    return ind
