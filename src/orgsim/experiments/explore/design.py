"""The ensemble: points sampled over the uncertainties, each point's scenario per lever, the runs.

The design samples the unit cube, one coordinate per uncertainty: a Latin
hypercube (``lhs``: scipy's ``LatinHypercube`` with a numpy Generator seeded by
the file's ``seed``, so each coordinate has exactly one point in each of its
``points`` equal strata) or Saltelli's scheme (``sobol``: SALib's sample as
:func:`orgsim.analysis.sensitivity.sobol_sample` draws it, ``N x (D + 2)`` points,
which first- and total-order Sobol indices need). Each coordinate is a
probability, mapped to a value through its uncertainty's inverse CDF
(:meth:`~orgsim.experiments.explore.uncertainties.Uncertainty.values`).

Randomness: replication ``r`` of every lever at point ``i`` has the same seed and
replication number, so the levers draw from the same random streams there
(common random numbers: a lever's effect at a point is not blurred by luck);
seeds differ across points (``SeedSequence([seed, point]).generate_state(1)[0]``,
as a sweep's ``crn = "point"``), so the ensemble samples luck along with the
uncertainties. Nothing depends on the executor or the order runs finish in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.analysis import sensitivity
from orgsim.errors import Problem, ScenarioError
from orgsim.experiments.calibrate.files import POSTERIOR
from orgsim.experiments.calibrate.posterior import Posterior
from orgsim.experiments.explore.spec import ExploreSpec, point_scenario
from orgsim.experiments.tasks import Task
from orgsim.scenario.schema import Scenario

__all__ = [
    "Point",
    "build_tasks",
    "design_points",
    "point_scenarios",
    "point_seed",
    "uncertainty_columns",
    "unit_sample",
]

logger = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class Point:
    """One point of the ensemble.

    Attributes:
        index: Position in the design (also the run key's point).
        values: Uncertainty path to value.
        unit: The point's unit-cube coordinates (what the sensitivity analysis
            reads), one per uncertainty.
    """

    index: int
    values: dict[str, Any]
    unit: tuple[float, ...]


def unit_sample(spec: ExploreSpec) -> np.ndarray:
    """The design on the unit cube: ``spec.size()`` rows, one column per uncertainty."""
    d = len(spec.uncertainties)
    if spec.design == "sobol":
        return sensitivity.sobol_sample(spec.problem(), spec.points, seed=spec.seed)
    from scipy.stats import qmc

    rng = np.random.default_rng(spec.seed)
    try:
        sampler = qmc.LatinHypercube(d=d, rng=rng)
    except TypeError:  # scipy < 1.15 names it seed
        sampler = qmc.LatinHypercube(d=d, seed=rng)
    return np.asarray(sampler.random(spec.points), dtype=float)


def design_points(spec: ExploreSpec) -> list[Point]:
    """The ensemble's points, in a fixed order that depends only on the spec.

    Count the design with :meth:`ExploreSpec.size` and check it against the
    limits (:func:`orgsim.experiments.limits.check_explore`) before building it.
    """
    if spec.design == "posterior":
        return _posterior_points(spec)
    unit = unit_sample(spec)
    columns = [u.values(unit[:, j]) for j, u in enumerate(spec.uncertainties)]
    points = []
    for i in range(unit.shape[0]):
        values: dict[str, Any] = {}
        for u, col in zip(spec.uncertainties, columns, strict=True):
            values[u.path] = int(col[i]) if u.integer else float(col[i])
        points.append(Point(index=i, values=values, unit=tuple(float(v) for v in unit[i])))
    return points


def _posterior_points(spec: ExploreSpec) -> list[Point]:
    """Parameter sets drawn by weight from the calibration's posterior (``spec.seed``)."""
    posterior = Posterior.read(Path(spec.posterior) / POSTERIOR, spec.uncertainties)
    draws = posterior.draw(spec.points, spec.seed)
    points = []
    for i, draw in enumerate(draws):
        values: dict[str, Any] = {}
        unit = []
        for u in spec.uncertainties:
            x = draw[u.path]
            values[u.path] = round(x) if u.integer else x
            unit.append(float(u.unit(np.array([x]))[0]))
        points.append(Point(index=i, values=values, unit=tuple(unit)))
    return points


def uncertainty_columns(spec: ExploreSpec, points: Sequence[Point]) -> dict[str, np.ndarray]:
    """Each uncertainty's values over the points, ``(n,)`` floats (what discovery reads)."""
    return {
        path: np.array([float(p.values[path]) for p in points], dtype=float) for path in spec.names
    }


def point_scenarios(spec: ExploreSpec, points: Sequence[Point]) -> list[dict[str, Scenario]]:
    """Every point's scenario under every lever, each checked whole.

    Raises:
        ScenarioError: Some combination of values makes an invalid scenario; each
            problem names the point, the lever and the values.
    """
    out: list[dict[str, Scenario]] = []
    problems: list[Problem] = []
    for point in points:
        row: dict[str, Scenario] = {}
        for lever in spec.levers:
            try:
                row[lever.name] = point_scenario(
                    lever, spec.uncertainties, point.values, spec.scale
                )
            except ScenarioError as exc:
                shown = ", ".join(f"{k}={_short(v)}" for k, v in point.values.items())
                problems += [
                    Problem(f"points.{point.index}", f"lever '{lever.name}' at ({shown}): {p}")
                    for p in exc.problems
                ]
        out.append(row)
    if problems:
        raise ScenarioError(problems, source=spec.source)
    return out


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def point_seed(spec: ExploreSpec, point: int) -> int:
    """The root seed of every run at ``point`` (all levers and replications share it)."""
    return int(np.random.SeedSequence([spec.seed, point]).generate_state(1)[0])


def build_tasks(
    spec: ExploreSpec,
    points: Sequence[Point],
    scenarios: Sequence[Mapping[str, Scenario]],
) -> list[Task]:
    """Every run of the ensemble, in canonical order (point, lever, replication).

    A run's arm is its lever's name and its broker setting the lever's scenario's
    own (a ``no-broker`` lever runs without one, every other with).
    """
    experiment = spec.experiment  # a digest of the whole spec: made once
    tasks = []
    for point, by_lever in zip(points, scenarios, strict=True):
        seed = point_seed(spec, point.index)
        for lever in spec.levers:
            sc = by_lever[lever.name]
            digest = sc.digest()
            for rep in range(spec.replications):
                tasks.append(
                    Task(
                        experiment=experiment,
                        scenario=sc,
                        scenario_hash=digest,
                        point=point.index,
                        arm=lever.name,
                        replication=rep,
                        seed=seed,
                        params=dict(point.values),
                        broker=sc.broker.enabled,
                    )
                )
    return tasks
