"""Where the broker's effect at one explore point comes from (``orgsim explore --explain``).

An explore answers across the ensemble; a user who sees a point where the broker
loses (or wins big) asks why there. :func:`explain_point` builds that point's
scenario under a broker lever (the focus lever by default) and attributes the
paired net-value difference between it with and without the broker to the broker's
channels (:func:`orgsim.experiments.attribution.attribute`: Shapley values over
every coalition on the same random numbers).

The attribution runs with the point's own root seed, so its full coalition is, run
for run, the lever's runs at that point, and its no-broker arm is the reference's
when the reference lever differs from the explained one by the broker alone (as
``no-broker`` does in the bundled file). Its runs go to a results database of their
own, ``<out>/explain-<point>/results.sqlite``: the ensemble's database holds the
ensemble only, so ``--resume`` keeps working.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from orgsim.errors import ExperimentError
from orgsim.experiments import attribution
from orgsim.experiments.attribution import AttributionResult
from orgsim.experiments.explore.design import design_points, point_seed
from orgsim.experiments.explore.spec import ExploreSpec, as_explore, point_scenario
from orgsim.scenario.schema import Scenario
from orgsim.storage.results import RunRecord

__all__ = ["explain_point", "explained_scenario"]


def explained_scenario(
    spec: ExploreSpec, point: int, lever: str | None = None
) -> tuple[Scenario, int, dict[str, Any]]:
    """The scenario, root seed and uncertainty values of one point under one lever.

    Args:
        spec: The explore file.
        point: The point's index in the design (``points.csv``'s ``point``).
        lever: A lever with the broker (default: the focus lever).

    Raises:
        ExperimentError: No such point or lever, or the lever has no broker to
            explain; every problem in one message.
    """
    problems = []
    name = spec.focus if lever is None else lever
    by_name = {lv.name: lv for lv in spec.levers}
    points = design_points(spec)
    total = len(points)
    if isinstance(point, bool) or not isinstance(point, int) or not 0 <= point < total:
        problems.append(
            f"--explain must be a point of the ensemble, 0 to {total - 1}; got {point!r}"
        )
    if name not in by_name:
        problems.append(f"no lever {name!r}; the levers are {', '.join(by_name)}")
    elif not by_name[name].scenario.broker.enabled:
        problems.append(f"lever {name!r} has no broker: there is no broker's effect to explain")
    if problems:
        raise ExperimentError("; ".join(problems))
    values = dict(points[point].values)
    scenario = point_scenario(by_name[name], spec.uncertainties, values, spec.scale)
    return scenario, point_seed(spec, point), values


def explain_point(
    file_or_spec: ExploreSpec | Mapping[str, Any] | str | os.PathLike[str],
    point: int,
    *,
    lever: str | None = None,
    runs: int | None = None,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
    allow_large: bool = False,
) -> AttributionResult:
    """Attribute the broker's effect at one explore point to its channels.

    Args:
        file_or_spec: The explore file (a path, a bundled name, plain data or a spec).
        point: The point's index in the design.
        lever: The lever explained (default: the file's focus lever).
        runs: Replications (default
            :data:`~orgsim.experiments.attribution.DEFAULT_RUNS`); each makes a run
            per coalition of channels and one without the broker.
        executor: ``serial``, ``local`` or ``dask``.
        jobs: Worker processes.
        scheduler: Address of a running Dask scheduler.
        out: The explore's output folder (default ``out/explore-<name>``); the
            attribution goes to ``explain-<point>`` in it.
        progress: Called after each run is committed.
        command: Command line recorded in the provenance.
        allow_large: Run past the limits of :mod:`orgsim.experiments.limits`.

    Raises:
        ScenarioError: The explore file is invalid.
        ExperimentError: No such point or lever, a lever without the broker, bad
            settings, or an attribution past the limits.
    """
    spec = as_explore(file_or_spec)
    scenario, seed, _ = explained_scenario(spec, point, lever)
    found = attribution.plan(scenario, runs=runs, jobs=jobs, allow_large=allow_large)
    base = Path(out) if out is not None else Path("out") / f"explore-{spec.name}"
    return attribution.attribute(
        scenario,
        runs=found,
        seed=seed,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        out=base / f"explain-{point}",
        progress=progress,
        command=command,
        allow_large=allow_large,
    )
