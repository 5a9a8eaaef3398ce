"""ABC-SMC with pyabc: priors, one generation at a time, resumable from its history database.

:func:`fit` builds pyabc's ``ABCSMC`` from an observations file: the priors are
the fitted constants' distributions (:func:`prior`), the distance is
:class:`~orgsim.experiments.calibrate.statistics.Distance`, the threshold adapts
(``QuantileEpsilon``: each generation's threshold is a quantile of the last
one's distances, the first set from a sample of the prior, never below
``min_epsilon``: :func:`floored_quantile`), the proposals come
from pyabc's default multivariate normal kernel, and the sampler is
:func:`~orgsim.experiments.calibrate.sampler.seeded_sampler`. pyabc's history database is
``abc.db`` in the output folder: every finished generation is committed there.

It runs one generation per call of ``ABCSMC.run`` and reads the history between
them, which is what the progress display shows (threshold, acceptance rate,
effective sample size) and what the stopping rule judges. That is also exactly
how a resumed calibration goes on (``ABCSMC.load(db, id)`` then ``run``): pyabc
refits the proposal and the threshold from the last stored generation either
way, so an interrupted calibration that is resumed accepts the same particles as
one that never stopped.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.experiments.calibrate.observations import Observed
from orgsim.experiments.calibrate.posterior import parameter_key
from orgsim.experiments.calibrate.sampler import MapFunction, Model, seeded_sampler
from orgsim.experiments.calibrate.statistics import Distance
from orgsim.experiments.explore.uncertainties import Uncertainty

__all__ = ["Generation", "Stopped", "fit", "floored_quantile", "prior", "read_generations"]

logger = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class Generation:
    """One finished generation, as the history holds it.

    Attributes:
        t: Its index (0 is sampled from the prior).
        epsilon: Its acceptance threshold.
        simulations: Simulations it made.
        accepted: Particles it accepted.
        ess: Effective sample size of its weights, ``1 / Σ w²``.
        elapsed: Wall time it took, seconds (NaN when not known).
    """

    t: int
    epsilon: float
    simulations: int
    accepted: int
    ess: float
    elapsed: float = math.nan

    @property
    def acceptance(self) -> float:
        """Accepted particles per simulation."""
        return self.accepted / self.simulations if self.simulations else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain data, with the acceptance rate."""
        return {**attrs.asdict(self), "acceptance": self.acceptance}


@attrs.frozen(kw_only=True)
class Stopped:
    """Why the calibration stopped, and its history id.

    Attributes:
        reason: Which rule of the stopping rule held.
        abc_id: The run's id in ``abc.db`` (pyabc's ``History.id``).
        generations: Every generation the history holds.
        simulations: Simulations in all, the prior sample for the first threshold
            included.
    """

    reason: str
    abc_id: int
    generations: tuple[Generation, ...]
    simulations: int


def prior(fit: Sequence[Uncertainty]) -> Any:
    """The prior as pyabc takes it: each fitted constant's distribution, independently.

    An integer constant is sampled on the real line (widened by half a step at each
    end, so each whole number gets an equal share) and rounded when it is put into
    the scenario.
    """
    from pyabc import RV, Distribution

    rvs = {}
    for u in fit:
        low, high = u.low, u.high
        if u.integer and u.distribution in ("uniform", "log-uniform"):
            low, high = low - 0.5, high + 0.5
        if u.distribution == "uniform":
            rv = RV("uniform", low, high - low)
        elif u.distribution == "log-uniform":
            rv = RV("loguniform", low, high)
        elif u.distribution == "triangular":
            assert u.mode is not None
            rv = RV("triang", (u.mode - low) / (high - low), loc=low, scale=high - low)
        else:
            assert u.mean is not None and u.sd is not None
            a, b = (low - u.mean) / u.sd, (high - u.mean) / u.sd
            rv = RV("truncnorm", a, b, loc=u.mean, scale=u.sd)
        rvs[parameter_key(u.path)] = rv
    return Distribution(**rvs)


def floored_quantile(alpha: float, floor: float) -> Any:
    """The threshold: pyabc's ``QuantileEpsilon``, never below ``floor`` (``min_epsilon``).

    A quantile threshold narrows the posterior every generation, however loose the
    observations: it ranks runs by closeness whatever the scale. Once every run is
    within the measurement uncertainty (a distance of ``min_epsilon``), ranking them
    further would fit noise, so the threshold stops there: observations that say
    nothing leave the prior as it was.
    """
    import pyabc

    class FlooredQuantileEpsilon(pyabc.QuantileEpsilon):
        def _update(self, t: int, weighted_distances: Any) -> None:
            super()._update(t, weighted_distances)
            self._look_up[t] = max(self._look_up[t], floor)

    return FlooredQuantileEpsilon(alpha=alpha)


def read_generations(history: Any) -> list[Generation]:
    """The finished generations of a pyabc history, in order."""
    from pyabc.weighted_statistics import effective_sample_size

    table = history.get_all_populations()
    out = []
    for row in table.itertuples():
        if row.t < 0:  # pyabc's pre-calibration row
            continue
        _, w = history.get_distribution(m=0, t=int(row.t))
        out.append(
            Generation(
                t=int(row.t),
                epsilon=float(row.epsilon),
                simulations=int(row.samples),
                accepted=int(row.particles),
                ess=float(effective_sample_size(np.asarray(w, dtype=float))),
            )
        )
    return out


def _stop_reason(observed: Observed, done: Sequence[Generation], total: int) -> str | None:
    """Which rule of the stopping rule holds after the generations ``done`` (None: go on)."""
    abc = observed.abc
    last = done[-1] if done else None
    if last is not None and last.epsilon <= abc.min_epsilon:
        return f"the threshold {last.epsilon:.3g} reached min_epsilon {abc.min_epsilon:g}"
    if last is not None and last.acceptance < abc.min_acceptance:
        return f"acceptance {last.acceptance:.2%} fell below min_acceptance {abc.min_acceptance:g}"
    if len(done) >= abc.generations:
        return f"{abc.generations} generations"
    if total >= abc.max_simulations:
        return f"{total:,} simulations reached max_simulations {abc.max_simulations:,}"
    return None


def fit(
    observed: Observed,
    db: Path,
    map_: MapFunction,
    *,
    abc_id: int | None = None,
    batch: int = 1,
    on_start: Callable[[int], None] | None = None,
    on_prior_sample: Callable[[Any], None] | None = None,
    progress: Callable[[Generation], None] | None = None,
) -> Stopped:
    """Run (or go on with) ABC-SMC until the stopping rule holds.

    Args:
        observed: The observations file (priors, statistics, settings).
        db: pyabc's history database.
        map_: Where the particles are simulated
            (:func:`~orgsim.experiments.calibrate.sampler.mapper`).
        abc_id: Go on with this run of ``db``; None starts a new one.
        batch: Tasks per batch sent to a worker.
        on_start: Called with the run's id once the history exists (before any
            generation), so the caller can record it for a resume.
        on_prior_sample: Called with the prior sample that sets the first threshold.
        progress: Called after each generation.

    Returns:
        Why it stopped, the run's id and its generations.
    """
    import pyabc

    model = Model(
        scenario=observed.scenario,
        fit=observed.fit,
        observations=observed.observations,
        seed=observed.seed,
    )
    sampler = seeded_sampler(observed.seed, map_, batch, record=on_prior_sample)

    def smc() -> Any:
        return pyabc.ABCSMC(
            model,
            prior(observed.fit),
            distance_function=Distance(observed.observations),
            population_size=observed.abc.population,
            eps=floored_quantile(observed.abc.quantile, observed.abc.min_epsilon),
            sampler=sampler,
        )

    url = f"sqlite:///{db}"
    with _quiet_pyabc():
        history = smc().new(url, observed.observed) if abc_id is None else None
    run_id = int(history.id) if history is not None else abc_id
    assert run_id is not None
    if on_start is not None:
        on_start(run_id)
    done: list[Generation] = []
    took: dict[int, float] = {}
    while True:
        # A new ABCSMC loaded from the history for each generation: exactly a resume
        # (a reused one would keep the prior sample as its "last population").
        abc = smc()
        with _quiet_pyabc():
            history = abc.load(url, run_id)
        generations = read_generations(history)
        if done and len(generations) == len(done):
            reason = "pyabc could not sample another generation"
            break
        done = [attrs.evolve(g, elapsed=took.get(g.t, math.nan)) for g in generations]
        if done and progress is not None and done[-1].t in took:
            progress(done[-1])
        stop = _stop_reason(observed, done, history.total_nr_simulations)
        if stop is not None:
            reason = stop
            break
        started = time.perf_counter()
        with _quiet_pyabc():
            abc.run(max_nr_populations=1)
        took[len(generations)] = time.perf_counter() - started
    return Stopped(
        reason=reason,
        abc_id=run_id,
        generations=tuple(done),
        simulations=int(history.total_nr_simulations),
    )


class _quiet_pyabc:
    """pyabc logs each step at INFO on its ``ABC`` loggers; keep that out unless verbose."""

    def __enter__(self) -> None:
        self._logger = logging.getLogger("ABC")
        self._level = self._logger.level
        if logging.getLogger("orgsim").getEffectiveLevel() >= logging.WARNING:
            self._logger.setLevel(logging.WARNING)

    def __exit__(self, *exc: object) -> None:
        self._logger.setLevel(self._level)
