"""Counterfactual forks of stored runs: the same company, the same luck, one change at a day.

:func:`fork` takes runs from an event store and, for each, re-simulates it from
what the store kept (its resolved scenario, root seed, replication, broker arm and
channels) with one extra intervention at ``at``: parameter settings (``--set``)
and actions (``--intervene``: appoint the broker, add or remove mediators). Before
anything is stored it checks that the re-simulation reproduced the stored run up
to that day: the canonical digest of the events before ``at``
(:func:`orgsim.engine.log.prefix_digest`, the same function over the live log and
the stored one) must be the stored log's. A run stored by another orgsim version,
or one whose stored prefix is not what this orgsim simulates (a changed model, a
doctored store), is refused with the reason, naming the first differing event. The
fork is saved beside its parent, in the same store, with its origin in its
metadata (:class:`~orgsim.storage.eventstore.ForkOrigin`: parent run, fork day,
changes, prefix digest).

Why a fork isolates the change: the intervention is an *extra* one beyond the
scenario's (``simulate(..., interventions=...)``), so the fork's ``RunStarted`` is
the parent's, and every source of randomness draws from its own stream
(DESIGN.md, invariant 4), so after ``at`` the fork sees the same arrivals, draws
and market as its parent would have. The paired difference of fork and parent is
the change's alone. A fork with no change at all is the parent, event for event
(the same digest).

:func:`compare_forks` pairs every stored fork with its parent and reports each
metric's paired difference with its CI and a multiplicity-corrected verdict, by the
comparison statistics of :func:`orgsim.analysis.stats.compare_table` (fork in the
role of the broker arm, parent in that of the arm without), from metrics
projected from the stored logs (:func:`orgsim.metrics.projections.metrics`).
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim._version import __version__
from orgsim.analysis.stats import Comparison, compare_table
from orgsim.engine.events import BrokerChannelsLimited, RunStarted
from orgsim.engine.log import EventLog, first_difference, prefix_digest
from orgsim.engine.run import simulate
from orgsim.errors import ExperimentError, ScenarioError, StoreError
from orgsim.experiments.compare import check_statistics
from orgsim.metrics.catalogue import BETTER, BROKER_ONLY, METRIC_NAMES
from orgsim.metrics.projections import department_utilisation, metrics
from orgsim.scenario.interventions import Intervention
from orgsim.scenario.loading import check_interventions, parse_scenario
from orgsim.scenario.paths import parse_override_value
from orgsim.scenario.schema import Scenario
from orgsim.storage.eventstore import FORK_KEY, EventStore, ForkOrigin, RunInfo
from orgsim.storage.provenance import versions

logger = logging.getLogger(__name__)

__all__ = ["ALL", "ForkComparison", "ForkResult", "ForkedRun", "compare_forks", "fork"]

#: ``--run all``: every stored run that is not itself a fork.
ALL = "all"


@attrs.frozen(kw_only=True)
class ForkedRun:
    """One fork and its parent, measured from their logs.

    Attributes:
        parent: The parent run's provenance.
        run_id: The fork's id in the store.
        origin: What the fork's metadata records (parent, day, changes, prefix).
        digest: The fork's whole-log digest (the parent's when nothing changed).
        events: The fork's number of events.
        parent_metrics: Every metric of the parent, projected from its stored log.
        metrics: Every metric of the fork, projected from its log.
    """

    parent: RunInfo
    run_id: int
    origin: ForkOrigin
    digest: str
    events: int
    parent_metrics: dict[str, float]
    metrics: dict[str, float]


@attrs.frozen(kw_only=True)
class ForkComparison:
    """Forks paired with their parents: one change at one day, over several runs.

    Attributes:
        store: The event store.
        at: The day of the forks.
        changes: The change (``{"set": [...], "intervene": [...]}``).
        forks: Each fork with its parent, in parent order.
        table: Per metric, the paired comparison of fork (``on``) and parent
            (``off``); empty with fewer than two pairs (one pair has no CI).
        correction: The multiple-comparison correction over the table's metrics.
        ci: How the CIs were made (``t`` or ``bootstrap``).
    """

    store: Path
    at: float
    changes: dict[str, list[str]]
    forks: list[ForkedRun]
    table: dict[str, Comparison]
    correction: str = "holm"
    ci: str = "t"

    @property
    def pairs(self) -> int:
        """How many fork/parent pairs the comparison rests on."""
        return len(self.forks)


#: What :func:`fork` returns: the forks it made, compared with their parents.
ForkResult = ForkComparison


def fork(
    store_path: str | os.PathLike[str],
    runs: int | str | Iterable[int | str],
    at: float,
    *,
    sets: Sequence[str] = (),
    intervene: Sequence[str] = (),
    command: Sequence[str] | None = None,
    correction: str = "holm",
    ci: str = "t",
    progress: Callable[[ForkedRun], None] | None = None,
) -> ForkComparison:
    """Fork stored runs at day ``at`` with a change, store the forks and compare them.

    Args:
        store_path: The event store (``orgsim run --db``'s file); the forks are
            saved in it.
        runs: A run id, several, or ``"all"`` (every run that is not a fork).
        at: The day of the change: from 0 up to (not including) the day the run ended.
        sets: ``dotted.path=value`` parameter changes at ``at`` (``--set``).
        intervene: Actions at ``at`` (``--intervene``): ``appoint``,
            ``mediators=+2``, ``mediators=-1``.
        command: Command line recorded with each fork (default: ``sys.argv``).
        correction: Multiple-comparison correction of the table (``holm``, ``bh``,
            ``none``).
        ci: ``t`` or ``bootstrap`` confidence intervals.
        progress: Called after each fork is stored.

    Returns:
        The forks and, with two or more, their paired comparison with the parents.

    Raises:
        StoreError: No such store, no such run, a run without a stored scenario,
            of another orgsim version, altered since it was saved, or whose
            re-simulated prefix differs from the stored one (the forks made before
            it stay stored).
        ExperimentError: Bad ``at``, ``runs``, changes or statistics options, all
            problems in one message.
    """
    check_statistics(correction, ci)
    day = check_day(at)
    change = _change(day, sets, intervene)
    runs = runs if isinstance(runs, int | str) else list(runs)
    run_ids(runs)  # refused before the store is opened
    path = _existing(store_path)
    changes = {"set": list(sets), "intervene": list(intervene)}
    made: list[ForkedRun] = []
    with EventStore(path) as store:
        plans = [_plan(store, info, day, change) for info in _parents(store, runs)]
        _refuse(plans, store)
        for plan in plans:
            made.append(_fork_one(store, plan, day, changes, command, made))
            if progress is not None:
                progress(made[-1])
    return _comparison(path, day, changes, made, correction, ci)


def check_day(at: object) -> float:
    """A fork day: a finite number of days, 0 or more.

    Raises:
        ExperimentError: It is not.
    """
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at) or at < 0:
        raise ExperimentError(f"--at must be a day (a finite number >= 0), got {at!r}")
    return float(at)


def _existing(store_path: str | os.PathLike[str]) -> Path:
    path = Path(store_path)
    if not path.is_file():
        raise StoreError(f"no such event store: {path}")
    return path


def run_ids(runs: int | str | Iterable[int | str]) -> list[int] | None:
    """The run ids asked for (None: ``all``), from ints or their text.

    Raises:
        ExperimentError: Naming every id that is not a positive integer.
    """
    if isinstance(runs, int | str):
        runs = [runs]
    asked = list(runs)
    if any(isinstance(r, str) and r.strip().lower() == ALL for r in asked):
        if len(asked) > 1:
            raise ExperimentError(f"--run {ALL} cannot be given with run ids: {asked!r}")
        return None
    ids, bad = [], []
    for r in asked:
        try:
            value = r if isinstance(r, int) and not isinstance(r, bool) else int(str(r), 10)
        except ValueError:
            value = 0
        if isinstance(r, bool) or value < 1:
            bad.append(r)
        else:
            ids.append(value)
    if bad or not ids:
        shown = ", ".join(repr(b) for b in bad) or "none"
        raise ExperimentError(f"--run takes run ids (integers >= 1) or {ALL!r}, got {shown}")
    return list(dict.fromkeys(ids))


def _parents(store: EventStore, runs: int | str | Iterable[int | str]) -> list[RunInfo]:
    """The runs to fork: those asked for, each stored and not itself a fork."""
    ids = run_ids(runs)
    stored = {r.run_id: r for r in store.runs()}
    if ids is None:
        found = [r for r in stored.values() if r.fork is None]
        if not found:
            raise StoreError(f"event store {store.path!r} has no run to fork (only forks, or none)")
        return found
    missing = [i for i in ids if i not in stored]
    if missing:
        have = f"runs 1 to {max(stored)}" if stored else "no runs"
        raise StoreError(
            f"event store {store.path!r} has no run {', '.join(map(str, missing))} ({have})"
        )
    forks = [stored[i] for i in ids if stored[i].fork is not None]
    if forks:
        said = "; ".join(f"run {r.run_id} is a {r.fork.describe()}" for r in forks if r.fork)
        raise StoreError(
            f"event store {store.path!r}: {said}: fork the original run instead, "
            "with every change at once"
        )
    return [stored[i] for i in ids]


@attrs.frozen
class _Plan:
    """What a fork of one run needs, or why there can be none (``problem``)."""

    info: RunInfo
    scenario: Scenario | None = None
    channels: tuple[str, ...] | None = None
    interventions: tuple[Intervention, ...] = ()
    problem: str = ""


def _plan(
    store: EventStore, info: RunInfo, at: float, interventions: tuple[Intervention, ...]
) -> _Plan:
    """Read one run back and check it can be forked at ``at`` (every check but the prefix)."""
    rid = info.run_id
    if info.orgsim_version != __version__:
        return _Plan(
            info,
            problem=f"run {rid} was stored by orgsim {info.orgsim_version}, and this is orgsim "
            f"{__version__}: its log cannot be reproduced to fork it (re-run it with this "
            "version)",
        )
    data = store.scenario(rid)
    if data is None:
        return _Plan(
            info,
            problem=f"run {rid} was stored without its scenario, so it cannot be re-simulated "
            "(store runs with `orgsim run --db`, which keeps it)",
        )
    if not store.verify(rid):
        return _Plan(info, problem=f"run {rid}'s stored log no longer matches its digest")
    log = store.log(rid)
    head = log[0]
    assert isinstance(head, RunStarted)  # save() refuses any other log
    if head.orgsim_version != __version__:
        return _Plan(
            info,
            problem=f"run {rid}'s log was made by orgsim {head.orgsim_version}, and this is "
            f"orgsim {__version__}: it cannot be reproduced to fork it",
        )
    try:
        scenario = parse_scenario(data, source=f"run {rid}'s stored scenario")
    except ScenarioError as exc:
        said = "; ".join(str(p) for p in exc.problems)
        return _Plan(info, problem=f"run {rid}'s stored scenario does not load: {said}")
    if scenario.digest() != head.scenario_hash:
        return _Plan(
            info,
            problem=f"run {rid}'s stored scenario loads as {scenario.digest()}, not the "
            f"{head.scenario_hash} its log was made from",
        )
    end = log[-1].time
    if not at < end:
        return _Plan(
            info,
            problem=f"--at {at:g} is not before run {rid}'s end at day {end:g} "
            f"(fork it at a day from 0 to before {end:g})",
        )
    try:
        check_interventions(scenario, interventions)
    except ScenarioError as exc:
        said = "; ".join(str(p) for p in exc.problems)
        return _Plan(info, problem=f"the change does not apply to run {rid}'s scenario: {said}")
    # the log is read again to fork it: many runs' logs are never held at once
    return _Plan(info, scenario, _channels(store, rid, log), interventions)


def _channels(store: EventStore, run_id: int, log: EventLog) -> tuple[str, ...] | None:
    """The broker's channels that acted in a run (None: all of them, or no broker)."""
    if not len(log.frame(BrokerChannelsLimited)):
        return None
    (limited,) = store.events(run_id, types=("BrokerChannelsLimited",))
    assert isinstance(limited, BrokerChannelsLimited)
    return limited.channels


#: Settings that are actions at a fork, and the option that says them.
_ACTIONS = {
    "broker.enabled": "use --intervene appoint to appoint the broker at the fork's day",
    "broker.mediators": "use --intervene mediators=+N (or -N) to add or remove mediators",
}

#: The name a fork's intervention has in its log (``InterventionFired``).
FORK_INTERVENTION = "fork"


def _change(at: float, sets: Sequence[str], intervene: Sequence[str]) -> tuple[Intervention, ...]:
    """The extra intervention a fork makes at ``at`` (none: no change, the parent's run).

    Raises:
        ExperimentError: A setting or action does not read, every problem named.
    """
    if not sets and not intervene:
        return ()
    return (intervention_at(at, sets=sets, intervene=intervene),)


def intervention_at(
    at: float, *, sets: Sequence[str] = (), intervene: Sequence[str] = ()
) -> Intervention:
    """The intervention the command line's change describes, firing at day ``at``.

    Args:
        at: The day it fires.
        sets: ``dotted.path=value`` parameter changes (the value read as TOML, as
            ``--set`` reads it everywhere).
        intervene: Actions: ``appoint`` (the broker takes office), ``mediators=+n``
            or ``mediators=-n`` (added or removed; several add up).

    Raises:
        ExperimentError: Every setting or action that does not read, in one message.
            Whether the change fits a run's scenario (a parameter that may change
            mid-run, a broker to add mediators to) is the scenario's check, made
            per run (:func:`orgsim.scenario.loading.check_interventions`).
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    for text in sets:
        path, equals, value = str(text).partition("=")
        if not equals or not path.strip():
            problems.append(f"--set {text!r}: expected 'dotted.path=value'")
        elif path.strip() in _ACTIONS:
            problems.append(f"--set {text!r}: {_ACTIONS[path.strip()]}")
        elif path.strip() in values:
            problems.append(f"--set {text!r}: {path.strip()} is set twice")
        else:
            values[path.strip()] = parse_override_value(value)
    appoint, mediators = False, 0
    for text in intervene:
        word, equals, value = str(text).strip().partition("=")
        word = word.strip().lower()
        if word == "appoint" and not equals:
            if appoint:
                problems.append("--intervene appoint is given twice")
            appoint = True
        elif word == "mediators" and equals:
            try:
                change = int(value.strip(), 10)
            except ValueError:
                change = 0
            if not change:
                problems.append(
                    f"--intervene {text!r}: mediators takes a non-zero whole number, "
                    "e.g. mediators=+2 or mediators=-1"
                )
            mediators += change
        else:
            problems.append(f"--intervene {text!r}: expected appoint, mediators=+N or mediators=-N")
    if problems:
        raise ExperimentError(f"the change at day {at:g}: " + "; ".join(problems))
    return Intervention(
        name=FORK_INTERVENTION, day=at, appoint=appoint, mediators=mediators, set=values
    )


def _refuse(plans: Sequence[_Plan], store: EventStore) -> None:
    """Refuse the whole fork, before anything runs, if any run cannot be forked."""
    problems = [p.problem for p in plans if p.problem]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise StoreError(
            f"cannot fork from event store {store.path!r}: {'; '.join(problems[:3])}{more}"
        )


def measure(log: EventLog) -> dict[str, float]:
    """Every metric of a run, projected from its log (as ``orgsim run`` and compare measure)."""
    return {**metrics(log), **department_utilisation(log.state)}


def _fork_one(
    store: EventStore,
    plan: _Plan,
    at: float,
    changes: dict[str, list[str]],
    command: Sequence[str] | None,
    made: Sequence[ForkedRun],
) -> ForkedRun:
    """Re-simulate one run with the change, check its prefix against the stored log, save it."""
    info = plan.info
    assert plan.scenario is not None
    parent = store.log(info.run_id)
    started = time.perf_counter()
    run = simulate(
        plan.scenario,
        seed=info.seed,
        replication=info.replication,
        channels=plan.channels,
        interventions=plan.interventions,
    )
    elapsed = time.perf_counter() - started
    live = run.log
    n = parent.prefix(at)
    stored_prefix = prefix_digest(parent.columns, n)
    if live.prefix(at) != n or prefix_digest(live.columns, n) != stored_prefix:
        seq = first_difference(parent, live, n)
        raise StoreError(
            f"cannot fork run {info.run_id} of event store {store.path!r}: re-simulated with "
            f"orgsim {__version__}, its {n} events before day {at:g} differ from the stored "
            f"ones, first at {_event_named(parent, live, seq)} (the store holds a log this "
            "orgsim does not reproduce)" + _kept(made)
        )
    if not plan.interventions and live.digest() != parent.digest():
        # no change: the whole fork must be the parent, not only its prefix
        seq = first_difference(parent, live, max(len(parent), len(live)))
        raise StoreError(
            f"cannot fork run {info.run_id} of event store {store.path!r}: re-simulated "
            f"with no change, it differs from the stored run after day {at:g}, first at "
            f"{_event_named(parent, live, seq)}" + _kept(made)
        )
    origin = ForkOrigin(
        parent_run=info.run_id,
        fork_at=at,
        changes={k: list(v) for k, v in changes.items()},
        prefix_digest=stored_prefix,
        prefix_events=n,
    )
    measured = measure(live)
    metadata = {
        FORK_KEY: origin.to_dict(),
        "metrics": measured,
        "elapsed": elapsed,
        "command": list(command if command is not None else sys.argv),
        "versions": versions(),
    }
    run_id = store.save(live, scenario=plan.scenario, metadata=metadata)
    logger.info("run %d forked at day %g as run %d", info.run_id, at, run_id)
    return ForkedRun(
        parent=info,
        run_id=run_id,
        origin=origin,
        digest=live.digest(),
        events=len(live),
        parent_metrics=measure(parent),
        metrics=measured,
    )


def _event_named(parent: EventLog, live: EventLog, seq: int | None) -> str:
    """``seq 12 (stored ConflictRaised, re-simulated ConflictDetected)``."""
    if seq is None:  # same events, different columns: cannot happen, but say so
        return "no single event (the same events, stored differently)"

    def kind(log: EventLog) -> str:
        return type(log[seq]).__name__ if seq < len(log) else "nothing"

    a, b = kind(parent), kind(live)
    if a == b:
        return f"seq {seq} ({a}, with other values)"
    return f"seq {seq} (stored {a}, re-simulated {b})"


def _kept(made: Sequence[ForkedRun]) -> str:
    if not made:
        return ""
    ids = ", ".join(f"{f.parent.run_id} as run {f.run_id}" for f in made)
    return f"; the forks made before it are kept (of run {ids})"


def _comparison(
    path: Path,
    at: float,
    changes: dict[str, list[str]],
    forks: list[ForkedRun],
    correction: str,
    ci: str,
) -> ForkComparison:
    """The forks paired with their parents, every metric compared (with two pairs or more)."""
    table: dict[str, Comparison] = {}
    if len(forks) >= 2:
        on, off = paired_metrics(forks)
        only = [k for k in BROKER_ONLY if k in off and bool(np.isnan(off[k]).all())]
        table = compare_table(
            on,
            off,
            better={k: BETTER.get(k, "") for k in on},
            broker_only=only,
            correction=correction,
            ci=ci,
            seed=forks[0].parent.seed,
        )
        table = {k: attrs.evolve(c, verdict=fork_verdict(c.verdict)) for k, c in table.items()}
    return ForkComparison(
        store=path,
        at=at,
        changes=changes,
        forks=forks,
        table=table,
        correction=correction,
        ci=ci,
    )


def fork_verdict(verdict: str) -> str:
    """A comparison's verdict said of the fork: ``fork better: +12%`` (not ``broker better``).

    The statistics name the arm they judge the broker (a comparison's on arm);
    here that arm is the fork, whatever its change.
    """
    head = "broker "
    return "fork " + verdict[len(head) :] if verdict.startswith(head) else verdict


def paired_metrics(
    forks: Sequence[ForkedRun],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per metric, the forks' values and their parents', pair by pair.

    The catalogue's metrics first, in its order, then any other the runs report
    (``headcount_end.<department>``, ``utilisation.<department>``); a value a run
    lacks is NaN (and its pair is left out of that metric's comparison).
    """
    names = list(METRIC_NAMES)
    for f in forks:
        names += [k for k in (*f.parent_metrics, *f.metrics) if k not in names]
    on = {k: np.array([f.metrics.get(k, math.nan) for f in forks], float) for k in names}
    off = {k: np.array([f.parent_metrics.get(k, math.nan) for f in forks], float) for k in names}
    return on, off


def compare_forks(
    store_path: str | os.PathLike[str],
    *,
    correction: str = "holm",
    ci: str = "t",
) -> list[ForkComparison]:
    """Every stored fork paired with its parent, one comparison per change and day.

    Forks made by the same change at the same day (one ``orgsim fork`` over many
    runs, or several that asked the same) form one comparison; each metric of
    every fork and parent is projected again from its stored log, so a metric
    added since is compared too. Nothing is simulated or written.

    Raises:
        StoreError: No such store, or no fork in it.
        ExperimentError: A bad correction or CI method.
    """
    check_statistics(correction, ci)
    path = _existing(store_path)
    groups: dict[tuple[float, tuple[tuple[str, tuple[str, ...]], ...]], list[ForkedRun]] = {}
    with EventStore(path, readonly=True) as store:
        found = store.forks()
        if not found:
            raise StoreError(
                f"event store {store.path!r} holds no fork (make some with `orgsim fork`)"
            )
        parents: dict[int, tuple[RunInfo, dict[str, float]]] = {}
        for info in found:
            origin = info.fork
            assert origin is not None
            pid = origin.parent_run
            if pid not in parents:
                parents[pid] = (store.run(pid), measure(store.log(pid)))
            key = (origin.fork_at, tuple((k, tuple(v)) for k, v in sorted(origin.changes.items())))
            groups.setdefault(key, []).append(
                ForkedRun(
                    parent=parents[pid][0],
                    run_id=info.run_id,
                    origin=origin,
                    digest=info.digest,
                    events=info.events,
                    parent_metrics=parents[pid][1],
                    metrics=measure(store.log(info.run_id)),
                )
            )
    return [
        _comparison(path, at, {k: list(v) for k, v in changes}, forks, correction, ci)
        for (at, changes), forks in groups.items()
    ]


def changes_text(changes: dict[str, Any]) -> str:
    """The change as one line: ``set broker.mediators=3; appoint`` (``no change``)."""
    said = [*changes.get("set", []), *changes.get("intervene", [])]
    return "; ".join(said) or "no change"
