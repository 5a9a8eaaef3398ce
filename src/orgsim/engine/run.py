"""One replication: record the founding facts, start every process, run to the horizon.

A company that runs out of cash first stops there: the company timer
(:meth:`~orgsim.engine.context.RunContext.set_cash_timer`) records ``CompanyFailed``
and stops the environment at that instant, and ``RunEnded`` follows at it.

The processes are generator functions named after the activity they model
(STYLE.md rule 5), one module per mechanism: :mod:`~orgsim.engine.delivery`
(``roadmap``, and ``work_due`` when a department's timer goes off),
:mod:`~orgsim.engine.talent` (``hiring``, ``onboarding``),
:mod:`~orgsim.engine.budget` (``budget_cycle``),
:mod:`~orgsim.engine.conflicts` (``conflict_arrivals``, ``conflict_life``,
``lapse``), :mod:`~orgsim.engine.market` (``market_drift``) and
:mod:`~orgsim.engine.broker` (mediation, ``praising``). Each takes the
:class:`~orgsim.engine.context.RunContext` and changes the run only through its
``record`` (the log appends and applies). Every random value comes from a named
stream (:mod:`orgsim.engine.rng`); a conflict draws everything it may ever need when
it is raised, from its kind's stream, and the broker's draws come from the broker's
own streams, so both arms of a comparison see the same world.

The mechanisms and the seed passages they model are documented in docs/model.md.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Sequence

from orgsim._version import __version__
from orgsim.engine import events as ev
from orgsim.engine.broker import praising, take_office
from orgsim.engine.budget import budget_cycle
from orgsim.engine.conflicts import conflict_arrivals
from orgsim.engine.context import RunContext, check_channels
from orgsim.engine.delivery import plan_feature, roadmap, work_due
from orgsim.engine.interventions import arm
from orgsim.engine.log import EventLog
from orgsim.engine.market import market_drift
from orgsim.engine.talent import hire
from orgsim.scenario.interventions import Intervention
from orgsim.scenario.loading import check_interventions
from orgsim.scenario.schema import Scenario

logger = logging.getLogger(__name__)

#: The department whose founding headcount sizes the customer base.
SALES = "sales"


class Run(RunContext):
    """One replication: its context (environment, streams, log, state), set up and run.

    A run is the context its processes share, so ``run.log``, ``run.state`` and the
    rest are read off it directly, and a replaced ``run.record`` is what every
    process records through.
    """

    def execute(self) -> EventLog:
        """Run to the horizon, or to the instant the cash runs out, and return the log."""
        self.setup()
        # While a run goes, nothing it built becomes garbage, so the cyclic collector
        # would only rescan the growing log (13% of an enterprise run): off while
        # running, back on afterwards to collect the run when it is dropped.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=self.scenario.horizon)
        finally:
            if enabled:
                gc.enable()
        self.record(ev.RunEnded)
        logger.debug("run %s/%s ended with %d events", self.seed, self.replication, len(self.log))
        return self.log

    #: Interventions beyond the scenario's own (a fork's), armed after them.
    extra: tuple[Intervention, ...] = ()

    def setup(self) -> None:
        """Record the founding facts, start every process, arm the interventions."""
        self.found()
        self.start()
        arm(self, (*self.scenario.interventions, *self.extra))

    def found(self) -> None:
        """Record the run, its departments, the broker, the founding staff and budget."""
        sc = self.scenario
        self.record(
            ev.RunStarted,
            scenario=sc.name,
            scenario_hash=sc.digest(),
            seed=self.seed,
            replication=self.replication,
            broker=self.broker,
            horizon=sc.horizon,
            quarter_days=sc.budget.quarter_days,
            stage_names=tuple(s.name for s in sc.delivery.stages),
            stage_departments=self.stage_departments,
            hiring_cost=sc.talent.hiring_cost,
            drag=sc.conflicts.drag,
            min_productivity=sc.delivery.min_productivity,
            ramp_productivity=sc.delivery.ramp_productivity,
            team_cap=sc.delivery.team_cap,
            conflict_attrition=sc.talent.conflict_attrition,
            ceo_hours_per_week=sc.ceo.hours_per_week,
            ceo_max_hours_per_week=sc.ceo.max_hours_per_week,
            orgsim_version=__version__,
        )
        b = sc.broker
        for name in sc.active_departments:
            d = sc.departments[name]
            self.record(
                ev.DepartmentFormed,
                department=name,
                salary=d.salary,
                bias=d.bias,
                attrition=d.attrition,
                overhead=b.pm_overhead if self.acts("cost") and name == b.department else 0.0,
                teams=self.shape.teams[name],
                layers=self.shape.layers[name],
            )
        if self.broker:
            take_office(self, self.shape)
        for name in sc.active_departments:
            rng = self.streams[f"staff.{name}"]
            for _ in range(sc.departments[name].staff):
                hire(self, name, requisition=-1, ramped=True, rng=rng)
        payroll = sum(
            sc.departments[n].salary * sc.departments[n].staff for n in sc.active_departments
        )
        self.record(
            ev.BudgetFounded,
            base_budget=payroll * self.quarter_share * sc.budget.headroom,
            cash=sc.budget.cash,
            cash_share=sc.budget.cash_share,
        )
        self.found_support()

    def found_support(self) -> None:
        """Customers: the issues they raise, in proportion to the founding Sales staff.

        "Engineering is stealing Tech Support's best talent" costs what Support's
        best people did: the customer issues they worked. The demand is fixed for the
        run (the customers were sold before it), and there is none when Support or
        Sales is not in the company, or the demand is 0.
        """
        sc = self.scenario
        sup = sc.support
        active = sc.active_departments
        demand = sup.demand * sc.departments[SALES].staff if SALES in active else 0.0
        if sup.department in active and demand > 0.0:
            self.record(
                ev.SupportFounded,
                department=sup.department,
                demand=demand,
                backlog_cost=sup.backlog_cost,
                abandonment=sup.abandonment,
            )

    def start(self) -> None:
        """Plan the initial roadmaps and start every process, in a fixed order.

        The order matters: processes scheduled for the same instant run in the
        order they were started, so it is part of what makes a seed's log.
        """
        sc, env = self.scenario, self.env
        self.on_due = work_due
        for product in range(sc.delivery.products):
            rng = self.streams[f"roadmap.{product}"]
            for _ in range(sc.delivery.initial_features):
                plan_feature(self, product, rng)
            env.process(roadmap(self, product))
        env.process(budget_cycle(self))
        for kname, kind in sc.conflicts.kinds.items():
            if kind.enabled and kind.effect != "budget":
                env.process(conflict_arrivals(self, kname, kind))
        for product in range(sc.delivery.products):
            env.process(market_drift(self, product))
        if self.acts("praise"):
            env.process(praising(self))


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    broker: bool | None = None,
    channels: Iterable[str] | None = None,
    interventions: Sequence[Intervention] = (),
) -> Run:
    """Run one replication of a scenario and return the finished run.

    Args:
        scenario: The company and its parameters.
        seed: Root seed; defaults to the scenario's ``seed``.
        replication: Replication number (a separate set of streams per number).
        broker: Override ``scenario.broker.enabled`` (the arm of a comparison).
        channels: The broker's channels that act (:data:`~orgsim.engine.context.CHANNELS`);
            None: all of them, the run as it always was. With fewer, the broker is
            in office but the others do nothing, and the log says which act
            (``BrokerChannelsLimited``). Ignored without the broker.
        interventions: Interventions beyond the scenario's own, armed after them
            (a fork's change at its day). They are not part of the scenario, so the
            run's ``RunStarted`` is the scenario's and the log before they fire is
            the scenario's own, byte for byte.

    Returns:
        The run, whose ``log`` holds every event and ``state`` the final state.

    Raises:
        ExperimentError: ``channels`` names something that is not a channel.
        ScenarioError: An extra intervention is not valid for the scenario.
    """
    if broker is not None:
        scenario = scenario.with_broker(broker)
    active = check_channels(channels)
    extra = tuple(interventions)
    if extra:
        check_interventions(scenario, extra)
    run = Run(scenario, scenario.seed if seed is None else seed, replication, active)
    run.extra = extra
    run.execute()
    return run
