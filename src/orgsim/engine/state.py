"""The state of a company, and ``apply``: the only code that changes it.

Processes read this state to decide; they change it only by recording events, which
the log hands to :func:`apply`. One handler per event type, chosen from a dict (the
aggregate projector of STYLE.md rule 4). Folding a log from the start through
:func:`fold` rebuilds the state exactly, which is what replay and audit rest on.

For speed, handlers change the state object in place, and the state keeps a few
derived indexes (priority queues of work, attrition heaps) that handlers maintain;
:meth:`OrgState.snapshot` leaves those out when states are compared.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from orgsim.engine import events as ev

EPS = 1e-9

# Priority classes in a department queue: unplanned work imposed by a conflict
# jumps the queue (a deal or a privacy fix is urgent), then features by due date.
EXTRA_PRIORITY = 0
FEATURE_PRIORITY = 1


@attrs.define(slots=True)
class Dept:
    """A department's live figures."""

    name: str
    salary: float = 0.0
    bias: float = 0.0
    attrition_rate: float = 0.0
    staff: int = 0
    full_skill: float = 0.0
    ramp_skill: float = 0.0
    hazard: float = 0.0
    severity: float = 0.0
    open_reqs: int = 0
    allocated: float = 0.0
    need: float = 0.0
    # queue of (priority, key, serial, target, item) sorted ascending; ``target``
    # is the Feature or Work itself, so the daily allocation needs no look-ups
    queue: list[tuple[int, float, int, Any, str]] = attrs.field(factory=list)
    leavers: list[tuple[float, int]] = attrs.field(factory=list)
    done: list[str] = attrs.field(factory=list)  # queued items with no work left
    entries: dict[str, tuple[int, float, int, Any, str]] = attrs.field(factory=dict)


@attrs.define(slots=True)
class Employee:
    """One person."""

    department: str
    skill: float
    threshold: float
    ramped: bool


@attrs.define(slots=True)
class Feature:
    """One roadmap feature."""

    product: int
    efforts: tuple[float, ...]
    value: float
    due: float
    planned: float
    stage: int = 0
    remaining: float = 0.0
    shipped: float = -1.0


@attrs.define(slots=True)
class Work:
    """Unplanned work imposed by a conflict."""

    conflict: int
    department: str
    remaining: float
    value: float
    done: bool = False


@attrs.define(slots=True)
class Conflict:
    """One conflict and where it stands."""

    kind: str
    initiator: str
    target: str
    severity: float
    company_side: str
    raised: float
    status: str = "latent"
    detected: float = -1.0
    closed: float = -1.0


@attrs.define(slots=True)
class OrgState:
    """Everything a run knows at one moment."""

    time: float = 0.0
    seq: int = -1
    scenario: str = ""
    seed: int = 0
    replication: int = 0
    broker: bool = False
    horizon: float = 0.0
    quarter_days: float = 91.0
    hiring_cost: float = 0.0
    ended: bool = False
    stage_names: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()  # department of each stage
    departments: dict[str, Dept] = attrs.field(factory=dict)
    employees: dict[int, Employee] = attrs.field(factory=dict)
    requisitions: dict[int, str] = attrs.field(factory=dict)
    features: dict[int, Feature] = attrs.field(factory=dict)
    work: dict[int, Work] = attrs.field(factory=dict)
    conflicts: dict[int, Conflict] = attrs.field(factory=dict)
    mediators: int = 0
    broker_salary: float = 0.0
    credibility: float = 0.0
    quarter: int = -1
    available: float = 0.0
    value_shipped: float = 0.0
    serial: int = 0

    # ------------------------------------------------------------------ queries

    def backlog(self, department: str) -> float:
        """Person-days of work queued in a department."""
        return sum(entry[3].remaining for entry in self.departments[department].queue)

    def next_leaver(self, department: str) -> int | None:
        """The employee whose resilience the department's hazard has used up."""
        d = self.departments[department]
        heap = d.leavers
        while heap:
            threshold, emp = heap[0]
            person = self.employees.get(emp)
            if person is None or person.department != department or person.threshold != threshold:
                heapq.heappop(heap)  # stale entry: left or moved since
                continue
            return emp if threshold <= d.hazard else None
        return None

    def open_conflicts(self) -> Iterable[tuple[int, Conflict]]:
        """Conflicts not yet resolved or lapsed."""
        return ((k, c) for k, c in self.conflicts.items() if c.closed < 0)

    def snapshot(self) -> dict[str, Any]:
        """Comparable plain form of the state, without derived indexes."""
        data = attrs.asdict(self, recurse=True)
        for d in data["departments"].values():
            d.pop("leavers")
            d.pop("entries")
        return data


# --------------------------------------------------------------------- handlers

Handler = Callable[[OrgState, Any], None]
HANDLERS: dict[type[ev.Event], Handler] = {}


def handles(cls: type[ev.Event]) -> Callable[[Handler], Handler]:
    """Register the state handler of one event type."""

    def deco(fn: Handler) -> Handler:
        HANDLERS[cls] = fn
        return fn

    return deco


def _enqueue(
    s: OrgState, department: str, priority: int, key: float, item: str, remaining: float
) -> None:
    s.serial += 1
    d = s.departments[department]
    num = int(item[1:])
    target = s.features[num] if item[0] == "F" else s.work[num]
    entry = (priority, key, s.serial, target, item)
    d.entries[item] = entry
    bisect.insort(d.queue, entry)
    if remaining <= EPS:
        d.done.append(item)


def _dequeue(s: OrgState, department: str, item: str) -> None:
    d = s.departments[department]
    if item in d.done:
        d.done.remove(item)
    entry = d.entries.pop(item, None)
    if entry is None:
        raise KeyError(f"{item} is not queued in {department}")
    # (priority, key, serial) is unique, so bisection never compares the targets
    del d.queue[bisect.bisect_left(d.queue, entry)]


@handles(ev.RunStarted)
def _run_started(s: OrgState, e: ev.RunStarted) -> None:
    s.scenario = e.scenario
    s.seed = e.seed
    s.replication = e.replication
    s.broker = e.broker
    s.horizon = e.horizon
    s.quarter_days = e.quarter_days
    s.stage_names = e.stage_names
    s.stages = e.stage_departments
    s.hiring_cost = e.hiring_cost


@handles(ev.RunEnded)
def _run_ended(s: OrgState, e: ev.RunEnded) -> None:
    s.ended = True


@handles(ev.DepartmentFormed)
def _department_formed(s: OrgState, e: ev.DepartmentFormed) -> None:
    s.departments[e.department] = Dept(
        name=e.department, salary=e.salary, bias=e.bias, attrition_rate=e.attrition_rate
    )


@handles(ev.BrokerAppointed)
def _broker_appointed(s: OrgState, e: ev.BrokerAppointed) -> None:
    s.mediators = e.mediators
    s.broker_salary = e.salary
    s.credibility = e.credibility


@handles(ev.RequisitionOpened)
def _req_opened(s: OrgState, e: ev.RequisitionOpened) -> None:
    s.requisitions[e.requisition] = e.department
    s.departments[e.department].open_reqs += 1


@handles(ev.RequisitionCancelled)
def _req_cancelled(s: OrgState, e: ev.RequisitionCancelled) -> None:
    s.departments[s.requisitions.pop(e.requisition)].open_reqs -= 1


@handles(ev.EmployeeHired)
def _hired(s: OrgState, e: ev.EmployeeHired) -> None:
    d = s.departments[e.department]
    if e.requisition >= 0:
        del s.requisitions[e.requisition]
        d.open_reqs -= 1
    threshold = d.hazard + e.resilience
    s.employees[e.employee] = Employee(e.department, e.skill, threshold, e.ramped)
    d.staff += 1
    if e.ramped:
        d.full_skill += e.skill
    else:
        d.ramp_skill += e.skill
    heapq.heappush(d.leavers, (threshold, e.employee))


@handles(ev.EmployeeRamped)
def _ramped(s: OrgState, e: ev.EmployeeRamped) -> None:
    p = s.employees[e.employee]
    d = s.departments[p.department]
    p.ramped = True
    d.ramp_skill -= p.skill
    d.full_skill += p.skill


def _remove_person(s: OrgState, p: Employee) -> None:
    d = s.departments[p.department]
    d.staff -= 1
    if p.ramped:
        d.full_skill -= p.skill
    else:
        d.ramp_skill -= p.skill


@handles(ev.EmployeeLeft)
def _left(s: OrgState, e: ev.EmployeeLeft) -> None:
    _remove_person(s, s.employees.pop(e.employee))


@handles(ev.EmployeeTransferred)
def _transferred(s: OrgState, e: ev.EmployeeTransferred) -> None:
    p = s.employees[e.employee]
    _remove_person(s, p)
    old, new = s.departments[e.source], s.departments[e.destination]
    p.threshold = new.hazard + (p.threshold - old.hazard)
    p.department = e.destination
    new.staff += 1
    if p.ramped:
        new.full_skill += p.skill
    else:
        new.ramp_skill += p.skill
    heapq.heappush(new.leavers, (p.threshold, e.employee))


@handles(ev.FeaturePlanned)
def _planned(s: OrgState, e: ev.FeaturePlanned) -> None:
    f = Feature(e.product, e.efforts, e.value, e.due, e.time, 0, e.efforts[0])
    s.features[e.feature] = f
    _enqueue(s, s.stages[0], FEATURE_PRIORITY, e.due, f"F{e.feature}", f.remaining)


@handles(ev.DayWorked)
def _day_worked(s: OrgState, e: ev.DayWorked) -> None:
    d = s.departments[e.department]
    d.hazard += e.hazard
    left = e.capacity
    cap = e.item_cap
    done = d.done
    for _, _, _, target, item in d.queue:
        if left <= EPS:
            break
        remaining = target.remaining
        if remaining <= EPS:
            continue
        spent = cap if cap < remaining else remaining
        if left < spent:
            spent = left
        target.remaining = remaining = remaining - spent
        left -= spent
        if remaining <= EPS:
            done.append(item)


@handles(ev.StageCompleted)
def _stage_completed(s: OrgState, e: ev.StageCompleted) -> None:
    f = s.features[e.feature]
    item = f"F{e.feature}"
    _dequeue(s, s.stages[f.stage], item)
    f.stage += 1
    f.remaining = f.efforts[f.stage]
    _enqueue(s, s.stages[f.stage], FEATURE_PRIORITY, f.due, item, f.remaining)


@handles(ev.FeatureShipped)
def _shipped(s: OrgState, e: ev.FeatureShipped) -> None:
    f = s.features[e.feature]
    _dequeue(s, s.stages[f.stage], f"F{e.feature}")
    f.stage = len(s.stages)
    f.remaining = 0.0
    f.shipped = e.time
    s.value_shipped += e.value


@handles(ev.ExtraWorkAdded)
def _work_added(s: OrgState, e: ev.ExtraWorkAdded) -> None:
    s.work[e.work] = Work(e.conflict, e.department, e.effort, e.value)
    _enqueue(s, e.department, EXTRA_PRIORITY, e.time, f"X{e.work}", e.effort)


def _close_work(s: OrgState, work: int) -> Work:
    w = s.work[work]
    _dequeue(s, w.department, f"X{work}")
    w.done = True
    w.remaining = 0.0
    return w


@handles(ev.ExtraWorkCompleted)
def _work_completed(s: OrgState, e: ev.ExtraWorkCompleted) -> None:
    _close_work(s, e.work)
    s.value_shipped += e.value


@handles(ev.ExtraWorkDescoped)
def _work_descoped(s: OrgState, e: ev.ExtraWorkDescoped) -> None:
    _close_work(s, e.work)


@handles(ev.QuarterStarted)
def _quarter(s: OrgState, e: ev.QuarterStarted) -> None:
    s.quarter = e.quarter
    s.available = e.available


@handles(ev.BudgetAllocated)
def _allocated(s: OrgState, e: ev.BudgetAllocated) -> None:
    d = s.departments[e.department]
    d.allocated = e.allocated
    d.need = e.need


@handles(ev.BudgetTransferred)
def _budget_transferred(s: OrgState, e: ev.BudgetTransferred) -> None:
    s.departments[e.source].allocated -= e.amount
    s.departments[e.destination].allocated += e.amount


@handles(ev.ConflictRaised)
def _raised(s: OrgState, e: ev.ConflictRaised) -> None:
    s.conflicts[e.conflict] = Conflict(
        e.kind, e.initiator, e.target, e.severity, e.company_side, e.time
    )
    s.departments[e.initiator].severity += e.severity
    s.departments[e.target].severity += e.severity


def _status(status: str) -> Handler:
    def handler(s: OrgState, e: Any) -> None:
        s.conflicts[e.conflict].status = status

    return handler


@handles(ev.ConflictDetected)
def _detected(s: OrgState, e: ev.ConflictDetected) -> None:
    c = s.conflicts[e.conflict]
    c.status = "detected"
    c.detected = e.time


HANDLERS[ev.NegotiationStarted] = _status("negotiating")
HANDLERS[ev.NegotiationFailed] = _status("failed")
HANDLERS[ev.MediationQueued] = _status("queued")
HANDLERS[ev.MediationStarted] = _status("mediating")
HANDLERS[ev.MediationFailed] = _status("failed")
HANDLERS[ev.ConflictEscalated] = _status("escalated")
HANDLERS[ev.CeoEngaged] = _status("ceo")


@handles(ev.CeoReleased)
def _ceo_released(s: OrgState, e: ev.CeoReleased) -> None:
    c = s.conflicts[e.conflict]
    if c.closed < 0 and not e.settled:
        c.status = "stuck"


@handles(ev.CredibilityChanged)
def _credibility(s: OrgState, e: ev.CredibilityChanged) -> None:
    s.credibility = e.credibility


def _close(s: OrgState, conflict: int, status: str, time: float) -> None:
    c = s.conflicts[conflict]
    c.status = status
    c.closed = time
    s.departments[c.initiator].severity -= c.severity
    s.departments[c.target].severity -= c.severity


@handles(ev.ConflictResolved)
def _resolved(s: OrgState, e: ev.ConflictResolved) -> None:
    _close(s, e.conflict, "resolved", e.time)


@handles(ev.ConflictLapsed)
def _lapsed(s: OrgState, e: ev.ConflictLapsed) -> None:
    _close(s, e.conflict, "lapsed", e.time)


def apply(state: OrgState, event: ev.Event) -> None:
    """Apply one event to the state (the only way state changes)."""
    HANDLERS[type(event)](state, event)
    state.time = event.time
    state.seq = event.seq


def fold(events: Iterable[ev.Event], until: float = math.inf) -> OrgState:
    """Rebuild the state from a log, up to and including time ``until``.

    Args:
        events: The log, in order, starting with ``RunStarted``.
        until: Stop before the first event later than this time.
    """
    state = OrgState()
    for e in events:
        if e.time > until:
            break
        apply(state, e)
    return state
