"""Delivery: roadmaps of features flowing through the departments that build them.

Line PMs plan features (:func:`plan_feature`) as each product's :func:`roadmap`
keeps them coming. Every tick a department works its queue with the capacity of its
people, dragged down by the conflicts it is in (:func:`department_work`); finished
stages move features on, the last one ships them, late features lose value. The same
tick is when people leave, the hazard rising with conflict exposure, and a
department that lost people rebalances its requisitions.
"""

from __future__ import annotations

from typing import Any

from orgsim.engine import events as ev
from orgsim.engine.context import Proc, RunContext
from orgsim.engine.talent import rebalance


def plan_feature(ctx: RunContext, product: int, rng: Any) -> None:
    """A line PM specifies a feature: efforts per stage, value and due date."""
    dl = ctx.scenario.delivery
    efforts = tuple(stage.effort.draw(rng) for stage in dl.stages)
    value = dl.value.draw(rng)
    due = ctx.env.now + dl.due_in.draw(rng)
    ctx.record(
        ev.FeaturePlanned,
        feature=ctx.next_id("feature"),
        product=product,
        efforts=efforts,
        value=value,
        due=due,
    )


def roadmap(ctx: RunContext, product: int) -> Proc:
    """New features keep arriving on a product's roadmap."""
    rng = ctx.streams[f"roadmap.{product}"]
    arrival = ctx.scenario.delivery.feature_interarrival
    while True:
        yield ctx.env.timeout(arrival.draw(rng))
        plan_feature(ctx, product, rng)


def department_work(ctx: RunContext, name: str) -> Proc:
    """Each tick a department works its queue and its people may leave."""
    sc, state = ctx.scenario, ctx.state
    dl = sc.delivery
    d = state.departments[name]
    tick = dl.tick
    overhead = sc.broker.pm_overhead if ctx.broker and name == sc.broker.department else 0.0
    drag = sc.conflicts.drag
    per_day = d.attrition_rate / 365.0
    last_stage = len(ctx.stage_departments) - 1
    while True:
        yield ctx.env.timeout(tick)
        exposure = drag * d.severity
        mult = max(dl.min_productivity, 1.0 - exposure) * (1.0 - overhead)
        people = d.full_skill + dl.ramp_productivity * d.ramp_skill
        hazard = per_day * (1.0 + sc.talent.conflict_attrition * exposure) * tick
        ctx.record(
            ev.DayWorked,
            department=name,
            capacity=max(0.0, people) * mult * tick,
            item_cap=dl.team_cap * mult * tick,
            hazard=hazard,
        )
        for item in list(d.done) if d.done else ():
            num = int(item[1:])
            if item[0] == "X":
                ctx.record(ev.ExtraWorkCompleted, work=num, value=state.work[num].value)
                continue
            f = state.features[num]
            if f.stage < last_stage:
                ctx.record(ev.StageCompleted, feature=num, stage=f.stage)
            else:
                late = max(0.0, ctx.env.now - f.due)
                value = f.value * 0.5 ** (late / dl.late_value_halflife)
                ctx.record(ev.FeatureShipped, feature=num, value=value, late_days=late)
        left = False
        while (emp := state.next_leaver(name)) is not None:
            ctx.record(ev.EmployeeLeft, employee=emp)
            left = True
        if left:
            rebalance(ctx, name)
