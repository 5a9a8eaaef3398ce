"""The run context: what every process of one replication shares.

A replication's processes (:mod:`~orgsim.engine.delivery`, :mod:`~orgsim.engine.talent`,
:mod:`~orgsim.engine.budget`, :mod:`~orgsim.engine.conflicts`, :mod:`~orgsim.engine.broker`)
are generator functions that take this context as their first argument. It holds
the scenario, the SimPy environment and its shared resources, the named random
streams, the log with its ``record`` (the only way anything changes) and the live
state the log folds to, the run's ID counters (STYLE.md rule 7: never at module
level), and the little bookkeeping the processes keep between events.

The context sits below every mechanism module, so mechanisms can call one another
without any of them importing the module that assembles a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import simpy
from simpy.core import StopSimulation

from orgsim.engine.events import CompanyFailed, Event
from orgsim.engine.log import EventLog
from orgsim.engine.rng import Streams
from orgsim.engine.state import OrgState, cash_at
from orgsim.scenario.distributions import lognormal
from orgsim.scenario.schema import Scenario
from orgsim.scenario.structure import Shape, shape

Proc = Generator[simpy.Event, Any, None]
"""A SimPy process: yields events, returns nothing."""

E = TypeVar("E", bound=Event)


class RunContext:
    """One replication's environment, streams, log, state and department timers.

    Attributes:
        scenario: The company and its parameters (with the arm's broker setting).
        seed: Root seed of the streams.
        replication: Replication number (its own set of streams).
        env: The SimPy environment; ``env.now`` is the log's clock.
        streams: The named random streams of this replication.
        log: The event log; :meth:`record` appends through it.
        state: The live state the log folds to (read it; change it only by ``record``).
        broker: Whether this arm has the broker.
        mediators: The broker's mediators, a resource of as many slots as the VP PM
            and the Directors (:attr:`~orgsim.scenario.structure.Shape.mediators`).
        shape: The organisation's structure at founding: teams, layers, interfaces,
            the PM organisation (:mod:`orgsim.scenario.structure`).
        stage_departments: The department of each delivery stage, in order.
        workload: Departments whose budget need follows their backlog.
        quarter_share: A budget quarter as a fraction of a year.
        skill: Distribution of individual productivity, or None when all are equal.
        timers: The instant each department's timer is set for (``inf``: none).
        on_due: What a department's timer does when it goes off (set by the run:
            finish the items due and let the leavers go).
        desk_timer: The instant the CEO's desk timer is set for (``inf``: none): the
            state's ``desk.next_time`` as of the last record.
        decisions: Per escalation on the CEO's desk, what the CEO's decision does
            when its hours run out (set by the escalation, SimPy-side bookkeeping:
            it records the decision and wakes the conflict's process).
        cash_timer: The instant the company timer is set for: when the cash runs
            out at the burn that holds (``inf``: not before the horizon).
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0) -> None:
        self.scenario = sc = scenario
        self.seed = seed
        self.replication = replication
        self.env = env = simpy.Environment(initial_time=0.0)
        self.streams = Streams(seed, replication)
        self.log = EventLog(clock=lambda: env.now)
        self.state: OrgState = self.log.state
        self._append = self.log.record
        self.broker = sc.broker.enabled
        self.shape: Shape = shape(sc)
        self.mediators = simpy.Resource(env, capacity=self.shape.mediators)
        self.stage_departments = tuple(s.department for s in sc.delivery.stages)
        self.workload = set(self.stage_departments) | {
            k.target for k in sc.conflicts.kinds.values() if k.enabled and k.effect == "extra_work"
        }
        self.quarter_share = sc.budget.quarter_days / 365.0
        cv = sc.talent.skill_cv
        self.skill = lognormal(1.0, cv) if cv > 0 else None
        self.timers: dict[str, float] = {}
        self.on_due: Callable[[RunContext, str, float], None] | None = None
        self.desk_timer = math.inf
        self.decisions: dict[int, Callable[[], None]] = {}
        self.cash_timer = math.inf

    def record(self, cls: type[E], **fields: Any) -> E:
        """Record an event now, then reset the timers of departments (and desk) it moved."""
        event = self._append(cls, **fields)
        state = self.state
        touched = state.touched
        if touched:  # in the order of their names: the timers' order at an instant
            if len(touched) == 1:
                self.set_timer(touched.pop())
            else:
                for name in sorted(touched):
                    self.set_timer(name)
                touched.clear()
        if state.desk.next_time != self.desk_timer:
            self.set_desk_timer()
        if state.cash_out != self.cash_timer:
            self.set_cash_timer()
        return event

    def set_cash_timer(self) -> None:
        """Set the company timer for the instant the state says the cash runs out.

        Like a department's timer: one whose instant moved goes stale. None is set
        for an instant at or past the horizon, which the run never reaches (the
        horizon stops it first): the company survived.
        """
        at = self.cash_timer = self.state.cash_out
        if at < self.scenario.horizon:
            timeout = self.env.timeout(max(0.0, at - self.env.now))
            timeout.callbacks.append(lambda _: self._ring_cash(at))

    def _ring_cash(self, at: float) -> None:
        """The cash ran out: record the failure and stop the run at this instant.

        Raising ``StopSimulation`` from the callback is how SimPy's own ``until``
        event stops ``env.run``: no other event, at this instant or later, is
        processed, so the run's ``RunEnded`` follows at the failure instant.
        """
        if self.cash_timer != at:
            return  # stale: income or a change of burn moved the instant since
        state = self.state
        self.record(CompanyFailed, cash=cash_at(state, self.env.now), burn=state.burn)
        raise StopSimulation(at)

    def set_timer(self, name: str) -> None:
        """Set a department's timer for the next instant its state says something happens.

        A timer already set for that very instant stands; one set for another goes
        stale (it checks, when it goes off, that it is still the one set).
        """
        at = self.state.departments[name].next_time
        timers = self.timers
        if timers.get(name) == at:
            return
        timers[name] = at
        if at < math.inf:
            delay = at - self.env.now
            timeout = self.env.timeout(delay if delay > 0.0 else 0.0)
            timeout.callbacks.append(lambda _: self._ring(name, at))

    def _ring(self, name: str, at: float) -> None:
        if self.timers.get(name) != at:
            return  # stale: the department's next instant moved since
        self.timers[name] = math.inf
        assert self.on_due is not None, "the run sets on_due before it starts"
        self.on_due(self, name, at)
        self.set_timer(name)

    def set_desk_timer(self) -> None:
        """Set the CEO's desk timer for the next instant an escalation's hours run out.

        As a department's timer: one set for another instant goes stale.
        """
        at = self.state.desk.next_time
        if self.desk_timer == at:
            return
        self.desk_timer = at
        if at < math.inf:
            timeout = self.env.timeout(max(0.0, at - self.env.now))
            timeout.callbacks.append(lambda _: self._ring_desk(at))

    def _ring_desk(self, at: float) -> None:
        if self.desk_timer != at:
            return  # stale: the desk's next instant moved since
        self.desk_timer = math.inf
        for conflict in self.state.desk.due(at):
            if conflict in self.state.desk.items:  # a decision before may have moved it
                self.decisions.pop(conflict)()
        self.set_desk_timer()

    def next_id(self, kind: str) -> int:
        """The identifier the next entity of a kind gets (counted in the state)."""
        return self.state.next_id(kind)
