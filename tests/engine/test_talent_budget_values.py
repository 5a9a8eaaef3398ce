"""Values of a transfer's ramp-up (:func:`orgsim.engine.talent.transfer`) and of a need.

The transfer case: two engineers and one QA tester, no conflicts, hiring or
attrition; ramp-up takes a lognormal time (mean 30 days, cv 0.5) drawn from the
destination's ``talent.ramp.<department>`` stream, which nothing else draws from
here. The need case (:func:`orgsim.engine.budget.need`) reads the default company
right after founding, at day 0, before its first budget cycle.
"""

from __future__ import annotations

import pytest

from builders import one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.budget import need
from orgsim.engine.rng import Streams
from orgsim.engine.run import Run
from orgsim.engine.talent import transfer
from orgsim.scenario.schema import Scenario

TWO = {
    "engineering": {"staff": 2, "salary": 100.0, "attrition": 0.0},
    "qa": {"staff": 1, "salary": 100.0, "attrition": 0.0},
}


def two_departments() -> Scenario:
    return one_stage_company(
        TWO,
        horizon=300.0,
        talent={
            "skill_cv": 0.0,
            "max_hires_per_quarter": 0.0,
            "ramp_days": {"kind": "lognormal", "mean": 30.0, "cv": 0.5},
        },
    )


def test_a_transferred_employee_ramps_up_on_the_destinations_stream() -> None:
    sc = two_departments()
    run = Run(sc, seed=3)
    run.setup()
    run.record(
        ev.ConflictRaised,
        conflict=0,
        kind="poaching",
        initiator="qa",
        target="engineering",
        severity=0.0,
        company_side="initiator",
    )
    emp = next(e for e, p in run.state.employees.items() if p.department == "engineering")
    transfer(run, emp, "engineering", "qa", 0)
    assert run.state.employees[emp].ramped is False
    run.env.run(until=sc.horizon)
    # the ramp-up is the first draw of (seed 3, replication 0, "talent.ramp.qa")
    days = sc.talent.ramp_days.draw(Streams(3, 0)["talent.ramp.qa"])
    ramped = [e for e in run.log if isinstance(e, ev.EmployeeRamped)]
    assert [(e.employee, e.time) for e in ramped] == [(emp, days)]
    assert run.state.employees[emp].ramped is True
    assert run.state.employees[emp].department == "qa"
    assert run.streams.names.count("talent.ramp.qa") == 1


def test_open_requisitions_count_toward_the_need_floor() -> None:
    # Sales at day 0: planned 95 x 1.1 ** 0 = 95 people; 95 staff + 2 open reqs = 97 is
    # the floor; Sales has no queued work or customer issues: need = 97 x 170 x 91.25/365
    sc = Scenario()
    run = Run(sc, seed=1)
    run.setup()
    for _ in range(2):
        run.record(ev.RequisitionOpened, requisition=run.next_id("requisition"), department="sales")
    d = run.state.departments["sales"]
    assert (d.staff, d.open_reqs, sc.budget.quarter_days) == (95, 2, 91.25)
    assert need(run, "sales") == pytest.approx(97 * 170.0 * 0.25, rel=1e-12)
