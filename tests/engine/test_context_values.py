"""Values of the company (cash) timer of :class:`orgsim.engine.context.RunContext`.

Two engineers at 365 k$ a year burn 2 k$ a day, exactly; nothing ships, nobody is
hired or leaves, no conflicts, no broker. With ``cash`` k$ the company fails at
``cash / 2`` days: the timer records ``CompanyFailed`` then and stops the
environment with that instant as ``env.run``'s value.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.run import Run
from orgsim.scenario.schema import Scenario


def tiny(cash: float) -> Scenario:
    return one_stage_company(
        {"engineering": {"staff": 2, "salary": 365.0, "attrition": 0.0}},
        horizon=200.0,
        budget={"cash": cash, "cash_share": 1.0},
        talent={"skill_cv": 0.0, "max_hires_per_quarter": 0.0, "hiring_cost": 0.0},
    )


def run_to_failure(cash: float) -> tuple[Run, Any]:
    sc = tiny(cash)
    run = Run(sc, seed=1)
    run.setup()
    return run, run.env.run(until=sc.horizon)


def failed(run: Run) -> ev.CompanyFailed:
    (event,) = [e for e in run.log if isinstance(e, ev.CompanyFailed)]
    return event


def test_a_company_with_half_a_days_cash_fails_at_half_a_day() -> None:
    # 1 k$ at 2 k$ a day: day 0.5, less than a day away from the founding instant
    run, value = run_to_failure(1.0)
    event = failed(run)
    assert event.time == 0.5
    assert value == 0.5
    assert run.env.now == 0.5


def test_company_failed_carries_the_balance_and_the_burn() -> None:
    # 100 k$ at 2 k$ a day: day 50, the balance then 0 (but for rounding), burn 2
    run, value = run_to_failure(100.0)
    event = failed(run)
    assert (event.time, value) == (50.0, 50.0)
    assert event.burn == 2.0
    assert event.cash == pytest.approx(0.0, abs=1e-9)  # 100 - 2 x 50, rounding only
    assert run.state.burn == 2.0


def test_the_failure_stops_the_run_at_its_instant() -> None:
    # nothing is recorded after CompanyFailed before RunEnded, which follows at 50
    run = Run(tiny(100.0), seed=1)
    run.execute()
    tail = [(type(e).__name__, e.time) for e in run.log][-2:]
    assert tail == [("CompanyFailed", 50.0), ("RunEnded", 50.0)]
