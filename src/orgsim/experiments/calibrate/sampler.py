"""The model pyabc calls, and a sampler whose result does not depend on where it ran.

:class:`Model` is one simulation of the observed company at a parameter set: the
fitted constants put into the scenario (:meth:`Uncertain.apply`), one run over
the observation window, its statistics from the event log
(:func:`orgsim.experiments.calibrate.statistics.statistics`). Its seed is derived from the
calibration's root seed and the parameter values, so the model is a function: the
same parameters give the same statistics on any worker. It lives at module level
so that Dask workers, which import it anew, find it.

pyabc's own parallel samplers are not reproducible: the multicore ones and the
Dask one reseed each worker from the operating system's entropy
(``np.random.seed()`` in ``pyabc/sampler/multicore.py``, ``eps_mixin.py``) and
keep the particles that finish first, so two runs with the same seed differ, and
differ again with another worker count. :func:`seeded_sampler` follows pyabc's
``MappingSampler`` instead (each task samples until it has one accepted particle)
but gives task ``i`` of generation ``t`` its own seed,
``SeedSequence([seed, t, kind, i])``, and keeps the particles in task order: the
same calibration on one core, on local processes or on a Dask cluster accepts
the same particles. pyabc draws its proposals from numpy's global generator, so
each task seeds that generator in the process it runs in; run in this process
(``serial``), the caller's global state is saved and restored around it.
Tasks travel in batches (``batch``, 20 on Dask: one Dask task per particle makes
pyabc's Dask sampling about 7x slower).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import attrs
import numpy as np

from orgsim.engine.run import simulate
from orgsim.experiments.calibrate.observations import Observation
from orgsim.experiments.calibrate.posterior import parameter_key
from orgsim.experiments.calibrate.statistics import statistics
from orgsim.experiments.cluster import dask_client
from orgsim.experiments.executors import die_with_parent
from orgsim.experiments.explore.uncertainties import Uncertainty
from orgsim.scenario.schema import Scenario

__all__ = [
    "MapFunction",
    "Model",
    "mapper",
    "parameter_key",
    "parameter_seed",
    "seeded_sampler",
    "with_parameters",
]

logger = logging.getLogger(__name__)

DASK_BATCH = 20
"""Particles per Dask task."""


def with_parameters(
    scenario: Scenario, fit: Sequence[Uncertainty], values: Mapping[str, float]
) -> Scenario:
    """The scenario with each fitted constant set (values by dotted path)."""
    for u in fit:
        assert u.target is not None
        scenario = u.target.apply(scenario, float(values[u.path]))
    return scenario


def parameter_seed(seed: int, values: Sequence[float]) -> int:
    """The run seed of a parameter set: a function of the root seed and the values."""
    words = np.frombuffer(np.asarray(values, dtype=np.float64).tobytes(), dtype=np.uint32)
    return int(np.random.SeedSequence([seed, *words.tolist()]).generate_state(1)[0])


@attrs.frozen(kw_only=True)
class Model:
    """One run of the observed company at a parameter set, as its statistics.

    Attributes:
        scenario: The company as observed (:func:`calibration_scenario`).
        fit: The fitted constants, in order.
        observations: What is compared.
        seed: The calibration's root seed.
    """

    scenario: Scenario
    fit: tuple[Uncertainty, ...]
    observations: tuple[Observation, ...]
    seed: int

    def run(self, values: Mapping[str, float]) -> dict[str, float]:
        """The statistics of the run at ``values`` (by dotted path)."""
        sc = with_parameters(self.scenario, self.fit, values)
        numbers = [float(values[u.path]) for u in self.fit]
        log = simulate(sc, seed=parameter_seed(self.seed, numbers), replication=0).log
        return statistics(log, self.observations, sc.horizon, sc.budget.quarter_days)

    def __call__(self, parameters: Mapping[str, Any]) -> dict[str, float]:
        """What pyabc calls: its parameters by :func:`parameter_key`."""
        return self.run({u.path: parameters[parameter_key(u.path)] for u in self.fit})


# ------------------------------------------------------------------ sampling

# (pickled simulate_one and sample factory, seeds, evaluation cap) -> per task
# (its sample, evaluations made, whether it accepted one)
Batch = tuple[bytes, list[int], float]
Found = list[tuple[Any, int, bool]]


def sample_batch(batch: Batch) -> Found:
    """Run one batch of tasks: each samples until it accepts a particle (or hits the cap)."""
    import cloudpickle  # pyabc's dependency, as the calibrate extra installs it

    payload, seeds, cap = batch
    simulate_one, factory = cloudpickle.loads(payload)
    out: Found = []
    for seed in seeds:
        np.random.seed(seed)
        sample = factory()
        made = 0
        accepted = False
        while made < cap:
            particle = simulate_one()
            made += 1
            sample.append(particle)
            if particle.accepted:
                accepted = True
                break
        out.append((sample, made, accepted))
    return out


def seeded_sampler(
    seed: int,
    mapper: MapFunction,
    batch: int,
    record: Callable[[Any], None] | None = None,
) -> Any:
    """A pyabc sampler with per-task seeds (see the module docstring).

    Made by a function so that pyabc (the ``calibrate`` extra) is imported only
    when a calibration runs.

    Args:
        seed: The calibration's root seed.
        mapper: Runs batches, yielding each one's result in the order given.
        batch: Tasks per batch.
        record: Called with the sample of all-accepted prior draws (the
            calibration sample that sets the first threshold), for the prior
            predictive check.
    """
    import cloudpickle
    from pyabc.sampler import Sampler

    class SeededSampler(Sampler):
        def sample_until_n_accepted(
            self,
            n: int,
            simulate_one: Any,
            t: int,
            *,
            max_eval: float = np.inf,
            all_accepted: bool = False,
            ana_vars: Any = None,
        ) -> Any:
            """``n`` accepted particles, task ``i`` seeded by ``(seed, t, all_accepted, i)``."""
            words = np.random.SeedSequence([seed, t + 1, int(all_accepted)]).generate_state(n)
            cap = math.inf if not math.isfinite(max_eval) else max(1, math.ceil(max_eval / n))
            payload = cloudpickle.dumps((simulate_one, self.sample_factory))
            seeds = words.tolist()
            batches = [(payload, seeds[i : i + batch], cap) for i in range(0, n, batch)]
            sample = self._create_empty_sample()
            made = short = 0
            for found in mapper(sample_batch, batches):
                for part, evaluations, accepted in found:
                    sample += part
                    made += evaluations
                    short += not accepted
            self.nr_evaluations_ = made
            if short:
                sample.ok = False
            if all_accepted and record is not None:
                record(sample)
            return sample

    return SeededSampler()


MapFunction = Callable[[Callable[[Any], Any], Sequence[Any]], Iterator[Any]]
"""``map_(function, items)``: the results in the items' order, wherever they were made."""


def _serial(function: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
    """Map here, numpy's global state as it was before (pyabc's tasks seed it)."""
    state = np.random.get_state()
    try:
        yield from (function(item) for item in items)
    finally:
        np.random.set_state(state)


@contextmanager
def mapper(executor: str, jobs: int | None, scheduler: str | None = None) -> Iterator[MapFunction]:
    """Where work runs: here (``serial``), on local processes (``local``), or on Dask.

    Local workers are forked where the platform can (they inherit the scenario and
    the imports) and die with this process, as the runs of a comparison do
    (:func:`orgsim.experiments.executors.die_with_parent`).
    """
    if executor == "serial":
        yield _serial
        return
    if executor == "dask":
        with dask_client(scheduler, jobs) as client:

            def on_dask(function: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
                yield from client.gather(client.map(function, list(items), pure=False))

            yield on_dask
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(
        max_workers=jobs or os.cpu_count() or 1,
        mp_context=multiprocessing.get_context(method),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )
    try:
        yield lambda function, items: iter(pool.map(function, items))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
