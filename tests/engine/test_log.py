"""Tests of orgsim.log: order checks, deterministic digests, replay equals the live run."""

from __future__ import annotations

import attrs
import pytest

from builders import run_fields
from orgsim.engine import events as ev
from orgsim.engine.log import EventLog, log_digest, replay
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import fold
from orgsim.errors import EventOrderError
from orgsim.scenario.schema import Scenario

HORIZON = 300.0


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return attrs.evolve(Scenario(), horizon=HORIZON)


@pytest.fixture(scope="module")
def run(scenario: Scenario) -> Run:
    return simulate(scenario, seed=11)


def started(seq: int = 0, time: float = 0.0) -> ev.RunStarted:
    fields = run_fields(scenario="t", scenario_hash="h", seed=1, horizon=10.0, hiring_cost=1.0)
    return ev.RunStarted(seq=seq, time=time, **fields)


def small_log() -> EventLog:
    log = EventLog()
    log.append(started())
    log.append(
        ev.DepartmentFormed(
            seq=1,
            time=0.0,
            department="engineering",
            salary=1.0,
            bias=0.0,
            attrition=0.1,
            overhead=0.0,
            teams=1,
            layers=1,
        )
    )
    log.append(ev.QuarterStarted(seq=2, time=5.0, quarter=0, available=10.0, broker_cost=0.0))
    return log


# ---------------------------------------------------------------------- order


@pytest.mark.parametrize("seq", [0, 2, 4, -1])
def test_append_refuses_a_wrong_seq(seq: int) -> None:
    log = small_log()
    before = (list(log), log.digest(), log.state.snapshot())
    bad = ev.QuarterStarted(seq=seq, time=6.0, quarter=1, available=1.0, broker_cost=0.0)
    with pytest.raises(EventOrderError, match=f"seq {seq}, expected 3"):
        log.append(bad)
    assert (list(log), log.digest(), log.state.snapshot()) == before


def test_append_refuses_time_going_back() -> None:
    log = small_log()
    before = (list(log), log.digest(), log.state.snapshot())
    bad = ev.QuarterStarted(seq=3, time=4.5, quarter=1, available=1.0, broker_cost=0.0)
    with pytest.raises(EventOrderError, match=r"time 4\.5, before the previous event's 5\.0"):
        log.append(bad)
    assert (list(log), log.digest(), log.state.snapshot()) == before
    same_time = attrs.evolve(bad, time=5.0)
    log.append(same_time)
    assert log[-1] == same_time
    assert len(log) == 4


def test_append_leaves_the_log_unchanged_when_the_handler_fails() -> None:
    log = small_log()
    before = (list(log), log.digest(), log.state.snapshot())
    with pytest.raises(KeyError):
        log.append(ev.EmployeeLeft(seq=3, time=6.0, employee=999))
    assert (list(log), log.digest()) == before[:2]


def test_record_stamps_seq_and_clock() -> None:
    now = [0.0]
    log = EventLog(clock=lambda: now[0])
    first = log.record(
        ev.RunStarted,
        **{k: v for k, v in attrs.asdict(started()).items() if k not in ("seq", "time")},
    )
    now[0] = 2.5
    second = log.record(ev.RunEnded)
    assert (first.seq, first.time, second.seq, second.time) == (0, 0.0, 1, 2.5)
    assert log.state.ended and log.state.time == 2.5


# ------------------------------------------------------------------- digests


def test_same_seed_same_digest(scenario: Scenario, run: Run) -> None:
    again = simulate(scenario, seed=11)
    assert again.log.digest() == run.log.digest()
    assert list(again.log) == list(run.log)
    simulate(scenario, seed=12, broker=False)  # nothing leaks from one run into the next
    third = simulate(scenario, seed=11)
    assert third.log.digest() == run.log.digest()
    assert third.state.snapshot() == run.state.snapshot()


def test_different_seed_different_digest(scenario: Scenario, run: Run) -> None:
    assert simulate(scenario, seed=12).log.digest() != run.log.digest()


def test_other_replication_different_digest(scenario: Scenario, run: Run) -> None:
    assert simulate(scenario, seed=11, replication=1).log.digest() != run.log.digest()


def test_broker_on_and_off_differ(scenario: Scenario) -> None:
    on = simulate(scenario, seed=11, broker=True)
    off = simulate(scenario, seed=11, broker=False)
    assert on.log[0].broker and not off.log[0].broker  # type: ignore[attr-defined]
    assert on.log.digest() != off.log.digest()


def test_digest_is_of_the_events_and_sensitive_to_each_event(run: Run) -> None:
    events = list(run.log)
    assert replay(events).digest() == run.log.digest()
    assert len(run.log.digest()) == 64
    i = len(events) // 2
    changed = [*events[:i], attrs.evolve(events[i], time=events[i].time + 1e-9), *events[i + 1 :]]
    assert replay(changed).digest() != run.log.digest()
    assert replay(events[:-1]).digest() != run.log.digest()
    assert log_digest(changed) != log_digest(events)  # the JSON reference digest too


def test_live_event_times_are_floats(run: Run) -> None:
    ints = [e for e in run.log if type(e.time) is not float]
    assert not ints, f"{len(ints)} events with non-float time, first {ints[0]!r}"


# -------------------------------------------------------------------- replay


def test_replay_equals_live_state(run: Run) -> None:
    replayed = replay(run.log)
    assert replayed.state.snapshot() == run.state.snapshot()
    assert replayed.digest() == run.log.digest()
    assert replayed.state is not run.state
    assert fold(run.log).snapshot() == run.state.snapshot()


def test_replay_refuses_a_shuffled_log(run: Run) -> None:
    events = list(run.log)
    events[3], events[4] = events[4], events[3]
    with pytest.raises(EventOrderError):
        replay(events)


@pytest.mark.parametrize("t", [-1.0, 0.0, 0.5, 1.0, 33.3, 91.0, 182.0, 250.75, HORIZON, 1e9])
def test_fold_until_equals_replay_of_prefix(run: Run, t: float) -> None:
    prefix = [e for e in run.log if e.time <= t]
    assert fold(run.log, until=t).snapshot() == replay(prefix).state.snapshot()
    if prefix:
        assert fold(run.log, until=t).seq == prefix[-1].seq
