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

It also names the broker's *channels* (:data:`CHANNELS`): the mechanisms through
which the broker acts, each of which a run may switch off while the broker stays
in office (:meth:`RunContext.acts`), so an attribution
(:mod:`orgsim.experiments.attribution`) can say how much of the broker's effect
each one brings, on the same random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

import simpy
from simpy.core import StopSimulation

from orgsim.engine.events import CompanyFailed, Event
from orgsim.engine.log import EventLog
from orgsim.engine.rng import Streams
from orgsim.engine.state import OrgState, cash_at
from orgsim.errors import ExperimentError
from orgsim.scenario.distributions import lognormal
from orgsim.scenario.schema import Scenario
from orgsim.scenario.structure import Shape, shape

Proc = Generator[simpy.Event, Any, None]
"""A SimPy process: yields events, returns nothing."""

E = TypeVar("E", bound=Event)

CHANNELS: tuple[str, ...] = ("cost", "conflicts", "ceo", "budget", "market", "praise")
"""The broker's channels: every way the broker changes a run, in a fixed order.

Each names mechanisms of the model that act only with the broker; a run with the
broker and some channels off keeps the broker in office (its draws, its mediators,
its credibility) but those mechanisms do nothing. With every channel off the run
is the run without the broker on every metric but the broker's own (the draws of
the broker come from its own streams). The seed is
``seed/vp-product-management.txt`` (quoted in :data:`CHANNEL_MECHANISMS`).
"""

CHANNEL_MECHANISMS: dict[str, str] = {
    "cost": (
        "the VP PM's and hired mediators' salaries (QuarterStarted.broker_cost, out of the "
        "budget and the cash) and Product's capacity spent watching across functions "
        "(DepartmentFormed.overhead): 'At start-ups, cash burn is much more important "
        "than job title'"
    ),
    "conflicts": (
        "line PMs detect conflicts before they surface (ConflictDetected channel broker) "
        "and the broker mediates them, neutrally as far as Product is small, instead of "
        "bilateral negotiation: 'You and your PMs spot inconsistencies ... You "
        "thoughtfully facilitate executive-level conflicts'"
    ),
    "ceo": (
        "a failed mediation reaches the CEO with the broker's neutral read, which saves "
        "CEO hours and closes part of the CEO's blind spot (MediationFailed.briefing): "
        "'Ideally, the CEO ... wants your unbiased opinion'"
    ),
    "budget": (
        "the broker's neutral read in the budget cycle damps the heads' bias and the "
        "pull of power (Broker.budget_neutrality): 'implied neutrality in the great "
        "budgetary and reorganization battles'"
    ),
    "market": (
        "the broker notices a market shift and re-prioritises the roadmap before it shows "
        "in the loudest department's numbers (RoadmapRealigned channel broker): 'Are you "
        "missing key segments ... Your try to keep strategy relevant'"
    ),
    "praise": (
        "public praise and private issue-raising build credibility between mediations "
        "(BrokerPraised): 'praise in public, and privately raise issues with department "
        "heads'"
    ),
}
"""What each channel switches, which event shows it, and the seed passage behind it."""


def check_channels(channels: object) -> frozenset[str]:
    """The broker's active channels from a caller's choice (None: all of them).

    Raises:
        ExperimentError: Not a collection of channel names, or a name that is not
            one of :data:`CHANNELS` (every unknown name at once).
    """
    if channels is None:
        return frozenset(CHANNELS)
    if isinstance(channels, str) or not isinstance(channels, Iterable):
        raise ExperimentError(
            f"channels must be a collection of channel names ({', '.join(CHANNELS)}), "
            f"got {channels!r}"
        )
    channels = tuple(channels)
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ExperimentError(
            f"channels: unknown channel(s) {', '.join(repr(c) for c in unknown)}; "
            f"the channels are {', '.join(CHANNELS)}"
        )
    return frozenset(str(c) for c in channels)


class MediatorPool(simpy.Resource):
    """The broker's mediators: a SimPy resource whose number of slots can change mid-run.

    More mediators admit waiting requests at once, in their order; fewer take no
    mediation away from a mediator in it (influence, not command: a mediation under
    way is finished), but no new one starts until fewer are busy than there are
    mediators.
    """

    def resize(self, capacity: int) -> None:
        """Set the number of mediators (at least one: the VP PM)."""
        grow = capacity - int(self._capacity)
        self._capacity = max(1, capacity)
        for _ in range(max(0, grow)):
            self._trigger_put(None)  # admits one waiting request per slot added


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
        channels: The broker's channels that act in this run (:data:`CHANNELS`;
            all of them unless an attribution switched some off).
        mediators: The broker's mediators, a resource of as many slots as the VP PM
            and the Directors (:attr:`~orgsim.scenario.structure.Shape.mediators`),
            resized when an intervention adds or removes mediators.
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
        paces: The renewal processes whose rate follows the live structure, in the
            order they started (:mod:`orgsim.engine.pacing`).
        watchers: Per event type, what checks the conditions of the interventions
            that event can change (:mod:`orgsim.engine.interventions`); empty
            without conditional interventions, so a run without them pays nothing.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        replication: int = 0,
        channels: frozenset[str] | None = None,
    ) -> None:
        self.scenario = sc = scenario
        self.seed = seed
        self.replication = replication
        self.env = env = simpy.Environment(initial_time=0.0)
        self.streams = Streams(seed, replication)
        self.log = EventLog(clock=lambda: env.now)
        self.state: OrgState = self.log.state
        self._append = self.log.record
        self.broker = sc.broker.enabled
        self.channels = frozenset(CHANNELS) if channels is None else channels
        self.shape: Shape = shape(sc)
        self.mediators = MediatorPool(env, capacity=self.shape.mediators)
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
        self.paces: list[Any] = []  # the paced renewal processes (engine.pacing.Pace)
        self.watchers: dict[type[Event], list[Callable[[], None]]] = {}

    def acts(self, channel: str) -> bool:
        """Whether the broker is in office and acts through ``channel`` in this run."""
        return self.broker and channel in self.channels

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
        if self.watchers:  # interventions whose condition this kind of event can change
            for watch in self.watchers.get(cls, ()):
                watch()
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
