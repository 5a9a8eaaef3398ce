"""Renewal processes paced by a live rate: exact when the rate changes mid-interval.

Conflicts arrive on the working interfaces between departments and features on a
product's roadmap as fast as its line PMs write them; both rates follow the
organisation's live structure, which moves as a company grows
(:mod:`orgsim.engine.growth`) or an intervention changes a parameter. A paced
process draws each interval in *operational* time (unit rate), exactly the draw it
always made, and consumes it at the rate in force: ``x / rate`` days at a constant
``rate``. When the rate changes at ``t``, the operational time used since the
interval began, ``(t - t0) × rate_old``, is taken off and the rest runs at the new
rate. For piecewise-constant rates that is the exact time change of a renewal
process (for exponential intervals, a non-homogeneous Poisson process); no draw is
added or moved, so common random numbers hold, and a run whose rates never change
makes the very timeouts, and so the very log, it made before pacing existed.

A process's *level* is read live, from ``ctx.scenario`` and ``ctx.state``, every
time an interval starts and whenever :func:`repace` is called; the level of the
interval in progress is the only thing kept. Two kinds of level: a *rate*
(arrivals per day per unit of operational time: ``days = x / level``) or a
*period* (days per unit: ``days = x × level``), so that each process converts its
draw with the very expression it always used (the float of ``x / r`` and of
``x × (1 / r)`` may differ in the last bit).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import attrs
import simpy

from orgsim.engine.context import Proc, RunContext


@attrs.define(slots=True)
class Pace:
    """One paced renewal process: how it reads its level, and its interval in progress.

    Attributes:
        level: The live level (read from the run's scenario and state).
        period: Whether the level is a period (days per unit of operational time)
            rather than a rate (units per day).
        process: The SimPy process, once started.
        left: Operational time of the interval left at ``t0`` (``nan``: not drawn).
        t0: When the interval's current stretch began.
        at: The level in force since ``t0`` (``nan``: waiting for a positive level).
    """

    level: Callable[[], float]
    period: bool = False
    process: simpy.Process | None = None
    left: float = math.nan
    t0: float = 0.0
    at: float = math.nan

    def flows(self, level: float) -> bool:
        """Whether anything arrives at this level (a positive, finite rate or period)."""
        return 0.0 < level < math.inf

    def days(self, units: float, level: float) -> float:
        """Days that ``units`` of operational time take at ``level``."""
        return units * level if self.period else units / level

    def units(self, days: float, level: float) -> float:
        """Operational time ``days`` use at ``level``."""
        return days / level if self.period else days * level


def paced(
    ctx: RunContext, pace: Pace, draw: Callable[[], float], arrive: Callable[[], None]
) -> Proc:
    """A renewal process: draw an interval, wait it out at the live level, arrive, repeat.

    While the level lets nothing arrive (a rate of 0), the process waits, without
    drawing, for :func:`repace` to find a positive one.

    Run it as a process, or ``yield from`` it in one: it registers the running
    process and its pace in ``ctx.paces`` (in the order processes start, which is
    the run's fixed order), so that :func:`repace` re-times it.

    Args:
        ctx: The run.
        pace: The process's pace.
        draw: Draws the next interval in operational time from the process's stream.
        arrive: What happens when the interval has run out.
    """
    env = ctx.env
    pace.process = env.active_process
    ctx.paces.append(pace)
    while True:
        level = yield from _flowing(ctx, pace)
        x = draw()
        while True:
            pace.left, pace.t0, pace.at = x, env.now, level
            try:
                yield env.timeout(pace.days(x, level))
                break
            except simpy.Interrupt:
                x = max(0.0, x - pace.units(env.now - pace.t0, pace.at))
                pace.left, pace.t0 = x, env.now
                level = yield from _flowing(ctx, pace)
        pace.left = math.nan
        arrive()


def _flowing(ctx: RunContext, pace: Pace) -> Generator[simpy.Event, Any, float]:
    """Wait until the live level lets something arrive, and return it."""
    level = pace.level()
    while not pace.flows(level):
        pace.at = math.nan
        try:
            yield ctx.env.event()  # triggered by nothing: only a repace wakes it
        except simpy.Interrupt:
            level = pace.level()
    return level


def repace(ctx: RunContext) -> None:
    """Re-time every paced process after something its level reads has changed.

    A process whose level is what it was goes on untouched; one whose level moved is
    interrupted, carries the operational time it has left over to the new level,
    and waits that out. A process that is itself running (its arrival is what
    changed the structure) needs nothing: its next interval reads the live level
    when it starts. Call it after recording what changed: a reshape, a new PM
    organisation, an intervention on ``conflicts.intensity`` or an interarrival.
    """
    active = ctx.env.active_process
    for pace in ctx.paces:
        process = pace.process
        if process is None or not process.is_alive or process is active:
            continue
        level = pace.level()
        waiting = math.isnan(pace.at)
        if (waiting and not pace.flows(level)) or level == pace.at:
            continue
        process.interrupt("repace")


__all__ = ["Pace", "paced", "repace"]
