"""How the broker's verdict moves across the plausible range of each uncertain number.

A tornado analysis of the paired broker effect. Every behavioural constant the
scenario uses (:func:`~orgsim.scenario.uncertainty.uncertain_parameters`) is set,
one at a time, to the low and to the high end of its plausible range, and the
broker's effect on one metric (default ``net_value``, broker on − off, paired) is
measured at each end and at the base:

1. **Screening**: every end with ``screen`` paired replications, enough to rank
   the parameters by the swing of the effect between their two ends. All points use
   the same seeds and replication numbers (common random numbers across points as
   well as arms), so a swing is not blurred by luck.
2. **Measuring**: the ``top`` parameters with the largest swings, and the base, are
   taken to ``runs`` replications (the screening runs are reused: they are the
   first replications of the same points) and reported with 95% CIs.

Each row then says what the two ends do to the verdict at the base
(:func:`verdict`): with a clear effect at the base it *holds*, *flips* or
*weakens*; without one, which ends give a clear effect, and of which sign. Every
run is committed to the results database under ``out`` as it finishes, so an
interrupted analysis resumes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.analysis.stats import Estimate, mean_ci
from orgsim.errors import ExperimentError
from orgsim.experiments.campaign import Campaign
from orgsim.experiments.executors import check_executor
from orgsim.experiments.limits import check, estimate, estimate_run
from orgsim.experiments.runner import check_seed
from orgsim.experiments.samples import paired_samples
from orgsim.experiments.tasks import ARMS, Task
from orgsim.metrics.catalogue import METRIC_NAMES
from orgsim.scenario.schema import Scenario
from orgsim.scenario.uncertainty import Uncertain, uncertain_parameters
from orgsim.storage.results import ResultsDB, RunRecord, check_out_dir

logger = logging.getLogger(__name__)

__all__ = ["TornadoResult", "TornadoRow", "tornado", "tornado_runs", "verdict"]


@attrs.frozen(kw_only=True)
class TornadoRow:
    """The broker's effect at both ends of one parameter's plausible range.

    Attributes:
        parameter: The uncertain constant (path, value, range, source).
        low: The paired effect with the parameter at its low end.
        high: The same at its high end.
        verdict: What the ends do to the base's verdict (:func:`verdict`).
    """

    parameter: Uncertain
    low: Estimate
    high: Estimate
    verdict: str

    @property
    def swing(self) -> float:
        """How far the effect moves between the two ends."""
        return abs(self.high.mean - self.low.mean)


@attrs.frozen(kw_only=True)
class TornadoResult:
    """What a tornado analysis found.

    Attributes:
        scenario: The base scenario.
        metric: The metric whose broker effect is measured.
        seed: Root seed.
        base: The paired effect at the base scenario.
        rows: The measured parameters, largest swing first.
        screened: Every parameter screened, with its screening swing.
        runs: Replications per arm of the measured points; ``screen`` of the others.
        screen: Replications per arm in the screening.
        out: The output folder (``db`` the results database in it).
        ran: Runs made by this invocation (the rest were committed before).
        charts: The charts drawn of it (none until :func:`orgsim.api.tornado`
            draws them).
    """

    scenario: Scenario
    metric: str
    seed: int
    base: Estimate
    rows: list[TornadoRow]
    screened: list[tuple[Uncertain, float]]
    runs: int
    screen: int
    out: Path
    ran: int
    charts: list[Any] = attrs.field(factory=list)

    @property
    def db(self) -> Path:
        """The results database."""
        return self.out / "results.sqlite"


def tornado(
    scenario: Scenario,
    *,
    metric: str = "net_value",
    screen: int = 4,
    runs: int = 20,
    top: int = 10,
    seed: int | None = None,
    executor: str = "local",
    jobs: int | None = None,
    out: str | Path = "out/tornado",
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
    allow_large: bool = False,
) -> TornadoResult:
    """Screen every uncertain constant, then measure the most influential ones.

    Raises:
        ExperimentError: a bad metric, count or executor; a command past the limits.
    """
    if metric not in METRIC_NAMES:
        raise ExperimentError(f"unknown metric {metric!r}; see docs/model.md, section 5")
    for name, value, least in (("screen", screen, 2), ("runs", runs, 2), ("top", top, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ExperimentError(f"--{name} must be an integer >= {least}, got {value!r}")
    if runs < screen:
        raise ExperimentError(f"--runs ({runs}) must be at least --screen ({screen})")
    check_executor(executor, jobs)
    seed = check_seed(scenario.seed if seed is None else seed)
    params = uncertain_parameters(scenario)
    points = _points(scenario, params)
    top = min(top, len(params))
    total = _run_count(len(params), screen=screen, runs=runs, top=top)
    found = estimate("this tornado", estimate_run(scenario), runs=total, workers=jobs or 1)
    check(found, allow_large=allow_large, name=scenario.name)
    out = Path(out)
    check_out_dir(out)
    experiment = f"tornado:{scenario.name}:{scenario.digest()}:{seed}:{metric}"
    with ResultsDB(out / "results.sqlite") as db:
        campaign = Campaign.start(
            db,
            experiment=experiment,
            kind="tornado",
            scenario=scenario,
            settings=dict(metric=metric, screen=screen, runs=runs, top=top, seed=seed),
            command=command,
            progress=progress,
        )

        with campaign:  # the local workers serve both stages

            def measure(chosen: Sequence[int], reps: int) -> dict[int, Estimate]:
                tasks = [
                    Task(
                        experiment=experiment,
                        scenario=points[p],
                        scenario_hash=points[p].digest(),
                        point=p,
                        arm=arm,
                        replication=r,
                        seed=seed,
                    )
                    for p in chosen
                    for r in range(reps)
                    for arm in ARMS
                ]
                records = campaign.run(tasks, executor=executor, jobs=jobs)
                return {p: _effect([x for x in records if x.point == p], metric) for p in chosen}

            screened = measure(range(len(points)), screen)
            swings = [
                (u, abs(screened[2 * i + 2].mean - screened[2 * i + 1].mean))
                for i, u in enumerate(params)
            ]
            order = sorted(range(len(params)), key=lambda i: -_finite(swings[i][1]))[:top]
            chosen = [0, *(p for i in order for p in (2 * i + 1, 2 * i + 2))]
            final = measure(chosen, runs)
    base = final[0]
    rows = [
        TornadoRow(
            parameter=params[i],
            low=final[2 * i + 1],
            high=final[2 * i + 2],
            verdict=verdict(base, final[2 * i + 1], final[2 * i + 2]),
        )
        for i in order
    ]
    rows.sort(key=lambda row: -_finite(row.swing))
    logger.info("tornado of %s: %d screened, %d measured", scenario.name, len(params), top)
    return TornadoResult(
        scenario=scenario,
        metric=metric,
        seed=seed,
        base=base,
        rows=rows,
        screened=sorted(swings, key=lambda s: -_finite(s[1])),
        runs=runs,
        screen=screen,
        out=out,
        ran=campaign.ran,
    )


def tornado_runs(scenario: Scenario, *, screen: int, runs: int, top: int) -> int:
    """How many runs a tornado of ``scenario`` makes: both arms of every replication."""
    return _run_count(len(uncertain_parameters(scenario)), screen=screen, runs=runs, top=top)


def _run_count(n: int, *, screen: int, runs: int, top: int) -> int:
    """Runs of a tornado over ``n`` parameters: every end screened, the top measured."""
    return 2 * ((2 * n + 1) * screen + (2 * min(top, n) + 1) * (runs - screen))


def _points(scenario: Scenario, params: Sequence[Uncertain]) -> list[Scenario]:
    """The base, then each parameter at its low and at its high end."""
    points = [scenario]
    for u in params:
        points += [u.apply(scenario, u.low), u.apply(scenario, u.high)]
    return points


def _effect(records: Sequence[RunRecord], metric: str) -> Estimate:
    """The paired broker effect (on − off) on a metric over one point's replications."""
    samples, _ = paired_samples(records, ARMS, [metric])
    diff = samples["on"][metric] - samples["off"][metric]
    return mean_ci(diff[np.isfinite(diff)])


def _side(e: Estimate) -> int:
    """+1 or -1 when the CI lies wholly above or below zero, else 0."""
    return 1 if e.low > 0 else -1 if e.high < 0 else 0


def verdict(base: Estimate, low: Estimate, high: Estimate) -> str:
    """What the two ends do to the verdict at the base.

    With a clear effect at the base (its CI excludes zero): ``holds`` (both ends
    clear, same sign), ``flips`` (an end clear with the other sign) or ``weakens``
    (an end not clear). Without one: which ends give a clear effect, and of which
    sign (``+ at high``, ``- at both``, ``- at low, + at high``), or ``unclear``.
    """
    ends = {"low": _side(low), "high": _side(high)}
    at_base = _side(base)
    if at_base:
        if any(s == -at_base for s in ends.values()):
            return "flips"
        return "holds" if all(s == at_base for s in ends.values()) else "weakens"
    clear = {k: s for k, s in ends.items() if s}
    if not clear:
        return "unclear"
    if len(clear) == 2 and clear["low"] == clear["high"]:
        return f"{'+' if clear['low'] > 0 else '-'} at both"
    return ", ".join(f"{'+' if s > 0 else '-'} at {k}" for k, s in clear.items())


def _finite(x: float) -> float:
    return x if math.isfinite(x) else -math.inf
