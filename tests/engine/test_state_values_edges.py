"""Edge values of the state: a desk asked about the end of time, a department with no
capacity, and the last crumb of a finished stage.

Logs are built with the log builder of ``test_state_values`` (every salary 1 k$ a
day, team cap 16, ramped founding staff of skill 1); the desk is driven directly.
"""

from __future__ import annotations

import math

from test_state_values import Log, company

from orgsim.engine import events as ev
from orgsim.engine.state import Desk

# ------------------------------------------------------------------ the CEO's desk


def test_waiting_escalations_never_run_out_of_hours() -> None:
    # 8 hours a week, at most 3 each: 0 and 1 at 3, 2 at the 2 left, 3 waits at rate 0
    desk = Desk()
    desk.configure(8.0, 3.0)
    for c in range(4):
        desk.add(0.0, c, 6.0)
    assert [desk.items[c].finish for c in range(4)] == [14.0, 14.0, 21.0, math.inf]
    # by the end of time the three engaged ones are done; the waiting one got no hours
    assert desk.due(math.inf) == [0, 1, 2]
    assert desk.due(14.0) == [0, 1]


def test_a_ceo_with_no_hours_decides_nothing_ever() -> None:
    desk = Desk()
    desk.configure(0.0, 3.0)
    desk.add(0.0, 0, 6.0)
    assert (desk.items[0].rate, desk.items[0].finish) == (0.0, math.inf)
    assert desk.due(math.inf) == []


# ------------------------------------------------------------------ the flow


def test_a_department_with_no_capacity_serves_no_item_at_the_cap() -> None:
    # overhead 1: productivity (1 - 0) x (1 - 1) = 0, so the item cap 16 x 0 = 0 and
    # the capacity 1 x 0 = 0; the queued feature gets nothing: no item is full
    s = Log().dept("eng", overhead=1.0).dept("sales").hire(0, "eng").plan(0, 0.0, (10.0,)).fold()
    d = s.departments["eng"]
    assert (d.capacity, d.item_cap, d.busy) == (0.0, 0.0, 0.0)
    assert d.full == 0
    f = s.features[0]
    assert (f.rate, f.finish, d.next_time) == (0.0, math.inf, math.inf)


def test_a_finished_stages_last_crumb_counts_as_done() -> None:
    # three people from 0.7 on a 1 person-day stage: rate 3, finish 0.7 + 1/3 in
    # doubles; at that instant 3 x (finish - 0.7) = 0.9999999999999998 is worked and
    # the crumb 2.2e-16 left is counted as done, not descoped: 1.0 exactly
    log = company().hire(0, "eng").hire(1, "eng").hire(2, "eng").plan(0, 0.7, (1.0, 2.0))
    f = log.fold().features[0]
    assert (f.rate, f.t0, f.finish) == (3.0, 0.7, 1.0333333333333332)
    s = log.add(ev.StageCompleted, f.finish, feature=0, stage=0).fold()
    assert s.departments["eng"].worked == 0.9999999999999998
    assert s.effort_done == 1.0
    assert s.effort_descoped == 0.0
