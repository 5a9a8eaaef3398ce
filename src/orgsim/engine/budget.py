"""Budget: the quarterly cycle of needs, biased requests, allocation and disputes.

Every quarter the money available (the founding payroll's budget plus a share of
the value shipped, less the broker's salaries) is split by the CEO by political
weight (:func:`~orgsim.engine.allocation.water_fill`). Each head requests its true
need (:func:`need`: Support's covers its customer issues) inflated by its bias;
the broker's neutral read, as far as it is believed, damps both the bias and the
pull of power (the broker's ``budget`` channel; its salaries are its ``cost``
channel: :data:`~orgsim.engine.context.CHANNELS`). Departments then rebalance their
requisitions, and an underfunded one may dispute the best-funded one's share
(:func:`budget_disputes`), a conflict like any other.

A company that grows (``growth.enabled``, :mod:`orgsim.engine.growth`) starts each
quarter by moving its base budget by a share of the last quarter's operating
surplus, and its heads ask for their share of the headcount that funds.
"""

from __future__ import annotations

from orgsim.engine import events as ev
from orgsim.engine.allocation import political_weight, water_fill
from orgsim.engine.broker import credibility
from orgsim.engine.conflicts import raise_conflict
from orgsim.engine.context import Proc, RunContext
from orgsim.engine.growth import funded, quarter_started
from orgsim.engine.talent import rebalance


def need(ctx: RunContext, name: str) -> float:
    """What a department truly needs next quarter, k$ (before any bias)."""
    sc = ctx.scenario
    d = ctx.state.departments[name]
    spec = sc.departments[name]
    # The planned size: the founding headcount grown at the head's target rate.
    planned = spec.staff * (1.0 + spec.growth_target) ** (ctx.env.now / 365.0)
    floor = max(float(d.staff + d.open_reqs), planned)
    if sc.growth.enabled:
        # the head's share of what the grown budget funds, at most max_growth more
        # (or one more person, for a department too small for the share to be one)
        have = float(d.staff + d.open_reqs)
        most = max(have * (1.0 + sc.budget.max_growth), have + 1.0)
        floor = max(floor, min(funded(ctx, name), most))
    desired = floor
    if name in ctx.workload:
        backlog_people = ctx.state.backlog(name, ctx.env.now) / sc.budget.workload_horizon
        desired = min(max(backlog_people, floor), floor * (1.0 + sc.budget.max_growth))
    if d.demand > 0.0 and d.staff > 0 and d.capacity > 0.0:
        desired = max(desired, min(_issue_people(ctx, name), floor * (1.0 + sc.budget.max_growth)))
    return desired * d.salary * ctx.quarter_share


def _issue_people(ctx: RunContext, name: str) -> float:
    """People Support needs for its customer issues, at what one of its people works now.

    The demand, and the backlog cleared within the workload horizon, as the other
    departments' need follows their queued work; per head with ramp-up and drag.
    """
    d = ctx.state.departments[name]
    waiting = ctx.state.issue_backlog(name, ctx.env.now)
    work = d.demand + waiting / ctx.scenario.budget.workload_horizon
    return work / (d.capacity / d.staff)


def budget_cycle(ctx: RunContext) -> Proc:
    """Every quarter departments request budget and the CEO allocates it."""
    sc, state = ctx.scenario, ctx.state
    b = sc.broker
    while True:
        quarter = state.quarter + 1
        growing = sc.growth.enabled
        if growing:
            quarter_started(ctx, quarter)
        broker_cost = state.broker_salary * ctx.quarter_share if ctx.acts("cost") else 0.0
        shipped = state.value_shipped - state.value_at_quarter
        # a growing company's base already holds what shipped (its surplus)
        bonus = 0.0 if growing else sc.budget.reinvest_share * shipped
        available = max(0.0, state.base_budget + bonus - broker_cost)
        ctx.record(ev.QuarterStarted, quarter=quarter, available=available, broker_cost=broker_cost)
        neutral = b.budget_neutrality * credibility(ctx) if ctx.acts("budget") else 0.0
        gamma = sc.budget.power_exponent * (1.0 - neutral)
        weight = political_weight(state.departments, sc.budget.weight_budget_share)
        needs, requests, pull = {}, {}, {}
        for name, d in state.departments.items():
            needs[name] = need(ctx, name)
            requests[name] = needs[name] * (1.0 + d.bias * (1.0 - neutral))
            pull[name] = requests[name] * weight[name] ** gamma
        allocation = water_fill(available, requests, pull)
        for name in state.departments:
            ctx.record(
                ev.BudgetAllocated,
                quarter=quarter,
                department=name,
                need=needs[name],
                request=requests[name],
                allocated=allocation[name],
            )
        for name in state.departments:
            rebalance(ctx, name)
        budget_disputes(ctx)
        yield ctx.env.timeout(sc.budget.quarter_days)


def budget_disputes(ctx: RunContext) -> None:
    """An underfunded department may dispute the best-funded one's share."""
    kinds = [
        (n, k)
        for n, k in ctx.scenario.conflicts.kinds.items()
        if k.enabled and k.effect == "budget"
    ]
    depts = ctx.state.departments
    names = list(depts)
    rng = ctx.streams["budget"]
    for kname, kind in kinds:
        draws = rng.random(len(names))  # a fixed number per quarter, for CRN
        if len(names) < 2:
            continue
        ratio = {n: depts[n].allocated / depts[n].need for n in names if depts[n].need > 0}
        for name, u in zip(names, draws, strict=True):
            if name not in ratio or ratio[name] >= kind.threshold:
                continue
            if u >= kind.probability * ctx.scenario.conflicts.intensity:
                continue
            target = max((n for n in ratio if n != name), key=lambda n: ratio[n], default=None)
            if target is not None and ratio[target] > ratio[name]:
                raise_conflict(ctx, kname, kind, name, target)
