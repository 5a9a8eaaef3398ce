"""The prefix digest: the canonical digest of a log's events before a day, live or stored.

A fork is checked by it (``orgsim fork``), so it must be the very digest a log of
just those events has, computed off the whole log's columns without building one,
and the same over a live log and the same log read back from a store.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import run_fields
from orgsim.engine import events as ev
from orgsim.engine.columnar import Columns
from orgsim.engine.log import EventLog, first_difference, prefix_digest, prefix_length, replay
from orgsim.engine.run import Run
from orgsim.storage.eventstore import EventStore


def _digest_of(events: list[ev.Event]) -> str:
    """The canonical digest of a log holding exactly these events (the reference)."""
    columns = Columns()
    for e in events:
        columns.append(e)
    return columns.digest()


def _cuts(log: EventLog) -> list[int]:
    """Prefix lengths worth checking: the ends, and where each event type first appears."""
    firsts = {}
    for e in log:
        firsts.setdefault(type(e), e.seq)
    cuts = {0, 1, 2, len(log) - 1, len(log)}
    for seq in firsts.values():
        cuts |= {seq, seq + 1}
    return sorted(c for c in cuts if 0 <= c <= len(log))


def test_prefix_digest_is_the_digest_of_the_prefix_as_a_log(run_pair: dict[bool, Run]) -> None:
    for run in run_pair.values():
        events = list(run.log)
        for n in _cuts(run.log):
            assert prefix_digest(run.log.columns, n) == _digest_of(events[:n]), n


@given(st.floats(min_value=-1.0, max_value=500.0, allow_nan=False))
def test_digest_before_a_day_is_that_of_the_events_before_it(
    run_pair: dict[bool, Run], day: float
) -> None:
    log = run_pair[True].log
    before = [e for e in log if e.time < day]
    assert log.prefix(day) == len(before)
    assert log.digest(before=day) == _digest_of(before)


def test_whole_log_and_empty_prefix(run_pair: dict[bool, Run]) -> None:
    log = run_pair[False].log
    assert log.digest(before=math.inf) == log.digest()
    assert log.digest(before=0.0) == Columns().digest()  # nothing is before day 0
    assert log.prefix(0.0) == 0


def test_a_stored_log_has_the_live_prefix_digests(run_pair: dict[bool, Run], tmp_path) -> None:
    run = run_pair[True]
    with EventStore(tmp_path / "s.sqlite") as store:
        run_id = store.save(run.log, scenario=run.scenario)
        stored = store.log(run_id)
    for day in (0.0, 0.5, 45.0, 91.0, 200.0, 399.9, 400.0, 1e9):
        assert stored.digest(before=day) == run.log.digest(before=day), day


def _hand_log(times: list[float], departments: list[str]) -> EventLog:
    """RunStarted at 0, then a DepartmentFormed per time (strings first met along the log)."""
    events: list[ev.Event] = [ev.RunStarted(seq=0, time=0.0, **run_fields())]
    for i, (t, name) in enumerate(zip(times, departments, strict=True), start=1):
        events.append(
            ev.DepartmentFormed(
                seq=i,
                time=t,
                department=name,
                salary=1.0,
                bias=0.0,
                attrition=0.0,
                overhead=0.0,
                teams=1,
                layers=1,
            )
        )
    return replay(events)


def test_prefix_length_by_hand() -> None:
    log = _hand_log([0.0, 1.0, 2.0, 2.0, 3.0], ["a", "b", "c", "d", "e"])  # times 0,0,1,2,2,3
    assert [prefix_length(log.columns, t) for t in (0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 9.0)] == [
        0,
        2,
        2,
        3,
        5,
        5,
        6,
    ]


def test_what_follows_the_prefix_does_not_change_its_digest() -> None:
    """Logs that agree before day 2 share that prefix's digest, whatever strings come later."""
    one = _hand_log([0.0, 1.0, 2.0, 3.0], ["a", "b", "c", "d"])
    two = _hand_log([0.0, 1.0, 2.5], ["a", "b", "zzz"])
    assert one.digest(before=2.0) == two.digest(before=2.0)
    assert one.digest(before=2.6) != two.digest(before=2.6)
    assert one.digest() != two.digest()


def test_first_difference_names_the_first_differing_position() -> None:
    one = _hand_log([0.0, 1.0, 2.0, 3.0], ["a", "b", "c", "d"])
    two = _hand_log([0.0, 1.0, 2.0, 3.0], ["a", "b", "x", "d"])
    assert first_difference(one, two, len(one)) == 3  # RunStarted, a, b agree
    assert first_difference(one, two, 3) is None  # not within the first 3
    assert first_difference(one, list(one)[:2], 4) == 2  # a log that ends too soon


def test_a_prefix_past_the_log_is_refused(run_pair: dict[bool, Run]) -> None:
    log = run_pair[True].log
    with pytest.raises(ValueError, match="a prefix of"):
        prefix_digest(log.columns, len(log) + 1)
    with pytest.raises(ValueError, match="a prefix of"):
        prefix_digest(log.columns, -1)
