"""A value test for every state handler: the smallest hand-made log, the state it must fold to.

Each test writes the few events a handler needs by hand, folds them with
:func:`orgsim.engine.state.fold` and asserts the fields the handler exists to set,
each expected value worked by hand in a comment. Numbers are chosen so that most
arithmetic is exact in binary (``==``); where a logarithm or a decimal product
enters, ``pytest.approx(rel=1e-12)`` (a few roundings of doubles).

The company: stages ``build`` (eng) then ``sell`` (sales); ramping hires work at half
speed; a team absorbs at most 16 person-days a day (so one or two people never hit
the cap unless a test lowers it); no drag, no floor, no conflict attrition unless a
test sets them; every salary 365 k$ a year, i.e. 1 k$ a day.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from builders import run_fields
from orgsim.engine import events as ev
from orgsim.engine.state import OrgState, cash_at, fold

RUN: dict[str, Any] = run_fields(
    scenario="values",
    scenario_hash="h",
    seed=7,
    replication=2,
    broker=True,
    quarter_days=80.0,
    stage_names=("build", "sell"),
    stage_departments=("eng", "sales"),
    hiring_cost=2.0,
    ramp_productivity=0.5,
    team_cap=16.0,
    ceo_max_hours_per_week=3.0,
)
DEPT: dict[str, Any] = dict(salary=365.0, bias=0.0, attrition=0.0, overhead=0.0, teams=1, layers=1)
REL = 1e-12  # a few roundings of doubles


class Log:
    """A hand-made log: each ``add`` appends one event with the next seq."""

    def __init__(self, **run: Any) -> None:
        self.events: list[ev.Event] = [ev.RunStarted(seq=0, time=0.0, **(RUN | run))]

    def add(self, cls: type[ev.Event], time: float, **fields: Any) -> Log:
        self.events.append(cls(seq=len(self.events), time=time, **fields))
        return self

    def dept(self, name: str, time: float = 0.0, **fields: Any) -> Log:
        return self.add(ev.DepartmentFormed, time, department=name, **(DEPT | fields))

    def hire(
        self,
        employee: int,
        department: str,
        time: float = 0.0,
        *,
        skill: float = 1.0,
        resilience: float = 100.0,
        salary: float = 365.0,
        requisition: int = -1,
        ramped: bool = True,
    ) -> Log:
        return self.add(
            ev.EmployeeHired,
            time,
            employee=employee,
            department=department,
            salary=salary,
            skill=skill,
            resilience=resilience,
            requisition=requisition,
            ramped=ramped,
        )

    def plan(self, feature: int, time: float, efforts: tuple[float, ...], due: float = 50.0) -> Log:
        return self.add(
            ev.FeaturePlanned,
            time,
            feature=feature,
            product=0,
            efforts=efforts,
            value=9.0,
            due=due,
            epoch=0,
        )

    def raise_(self, conflict: int, time: float, severity: float = 1.0, **fields: Any) -> Log:
        rest = dict(kind="poaching", initiator="sales", target="eng") | fields
        return self.add(
            ev.ConflictRaised,
            time,
            conflict=conflict,
            severity=severity,
            company_side="initiator",
            **rest,
        )

    def fold(self) -> OrgState:
        return fold(self.events)


def company(**run: Any) -> Log:
    """The two departments, formed at 0, nobody hired yet."""
    return Log(**run).dept("eng").dept("sales")


# ------------------------------------------------------------------ the run


def test_run_started_sets_the_parameters_the_flows_read() -> None:
    s = Log(drag=0.25, min_productivity=0.125, conflict_attrition=0.5).fold()
    assert (s.scenario, s.seed, s.replication, s.broker) == ("values", 7, 2, True)
    assert (s.horizon, s.quarter_days, s.hiring_cost) == (100.0, 80.0, 2.0)
    assert s.stage_names == ("build", "sell")
    assert s.stages == ("eng", "sales")
    assert (s.drag, s.min_productivity, s.ramp_productivity) == (0.25, 0.125, 0.5)
    assert (s.team_cap, s.conflict_attrition) == (16.0, 0.5)
    # the CEO's 8 hours a week, at most 3 to one escalation: floor(8/3) = 2 get 3 each,
    # the third gets 8 - 6 = 2
    assert (s.desk.hours_per_week, s.desk.max_hours_per_week) == (8.0, 3.0)
    assert (s.desk.full, s.desk.marginal) == (2, 2.0)
    assert (s.ended, s.failed) == (False, False)


def test_run_ended_marks_the_state_ended_and_changes_nothing_else() -> None:
    s = company().hire(0, "eng").plan(0, 0.0, (10.0,)).add(ev.RunEnded, 4.0).fold()
    assert s.ended is True
    assert s.time == 4.0
    # the end does not advance work: the feature's figures are still those of t = 0
    f = s.features[0]
    assert (f.remaining, f.t0, f.rate, f.finish) == (10.0, 0.0, 1.0, 10.0)


def test_department_formed_keeps_its_figures_and_turns_attrition_into_a_hazard() -> None:
    log = Log(drag=0.1)
    log.dept("eng", 5.0, salary=200.0, bias=0.3, attrition=0.2, overhead=0.25, teams=2, layers=3)
    d = log.fold().departments["eng"]
    assert (d.name, d.salary, d.bias, d.attrition, d.overhead) == ("eng", 200.0, 0.3, 0.2, 0.25)
    assert (d.teams, d.layers) == (2, 3)
    # 20% leave a year: survival 0.8 = exp(-365 h), so h = -ln(0.8) / 365 per day
    assert d.base_hazard == pytest.approx(-math.log(0.8) / 365.0, rel=REL)
    assert d.hazard_rate == pytest.approx(-math.log(0.8) / 365.0, rel=REL)
    # a conflict drags one of its two teams: 0.1 / 2
    assert d.drag == pytest.approx(0.05, rel=REL)
    assert d.since == 5.0  # its flows start when it is formed
    assert (d.staff, d.capacity, d.next_time) == (0, 0.0, math.inf)


def test_a_department_without_teams_has_no_drag() -> None:
    d = Log(drag=0.1).dept("eng", teams=0).fold().departments["eng"]
    assert d.drag == 0.0


# ------------------------------------------------------------------ talent


def test_a_requisition_opened_is_counted_open_and_opened_this_quarter() -> None:
    s = (
        company()
        .add(ev.RequisitionOpened, 1.0, requisition=0, department="eng")
        .add(ev.RequisitionOpened, 1.0, requisition=4, department="eng")
        .add(ev.RequisitionOpened, 1.0, requisition=2, department="sales")
        .fold()
    )
    assert s.requisitions == {0: "eng", 4: "eng", 2: "sales"}
    assert (s.departments["eng"].open_reqs, s.departments["eng"].opened) == (2, 2)
    assert (s.departments["sales"].open_reqs, s.departments["sales"].opened) == (1, 1)
    assert s.next_id("requisition") == 5  # after the highest seen, 4


def test_a_cancelled_requisition_is_no_longer_open_but_was_opened() -> None:
    s = (
        company()
        .add(ev.RequisitionOpened, 1.0, requisition=0, department="eng")
        .add(ev.RequisitionOpened, 1.0, requisition=1, department="eng")
        .add(ev.RequisitionCancelled, 2.0, requisition=0)
        .fold()
    )
    assert s.requisitions == {1: "eng"}
    d = s.departments["eng"]
    assert d.open_reqs == 1  # 2 opened - 1 cancelled
    assert d.opened == 2  # this quarter's openings: a cancellation does not unopen one
    assert s.next_id("requisition") == 2


def test_a_quarter_resets_the_openings_not_the_open_requisitions() -> None:
    s = (
        company()
        .add(ev.RequisitionOpened, 1.0, requisition=0, department="eng")
        .add(ev.QuarterStarted, 80.0, quarter=1, available=40.0, broker_cost=0.0)
        .fold()
    )
    d = s.departments["eng"]
    assert (d.open_reqs, d.opened) == (1, 0)


def test_a_founding_hire_adds_a_person_and_their_skill() -> None:
    s = company().hire(3, "eng", skill=1.5, resilience=4.0).fold()
    d = s.departments["eng"]
    assert (d.staff, d.full_skill, d.ramp_skill, d.capacity) == (1, 1.5, 0.0, 1.5)
    p = s.employees[3]
    assert (p.department, p.skill, p.threshold, p.ramped, p.salary, p.moves) == (
        "eng",
        1.5,
        4.0,  # hazard 0 at t = 0, plus the resilience 4
        True,
        365.0,
        0,
    )
    assert s.next_id("employee") == 4
    assert s.payroll == 365.0
    assert s.burn == 1.0  # 365 k$ a year = 1 k$ a day


def test_a_hire_fills_its_requisition_costs_the_hiring_fee_and_raises_the_burn() -> None:
    s = (
        company()
        .hire(0, "eng", salary=730.0)
        .add(ev.BudgetFounded, 0.0, base_budget=30.0, cash=100.0, cash_share=0.5)
        .add(ev.RequisitionOpened, 4.0, requisition=0, department="eng")
        .hire(1, "eng", 10.0, requisition=0, ramped=False)
        .fold()
    )
    d = s.departments["eng"]
    assert s.requisitions == {}
    assert (d.open_reqs, d.opened) == (0, 1)
    # a ramping hire: skill 1 in ramp_skill, working at half speed
    assert (d.staff, d.full_skill, d.ramp_skill, d.capacity) == (2, 1.0, 1.0, 1.5)
    # cash: 100 at t=0 falling at 730/365 = 2 a day: 100 - 2*10 = 80; fee 2: 78
    assert s.cash == 78.0
    assert s.cash_since == 10.0
    # payroll 730 + 365 = 1095 a year: 3 a day; zero at 10 + 78 / 3 = 36
    assert (s.payroll, s.burn, s.cash_out) == (1095.0, 3.0, 36.0)


def test_a_founding_hire_costs_no_hiring_fee() -> None:
    s = (
        company()
        .add(ev.BudgetFounded, 0.0, base_budget=30.0, cash=100.0, cash_share=0.5)
        .hire(0, "eng", 10.0)
        .fold()
    )
    # nobody was paid before t = 10; the founding hire pays no fee
    assert s.cash == 100.0
    assert s.cash_out == 110.0  # 10 + 100 / 1


def test_a_hire_s_resilience_counts_from_the_department_s_hazard_at_hiring() -> None:
    s = company().dept("hr", attrition=0.5).hire(0, "hr").hire(1, "hr", 73.0, resilience=3.0).fold()
    # hazard ln(2)/365 a day for 73 days = ln(2)/5; the hire leaves when it has risen 3 more
    assert s.employees[1].threshold == pytest.approx(math.log(2.0) / 5.0 + 3.0, rel=REL)
    assert s.departments["hr"].hazard == pytest.approx(math.log(2.0) / 5.0, rel=REL)


def test_a_ramped_hire_works_at_full_speed_from_that_instant() -> None:
    s = (
        company()
        .hire(0, "eng", ramped=False)
        .plan(0, 0.0, (10.0,))
        .add(ev.EmployeeRamped, 4.0, employee=0)
        .fold()
    )
    d, f = s.departments["eng"], s.features[0]
    assert s.employees[0].ramped is True
    assert (d.full_skill, d.ramp_skill, d.capacity) == (1.0, 0.0, 1.0)
    # 4 days at half speed did 2 of 10; the 8 left at 1 a day finish at 12
    assert (f.remaining, f.t0, f.rate, f.finish) == (8.0, 4.0, 1.0, 12.0)
    assert d.next_time == 12.0
    assert s.effort_done == 2.0


def test_a_leaver_takes_their_skill_and_salary_away() -> None:
    s = (
        company()
        .hire(0, "eng")
        .hire(1, "eng", skill=3.0)
        .add(ev.BudgetFounded, 0.0, base_budget=30.0, cash=100.0, cash_share=0.5)
        .plan(0, 0.0, (20.0,))
        .add(ev.EmployeeLeft, 4.0, employee=1)
        .fold()
    )
    d, f = s.departments["eng"], s.features[0]
    assert 1 not in s.employees
    assert (d.staff, d.full_skill, d.capacity) == (1, 1.0, 1.0)
    # 4 days at 1 + 3 = 4 a day did 16 of 20; 4 left at 1 a day: done at 8
    assert (f.remaining, f.rate, f.finish) == (4.0, 1.0, 8.0)
    assert s.effort_done == 16.0
    # cash 100 - 2 a day x 4 = 92, then 1 a day: out at 4 + 92 = 96
    assert (s.cash, s.payroll, s.burn, s.cash_out) == (92.0, 365.0, 1.0, 96.0)


def test_a_ramping_leaver_takes_their_ramping_skill_away() -> None:
    s = company().hire(0, "eng").hire(1, "eng", ramped=False).add(ev.EmployeeLeft, 1.0, employee=1)
    d = s.fold().departments["eng"]
    assert (d.staff, d.full_skill, d.ramp_skill, d.capacity) == (1, 1.0, 0.0, 1.0)


def test_a_poached_person_moves_keeps_their_resilience_left_and_ramps_again() -> None:
    s = (
        company()
        .dept("hr", attrition=0.2)
        .dept("legal", attrition=0.5)
        .hire(0, "hr", resilience=3.0)
        .raise_(0, 10.0, initiator="legal", target="hr")
        .add(ev.EmployeeTransferred, 73.0, employee=0, source="hr", destination="legal", conflict=0)
        .fold()
    )
    p, hr, legal = s.employees[0], s.departments["hr"], s.departments["legal"]
    b_hr, b_legal = -math.log(0.8) / 365.0, math.log(2.0) / 365.0
    # resilience used in hr: 73 b_hr; what is left, 3 - 73 b_hr, is on top of legal's hazard
    assert p.threshold == pytest.approx(73.0 * b_legal + 3.0 - 73.0 * b_hr, rel=REL)
    assert (p.department, p.ramped, p.moves, p.salary) == ("legal", False, 1, 365.0)
    assert (hr.staff, hr.full_skill, hr.capacity) == (0, 0.0, 0.0)
    # in legal they ramp up again: skill 1 at half speed
    assert (legal.staff, legal.ramp_skill, legal.full_skill, legal.capacity) == (1, 1.0, 0.0, 0.5)
    assert s.conflicts[0].moved == (0,)  # what undoing the poaching must move back
    assert s.payroll == 365.0  # the salary goes with them


def test_moving_a_person_back_is_not_counted_as_poached() -> None:
    s = (
        company()
        .hire(0, "eng")
        .raise_(0, 1.0)  # sales poaches from eng
        .add(ev.EmployeeTransferred, 2.0, employee=0, source="eng", destination="sales", conflict=0)
        .add(ev.EmployeeTransferred, 3.0, employee=0, source="sales", destination="eng", conflict=0)
        .fold()
    )
    assert s.conflicts[0].moved == (0,)
    assert (s.employees[0].department, s.employees[0].moves) == ("eng", 2)
    assert s.departments["eng"].staff == 1
    assert s.departments["sales"].staff == 0


# ------------------------------------------------------------------ delivery


def test_a_planned_feature_joins_the_first_stage_s_queue_at_its_capacity() -> None:
    s = company().hire(0, "eng", skill=2.0).plan(5, 3.0, (6.0, 4.0), due=40.0).fold()
    f = s.features[5]
    assert (f.product, f.efforts, f.value, f.due, f.planned) == (0, (6.0, 4.0), 9.0, 40.0, 3.0)
    assert (f.stage, f.shipped, f.epoch) == (0, -1.0, 0)
    # 6 person-days of its first stage at eng's 2 a day: done at 3 + 3 = 6
    assert (f.remaining, f.t0, f.rate, f.finish) == (6.0, 3.0, 2.0, 6.0)
    assert s.effort_planned == 10.0  # every stage's effort
    assert s.next_id("feature") == 6
    assert s.departments["eng"].next_time == 6.0
    assert s.backlog("eng") == 6.0
    assert s.backlog("sales") == 0.0


def test_features_are_served_by_due_date_each_at_most_the_team_cap() -> None:
    s = (
        company(team_cap=1.5)
        .hire(0, "eng", skill=2.0)
        .plan(0, 0.0, (10.0,), due=100.0)
        .plan(1, 2.0, (6.0,), due=50.0)
        .fold()
    )
    a, b = s.features[0], s.features[1]
    # alone, feature 0 got the cap 1.5 a day: 10 - 3 = 7 left at 2
    # then feature 1 (due sooner) takes the cap 1.5 and feature 0 the 0.5 left
    assert (b.rate, b.finish) == (1.5, 6.0)  # 2 + 6 / 1.5
    assert (a.remaining, a.rate, a.finish) == (7.0, 0.5, 16.0)  # 2 + 7 / 0.5
    d = s.departments["eng"]
    assert (d.capacity, d.busy, d.item_cap, d.full) == (2.0, 2.0, 1.5, 1)


def test_a_completed_stage_moves_the_feature_to_the_next_department() -> None:
    s = (
        company()
        .hire(0, "eng")
        .hire(1, "sales")
        .plan(0, 0.0, (4.0, 3.0))
        .add(ev.StageCompleted, 4.0, feature=0, stage=0)
        .fold()
    )
    f = s.features[0]
    assert f.stage == 1
    # the sell stage's 3 person-days at sales' 1 a day, from 4: done at 7
    assert (f.remaining, f.t0, f.rate, f.finish) == (3.0, 4.0, 1.0, 7.0)
    assert s.departments["eng"].queue == []
    assert s.backlog("eng") == 0.0
    assert s.backlog("sales") == 3.0
    assert s.departments["sales"].next_time == 7.0
    assert s.departments["eng"].next_time == math.inf
    assert s.effort_done == 4.0


def test_a_shipped_feature_realises_its_value_and_brings_in_its_cash_share() -> None:
    s = (
        company()
        .hire(0, "eng")
        .hire(1, "sales")
        .add(ev.BudgetFounded, 0.0, base_budget=30.0, cash=100.0, cash_share=0.5)
        .plan(0, 0.0, (4.0, 3.0))
        .add(ev.StageCompleted, 4.0, feature=0, stage=0)
        .add(ev.FeatureShipped, 7.0, feature=0, value=12.0, late_days=0.0, misaligned=2.0)
        .fold()
    )
    f = s.features[0]
    assert (f.stage, f.shipped) == (2, 7.0)  # past the last stage
    assert (s.value_shipped, s.value_misaligned) == (12.0, 2.0)
    assert s.departments["sales"].queue == []
    assert s.effort_done == 7.0  # 4 + 3: all of it
    # cash 100 - 2 a day x 7 = 86, plus half of 12: 92; out at 7 + 92 / 2 = 53
    assert (s.cash, s.cash_out) == (92.0, 53.0)


def test_unplanned_work_jumps_the_queue() -> None:
    s = (
        company()
        .hire(0, "eng")
        .plan(0, 0.0, (10.0,))
        .raise_(0, 1.0)
        .add(ev.ExtraWorkAdded, 2.0, work=3, conflict=0, department="eng", effort=3.0, value=4.0)
        .fold()
    )
    w, f = s.work[3], s.features[0]
    assert (w.conflict, w.department, w.value, w.done) == (0, "eng", 4.0, False)
    # it gets all of eng's 1 a day from 2: done at 5; the feature waits with 10 - 2 = 8
    assert (w.remaining, w.rate, w.finish) == (3.0, 1.0, 5.0)
    assert (f.remaining, f.rate, f.finish) == (8.0, 0.0, math.inf)
    assert s.conflicts[0].work == 3
    assert s.effort_planned == 13.0
    assert s.next_id("work") == 4
    assert s.backlog("eng") == 11.0


def test_completed_unplanned_work_earns_its_value_and_frees_the_capacity() -> None:
    s = (
        company()
        .hire(0, "eng")
        .add(ev.BudgetFounded, 0.0, base_budget=30.0, cash=100.0, cash_share=0.5)
        .plan(0, 0.0, (10.0,))
        .raise_(0, 1.0)
        .add(ev.ExtraWorkAdded, 2.0, work=0, conflict=0, department="eng", effort=3.0, value=4.0)
        .add(ev.ExtraWorkCompleted, 5.0, work=0, value=4.0)
        .fold()
    )
    w, f = s.work[0], s.features[0]
    assert w.done is True
    assert s.departments["eng"].queue == [s.departments["eng"].entries["F0"]]
    # the feature's 8 left resume at 1 a day from 5: done at 13
    assert (f.remaining, f.t0, f.rate, f.finish) == (8.0, 5.0, 1.0, 13.0)
    assert s.effort_done == 5.0  # 2 on the feature + 3 on the work
    assert s.value_shipped == 4.0
    # cash 100 - 1 x 5 = 95, plus half of 4: 97
    assert s.cash == 97.0


def test_descoped_work_leaves_its_remainder_undone_and_earns_nothing() -> None:
    s = (
        company()
        .hire(0, "eng")
        .plan(0, 0.0, (10.0,))
        .raise_(0, 1.0)
        .add(ev.ExtraWorkAdded, 2.0, work=0, conflict=0, department="eng", effort=3.0, value=4.0)
        .add(ev.ExtraWorkDescoped, 4.0, work=0)
        .fold()
    )
    w, f = s.work[0], s.features[0]
    assert w.done is True
    assert s.effort_done == 4.0  # 2 on the feature, 2 of the work's 3
    assert s.effort_descoped == 1.0  # the 1 left
    assert s.value_shipped == 0.0
    assert (f.remaining, f.t0, f.rate, f.finish) == (8.0, 4.0, 1.0, 12.0)


# ------------------------------------------------------------------ market


def test_a_market_shift_moves_the_market_not_the_roadmap() -> None:
    s = company().add(ev.MarketShifted, 3.0, product=1, epoch=2).fold()
    assert s.market_epoch == {1: 2}
    assert s.roadmap_epoch == {}


def test_a_broker_realignment_occupies_a_mediator_until_the_roadmap_follows() -> None:
    log = company().add(ev.RealignmentStarted, 1.0, product=0, epoch=1)
    log.add(ev.RealignmentStarted, 1.0, product=1, epoch=1)
    assert log.fold().realigning == 2
    log.add(ev.RoadmapRealigned, 5.0, product=0, epoch=1, channel="broker")
    s = log.fold()
    assert s.realigning == 1
    assert s.roadmap_epoch == {0: 1}


def test_a_surfaced_realignment_frees_no_mediator() -> None:
    s = (
        company()
        .add(ev.RealignmentStarted, 1.0, product=0, epoch=1)
        .add(ev.RoadmapRealigned, 2.0, product=0, epoch=1, channel="surfaced")
        .fold()
    )
    assert (s.realigning, s.roadmap_epoch) == (1, {0: 1})


def test_a_late_broker_realignment_never_takes_the_roadmap_back() -> None:
    s = (
        company()
        .add(ev.RealignmentStarted, 1.0, product=0, epoch=1)
        .add(ev.RoadmapRealigned, 2.0, product=0, epoch=2, channel="surfaced")
        .add(ev.RoadmapRealigned, 3.0, product=0, epoch=1, channel="broker")
        .fold()
    )
    assert (s.realigning, s.roadmap_epoch) == (0, {0: 2})


# ------------------------------------------------------------------ budget and cash


def test_budget_founded_sets_the_cash_and_when_it_runs_out() -> None:
    s = (
        company()
        .hire(0, "eng", salary=730.0)
        .add(ev.BudgetFounded, 0.0, base_budget=30.0, cash=100.0, cash_share=0.25)
        .fold()
    )
    assert (s.base_budget, s.cash_share, s.cash_founded) == (30.0, 0.25, True)
    assert (s.cash, s.cash_since, s.burn) == (100.0, 0.0, 2.0)
    assert s.cash_out == 50.0  # 100 / 2
    assert cash_at(s, 20.0) == 60.0


def test_without_founded_cash_the_company_never_runs_out() -> None:
    s = company().hire(0, "eng").fold()
    assert (s.burn, s.cash_founded, s.cash_out) == (1.0, False, math.inf)


def test_a_quarter_opens_its_budget_and_spreads_the_broker_cost_over_it() -> None:
    s = (
        company()
        .hire(0, "eng")
        .add(ev.BudgetFounded, 0.0, base_budget=30.0, cash=100.0, cash_share=0.5)
        .add(ev.RequisitionOpened, 1.0, requisition=0, department="eng")
        .add(ev.QuarterStarted, 20.0, quarter=3, available=40.0, broker_cost=160.0)
        .fold()
    )
    assert (s.quarter, s.available) == (3, 40.0)
    assert s.departments["eng"].opened == 0
    # 160 k$ over the 80-day quarter: 2 a day, on top of the payroll's 1
    assert (s.broker_burn, s.burn) == (2.0, 3.0)
    # cash 100 - 1 x 20 = 80 at 20, then 3 a day: out at 20 + 80 / 3
    assert s.cash == 80.0
    assert s.cash_out == pytest.approx(20.0 + 80.0 / 3.0, rel=REL)


def test_a_quarter_remembers_the_value_shipped_when_it_began() -> None:
    s = (
        company()
        .hire(0, "eng")
        .hire(1, "sales")
        .plan(0, 0.0, (1.0, 1.0))
        .add(ev.StageCompleted, 1.0, feature=0, stage=0)
        .add(ev.FeatureShipped, 2.0, feature=0, value=12.0, late_days=0.0, misaligned=0.0)
        .add(ev.QuarterStarted, 80.0, quarter=1, available=40.0, broker_cost=0.0)
        .fold()
    )
    assert (s.value_shipped, s.value_at_quarter) == (12.0, 12.0)


def test_budget_allocated_sets_the_department_s_budget_and_need() -> None:
    s = (
        company()
        .add(
            ev.BudgetAllocated,
            0.0,
            quarter=0,
            department="eng",
            need=7.0,
            request=6.0,
            allocated=5.0,
        )
        .fold()
    )
    d = s.departments["eng"]
    assert (d.allocated, d.need) == (5.0, 7.0)
    assert s.departments["sales"].allocated == 0.0


def test_a_budget_transfer_moves_the_amount_from_source_to_destination() -> None:
    s = (
        company()
        .add(
            ev.BudgetAllocated,
            0.0,
            quarter=0,
            department="eng",
            need=7.0,
            request=6.0,
            allocated=5.0,
        )
        .add(
            ev.BudgetAllocated,
            0.0,
            quarter=0,
            department="sales",
            need=3.0,
            request=3.0,
            allocated=3.0,
        )
        .raise_(0, 1.0, kind="budget")
        .add(ev.BudgetTransferred, 2.0, source="eng", destination="sales", amount=1.5, conflict=0)
        .fold()
    )
    assert s.departments["eng"].allocated == 3.5  # 5 - 1.5
    assert s.departments["sales"].allocated == 4.5  # 3 + 1.5


def test_company_failed_stops_the_cash_clock() -> None:
    s = (
        company()
        .hire(0, "eng")
        .add(ev.BudgetFounded, 0.0, base_budget=30.0, cash=10.0, cash_share=0.5)
        .add(ev.CompanyFailed, 10.0, cash=0.0, burn=1.0)
        .fold()
    )
    assert s.failed is True
    assert (s.cash, s.cash_since) == (0.0, 10.0)  # 10 - 1 x 10
    assert s.cash_out == math.inf  # a failed company is not timed to fail again


# ------------------------------------------------------------------ conflicts


def test_a_raised_conflict_is_latent_and_drags_both_sides() -> None:
    s = (
        company(drag=0.1, conflict_attrition=0.5)
        .dept("hr", teams=2, attrition=0.2)
        .hire(0, "hr")
        .hire(1, "sales")
        .raise_(4, 3.0, severity=4.0, initiator="sales", target="hr")
        .fold()
    )
    c = s.conflicts[4]
    assert (c.kind, c.initiator, c.target, c.severity, c.company_side) == (
        "poaching",
        "sales",
        "hr",
        4.0,
        "initiator",
    )
    assert (c.raised, c.status, c.detected, c.closed, c.winner) == (3.0, "latent", -1.0, -1.0, "")
    hr, sales = s.departments["hr"], s.departments["sales"]
    assert (hr.severity, sales.severity) == (4.0, 4.0)
    # hr's drag is 0.1 / 2 teams: productivity 1 - 0.05 x 4 = 0.8; sales: 1 - 0.1 x 4 = 0.6
    assert hr.capacity == pytest.approx(0.8, rel=REL)
    assert sales.capacity == pytest.approx(0.6, rel=REL)
    # hr's attrition hazard rises by conflict_attrition x drag x severity = 0.5 x 0.05 x 4
    assert hr.hazard_rate == pytest.approx(-math.log(0.8) / 365.0 * 1.1, rel=REL)
    assert s.next_id("conflict") == 5


def test_conflicts_add_their_severity_and_productivity_stops_at_its_floor() -> None:
    s = (
        company(drag=0.1, min_productivity=0.5)
        .hire(0, "eng")
        .raise_(0, 1.0, severity=2.0)
        .raise_(1, 1.0, severity=3.0)
        .fold()
    )
    d = s.departments["eng"]
    assert d.severity == 5.0
    # 1 - 0.1 x 5 = 0.5: at the floor; the floor holds below it too (see next assert)
    assert d.capacity == pytest.approx(0.5, rel=REL)
    s2 = company(drag=0.1, min_productivity=0.5).hire(0, "eng").raise_(0, 1.0, severity=8.0).fold()
    assert s2.departments["eng"].capacity == 0.5  # 1 - 0.8 = 0.2, floored at 0.5


def test_a_resolved_conflict_stops_dragging_and_the_work_speeds_up_again() -> None:
    s = (
        company(drag=0.1)
        .hire(0, "eng")
        .plan(0, 0.0, (10.0,))
        .raise_(0, 2.0, severity=2.0)
        .add(
            ev.ConflictResolved,
            7.0,
            conflict=0,
            forum="negotiation",
            winner="eng",
            company_interest=True,
        )
        .fold()
    )
    c, d, f = s.conflicts[0], s.departments["eng"], s.features[0]
    assert (c.status, c.closed, c.winner) == ("resolved", 7.0, "eng")
    assert (d.severity, s.departments["sales"].severity) == (0.0, 0.0)
    assert d.capacity == 1.0
    # 2 days at 1, 5 days at 0.8: 10 - 2 - 4 = 4 left at 1 a day: done at 11
    assert f.remaining == pytest.approx(4.0, rel=REL)
    assert f.finish == pytest.approx(11.0, rel=REL)
    assert s.effort_done == pytest.approx(6.0, rel=REL)
    assert list(s.open_conflicts()) == []


def test_a_lapsed_conflict_closes_unresolved_and_stops_dragging() -> None:
    s = (
        company(drag=0.1)
        .hire(0, "eng")
        .raise_(0, 2.0, severity=2.0)
        .add(ev.MediationQueued, 3.0, conflict=0)
        .add(ev.ConflictLapsed, 9.0, conflict=0)
        .fold()
    )
    c = s.conflicts[0]
    assert (c.status, c.closed, c.winner) == ("lapsed", 9.0, "")
    assert s.departments["eng"].severity == 0.0
    assert s.departments["eng"].capacity == 1.0
    assert s.mediation_waiting == 0  # it left the mediation queue


def test_a_detected_conflict_is_known_from_that_instant() -> None:
    s = company().raise_(0, 2.0).add(ev.ConflictDetected, 5.5, conflict=0, channel="broker")
    c = s.fold().conflicts[0]
    assert (c.status, c.detected) == ("detected", 5.5)


def test_negotiation_moves_a_conflict_without_any_forum_count() -> None:
    log = company().raise_(0, 1.0).add(ev.NegotiationStarted, 2.0, conflict=0)
    s = log.fold()
    assert s.conflicts[0].status == "negotiating"
    assert (s.mediation_waiting, s.mediating) == (0, 0)
    s = log.add(ev.NegotiationFailed, 3.0, conflict=0).fold()
    assert s.conflicts[0].status == "failed"
    assert (s.mediation_waiting, s.mediating) == (0, 0)


def test_mediation_counts_follow_the_conflict_from_queue_to_mediator_to_failure() -> None:
    log = company().raise_(0, 1.0).raise_(1, 1.0)
    log.add(ev.MediationQueued, 2.0, conflict=0).add(ev.MediationQueued, 2.0, conflict=1)
    s = log.fold()
    assert [c.status for c in s.conflicts.values()] == ["queued", "queued"]
    assert (s.mediation_waiting, s.mediating) == (2, 0)
    s = log.add(ev.MediationStarted, 3.0, conflict=0).fold()
    assert s.conflicts[0].status == "mediating"
    assert (s.mediation_waiting, s.mediating) == (1, 1)
    s = log.add(ev.MediationFailed, 4.0, conflict=0, briefing=0.25).fold()
    assert (s.conflicts[0].status, s.conflicts[0].briefing) == ("failed", 0.25)
    assert (s.mediation_waiting, s.mediating) == (1, 0)


def test_a_privacy_incident_is_stamped_on_its_conflict() -> None:
    s = company().raise_(0, 1.0).add(ev.PrivacyIncident, 6.0, conflict=0, cost=3.0).fold()
    assert s.conflicts[0].incident == 6.0
    assert s.conflicts[0].closed == -1.0  # an incident does not end the conflict


# ------------------------------------------------------------------ the CEO's desk


def escalated(n: int, hours: float = 6.0) -> Log:
    """``n`` conflicts raised at 0, each escalated at 0 needing ``hours`` of CEO time."""
    log = company()
    for c in range(n):
        log.raise_(c, 0.0)
    for c in range(n):
        log.add(ev.ConflictEscalated, 0.0, conflict=c, hours=hours)
    return log


def test_escalations_share_the_ceo_s_hours_in_order_of_arrival() -> None:
    s = escalated(4).fold()
    assert [c.status for c in s.conflicts.values()] == ["escalated"] * 4
    items = s.desk.items
    # 8 hours a week, at most 3 each: 3, 3, then 2, then nothing
    assert [items[c].rate for c in range(4)] == [3.0, 3.0, 2.0, 0.0]
    # 6 hours at 3 a week: 14 days; at 2 a week: 21 days
    assert [items[c].finish for c in range(4)] == [14.0, 14.0, 21.0, math.inf]
    assert (s.ceo_engaged, s.ceo_waiting) == (3, 1)
    assert (s.desk.busy, s.desk.needed, s.desk.next_time) == (8.0, 24.0, 14.0)


def test_a_decided_escalation_leaves_the_desk_and_its_hours_pass_on() -> None:
    s = escalated(4).add(ev.CeoReleased, 14.0, conflict=0, settled=True).fold()
    assert s.conflicts[0].status == "decided"
    items = s.desk.items
    assert list(items) == [1, 2, 3]
    # at 14 the desk had spent 8 x 14 / 7 = 16 hours: 6 each on 0 and 1, 4 on 2
    assert s.desk.worked == 16.0
    # conflict 2 now gets 3 a week for its 2 left: 14 + 7 x 2 / 3; conflict 3 gets 2 for 6
    assert items[2].remaining == 2.0
    assert items[2].finish == pytest.approx(14.0 + 14.0 / 3.0, rel=REL)
    assert (items[3].rate, items[3].finish) == (2.0, 35.0)
    assert (s.ceo_engaged, s.ceo_waiting) == (3, 0)


def test_an_undecided_escalation_is_stuck_and_its_hours_are_dropped() -> None:
    s = escalated(4).add(ev.CeoReleased, 7.0, conflict=3, settled=False).fold()
    assert s.conflicts[3].status == "stuck"
    assert s.desk.dropped == 6.0  # it never got an hour
    assert 3 not in s.desk.items
    assert (s.ceo_engaged, s.ceo_waiting) == (3, 0)


def test_a_conflict_that_closed_on_the_desk_keeps_its_end_status() -> None:
    s = (
        escalated(1)
        .add(ev.ConflictLapsed, 7.0, conflict=0)
        .add(ev.CeoReleased, 7.0, conflict=0, settled=False)
        .fold()
    )
    c = s.conflicts[0]
    assert (c.status, c.closed) == ("lapsed", 7.0)
    assert s.desk.items == {}
    # 7 days at 3 a week: 3 hours spent, 3 of its 6 dropped
    assert (s.desk.worked, s.desk.dropped) == (3.0, 3.0)
    assert (s.ceo_engaged, s.ceo_waiting) == (0, 0)


# ------------------------------------------------------------------ the broker


def appointed() -> Log:
    return company().add(
        ev.BrokerAppointed,
        0.0,
        mediators=3,
        directors=2,
        hired=2,
        line_pms=4,
        coverage=2.5,
        neutrality=0.75,
        salary=200.0,
        credibility=0.8,
        credibility_floor=0.2,
        credibility_halflife=30.0,
    )


def test_broker_appointed_sets_the_pm_organisation_and_its_credibility() -> None:
    s = appointed().fold()
    assert (s.mediators, s.line_pms, s.coverage, s.neutrality) == (3, 4, 2.5, 0.75)
    # the VP PM and the two hired directors, 200 k$ a year each
    assert s.broker_salary == 600.0
    assert (s.credibility, s.credibility_time) == (0.8, 0.0)
    assert (s.credibility_floor, s.credibility_halflife) == (0.2, 30.0)
    # one half-life on: halfway from 0.8 down to the floor 0.2
    assert s.credibility_at(30.0) == pytest.approx(0.5, rel=REL)


def test_credibility_changed_restarts_the_decay_from_the_new_value() -> None:
    s = appointed().add(ev.CredibilityChanged, 10.0, credibility=0.9).fold()
    assert (s.credibility, s.credibility_time) == (0.9, 10.0)
    assert s.credibility_at(40.0) == pytest.approx(0.55, rel=REL)  # 0.2 + 0.7 / 2


def test_praise_moves_the_credibility_as_a_mediation_does() -> None:
    s = appointed().add(ev.BrokerPraised, 20.0, department="eng", credibility=0.6).fold()
    assert (s.credibility, s.credibility_time) == (0.6, 20.0)


# ------------------------------------------------------------------ customer issues


def support(skill: float, demand: float = 1.0, abandonment: float = 0.0) -> Log:
    """eng with one person of ``skill`` works customer issues before a 10-day feature."""
    return (
        company()
        .hire(0, "eng", skill=skill)
        .add(
            ev.SupportFounded,
            0.0,
            department="eng",
            demand=demand,
            backlog_cost=0.1,
            abandonment=abandonment,
        )
        .plan(0, 0.0, (10.0,))
    )


def test_support_serves_the_demand_first_and_the_queue_gets_the_rest() -> None:
    s = support(skill=2.0, abandonment=0.25).fold()
    d, f = s.departments["eng"], s.features[0]
    assert (d.demand, d.abandonment) == (1.0, 0.25)
    assert (d.served, d.issues) == (1.0, 0.0)
    assert (f.rate, f.finish) == (1.0, 10.0)  # 2 - 1 to the feature


def test_a_short_support_team_gives_all_it_has_to_issues_and_builds_a_backlog() -> None:
    s = support(skill=0.5).hire(1, "eng", 4.0).fold()
    d, f = s.departments["eng"], s.features[0]
    # 0.5 a day short of the demand 1 for 4 days: backlog 2, its integral 4 (a triangle)
    assert (d.issues, d.issue_area) == (2.0, 4.0)
    # with 1.5 a day and a backlog, all of it goes to issues: it drains at 0.5 a day
    assert (d.served, f.rate) == (1.5, 0.0)
    assert d.next_time == 8.0  # 4 + 2 / 0.5, when the backlog is gone
    assert s.issues_cleared("eng", 8.0) is True
    assert s.issues_cleared("eng", 7.5) is False


def test_a_cleared_backlog_frees_the_spare_capacity_for_the_queue() -> None:
    s = (
        support(skill=0.5)
        .hire(1, "eng", 4.0)
        .add(ev.SupportBacklogCleared, 8.0, department="eng")
        .fold()
    )
    d, f = s.departments["eng"], s.features[0]
    # the backlog drained from 2 to 0 over [4, 8]: a triangle of 4 more
    assert (d.issues, d.issue_area) == (0.0, 8.0)
    assert d.served == 1.0  # just the demand
    # the spare 0.5 serves the feature from 8: done at 8 + 10 / 0.5 = 28
    assert (f.t0, f.rate, f.finish) == (8.0, 0.5, 28.0)
