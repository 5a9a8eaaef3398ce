"""Sobol and Morris sensitivity indices of a sweep's outputs, with SALib.

Which swept parameter drives the broker's effect, and which drive the company's
results? For a ``design = "sobol"`` sweep, Saltelli's sampling scheme (SALib's
``sample.sobol``) gives first-order (S1) and total-order (ST) Sobol indices with
bootstrap confidence intervals; for ``design = "morris"``, Morris trajectories give
the elementary-effects screening measures mu* (mean absolute effect, with a
bootstrap CI) and sigma (spread: non-linearity or interactions).

The outputs analysed are, per design point, means over replications: for a paired
sweep ``<metric>.effect`` (the broker's mean paired difference, on − off) and each
arm's level ``<metric>.on`` / ``<metric>.off``; for an unpaired sweep the metric.
Sampling and bootstrap are seeded, so the same sweep gives the same indices.

Integers and listed levels are analysed in their design space (see
:meth:`orgsim.sweep.Parameter.bounds`): the model is then piecewise constant in
that coordinate, which the estimators handle, if less efficiently.

SALib pulls in scipy and pandas (~0.7 s), so it is imported only here, and only
when an analysis is asked for.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from orgsim.sweep import Point, SweepSpec

__all__ = [
    "METHODS",
    "Indices",
    "Sensitivity",
    "analyse",
    "morris_indices",
    "morris_sample",
    "sobol_indices",
    "sobol_sample",
]

METHODS = ("sobol", "morris")
SOBOL_KEYS = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_KEYS = ("mu", "mu_star", "mu_star_conf", "sigma")


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
        method: ``sobol`` or ``morris``.
        names: Parameter paths, in order.
        values: Index name to one value per parameter: ``S1``, ``S1_conf``,
            ``ST``, ``ST_conf`` (Sobol; ``_conf`` is the CI half-width) or ``mu``,
            ``mu_star``, ``mu_star_conf``, ``sigma`` (Morris).
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
        method: ``sobol`` or ``morris``.
        names: Parameter paths.
        indices: Output name to its indices, in output order.
        skipped: Output name to why it was not analysed (failed runs, NaNs).
        seed: Seed of the bootstrap.
    """

    method: str
    names: tuple[str, ...]
    indices: dict[str, Indices]
    skipped: dict[str, str]
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "method": self.method,
            "seed": self.seed,
            "outputs": {k: v.to_dict() for k, v in self.indices.items()},
            "skipped": dict(self.skipped),
        }

    def print(self, console: Any, outputs: Sequence[str] | None = None) -> None:
        """A long table: per output and parameter, the main indices with CIs.

        Args:
            console: A rich console.
            outputs: Outputs to show (default: the broker effects, ``*.effect``,
                when there are any, else every output).
        """
        from rich.table import Table

        if outputs is None:
            effects = [o for o in self.indices if o.endswith(".effect")]
            outputs = effects or list(self.indices)
        table = Table(
            title=f"{self.method.capitalize()} sensitivity (± is the 95% CI half-width)",
            title_justify="left",
            show_edge=False,
            header_style="bold",
        )
        table.add_column("output")
        table.add_column("parameter")
        heads = ("S1", "ST") if self.method == "sobol" else ("mu*", "sigma")
        for head in heads:
            table.add_column(head, justify="right")
        for output in outputs:
            if output not in self.indices:
                continue
            v = self.indices[output].values
            for i, name in enumerate(self.names):
                if self.method == "sobol":
                    cells = [
                        f"{v['S1'][i]:.2f} ± {v['S1_conf'][i]:.2f}",
                        f"{v['ST'][i]:.2f} ± {v['ST_conf'][i]:.2f}",
                    ]
                else:
                    cells = [
                        f"{v['mu_star'][i]:.3g} ± {v['mu_star_conf'][i]:.2g}",
                        f"{v['sigma'][i]:.3g}",
                    ]
                table.add_row(output if i == 0 else "", name, *cells)
        console.print(table)
        hidden = [o for o in self.indices if o not in outputs]
        if hidden:
            console.print(f"also analysed (see summary.json): {', '.join(hidden)}")
        for output, why in self.skipped.items():
            console.print(f"not analysed: {output} ({why})")


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


def analyse(
    spec: SweepSpec, points: Sequence[Point], outputs: Mapping[str, np.ndarray]
) -> Sensitivity:
    """Indices of every output of a ``sobol`` or ``morris`` sweep.

    Args:
        spec: The sweep (its design decides the method; its seed the bootstrap).
        points: The design points, in design order.
        outputs: Output name to one value per point (see
            :func:`orgsim.sweep.sensitivity_outputs`).

    Returns:
        The indices; an output with a missing value (a point whose runs failed) or
        no variation at all is skipped, with the reason.
    """
    if spec.design not in METHODS:
        raise ValueError(f"sensitivity needs a sobol or morris design, not {spec.design!r}")
    problem = spec.problem()
    x = np.array([p.x for p in points], dtype=float)
    indices: dict[str, Indices] = {}
    skipped: dict[str, str] = {}
    for name, y in outputs.items():
        y = np.asarray(y, dtype=float)
        if np.isnan(y).any():
            skipped[name] = f"{int(np.isnan(y).sum())} point(s) without a value (failed runs?)"
            continue
        if np.ptp(y) == 0:
            skipped[name] = "the output does not vary over the design"
            continue
        if spec.design == "sobol":
            indices[name] = sobol_indices(problem, y, seed=spec.seed, output=name)
        else:
            indices[name] = morris_indices(
                problem, x, y, num_levels=spec.morris_levels, seed=spec.seed, output=name
            )
    return Sensitivity(spec.design, spec.names, indices, skipped, spec.seed)
