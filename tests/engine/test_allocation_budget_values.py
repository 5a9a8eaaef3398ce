"""Values of political weight, of Support's issue need and of the budget-dispute threshold.

:func:`orgsim.engine.allocation.political_weight` is a pure function of the
departments' staff and allocated budget; :func:`orgsim.engine.budget._issue_people`
reads one department, its issue backlog and ``budget.workload_horizon`` from a
stand-in context; :func:`orgsim.engine.budget.budget_disputes` runs on a set-up run
of two departments whose allocations and needs are recorded by hand.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from builders import kinds_off, one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.allocation import political_weight
from orgsim.engine.budget import _issue_people, budget_disputes
from orgsim.engine.run import Run
from orgsim.engine.state import Dept

TWO = {
    "engineering": {"staff": 2, "salary": 100.0, "attrition": 0.0},
    "qa": {"staff": 1, "salary": 100.0, "attrition": 0.0},
}


# ------------------------------------------------------------------ political weight


def test_a_budget_below_one_counts_at_its_own_share() -> None:
    # staff 1 and 1; allocated 0.5 and 1.5 of 2.0: budget shares 0.25 and 0.75, staff
    # shares 0.5 each. All budget share: weights 0.25, 0.75; half and half: 0.375, 0.625
    departments = {
        "a": Dept("a", staff=1, allocated=0.5),
        "b": Dept("b", staff=1, allocated=1.5),
    }
    assert political_weight(departments, 1.0) == {"a": 0.25, "b": 0.75}
    assert political_weight(departments, 0.5) == {"a": 0.375, "b": 0.625}


def test_an_overdrawn_budget_counts_as_none() -> None:
    # allocated -1 counts as 0: total 0.5, shares 0 and 1
    departments = {
        "a": Dept("a", staff=1, allocated=-1.0),
        "b": Dept("b", staff=3, allocated=0.5),
    }
    assert political_weight(departments, 1.0) == {"a": 0.0, "b": 1.0}


# ------------------------------------------------------------------ Support's issue need


def support(demand: float, capacity: float, staff: int, waiting: float, horizon: float) -> Any:
    """A stand-in context: one department, ``waiting`` person-days of issues at day 5."""
    asked: list[tuple[str, float]] = []

    def issue_backlog(name: str, at: float) -> float:
        asked.append((name, at))
        return waiting

    return SimpleNamespace(
        state=SimpleNamespace(
            departments={"support": Dept("support", demand=demand, capacity=capacity, staff=staff)},
            issue_backlog=issue_backlog,
            asked=asked,
        ),
        env=SimpleNamespace(now=5.0),
        scenario=SimpleNamespace(budget=SimpleNamespace(workload_horizon=horizon)),
    )


def test_the_issue_backlog_is_spread_over_the_workload_horizon() -> None:
    # demand 1.5 a day + 30 waiting / 10 days = 4.5 person-days a day; one person
    # works 4 / 2 = 2 a day: 2.25 people
    ctx = support(demand=1.5, capacity=4.0, staff=2, waiting=30.0, horizon=10.0)
    assert _issue_people(ctx, "support") == 2.25
    assert ctx.state.asked == [("support", 5.0)]  # the backlog now


def test_a_long_horizon_asks_for_few_people_to_clear_the_backlog() -> None:
    # demand 1 + 40 waiting / 80 days = 1.5; per head 3 / 3 = 1: 1.5 people
    ctx = support(demand=1.0, capacity=3.0, staff=3, waiting=40.0, horizon=80.0)
    assert _issue_people(ctx, "support") == 1.5


# ------------------------------------------------------------------ budget disputes


def disputes(eng_allocated: float) -> list[tuple[str, str]]:
    """Engineering gets ``eng_allocated`` of a 100 need, QA all of its 100: who disputes?

    The dispute kind starts below a ratio of 0.5, always (probability 1, intensity 1).
    """
    kind = {"enabled": True, "threshold": 0.5, "probability": 1.0}
    sc = one_stage_company(
        TWO,
        horizon=300.0,
        talent={"skill_cv": 0.0, "max_hires_per_quarter": 0.0},
        conflicts={"intensity": 1.0, "kinds": kinds_off() | {"budget_dispute": kind}},
    )
    run = Run(sc, seed=1)
    run.setup()
    for name, allocated in (("engineering", eng_allocated), ("qa", 100.0)):
        run.record(
            ev.BudgetAllocated,
            quarter=1,
            department=name,
            need=100.0,
            request=100.0,
            allocated=allocated,
        )
    budget_disputes(run)
    return [(e.initiator, e.target) for e in run.log if isinstance(e, ev.ConflictRaised)]


def test_a_ratio_exactly_at_the_threshold_starts_no_dispute() -> None:
    # 50 / 100 = 0.5 exactly: not below the threshold 0.5
    assert disputes(50.0) == []


@pytest.mark.parametrize("allocated", [49.0, 25.0])
def test_a_ratio_below_the_threshold_disputes_the_best_funded(allocated: float) -> None:
    # 0.49 or 0.25 < 0.5, and QA's ratio 1.0 is higher: Engineering disputes QA's share
    assert disputes(allocated) == [("engineering", "qa")]
