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

from collections.abc import Generator
from typing import Any

import simpy

from orgsim.engine.log import EventLog
from orgsim.engine.rng import Streams
from orgsim.engine.state import OrgState
from orgsim.scenario.distributions import lognormal
from orgsim.scenario.schema import Scenario

Proc = Generator[simpy.Event, Any, None]
"""A SimPy process: yields events, returns nothing."""


class RunContext:
    """One replication's environment, streams, log, state, counters and bookkeeping.

    Attributes:
        scenario: The company and its parameters (with the arm's broker setting).
        seed: Root seed of the streams.
        replication: Replication number (its own set of streams).
        env: The SimPy environment; ``env.now`` is the log's clock.
        streams: The named random streams of this replication.
        log: The event log; ``record`` is its ``record``.
        state: The live state the log folds to (read it; change it only by ``record``).
        broker: Whether this arm has the broker.
        ceo: The CEO's attention, a resource of ``ceo.slots`` conflicts at a time.
        mediators: The broker's mediators, a resource of ``broker.mediators`` slots.
        stage_departments: The department of each delivery stage, in order.
        workload: Departments whose budget need follows their backlog.
        quarter_share: A budget quarter as a fraction of a year.
        skill: Distribution of individual productivity, or None when all are equal.
        opened_this_quarter: Requisitions opened per department this quarter.
        credibility_time: When the broker's credibility last changed.
        transfers: Employees each poaching conflict moved, by conflict.
        work_of: The extra work item each extra-work conflict added, by conflict.
        base_budget: The quarterly budget the founding payroll sets.
        value_at_quarter: Value shipped by the start of the current quarter.
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0) -> None:
        self.scenario = sc = scenario
        self.seed = seed
        self.replication = replication
        self.env = env = simpy.Environment(initial_time=0.0)
        self.streams = Streams(seed, replication)
        self.log = EventLog(clock=lambda: env.now)
        self.state: OrgState = self.log.state
        self.record = self.log.record
        self.broker = sc.broker.enabled
        self.ceo = simpy.Resource(env, capacity=sc.ceo.slots)
        self.mediators = simpy.Resource(env, capacity=sc.broker.mediators)
        self.stage_departments = tuple(s.department for s in sc.delivery.stages)
        self.workload = set(self.stage_departments) | {
            k.target for k in sc.conflicts.kinds.values() if k.enabled and k.effect == "extra_work"
        }
        self.quarter_share = sc.budget.quarter_days / 365.0
        cv = sc.talent.skill_cv
        self.skill = lognormal(1.0, cv) if cv > 0 else None
        self._ids: dict[str, int] = {}
        self.opened_this_quarter: dict[str, int] = {}
        self.credibility_time = 0.0
        self.transfers: dict[int, list[int]] = {}
        self.work_of: dict[int, int] = {}
        self.base_budget = 0.0
        self.value_at_quarter = 0.0

    def next_id(self, kind: str) -> int:
        """The next identifier of a kind of entity (employees, features, ...)."""
        n = self._ids.get(kind, 0)
        self._ids[kind] = n + 1
        return n
