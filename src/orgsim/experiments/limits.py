"""How big a command is, counted before anything is built: its runs, time and memory.

A sweep's design or a comparison's ``--runs`` can ask for billions of runs, and a
valid scenario (600,000 staff over a century) can make one run take hours. Each is
counted or estimated up front, from the settings and the scenario's size alone, and
refused with the numbers (:class:`~orgsim.errors.ExperimentError`, exit 2) when it
passes a limit, unless the caller confirms it (``allow_large``, the CLI's
``--allow-large``).

The limits (documented in docs/cli.md, "Limits"):

* :data:`MAX_POINTS` design points and :data:`MAX_RUNS` runs per command;
* :data:`MAX_MEMORY` bytes of estimated memory (every run's stored record, every
  design point's scenario, one event log per worker);
* :data:`MAX_RUN_SECONDS` of estimated time for one run, and
  :data:`MAX_TOTAL_SECONDS` for all of them (on one core).

Expected events of one run (:func:`estimate_run`), from the scenario's structure;
each term is the mean count of the events it names, over both arms of a comparison,
checked against the bundled scenarios (within about 10% of the two arms' mean:
midsize and enterprise seed 1; the start-up over seeds 1-6, as its failure day
varies by seed)::

    length     T = min(horizon, runway)
    runway     365 x cash / (payroll - income) a year, inf when income covers it;
               income = arrivals x mean value x cash_share, times SATURATED_INCOME when
               the busiest stage's load (arrivals x effort / its staff) is SATURATION or more
    arrivals   line PMs / mean feature interarrival (a day)
    founding   staff + departments + 6
    features   (products x initial_features + arrivals x T) x (stages + FEATURE_TAIL)
    staff      EVENTS_PER_LEAVER x T/365 x sum over departments of staff x (attrition + growth)
    budget     (departments + 1) x quarters of T
    conflicts  EVENTS_PER_CONFLICT x (arriving + disputes), where
               arriving = intensity x sum over arriving kinds of interfaces x T / mean interarrival
               disputes = DISPUTING_SHARE x departments x quarters x probability x intensity
    market     EVENTS_PER_SHIFT x products x T / mean shift interarrival
    praise     PRAISE_SHARE x T / mean praise interarrival (when praise_gain > 0)

Measured events (broker on / off) against the estimate: startup seed 1 520 / 481
(it fails of lack of cash at day 519 / 602), mean of seeds 1-6 both arms 621 (two of
twelve runs survive) vs 680; midsize seed 1 5,927 / 5,133, seeds 1-3 mean 5,532 vs
5,673; enterprise seed 1 58,314 / 47,626 (mean 52,970) vs 53,441.

Time per event grows a little with the company (larger queues and heaps):
``seconds = events x (SECONDS_PER_EVENT + SECONDS_PER_EVENT_STAFF x staff)``,
calibrated on startup, midsize and enterprise (orgsim 0.3) on the 2-core reference
machine: 35 to 37 us per event for startup and midsize, 46 to 47 us for enterprise
when the machine was quiet (44 to 57 and 74 to 81 us under a load average of 3).
Memory is :data:`BYTES_PER_EVENT` per event of the log a run holds. Estimates are
guides, good to a factor of about two.
"""

from __future__ import annotations

import logging
import math

import attrs

from orgsim.errors import ExperimentError, ScenarioError
from orgsim.experiments.explore.levers import Lever
from orgsim.experiments.explore.spec import ExploreSpec, point_scenario
from orgsim.experiments.sweep.design import design_size, sweep_runs
from orgsim.experiments.sweep.parameter import SCALE
from orgsim.experiments.sweep.spec import SweepSpec, point_tree
from orgsim.metrics.format import format_bytes, format_count, format_duration
from orgsim.scenario.convert import unstructure
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario
from orgsim.scenario.structure import shape

__all__ = [
    "BYTES_PER_EVENT",
    "MAX_MEMORY",
    "MAX_POINTS",
    "MAX_RUNS",
    "MAX_RUN_SECONDS",
    "MAX_TOTAL_SECONDS",
    "Estimate",
    "RunEstimate",
    "check",
    "check_compare",
    "check_explore",
    "check_run",
    "check_sweep",
    "estimate",
    "estimate_run",
    "refuse_max_runs",
]

logger = logging.getLogger(__name__)

MAX_POINTS = 10_000
"""Most design points of a sweep (each builds and checks a scenario: ~15 ms, ~13 kB)."""
MAX_RUNS = 100_000
"""Most runs of one command (each keeps a ~20 kB record in memory to aggregate)."""
MAX_MEMORY = 2 * 1024**3
"""Most estimated memory of one command, bytes."""
MAX_RUN_SECONDS = 600.0
"""Longest estimated single run, seconds."""
MAX_TOTAL_SECONDS = 24 * 3600.0
"""Longest estimated total of a command's runs on one core, seconds."""

SECONDS_PER_EVENT = 35e-6
"""Time per event of a small company on the reference machine (measured 35-37 us)."""
SECONDS_PER_EVENT_STAFF = 2.5e-9
"""Extra time per event per person of the company."""
BYTES_PER_EVENT = 250
"""Memory of one event in a run's log, with a margin (measured on a 988k-event enterprise
run, ``benchmarks/run.py --only memory``: ~152 bytes held, of which the columnar events
~44 and the state they fold to the rest; ~190 at peak and in RSS growth)."""
EVENTS_PER_CONFLICT = 7.5
"""Events of one conflict's life over both arms: raised, detected, queued or negotiated,
extra work added and done, ... resolved, escalated, the CEO's desk released (measured
7.5 to 7.6 on midsize and enterprise; the broker's arm ~8.5, the other ~6.5)."""
FEATURE_TAIL = 0.5
"""Events of a feature beyond one per stage: planned, and shipped for the half that ship
by the end; not every stage completes either (measured 4.1 to 4.9 events a feature
with four stages on midsize and enterprise)."""
EVENTS_PER_LEAVER = 5.0
"""Events per leaver or growth hire: left, requisition, hired, ramped, plus transfers
and cancelled requisitions (measured 4.7 to 5.0 a person-year of turnover)."""
DISPUTING_SHARE = 0.5
"""Share of departments a quarter that are underfunded enough to dispute the budget."""
EVENTS_PER_SHIFT = 2.5
"""Events of one market shift: the shift, and its realignment (broker: started and done)."""
PRAISE_SHARE = 0.5
"""Acts of praise per praise interval, over both arms (the broker's arm only praises)."""
SATURATION = 0.9
"""Load of the busiest stage past which features ship late and earn little."""
SATURATED_INCOME = 0.2
"""Share of the roadmap's value a saturated pipeline still earns (fitted: the bundled
start-up's mean failure time over seeds 1-6, ~880 days, its cash over a payroll 20% of
whose income its late features cover; two of its twelve runs survive the horizon)."""
RECORD_BYTES = 4_000
RECORD_BYTES_PER_QUARTER = 1_300
"""A stored run's record in memory: metrics, funnel, and its quarterly series."""
POINT_BYTES = 13_000
"""A design point and its checked scenario."""
TASK_BYTES = 400
"""One run's task."""

_CONFIRM = "pass --allow-large to run it anyway (see docs/cli.md, Limits)"


@attrs.frozen(kw_only=True)
class RunEstimate:
    """The expected size of one run of a scenario.

    Attributes:
        events: Expected events in its log (``inf`` when it would never end).
        seconds: Expected wall time on one core.
        memory: Expected bytes of its log in memory.
        record: Bytes of its stored record once it is done.
    """

    events: float
    seconds: float
    memory: float
    record: float


@attrs.frozen(kw_only=True)
class Estimate:
    """The size of a whole command, as checked against the limits.

    Attributes:
        what: What is estimated ("this sweep", "this comparison").
        runs: Runs it makes (at most).
        points: Design points (1 for a comparison).
        run: Its largest run.
        seconds: Expected total time of the runs on one core.
        memory: Expected peak memory of the command, bytes.
    """

    what: str
    runs: int
    points: int
    run: RunEstimate
    seconds: float
    memory: float


def _per(span: float, mean: float) -> float:
    """How many arrivals of a renewal process fit in ``span`` (infinite at mean 0)."""
    return math.inf if mean <= 0 else span / mean


def _runway(sc: Scenario, arrivals: float) -> float:
    """Expected days until the company runs out of cash (``inf`` when it lives on).

    The founding payroll burns the cash; shipped features bring ``cash_share`` of
    their mean value back, at the roadmap's arrival rate (``arrivals`` a day) while
    the busiest stage's department works below :data:`SATURATION` of its capacity.
    At or past it the queue grows without bound and features ship late, at a fraction
    of their value (:data:`SATURATED_INCOME`; the bundled start-up: QA at ~100%, it
    fails at ~2.4 years on average, from 1.4 years to never by seed).
    """
    payroll = sum(sc.departments[n].staff * sc.departments[n].salary for n in sc.active_departments)
    dl = sc.delivery
    load = 0.0
    for stage in dl.stages:
        dept = sc.departments.get(stage.department)
        people = dept.staff if dept is not None and dept.enabled else 0
        need = arrivals * stage.effort.expected
        load = max(load, math.inf if people <= 0 else need / people)
    income = arrivals * 365.0 * dl.value.expected * sc.budget.cash_share
    if load >= SATURATION:
        income *= SATURATED_INCOME
    net = payroll - income  # k$ a year
    return math.inf if net <= 0 else 365.0 * sc.budget.cash / net


def estimate_run(sc: Scenario) -> RunEstimate:
    """Expected events, time and memory of one run of ``sc`` (formula in the module doc)."""
    active = sc.active_departments
    depts = [sc.departments[n] for n in active]
    staff = sum(d.staff for d in depts)
    dl = sc.delivery
    shp = shape(sc)
    arrivals = shp.line_pms * _per(1.0, dl.feature_interarrival.expected)
    horizon = min(sc.horizon, _runway(sc, arrivals))
    years = horizon / 365.0
    quarters = math.ceil(horizon / sc.budget.quarter_days)
    features = dl.products * dl.initial_features + arrivals * horizon
    conflicts = sum(
        shp.interfaces(kind.initiator, kind.target)
        * _per(horizon * sc.conflicts.intensity, kind.interarrival.expected)
        for kind in sc.conflicts.kinds.values()
        if kind.enabled and kind.effect != "budget" and sc.conflicts.intensity > 0
    )
    disputes = sum(
        DISPUTING_SHARE * len(depts) * quarters * kind.probability * sc.conflicts.intensity
        for kind in sc.conflicts.kinds.values()
        if kind.enabled and kind.effect == "budget"
    )
    shifts = dl.products * _per(horizon, sc.market.shift_interarrival.expected)
    praise = (
        _per(horizon, sc.broker.praise_interarrival.expected) if sc.broker.praise_gain > 0 else 0.0
    )
    events = (
        staff
        + len(depts)
        + 6
        + features * (len(dl.stages) + FEATURE_TAIL)
        + EVENTS_PER_LEAVER
        * years
        * sum(d.staff * (d.attrition + max(d.growth_target, 0.0)) for d in depts)
        + (len(depts) + 1) * quarters
        + EVENTS_PER_CONFLICT * (conflicts + disputes)
        + EVENTS_PER_SHIFT * shifts
        + PRAISE_SHARE * praise
    )
    per_event = SECONDS_PER_EVENT + SECONDS_PER_EVENT_STAFF * staff
    return RunEstimate(
        events=events,
        seconds=events * per_event,
        memory=events * BYTES_PER_EVENT,
        record=RECORD_BYTES + RECORD_BYTES_PER_QUARTER * quarters,
    )


def estimate(
    what: str,
    run: RunEstimate,
    *,
    runs: int,
    points: int = 1,
    workers: int = 1,
) -> Estimate:
    """A command's totals: ``runs`` runs as large as ``run`` over ``points`` points."""
    memory = (
        runs * (run.record + TASK_BYTES)
        + (points * POINT_BYTES if points > 1 else 0)
        + max(1, workers) * run.memory
    )
    return Estimate(
        what=what, runs=runs, points=points, run=run, seconds=runs * run.seconds, memory=memory
    )


def check(found: Estimate, *, allow_large: bool = False, name: str = "") -> Estimate:
    """Refuse a command past a limit, with every number at once, unless confirmed.

    Args:
        found: The command's estimate.
        allow_large: The user confirmed it (``--allow-large``): log the estimate
            and go on.
        name: The scenario's name, for the message about one run.

    Returns:
        ``found``, when it is within the limits or confirmed.

    Raises:
        ExperimentError: Past a limit without ``allow_large``; the message names
            the counts, the estimates and the limits.
    """
    over: list[str] = []
    if found.points > MAX_POINTS:
        over.append(f"{found.points:,} design points (limit {MAX_POINTS:,})")
    if found.runs > MAX_RUNS:
        over.append(f"{found.runs:,} runs (limit {MAX_RUNS:,})")
    run = found.run
    if not math.isfinite(run.events):
        over.append(f"one run of {name or 'the scenario'} never ends (an arrival every 0 days)")
    elif run.seconds > MAX_RUN_SECONDS or run.memory > MAX_MEMORY:
        over.append(
            f"one run of {name or 'the scenario'} is ~{format_count(run.events)} events, "
            f"~{format_duration(run.seconds)} and ~{format_bytes(run.memory)} "
            f"(limits {format_duration(MAX_RUN_SECONDS)}, {format_bytes(MAX_MEMORY)})"
        )
    alone = found.runs == 1 and found.points == 1  # the run's memory is the total
    if found.memory > MAX_MEMORY and math.isfinite(run.events) and not alone:
        over.append(f"~{format_bytes(found.memory)} of memory (limit {format_bytes(MAX_MEMORY)})")
    if found.seconds > MAX_TOTAL_SECONDS and math.isfinite(run.events) and found.runs > 1:
        over.append(
            f"~{format_duration(found.seconds)} of runs on one core "
            f"(limit {format_duration(MAX_TOTAL_SECONDS)})"
        )
    if over and not allow_large:
        raise ExperimentError(f"{found.what} is too large: " + "; ".join(over) + f"; {_CONFIRM}")
    if over:
        logger.warning("%s is large (confirmed by --allow-large): %s", found.what, "; ".join(over))
    elif found.seconds > 600:
        logger.warning(
            "%s: %s run(s) of ~%s events each, about %s on one core",
            found.what,
            f"{found.runs:,}",
            format_count(run.events),
            format_duration(found.seconds),
        )
    return found


def check_run(sc: Scenario, *, allow_large: bool = False) -> Estimate:
    """Estimate one run of ``sc`` (``orgsim run``) and refuse it past the limits."""
    found = estimate("this run", estimate_run(sc), runs=1)
    return check(found, allow_large=allow_large, name=sc.name)


def check_compare(
    sc: Scenario,
    *,
    runs: int,
    max_runs: int,
    precision: float | None,
    jobs: int | None,
    allow_large: bool = False,
) -> Estimate:
    """Estimate a comparison: both arms of ``runs`` (``max_runs`` with a precision target)."""
    replications = max_runs if precision is not None else runs
    found = estimate("this comparison", estimate_run(sc), runs=2 * replications, workers=jobs or 1)
    return check(found, allow_large=allow_large, name=sc.name)


def check_sweep(spec: SweepSpec, *, jobs: int | None = None, allow_large: bool = False) -> Estimate:
    """Count a sweep's design and estimate its runs, before any point is built.

    The design is counted from the spec (:func:`design_size`); a run is estimated
    at each end of every parameter over the base, and the largest run of the
    design taken as the base run scaled by each parameter's largest effect (an
    upper guide: parameters that grow a run together, like ``scale`` and
    conflict intensity, multiply). Every run is counted as large as that one.
    """
    base = estimate_run(spec.scenario)
    events = seconds = 1.0
    tree = unstructure(spec.scenario)
    scale = float(spec.overrides.get(SCALE, 1.0))
    if scale != 1.0:
        base = _at(tree, {}, scale) or base
    for param in spec.parameters:
        ends = param.extremes()
        if len(ends) > _MOST_LEVELS:  # many listed levels: an even sample of them
            step = len(ends) / _MOST_LEVELS
            ends = [ends[int(i * step)] for i in range(_MOST_LEVELS)] + [ends[-1]]
        at_ends = [e for _, value in ends if (e := _at(tree, {param.path: value}, scale))]
        if at_ends and base.events > 0 and base.seconds > 0:
            events *= max(1.0, max(e.events for e in at_ends) / base.events)
            seconds *= max(1.0, max(e.seconds for e in at_ends) / base.seconds)
    run = RunEstimate(
        events=base.events * events,
        seconds=base.seconds * seconds,
        memory=base.memory * events,
        record=base.record,
    )
    found = estimate(
        "this sweep",
        run,
        runs=sweep_runs(spec),
        points=design_size(spec),
        workers=jobs or 1,
    )
    return check(found, allow_large=allow_large, name=f"sweep {spec.name}")


def check_explore(
    spec: ExploreSpec, *, jobs: int | None = None, allow_large: bool = False
) -> Estimate:
    """Count an ensemble and estimate its runs, before any point is built.

    The points are counted from the spec (:meth:`ExploreSpec.size`). Under each
    lever a run is estimated over the base, then scaled by each uncertainty's
    largest effect at either end of its range (an upper guide, as in
    :func:`check_sweep`: uncertainties that grow a run together, like ``scale``
    and conflict intensity, multiply); the largest lever's is taken, and every
    run of the ensemble counted as large as that one.
    """
    run: RunEstimate | None = None
    for lever in spec.levers:
        base = _explore_at(spec, lever, {}) or estimate_run(lever.scenario)
        events = seconds = 1.0
        for u in spec.uncertainties:
            at_ends = [
                e for _, value in u.extremes() if (e := _explore_at(spec, lever, {u.path: value}))
            ]
            if at_ends and base.events > 0 and base.seconds > 0:
                events *= max(1.0, max(e.events for e in at_ends) / base.events)
                seconds *= max(1.0, max(e.seconds for e in at_ends) / base.seconds)
        found = RunEstimate(
            events=base.events * events,
            seconds=base.seconds * seconds,
            memory=base.memory * events,
            record=base.record,
        )
        if run is None or found.seconds > run.seconds or not math.isfinite(found.events):
            run = found
    assert run is not None, "a checked spec has levers"
    found_all = estimate(
        "this ensemble", run, runs=spec.runs(), points=spec.size(), workers=jobs or 1
    )
    return check(found_all, allow_large=allow_large, name=f"explore {spec.name}")


def _explore_at(spec: ExploreSpec, lever: Lever, values: dict[str, object]) -> RunEstimate | None:
    """The estimate of one run under ``lever`` with ``values`` (None if it is invalid)."""
    chosen = [u for u in spec.uncertainties if u.path in values]
    try:
        return estimate_run(point_scenario(lever, chosen, values, spec.scale))
    except ScenarioError:
        return None


_MOST_LEVELS = 20
"""Listed levels of one parameter estimated at most (sampled evenly beyond that)."""


def _at(tree: dict[str, object], values: dict[str, object], scale: float) -> RunEstimate | None:
    """The estimate of one run with ``values`` over the base (None if it is invalid)."""
    try:
        return estimate_run(parse_scenario(point_tree(tree, values, scale)))
    except ScenarioError:
        return None


def refuse_max_runs(max_runs: object, runs: int) -> int:
    """``--max-runs`` must be an integer >= 2, and no lower than ``--runs``.

    A cap below the first batch is a contradiction, refused rather than raised
    silently to ``--runs``.
    """
    if isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 2:
        raise ExperimentError(f"--max-runs must be an integer >= 2, got {max_runs!r}")
    if max_runs < runs:
        raise ExperimentError(
            f"--max-runs ({max_runs}) is below --runs ({runs}): the cap on replications "
            "must be at least the first batch; raise --max-runs or lower --runs"
        )
    return max_runs


def check_attribution(
    sc: Scenario,
    *,
    runs: int,
    channels: int,
    jobs: int | None = None,
    allow_large: bool = False,
) -> Estimate:
    """Estimate an attribution and refuse it past the limits.

    It runs every coalition of ``channels`` channels and the arm without the
    broker, ``runs`` replications each: ``(2**channels + 1) x runs`` runs.
    """
    found = estimate(
        "this attribution",
        estimate_run(sc),
        runs=(2**channels + 1) * runs,
        workers=jobs or 1,
    )
    return check(found, allow_large=allow_large, name=sc.name)
