"""The honest broker: its credibility, and mediation as a step of a conflict's life.

The broker influences rather than commands: a mediation succeeds with a chance that
grows with its credibility, which each success builds and each failure spends, and
which decays toward a floor in between (:func:`credibility`). A successful mediation
settles in the company's interest as often as the broker is neutral; a failed one
still escalates, but the CEO gets the broker's neutral read of it. The broker's
draws come from its own streams (:class:`~orgsim.engine.resolution.ConflictDraws`),
so switching it on changes no other draw.

Credibility is also built between conflicts (:func:`praising`): "You've built up
peer credibility with lots of 'Jesse in QA is doing a terrific job' and the
occasional 'Gordon is creating problems in Marketing that we need to solve.' You
... praise in public, and privately raise issues with department heads."
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from orgsim.engine import events as ev
from orgsim.engine.context import CHANNELS, Proc, RunContext
from orgsim.engine.resolution import ConflictDraws, is_closed, power_winner, settle
from orgsim.scenario.schema import ConflictKind
from orgsim.scenario.structure import PmOrganisation, Shape


def take_office(ctx: RunContext, shp: Shape | PmOrganisation) -> None:
    """Record the broker's appointment with the PM organisation of ``shp``.

    At founding (the founding shape) or mid-run (the PM organisation of the company
    that day); a run whose broker acts through some channels only says which.
    """
    b = ctx.scenario.broker
    ctx.record(
        ev.BrokerAppointed,
        mediators=shp.mediators,
        directors=shp.directors,
        hired=shp.hired_mediators,
        line_pms=shp.line_pms,
        coverage=shp.coverage,
        neutrality=shp.neutrality,
        salary=b.salary,
        credibility=b.initial_credibility,
        credibility_floor=b.credibility_floor,
        credibility_halflife=b.credibility_halflife,
    )
    if ctx.channels != frozenset(CHANNELS):
        active = tuple(c for c in CHANNELS if c in ctx.channels)
        ctx.record(ev.BrokerChannelsLimited, channels=active)


def credibility(ctx: RunContext) -> float:
    """The broker's credibility now, decayed toward its floor since the last change."""
    return ctx.state.credibility_at(ctx.env.now)


def takes_on(ctx: RunContext) -> bool:
    """Whether a detected conflict goes to mediation: the broker mediates and has room.

    A ``queue_limit`` of 0 means an unbounded queue. A broker whose ``conflicts``
    channel is off mediates nothing: the conflict is negotiated as without it.
    """
    limit = ctx.scenario.broker.queue_limit
    return ctx.acts("conflicts") and (limit == 0 or ctx.state.mediation_waiting < limit)


def mediation(
    ctx: RunContext, cid: int, kind: ConflictKind, d: ConflictDraws
) -> Generator[simpy.Event, Any, bool]:
    """A conflict waits for a mediator, is mediated, and is settled or fails.

    A step of :func:`~orgsim.engine.conflicts.conflict_life`, run in its process
    (``yield from``).

    Returns:
        Whether the conflict is over: settled by the mediation, or closed while it
        waited or was mediated. False when the mediation failed: the conflict
        escalates, with the broker's briefing (its credibility times
        ``ceo_briefing``) recorded on ``MediationFailed`` for the CEO.
    """
    b = ctx.scenario.broker
    ctx.record(ev.MediationQueued, conflict=cid)
    with ctx.mediators.request() as slot:
        yield slot
        if is_closed(ctx, cid):
            return True
        ctx.record(ev.MediationStarted, conflict=cid)
        yield ctx.env.timeout(d.mediation_days)
    if is_closed(ctx, cid):
        return True
    cred = credibility(ctx)
    if d.mediation_success < b.success_base + b.success_credibility * cred:
        ctx.record(ev.CredibilityChanged, credibility=cred + b.credibility_gain * (1.0 - cred))
        if d.mediation_neutral < ctx.state.neutrality:
            winner = ctx.state.conflicts[cid].company_side
        else:
            winner = power_winner(ctx, cid, d.mediation_winner, 1.0)
        settle(ctx, cid, kind, "mediation", winner)
        return True
    # The CEO gets the broker's neutral read of the failed mediation: a shorter
    # decision, more often in the company's interest, as far as the broker is
    # believed ("Ideally, the CEO wants your unbiased opinion"): the ``ceo`` channel.
    briefing = b.ceo_briefing * cred if ctx.acts("ceo") else 0.0
    ctx.record(ev.MediationFailed, conflict=cid, briefing=briefing)
    ctx.record(ev.CredibilityChanged, credibility=cred * (1.0 - b.credibility_loss))
    return False


def praising(ctx: RunContext) -> Proc:
    """The VP PM praises a department in public, or raises an issue with its head.

    Every ``broker.praise_interarrival`` days, a department other than the broker's
    own, chosen uniformly (in name order, so file order changes nothing), gets the
    word; each act gains ``praise_gain`` of the gap to full credibility, from the
    level credibility has decayed to: ``c + g (1 - c)``. Its draws come from the
    ``broker.praise`` stream; with a gain of 0, or the ``praise`` channel off, the
    broker does not do it at all.
    """
    b = ctx.scenario.broker
    others = tuple(n for n in ctx.scenario.active_departments if n != b.department)
    if not ctx.acts("praise") or b.praise_gain <= 0.0 or not others:
        return
    rng = ctx.streams["broker.praise"]
    while True:
        yield ctx.env.timeout(ctx.scenario.broker.praise_interarrival.draw(rng))
        b = ctx.scenario.broker  # as it is now: an intervention may have changed it
        department = others[int(rng.integers(len(others)))]
        cred = credibility(ctx)
        ctx.record(
            ev.BrokerPraised,
            department=department,
            credibility=cred + b.praise_gain * (1.0 - cred),
        )
