"""Talent: hiring against the budget, onboarding, and the founding staff.

A department's target headcount is what its budget funds and its need justifies;
:func:`rebalance` opens requisitions up to it (at most a quota per quarter) or
cancels the newest open ones above it. Budget allocations, leavers and transfers
all call it. Each open requisition is a :func:`hiring` process, each new hire an
:func:`onboarding` process. Per-department streams keep one department's hiring
luck independent of how many requisitions the others opened (common random numbers).
"""

from __future__ import annotations

from typing import Any

from orgsim.engine import events as ev
from orgsim.engine.context import Proc, RunContext
from orgsim.engine.growth import headcount_changed
from orgsim.engine.state import EPS


def hire(ctx: RunContext, department: str, requisition: int, ramped: bool, rng: Any) -> int:
    """Someone joins: skill and resilience (attrition threshold) are drawn.

    Args:
        ctx: The run.
        department: Where they join.
        requisition: The requisition they fill, or -1 for the founding staff.
        ramped: Whether they start at full productivity (the founding staff do).
        rng: The stream to draw skill and resilience from.

    Returns:
        The new employee's identifier.
    """
    skill = ctx.skill.draw(rng) if ctx.skill is not None else 1.0
    resilience = float(rng.standard_exponential())
    emp = ctx.next_id("employee")
    ctx.record(
        ev.EmployeeHired,
        employee=emp,
        department=department,
        salary=ctx.state.departments[department].salary,
        skill=skill,
        resilience=resilience,
        requisition=requisition,
        ramped=ramped,
    )
    if requisition >= 0:  # the founding staff are the founding shape
        headcount_changed(ctx, department)
    return emp


def target_headcount(ctx: RunContext, name: str) -> int:
    """Headcount the department's budget funds and its need justifies."""
    d = ctx.state.departments[name]
    per_head = max(d.salary * ctx.quarter_share, EPS)  # a vanishing salary underflows
    funded = int(d.allocated / per_head + EPS)
    wanted = int(d.need / per_head + 0.5)
    return max(0, min(funded, wanted))


def quota(ctx: RunContext, name: str) -> int:
    """Most requisitions a department may open in a quarter.

    ``talent.max_hires_per_quarter`` of its staff, rounded down but at least one
    while the share is positive (a small team can still replace someone); a share
    of 0 means no hiring at all.
    """
    share = ctx.scenario.talent.max_hires_per_quarter
    if share <= 0.0:
        return 0
    return max(1, int(share * ctx.state.departments[name].staff))


def rebalance(ctx: RunContext, name: str) -> None:
    """Open requisitions up to the target headcount, or cancel the newest ones."""
    d = ctx.state.departments[name]
    target = target_headcount(ctx, name)
    have = d.staff + d.open_reqs
    if have < target:
        for _ in range(min(target - have, quota(ctx, name) - d.opened)):
            req = ctx.next_id("requisition")
            ctx.record(ev.RequisitionOpened, requisition=req, department=name)
            ctx.env.process(hiring(ctx, req))
    elif have > target and d.open_reqs > 0:
        surplus = min(have - target, d.open_reqs)
        mine = [r for r, dept in ctx.state.requisitions.items() if dept == name]
        for req in reversed(mine[-surplus:]):
            ctx.record(ev.RequisitionCancelled, requisition=req)


def hiring(ctx: RunContext, requisition: int) -> Proc:
    """A requisition is filled after the time to hire, unless cancelled meanwhile."""
    talent = ctx.scenario.talent
    dept = ctx.state.requisitions.get(requisition)
    if dept is None:
        return  # cancelled in the same instant it was opened
    yield ctx.env.timeout(talent.time_to_hire.draw(ctx.streams[f"talent.hire.{dept}"]))
    if requisition not in ctx.state.requisitions:
        return  # cancelled meanwhile
    emp = hire(ctx, dept, requisition, ramped=False, rng=ctx.streams[f"talent.people.{dept}"])
    ctx.env.process(onboarding(ctx, emp, dept))


def onboarding(ctx: RunContext, employee: int, department: str) -> Proc:
    """A new hire, or someone who just moved, ramps up to full productivity.

    A move restarts the ramp-up in the new department; a ramp-up that a later move
    overtook ends without effect (the person's move count tells).
    """
    person = ctx.state.employees[employee]
    moves = person.moves
    days = ctx.scenario.talent.ramp_days.draw(ctx.streams[f"talent.ramp.{department}"])
    yield ctx.env.timeout(days)
    now = ctx.state.employees.get(employee)
    if now is not None and now.moves == moves and not now.ramped:
        ctx.record(ev.EmployeeRamped, employee=employee)


def transfer(ctx: RunContext, employee: int, source: str, destination: str, cid: int) -> None:
    """Someone moves for a conflict: same pay, ramping up again where they land."""
    ctx.record(
        ev.EmployeeTransferred,
        employee=employee,
        source=source,
        destination=destination,
        conflict=cid,
    )
    headcount_changed(ctx, source, destination)
    ctx.env.process(onboarding(ctx, employee, destination))
