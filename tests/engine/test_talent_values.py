"""Values of the target headcount, the hiring quota, rebalancing, a cancelled hiring and a
drawn hire (:mod:`orgsim.engine.talent`).

The company: Engineering alone (QA too where a second department matters), 365 k$ a
year per head and a 91.25-day quarter, so one head costs 365 x 91.25 / 365 = 91.25 k$
a quarter; no attrition, no conflicts, no broker, one product whose features never
arrive. Budgets are recorded by hand (``BudgetAllocated``) and the mechanism called
directly on the set-up run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from builders import one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.rng import Streams
from orgsim.engine.run import Run
from orgsim.engine.talent import hiring, quota, rebalance, target_headcount
from orgsim.scenario.schema import Scenario

HEAD = 91.25  # k$ a quarter for one head at 365 k$ a year


def company(staff: int = 2, salary: float = 365.0, qa: int = 0, **talent: Any) -> Scenario:
    """Engineering of ``staff`` (and QA of ``qa``), hiring only when ``talent`` says so."""
    departments = {"engineering": {"staff": staff, "salary": salary, "attrition": 0.0}}
    if qa:
        departments["qa"] = {"staff": qa, "salary": 365.0, "attrition": 0.0}
    return one_stage_company(
        departments,
        horizon=200.0,
        talent={"skill_cv": 0.0, "max_hires_per_quarter": 0.0} | talent,
    )


def allocate(run: Run, allocated: float, need: float, department: str = "engineering") -> None:
    run.record(
        ev.BudgetAllocated,
        quarter=1,
        department=department,
        need=need,
        request=need,
        allocated=allocated,
    )


def set_up(sc: Scenario) -> Run:
    run = Run(sc, seed=1)
    run.setup()
    return run


# ------------------------------------------------------------------ target headcount


@pytest.mark.parametrize(
    ("allocated", "need", "target"),
    [
        # funded int(300 / 91.25 + EPS) = int(3.29) = 3; wanted int(250 / 91.25 + 0.5)
        # = int(3.24) = 3: 3
        (300.0, 250.0, 3),
        # funded int(200 / 91.25) = int(2.19) = 2, wanted 3: the budget binds, 2
        (200.0, 250.0, 2),
        # funded int(1000 / 91.25) = 10; wanted rounds 2.74 + 0.5 down to 3: 3
        (1000.0, 250.0, 3),
        # wanted int(200 / 91.25 + 0.5) = int(2.69) = 2: the need binds, 2
        (1000.0, 200.0, 2),
        # funded rounds down even at 2.74: int(250 / 91.25) = 2 (wanted 3)
        (250.0, 250.0, 2),
        # no need: int(0 + 0.5) = 0
        (1000.0, 0.0, 0),
        # an overdrawn budget funds no one (int(-1.1) = -1, floored at 0)
        (-100.0, 250.0, 0),
    ],
)
def test_the_target_is_the_lesser_of_funded_and_wanted_heads(
    allocated: float, need: float, target: int
) -> None:
    run = set_up(company())
    allocate(run, allocated, need)
    assert target_headcount(run, "engineering") == target


def test_a_budget_a_hair_below_whole_heads_still_funds_them() -> None:
    # salary 0.4: a head costs 0.4 x 0.25 = 0.1 a quarter; 0.3 / 0.1 is
    # 2.9999999999999996 in floating point, and + EPS (1e-9) counts it as 3 heads
    run = set_up(company(salary=0.4))
    allocate(run, 0.3, 0.3)
    assert 0.3 / 0.1 < 3.0  # the float quotient the EPS is there for
    assert target_headcount(run, "engineering") == 3


def test_a_vanishing_salary_costs_at_least_eps_a_head() -> None:
    # salary 1e-12: 2.5e-13 a head, floored at EPS = 1e-9. Allocated and needed 5e-9:
    # funded int(5e-9 / 1e-9 + 1e-9) = 5, wanted int(5 + 0.5) = 5 (not 20 000 heads)
    run = set_up(company(salary=1e-12))
    allocate(run, 5e-9, 5e-9)
    assert target_headcount(run, "engineering") == 5


# ------------------------------------------------------------------ quota


@pytest.mark.parametrize(
    ("share", "staff", "expected"),
    [
        (0.1, 5, 1),  # int(0.5) = 0, but at least one while the share is positive
        (0.1, 25, 2),  # int(2.5) = 2
        (0.1, 30, 3),  # int(3.0000000000000004) = 3
        (0.5, 1, 1),  # int(0.5) = 0: one
        (1.0, 2, 2),
        (0.0, 25, 0),  # a share of 0: no hiring at all
    ],
)
def test_the_quota_is_a_share_of_staff_at_least_one(
    share: float, staff: int, expected: int
) -> None:
    run = set_up(company(staff=staff, max_hires_per_quarter=share))
    assert quota(run, "engineering") == expected


# ------------------------------------------------------------------ rebalance


def hiring_company(qa: int = 0) -> Run:
    """Two engineers, a quota of 1.0 x 2 = 2 a quarter, 10 days to hire.

    The first budget cycle (day 0) funds almost nothing (headroom 0.01: 1.825 k$ of
    182.5 needed), so it opens and cancels nothing; the clock then stands at day 1,
    with the next cycle at 91.25.
    """
    departments = {"engineering": {"staff": 2, "salary": 365.0, "attrition": 0.0}}
    if qa:
        departments["qa"] = {"staff": qa, "salary": 365.0, "attrition": 0.0}
    sc = one_stage_company(
        departments,
        horizon=200.0,
        talent={
            "skill_cv": 0.0,
            "max_hires_per_quarter": 1.0,
            "time_to_hire": {"kind": "deterministic", "mean": 10.0},
            "ramp_days": {"kind": "deterministic", "mean": 30.0},
        },
        budget={"headroom": 0.01},
    )
    run = set_up(sc)
    run.env.run(until=1.0)
    assert not [e for e in run.log if isinstance(e, ev.RequisitionOpened)]
    return run


def opened(run: Run) -> list[tuple[float, int, str]]:
    return [
        (e.time, e.requisition, e.department)
        for e in run.log
        if isinstance(e, ev.RequisitionOpened)
    ]


def cancelled(run: Run) -> list[tuple[float, int]]:
    return [(e.time, e.requisition) for e in run.log if isinstance(e, ev.RequisitionCancelled)]


def test_requisitions_open_up_to_the_target_within_the_quota() -> None:
    # target 5 (allocated and needed 5 heads), have 2 staff + 0 open: 3 short, but the
    # quota is 2: requisitions 0 and 1 open at day 1, each hired 10 days later
    run = hiring_company()
    allocate(run, 5 * HEAD, 5 * HEAD)
    rebalance(run, "engineering")
    assert opened(run) == [(1.0, 0, "engineering"), (1.0, 1, "engineering")]
    assert run.state.requisitions == {0: "engineering", 1: "engineering"}
    # the quota is spent for this quarter: still 1 short, nothing more opens
    rebalance(run, "engineering")
    assert len(opened(run)) == 2
    run.env.run(until=20.0)
    hired = [(e.time, e.requisition) for e in run.log if isinstance(e, ev.EmployeeHired)]
    assert hired[-2:] == [(11.0, 0), (11.0, 1)]
    assert run.state.departments["engineering"].staff == 4


def test_a_target_already_met_opens_nothing() -> None:
    # target 2 = 2 staff: neither short nor over
    run = hiring_company()
    allocate(run, 2 * HEAD, 2 * HEAD)
    rebalance(run, "engineering")
    assert opened(run) == [] and cancelled(run) == []


def test_the_newest_requisition_is_cancelled_first() -> None:
    # two open (0, 1); target 3: have 2 + 2 = 4, one over: the newest, 1, goes. Then
    # target 1: have 2 + 1 = 3, two over but only one open: 0 goes too
    run = hiring_company()
    allocate(run, 5 * HEAD, 5 * HEAD)
    rebalance(run, "engineering")
    allocate(run, 3 * HEAD, 3 * HEAD)
    rebalance(run, "engineering")
    assert cancelled(run) == [(1.0, 1)]
    assert run.state.requisitions == {0: "engineering"}
    allocate(run, 1 * HEAD, 1 * HEAD)
    rebalance(run, "engineering")
    assert cancelled(run) == [(1.0, 1), (1.0, 0)]
    assert run.state.requisitions == {}


def test_all_surplus_requisitions_go_newest_first_and_only_the_departments_own() -> None:
    # Engineering's requisitions 0 and 1 open first, then QA's 2 (QA: 1 staff, target
    # 2). Engineering's target 1: have 2 + 2 = 4, three over, two open: its own newest
    # first, 1 then 0; QA's 2, the newest of all, stays
    run = hiring_company(qa=1)
    allocate(run, 5 * HEAD, 5 * HEAD)
    rebalance(run, "engineering")
    allocate(run, 2 * HEAD, 2 * HEAD, department="qa")
    rebalance(run, "qa")
    assert opened(run) == [(1.0, 0, "engineering"), (1.0, 1, "engineering"), (1.0, 2, "qa")]
    allocate(run, 1 * HEAD, 1 * HEAD)
    rebalance(run, "engineering")
    assert cancelled(run) == [(1.0, 1), (1.0, 0)]
    assert run.state.requisitions == {2: "qa"}


# ------------------------------------------------------------------ hiring, cancelled


def tiny_hiring() -> Run:
    """Two engineers, no quota; the clock at day 1 (after the first budget cycle)."""
    sc = company(
        time_to_hire={"kind": "deterministic", "mean": 10.0},
        ramp_days={"kind": "deterministic", "mean": 30.0},
    )
    run = set_up(sc)
    run.env.run(until=1.0)
    return run


def open_by_hand(run: Run) -> int:
    req = run.next_id("requisition")
    run.record(ev.RequisitionOpened, requisition=req, department="engineering")
    run.env.process(hiring(run, req))
    return req


def test_a_requisition_cancelled_in_the_instant_it_opened_draws_and_hires_nothing() -> None:
    # the process starts after the cancel, at the same instant: it finds no department
    # and returns before drawing a time to hire
    run = tiny_hiring()
    req = open_by_hand(run)
    run.record(ev.RequisitionCancelled, requisition=req)
    run.env.run(until=50.0)
    assert [e for e in run.log if isinstance(e, ev.EmployeeHired) and e.requisition >= 0] == []
    assert [n for n in run.streams.names if n.startswith("talent.")] == []
    assert run.state.departments["engineering"].staff == 2


def test_a_requisition_cancelled_before_its_hire_hires_nobody() -> None:
    # opened at 1, cancelled at 5, the hire would have been at 1 + 10 = 11: nothing at
    # 11, and the people stream (skill, resilience) is never drawn
    run = tiny_hiring()
    open_by_hand(run)
    run.env.run(until=5.0)
    run.record(ev.RequisitionCancelled, requisition=0)
    run.env.run(until=50.0)
    assert [e for e in run.log if isinstance(e, ev.EmployeeHired) and e.requisition >= 0] == []
    assert "talent.hire.engineering" in run.streams.names  # the time to hire was drawn
    assert "talent.people.engineering" not in run.streams.names
    assert run.state.departments["engineering"].staff == 2


# ------------------------------------------------------------------ hire, the drawn skill


def lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    """A lognormal of this mean and cv: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2/2."""
    s2 = math.log1p(cv * cv)
    return math.log(mean) - s2 / 2.0, math.sqrt(s2)


def expected_people(stream: np.random.Generator, n: int) -> list[tuple[float, float]]:
    """(skill, resilience) of ``n`` hires: a lognormal(1, 0.5) draw, then an exponential."""
    mu, sigma = lognormal_params(1.0, 0.5)
    out = []
    for _ in range(n):
        skill = float(stream.lognormal(mu, sigma))
        out.append((skill, float(stream.standard_exponential())))
    return out


def test_the_founding_staff_draw_skill_then_resilience_from_their_stream() -> None:
    # skill_cv 0.5: each founding engineer's skill is the next lognormal(mean 1, cv 0.5)
    # draw of (seed 1, replication 0, "staff.engineering"), then their resilience the
    # next standard exponential; rel 1e-12: mu and sigma are computed here from the
    # closed form, not read from the code's distribution, and may differ in the last bit
    run = set_up(company(skill_cv=0.5))
    founders = [e for e in run.log if isinstance(e, ev.EmployeeHired)]
    want = expected_people(Streams(1, 0)["staff.engineering"], 2)
    assert [(e.employee, e.requisition, e.ramped) for e in founders] == [
        (0, -1, True),
        (1, -1, True),
    ]
    for e, (skill, resilience) in zip(founders, want, strict=True):
        assert e.skill == pytest.approx(skill, rel=1e-12)
        assert e.resilience == resilience  # drawn exactly as here
    assert run.state.departments["engineering"].full_skill == pytest.approx(
        want[0][0] + want[1][0], rel=1e-12
    )


def test_a_filled_requisition_draws_from_the_departments_people_stream() -> None:
    # the hire at 11 is the first draw of "talent.people.engineering": skill, then
    # resilience (rel 1e-12 on the skill as above)
    sc = company(
        skill_cv=0.5,
        time_to_hire={"kind": "deterministic", "mean": 10.0},
        ramp_days={"kind": "deterministic", "mean": 30.0},
    )
    run = set_up(sc)
    run.env.run(until=1.0)
    req = open_by_hand(run)
    run.env.run(until=20.0)
    (hired,) = [e for e in run.log if isinstance(e, ev.EmployeeHired) and e.requisition == req]
    ((skill, resilience),) = expected_people(Streams(1, 0)["talent.people.engineering"], 1)
    assert (hired.time, hired.employee) == (11.0, 2)
    assert hired.skill == pytest.approx(skill, rel=1e-12)
    assert hired.resilience == resilience
    assert skill != pytest.approx(1.0, abs=0.01)  # a real draw, not the mean
