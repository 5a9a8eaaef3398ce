"""Conflicts: how they arise, surface, and run through negotiation or mediation to the CEO.

Exogenous kinds arrive as renewal processes (:func:`conflict_arrivals`); budget
disputes are raised by the budget cycle. :func:`raise_conflict` draws everything a
conflict may ever need from its kind's stream (and the broker's from the broker's),
records it and its immediate effect (extra work for the target, or the target's best
people poached), and starts its :func:`conflict_life` and its :func:`lapse` (and,
for a move that risks customers' privacy, its :func:`privacy_risk`). Without
the broker a detected conflict is negotiated bilaterally, where power tends to win;
with it, it is mediated (:func:`~orgsim.engine.broker.mediation`). What fails
escalates to the CEO, whose attention is a scarce resource.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from typing import Any

import simpy

from orgsim.engine import events as ev
from orgsim.engine.broker import mediation, takes_on
from orgsim.engine.context import Proc, RunContext
from orgsim.engine.resolution import ConflictDraws, is_closed, power_winner, settle
from orgsim.engine.talent import rebalance, transfer
from orgsim.scenario.schema import ConflictKind


def conflict_arrivals(ctx: RunContext, kname: str, kind: ConflictKind) -> Proc:
    """Conflicts of one kind arrive as a renewal process scaled by intensity."""
    intensity = ctx.scenario.conflicts.intensity
    if intensity <= 0:
        return
    rng = ctx.streams[f"arrivals.{kname}"]
    while True:
        yield ctx.env.timeout(kind.interarrival.draw(rng) / intensity)
        raise_conflict(ctx, kname, kind, kind.initiator, kind.target)


def draws(ctx: RunContext, kname: str, kind: ConflictKind) -> ConflictDraws:
    """Everything random about a new conflict, in a fixed order per stream."""
    sc = ctx.scenario
    rng = ctx.streams[f"conflict.{kname}"]
    base: dict[str, Any] = dict(
        severity=kind.severity.draw(rng),
        company_side="initiator" if rng.random() < kind.initiator_right else "target",
        effort=kind.effort.draw(rng),
        surfacing=kind.surfacing.draw(rng),
        lifetime=kind.lifetime.draw(rng),
        negotiation_days=sc.negotiation.duration.draw(rng),
        negotiation_success=rng.random(),
        negotiation_winner=rng.random(),
        ceo_days=sc.ceo.duration.draw(rng),
        ceo_success=rng.random(),
        ceo_insight=rng.random(),
        ceo_winner=rng.random(),
    )
    if ctx.broker:
        brng = ctx.streams[f"broker.{kname}"]
        base.update(
            detection=sc.broker.detection.draw(brng),
            mediation_days=sc.broker.mediation.draw(brng),
            mediation_success=brng.random(),
            mediation_neutral=brng.random(),
            mediation_winner=brng.random(),
        )
    return ConflictDraws(**base)


def raise_conflict(
    ctx: RunContext, kname: str, kind: ConflictKind, initiator: str, target: str
) -> None:
    """The initiator's move starts a conflict and has its immediate effect."""
    d = draws(ctx, kname, kind)
    cid = ctx.next_id("conflict")
    ctx.record(
        ev.ConflictRaised,
        conflict=cid,
        kind=kname,
        initiator=initiator,
        target=target,
        severity=d.severity,
        company_side=d.company_side,
    )
    if kind.effect == "extra_work":
        work = ctx.next_id("work")
        value = kind.value_if_right if d.company_side == "initiator" else 0.0
        ctx.record(
            ev.ExtraWorkAdded,
            work=work,
            conflict=cid,
            department=target,
            effort=d.effort,
            value=value,
        )
    elif kind.effect == "transfer":
        # the initiator takes the target's best people
        people = heapq.nsmallest(
            kind.transfer_count,
            ((-p.skill, emp) for emp, p in ctx.state.employees.items() if p.department == target),
        )
        for _, emp in people:
            transfer(ctx, emp, target, initiator, cid)
        rebalance(ctx, target)
    life = ctx.env.process(conflict_life(ctx, cid, kind, d))
    ctx.env.process(lapse(ctx, cid, d.lifetime, life))
    if kind.effect == "extra_work" and kind.incident_probability > 0.0:
        # its own stream, two draws per conflict of the kind, whatever the outcome:
        # the conflict's stream draws as it did, both arms see the same incidents
        irng = ctx.streams[f"incident.{kname}"]
        u = irng.random()
        delay = kind.incident_delay.draw(irng)
        if u < kind.incident_probability:
            ctx.env.process(privacy_risk(ctx, cid, kind, delay))


def privacy_risk(ctx: RunContext, cid: int, kind: ConflictKind, delay: float) -> Proc:
    """The initiator's move exposes customer data, unless it is undone in time.

    "Marketing's plan to move all customer emails to a cloud solution will create
    privacy issues and tons of DBA work": a move that would cause an incident
    (drawn when it is made) causes it ``delay`` days later if it still stands, that
    is unless the conflict was settled with the target prevailing before then
    (:func:`~orgsim.engine.resolution.settle` undoes the move). A conflict that
    lapsed, or is still open, leaves the move standing.
    """
    yield ctx.env.timeout(delay)
    c = ctx.state.conflicts[cid]
    if c.winner != c.target:
        ctx.record(ev.PrivacyIncident, conflict=cid, cost=kind.incident_cost)


def lapse(ctx: RunContext, cid: int, lifetime: float, life: simpy.Process) -> Proc:
    """An unresolved conflict stops mattering after its lifetime.

    Whoever was working on it stops at once: it leaves the mediators' or the CEO's
    queue, and a mediator or the CEO on it is free for the next one
    (:func:`conflict_life` is interrupted).
    """
    yield ctx.env.timeout(lifetime)
    if ctx.state.conflicts[cid].closed < 0:
        ctx.record(ev.ConflictLapsed, conflict=cid)
        if life.is_alive:
            life.interrupt()


def conflict_life(ctx: RunContext, cid: int, kind: ConflictKind, d: ConflictDraws) -> Proc:
    """Detection, then negotiation or mediation, then the CEO if that fails.

    Interrupted when the conflict lapses (:func:`lapse`), wherever it stands.
    """
    try:
        yield from _life(ctx, cid, kind, d)
    except simpy.Interrupt:
        return


def _life(ctx: RunContext, cid: int, kind: ConflictKind, d: ConflictDraws) -> Proc:
    delay, channel = d.surfacing, "surfaced"
    if ctx.broker and d.detection < d.surfacing:
        delay, channel = d.detection, "broker"
    yield ctx.env.timeout(delay)
    if is_closed(ctx, cid):
        return
    ctx.record(ev.ConflictDetected, conflict=cid, channel=channel)
    if takes_on(ctx):
        if (yield from mediation(ctx, cid, kind, d)):
            return
    elif (yield from negotiation(ctx, cid, kind, d)):
        return
    yield from escalation(ctx, cid, kind, d)


def negotiation(
    ctx: RunContext, cid: int, kind: ConflictKind, d: ConflictDraws
) -> Generator[simpy.Event, Any, bool]:
    """The two sides negotiate bilaterally; when they agree, power tends to win.

    A step of :func:`conflict_life`, run in its process (``yield from``).

    Returns:
        Whether the conflict is over (settled, or closed meanwhile); False when the
        negotiation failed and the conflict escalates.
    """
    neg = ctx.scenario.negotiation
    ctx.record(ev.NegotiationStarted, conflict=cid)
    yield ctx.env.timeout(d.negotiation_days)
    if is_closed(ctx, cid):
        return True
    if d.negotiation_success < neg.success:
        winner = power_winner(ctx, cid, d.negotiation_winner, neg.power_exponent)
        settle(ctx, cid, kind, "negotiation", winner)
        return True
    ctx.record(ev.NegotiationFailed, conflict=cid)
    return False


def escalation(ctx: RunContext, cid: int, kind: ConflictKind, d: ConflictDraws) -> Proc:
    """The conflict climbs to the CEO, who decides when attention allows, or not at all.

    A step of :func:`conflict_life`, run in its process (``yield from``). The
    broker's briefing (the state's ``Conflict.briefing``: 0 without a failed
    mediation) shortens the decision and
    makes it more often the company's interest.
    """
    ceo = ctx.scenario.ceo
    briefing = ctx.state.conflicts[cid].briefing
    ctx.record(ev.ConflictEscalated, conflict=cid)
    with ctx.ceo.request() as slot:
        yield slot
        if is_closed(ctx, cid):
            return
        ctx.record(ev.CeoEngaged, conflict=cid)
        try:
            yield ctx.env.timeout(d.ceo_days * (1.0 - briefing))
        except simpy.Interrupt:
            # the conflict lapsed: the CEO drops it, having spent the time so far
            ctx.record(ev.CeoReleased, conflict=cid, settled=False)
            return
        settled = not is_closed(ctx, cid) and d.ceo_success < ceo.success
        ctx.record(ev.CeoReleased, conflict=cid, settled=settled)
        if settled:
            insight = ceo.insight + (1.0 - ceo.insight) * briefing
            if d.ceo_insight < insight:
                winner = ctx.state.conflicts[cid].company_side
            else:
                winner = power_winner(ctx, cid, d.ceo_winner, 1.0)
            settle(ctx, cid, kind, "ceo", winner)
