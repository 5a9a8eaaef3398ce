"""Values of a fresh context's CEO desk timer, and of a department timer rung too early.

The company: two engineers, one product whose features never arrive, no conflicts,
hiring or attrition, no broker (:func:`builders.one_stage_company`).
"""

from __future__ import annotations

import math

import pytest

from builders import one_stage_company
from orgsim.engine.context import RunContext
from orgsim.scenario.schema import Scenario


def tiny() -> Scenario:
    return one_stage_company(
        {"engineering": {"staff": 2, "salary": 365.0, "attrition": 0.0}},
        horizon=200.0,
        talent={"skill_cv": 0.0, "max_hires_per_quarter": 0.0},
    )


def test_a_fresh_context_has_no_desk_timer_set() -> None:
    # "inf: none": nothing is on the CEO's desk before the first record, and the
    # state's desk agrees (no escalation, so its next instant is inf too)
    ctx = RunContext(tiny(), seed=1)
    assert ctx.desk_timer == math.inf
    assert ctx.state.desk.next_time == math.inf


def test_a_timer_rung_before_the_run_set_on_due_says_so() -> None:
    # Engineering's timer set for day 3 rings (not stale: timers[name] == at), but no run
    # has set on_due yet: the assertion names what is missing
    ctx = RunContext(tiny(), seed=1)
    ctx.timers["engineering"] = 3.0
    with pytest.raises(AssertionError) as info:
        ctx._ring("engineering", 3.0)
    assert str(info.value) == "the run sets on_due before it starts"
    # the timer was spent before the check: nothing is set any more
    assert ctx.timers["engineering"] == math.inf
