"""The state of a company, and ``apply``: the only code that changes it.

Processes read this state to decide; they change it only by recording events, which
the log hands to :func:`apply`. One handler per event type, chosen from a dict (the
aggregate projector of STYLE.md rule 4). Folding a log from the start through
:func:`fold` rebuilds the state exactly, which is what replay and audit rest on:
everything a decision reads (work left, attrition hazard, the broker's credibility,
this quarter's requisitions, the queues for the mediators and the CEO, the next
identifiers) is here, and the parameters its flows need are in the log's own
``RunStarted`` and ``DepartmentFormed``.

**Work and attrition are flows.** Between two events a department's capacity and
its people's attrition hazard are constant, so the state holds each department's
work and cumulative hazard as of the instant ``since`` it was last brought up to
date, with the rates that hold from then on. Every handler that changes what a
rate depends on (people, conflicts, the queue) first advances the department to
the event's time at the old rates (:func:`_advance`), then changes it, then
recomputes the rates (:func:`_rates`): capacity split among the queue in priority
order, at most the team cap per item, and the next instant something finishes or
someone leaves (``Dept.next_time``), which the engine schedules. The answer is
exact, whatever order departments are declared or processed in.

**The CEO's attention is a flow too**, of hours: the escalations on the CEO's
desk (:class:`Desk`) share ``ceo.hours_per_week`` in order of arrival, at most
``ceo.max_hours_per_week`` each, by the same rule as a department's queue; when
one joins or leaves, the others' rates and finishing instants are recomputed, and
the desk's next finishing instant (``Desk.next_time``) is what the engine's desk
timer is set for.

**Cash is a flow too.** The balance as of ``cash_since`` falls at ``burn`` (the
payroll and the broker's cost, per day) until the next event; income (value
shipped) and hiring costs are lumps at their instant, so ``cash_out``, the instant
the balance reaches zero, is exact, and the engine's company timer waits for it.

For speed, handlers change the state object in place, and the state keeps a few
derived indexes (the queue's entry index, the heaps of finishing instants and of
attrition thresholds, each department's staff by number and by skill, the set of
departments whose next instant moved); :meth:`OrgState.snapshot` leaves those out
when states are compared.
"""

from __future__ import annotations

import bisect
import heapq
import json
import math
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from orgsim.engine import events as ev

EPS = 1e-9

#: Work (person-days) below which an item counts as finished: far below anything a
#: person does in a second, far above the rounding of ``remaining - rate * dt``.
WORK_EPS = 1e-6

# Priority classes in a department queue: unplanned work imposed by a conflict
# jumps the queue (a deal or a privacy fix is urgent), then features by due date.
EXTRA_PRIORITY = 0
FEATURE_PRIORITY = 1

Entry = tuple[int, float, int, Any, str]
"""A queue entry: (priority, key, serial, item, name); ``item`` is the Feature or Work."""


@attrs.define(slots=True)
class Dept:
    """A department's live figures.

    Work and hazard are as of ``since``; ``capacity``, ``item_cap``, ``hazard_rate``
    and each served item's ``rate`` hold from ``since`` until the next event.
    """

    name: str
    salary: float = 0.0
    bias: float = 0.0
    attrition: float = 0.0
    base_hazard: float = 0.0  # per day: -ln(1 - attrition) / 365
    overhead: float = 0.0
    staff: int = 0
    full_skill: float = 0.0
    ramp_skill: float = 0.0
    severity: float = 0.0
    teams: int = 1
    layers: int = 1
    drag: float = 0.0  # productivity lost per unit of severity: one team's share
    open_reqs: int = 0
    opened: int = 0  # requisitions opened this quarter
    allocated: float = 0.0
    need: float = 0.0
    since: float = 0.0
    hazard: float = 0.0  # cumulative attrition hazard at ``since``
    hazard_rate: float = 0.0  # per day
    capacity: float = 0.0  # person-days per day
    item_cap: float = 0.0  # person-days per day one item can absorb
    full: int = 0  # the first ``full`` queued items get ``item_cap`` each
    busy: float = 0.0  # person-days per day being worked (capacity, or less)
    worked: float = 0.0  # person-days worked up to ``since``
    offered: float = 0.0  # person-days of capacity up to ``since``, worked or idle
    next_time: float = math.inf  # next instant an item finishes or someone leaves
    queue: list[Entry] = attrs.field(factory=list)  # sorted ascending
    done: list[Entry] = attrs.field(factory=list)  # finished, not yet handed on
    fresh: list[Entry] = attrs.field(factory=list)  # queued since the rates were set
    finishes: list[tuple[float, int, Entry]] = attrs.field(factory=list)  # heap
    leavers: list[tuple[float, int]] = attrs.field(factory=list)
    entries: dict[str, Entry] = attrs.field(factory=dict)
    people: dict[int, Employee] = attrs.field(factory=dict)  # its staff, by employee
    ranked: list[tuple[float, int]] = attrs.field(factory=list)  # (-skill, employee), sorted
    # customer issues (the support department only; see _advance_issues)
    demand: float = 0.0  # person-days of issues a day, fixed for the run
    issues: float = 0.0  # backlog of issues at ``since``, person-days
    issue_area: float = 0.0  # integral of the backlog over [0, since], person-days x days
    served: float = 0.0  # person-days per day of capacity going to issues from ``since``
    abandonment: float = 0.0  # share of waiting issues given up per day


@attrs.define(slots=True)
class Employee:
    """One person: their pay stays with them when they move; ``moves`` counts moves."""

    department: str
    skill: float
    threshold: float
    ramped: bool
    salary: float = 0.0
    moves: int = 0


@attrs.define(slots=True)
class Feature:
    """One roadmap feature; ``remaining`` is the work left in its current stage at ``t0``.

    Its work goes down at ``rate`` from ``t0`` on (:func:`remaining_at`), finishing
    at ``finish`` unless the rate changes first.
    """

    product: int
    efforts: tuple[float, ...]
    value: float
    due: float
    planned: float
    stage: int = 0
    remaining: float = 0.0  # at ``t0``
    shipped: float = -1.0
    rate: float = 0.0  # person-days per day since ``t0``
    t0: float = 0.0
    finish: float = math.inf
    serial: int = -1  # of its queue entry
    epoch: int = 0  # the roadmap's epoch (market shifts followed) when planned


@attrs.define(slots=True)
class Work:
    """Unplanned work imposed by a conflict."""

    conflict: int
    department: str
    remaining: float  # at ``t0``
    value: float
    done: bool = False
    rate: float = 0.0
    t0: float = 0.0
    finish: float = math.inf
    serial: int = -1


@attrs.define(slots=True)
class Conflict:
    """One conflict and where it stands.

    ``moved`` are the people its poaching moved, ``work`` the extra work it imposed
    (-1 for none): what undoing the initiator's move needs. ``briefing`` is the
    broker's read the CEO gets after a failed mediation (0 without one).
    """

    kind: str
    initiator: str
    target: str
    severity: float
    company_side: str
    raised: float
    status: str = "latent"
    detected: float = -1.0
    closed: float = -1.0
    moved: tuple[int, ...] = ()
    work: int = -1
    briefing: float = 0.0
    winner: str = ""  # the department that prevailed, once resolved
    incident: float = -1.0  # when the initiator's move caused a privacy incident


#: Days in a week: the CEO's hours are given per week, the clock runs in days.
DAYS_PER_WEEK = 7.0


_MANY = 2**62
"""More escalations than a desk can hold: a per-escalation cap this small binds every one."""


@attrs.define(slots=True)
class DeskItem:
    """One escalation on the CEO's desk.

    ``remaining`` hours of CEO time are left at ``t0``, going down at ``rate``
    hours a week from then on; ``finish`` is when they run out at that rate
    (``inf`` while the escalation waits).
    """

    hours: float  # needed when it joined the desk, after the broker's briefing
    remaining: float  # at ``t0``
    t0: float
    rate: float = 0.0  # hours a week
    finish: float = math.inf


@attrs.define(slots=True)
class Desk:
    """The CEO's desk: the open escalations sharing the hours the CEO gives them.

    Seed: escalations go "up to the CEO", whose time is the scarcest in the
    company; a decision needs meetings, and meetings need calendar time, so no
    escalation can take all of it. The rule of a department's flow: the desk gives
    ``hours_per_week`` in all, at most ``max_hours_per_week`` to one escalation, in
    order of arrival: the first ``full = floor(hours_per_week / max_hours_per_week)``
    get the cap each, the next one what is left (``marginal``), the rest wait at
    rate 0. Rates are in hours a week and the clock in days, so an escalation
    needing ``h`` hours at rate ``r`` finishes ``7 h / r`` days on.

    ``worked`` is the CEO hours spent up to ``since`` (``busy`` hours a week from
    then on); ``needed`` the hours of every escalation that joined and
    ``dropped`` the hours left undone by those that left undecided, so that
    ``worked + Σ remaining + dropped == needed`` at any instant.
    """

    hours_per_week: float = 0.0
    max_hours_per_week: float = 0.0
    full: int = 0
    marginal: float = 0.0  # hours a week of the first escalation after the full ones
    since: float = 0.0
    busy: float = 0.0  # hours a week being spent, from ``since`` on
    worked: float = 0.0  # hours spent up to ``since``
    needed: float = 0.0
    dropped: float = 0.0
    engaged: int = 0  # escalations getting CEO time (rate > 0)
    next_time: float = math.inf  # next instant an escalation's hours run out
    items: dict[int, DeskItem] = attrs.field(factory=dict)  # by conflict, arrival order

    def configure(self, hours_per_week: float, max_hours_per_week: float) -> None:
        """Set the CEO's hours; the split is computed in hours a week, so it is exact."""
        self.hours_per_week, self.max_hours_per_week = hours_per_week, max_hours_per_week
        if hours_per_week <= 0.0 or max_hours_per_week <= 0.0:
            self.full, self.marginal = 0, 0.0
            return
        ratio = hours_per_week // max_hours_per_week
        if ratio >= _MANY:  # a cap so small that no desk could fill the CEO's hours
            self.full, self.marginal = _MANY, 0.0
            return
        self.full = int(ratio)
        marginal = hours_per_week - self.full * max_hours_per_week
        # a remainder from rounding alone would give an escalation a rate of ~0
        self.marginal = marginal if marginal > EPS * hours_per_week else 0.0

    def remaining_at(self, conflict: int, t: float) -> float:
        """Hours of CEO time an escalation on the desk still needs at ``t``."""
        item = self.items[conflict]
        return item.remaining - item.rate * (t - item.t0) / DAYS_PER_WEEK

    def worked_at(self, t: float) -> float:
        """CEO hours spent on escalations up to ``t`` (at or after ``since``)."""
        return self.worked + self.busy * (t - self.since) / DAYS_PER_WEEK

    def due(self, t: float) -> list[int]:
        """Escalations whose hours have run out by ``t``, in order of arrival.

        Reads the finishing instants that set ``next_time``, so the escalation that
        set it is always among them when ``t`` is that instant.
        """
        return [c for c, item in self.items.items() if item.rate > 0.0 and item.finish <= t]

    def add(self, t: float, conflict: int, hours: float) -> None:
        """An escalation joins the desk at ``t``, needing ``hours`` of CEO time."""
        self._advance(t)
        self.items[conflict] = DeskItem(hours=hours, remaining=hours, t0=t)
        self.needed += hours
        self._rates()

    def remove(self, t: float, conflict: int) -> None:
        """An escalation leaves the desk at ``t``: decided (its hours ran out) or not.

        A decided escalation's last crumb of rounding counts as worked; an
        undecided one's hours left are dropped, never worked.
        """
        self._advance(t)
        left = self.remaining_at(conflict, t)
        item = self.items.pop(conflict)
        if item.rate > 0.0 and item.finish <= t:
            self.worked += left
        else:
            self.dropped += left
        self._rates()

    def _advance(self, t: float) -> None:
        dt = t - self.since
        if dt > 0.0:
            self.worked += self.busy * dt / DAYS_PER_WEEK
            self.since = t

    def _rates(self) -> None:
        """Split the hours over the desk in order of arrival and find the next finish."""
        t, full, cap, marginal = self.since, self.full, self.max_hours_per_week, self.marginal
        busy, engaged, nxt = 0.0, 0, math.inf
        for pos, item in enumerate(self.items.values()):
            rate = cap if pos < full else marginal if pos == full else 0.0
            if rate != item.rate:
                done = item.rate * (t - item.t0) / DAYS_PER_WEEK
                item.remaining = max(0.0, item.remaining - done)
                item.t0, item.rate = t, rate
                item.finish = t + DAYS_PER_WEEK * item.remaining / rate if rate > 0.0 else math.inf
            if rate > 0.0:
                busy += rate
                engaged += 1
                nxt = min(nxt, item.finish)
        self.busy, self.engaged, self.next_time = busy, engaged, nxt


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
    drag: float = 0.0
    min_productivity: float = 0.0
    ramp_productivity: float = 1.0
    team_cap: float = math.inf
    conflict_attrition: float = 0.0
    desk: Desk = attrs.field(factory=Desk)  # the CEO's escalations and their hours
    ended: bool = False
    stage_names: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()  # department of each stage
    departments: dict[str, Dept] = attrs.field(factory=dict)
    employees: dict[int, Employee] = attrs.field(factory=dict)
    requisitions: dict[int, str] = attrs.field(factory=dict)
    features: dict[int, Feature] = attrs.field(factory=dict)
    work: dict[int, Work] = attrs.field(factory=dict)
    conflicts: dict[int, Conflict] = attrs.field(factory=dict)
    next_ids: dict[str, int] = attrs.field(factory=dict)
    mediators: int = 0
    broker_salary: float = 0.0  # k$ a year: the VP PM and any hired mediators
    line_pms: int = 0
    coverage: float = 0.0  # teams per line PM
    neutrality: float = 0.0
    credibility: float = 0.0
    credibility_time: float = 0.0
    credibility_floor: float = 0.0
    credibility_halflife: float = math.inf
    channels: tuple[str, ...] | None = None  # the broker's active channels; None: all
    market_epoch: dict[int, int] = attrs.field(factory=dict)  # product -> shifts so far
    roadmap_epoch: dict[int, int] = attrs.field(factory=dict)  # product -> shifts followed
    realigning: int = 0  # mediators busy re-prioritising roadmaps
    value_misaligned: float = 0.0  # k$ lost shipping features for a segment left behind
    mediation_waiting: int = 0
    mediating: int = 0
    ceo_waiting: int = 0  # escalations on the CEO's desk getting no hours yet
    ceo_engaged: int = 0  # escalations on the desk getting CEO hours
    quarter: int = -1
    available: float = 0.0
    base_budget: float = 0.0
    value_shipped: float = 0.0
    value_at_quarter: float = 0.0
    effort_planned: float = 0.0
    effort_done: float = 0.0
    effort_descoped: float = 0.0
    serial: int = 0
    # Cash (see _cash_flow): the balance as of ``cash_since``, falling at ``burn``
    # k$ a day until the next event; ``cash_out`` is the instant it reaches zero.
    cash: float = 0.0
    cash_since: float = 0.0
    cash_share: float = 0.0
    payroll: float = 0.0  # k$ per year: the salaries of everyone employed
    broker_burn: float = 0.0  # k$ per day: this quarter's broker cost, spread over it
    burn: float = 0.0  # k$ per day
    cash_founded: bool = False
    cash_out: float = math.inf
    failed: bool = False
    # interventions (see orgsim.engine.interventions)
    firings: dict[int, int] = attrs.field(factory=dict)  # intervention -> times fired
    parameters: dict[str, str] = attrs.field(factory=dict)  # changed mid-run: path -> JSON
    broker_pay: float = 0.0  # k$ a year: the VP PM's, and each hired mediator's
    directors: int = 0  # the PM organisation's Directors, mediators with the VP PM
    quarter_since: float = 0.0  # when the current budget quarter started
    open_count: int = 0  # conflicts raised and not yet resolved or lapsed
    ceo_hours_mark: float = 0.0  # the desk's hours worked when the quarter started
    ceo_quarter_hours: float = 0.0  # CEO hours on escalations in the quarter before
    touched: set[str] = attrs.field(factory=set)  # departments whose next_time moved
    cash_at_quarter: float = 0.0  # k$: the balance when the current quarter started

    # ------------------------------------------------------------------ queries

    def next_id(self, kind: str) -> int:
        """The identifier the next entity of a kind will get when it is recorded."""
        return self.next_ids.get(kind, 0)

    def backlog(self, department: str, at: float | None = None) -> float:
        """Person-days of work queued in a department at time ``at`` (default: now)."""
        t = self.time if at is None else at
        return sum(remaining_at(entry[3], t) for entry in self.departments[department].queue)

    def credibility_at(self, t: float) -> float:
        """The broker's credibility at ``t``, decayed toward its floor since it last moved."""
        floor = self.credibility_floor
        elapsed = t - self.credibility_time
        return floor + (self.credibility - floor) * 0.5 ** (elapsed / self.credibility_halflife)

    def due_items(self, department: str, t: float) -> list[str]:
        """Items of a department whose work is finished by ``t``, in queue order.

        Reads the finishing instants that set ``next_time``, so the item that set
        it is always among them when ``t`` is that instant.
        """
        d = self.departments[department]
        heap = d.finishes
        popped: list[tuple[float, int, Entry]] = []
        while (top := _valid_finish(d)) is not None and top[0] <= t:
            popped.append(heapq.heappop(heap))
        for entry in popped:
            heapq.heappush(heap, entry)
        if not d.done and len(popped) < 2:  # the common case: one item, or none
            return [p[2][4] for p in popped]
        # (an item re-rated and back within an instant is in the heap twice)
        due = {e[2]: e for e in d.done}
        due.update((p[1], p[2]) for p in popped)
        return [e[4] for e in sorted(due.values())]

    def due_leavers(self, department: str, t: float) -> list[int]:
        """Employees whose resilience the department's hazard has used up by ``t``.

        In the order they reach it; the same expression as ``next_time``'s.
        """
        d = self.departments[department]
        popped: list[tuple[float, int]] = []
        while (top := _valid_leaver(d)) is not None and _leaves(d, top[0]) <= t:
            popped.append(heapq.heappop(d.leavers))
        for entry in popped:  # only the EmployeeLeft event takes a person away
            heapq.heappush(d.leavers, entry)
        return [emp for _, emp in popped]

    def issues_cleared(self, department: str, t: float) -> bool:
        """Whether a department's backlog of customer issues is worked off by ``t``.

        The same instant as ``next_time``'s (:func:`_issues_empty`).
        """
        return _issues_empty(self.departments[department]) <= t

    def issue_backlog(self, department: str, at: float | None = None) -> float:
        """Person-days of customer issues waiting in a department at ``at`` (default: now)."""
        d = self.departments[department]
        t = self.time if at is None else at
        return _issue_area(d, t - d.since)[1]

    def issue_area(self, department: str, at: float) -> float:
        """The integral of a department's issue backlog over ``[0, at]`` (person-days x days).

        ``at`` is at or after the department's ``since`` (the last event that moved it).
        """
        d = self.departments[department]
        return d.issue_area + _issue_area(d, at - d.since)[0]

    def best(self, department: str, count: int) -> list[int]:
        """A department's ``count`` most skilled people, best first (ties: lowest number)."""
        return [emp for _, emp in self.departments[department].ranked[: max(0, count)]]

    def open_conflicts(self) -> Iterable[tuple[int, Conflict]]:
        """Conflicts not yet resolved or lapsed."""
        return ((k, c) for k, c in self.conflicts.items() if c.closed < 0)

    def snapshot(self) -> dict[str, Any]:
        """Comparable plain form of the state, without derived indexes."""
        data = attrs.asdict(self, recurse=True)
        data.pop("touched")
        for d in data["departments"].values():
            for index in ("leavers", "entries", "finishes", "fresh", "people", "ranked"):
                d.pop(index)
        return data


# ------------------------------------------------------------------ the flows
#
# A department's capacity goes to its queue in priority order, at most ``item_cap``
# per item: the first ``full`` items get ``item_cap`` each, the next one what is
# left, the rest nothing. Each item keeps its own (remaining, t0, rate), so bringing
# a department up to date is O(1), and a change moves only the items at the edge
# of the served prefix: an insertion or removal shifts positions by one, so only
# positions within one of the old and new edges, and the inserted items, can change
# class; a change of ``item_cap`` (productivity) re-rates every full item. The next
# finish is the top of a heap of finishing instants, stale entries skipped.


def remaining_at(item: Any, t: float) -> float:
    """Work left on an item at ``t`` (person-days), at its current rate."""
    return item.remaining - item.rate * (t - item.t0)


def _leaves(d: Dept, threshold: float) -> float:
    """When the hazard reaches a threshold at the current rate (now if it has)."""
    if threshold <= d.hazard:
        return d.since
    if d.hazard_rate <= 0.0:
        return math.inf
    return d.since + (threshold - d.hazard) / d.hazard_rate


def _valid_leaver(d: Dept) -> tuple[float, int] | None:
    """The heap's lowest threshold that still belongs to someone in the department."""
    heap = d.leavers
    while heap:
        threshold, emp = heap[0]
        person = d.people.get(emp)
        if person is None or person.threshold != threshold:
            heapq.heappop(heap)  # stale entry: left or moved since
            continue
        return heap[0]
    return None


def _valid_finish(d: Dept) -> tuple[float, int, Entry] | None:
    """The earliest finishing instant that is still an item's current one."""
    heap = d.finishes
    while heap:
        finish, serial, entry = heap[0]
        item = entry[3]
        if item.serial != serial or item.finish != finish or item.rate <= 0.0:
            heapq.heappop(heap)  # stale: re-rated, moved on or finished since
            continue
        return heap[0]
    return None


def _advance(s: OrgState, d: Dept, t: float) -> None:
    """Bring a department's work done and hazard up to ``t`` at the rates that held."""
    dt = t - d.since
    if dt > 0.0:
        s.effort_done += d.busy * dt
        d.worked += d.busy * dt
        d.offered += d.capacity * dt
        d.hazard += d.hazard_rate * dt
        if d.demand > 0.0:
            _advance_issues(d, dt)
        d.since = t


# Customer issues are a fluid demand, not tickets: issues arrive at ``demand``
# person-days a day and are worked at ``served``, so the backlog B changes at
# ``demand - served - abandonment x B`` between events: linear without abandonment,
# else an exponential approach to ``(demand - served) / abandonment``. The department's
# capacity goes to issues first: while B > 0, or while the capacity falls short of
# the demand, all of it (``served`` = capacity, nothing left for its queue); with
# B = 0 and capacity to spare, exactly the demand, the rest serving the queue. The
# instant B empties (:func:`_issues_empty`) is part of ``next_time``:
# the timer records SupportBacklogCleared then, and the spare capacity is free.


def _issue_area(d: Dept, dt: float) -> tuple[float, float]:
    """The backlog's integral over the next ``dt`` days, and the backlog after them.

    A backlog that drains to zero within ``dt`` (to the rounding of the instant it
    empties, which the timer records) stops at zero: a triangle, not a trapezoid.
    """
    slope = d.demand - d.served
    b0 = d.issues
    theta = d.abandonment
    if theta <= 0.0:
        b1 = b0 + slope * dt
        if b1 <= 0.0:
            return (b0 * b0 / (-2.0 * slope) if slope < 0.0 else 0.0), 0.0
        return 0.5 * (b0 + b1) * dt, b1
    # dB/dt = slope - theta B: B(t) = limit + (b0 - limit) exp(-theta t)
    limit = slope / theta
    if b0 <= 0.0 and slope <= 0.0:
        return 0.0, 0.0
    if limit < 0.0:
        empty = math.log((b0 - limit) / -limit) / theta
        if empty <= dt:
            dt = empty
            return limit * dt + (b0 - limit) * -math.expm1(-theta * dt) / theta, 0.0
    decay = math.exp(-theta * dt)
    area = limit * dt + (b0 - limit) * -math.expm1(-theta * dt) / theta
    return area, max(0.0, limit + (b0 - limit) * decay)


def _advance_issues(d: Dept, dt: float) -> None:
    area, d.issues = _issue_area(d, dt)
    d.issue_area += area
    d.worked += d.served * dt


def _issues_empty(d: Dept) -> float:
    """When the backlog of issues is worked off at the current rates (inf: not draining)."""
    if d.issues <= 0.0 or d.served <= d.demand:
        return math.inf
    if d.abandonment <= 0.0:
        return d.since + d.issues / (d.served - d.demand)
    limit = (d.demand - d.served) / d.abandonment  # negative: draining
    return d.since + math.log((d.issues - limit) / -limit) / d.abandonment


def _rate(d: Dept, entry: Entry, rate: float) -> None:
    """Give a queued item a new rate from the department's ``since`` on."""
    item = entry[3]
    t = d.since
    item.remaining = remaining_at(item, t)
    item.t0 = t
    item.rate = rate
    if rate > 0.0:
        item.finish = t + item.remaining / rate
        heapq.heappush(d.finishes, (item.finish, entry[2], entry))
    else:
        item.finish = math.inf
        if item.remaining <= WORK_EPS and entry not in d.done:
            d.done.append(entry)  # finished this instant, then pushed off the front


def _rerate(d: Dept, entries: Iterable[Entry], rate: float, push: bool = True) -> None:
    """Give queued items not at ``rate`` that rate from the department's ``since`` on.

    :func:`_rate` over many items, the loop inlined: a change of productivity
    re-rates every full item of a department at once. ``push=False`` leaves their
    finishing instants out of the heap, for a caller that rebuilds it.
    """
    if rate <= 0.0:
        for entry in entries:
            if entry[3].rate != rate:
                _rate(d, entry, rate)
        return
    t = d.since
    finishes = d.finishes
    for entry in entries:
        item = entry[3]
        was = item.rate
        if was != rate:
            remaining = item.remaining - was * (t - item.t0)
            item.remaining, item.t0, item.rate = remaining, t, rate
            item.finish = finish = t + remaining / rate
            if push:
                heapq.heappush(finishes, (finish, entry[2], entry))


def _rates(s: OrgState, d: Dept) -> None:
    """Split the department's capacity over its queue and find its next instant.

    Capacity is its people's skill (ramping hires at ``ramp_productivity``) times
    its productivity (dragged by its open conflicts, floored, less the broker's
    overhead); items take it in priority order, each at most the team cap.
    (Conditional expressions stand for ``max``: they pick the same operand, faster.)
    """
    productivity = 1.0 - d.drag * d.severity
    floor = s.min_productivity
    mult = (productivity if productivity > floor else floor) * (1.0 - d.overhead)
    people = d.full_skill + s.ramp_productivity * d.ramp_skill
    capacity = (people if people > 0.0 else 0.0) * mult
    spare = capacity  # what the queue gets: customer issues come first
    if d.demand > 0.0:
        if d.issues <= WORK_EPS and capacity >= d.demand:
            d.issues = 0.0  # worked off (the last crumb of rounding counts as done)
            d.served = d.demand
            spare = capacity - d.demand
        else:
            d.served = capacity
            spare = 0.0
    cap = s.team_cap * mult
    queue = d.queue
    n = len(queue)
    ratio = spare / cap if cap > 0.0 else 0.0
    full = n if ratio >= n else int(ratio)
    marginal = spare - full * cap if full < n else 0.0
    d.capacity, d.busy = capacity, full * cap + marginal
    if n:
        _split(d, cap, full, marginal)
    else:
        d.fresh.clear()  # queued and gone again since the last split
    d.item_cap, d.full = cap, full
    d.hazard_rate = d.base_hazard * (1.0 + s.conflict_attrition * d.drag * d.severity)
    nxt = d.since if d.done else math.inf
    if d.finishes:
        top = _valid_finish(d)
        if top is not None and top[0] < nxt:
            nxt = top[0]
    person = _valid_leaver(d)
    if person is not None:
        leaves = _leaves(d, person[0])
        if leaves < nxt:
            nxt = leaves
    if d.demand > 0.0:
        empty = _issues_empty(d)
        if empty < nxt:
            nxt = empty
    if nxt != d.next_time:
        d.next_time = nxt
        s.touched.add(d.name)


def _split(d: Dept, cap: float, full: int, marginal: float) -> None:
    """Re-rate the queued items whose share moved: the new split is ``full`` at ``cap``.

    The items whose class (full, marginal, idle) may have changed since the last
    split (``d.full``, ``d.item_cap``), in queue order, then the new ones.
    """
    queue = d.queue
    n = len(queue)
    old = d.full
    # (conditional expressions for min and max: the same operands, faster)
    low, high = (full, old) if full < old else (old, full)
    lo = 0 if cap != d.item_cap or low < 1 else low - 1
    stop = high + 2 if high + 2 < n else n
    served = queue[lo : full if full < stop else stop]
    # A change of productivity re-rates every full item, staling all their heap
    # entries: when they are most of the queue, the heap is rebuilt once instead.
    rebuild = lo == 0 and len(served) > 16 and 2 * len(served) > n
    _rerate(d, served, cap, push=not rebuild)
    for pos in range(lo if lo > full else full, stop):
        _rerate(d, (queue[pos],), marginal if pos == full else 0.0)
    if d.fresh:
        entries = d.entries
        for e in d.fresh:
            if e[4] in entries:
                pos = bisect.bisect_left(queue, e)
                _rerate(d, (e,), cap if pos < full else marginal if pos == full else 0.0)
        d.fresh.clear()
    if rebuild or len(d.finishes) > 2 * n + 32:  # and drop stale entries now and then
        d.finishes = [(e[3].finish, e[2], e) for e in queue if e[3].rate > 0.0]
        heapq.heapify(d.finishes)


def _touch(s: OrgState, t: float, *departments: Dept) -> None:
    """Advance departments to ``t`` (call before changing what their rates read)."""
    for d in departments:
        _advance(s, d, t)


def _retime(s: OrgState, *departments: Dept) -> None:
    """Recompute departments' rates (call after the change)."""
    for d in departments:
        _rates(s, d)


# ------------------------------------------------------------------ the cash
#
# The seed: "at start-ups, cash burn is much more important than job title". Cash
# is a flow like work: between two events the company spends at a constant burn
# (every salary / 365 a day, and the quarter's broker cost spread over the
# quarter, as the cost metrics count them), and income is lumpy (a share of a
# shipped feature's or finished unplanned work's value, at that instant), as is
# the hiring cost of each hire. So the instant the balance reaches zero is exact:
# ``cash_since + cash / burn``, which the engine's company timer waits for.


def cash_at(s: OrgState, t: float) -> float:
    """The cash balance at ``t`` (k$), at the burn that holds from ``cash_since``."""
    return s.cash - s.burn * (t - s.cash_since)


def _cash_flow(
    s: OrgState, t: float, lump: float = 0.0, payroll: float = 0.0, broker: float | None = None
) -> None:
    """Bring the cash to ``t`` at the old burn, add a lump, change the burn.

    Args:
        s: The state.
        t: The event's time.
        lump: Cash in (positive) or out (negative) at ``t``, k$.
        payroll: Change of the yearly payroll, k$ per year.
        broker: The broker's new cost per day, or None for unchanged.
    """
    s.cash = cash_at(s, t) + lump
    s.cash_since = t
    s.payroll += payroll
    if broker is not None:
        s.broker_burn = broker
    s.burn = s.payroll / 365.0 + s.broker_burn
    if not s.cash_founded or s.failed:
        s.cash_out = math.inf
    elif s.cash <= 0.0:
        s.cash_out = t
    else:
        s.cash_out = t + s.cash / s.burn if s.burn > 0.0 else math.inf


# --------------------------------------------------------------------- handlers

Handler = Callable[[OrgState, Any], None]


def _count(s: OrgState, kind: str, ident: int) -> None:
    if ident >= s.next_ids.get(kind, 0):
        s.next_ids[kind] = ident + 1


def _enqueue(s: OrgState, d: Dept, priority: int, key: float, name: str, item: Any) -> None:
    s.serial += 1
    entry = (priority, key, s.serial, item, name)
    item.serial, item.t0, item.rate, item.finish = s.serial, d.since, 0.0, math.inf
    d.entries[name] = entry
    bisect.insort(d.queue, entry)
    d.fresh.append(entry)
    if item.remaining <= WORK_EPS:
        d.done.append(entry)


def _dequeue(s: OrgState, d: Dept, name: str, descoped: bool = False) -> None:
    """Take an item off a department's queue: finished, or descoped with what is left.

    A finished item's last crumb of rounding counts as done; a descoped item's
    remaining work is never done.
    """
    entry = d.entries.pop(name, None)
    if entry is None:
        raise KeyError(f"{name} is not queued in {d.name}")
    if entry in d.done:
        d.done.remove(entry)
    # (priority, key, serial) is unique, so bisection never compares the items
    del d.queue[bisect.bisect_left(d.queue, entry)]
    item = entry[3]
    left = remaining_at(item, d.since)
    if descoped:  # what was done so far stays done
        s.effort_descoped += left
    else:
        s.effort_done += left
    item.remaining, item.rate, item.finish, item.t0 = 0.0, 0.0, math.inf, d.since


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
    s.drag = e.drag
    s.min_productivity = e.min_productivity
    s.ramp_productivity = e.ramp_productivity
    s.team_cap = e.team_cap
    s.conflict_attrition = e.conflict_attrition
    s.desk.configure(e.ceo_hours_per_week, e.ceo_max_hours_per_week)


def _run_ended(s: OrgState, e: ev.RunEnded) -> None:
    s.ended = True


def _failed(s: OrgState, e: ev.CompanyFailed) -> None:
    s.failed = True
    _cash_flow(s, e.time)


def _department_formed(s: OrgState, e: ev.DepartmentFormed) -> None:
    # An annual leaving share p is a constant hazard of -ln(1 - p) per year.
    s.departments[e.department] = d = Dept(
        name=e.department,
        salary=e.salary,
        bias=e.bias,
        attrition=e.attrition,
        base_hazard=-math.log1p(-e.attrition) / 365.0,
        overhead=e.overhead,
        teams=e.teams,
        layers=e.layers,
        drag=s.drag / e.teams if e.teams > 0 else 0.0,
        since=e.time,
    )
    _rates(s, d)


def _support_founded(s: OrgState, e: ev.SupportFounded) -> None:
    d = s.departments[e.department]
    _advance(s, d, e.time)
    d.demand = e.demand
    d.abandonment = e.abandonment
    _rates(s, d)


def _backlog_cleared(s: OrgState, e: ev.SupportBacklogCleared) -> None:
    d = s.departments[e.department]
    _advance(s, d, e.time)
    d.issues = 0.0
    _rates(s, d)


def _broker_appointed(s: OrgState, e: ev.BrokerAppointed) -> None:
    s.broker = True
    s.mediators = e.mediators
    s.directors = e.directors
    s.broker_pay = e.salary
    s.broker_salary = e.salary * (1 + e.hired)
    s.line_pms = e.line_pms
    s.coverage = e.coverage
    s.neutrality = e.neutrality
    s.credibility = e.credibility
    s.credibility_time = e.time
    s.credibility_floor = e.credibility_floor
    s.credibility_halflife = e.credibility_halflife


def _intervention_fired(s: OrgState, e: ev.InterventionFired) -> None:
    s.firings[e.intervention] = e.firing


#: Department fields a mid-run change reaches in the state: the rest of the
#: parameters are read by the processes when they decide, not kept here.
_DEPARTMENT_PARAMETERS = ("bias", "attrition")


def _parameter_changed(s: OrgState, e: ev.ParameterChanged) -> None:
    s.parameters[e.path] = e.value
    parts = e.path.split(".")
    if len(parts) == 3 and parts[0] == "departments" and parts[2] in _DEPARTMENT_PARAMETERS:
        d = s.departments.get(parts[1])
        if d is None:
            return  # a department not in the company: nothing of it runs
        value = float(json.loads(e.value))
        if parts[2] == "bias":
            d.bias = value
            return
        _advance(s, d, e.time)
        d.attrition = value
        d.base_hazard = -math.log1p(-value) / 365.0
        _rates(s, d)


def _mediators_changed(s: OrgState, e: ev.MediatorsChanged) -> None:
    s.mediators = e.mediators
    s.broker_salary = s.broker_pay * (1 + e.hired)


def _overhead_changed(s: OrgState, e: ev.OverheadChanged) -> None:
    d = s.departments[e.department]
    _advance(s, d, e.time)
    d.overhead = e.overhead
    _rates(s, d)


def _broker_cost_charged(s: OrgState, e: ev.BrokerCostCharged) -> None:
    _cash_flow(s, e.time, -e.cost)


def _channels_limited(s: OrgState, e: ev.BrokerChannelsLimited) -> None:
    s.channels = e.channels


def _budget_founded(s: OrgState, e: ev.BudgetFounded) -> None:
    s.base_budget = e.base_budget
    s.cash_share = e.cash_share
    s.cash_founded = True
    _cash_flow(s, e.time, e.cash)


def _req_opened(s: OrgState, e: ev.RequisitionOpened) -> None:
    _count(s, "requisition", e.requisition)
    s.requisitions[e.requisition] = e.department
    d = s.departments[e.department]
    d.open_reqs += 1
    d.opened += 1


def _req_cancelled(s: OrgState, e: ev.RequisitionCancelled) -> None:
    s.departments[s.requisitions.pop(e.requisition)].open_reqs -= 1


def _add_person(d: Dept, p: Employee, emp: int) -> None:
    d.staff += 1
    d.people[emp] = p
    bisect.insort(d.ranked, (-p.skill, emp))
    if p.ramped:
        d.full_skill += p.skill
    else:
        d.ramp_skill += p.skill
    heapq.heappush(d.leavers, (p.threshold, emp))


def _remove_person(d: Dept, p: Employee, emp: int) -> None:
    d.staff -= 1
    del d.people[emp]
    ranked = d.ranked
    del ranked[bisect.bisect_left(ranked, (-p.skill, emp))]
    if p.ramped:
        d.full_skill -= p.skill
    else:
        d.ramp_skill -= p.skill


def _hired(s: OrgState, e: ev.EmployeeHired) -> None:
    _count(s, "employee", e.employee)
    d = s.departments[e.department]
    _advance(s, d, e.time)
    if e.requisition >= 0:
        del s.requisitions[e.requisition]
        d.open_reqs -= 1
    p = Employee(e.department, e.skill, d.hazard + e.resilience, e.ramped, e.salary)
    s.employees[e.employee] = p
    _add_person(d, p, e.employee)
    _rates(s, d)
    _cash_flow(s, e.time, -s.hiring_cost if e.requisition >= 0 else 0.0, e.salary)


def _ramped(s: OrgState, e: ev.EmployeeRamped) -> None:
    p = s.employees[e.employee]
    d = s.departments[p.department]
    _advance(s, d, e.time)
    p.ramped = True
    d.ramp_skill -= p.skill
    d.full_skill += p.skill
    _rates(s, d)


def _left(s: OrgState, e: ev.EmployeeLeft) -> None:
    p = s.employees.pop(e.employee)
    d = s.departments[p.department]
    _advance(s, d, e.time)
    _remove_person(d, p, e.employee)
    _rates(s, d)
    _cash_flow(s, e.time, payroll=-p.salary)


def _transferred(s: OrgState, e: ev.EmployeeTransferred) -> None:
    p = s.employees[e.employee]
    old, new = s.departments[e.source], s.departments[e.destination]
    _touch(s, e.time, old, new)
    _remove_person(old, p, e.employee)
    # The resilience left is carried over; the move restarts the ramp-up.
    p.threshold = new.hazard + (p.threshold - old.hazard)
    p.department = e.destination
    p.ramped = False
    p.moves += 1
    _add_person(new, p, e.employee)
    c = s.conflicts.get(e.conflict)
    if c is not None and e.source == c.target and e.destination == c.initiator:
        c.moved += (e.employee,)
    _retime(s, old, new)


def _planned(s: OrgState, e: ev.FeaturePlanned) -> None:
    _count(s, "feature", e.feature)
    f = Feature(e.product, e.efforts, e.value, e.due, e.time, 0, e.efforts[0], epoch=e.epoch)
    s.features[e.feature] = f
    s.effort_planned += sum(e.efforts)
    d = s.departments[s.stages[0]]
    _advance(s, d, e.time)
    _enqueue(s, d, FEATURE_PRIORITY, e.due, f"F{e.feature}", f)
    _rates(s, d)


def _stage_completed(s: OrgState, e: ev.StageCompleted) -> None:
    f = s.features[e.feature]
    item = f"F{e.feature}"
    old, new = s.departments[s.stages[f.stage]], s.departments[s.stages[f.stage + 1]]
    _touch(s, e.time, old, new)
    _dequeue(s, old, item)
    f.stage += 1
    f.remaining = f.efforts[f.stage]
    _enqueue(s, new, FEATURE_PRIORITY, f.due, item, f)
    _retime(s, old, new)


def _shipped(s: OrgState, e: ev.FeatureShipped) -> None:
    f = s.features[e.feature]
    d = s.departments[s.stages[f.stage]]
    _advance(s, d, e.time)
    _dequeue(s, d, f"F{e.feature}")
    f.stage = len(s.stages)
    f.shipped = e.time
    s.value_shipped += e.value
    s.value_misaligned += e.misaligned
    _rates(s, d)
    _cash_flow(s, e.time, s.cash_share * e.value)


def _market_shifted(s: OrgState, e: ev.MarketShifted) -> None:
    s.market_epoch[e.product] = e.epoch


def _realignment_started(s: OrgState, e: ev.RealignmentStarted) -> None:
    s.realigning += 1


def _realigned(s: OrgState, e: ev.RoadmapRealigned) -> None:
    # A roadmap never goes back to an older segment: a late broker realignment
    # after the loudest department's numbers already moved it changes nothing.
    s.roadmap_epoch[e.product] = max(s.roadmap_epoch.get(e.product, 0), e.epoch)
    if e.channel == "broker":
        s.realigning -= 1


def _work_added(s: OrgState, e: ev.ExtraWorkAdded) -> None:
    _count(s, "work", e.work)
    w = s.work[e.work] = Work(e.conflict, e.department, e.effort, e.value)
    s.conflicts[e.conflict].work = e.work
    s.effort_planned += e.effort
    d = s.departments[e.department]
    _advance(s, d, e.time)
    _enqueue(s, d, EXTRA_PRIORITY, e.time, f"X{e.work}", w)
    _rates(s, d)


def _close_work(s: OrgState, work: int, time: float, descoped: bool) -> None:
    w = s.work[work]
    d = s.departments[w.department]
    _advance(s, d, time)
    _dequeue(s, d, f"X{work}", descoped)
    w.done = True
    _rates(s, d)


def _work_completed(s: OrgState, e: ev.ExtraWorkCompleted) -> None:
    _close_work(s, e.work, e.time, descoped=False)
    s.value_shipped += e.value
    _cash_flow(s, e.time, s.cash_share * e.value)


def _work_descoped(s: OrgState, e: ev.ExtraWorkDescoped) -> None:
    _close_work(s, e.work, e.time, descoped=True)


def _quarter(s: OrgState, e: ev.QuarterStarted) -> None:
    s.quarter = e.quarter
    s.quarter_since = e.time
    worked = s.desk.worked_at(e.time)
    s.ceo_quarter_hours, s.ceo_hours_mark = worked - s.ceo_hours_mark, worked
    s.available = e.available
    s.value_at_quarter = s.value_shipped
    s.cash_at_quarter = cash_at(s, e.time)
    for d in s.departments.values():
        d.opened = 0
    _cash_flow(s, e.time, broker=e.broker_cost / s.quarter_days)


def _allocated(s: OrgState, e: ev.BudgetAllocated) -> None:
    d = s.departments[e.department]
    d.allocated = e.allocated
    d.need = e.need


def _budget_transferred(s: OrgState, e: ev.BudgetTransferred) -> None:
    s.departments[e.source].allocated -= e.amount
    s.departments[e.destination].allocated += e.amount


def _sides(s: OrgState, c: Conflict) -> tuple[Dept, Dept]:
    return s.departments[c.initiator], s.departments[c.target]


def _raised(s: OrgState, e: ev.ConflictRaised) -> None:
    _count(s, "conflict", e.conflict)
    c = s.conflicts[e.conflict] = Conflict(
        e.kind, e.initiator, e.target, e.severity, e.company_side, e.time
    )
    sides = _sides(s, c)
    _touch(s, e.time, *sides)
    for d in sides:
        d.severity += e.severity
    _retime(s, *sides)
    s.open_count += 1


#: The state's count of the conflicts in each status that waits on a forum.
_FORUM_COUNTS = {
    "queued": "mediation_waiting",
    "mediating": "mediating",
}


def _leave_forum(s: OrgState, c: Conflict) -> None:
    """A conflict leaves the queue or the desk it was on (its status says which)."""
    count = _FORUM_COUNTS.get(c.status)
    if count is not None:
        setattr(s, count, getattr(s, count) - 1)


def _move(s: OrgState, c: Conflict, status: str) -> None:
    """A conflict moves on to a new status, leaving its old queue or desk for the new one."""
    _leave_forum(s, c)
    c.status = status
    count = _FORUM_COUNTS.get(status)
    if count is not None:
        setattr(s, count, getattr(s, count) + 1)


#: The status a conflict moves to on each event that only moves it.
_STATUS: dict[type[ev.Event], str] = {
    ev.NegotiationStarted: "negotiating",
    ev.NegotiationFailed: "failed",
    ev.MediationQueued: "queued",
    ev.MediationStarted: "mediating",
}


def _status(s: OrgState, e: Any) -> None:
    _move(s, s.conflicts[e.conflict], _STATUS[type(e)])


def _detected(s: OrgState, e: ev.ConflictDetected) -> None:
    c = s.conflicts[e.conflict]
    c.status = "detected"
    c.detected = e.time


def _mediation_failed(s: OrgState, e: ev.MediationFailed) -> None:
    c = s.conflicts[e.conflict]
    _move(s, c, "failed")
    c.briefing = e.briefing


def _desk_counts(s: OrgState) -> None:
    """The CEO's forum counts follow the desk: engaged get hours, the rest wait."""
    desk = s.desk
    s.ceo_engaged = desk.engaged
    s.ceo_waiting = len(desk.items) - desk.engaged


def _escalated(s: OrgState, e: ev.ConflictEscalated) -> None:
    _move(s, s.conflicts[e.conflict], "escalated")
    s.desk.add(e.time, e.conflict, e.hours)
    _desk_counts(s)


def _ceo_released(s: OrgState, e: ev.CeoReleased) -> None:
    c = s.conflicts[e.conflict]
    if e.conflict in s.desk.items:
        s.desk.remove(e.time, e.conflict)
        _desk_counts(s)
    if c.closed < 0:  # a conflict that closed meanwhile has its end status already
        _move(s, c, "decided" if e.settled else "stuck")


def _credibility(s: OrgState, e: ev.CredibilityChanged) -> None:
    s.credibility = e.credibility
    s.credibility_time = e.time


def _close(s: OrgState, conflict: int, status: str, time: float) -> None:
    c = s.conflicts[conflict]
    _move(s, c, status)
    c.closed = time
    s.open_count -= 1
    sides = _sides(s, c)
    _touch(s, time, *sides)
    for d in sides:
        d.severity -= c.severity
    _retime(s, *sides)


def _resolved(s: OrgState, e: ev.ConflictResolved) -> None:
    s.conflicts[e.conflict].winner = e.winner
    _close(s, e.conflict, "resolved", e.time)


def _incident(s: OrgState, e: ev.PrivacyIncident) -> None:
    s.conflicts[e.conflict].incident = e.time


def _lapsed(s: OrgState, e: ev.ConflictLapsed) -> None:
    _close(s, e.conflict, "lapsed", e.time)


def _reinvested(s: OrgState, e: ev.BudgetReinvested) -> None:
    s.base_budget = e.base_budget


def _funds_raised(s: OrgState, e: ev.FundsRaised) -> None:
    s.base_budget = e.base_budget
    _cash_flow(s, e.time, e.amount)


def _reshaped(s: OrgState, e: ev.DepartmentReshaped) -> None:
    d = s.departments[e.department]
    _advance(s, d, e.time)
    d.teams, d.layers = e.teams, e.layers
    d.drag = s.drag / e.teams if e.teams > 0 else 0.0
    _rates(s, d)


def _pm_changed(s: OrgState, e: ev.PmOrganisationChanged) -> None:
    s.directors = e.directors
    s.line_pms = e.line_pms
    s.coverage = e.coverage
    s.neutrality = e.neutrality
    s.mediators = e.mediators
    s.broker_salary = e.broker_salary


def _demand_changed(s: OrgState, e: ev.SupportDemandChanged) -> None:
    d = s.departments[e.department]
    _advance(s, d, e.time)
    d.demand = e.demand
    _rates(s, d)


#: The state handler of every event type. A table rather than a registering
#: decorator, so that the handlers are plain functions (mutation testing reaches
#: them: mutmut leaves decorated functions alone, docs/testing.md).
HANDLERS: dict[type[ev.Event], Handler] = {
    ev.RunStarted: _run_started,
    ev.RunEnded: _run_ended,
    ev.CompanyFailed: _failed,
    ev.DepartmentFormed: _department_formed,
    ev.SupportFounded: _support_founded,
    ev.SupportBacklogCleared: _backlog_cleared,
    ev.BrokerAppointed: _broker_appointed,
    ev.BrokerChannelsLimited: _channels_limited,
    ev.BudgetFounded: _budget_founded,
    ev.RequisitionOpened: _req_opened,
    ev.RequisitionCancelled: _req_cancelled,
    ev.EmployeeHired: _hired,
    ev.EmployeeRamped: _ramped,
    ev.EmployeeLeft: _left,
    ev.EmployeeTransferred: _transferred,
    ev.FeaturePlanned: _planned,
    ev.StageCompleted: _stage_completed,
    ev.FeatureShipped: _shipped,
    ev.MarketShifted: _market_shifted,
    ev.RealignmentStarted: _realignment_started,
    ev.RoadmapRealigned: _realigned,
    ev.ExtraWorkAdded: _work_added,
    ev.ExtraWorkCompleted: _work_completed,
    ev.ExtraWorkDescoped: _work_descoped,
    ev.QuarterStarted: _quarter,
    ev.BudgetAllocated: _allocated,
    ev.BudgetTransferred: _budget_transferred,
    ev.ConflictRaised: _raised,
    ev.ConflictDetected: _detected,
    ev.MediationFailed: _mediation_failed,
    ev.ConflictEscalated: _escalated,
    ev.CeoReleased: _ceo_released,
    ev.CredibilityChanged: _credibility,
    ev.ConflictResolved: _resolved,
    ev.PrivacyIncident: _incident,
    ev.ConflictLapsed: _lapsed,
    ev.NegotiationStarted: _status,
    ev.NegotiationFailed: _status,
    ev.MediationQueued: _status,
    ev.MediationStarted: _status,
    ev.BrokerPraised: _credibility,
    ev.InterventionFired: _intervention_fired,
    ev.ParameterChanged: _parameter_changed,
    ev.MediatorsChanged: _mediators_changed,
    ev.OverheadChanged: _overhead_changed,
    ev.BrokerCostCharged: _broker_cost_charged,
    ev.BudgetReinvested: _reinvested,
    ev.FundsRaised: _funds_raised,
    ev.DepartmentReshaped: _reshaped,
    ev.PmOrganisationChanged: _pm_changed,
    ev.SupportDemandChanged: _demand_changed,
}


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
