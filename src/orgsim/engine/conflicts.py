"""Conflicts: how they arise, surface, and run through negotiation or mediation to the CEO.

Exogenous kinds arrive as renewal processes (:func:`conflict_arrivals`); budget
disputes are raised by the budget cycle. :func:`raise_conflict` draws everything a
conflict may ever need from its kind's stream (and the broker's from the broker's),
records it and its immediate effect (extra work for the target, or the target's best
people poached), and starts its :func:`conflict_life` and its :func:`lapse` (and,
for a move that risks customers' privacy, its :func:`privacy_risk`). Without
the broker a detected conflict is negotiated bilaterally, where power tends to win;
with it, it is detected sooner and mediated (:func:`~orgsim.engine.broker.mediation`;
both the broker's ``conflicts`` channel, :data:`~orgsim.engine.context.CHANNELS`). What fails
escalates to the CEO, whose attention is a few hours a week shared among the
escalations on the desk (:class:`~orgsim.engine.state.Desk`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from orgsim.engine import events as ev
from orgsim.engine.broker import mediation, takes_on
from orgsim.engine.context import Proc, RunContext
from orgsim.engine.growth import live_interfaces
from orgsim.engine.pacing import Pace, paced
from orgsim.engine.resolution import ConflictDraws, is_closed, power_winner, settle
from orgsim.engine.talent import rebalance, transfer
from orgsim.scenario.schema import ConflictKind


def conflict_arrivals(ctx: RunContext, kname: str, kind: ConflictKind) -> Proc:
    """Conflicts of one kind arrive on the working interfaces between its two sides.

    ``interarrival`` is the time between conflicts on one interface; the kind's
    :meth:`~orgsim.scenario.structure.Shape.interfaces` add up (for exponential
    intervals, exactly a superposition of independent Poisson streams), scaled by
    intensity. More teams handing work to each other on more products: more
    conflicts, with no rate typed in per company.

    The rate is read live (the sides' teams in the state, ``conflicts.intensity``
    and the kind in the scenario), so it follows a growing company's structure and
    an intervention's change; the interval in progress when it changes runs on at
    the new rate (:mod:`orgsim.engine.pacing`). A kind whose sides share no
    interface draws nothing until they do.
    """
    rng = ctx.streams[f"arrivals.{kname}"]

    def live() -> ConflictKind:
        return ctx.scenario.conflicts.kinds.get(kname, kind)

    def rate() -> float:
        k = live()
        if not k.enabled:  # switched off since (an intervention): nothing arrives
            return 0.0
        return ctx.scenario.conflicts.intensity * live_interfaces(ctx, k.initiator, k.target)

    def draw() -> float:
        return live().interarrival.draw(rng)

    def arrive() -> None:
        k = live()
        raise_conflict(ctx, kname, k, k.initiator, k.target)

    yield from paced(ctx, Pace(rate), draw, arrive)


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
        ceo_hours=sc.ceo.hours.draw(rng),
        ceo_success=rng.random(),
        ceo_insight=rng.random(),
        ceo_winner=rng.random(),
        climb=sc.negotiation.climb.draw(rng),
    )
    # The broker's own stream draws alike with or without a broker, whatever its
    # channels: no other stream sees the difference, and a conflict raised before
    # an appointment mid-run has what a mediation needs when it reaches one.
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
        for emp in ctx.state.best(target, kind.transfer_count):
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


def crossed(ctx: RunContext, cid: int) -> int:
    """Management layers between a conflict's two sides and the level where they meet."""
    c = ctx.state.conflicts[cid]
    deps = ctx.state.departments
    return deps[c.initiator].layers + deps[c.target].layers


def _life(ctx: RunContext, cid: int, kind: ConflictKind, d: ConflictDraws) -> Proc:
    # A latent conflict surfaces when it has climbed to where its sides meet; line
    # PMs spot it in the teams they cover, faster the fewer teams each covers.
    surfacing = d.surfacing * crossed(ctx, cid)
    detection = d.detection * ctx.state.coverage
    delay, channel = surfacing, "surfaced"
    if ctx.acts("conflicts") and detection < surfacing:
        delay, channel = detection, "broker"
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
    layers = crossed(ctx, cid)
    ctx.record(ev.NegotiationStarted, conflict=cid)
    yield ctx.env.timeout(d.negotiation_days * layers)
    if is_closed(ctx, cid):
        return True
    if d.negotiation_success < neg.success**layers:
        winner = power_winner(ctx, cid, d.negotiation_winner, neg.power_exponent)
        settle(ctx, cid, kind, "negotiation", winner)
        return True
    ctx.record(ev.NegotiationFailed, conflict=cid)
    # The failed negotiation climbs both sides' hierarchies to the CEO. (A failed
    # mediation does not: the VP PM takes it to the CEO directly.)
    yield ctx.env.timeout(d.climb * layers)
    return is_closed(ctx, cid)


def escalation(ctx: RunContext, cid: int, kind: ConflictKind, d: ConflictDraws) -> Proc:
    """The conflict climbs to the CEO's desk and waits for the CEO's hours, or lapses.

    A step of :func:`conflict_life`, run in its process (``yield from``). The
    conflict joins the desk needing ``d.ceo_hours`` of CEO time, less the share the
    broker's briefing saves (the state's ``Conflict.briefing``: 0 without a failed
    mediation). The desk shares the CEO's hours among its escalations
    (:class:`~orgsim.engine.state.Desk`); when this one's hours run out, the desk
    timer calls :func:`ceo_decides`, which records the decision and wakes this
    process. A lapse meanwhile interrupts it: the CEO drops the escalation,
    freeing its hours for the others.
    """
    briefing = ctx.state.conflicts[cid].briefing
    decided = ctx.env.event()
    ctx.decisions[cid] = lambda: ceo_decides(ctx, cid, kind, d, decided)
    ctx.record(ev.ConflictEscalated, conflict=cid, hours=d.ceo_hours * (1.0 - briefing))
    try:
        yield decided
    except simpy.Interrupt:
        # the conflict lapsed: the CEO drops it, having spent the hours so far
        ctx.decisions.pop(cid, None)
        if cid in ctx.state.desk.items:
            ctx.record(ev.CeoReleased, conflict=cid, settled=False)


def ceo_decides(
    ctx: RunContext, cid: int, kind: ConflictKind, d: ConflictDraws, decided: simpy.Event
) -> None:
    """The CEO has spent the hours an escalation needs, and decides (or fails to).

    Called by the desk timer at the instant the escalation's hours run out; the
    broker's briefing also closes part of the CEO's blind spot. Wakes the
    conflict's process, which then ends.
    """
    ceo = ctx.scenario.ceo
    briefing = ctx.state.conflicts[cid].briefing
    settled = not is_closed(ctx, cid) and d.ceo_success < ceo.success
    ctx.record(ev.CeoReleased, conflict=cid, settled=settled)
    if settled:
        insight = ceo.insight + (1.0 - ceo.insight) * briefing
        if d.ceo_insight < insight:
            winner = ctx.state.conflicts[cid].company_side
        else:
            winner = power_winner(ctx, cid, d.ceo_winner, 1.0)
        settle(ctx, cid, kind, "ceo", winner)
    decided.succeed()
