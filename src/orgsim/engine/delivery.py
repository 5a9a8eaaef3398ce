"""Delivery: roadmaps of features flowing through the departments that build them.

Line PMs plan features (:func:`plan_feature`) as each product's :func:`roadmap`
keeps them coming. Work is a flow: the state splits each department's capacity over
its queue and says when the next item finishes or the next person leaves
(:mod:`orgsim.engine.state`), and the department's timer goes off at that instant
(:func:`work_due`). A finished stage moves its feature on at once, to be worked from
that very instant in the next department, whatever order departments are declared
in; the last stage ships it, late features losing value, and features built for a
segment the market has since left (:mod:`orgsim.engine.market`) losing a share.
People leave when their department's accumulated attrition hazard reaches their
resilience, and a department that lost people rebalances its requisitions.
Support's backlog of customer issues empties at an instant the flow gives too, and
its timer records that.
"""

from __future__ import annotations

from typing import Any

from orgsim.engine import events as ev
from orgsim.engine.context import Proc, RunContext
from orgsim.engine.growth import headcount_changed, live_line_pms
from orgsim.engine.pacing import Pace, paced
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
        epoch=ctx.state.roadmap_epoch.get(product, 0),
    )


def roadmap(ctx: RunContext, product: int) -> Proc:
    """New features keep arriving on a product's roadmap, as fast as its line PMs write them.

    Line PMs write the roadmap, so a product's features arrive ``line PMs /
    products`` times as often as one PM's (``delivery.feature_interarrival``): the
    PM organisation, not a rate typed in per company, sets how much work comes.
    The line PMs are the live ones (a growing company hires more,
    :mod:`orgsim.engine.growth`), and the interval in progress when their number
    changes runs on at the new pace (:mod:`orgsim.engine.pacing`).
    """
    rng = ctx.streams[f"roadmap.{product}"]

    def period() -> float:  # days per unit of one PM's interval
        return ctx.scenario.delivery.products / live_line_pms(ctx)

    def draw() -> float:
        return ctx.scenario.delivery.feature_interarrival.draw(rng)

    yield from paced(ctx, Pace(period, period=True), draw, lambda: plan_feature(ctx, product, rng))


def work_due(ctx: RunContext, name: str, at: float) -> None:
    """A department's timer went off: hand on what is finished, let the leavers go.

    ``at`` is the instant the timer was set for (the clock may differ from it in
    the last bit); items and leavers due by then are recorded, finished items in
    queue order, then leavers in the order their resilience ran out.
    """
    state = ctx.state
    last_stage = len(ctx.stage_departments) - 1
    halflife = ctx.scenario.delivery.late_value_halflife
    # customer issues first: the capacity their backlog frees goes to the queue now
    cleared = state.issues_cleared(name, at)
    if cleared:
        ctx.record(ev.SupportBacklogCleared, department=name)
    shift_loss = ctx.scenario.market.shift_loss
    items = state.due_items(name, at)
    for item in items:
        num = int(item[1:])
        if item[0] == "X":
            ctx.record(ev.ExtraWorkCompleted, work=num, value=state.work[num].value)
            continue
        f = state.features[num]
        if f.stage < last_stage:
            ctx.record(ev.StageCompleted, feature=num, stage=f.stage)
        else:
            late = max(0.0, ctx.env.now - f.due)
            value = f.value * 0.5 ** (late / halflife)
            # built for a segment the market has left since it was planned
            misaligned = 0.0
            if f.epoch < state.market_epoch.get(f.product, 0):
                misaligned = value * shift_loss
            ctx.record(
                ev.FeatureShipped,
                feature=num,
                value=value - misaligned,
                late_days=late,
                misaligned=misaligned,
            )
    leavers = state.due_leavers(name, at)
    for emp in leavers:
        ctx.record(ev.EmployeeLeft, employee=emp)
    if leavers:
        headcount_changed(ctx, name)
        rebalance(ctx, name)
    if not items and not leavers and not cleared:
        # The state set this instant and nothing is due at it: the flows disagree
        # with themselves, and waking again at the same instant would never end.
        raise RuntimeError(f"{name}'s timer at day {at!r} found nothing due")
