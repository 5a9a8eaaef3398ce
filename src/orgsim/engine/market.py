"""Strategy drift: each product's market moves, and its roadmap follows late or sooner.

Seed: "You sweat the business' overall success. Are you missing key segments, or
being outflanked by new competitors, or stuck in an old business model?" and
"You bring in your line PMs as subject matter experts to reduce buzz-word bloat.
Your try to keep strategy relevant."

Each product has a *market epoch* (the segment shifts so far) and a *roadmap
epoch* (the shifts its roadmap has followed), both in the state. A feature is
stamped with the roadmap's epoch when it is planned; one that ships while the
market's epoch is ahead of its stamp was built for a segment the market has left,
and realises ``market.shift_loss`` less (:func:`~orgsim.engine.delivery.work_due`).

:func:`market_drift` shifts a product's market as a renewal process. After each
shift the roadmap follows once the shift shows in the loudest department's numbers,
``market.notice`` days later (:func:`loudest_department`): the roadmap follows
whoever shouts. With the broker, the VP PM and line PMs notice it after
``market.broker_notice`` days and re-prioritise across products, which takes a
mediator for ``market.realign_days`` (:func:`broker_realignment`): the same
mediators, in the same queue, as the mediations, so a busy broker notices no sooner
but realigns later. Whichever comes first moves the roadmap; the other changes
nothing.

Draws: the shifts and the loudest department's notice from ``market.<product>``,
the same in both arms; the broker's notice and re-prioritisation time from
``broker.market.<product>``, drawn alike with or without a broker and whatever its
channels (a broker appointed mid-run, or one whose ``market`` channel is off, uses
them or not; no other stream sees the difference).
"""

from __future__ import annotations

from orgsim.engine import events as ev
from orgsim.engine.context import Proc, RunContext


def market_drift(ctx: RunContext, product: int) -> Proc:
    """A product's market shifts to a new segment now and then, and is noticed."""
    rng = ctx.streams[f"market.{product}"]
    brng = ctx.streams[f"broker.market.{product}"]
    while True:
        yield ctx.env.timeout(ctx.scenario.market.shift_interarrival.draw(rng))
        mk = ctx.scenario.market  # as it is now: an intervention may have changed it
        epoch = ctx.state.market_epoch.get(product, 0) + 1
        ctx.record(ev.MarketShifted, product=product, epoch=epoch)
        notice = mk.notice.draw(rng)
        ctx.env.process(loudest_department(ctx, product, epoch, notice))
        # drawn alike with or without a broker (its own stream): one appointed
        # mid-run notices the shifts after she took office
        seen, days = mk.broker_notice.draw(brng), mk.realign_days.draw(brng)
        if ctx.acts("market"):
            ctx.env.process(broker_realignment(ctx, product, epoch, seen, days))


def _follows(ctx: RunContext, product: int, epoch: int) -> bool:
    """Whether the product's roadmap already follows the market's shift ``epoch``."""
    return ctx.state.roadmap_epoch.get(product, 0) >= epoch


def loudest_department(ctx: RunContext, product: int, epoch: int, notice: float) -> Proc:
    """Without a broker's read, the roadmap follows when the shift shows in the numbers."""
    yield ctx.env.timeout(notice)
    if not _follows(ctx, product, epoch):
        ctx.record(ev.RoadmapRealigned, product=product, epoch=epoch, channel="surfaced")


def broker_realignment(
    ctx: RunContext, product: int, epoch: int, notice: float, days: float
) -> Proc:
    """The broker notices a shift, waits for a mediator, and re-prioritises the roadmap.

    A mediator that comes free after the roadmap already followed (the loudest
    department's numbers moved it meanwhile) is not spent on it.
    """
    yield ctx.env.timeout(notice)
    if _follows(ctx, product, epoch):
        return
    with ctx.mediators.request() as slot:
        yield slot
        if _follows(ctx, product, epoch):
            return
        ctx.record(ev.RealignmentStarted, product=product, epoch=epoch)
        yield ctx.env.timeout(days)
        ctx.record(ev.RoadmapRealigned, product=product, epoch=epoch, channel="broker")
