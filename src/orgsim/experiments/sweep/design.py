"""Design points of a sweep, their scenarios and seeds, and the tasks that run them.

Randomness: by default every point and both arms of a replication use the same
root seed and replication number, so they draw from the same random streams
(common random numbers across arms *and* across the design: differences between
points are not blurred by luck). ``crn = "point"`` gives each point its own seed
instead, ``SeedSequence([seed, point]).generate_state(1)[0]``, still shared by its
two arms. Neither depends on the executor or the order runs finish in.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import numpy as np

from orgsim.analysis import sensitivity
from orgsim.errors import Problem, ScenarioError
from orgsim.experiments.sweep.parameter import SCALE, Parameter
from orgsim.experiments.sweep.spec import SweepSpec, point_tree
from orgsim.experiments.tasks import Task
from orgsim.scenario.convert import unstructure as unstructure_scenario
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------ design


@attrs.frozen(kw_only=True)
class Point:
    """One design point.

    Attributes:
        index: Position in the design (also the run key's point).
        values: Parameter path to value.
        x: Design-space coordinates (what SALib analyses), one per parameter.
    """

    index: int
    values: dict[str, Any]
    x: tuple[float, ...]


def level_count(param: Parameter) -> int:
    """How many levels a grid takes of ``param``, counted without making them.

    Listed levels count themselves and a float range its ``steps``. An integer
    range's levels are its steps rounded, each once: with at least as many steps
    as integers every integer from ``low`` to ``high`` (they are less than one
    apart), with fewer all ``steps`` of them (more than one apart, so no two round
    alike).
    """
    if param.discrete:
        return len(param.levels)
    assert param.low is not None and param.high is not None
    if param.type == "int":
        return min(param.steps, int(param.high) - int(param.low) + 1)
    return param.steps


def design_size(spec: SweepSpec) -> int:
    """Number of design points, counted from the spec alone (nothing is built).

    Grids: the product of the parameters' level counts (:func:`level_count`);
    ``lhs``: ``points``; ``sobol``: Saltelli's ``N x (D + 2)`` (first and total
    order, as :func:`~orgsim.analysis.sensitivity.sobol_sample` asks SALib);
    ``morris``: ``N x (D + 1)`` for ``N`` trajectories of ``D`` parameters.
    """
    d = len(spec.parameters)
    if spec.design == "grid":
        return math.prod(level_count(p) for p in spec.parameters)
    if spec.design == "sobol":
        return spec.points * (d + 2)
    if spec.design == "morris":
        return spec.points * (d + 1)
    return spec.points


def sweep_runs(spec: SweepSpec) -> int:
    """Number of runs the whole sweep makes: points x replications x arms."""
    return design_size(spec) * spec.replications * len(spec.arms)


def iter_grid(spec: SweepSpec) -> Iterator[Point]:
    """A grid's points one at a time (the first parameter varies slowest)."""
    params = spec.parameters
    combos = itertools.product(*(p.grid_levels() for p in params))
    for i, combo in enumerate(combos):
        yield Point(
            index=i,
            values={p.path: v for p, v in zip(params, combo, strict=True)},
            x=tuple(p.coordinate(v) for p, v in zip(params, combo, strict=True)),
        )


def design_points(spec: SweepSpec) -> list[Point]:
    """The design's points, in a fixed order that depends only on the spec.

    Grids take every combination of levels (the first parameter varies slowest,
    generated lazily by :func:`iter_grid`); LHS draws a Latin hypercube with
    ``spec.seed``; ``sobol`` and ``morris`` use SALib's samplers with ``spec.seed``
    (see :mod:`orgsim.analysis.sensitivity`). Count a design with
    :func:`design_size` and check it against the limits
    (:func:`orgsim.experiments.limits.check_sweep`) before building it.
    """
    params = spec.parameters
    if spec.design == "grid":
        return list(iter_grid(spec))
    problem = spec.problem()
    if spec.design == "lhs":
        from scipy.stats import qmc

        rng = np.random.default_rng(spec.seed)
        try:
            sampler = qmc.LatinHypercube(d=len(params), rng=rng)
        except TypeError:  # scipy < 1.15 names it seed
            sampler = qmc.LatinHypercube(d=len(params), seed=rng)
        unit = sampler.random(spec.points)
        lows = np.array([b[0] for b in problem["bounds"]])
        highs = np.array([b[1] for b in problem["bounds"]])
        x = lows + unit * (highs - lows)
    elif spec.design == "sobol":
        x = sensitivity.sobol_sample(problem, spec.points, seed=spec.seed)
    else:
        x = sensitivity.morris_sample(
            problem, spec.points, num_levels=spec.morris_levels, seed=spec.seed
        )
    return [
        Point(
            index=i,
            values={p.path: p.value(float(v)) for p, v in zip(params, row, strict=True)},
            x=tuple(float(v) for v in row),
        )
        for i, row in enumerate(x)
    ]


def point_scenarios(spec: SweepSpec, points: Sequence[Point]) -> list[Scenario]:
    """Every point's scenario, checked by :func:`parse_scenario`.

    Raises:
        ScenarioError: Some combination of levels makes an invalid scenario; each
            problem names the point and its values.
    """
    base = unstructure_scenario(spec.scenario)
    scale = float(spec.overrides.get(SCALE, 1.0))
    out: list[Scenario] = []
    problems: list[Problem] = []
    for point in points:
        try:
            out.append(parse_scenario(point_tree(base, point.values, scale)))
        except ScenarioError as exc:
            values = ", ".join(f"{k}={v!r}" for k, v in point.values.items())
            problems += [Problem(f"points.{point.index}", f"({values}) {p}") for p in exc.problems]
    if problems:
        raise ScenarioError(problems, source=spec.source)
    return out


def point_seed(spec: SweepSpec, point: int) -> int:
    """The root seed of a point's runs (the same for every point with ``crn = "design"``)."""
    if spec.crn == "design":
        return spec.seed
    return int(np.random.SeedSequence([spec.seed, point]).generate_state(1)[0])


def design_matrix(points: Sequence[Point]) -> np.ndarray:
    """The points' design-space coordinates, one row per point (what SALib analyses)."""
    return np.array([p.x for p in points], dtype=float)


def build_tasks(
    spec: SweepSpec,
    points: Sequence[Point],
    scenarios: Sequence[Scenario],
    *,
    keep_events: str | int | None = None,
) -> list[Task]:
    """Every run of the sweep, in canonical order (point, arm, replication).

    Args:
        spec: The sweep.
        points: Its design points.
        scenarios: Each point's scenario.
        keep_events: ``"all"`` keeps every run's event log, an integer K those of
            the first K replications of each point, None none.
    """
    tasks = []
    for point, sc in zip(points, scenarios, strict=True):
        digest = sc.digest()
        seed = point_seed(spec, point.index)
        arms = spec.arms if spec.paired else (("on",) if sc.broker.enabled else ("off",))
        for arm in arms:
            for rep in range(spec.replications):
                keep = keep_events == "all" or (isinstance(keep_events, int) and rep < keep_events)
                tasks.append(
                    Task(
                        experiment=spec.experiment,
                        scenario=sc,
                        scenario_hash=digest,
                        point=point.index,
                        arm=arm,
                        replication=rep,
                        seed=seed,
                        params=dict(point.values),
                        keep_events=keep,
                    )
                )
    return tasks
