"""More hand-computed values of the state handlers, and of the flow helpers they call.

The handlers' cases ``test_state_values.py`` leaves open (a second item of a kind,
a third delivery stage, a queue that already holds work, an instant of 0), and the
helpers of the work flow called directly on hand-made departments: ``_touch`` and
``_retime`` on two departments at once, ``_leaves``, ``_issues_empty`` and
``_issue_area``'s edge branches, and the CEO desk's split of hours. Logs are built with
the log builder of ``test_state_values``; expected values are worked by hand in the
comments, exact in binary (``==``) unless a logarithm or an exponential enters
(``pytest.approx(rel=1e-12)``: a few roundings of doubles).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from test_state_values import REL, Log, company, escalated

from orgsim.engine import events as ev
from orgsim.engine.state import (
    _MANY,
    EXTRA_PRIORITY,
    FEATURE_PRIORITY,
    Dept,
    Desk,
    OrgState,
    _issue_area,
    _issues_empty,
    _leaves,
    _retime,
    _touch,
    remaining_at,
)

LN2 = math.log(2.0)


def three_stages(**run: Any) -> Log:
    """build (eng), test (qa), sell (sales), each formed at 0 with nobody hired."""
    stages = dict(stage_names=("build", "test", "sell"), stage_departments=("eng", "qa", "sales"))
    return Log(**(stages | run)).dept("eng").dept("qa").dept("sales")


def names(s: OrgState, department: str) -> list[str]:
    return [e[4] for e in s.departments[department].queue]


# ------------------------------------------------------------------ support founded late


def test_support_founded_after_0_first_brings_the_work_up_to_that_instant() -> None:
    s = (
        company()
        .hire(0, "eng")
        .plan(0, 0.0, (10.0,))
        .add(
            ev.SupportFounded, 4.0, department="eng", demand=0.5, backlog_cost=0.1, abandonment=0.0
        )
        .fold()
    )
    d, f = s.departments["eng"], s.features[0]
    # 4 days at 1 a day on the feature before the customers came
    assert (d.since, d.worked, d.offered, s.effort_done) == (4.0, 4.0, 4.0, 4.0)
    # from 4: 0.5 of the 1 a day to the demand, 0.5 to the feature's 6 left: done at 16
    assert (d.demand, d.served, d.issues) == (0.5, 0.5, 0.0)
    assert (f.remaining, f.t0, f.rate, f.finish) == (6.0, 4.0, 0.5, 16.0)


# ------------------------------------------------------------------ talent


def test_cancelling_the_only_requisition_leaves_none_open() -> None:
    s = (
        company()
        .add(ev.RequisitionOpened, 1.0, requisition=0, department="eng")
        .add(ev.RequisitionCancelled, 2.0, requisition=0)
        .fold()
    )
    assert (s.departments["eng"].open_reqs, s.departments["eng"].opened) == (0, 1)


def test_cancelling_one_of_three_requisitions_leaves_two_open() -> None:
    log = company()
    for r in range(3):
        log.add(ev.RequisitionOpened, 1.0, requisition=r, department="eng")
    s = log.add(ev.RequisitionCancelled, 2.0, requisition=1).fold()
    assert s.departments["eng"].open_reqs == 2  # 3 - 1
    assert s.requisitions == {0: "eng", 2: "eng"}


def test_a_hire_leaves_when_the_hazard_reaches_their_resilience() -> None:
    s = company().dept("hr", attrition=0.5).hire(4, "hr", resilience=3.0).fold()
    # hazard ln 2 / 365 a day from 0: it reaches 3 after 3 x 365 / ln 2 days
    t = 3.0 * 365.0 / LN2
    assert s.departments["hr"].next_time == pytest.approx(t, rel=REL)
    assert s.due_leavers("hr", t) == [4]
    assert s.due_leavers("hr", t * 0.99) == []


def test_ramping_up_adds_the_skill_to_the_full_skill_already_there() -> None:
    s = (
        company()
        .hire(0, "eng")
        .hire(1, "eng", skill=2.0, ramped=False)
        .add(ev.EmployeeRamped, 2.0, employee=1)
        .fold()
    )
    d = s.departments["eng"]
    assert (d.full_skill, d.ramp_skill, d.capacity) == (3.0, 0.0, 3.0)  # 1 + 2


def test_a_transferred_person_can_leave_the_department_they_moved_to() -> None:
    s = (
        company()
        .dept("hr", attrition=0.5)
        .hire(0, "eng", resilience=3.0)
        .raise_(0, 0.0, initiator="hr", target="eng")
        .add(ev.EmployeeTransferred, 0.0, employee=0, source="eng", destination="hr", conflict=0)
        .fold()
    )
    # eng's hazard was 0, so all 3 of the resilience is left, on top of hr's hazard 0
    assert s.employees[0].threshold == 3.0
    t = 3.0 * 365.0 / LN2  # hr's hazard ln 2 / 365 a day reaches 3 then
    assert s.departments["hr"].next_time == pytest.approx(t, rel=REL)
    assert s.due_leavers("hr", t) == [0]
    assert s.due_leavers("eng", t) == []
    assert s.departments["eng"].next_time == math.inf


def test_every_poached_person_is_remembered_in_order() -> None:
    s = (
        company()
        .hire(0, "eng")
        .hire(1, "eng")
        .raise_(0, 1.0)  # sales poaches from eng
        .add(ev.EmployeeTransferred, 2.0, employee=1, source="eng", destination="sales", conflict=0)
        .add(ev.EmployeeTransferred, 3.0, employee=0, source="eng", destination="sales", conflict=0)
        .fold()
    )
    assert s.conflicts[0].moved == (1, 0)
    assert (s.departments["eng"].staff, s.departments["sales"].staff) == (0, 2)


def test_a_move_to_the_initiator_from_a_third_department_is_not_poaching() -> None:
    s = (
        company()
        .dept("hr")
        .hire(0, "hr")
        .raise_(0, 1.0)  # sales poaches from eng, not from hr
        .add(ev.EmployeeTransferred, 2.0, employee=0, source="hr", destination="sales", conflict=0)
        .fold()
    )
    assert s.conflicts[0].moved == ()
    assert s.employees[0].department == "sales"


def test_a_move_under_no_known_conflict_counts_for_none() -> None:
    s = (
        company()
        .hire(0, "eng")
        .add(
            ev.EmployeeTransferred, 2.0, employee=0, source="eng", destination="sales", conflict=-1
        )
        .fold()
    )
    assert (s.employees[0].department, s.employees[0].moves) == ("sales", 1)
    assert s.conflicts == {}


# ------------------------------------------------------------------ delivery


def test_a_planned_feature_keeps_its_roadmap_epoch() -> None:
    s = (
        company()
        .add(
            ev.FeaturePlanned,
            1.0,
            feature=0,
            product=1,
            efforts=(2.0, 1.0),
            value=9.0,
            due=50.0,
            epoch=3,
        )
        .fold()
    )
    assert (s.features[0].product, s.features[0].epoch) == (1, 3)


def test_planned_effort_adds_up_over_features() -> None:
    s = company().plan(0, 0.0, (6.0, 4.0)).plan(1, 1.0, (1.0, 2.0)).fold()
    assert s.effort_planned == 13.0  # 10 + 3


def test_a_feature_goes_through_three_stages_in_order() -> None:
    log = three_stages().hire(0, "eng").hire(1, "qa").hire(2, "sales")
    # F0 is served first (due 50); F1 (due 60) waits in eng behind it
    log.plan(0, 0.0, (4.0, 2.0, 3.0)).plan(1, 0.0, (8.0, 1.0, 1.0), due=60.0)
    s = log.add(ev.StageCompleted, 4.0, feature=0, stage=0).fold()
    f, eng = s.features[0], s.departments["eng"]
    assert f.stage == 1
    # the test stage's 2 at qa's 1 a day from 4: done at 6; nothing reached sales
    assert (f.remaining, f.t0, f.rate, f.finish) == (2.0, 4.0, 1.0, 6.0)
    assert (names(s, "eng"), names(s, "qa"), names(s, "sales")) == (["F1"], ["F0"], [])
    # eng was brought up to 4 before F0 left it: 4 days at 1, and F1 starts at 4
    assert (eng.since, eng.worked, eng.offered) == (4.0, 4.0, 4.0)
    g = s.features[1]
    assert (g.remaining, g.t0, g.rate, g.finish) == (8.0, 4.0, 1.0, 12.0)
    s = log.add(ev.StageCompleted, 6.0, feature=0, stage=1).fold()
    f = s.features[0]
    assert f.stage == 2
    # the sell stage's 3 at sales' 1 a day from 6: done at 9
    assert (f.remaining, f.t0, f.rate, f.finish) == (3.0, 6.0, 1.0, 9.0)
    assert (names(s, "qa"), names(s, "sales")) == ([], ["F0"])
    # eng's 4 on F0 and qa's 2; eng's work on F1 since 4 counts when eng next moves
    assert s.effort_done == 6.0


def test_a_feature_reaching_a_stage_waits_behind_unplanned_work_there() -> None:
    s = (
        three_stages()
        .hire(0, "eng")
        .hire(1, "qa")
        .plan(0, 0.0, (4.0, 2.0, 3.0))
        .raise_(0, 1.0, initiator="sales", target="qa")
        .add(ev.ExtraWorkAdded, 1.0, work=0, conflict=0, department="qa", effort=10.0, value=0.0)
        .add(ev.StageCompleted, 4.0, feature=0, stage=0)
        .fold()
    )
    qa = s.departments["qa"]
    assert names(s, "qa") == ["X0", "F0"]
    # (priority, key, serial): the work (0, added at 1.0, serial 2), the feature (1, due 50, 3)
    assert [e[:3] for e in qa.queue] == [(EXTRA_PRIORITY, 1.0, 2), (FEATURE_PRIORITY, 50.0, 3)]
    w, f = s.work[0], s.features[0]
    assert (w.rate, w.finish) == (1.0, 11.0)  # 10 at 1 a day from 1
    assert (f.remaining, f.rate, f.finish) == (2.0, 0.0, math.inf)


def test_a_feature_reaching_a_stage_is_served_by_its_due_date_there() -> None:
    # every item at most 1 a day; eng (2 a day) works F0 and F1 side by side
    log = three_stages(team_cap=1.0).hire(0, "eng", skill=2.0).hire(1, "qa")
    log.plan(0, 0.0, (4.0, 2.0, 1.0), due=40.0).plan(1, 0.0, (2.0, 4.0, 1.0), due=60.0)
    # F1 leaves eng at 2 (2 at 1 a day) and has qa's 1 a day; F0 arrives at 4
    log.add(ev.StageCompleted, 2.0, feature=1, stage=0)
    s = log.add(ev.StageCompleted, 4.0, feature=0, stage=0).fold()
    qa = s.departments["qa"]
    # F0 is due sooner (40 < 60): it goes first and takes qa's 1 a day; serials count
    # every entry to a queue: F0, F1 planned (1, 2), F1 into qa (3), F0 into qa (4)
    assert [e[:3] for e in qa.queue] == [(FEATURE_PRIORITY, 40.0, 4), (FEATURE_PRIORITY, 60.0, 3)]
    f0, f1 = s.features[0], s.features[1]
    assert (f0.remaining, f0.t0, f0.rate, f0.finish) == (2.0, 4.0, 1.0, 6.0)
    # F1 did 2 of its 4 in [2, 4] and waits with the 2 left
    assert (f1.remaining, f1.t0, f1.rate, f1.finish) == (2.0, 4.0, 0.0, math.inf)


def ship_two() -> Log:
    """F0 shipped at 2 (12 k$, 2 misaligned), F1 at 4 (5 k$, 1 misaligned)."""
    log = company().hire(0, "eng").hire(1, "sales")
    log.plan(0, 0.0, (1.0, 1.0)).add(ev.StageCompleted, 1.0, feature=0, stage=0)
    log.add(ev.FeatureShipped, 2.0, feature=0, value=12.0, late_days=0.0, misaligned=2.0)
    log.plan(1, 2.0, (1.0, 1.0)).add(ev.StageCompleted, 3.0, feature=1, stage=0)
    return log.add(ev.FeatureShipped, 4.0, feature=1, value=5.0, late_days=0.0, misaligned=1.0)


def test_shipped_values_and_misaligned_values_add_up() -> None:
    s = ship_two().fold()
    assert (s.value_shipped, s.value_misaligned) == (17.0, 3.0)  # 12 + 5, 2 + 1
    assert [s.features[i].shipped for i in (0, 1)] == [2.0, 4.0]


def test_unplanned_work_is_keyed_by_when_it_was_added() -> None:
    s = (
        company()
        .hire(0, "eng")
        .raise_(0, 1.0)
        .raise_(1, 1.0)
        .add(ev.ExtraWorkAdded, 2.0, work=0, conflict=0, department="eng", effort=2.0, value=0.0)
        .add(ev.ExtraWorkAdded, 3.0, work=1, conflict=1, department="eng", effort=1.0, value=0.0)
        .fold()
    )
    eng = s.departments["eng"]
    assert [e[:3] for e in eng.queue] == [(EXTRA_PRIORITY, 2.0, 1), (EXTRA_PRIORITY, 3.0, 2)]
    assert eng.entries["X1"][:3] == (EXTRA_PRIORITY, 3.0, 2)
    # X0 has 1 of its 2 left at 3, done at 4; X1 waits
    assert (remaining_at(s.work[0], 3.0), s.work[0].finish) == (1.0, 4.0)
    assert (s.work[1].rate, s.work[1].finish) == (0.0, math.inf)


def test_completed_work_counts_its_last_crumb_as_done_and_adds_its_value() -> None:
    crumb = 1e-7  # below WORK_EPS: the rounding a finished item may be left with
    s = (
        ship_two()
        .raise_(0, 4.0)
        .add(
            ev.ExtraWorkAdded,
            4.0,
            work=0,
            conflict=0,
            department="eng",
            effort=3.0 + crumb,
            value=4.0,
        )
        .add(ev.ExtraWorkCompleted, 7.0, work=0, value=4.0)
        .fold()
    )
    assert s.work[0].done is True
    assert s.value_shipped == 21.0  # 12 + 5 from the features, then 4
    # 3 days at 1 a day, and what rounding left counts as done, never as descoped
    assert s.effort_descoped == 0.0
    assert s.effort_done == pytest.approx(4.0 + 3.0 + crumb, rel=REL)


# ------------------------------------------------------------------ market


def test_a_realignment_to_epoch_0_leaves_the_roadmap_at_0() -> None:
    s = company().add(ev.RoadmapRealigned, 1.0, product=0, epoch=0, channel="surfaced").fold()
    assert s.roadmap_epoch == {0: 0}


# ------------------------------------------------------------------ the CEO's desk


@pytest.mark.parametrize("closed", [0.0, 0.5])
def test_a_conflict_closed_early_on_the_desk_keeps_its_end_status(closed: float) -> None:
    s = (
        escalated(1)
        .add(ev.ConflictLapsed, closed, conflict=0)
        .add(ev.CeoReleased, closed, conflict=0, settled=False)
        .fold()
    )
    c = s.conflicts[0]
    assert (c.status, c.closed) == ("lapsed", closed)
    assert s.desk.items == {}


# ------------------------------------------------------------------ the flow helpers


def test_touch_brings_every_department_given_up_to_the_instant() -> None:
    s = company().hire(0, "eng").hire(1, "sales", skill=2.0).plan(0, 0.0, (10.0,)).fold()
    eng, sales = s.departments["eng"], s.departments["sales"]
    _touch(s, 3.0, eng, sales)
    assert (eng.since, eng.worked, eng.offered) == (3.0, 3.0, 3.0)
    # sales has nothing queued: 2 a day offered, none worked
    assert (sales.since, sales.worked, sales.offered) == (3.0, 0.0, 6.0)
    assert s.effort_done == 3.0
    _touch(s, 3.0, eng)  # touching again at the same instant adds nothing
    assert (eng.worked, s.effort_done) == (3.0, 3.0)


def test_retime_re_rates_every_department_given_from_its_since() -> None:
    s = company().hire(0, "eng").plan(0, 0.0, (10.0,)).plan(1, 0.0, (4.0, 4.0), due=60.0).fold()
    eng, sales = s.departments["eng"], s.departments["sales"]
    _touch(s, 3.0, eng, sales)
    s.touched.clear()
    eng.full_skill = 2.0  # as a hire would
    sales.full_skill = 1.0
    _retime(s, eng, sales)
    f = s.features[0]
    # F0 had 10 - 3 = 7 left at 3, now at 2 a day (all of it: the cap is 16): done at 6.5
    assert (f.remaining, f.t0, f.rate, f.finish) == (7.0, 3.0, 2.0, 6.5)
    assert (eng.capacity, eng.busy, eng.next_time) == (2.0, 2.0, 6.5)
    assert (sales.capacity, sales.busy, sales.next_time) == (1.0, 0.0, math.inf)
    assert s.touched == {"eng"}  # only eng's next instant moved (10 to 6.5)


def test_leaves_is_when_the_hazard_reaches_the_threshold_at_its_rate() -> None:
    d = Dept("hr", since=10.0, hazard=0.5, hazard_rate=0.25)
    assert _leaves(d, 1.5) == 14.0  # 10 + (1.5 - 0.5) / 0.25
    assert _leaves(d, 0.5) == 10.0  # reached already: now
    assert _leaves(d, 0.25) == 10.0
    assert _leaves(Dept("hr", since=10.0, hazard=0.5), 1.5) == math.inf  # no hazard


def test_issues_empty_linear_and_with_abandonment() -> None:
    d = Dept("s", since=2.0, issues=3.0, demand=0.5, served=2.0)
    assert _issues_empty(d) == 4.0  # 2 + 3 / (2 - 0.5)
    d = Dept("s", since=1.0, issues=4.0, demand=1.0, served=3.0, abandonment=0.5)
    # L = (1 - 3) / 0.5 = -4: empty after ln((4 + 4) / 4) / 0.5 = 2 ln 2
    assert _issues_empty(d) == pytest.approx(1.0 + 2.0 * LN2, rel=REL)
    assert _issues_empty(Dept("s", issues=3.0, demand=1.0, served=1.0)) == math.inf
    assert _issues_empty(Dept("s", issues=0.0, demand=1.0, served=2.0)) == math.inf


def test_issue_area_without_a_backlog_or_a_shortfall_is_zero() -> None:
    # linear: nothing waiting and capacity to spare: no area, no backlog
    assert _issue_area(Dept("s", demand=1.0, served=1.0), 5.0) == (0.0, 0.0)
    assert _issue_area(Dept("s", demand=1.0, served=2.0), 5.0) == (0.0, 0.0)
    # with abandonment the same
    assert _issue_area(Dept("s", demand=1.0, served=2.0, abandonment=0.5), 5.0) == (0.0, 0.0)


def test_issue_area_linear_draining_and_not_yet_empty_is_a_trapezoid() -> None:
    d = Dept("s", issues=4.0, demand=1.0, served=2.0)
    # B = 4 - t: over 3 days (4 + 1) / 2 x 3 = 7.5, backlog 1
    assert _issue_area(d, 3.0) == (7.5, 1.0)
    # over 6 days it empties at 4: the triangle 4 x 4 / 2 = 8
    assert _issue_area(d, 6.0) == (8.0, 0.0)


def test_issue_area_with_abandonment_draining_and_not_yet_empty() -> None:
    d = Dept("s", issues=4.0, demand=1.0, served=3.0, abandonment=0.5)
    # L = -4: B = -4 + 8 e^-0.5t, empty at 2 ln 2 > 1; over 1 day: -4 + 8 (1 - e^-0.5) / 0.5
    area, b1 = _issue_area(d, 1.0)
    assert area == pytest.approx(-4.0 + 16.0 * (1.0 - math.exp(-0.5)), rel=REL)
    assert b1 == pytest.approx(-4.0 + 8.0 * math.exp(-0.5), rel=REL)
    # over 3 days it stops at 2 ln 2: -4 x 2 ln 2 + 8 (1 - 1/2) / 0.5 = 8 - 8 ln 2
    area, b1 = _issue_area(d, 3.0)
    assert area == pytest.approx(8.0 - 8.0 * LN2, rel=REL)
    assert b1 == 0.0


def test_issue_area_with_abandonment_building_up_toward_its_limit() -> None:
    d = Dept("s", issues=0.0, demand=2.0, served=1.0, abandonment=0.5)
    # L = 2: B = 2 (1 - e^-0.5t); over 2 days: 2 x 2 - 2 (1 - e^-1) / 0.5
    area, b1 = _issue_area(d, 2.0)
    assert area == pytest.approx(4.0 - 4.0 * (1.0 - math.exp(-1.0)), rel=REL)
    assert b1 == pytest.approx(2.0 * (1.0 - math.exp(-1.0)), rel=REL)


# ------------------------------------------------------------------ the desk's share


def test_desk_split_full_caps_then_the_remainder() -> None:
    desk = Desk()
    desk.configure(8.0, 3.0)
    assert (desk.full, desk.marginal) == (2, 2.0)  # 3 + 3, then 8 - 6
    desk.configure(9.0, 3.0)
    assert (desk.full, desk.marginal) == (3, 0.0)  # exactly three caps, nothing left
    desk.configure(0.0, 3.0)
    assert (desk.full, desk.marginal) == (0, 0.0)  # no hours: nobody gets any
    desk.configure(8.0, 0.0)
    assert (desk.full, desk.marginal) == (0, 0.0)
    desk.configure(8.0, 1e-300)
    assert (desk.full, desk.marginal) == (_MANY, 0.0)  # every escalation gets its tiny cap
    desk.configure(0.3, 0.1)
    # 0.3 // 0.1 is 2 in doubles, leaving 0.1 (to rounding) for a third
    assert (desk.full, desk.marginal) == (2, pytest.approx(0.1, rel=1e-9))


def test_desk_hours_pass_on_in_order_of_arrival() -> None:
    desk = Desk()
    desk.configure(8.0, 3.0)
    desk.add(0.0, 0, 6.0)
    assert (desk.items[0].rate, desk.items[0].finish) == (3.0, 14.0)  # 7 x 6 / 3
    for c in (1, 2, 3):
        desk.add(7.0, c, 6.0)
    items = desk.items
    # 0 has done 3 of its 6 by 7; 1 at 3 a week from 7: 21; 2 at the 2 left: 7 + 21 = 28
    assert [items[c].rate for c in range(4)] == [3.0, 3.0, 2.0, 0.0]
    assert [items[c].finish for c in range(4)] == [14.0, 21.0, 28.0, math.inf]
    assert (desk.worked, desk.busy, desk.engaged, desk.next_time) == (3.0, 8.0, 3, 14.0)
    assert desk.due(14.0) == [0]
    desk.remove(14.0, 0)  # decided: its hours ran out
    # worked 3 + 8 x 7 / 7 = 11; 2 moves up to 3 a week with 6 - 2 = 4 left: 14 + 28 / 3
    assert (desk.worked, desk.dropped) == (11.0, 0.0)
    assert (items[2].remaining, items[2].t0, items[2].rate) == (4.0, 14.0, 3.0)
    assert items[2].finish == pytest.approx(14.0 + 28.0 / 3.0, rel=REL)
    assert (items[3].rate, items[3].finish) == (2.0, 35.0)  # 14 + 7 x 6 / 2
    desk.remove(14.0, 3)  # undecided: its 6 hours are dropped
    assert (desk.worked, desk.dropped, desk.busy, desk.engaged) == (11.0, 6.0, 6.0, 2)
    # conservation: worked 11 + left (1: 3, 2: 4) + dropped 6 = needed 24
    left = desk.remaining_at(1, 14.0) + desk.remaining_at(2, 14.0)
    assert (left, desk.needed) == (7.0, 24.0)
    assert desk.worked_at(21.0) == 17.0  # 11 + 6 x 7 / 7
