"""Boundaries of the state's flow helpers, called directly on hand-made departments.

``_leaves`` at a hazard exactly at the threshold, ``_issue_area`` with abandonment
and a backlog between 0 and 1 that must decay (not vanish), and ``_rate`` taking an
item that finished this instant off the served prefix (it is due now, once). Values
exact in binary are asserted with ``==``; where an exponential enters,
``pytest.approx(rel=1e-12)`` (a few roundings of doubles).
"""

from __future__ import annotations

import math

import pytest
from test_state_values import REL, company

from orgsim.engine import events as ev
from orgsim.engine.state import FEATURE_PRIORITY, Dept, Work, _issue_area, _leaves, _rate

LN2 = math.log(2.0)

# ------------------------------------------------------------------ _leaves


def test_a_hazard_exactly_at_the_threshold_leaves_now_even_at_rate_zero() -> None:
    # hazard 0.5 = threshold 0.5 at since 10: reached already, so now (10), although
    # at a hazard rate of 0 a threshold not yet reached would never be (inf)
    d = Dept("hr", since=10.0, hazard=0.5, hazard_rate=0.0)
    assert _leaves(d, 0.5) == 10.0
    assert _leaves(d, 0.75) == math.inf


# ------------------------------------------------------------------ _issue_area


def test_a_small_backlog_with_abandonment_and_no_net_inflow_decays() -> None:
    # demand = served: slope 0, limit 0; B(t) = 0.5 e^-t (abandonment 1). Over ln 2 days:
    # backlog 0.5 / 2 = 0.25, area 0.5 (1 - e^-ln2) = 0.25
    d = Dept("s", issues=0.5, demand=1.0, served=1.0, abandonment=1.0)
    area, b1 = _issue_area(d, LN2)
    assert area == pytest.approx(0.25, rel=REL)
    assert b1 == pytest.approx(0.25, rel=REL)


def test_a_small_draining_backlog_with_abandonment_follows_the_exponential() -> None:
    # demand 1, served 2: slope -1, abandonment 1, limit -1; B(t) = -1 + 1.5 e^-t,
    # empty at ln 1.5 (0.405...) > 0.25. Over 0.25 days:
    # area -0.25 + 1.5 (1 - e^-0.25), backlog -1 + 1.5 e^-0.25
    d = Dept("s", issues=0.5, demand=1.0, served=2.0, abandonment=1.0)
    area, b1 = _issue_area(d, 0.25)
    assert area == pytest.approx(-0.25 + 1.5 * (1.0 - math.exp(-0.25)), rel=REL)
    assert b1 == pytest.approx(-1.0 + 1.5 * math.exp(-0.25), rel=REL)


# ------------------------------------------------------------------ _rate


def item_entry(remaining: float) -> tuple[Dept, tuple[int, float, int, Work, str]]:
    """A department at 5 whose queue's one item had ``remaining`` left at 5, rate 0."""
    d = Dept("eng", since=5.0)
    work = Work(conflict=0, department="eng", remaining=remaining, value=0.0, t0=5.0)
    entry = (FEATURE_PRIORITY, 0.0, 0, work, "X0")
    d.queue.append(entry)
    d.entries["X0"] = entry
    return d, entry


def test_an_item_finished_this_instant_and_pushed_off_is_due_now() -> None:
    # nothing left (0 <= WORK_EPS) and rate 0 from 5 on: it never finishes by itself,
    # so it is in d.done, to be handed on at 5
    d, entry = item_entry(0.0)
    _rate(d, entry, 0.0)
    assert (entry[3].rate, entry[3].finish) == (0.0, math.inf)
    assert d.done == [entry]


def test_an_item_already_due_is_listed_once() -> None:
    d, entry = item_entry(0.0)
    d.done.append(entry)
    _rate(d, entry, 0.0)
    assert d.done == [entry]  # not twice


def test_an_unfinished_item_at_rate_zero_is_not_due() -> None:
    d, entry = item_entry(1.0)
    _rate(d, entry, 0.0)
    assert d.done == []


def test_a_stage_finished_at_the_instant_work_jumps_the_queue_is_due_then() -> None:
    # one person (skill 1, cap 16): F0's 2 person-days at rate 1 from 0 finish at 2.
    # At 2 unplanned work of 3 jumps the queue and takes the one person-day a day; F0
    # drops to rate 0 with 2 - 1 x 2 = 0 left: due at 2, the work at 2 + 3 = 5
    s = (
        company()
        .hire(0, "eng")
        .plan(0, 0.0, (2.0, 1.0))
        .raise_(0, 0.0, severity=0.0)
        .add(ev.ExtraWorkAdded, 2.0, work=0, conflict=0, department="eng", effort=3.0, value=0.0)
        .fold()
    )
    d = s.departments["eng"]
    f, w = s.features[0], s.work[0]
    assert (f.rate, f.remaining, f.finish) == (0.0, 0.0, math.inf)
    assert (w.rate, w.finish) == (1.0, 5.0)
    assert d.next_time == 2.0
    assert s.due_items("eng", 2.0) == ["F0"]
