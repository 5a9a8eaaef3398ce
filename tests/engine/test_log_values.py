"""Values of the log's refusals, the events' payloads and the state's queries, by hand.

The log's refusals name the event type that was refused; an event's payload is its
own fields in declaration order; a retired event type is refused with the reason
it was retired. The state's queries (open conflicts, the work queued, the customer
issues waiting and their integral) are checked on hand-made logs whose departments
were last brought up to date after 0, so that the fluid formulas of
``orgsim.engine.state._issue_area`` are exercised from a ``since`` > 0:

* linear (no abandonment): B(t) = b0 + (demand - served) t, its integral the trapezoid,
  or, draining to zero at t* = b0 / (served - demand), the triangle b0 t* / 2;
* exponential (abandonment theta): B(t) = L + (b0 - L) exp(-theta t), L = slope / theta,
  integral L t + (b0 - L)(1 - exp(-theta t)) / theta; draining (L < 0) it empties at
  t* = ln((b0 - L) / -L) / theta, where 1 - exp(-theta t*) = b0 / (b0 - L).
"""

from __future__ import annotations

import math

import pytest
from test_state_values import REL, Log, company, support

from orgsim.engine import events as ev
from orgsim.engine.events import MODEL_CHANGED, decode, payload, payload_fields
from orgsim.engine.log import EventLog
from orgsim.errors import EventOrderError, SchemaVersionError

# ------------------------------------------------------------------ the log


def three_events() -> EventLog:
    log = EventLog()
    for e in (
        Log()
        .dept("eng")
        .add(ev.QuarterStarted, 5.0, quarter=0, available=1.0, broker_cost=0.0)
        .events
    ):
        log.append(e)
    return log


def test_a_wrong_seq_is_refused_naming_the_event_type() -> None:
    log = three_events()
    bad = ev.QuarterStarted(seq=0, time=6.0, quarter=1, available=1.0, broker_cost=0.0)
    with pytest.raises(EventOrderError) as info:
        log.append(bad)
    assert str(info.value) == "event QuarterStarted has seq 0, expected 3"


def test_time_going_back_is_refused_naming_the_event_type() -> None:
    log = three_events()
    bad = ev.EmployeeLeft(seq=3, time=4.5, employee=0)
    with pytest.raises(EventOrderError) as info:
        log.append(bad)
    assert str(info.value) == (
        "event EmployeeLeft at seq 3 has time 4.5, before the previous event's 5.0"
    )
    assert len(log) == 3


# ------------------------------------------------------------------ the events


def test_payload_fields_are_an_event_s_own_fields_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # an empty memo, as in a fresh process: the first call computes the names
    monkeypatch.setattr(ev, "_FIELDS", {})
    assert payload_fields(ev.ConflictLapsed) == ("conflict",)
    assert payload_fields(ev.FeatureShipped) == ("feature", "value", "late_days", "misaligned")
    assert payload_fields(ev.RunEnded) == ()
    # asked again (from the memo now), the same names
    assert payload_fields(ev.FeatureShipped) == ("feature", "value", "late_days", "misaligned")
    assert ev._FIELDS[ev.ConflictLapsed] == ("conflict",)


def test_payload_is_the_event_without_seq_and_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ev, "_FIELDS", {})
    shipped = ev.FeatureShipped(
        seq=3, time=2.0, feature=1, value=5.0, late_days=0.5, misaligned=1.0
    )
    assert payload(shipped) == {"feature": 1, "value": 5.0, "late_days": 0.5, "misaligned": 1.0}


def test_a_retired_event_type_is_refused_with_the_reason() -> None:
    with pytest.raises(SchemaVersionError) as info:
        decode(3, 1.0, "DayWorked", 1, "{}")
    assert str(info.value) == (
        "event DayWorked at seq 3 is retired (work is no longer allocated in daily ticks): "
        + MODEL_CHANGED
    )
    assert "rerun the scenario" in str(info.value)


# ------------------------------------------------------------------ open conflicts


def test_open_conflicts_leave_out_those_closed_at_any_instant_even_zero() -> None:
    s = (
        company()
        .raise_(0, 0.0)
        .raise_(1, 0.0)
        .raise_(2, 0.0)
        .raise_(3, 0.0)
        .add(
            ev.ConflictResolved,
            0.0,
            conflict=0,
            forum="negotiation",
            winner="eng",
            company_interest=True,
        )
        .add(ev.ConflictLapsed, 0.5, conflict=1)
        .add(ev.ConflictLapsed, 3.0, conflict=3)
        .fold()
    )
    assert [c.closed for c in s.conflicts.values()] == [0.0, 0.5, -1.0, 3.0]
    assert list(s.open_conflicts()) == [(2, s.conflicts[2])]


# ------------------------------------------------------------------ the work queued


def test_backlog_reads_each_item_at_its_own_rate_after_the_department_moved() -> None:
    s = company().hire(0, "eng").plan(0, 0.0, (10.0,)).hire(1, "eng", 2.0).fold()
    assert s.departments["eng"].since == 2.0
    # 2 days at 1 a day, then 2 a day: 10 - 2 = 8 now, 8 - 2 x 3 = 2 at 5
    assert s.backlog("eng") == 8.0
    assert s.backlog("eng", at=5.0) == 2.0
    assert s.backlog("eng", at=6.0) == 0.0


# ------------------------------------------------------------------ customer issues


def test_issue_area_and_backlog_linear_from_a_later_since() -> None:
    # eng: 0.5 a day against a demand of 1 from 0, 0.75 a day from 4
    s = support(skill=0.5).hire(1, "eng", 4.0, skill=0.25).fold()
    d = s.departments["eng"]
    assert (d.since, d.issues, d.issue_area) == (4.0, 2.0, 4.0)  # 0.5 x 4; 0.5 x 4^2 / 2
    assert s.issue_area("eng", 4.0) == 4.0
    # from 4, B = 2 + 0.25 t: over [4, 6] the trapezoid (2 + 2.5) / 2 x 2 = 4.5
    assert s.issue_area("eng", 6.0) == 8.5
    assert s.issue_backlog("eng", 6.0) == 2.5
    assert s.issue_backlog("eng") == 2.0  # now, at 4


def test_issue_area_linear_draining_is_a_triangle_that_stops_at_zero() -> None:
    # from 4, 1.5 a day against 1: the backlog 2 drains at 0.5, empty at 8
    s = support(skill=0.5).hire(1, "eng", 4.0).fold()
    assert s.issue_area("eng", 6.0) == 7.0  # 4 on [0, 4], then (2 + 1) / 2 x 2
    assert s.issue_area("eng", 10.0) == 8.0  # 4 + 2 x 4 / 2, nothing after 8
    assert s.issue_backlog("eng", 10.0) == 0.0


def test_issue_area_and_backlog_with_abandonment_from_a_later_since() -> None:
    theta = 0.1
    s = support(skill=0.5, abandonment=theta).hire(1, "eng", 4.0, skill=0.25).fold()
    d = s.departments["eng"]
    # [0, 4]: slope 0.5, L = 5, b0 = 0: B(4) = 5 (1 - e^-0.4), area 5 x 4 - 5 (1 - e^-0.4) / 0.1
    b4 = 5.0 * (1.0 - math.exp(-0.4))
    area4 = 20.0 - 50.0 * (1.0 - math.exp(-0.4))
    assert d.since == 4.0
    assert d.issues == pytest.approx(b4, rel=REL)
    assert d.issue_area == pytest.approx(area4, rel=REL)
    # from 4: slope 0.25, L = 2.5; over [4, 6]: 2.5 x 2 + (b4 - 2.5)(1 - e^-0.2) / 0.1
    area6 = area4 + 5.0 + (b4 - 2.5) * (1.0 - math.exp(-0.2)) / theta
    assert s.issue_area("eng", 6.0) == pytest.approx(area6, rel=REL)
    assert s.issue_backlog("eng", 6.0) == pytest.approx(2.5 + (b4 - 2.5) * math.exp(-0.2), rel=REL)


def test_issue_area_with_abandonment_draining_stops_when_the_backlog_empties() -> None:
    theta = 0.1
    s = support(skill=0.5, abandonment=theta).hire(1, "eng", 4.0).fold()
    b4 = 5.0 * (1.0 - math.exp(-0.4))
    area4 = 20.0 - 50.0 * (1.0 - math.exp(-0.4))
    # from 4: slope 1 - 1.5 = -0.5, L = -5: empty after t* = ln((b4 + 5) / 5) / 0.1 days;
    # its area -5 t* + (b4 + 5) (b4 / (b4 + 5)) / 0.1 = 10 b4 - 5 t*
    t_empty = math.log((b4 + 5.0) / 5.0) / theta
    assert 4.0 + t_empty < 10.0
    assert s.issue_area("eng", 10.0) == pytest.approx(area4 + 10.0 * b4 - 5.0 * t_empty, rel=REL)
    assert s.issue_backlog("eng", 10.0) == 0.0
    assert s.departments["eng"].next_time == pytest.approx(4.0 + t_empty, rel=REL)
