"""Values of a fresh context's company timer, of a timer that finds nothing due, and of
a filled requisition's hire.

The company: two engineers (365 k$ a year each), one product whose features never
arrive, no conflicts, hiring or attrition, no broker.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from builders import one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.context import RunContext
from orgsim.engine.delivery import work_due
from orgsim.engine.run import Run
from orgsim.engine.talent import hiring
from orgsim.scenario.schema import Scenario


def tiny(**talent: Any) -> Scenario:
    return one_stage_company(
        {"engineering": {"staff": 2, "salary": 365.0, "attrition": 0.0}},
        horizon=200.0,
        talent={"skill_cv": 0.0, "max_hires_per_quarter": 0.0} | talent,
    )


def test_a_fresh_context_has_no_company_timer_set() -> None:
    # inf: "not before the horizon", until the first record reads the state's cash_out
    ctx = RunContext(tiny(), seed=1)
    assert ctx.cash_timer == math.inf
    assert ctx.state.cash_out == math.inf


def test_a_timer_that_finds_nothing_due_names_the_department_and_the_day() -> None:
    # nothing is queued, nobody is due to leave, Engineering has no customer issues
    run = Run(tiny(), seed=1)
    run.setup()
    with pytest.raises(RuntimeError) as info:
        work_due(run, "engineering", 2.5)
    assert str(info.value) == "engineering's timer at day 2.5 found nothing due"


def test_a_filled_requisition_hires_someone_still_to_ramp_up() -> None:
    # opened at day 1, after the first quarter's rebalancing at 0 (the next is at
    # 91.25); hired 10 days on (deterministic time to hire), ramped 30 days after that
    sc = tiny(
        time_to_hire={"kind": "deterministic", "mean": 10.0},
        ramp_days={"kind": "deterministic", "mean": 30.0},
    )
    run = Run(sc, seed=1)
    run.setup()
    run.env.run(until=1.0)
    req = run.next_id("requisition")
    run.record(ev.RequisitionOpened, requisition=req, department="engineering")
    run.env.process(hiring(run, req))
    run.env.run(until=20.0)
    (hired,) = [e for e in run.log if isinstance(e, ev.EmployeeHired) and e.requisition == req]
    assert (hired.time, hired.department, hired.salary) == (11.0, "engineering", 365.0)
    assert hired.ramped is False
    assert run.state.employees[hired.employee].ramped is False
    run.env.run(until=50.0)
    ramped = [e.time for e in run.log if isinstance(e, ev.EmployeeRamped)]
    assert ramped == [41.0]
    assert run.state.employees[hired.employee].ramped is True
