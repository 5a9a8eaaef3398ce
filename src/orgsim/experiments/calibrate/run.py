"""``orgsim calibrate``: fit, resume, check, and write the posterior beside pyabc's history.

:func:`calibrate` reads the observations file against the scenario, refuses an
output folder that holds another calibration (or this one, without ``resume``),
runs ABC-SMC (:func:`orgsim.experiments.calibrate.fit.fit`) with ``abc.db`` in the folder,
then draws parameter sets from the posterior and runs each once more with fresh
seeds for the posterior predictive check. The folder then holds:

* ``abc.db``: pyabc's history (every generation, resumable);
* ``calibration.json``: the observations file resolved, the run's id in
  ``abc.db``, the generations, the posterior summary and the predictive check;
* ``posterior.csv``: the last generation's particles and weights (what
  ``orgsim compare --posterior`` and explore's ``design = "posterior"`` draw from);
* ``prior-predictive.csv`` and ``predictive.csv``: the statistics of the prior
  sample that set the first threshold, and of the posterior predictive runs.

``calibration.json`` is written as soon as the history exists, so a calibration
killed at any point (SIGKILL included) resumes with ``resume=True``: pyabc
commits each generation as it ends, and the next one starts from the last.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.errors import ExperimentError
from orgsim.experiments.calibrate.files import (
    HISTORY,
    POSTERIOR,
    PREDICTIVE,
    PRIOR_PREDICTIVE,
    STATE,
)
from orgsim.experiments.calibrate.fit import Generation, Stopped, fit
from orgsim.experiments.calibrate.observations import Observed, load_observations
from orgsim.experiments.calibrate.posterior import (
    ParameterSummary,
    Posterior,
    PredictiveCheck,
    predictive_check,
    read_statistics,
    write_statistics,
)
from orgsim.experiments.calibrate.sampler import DASK_BATCH, Model, mapper
from orgsim.experiments.executors import check_executor
from orgsim.experiments.runner import check_seed, resolve
from orgsim.scenario.schema import Scenario
from orgsim.storage.provenance import versions
from orgsim.storage.results import check_out_dir, json_safe

__all__ = ["CalibrationResult", "calibrate"]

logger = logging.getLogger(__name__)

PREDICTIVE_RUNS = 100
"""Posterior predictive runs, at most (fewer with a smaller population)."""


@attrs.frozen(kw_only=True)
class CalibrationResult:
    """What a calibration found.

    Attributes:
        observed: The observations file, resolved.
        stopped: Why it stopped, its history id and generations.
        posterior: The last generation's weighted particles.
        summary: Each fitted constant's posterior (with the truth when known).
        checks: Each statistic against the posterior predictive.
        prior_predictive: Per statistic, its values in the prior sample.
        predictive: Per statistic, its values in the posterior predictive runs.
        out: The output folder.
        elapsed: Wall time of this call, seconds.
        resumed: Whether this call went on with a stored calibration.
        charts: The charts drawn of it (none until the API draws them).
    """

    observed: Observed
    stopped: Stopped
    posterior: Posterior = attrs.field(eq=False, repr=False)
    summary: list[ParameterSummary]
    checks: list[PredictiveCheck]
    prior_predictive: dict[str, np.ndarray] = attrs.field(eq=False, repr=False)
    predictive: dict[str, np.ndarray] = attrs.field(eq=False, repr=False)
    out: Path
    elapsed: float
    resumed: bool = False
    charts: list[Any] = attrs.field(factory=list)

    @property
    def warnings(self) -> list[str]:
        """The predictive check's warnings, each naming its statistic."""
        return [f"{c.name}: {c.warning}" for c in self.checks if c.warning]

    def to_dict(self) -> dict[str, Any]:
        """``calibration.json``."""
        return json_safe(
            {
                "kind": "calibration",
                "digest": self.observed.digest(),
                "abc_id": self.stopped.abc_id,
                "observed": self.observed.to_dict(),
                "stopped": self.stopped.reason,
                "simulations": self.stopped.simulations,
                "generations": [g.to_dict() for g in self.stopped.generations],
                "posterior": [s.to_dict() for s in self.summary],
                "predictive_check": [c.to_dict() for c in self.checks],
                "warnings": self.warnings,
                "elapsed": self.elapsed,
                "out": str(self.out),
                "versions": versions(),
            }
        )


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(json_safe(doc), indent=2) + "\n")
    os.replace(tmp, path)


def _stored(out: Path, observed: Observed, resume: bool) -> int | None:
    """The history id to go on with (None: start anew), or why the folder is refused."""
    state, db = out / STATE, out / HISTORY
    if not db.exists():
        return None
    if not resume:
        raise ExperimentError(
            f"{out} holds a calibration already ({db}): add --resume to go on with it, "
            "or choose another --out"
        )
    try:
        doc = json.loads(state.read_text())
    except (OSError, ValueError):
        raise ExperimentError(
            f"{out} has {HISTORY} but no readable {STATE}: it cannot be resumed; "
            "choose another --out"
        ) from None
    if doc.get("digest") != observed.digest():
        raise ExperimentError(
            f"{out} holds another calibration (another scenario, observations, priors, "
            "seed or population): choose another --out"
        )
    return int(doc["abc_id"])


def calibrate(
    scenario: Scenario | str | os.PathLike[str],
    observations: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    settings: dict[str, Any] | None = None,
    seed: int | None = None,
    progress: Callable[[Generation], None] | None = None,
    command: Sequence[str] | None = None,
) -> CalibrationResult:
    """Fit the observations file's constants to its statistics by ABC-SMC.

    Args:
        scenario: The scenario the company is an instance of (a path, a bundled
            name, or a Scenario).
        observations: The observations file.
        out: Output folder (default ``out/calibrate-<name>``).
        executor: ``serial``, ``local`` or ``dask``.
        jobs: Worker processes (default: all cores).
        scheduler: A Dask scheduler's address (``dask`` only).
        resume: Go on with the calibration stored in ``out``.
        settings: ``[abc]`` settings over the file's (population, generations,
            min_epsilon, max_simulations, quantile, min_acceptance).
        seed: Root seed over the file's.
        progress: Called after each generation.
        command: Command line recorded in ``calibration.json``.

    Raises:
        ScenarioError: The scenario or the observations file is invalid.
        ExperimentError: Bad settings, or the folder cannot be used.
    """
    started = time.perf_counter()
    check_executor(executor, jobs)
    base = resolve(scenario)
    observed = load_observations(observations, base)
    if settings:
        observed = attrs.evolve(observed, abc=attrs.evolve(observed.abc, **settings))
    if seed is not None:
        observed = attrs.evolve(observed, seed=check_seed(seed))
    out_dir = Path(out) if out is not None else Path("out") / f"calibrate-{observed.name}"
    check_out_dir(out_dir)
    abc_id = _stored(out_dir, observed, resume)
    head = {
        "kind": "calibration",
        "digest": observed.digest(),
        "observed": observed.to_dict(),
        "command": list(command) if command is not None else [],
        "status": "running",
    }

    def on_start(run_id: int) -> None:
        _write_json(out_dir / STATE, {**head, "abc_id": run_id})

    def on_prior_sample(sample: Any) -> None:
        rows = [p.sum_stat for p in sample.accepted_particles]
        write_statistics(out_dir / PRIOR_PREDICTIVE, rows, [o.name for o in observed.observations])

    batch = DASK_BATCH if executor == "dask" else 1
    with mapper(executor, jobs, scheduler) as map_:
        stopped = fit(
            observed,
            out_dir / HISTORY,
            map_,
            abc_id=abc_id,
            batch=batch,
            on_start=on_start,
            on_prior_sample=on_prior_sample,
            progress=progress,
        )
        posterior = _posterior(out_dir, stopped, observed)
        predictive = _predictive(observed, posterior, map_)
    names = [o.name for o in observed.observations]
    write_statistics(out_dir / PREDICTIVE, _rows(predictive, names), names)
    prior = read_statistics(out_dir / PRIOR_PREDICTIVE)
    result = CalibrationResult(
        observed=observed,
        stopped=stopped,
        posterior=posterior,
        summary=posterior.summary(observed.truth),
        checks=predictive_check(observed.observations, predictive, prior),
        prior_predictive=prior,
        predictive=predictive,
        out=out_dir,
        elapsed=time.perf_counter() - started,
        resumed=abc_id is not None,
    )
    _write_json(out_dir / STATE, {**head, **result.to_dict(), "status": "done"})
    for warning in result.warnings:
        logger.warning("%s", warning)
    return result


def _posterior(out: Path, stopped: Stopped, observed: Observed) -> Posterior:
    import pyabc

    history = pyabc.History(f"sqlite:///{out / HISTORY}", _id=stopped.abc_id)
    posterior = Posterior.from_history(history, observed.fit)
    posterior.write(out / POSTERIOR)
    return posterior


def _predictive(
    observed: Observed, posterior: Posterior, map_: Callable[..., Any]
) -> dict[str, np.ndarray]:
    """Per statistic, its values in fresh runs at posterior draws (their own seeds)."""
    k = min(PREDICTIVE_RUNS, observed.abc.population)
    seed = int(np.random.SeedSequence([observed.seed, 1]).generate_state(1)[0])
    model = Model(
        scenario=observed.scenario,
        fit=observed.fit,
        observations=observed.observations,
        seed=seed,
    )
    draws = posterior.draw(k, seed)
    rows = list(map_(model.run, draws))
    return {o.name: np.array([r[o.name] for r in rows], dtype=float) for o in observed.observations}


def _rows(columns: dict[str, np.ndarray], names: Sequence[str]) -> list[dict[str, float]]:
    n = len(next(iter(columns.values()))) if columns else 0
    return [{k: float(columns[k][i]) for k in names} for i in range(n)]
