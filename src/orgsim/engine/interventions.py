"""Interventions in a run: arming their triggers, and what a firing does.

A scenario's interventions (:class:`~orgsim.scenario.interventions.Intervention`)
are armed once the run is founded and its processes started (:func:`arm`):

* A ``day`` or a ``quarter`` is an instant known in advance. It is scheduled as an
  *urgent* SimPy event, so it fires before anything else that happens at that
  instant: a quarter's change is in place for that quarter's budget cycle. The
  instant of quarter ``n`` is the budget cycle's own clock, ``n`` additions of
  ``budget.quarter_days``, the very float the cycle reaches.
* A condition is evaluated at the events that can change it, never by polling:
  the context calls its watch after recording an event of a type it watches
  (``RunContext.watchers``; a hire or a leaver for ``headcount``, a conflict
  raised, resolved or lapsed for ``open_conflicts``, a quarter's start for the
  CEO's hours in the quarter that ended). When it first holds, the firing is
  scheduled urgently at that same instant: it happens right after the step of the
  process that recorded the event, so no decision is cut in half. A condition that
  holds at founding fires at day 0. One that fired re-arms when it stops holding,
  and fires again (up to ``times``) when it next holds.

A firing records ``InterventionFired``, then its effects, each a domain event the
state folds: ``ParameterChanged`` (and the run's scenario is the changed one from
then on: every later decision reads it), ``BrokerAppointed`` with the PM
organisation of the company as it is at that instant (and, through the broker's
``cost`` channel, ``OverheadChanged`` and ``BrokerCostCharged``, her pay for the
rest of the quarter), ``MediatorsChanged``. The times an intervention fired are in
the state (``OrgState.firings``), so the log says everything the run did.

Nothing here draws a random number or reorders one: an intervention at day ``t``
leaves the log before ``t`` exactly as it was, and the streams after it give the
same draws to the same decisions (common random numbers), which is what a fork
from a stored run rests on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import simpy
from simpy.events import URGENT

from orgsim.engine import events as ev
from orgsim.engine.broker import praising, take_office
from orgsim.engine.context import RunContext
from orgsim.engine.pacing import repace
from orgsim.scenario.distributions import lognormal
from orgsim.scenario.interventions import Intervention
from orgsim.scenario.loading import with_values
from orgsim.scenario.structure import PmOrganisation, organise, teams

logger = logging.getLogger(__name__)

__all__ = ["WATCHED", "arm", "fire", "live_organisation"]

WATCHED: dict[str, tuple[type[ev.Event], ...]] = {
    "headcount": (ev.EmployeeHired, ev.EmployeeLeft),
    "open_conflicts": (ev.ConflictRaised, ev.ConflictResolved, ev.ConflictLapsed),
    "ceo_hours": (ev.QuarterStarted,),
}
"""The events that can change each condition: the only ones at which it is evaluated."""


@attrs.define
class _Armed:
    """One armed intervention: engine-side bookkeeping, like a department's timer.

    ``ready`` is false from a firing until its condition stops holding (re-arming);
    ``pending`` while a firing is scheduled for this instant.
    """

    index: int
    iv: Intervention
    ready: bool = True
    pending: bool = False


def arm(ctx: RunContext, interventions: Sequence[Intervention]) -> None:
    """Arm every enabled intervention that does something (after the run is founded)."""
    for index, iv in enumerate(interventions):
        if not iv.enabled or not iv.acts:
            continue
        armed = _Armed(index, iv)
        trigger = iv.trigger
        if trigger == "day":
            assert iv.day is not None
            _at(ctx, iv.day, armed, f"day {iv.day:g}")
        elif trigger == "quarter":
            assert iv.quarter is not None
            when = 0.0
            for _ in range(iv.quarter):  # the budget cycle's clock, addition by addition
                when += ctx.scenario.budget.quarter_days
            _at(ctx, when, armed, f"quarter {iv.quarter}")
        else:
            watch = _watch(ctx, armed)
            for cls in WATCHED[trigger]:
                ctx.watchers.setdefault(cls, []).append(watch)
            watch()  # it may hold at founding


def _at(ctx: RunContext, when: float, armed: _Armed, trigger: str) -> None:
    """Fire at an instant, before anything else that happens then (never past the horizon)."""
    if when < ctx.scenario.horizon:
        _schedule(ctx, when - ctx.env.now, lambda: fire(ctx, armed.index, armed.iv, trigger))


def _schedule(ctx: RunContext, delay: float, action: Callable[[], None]) -> None:
    """Run ``action`` after ``delay``, ahead of the normal events of that instant."""
    event = simpy.Event(ctx.env)
    # An urgent event that is already triggered, as SimPy's own Initialize is: set
    # its outcome, then schedule it ahead of the normal events at its instant.
    event._ok = True
    event._value = None
    event.callbacks.append(lambda _: action())
    ctx.env.schedule(event, URGENT, max(0.0, delay))


def _condition(ctx: RunContext, iv: Intervention) -> float:
    """The value of an intervention's condition now."""
    state = ctx.state
    if iv.trigger == "headcount":
        return float(sum(d.staff for d in state.departments.values()))
    if iv.trigger == "open_conflicts":
        return float(state.open_count)
    return state.ceo_quarter_hours if state.quarter >= 1 else 0.0


def _watch(ctx: RunContext, armed: _Armed) -> Callable[[], None]:
    """What checks one conditional intervention after an event that may change it."""
    iv = armed.iv

    def watch() -> None:
        value = _condition(ctx, iv)
        holds = value >= iv.threshold
        if not holds:
            armed.ready = True  # re-armed: it fires again when it next holds
            return
        if not armed.ready or armed.pending:
            return
        fired = ctx.state.firings.get(armed.index, 0)
        if iv.times and fired >= iv.times:
            return
        armed.ready, armed.pending = False, True
        trigger = f"{iv.trigger} {value:g} >= {iv.threshold:g}"

        def go() -> None:
            armed.pending = False
            fire(ctx, armed.index, iv, trigger)

        _schedule(ctx, 0.0, go)

    return watch


def fire(ctx: RunContext, index: int, iv: Intervention, trigger: str) -> None:
    """An intervention fires: record it, then change the parameters, appoint, add mediators.

    Parameters first, so an appointment in the same firing works under them.
    """
    if ctx.state.ended or ctx.state.failed:
        return
    firing = ctx.state.firings.get(index, 0) + 1
    ctx.record(
        ev.InterventionFired,
        intervention=index,
        name=iv.label(index),
        trigger=trigger,
        firing=firing,
    )
    if iv.set:
        change_parameters(ctx, iv.set)
    if iv.appoint:
        appoint(ctx)
    if iv.mediators:
        change_mediators(ctx, iv.mediators)


def change_parameters(ctx: RunContext, values: dict[str, Any]) -> None:
    """Record each change and make the run's scenario the changed one."""
    for path, value in values.items():
        ctx.record(ev.ParameterChanged, path=path, value=json.dumps(value, sort_keys=True))
    ctx.scenario = with_values(ctx.scenario, values)
    repace(ctx)  # an arrival rate may read what changed: re-time the paced processes
    if "talent.skill_cv" in values:
        cv = ctx.scenario.talent.skill_cv
        ctx.skill = lognormal(1.0, cv) if cv > 0 else None


def live_organisation(ctx: RunContext) -> PmOrganisation:
    """The PM organisation of the company as it is now: the founding rules on live headcounts."""
    sc, deps = ctx.scenario, ctx.state.departments
    b, span = sc.broker, sc.structure.span_of_control
    others = sum(teams(d.staff, span) for n, d in deps.items() if n != b.department)
    return organise(
        deps[b.department].staff if b.department in deps else 0,
        others,
        sum(d.staff for d in deps.values()),
        span,
        b.mediators,
        b.neutrality,
        b.neutrality_loss,
    )


def _rest_of_quarter(ctx: RunContext, salary: float) -> float:
    """Pay (k$) at ``salary`` a year from now to the end of the current budget quarter."""
    state = ctx.state
    if state.quarter < 0:
        return 0.0
    end = state.quarter_since + ctx.scenario.budget.quarter_days
    return salary * max(0.0, end - ctx.env.now) / 365.0


def appoint(ctx: RunContext) -> None:
    """The VP PM takes office, with the PM organisation the company has now.

    Conflicts raised from now on are spotted by her line PMs; those already
    surfacing, once they surface, go to her mediators; a market shift from now on
    is hers to notice. Her pay, and any hired mediators', runs from now: the rest
    of this quarter out of cash at once, the next quarters in their budget.
    """
    if ctx.broker:
        return
    sc = ctx.scenario
    b = sc.broker
    org = live_organisation(ctx)
    ctx.broker = True
    take_office(ctx, org)
    if ctx.acts("cost"):
        if b.pm_overhead > 0.0 and b.department in ctx.state.departments:
            ctx.record(ev.OverheadChanged, department=b.department, overhead=b.pm_overhead)
        cost = _rest_of_quarter(ctx, ctx.state.broker_salary)
        if cost > 0.0:
            ctx.record(ev.BrokerCostCharged, cost=cost)
    ctx.mediators.resize(org.mediators)
    if ctx.acts("praise"):
        ctx.env.process(praising(ctx))


def change_mediators(ctx: RunContext, change: int) -> None:
    """Add (or remove) mediators: hired ones beyond the VP PM and Directors are paid from now."""
    state = ctx.state
    if not ctx.broker:
        logger.debug("day %g: no broker in office to change the mediators of", ctx.env.now)
        return
    mediators = max(1, state.mediators + change)
    hired = max(0, mediators - 1 - state.directors)
    before = state.broker_salary
    ctx.record(ev.MediatorsChanged, mediators=mediators, hired=hired)
    if ctx.acts("cost"):
        cost = _rest_of_quarter(ctx, state.broker_salary - before)
        if cost > 0.0:
            ctx.record(ev.BrokerCostCharged, cost=cost)
    ctx.mediators.resize(mediators)
