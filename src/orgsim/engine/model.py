"""The simulation: SimPy processes that decide, and record every decision as an event.

Each process is a generator named after the activity it models (STYLE.md rule 5):
``roadmap``, ``department_work``, ``budget_cycle``, ``hiring``, ``onboarding``,
``conflict_arrivals``, ``conflict_life``, ``lapse``. They read the run's state and
change it only through ``record`` (the log appends and applies). Every random value
comes from a named stream (:mod:`orgsim.rng`); a conflict draws everything it may
ever need when it is raised, from its kind's stream, and the broker's draws come
from the broker's own streams, so both arms of a comparison see the same world.

The mechanisms and the seed passages they model are documented in docs/model.md.
"""

from __future__ import annotations

import gc
import heapq
import logging
import math
from collections.abc import Generator
from typing import Any

import attrs
import simpy

from orgsim._version import __version__
from orgsim.engine import events as ev
from orgsim.engine.log import EventLog
from orgsim.engine.rng import Streams
from orgsim.engine.state import EPS, OrgState
from orgsim.scenario.distributions import lognormal
from orgsim.scenario.schema import ConflictKind, Scenario

logger = logging.getLogger(__name__)

Proc = Generator[simpy.Event, Any, None]


@attrs.frozen(kw_only=True)
class ConflictDraws:
    """Every random quantity a conflict may need, drawn when it is raised."""

    severity: float
    company_side: str
    effort: float
    surfacing: float
    lifetime: float
    negotiation_days: float
    negotiation_success: float
    negotiation_winner: float
    ceo_days: float
    ceo_success: float
    ceo_insight: float
    ceo_winner: float
    # the broker's, drawn only when the broker exists (its own stream)
    detection: float = math.inf
    mediation_days: float = 0.0
    mediation_success: float = 1.0
    mediation_neutral: float = 1.0
    mediation_winner: float = 1.0


class Run:
    """One replication: the SimPy environment, the streams, the log and the state."""

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
        self.skill = lognormal(1.0, cv) if cv > 0 else None  # individual productivity
        # ID counters live on the run, never at module level (STYLE.md rule 7).
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

    # ----------------------------------------------------------------- running

    def execute(self) -> EventLog:
        """Run to the horizon and return the log."""
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

    def setup(self) -> None:
        """Record the founding facts and start every process."""
        sc, env = self.scenario, self.env
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
            orgsim_version=__version__,
        )
        for name in sc.active_departments:
            d = sc.departments[name]
            self.record(
                ev.DepartmentFormed,
                department=name,
                salary=d.salary,
                bias=d.bias,
                attrition_rate=d.attrition_rate,
            )
        if self.broker:
            b = sc.broker
            self.record(
                ev.BrokerAppointed,
                mediators=b.mediators,
                salary=b.salary,
                credibility=b.initial_credibility,
            )
        for name in sc.active_departments:
            rng = self.streams[f"staff.{name}"]
            for _ in range(sc.departments[name].staff):
                self.hire(name, requisition=-1, ramped=True, rng=rng)
        payroll = sum(
            sc.departments[n].salary * sc.departments[n].staff for n in sc.active_departments
        )
        self.base_budget = payroll * self.quarter_share * sc.budget.headroom
        for product in range(sc.delivery.products):
            rng = self.streams[f"roadmap.{product}"]
            for _ in range(sc.delivery.initial_features):
                self.plan_feature(product, rng)
            env.process(self.roadmap(product))
        for name in sc.active_departments:
            env.process(self.department_work(name))
        env.process(self.budget_cycle())
        for kname, kind in sc.conflicts.kinds.items():
            if kind.enabled and kind.effect != "budget":
                env.process(self.conflict_arrivals(kname, kind))

    # ----------------------------------------------------------------- delivery

    def plan_feature(self, product: int, rng: Any) -> None:
        """A line PM specifies a feature: efforts per stage, value and due date."""
        dl = self.scenario.delivery
        efforts = tuple(stage.effort.draw(rng) for stage in dl.stages)
        value = dl.value.draw(rng)
        due = self.env.now + dl.due_in.draw(rng)
        self.record(
            ev.FeaturePlanned,
            feature=self.next_id("feature"),
            product=product,
            efforts=efforts,
            value=value,
            due=due,
        )

    def roadmap(self, product: int) -> Proc:
        """New features keep arriving on a product's roadmap."""
        rng = self.streams[f"roadmap.{product}"]
        arrival = self.scenario.delivery.feature_interarrival
        while True:
            yield self.env.timeout(arrival.draw(rng))
            self.plan_feature(product, rng)

    def department_work(self, name: str) -> Proc:
        """Each tick a department works its queue and its people may leave."""
        sc, state = self.scenario, self.state
        dl = sc.delivery
        d = state.departments[name]
        tick = dl.tick
        overhead = sc.broker.pm_overhead if self.broker and name == sc.broker.department else 0.0
        drag = sc.conflicts.drag
        per_day = d.attrition_rate / 365.0
        last_stage = len(self.stage_departments) - 1
        while True:
            yield self.env.timeout(tick)
            exposure = drag * d.severity
            mult = max(dl.min_productivity, 1.0 - exposure) * (1.0 - overhead)
            people = d.full_skill + dl.ramp_productivity * d.ramp_skill
            hazard = per_day * (1.0 + sc.talent.conflict_attrition * exposure) * tick
            self.record(
                ev.DayWorked,
                department=name,
                capacity=max(0.0, people) * mult * tick,
                item_cap=dl.team_cap * mult * tick,
                hazard=hazard,
            )
            for item in list(d.done) if d.done else ():
                num = int(item[1:])
                if item[0] == "X":
                    self.record(ev.ExtraWorkCompleted, work=num, value=state.work[num].value)
                    continue
                f = state.features[num]
                if f.stage < last_stage:
                    self.record(ev.StageCompleted, feature=num, stage=f.stage)
                else:
                    late = max(0.0, self.env.now - f.due)
                    value = f.value * 0.5 ** (late / dl.late_value_halflife)
                    self.record(ev.FeatureShipped, feature=num, value=value, late_days=late)
            left = False
            while (emp := state.next_leaver(name)) is not None:
                self.record(ev.EmployeeLeft, employee=emp)
                left = True
            if left:
                self.rebalance(name)

    # ------------------------------------------------------------------- talent

    def hire(self, department: str, requisition: int, ramped: bool, rng: Any) -> int:
        """Someone joins: skill and resilience (attrition threshold) are drawn."""
        skill = self.skill.draw(rng) if self.skill is not None else 1.0
        resilience = float(rng.standard_exponential())
        emp = self.next_id("employee")
        self.record(
            ev.EmployeeHired,
            employee=emp,
            department=department,
            skill=skill,
            resilience=resilience,
            requisition=requisition,
            ramped=ramped,
        )
        return emp

    def target_headcount(self, name: str) -> int:
        """Headcount the department's budget funds and its need justifies."""
        d = self.state.departments[name]
        per_head = max(d.salary * self.quarter_share, EPS)  # a vanishing salary underflows
        funded = int(d.allocated / per_head + EPS)
        wanted = int(d.need / per_head + 0.5)
        return max(0, min(funded, wanted))

    def rebalance(self, name: str) -> None:
        """Open requisitions up to the target headcount, or cancel the newest ones."""
        d = self.state.departments[name]
        target = self.target_headcount(name)
        have = d.staff + d.open_reqs
        if have < target:
            quota = max(1, int(self.scenario.talent.max_hires_per_quarter * d.staff))
            room = quota - self.opened_this_quarter.get(name, 0)
            for _ in range(min(target - have, room)):
                req = self.next_id("requisition")
                self.record(ev.RequisitionOpened, requisition=req, department=name)
                self.opened_this_quarter[name] = self.opened_this_quarter.get(name, 0) + 1
                self.env.process(self.hiring(req))
        elif have > target and d.open_reqs > 0:
            surplus = min(have - target, d.open_reqs)
            mine = [r for r, dept in self.state.requisitions.items() if dept == name]
            for req in reversed(mine[-surplus:]):
                self.record(ev.RequisitionCancelled, requisition=req)

    def hiring(self, requisition: int) -> Proc:
        """A requisition is filled after the time to hire, unless cancelled meanwhile."""
        talent = self.scenario.talent
        dept = self.state.requisitions.get(requisition)
        if dept is None:
            return  # cancelled in the same instant it was opened
        # Per-department streams keep one department's hiring luck independent of
        # how many requisitions the others opened (common random numbers).
        yield self.env.timeout(talent.time_to_hire.draw(self.streams[f"talent.hire.{dept}"]))
        if requisition not in self.state.requisitions:
            return  # cancelled meanwhile
        emp = self.hire(dept, requisition, ramped=False, rng=self.streams[f"talent.people.{dept}"])
        self.env.process(self.onboarding(emp, dept))

    def onboarding(self, employee: int, department: str) -> Proc:
        """A new hire ramps up to full productivity."""
        days = self.scenario.talent.ramp_days.draw(self.streams[f"talent.ramp.{department}"])
        yield self.env.timeout(days)
        person = self.state.employees.get(employee)
        if person is not None and not person.ramped:
            self.record(ev.EmployeeRamped, employee=employee)

    # ------------------------------------------------------------------- budget

    def political_weight(self) -> dict[str, float]:
        """Weight per department: a mix of its budget share and its staff share."""
        depts = self.state.departments
        wb = self.scenario.budget.weight_budget_share
        total_staff = sum(d.staff for d in depts.values()) or 1
        total_budget = sum(max(0.0, d.allocated) for d in depts.values())
        out = {}
        for name, d in depts.items():
            staff_share = d.staff / total_staff
            budget_share = max(0.0, d.allocated) / total_budget if total_budget > 0 else staff_share
            out[name] = wb * budget_share + (1.0 - wb) * staff_share
        return out

    def need(self, name: str) -> float:
        """What a department truly needs next quarter, k$ (before any bias)."""
        sc = self.scenario
        d = self.state.departments[name]
        spec = sc.departments[name]
        # The planned size: the founding headcount grown at the head's target rate.
        planned = spec.staff * (1.0 + spec.growth_target) ** (self.env.now / 365.0)
        floor = max(float(d.staff + d.open_reqs), planned)
        desired = floor
        if name in self.workload:
            backlog_people = self.state.backlog(name) / sc.budget.workload_horizon
            desired = min(max(backlog_people, floor), floor * (1.0 + sc.budget.max_growth))
        return desired * d.salary * self.quarter_share

    def budget_cycle(self) -> Proc:
        """Every quarter departments request budget and the CEO allocates it."""
        sc, state = self.scenario, self.state
        b = sc.broker
        quarter = 0
        while True:
            broker_cost = b.mediators * b.salary * self.quarter_share if self.broker else 0.0
            shipped = state.value_shipped - self.value_at_quarter
            self.value_at_quarter = state.value_shipped
            available = max(
                0.0, self.base_budget + sc.budget.reinvest_share * shipped - broker_cost
            )
            self.record(
                ev.QuarterStarted, quarter=quarter, available=available, broker_cost=broker_cost
            )
            self.opened_this_quarter = {}
            neutral = b.budget_neutrality * self.credibility() if self.broker else 0.0
            gamma = sc.budget.power_exponent * (1.0 - neutral)
            weight = self.political_weight()
            needs, requests, pull = {}, {}, {}
            for name, d in state.departments.items():
                needs[name] = self.need(name)
                requests[name] = needs[name] * (1.0 + d.bias * (1.0 - neutral))
                pull[name] = requests[name] * weight[name] ** gamma
            allocation = water_fill(available, requests, pull)
            for name in state.departments:
                self.record(
                    ev.BudgetAllocated,
                    quarter=quarter,
                    department=name,
                    need=needs[name],
                    request=requests[name],
                    allocated=allocation[name],
                )
            for name in state.departments:
                self.rebalance(name)
            self.budget_disputes()
            yield self.env.timeout(sc.budget.quarter_days)
            quarter += 1

    def budget_disputes(self) -> None:
        """An underfunded department may dispute the best-funded one's share."""
        kinds = [
            (n, k)
            for n, k in self.scenario.conflicts.kinds.items()
            if k.enabled and k.effect == "budget"
        ]
        depts = self.state.departments
        names = list(depts)
        rng = self.streams["budget"]
        for kname, kind in kinds:
            draws = rng.random(len(names))  # a fixed number per quarter, for CRN
            if len(names) < 2:
                continue
            ratio = {n: depts[n].allocated / depts[n].need for n in names if depts[n].need > 0}
            for name, u in zip(names, draws, strict=True):
                if name not in ratio or ratio[name] >= kind.threshold:
                    continue
                if u >= kind.probability * self.scenario.conflicts.intensity:
                    continue
                target = max((n for n in ratio if n != name), key=lambda n: ratio[n], default=None)
                if target is not None and ratio[target] > ratio[name]:
                    self.raise_conflict(kname, kind, name, target)

    # ---------------------------------------------------------------- conflicts

    def credibility(self) -> float:
        """The broker's credibility now, decayed toward its floor since the last change."""
        b = self.scenario.broker
        elapsed = self.env.now - self.credibility_time
        floor = b.credibility_floor
        return floor + (self.state.credibility - floor) * 0.5 ** (elapsed / b.credibility_halflife)

    def conflict_arrivals(self, kname: str, kind: ConflictKind) -> Proc:
        """Conflicts of one kind arrive as a renewal process scaled by intensity."""
        intensity = self.scenario.conflicts.intensity
        if intensity <= 0:
            return
        rng = self.streams[f"arrivals.{kname}"]
        while True:
            yield self.env.timeout(kind.interarrival.draw(rng) / intensity)
            self.raise_conflict(kname, kind, kind.initiator, kind.target)

    def draws(self, kname: str, kind: ConflictKind) -> ConflictDraws:
        """Everything random about a new conflict, in a fixed order per stream."""
        sc = self.scenario
        rng = self.streams[f"conflict.{kname}"]
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
        if self.broker:
            brng = self.streams[f"broker.{kname}"]
            base.update(
                detection=sc.broker.detection.draw(brng),
                mediation_days=sc.broker.mediation.draw(brng),
                mediation_success=brng.random(),
                mediation_neutral=brng.random(),
                mediation_winner=brng.random(),
            )
        return ConflictDraws(**base)

    def raise_conflict(self, kname: str, kind: ConflictKind, initiator: str, target: str) -> None:
        """The initiator's move starts a conflict and has its immediate effect."""
        draws = self.draws(kname, kind)
        cid = self.next_id("conflict")
        self.record(
            ev.ConflictRaised,
            conflict=cid,
            kind=kname,
            initiator=initiator,
            target=target,
            severity=draws.severity,
            company_side=draws.company_side,
        )
        if kind.effect == "extra_work":
            work = self.next_id("work")
            self.work_of[cid] = work
            value = kind.value_if_right if draws.company_side == "initiator" else 0.0
            self.record(
                ev.ExtraWorkAdded,
                work=work,
                conflict=cid,
                department=target,
                effort=draws.effort,
                value=value,
            )
        elif kind.effect == "transfer":
            # the initiator takes the target's best people
            people = heapq.nsmallest(
                kind.transfer_count,
                (
                    (-p.skill, emp)
                    for emp, p in self.state.employees.items()
                    if p.department == target
                ),
            )
            moved = []
            for _, emp in people:
                self.record(
                    ev.EmployeeTransferred,
                    employee=emp,
                    source=target,
                    destination=initiator,
                    conflict=cid,
                )
                moved.append(emp)
            self.transfers[cid] = moved
            self.rebalance(target)
        self.env.process(self.conflict_life(cid, kind, draws))
        self.env.process(self.lapse(cid, draws.lifetime))

    def lapse(self, cid: int, lifetime: float) -> Proc:
        """An unresolved conflict stops mattering after its lifetime."""
        yield self.env.timeout(lifetime)
        if self.state.conflicts[cid].closed < 0:
            self.record(ev.ConflictLapsed, conflict=cid)

    def closed(self, cid: int) -> bool:
        """Whether a conflict has been resolved or has lapsed."""
        return self.state.conflicts[cid].closed >= 0

    def power_winner(self, cid: int, u: float, exponent: float) -> str:
        """Which side prevails by political weight alone, given a uniform draw."""
        c = self.state.conflicts[cid]
        w = self.political_weight()
        a, b = w[c.initiator] ** exponent, w[c.target] ** exponent
        p = a / (a + b) if a + b > 0 else 0.5
        return "initiator" if u < p else "target"

    def conflict_life(self, cid: int, kind: ConflictKind, d: ConflictDraws) -> Proc:
        """Detection, then negotiation or mediation, then the CEO if that fails."""
        sc, env = self.scenario, self.env
        b = sc.broker
        briefing = 0.0
        delay, channel = d.surfacing, "surfaced"
        if self.broker and d.detection < d.surfacing:
            delay, channel = d.detection, "broker"
        yield env.timeout(delay)
        if self.closed(cid):
            return
        self.record(ev.ConflictDetected, conflict=cid, channel=channel)
        room = b.queue_limit == 0 or len(self.mediators.queue) < b.queue_limit
        if self.broker and room:
            self.record(ev.MediationQueued, conflict=cid)
            with self.mediators.request() as slot:
                yield slot
                if self.closed(cid):
                    return
                self.record(ev.MediationStarted, conflict=cid)
                yield env.timeout(d.mediation_days)
            if self.closed(cid):
                return
            cred = self.credibility()
            self.credibility_time = env.now
            if d.mediation_success < b.success_base + b.success_credibility * cred:
                self.record(
                    ev.CredibilityChanged, credibility=cred + b.credibility_gain * (1.0 - cred)
                )
                if d.mediation_neutral < b.neutrality:
                    winner = self.state.conflicts[cid].company_side
                else:
                    winner = self.power_winner(cid, d.mediation_winner, 1.0)
                self.settle(cid, kind, "mediation", winner)
                return
            self.record(ev.MediationFailed, conflict=cid)
            self.record(ev.CredibilityChanged, credibility=cred * (1.0 - b.credibility_loss))
            # The CEO gets the broker's neutral read of the failed mediation: a shorter
            # decision, more often in the company's interest, as far as the broker is
            # believed ("Ideally, the CEO wants your unbiased opinion").
            briefing = b.ceo_briefing * cred
        else:
            self.record(ev.NegotiationStarted, conflict=cid)
            yield env.timeout(d.negotiation_days)
            if self.closed(cid):
                return
            if d.negotiation_success < sc.negotiation.success:
                winner = self.power_winner(cid, d.negotiation_winner, sc.negotiation.power_exponent)
                self.settle(cid, kind, "negotiation", winner)
                return
            self.record(ev.NegotiationFailed, conflict=cid)
        self.record(ev.ConflictEscalated, conflict=cid)
        with self.ceo.request() as slot:
            yield slot
            if self.closed(cid):
                return
            self.record(ev.CeoEngaged, conflict=cid)
            yield env.timeout(d.ceo_days * (1.0 - briefing))
            settled = not self.closed(cid) and d.ceo_success < sc.ceo.success
            self.record(ev.CeoReleased, conflict=cid, settled=settled)
            if settled:
                insight = sc.ceo.insight + (1.0 - sc.ceo.insight) * briefing
                if d.ceo_insight < insight:
                    winner = self.state.conflicts[cid].company_side
                else:
                    winner = self.power_winner(cid, d.ceo_winner, 1.0)
                self.settle(cid, kind, "ceo", winner)

    def settle(self, cid: int, kind: ConflictKind, forum: str, side: str) -> None:
        """Record the resolution and carry out what the winning side's way means."""
        c = self.state.conflicts[cid]
        self.record(
            ev.ConflictResolved,
            conflict=cid,
            forum=forum,
            winner=c.initiator if side == "initiator" else c.target,
            company_interest=side == c.company_side,
        )
        if side == "initiator":
            if kind.effect == "budget":
                src, dst = self.state.departments[c.target], self.state.departments[c.initiator]
                gap = max(0.0, dst.need - dst.allocated)
                amount = min(kind.transfer_share * gap, max(0.0, src.allocated - src.need))
                if amount > 0:
                    self.record(
                        ev.BudgetTransferred,
                        source=c.target,
                        destination=c.initiator,
                        amount=amount,
                        conflict=cid,
                    )
                    self.rebalance(c.target)
                    self.rebalance(c.initiator)
            return
        # the target prevailed: undo what the initiator's move did
        if kind.effect == "extra_work":
            work = self.work_of.get(cid)
            if work is not None and not self.state.work[work].done:
                self.record(ev.ExtraWorkDescoped, work=work)
        elif kind.effect == "transfer":
            for emp in self.transfers.get(cid, ()):
                person = self.state.employees.get(emp)
                if person is not None and person.department == c.initiator:
                    self.record(
                        ev.EmployeeTransferred,
                        employee=emp,
                        source=c.initiator,
                        destination=c.target,
                        conflict=cid,
                    )
            self.rebalance(c.initiator)
            self.rebalance(c.target)


def water_fill(total: float, caps: dict[str, float], pull: dict[str, float]) -> dict[str, float]:
    """Split ``total`` in proportion to ``pull``, never giving anyone more than its cap.

    What a capped department cannot take is shared among the others, again by pull.
    The result sums to ``min(total, sum(caps))``.
    """
    alloc = dict.fromkeys(caps, 0.0)
    active = [k for k in caps if caps[k] > 0]
    remaining = total
    while active and remaining > EPS:
        wsum = sum(pull[k] for k in active)
        if wsum <= 0:
            wsum = float(len(active))
            share = {k: remaining / wsum for k in active}
        else:
            share = {k: remaining * pull[k] / wsum for k in active}
        full = [k for k in active if alloc[k] + share[k] >= caps[k] - EPS]
        if not full:
            for k in active:
                alloc[k] += share[k]
            break
        for k in full:
            remaining -= caps[k] - alloc[k]
            alloc[k] = caps[k]
            active.remove(k)
    return alloc


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    broker: bool | None = None,
) -> Run:
    """Run one replication of a scenario and return the finished run.

    Args:
        scenario: The company and its parameters.
        seed: Root seed; defaults to the scenario's ``seed``.
        replication: Replication number (a separate set of streams per number).
        broker: Override ``scenario.broker.enabled`` (the arm of a comparison).

    Returns:
        The run, whose ``log`` holds every event and ``state`` the final state.
    """
    if broker is not None and broker != scenario.broker.enabled:
        scenario = scenario.with_broker(broker)
    run = Run(scenario, scenario.seed if seed is None else seed, replication)
    run.execute()
    return run
