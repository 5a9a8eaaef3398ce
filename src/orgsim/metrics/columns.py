"""Columns of a run's log: one pass over the events, then numpy over the columns.

:class:`Scan` walks the log once, with a handler per event type, and gathers what
the projections need as plain columns (times, deltas, durations); the helpers below
turn them into step functions, integrals, levels at instants, means, percentiles,
Kaplan–Meier quantiles and shares. :mod:`orgsim.metrics.projections` builds every
metric from these: the reference fold, for any sequence of events. An ``EventLog``'s
projections read its columns instead (:mod:`orgsim.metrics.vectorised`, which calls
the numeric helpers here on the same arrays, so both give the same values).

Waits (raised to detected, raised to resolved, queued to mediated) are *censored*
durations: a conflict that closes, or is still waiting at the end of the window,
has not had its wait end, and leaving it out would keep exactly the long waits out
of the figure. :func:`kaplan_meier` is the product-limit estimator of such waits,
written here in numpy because it runs once per wait metric per run (thousands of
times in a sweep) and needs nothing a survival library adds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orgsim.engine import events as ev
from orgsim.engine.state import Desk
from orgsim.errors import EventOrderError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

DAYS_PER_YEAR = 365.0

DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0

NAN = math.nan

#: How close to ``1 - q`` a Kaplan–Meier survival counts as reaching it, so that a
#: survival of exactly one half computed as 0.5000000000000001 still gives a median.
KM_TOLERANCE = 1e-9


# ------------------------------------------------------------------- the cash


class CashFlow:
    """The company's cash along the log, and the lowest it and its runway fell.

    The same flow as :mod:`orgsim.engine.state`'s: between events the balance falls
    at the burn (payroll / 365 plus the quarter's broker cost per day), income and
    hiring costs are lumps at their instant. Because the balance only falls between
    lumps, its lowest point, and the lowest runway ``cash / burn``, are each
    reached at some event (just before its lump, or just after) or at the end, so
    watching those instants finds them exactly.
    """

    def __init__(self) -> None:
        self.founded = False
        self.share = 0.0
        self.cash = 0.0
        self.since = 0.0
        self.payroll = 0.0  # k$ per year
        self.broker = 0.0  # k$ per day
        self.burn = 0.0  # k$ per day
        self.low = math.inf  # lowest balance seen, k$
        self.runway_low = math.inf  # lowest cash / burn seen, days

    def found(self, t: float, cash: float, share: float) -> None:
        """The founding cash arrives (everything before it happened at its instant)."""
        self.flow(t, cash)  # not yet founded: the zero balance before is not watched
        self.founded = True
        self.share = share
        self._watch(self.cash)

    def at(self, t: float) -> float:
        """The balance at ``t`` at the burn that holds."""
        return self.cash - self.burn * (t - self.since)

    def _watch(self, cash: float) -> None:
        if self.founded:
            self.low = min(self.low, cash)
            runway = max(0.0, cash) / self.burn if self.burn > 0.0 else math.inf
            self.runway_low = min(self.runway_low, runway)

    def flow(
        self, t: float, lump: float = 0.0, payroll: float = 0.0, broker: float | None = None
    ) -> None:
        """Bring the cash to ``t`` at the old burn, add a lump, change the burn."""
        before = self.at(t)
        self._watch(before)
        self.cash = before + lump
        self.since = t
        self.payroll += payroll
        if broker is not None:
            self.broker = broker
        self.burn = self.payroll / DAYS_PER_YEAR + self.broker
        self._watch(self.cash)

    def close(self, end: float) -> float:
        """The balance at the end of the window, the lowest points updated with it."""
        cash = self.at(end)
        self._watch(cash)
        return cash


# ------------------------------------------------------------------- the scan


class Scan:
    """Columns gathered from one pass over a log, for every projection to share."""

    def __init__(self) -> None:
        self.started: ev.RunStarted | None = None
        self.ended = False
        self.last_time = 0.0
        self.salary: dict[str, float] = {}  # department -> salary, formation order
        # delivery
        self.planned: dict[int, float] = {}
        self.ship_time: list[float] = []
        self.ship_lead: list[float] = []
        self.ship_value: list[float] = []
        self.ship_late: list[float] = []
        self.extra_time: list[float] = []
        self.extra_value: list[float] = []
        # market: per shift, when it happened and when the roadmap followed it
        self.misaligned = 0.0  # k$ lost shipping features for a segment left behind
        self.shift_time: list[float] = []
        self.shift_stop: list[float] = []  # nan while the roadmap has not followed
        self.unfollowed: dict[int, list[tuple[int, int]]] = {}  # product -> (epoch, index)
        self.praises = 0
        # conflicts: per conflict, in the order raised, its index in the columns
        self.raised: dict[int, ev.ConflictRaised] = {}
        self.conflict_at: dict[int, int] = {}
        self.raised_time: list[float] = []
        self.detect_time: list[float] = []  # first detection, nan while latent
        self.close_time: list[float] = []  # resolved or lapsed, nan while open
        self.resolved: list[bool] = []
        self.detected = 0
        self.detect_broker = 0
        self.resolve_time: list[float] = []
        self.resolve_good = 0
        self.lapse_time: list[float] = []
        self.escalated = 0
        self.desk = Desk()  # the CEO's desk, replayed by the state's own rule
        # mediation waits, one per MediationQueued: start, stop, whether it ended
        # in a mediation (else censored: closed while queued, or open at the end)
        self.queued: dict[int, int] = {}  # conflict -> index of its open wait
        self.wait_start: list[float] = []
        self.wait_stop: list[float] = []
        self.wait_ended: list[bool] = []
        # broker credibility: each recorded level, and how it decays between them
        self.cred_time: list[float] = []
        self.cred_value: list[float] = []
        self.cred_floor = 0.0
        self.cred_halflife = math.inf
        # talent
        self.employee_dept: dict[int, str] = {}
        self.employee_pay: dict[int, tuple[float, float]] = {}  # -> (salary, since)
        self.pay_closed = 0.0  # salary-days of employments that ended
        self.hc_time: list[float] = []
        self.hc_dept: list[str] = []
        self.hc_delta: list[int] = []
        self.hires = 0
        self.leavers = 0
        self.poached = 0
        self.req_since: dict[int, float] = {}
        self.vacancy_closed = 0.0
        self.fill_days: list[float] = []  # per requisition filled: opened to hired
        # budget: per quarter, its allocations and transfers in log order
        self.quarter: int | None = None  # of the latest QuarterStarted
        self.quarter_time: list[float] = []
        self.broker_cost: list[float] = []
        self.broker_charged = 0.0  # k$: pay from a mid-quarter appointment to its quarter's end
        self.budget: dict[int, list[ev.BudgetAllocated | ev.BudgetTransferred]] = {}
        # customer issues and privacy incidents
        self.support: ev.SupportFounded | None = None
        self.incidents = 0
        self.incident_cost = 0.0
        # cash, folded as the state folds it (see CashFlow)
        self.cash = CashFlow()
        self.end_time: float | None = None  # of RunEnded
        self.failed_time = NAN  # of CompanyFailed

    # The handlers: one per event type that some projection reads.

    def run_started(self, e: ev.RunStarted) -> None:
        self.started = e
        self.desk.configure(e.ceo_hours_per_week, e.ceo_max_hours_per_week)

    def run_ended(self, e: ev.RunEnded) -> None:
        self.ended = True
        self.end_time = e.time

    def company_failed(self, e: ev.CompanyFailed) -> None:
        self.failed_time = e.time
        self.cash.flow(e.time)

    def budget_founded(self, e: ev.BudgetFounded) -> None:
        self.cash.found(e.time, e.cash, e.cash_share)

    def department_formed(self, e: ev.DepartmentFormed) -> None:
        self.salary[e.department] = e.salary

    def broker_appointed(self, e: ev.BrokerAppointed) -> None:
        self.cred_time.append(e.time)
        self.cred_value.append(e.credibility)
        self.cred_floor = e.credibility_floor
        self.cred_halflife = e.credibility_halflife

    def credibility_changed(self, e: ev.CredibilityChanged) -> None:
        self.cred_time.append(e.time)
        self.cred_value.append(e.credibility)

    def _headcount(self, time: float, department: str, delta: int) -> None:
        self.hc_time.append(time)
        self.hc_dept.append(department)
        self.hc_delta.append(delta)

    def requisition_opened(self, e: ev.RequisitionOpened) -> None:
        self.req_since[e.requisition] = e.time

    def _close_requisition(self, requisition: int, time: float) -> None:
        since = self.req_since.pop(requisition, None)
        if since is not None:
            self.vacancy_closed += time - since

    def requisition_cancelled(self, e: ev.RequisitionCancelled) -> None:
        self._close_requisition(e.requisition, e.time)

    def employee_hired(self, e: ev.EmployeeHired) -> None:
        self.employee_dept[e.employee] = e.department
        self.employee_pay[e.employee] = (e.salary, e.time)
        self._headcount(e.time, e.department, 1)
        if e.requisition >= 0:
            self.hires += 1
            if e.requisition in self.req_since:
                self.fill_days.append(e.time - self.req_since[e.requisition])
            self._close_requisition(e.requisition, e.time)
        hiring = self.run.hiring_cost if e.requisition >= 0 else 0.0
        self.cash.flow(e.time, -hiring, e.salary)

    def employee_left(self, e: ev.EmployeeLeft) -> None:
        self.leavers += 1
        self._headcount(e.time, self.employee_dept.pop(e.employee), -1)
        salary, since = self.employee_pay.pop(e.employee)
        self.pay_closed += salary * (e.time - since)
        self.cash.flow(e.time, payroll=-salary)

    def employee_transferred(self, e: ev.EmployeeTransferred) -> None:
        # The person keeps the salary of their hiring: their pay is not touched.
        self.employee_dept[e.employee] = e.destination
        self._headcount(e.time, e.source, -1)
        self._headcount(e.time, e.destination, 1)
        raised = self.raised.get(e.conflict)
        # Poaching moves people out of the conflict's target; the reversal after the
        # target wins moves them back out of the initiator, and is not poaching.
        if raised is not None and e.source == raised.target:
            self.poached += 1

    def feature_planned(self, e: ev.FeaturePlanned) -> None:
        self.planned[e.feature] = e.time

    def feature_shipped(self, e: ev.FeatureShipped) -> None:
        self.ship_time.append(e.time)
        self.ship_lead.append(e.time - self.planned[e.feature])
        self.ship_value.append(e.value)
        self.ship_late.append(e.late_days)
        self.cash.flow(e.time, self.cash.share * e.value)
        self.misaligned += e.misaligned

    def market_shifted(self, e: ev.MarketShifted) -> None:
        self.unfollowed.setdefault(e.product, []).append((e.epoch, len(self.shift_time)))
        self.shift_time.append(e.time)
        self.shift_stop.append(NAN)

    def roadmap_realigned(self, e: ev.RoadmapRealigned) -> None:
        # the roadmap follows every shift up to its epoch (a redundant one, none)
        waiting = self.unfollowed.get(e.product, [])
        for epoch, i in waiting:
            if epoch <= e.epoch:
                self.shift_stop[i] = e.time
        self.unfollowed[e.product] = [(ep, i) for ep, i in waiting if ep > e.epoch]

    def broker_praised(self, e: ev.BrokerPraised) -> None:
        self.praises += 1
        self.cred_time.append(e.time)
        self.cred_value.append(e.credibility)

    def extra_work_completed(self, e: ev.ExtraWorkCompleted) -> None:
        self.extra_time.append(e.time)
        self.extra_value.append(e.value)
        self.cash.flow(e.time, self.cash.share * e.value)

    def quarter_started(self, e: ev.QuarterStarted) -> None:
        self.quarter = e.quarter
        self.quarter_time.append(e.time)
        self.broker_cost.append(e.broker_cost)
        self.cash.flow(e.time, broker=e.broker_cost / self.run.quarter_days)

    def funds_raised(self, e: ev.FundsRaised) -> None:
        self.cash.flow(e.time, e.amount)

    def broker_cost_charged(self, e: ev.BrokerCostCharged) -> None:
        self.broker_charged += e.cost
        self.cash.flow(e.time, -e.cost)

    def budget_allocated(self, e: ev.BudgetAllocated) -> None:
        self.budget.setdefault(e.quarter, []).append(e)

    def budget_transferred(self, e: ev.BudgetTransferred) -> None:
        # It moves the allocation of the quarter under way; one before any quarter
        # has started moves nothing that a quarter's figures hold.
        if self.quarter is not None:
            self.budget.setdefault(self.quarter, []).append(e)

    def support_founded(self, e: ev.SupportFounded) -> None:
        self.support = e

    def privacy_incident(self, e: ev.PrivacyIncident) -> None:
        self.incidents += 1
        self.incident_cost += e.cost

    @staticmethod
    def _unraised(e: ev.Event, conflict: int) -> EventOrderError:
        return EventOrderError(
            f"{type(e).__name__} at seq {e.seq} names conflict {conflict}, never raised"
        )

    # The conflict handlers run once per step of every conflict: membership tests
    # inline rather than helper calls keep the scan near its old speed.

    def conflict_raised(self, e: ev.ConflictRaised) -> None:
        self.raised[e.conflict] = e
        self.conflict_at[e.conflict] = len(self.raised_time)
        self.raised_time.append(e.time)
        self.detect_time.append(NAN)
        self.close_time.append(NAN)
        self.resolved.append(False)

    def conflict_detected(self, e: ev.ConflictDetected) -> None:
        i = self.conflict_at.get(e.conflict)
        if i is None:
            raise self._unraised(e, e.conflict)
        if math.isnan(self.detect_time[i]):  # the first detection is the one
            self.detect_time[i] = e.time
            self.detected += 1
            self.detect_broker += e.channel == "broker"

    def mediation_queued(self, e: ev.MediationQueued) -> None:
        self.queued[e.conflict] = len(self.wait_start)
        self.wait_start.append(e.time)
        self.wait_stop.append(NAN)
        self.wait_ended.append(False)

    def mediation_started(self, e: ev.MediationStarted) -> None:
        i = self.queued.pop(e.conflict, None)
        if i is None:
            raise EventOrderError(f"MediationStarted at seq {e.seq}: {e.conflict} not queued")
        self.wait_stop[i] = e.time
        self.wait_ended[i] = True

    def conflict_escalated(self, e: ev.ConflictEscalated) -> None:
        self.escalated += 1
        if e.conflict in self.desk.items:
            raise EventOrderError(f"ConflictEscalated at seq {e.seq}: {e.conflict} is on the desk")
        self.desk.add(e.time, e.conflict, e.hours)

    def ceo_released(self, e: ev.CeoReleased) -> None:
        if e.conflict not in self.desk.items:
            raise EventOrderError(f"CeoReleased at seq {e.seq}: {e.conflict} is not on the desk")
        self.desk.remove(e.time, e.conflict)

    def _close(self, e: ev.Event, conflict: int) -> int:
        i = self.conflict_at.get(conflict)
        if i is None:
            raise self._unraised(e, conflict)
        self.close_time[i] = e.time
        wait = self.queued.pop(conflict, None)
        if wait is not None:  # closed while queued: the wait is censored here
            self.wait_stop[wait] = e.time
        return i

    def conflict_resolved(self, e: ev.ConflictResolved) -> None:
        self.resolved[self._close(e, e.conflict)] = True
        self.resolve_time.append(e.time)
        self.resolve_good += e.company_interest

    def conflict_lapsed(self, e: ev.ConflictLapsed) -> None:
        self._close(e, e.conflict)
        self.lapse_time.append(e.time)

    # Derived figures.

    @property
    def run(self) -> ev.RunStarted:
        assert self.started is not None  # scan refuses a log without it
        return self.started

    @property
    def end(self) -> float:
        """End of the observation window (see the module docstring).

        ``RunEnded``'s time: the horizon, or the instant a company that ran out of
        cash failed; a log without it ends at its last event.
        """
        return self.end_time if self.end_time is not None else self.last_time

    @property
    def quarters(self) -> int:
        """Number of (possibly partial) quarters in ``[0, end)``."""
        # round() so that a float quotient like 2.0000000001 does not add a quarter
        return max(0, math.ceil(round(self.end / self.run.quarter_days, 9)))

    def salary_days(self) -> float:
        """Each person's own salary times the days they were employed in ``[0, end]``."""
        end = self.end
        return self.pay_closed + sum(
            pay * (end - since) for pay, since in self.employee_pay.values()
        )

    def ceo_hours(self) -> float:
        """CEO hours spent on escalations in ``[0, end]``, by the desk's shares."""
        return self.desk.worked_at(max(self.end, self.desk.since))

    def credibility_at(self, at: FloatArray) -> FloatArray:
        """The broker's credibility at each time in ``at``, decayed since its last level.

        Between recorded levels credibility decays toward its floor with its
        half-life, as the engine computes it:
        ``floor + (c - floor) · 0.5 ** ((t - t_last) / halflife)`` with ``c``, ``t_last``
        the last ``BrokerAppointed``/``CredibilityChanged``/``BrokerPraised`` at or
        before ``t``. NaN before the broker took office, and without one.
        """
        at = np.asarray(at, float)
        if not self.cred_time:
            return np.full(at.shape, NAN)
        idx = np.searchsorted(np.asarray(self.cred_time, float), at, side="right") - 1
        safe = np.maximum(idx, 0)
        level = np.asarray(self.cred_value, float)[safe]
        since = at - np.asarray(self.cred_time, float)[safe]
        floor = self.cred_floor
        decayed = floor + (level - floor) * 0.5 ** (since / self.cred_halflife)
        return np.where(idx >= 0, decayed, NAN)

    def detect_waits(self) -> tuple[FloatArray, BoolArray]:
        """Raised to detected, per raised conflict: ``(durations, detected)``.

        An undetected conflict's wait is censored when it closed, else at the end.
        """
        detected = np.asarray(self.detect_time, float)
        seen = ~np.isnan(detected)
        stop = np.where(seen, detected, self._closed_or_end())
        return stop - np.asarray(self.raised_time, float), seen

    def resolve_waits(self) -> tuple[FloatArray, BoolArray]:
        """Raised to resolved, per raised conflict: ``(durations, resolved)``.

        A conflict that lapsed is censored when it lapsed; one still open, at the end.
        """
        durations = self._closed_or_end() - np.asarray(self.raised_time, float)
        return durations, np.asarray(self.resolved, bool)

    def _closed_or_end(self) -> FloatArray:
        closed = np.asarray(self.close_time, float)
        return np.where(np.isnan(closed), self.end, closed)

    def mediation_waits(self) -> tuple[FloatArray, BoolArray]:
        """Queued to mediated, per queueing: ``(durations, mediated)``.

        A wait is censored when its conflict closed while queued, or at the end.
        """
        stop = np.asarray(self.wait_stop, float)
        stop[np.isnan(stop)] = self.end
        return stop - np.asarray(self.wait_start, float), np.asarray(self.wait_ended, bool)

    def realign_waits(self) -> tuple[FloatArray, BoolArray]:
        """Market shift to the roadmap following it, per shift: ``(durations, followed)``.

        A shift the roadmap has not followed by the end is censored there.
        """
        stop = np.asarray(self.shift_stop, float)
        followed = ~np.isnan(stop)
        stop[~followed] = self.end
        return stop - np.asarray(self.shift_time, float), followed

    def wip(self) -> tuple[FloatArray, IntArray]:
        times = np.concatenate([np.fromiter(self.planned.values(), float), self.ship_time])
        deltas = np.concatenate(
            [np.ones(len(self.planned), np.int64), -np.ones(len(self.ship_time), np.int64)]
        )
        return steps(times, deltas, self.end)

    def open_conflicts(self) -> tuple[FloatArray, IntArray]:
        raised = self.raised_time
        closed = self.resolve_time + self.lapse_time
        times = np.asarray(raised + closed, float)
        deltas = np.concatenate([np.ones(len(raised), np.int64), -np.ones(len(closed), np.int64)])
        return steps(times, deltas, self.end)

    def headcount(self, department: str | None = None) -> tuple[FloatArray, IntArray]:
        """Headcount steps of one department, or of the whole company."""
        times = np.asarray(self.hc_time, float)
        deltas = np.asarray(self.hc_delta, np.int64)
        if department is not None:
            mask = np.asarray(self.hc_dept, object) == department
            times, deltas = times[mask], deltas[mask]
        return steps(times, deltas, self.end)

    def budget_quarters(self) -> list[tuple[int, FloatArray, FloatArray, list[str]]]:
        """Per quarter with allocations: quarter, allocated, need, department names.

        ``allocated`` is the quarter's allocation as it stands after that quarter's
        transfers, as the state holds it at the quarter's end: the events of the
        quarter folded in log order, a ``BudgetAllocated`` setting a department's
        allocation and need, a ``BudgetTransferred`` taking ``amount`` from its
        source and giving it to its destination. A transfer belongs to the quarter
        of the latest ``QuarterStarted`` before it in the log.
        """
        out = []
        for q in sorted(self.budget):
            allocated: dict[str, float] = {}
            need: dict[str, float] = {}
            for r in self.budget[q]:
                if isinstance(r, ev.BudgetAllocated):
                    allocated[r.department] = r.allocated
                    need[r.department] = r.need
                else:
                    allocated[r.source] = allocated.get(r.source, 0.0) - r.amount
                    allocated[r.destination] = allocated.get(r.destination, 0.0) + r.amount
            names = list(allocated)
            out.append(
                (
                    q,
                    np.array([allocated[d] for d in names], float),
                    np.array([need.get(d, 0.0) for d in names], float),
                    names,
                )
            )
        return out


_HANDLERS: dict[type[ev.Event], Callable[[Scan, Any], None]] = {
    ev.RunStarted: Scan.run_started,
    ev.RunEnded: Scan.run_ended,
    ev.CompanyFailed: Scan.company_failed,
    ev.BudgetFounded: Scan.budget_founded,
    ev.DepartmentFormed: Scan.department_formed,
    ev.BrokerAppointed: Scan.broker_appointed,
    ev.CredibilityChanged: Scan.credibility_changed,
    ev.RequisitionOpened: Scan.requisition_opened,
    ev.RequisitionCancelled: Scan.requisition_cancelled,
    ev.EmployeeHired: Scan.employee_hired,
    ev.EmployeeLeft: Scan.employee_left,
    ev.EmployeeTransferred: Scan.employee_transferred,
    ev.FeaturePlanned: Scan.feature_planned,
    ev.FeatureShipped: Scan.feature_shipped,
    ev.ExtraWorkCompleted: Scan.extra_work_completed,
    ev.MarketShifted: Scan.market_shifted,
    ev.RoadmapRealigned: Scan.roadmap_realigned,
    ev.BrokerPraised: Scan.broker_praised,
    ev.QuarterStarted: Scan.quarter_started,
    ev.BrokerCostCharged: Scan.broker_cost_charged,
    ev.FundsRaised: Scan.funds_raised,
    ev.BudgetAllocated: Scan.budget_allocated,
    ev.BudgetTransferred: Scan.budget_transferred,
    ev.ConflictRaised: Scan.conflict_raised,
    ev.ConflictDetected: Scan.conflict_detected,
    ev.MediationQueued: Scan.mediation_queued,
    ev.MediationStarted: Scan.mediation_started,
    ev.ConflictEscalated: Scan.conflict_escalated,
    ev.CeoReleased: Scan.ceo_released,
    ev.ConflictResolved: Scan.conflict_resolved,
    ev.ConflictLapsed: Scan.conflict_lapsed,
    ev.SupportFounded: Scan.support_founded,
    ev.PrivacyIncident: Scan.privacy_incident,
}


def scan(events: Sequence[ev.Event]) -> Scan:
    """Gather the columns of a log in one pass.

    Raises:
        EventOrderError: the log is empty, does not start with ``RunStarted``, or
            names a conflict it never raised.
    """
    if not events or not isinstance(events[0], ev.RunStarted):
        first = type(events[0]).__name__ if events else "nothing"
        raise EventOrderError(f"a log must start with RunStarted, not {first}")
    scan = Scan()
    handlers = _HANDLERS
    for e in events:
        handler = handlers.get(type(e))
        if handler is not None:
            handler(scan, e)
    scan.last_time = float(events[-1].time)
    return scan


# ------------------------------------------------------------------ numerics


def steps(times: FloatArray, deltas: IntArray, end: float) -> tuple[FloatArray, IntArray]:
    """A right-continuous step function from ``+1``/``-1`` changes.

    Returns ``(t, n)``: ``n[i]`` holds on ``[t[i], t[i+1])``; ``t[0]`` is 0 and
    ``t[-1]`` is ``end``, repeating the last level so that plots with
    ``drawstyle="steps-post"`` reach the end. Simultaneous changes collapse into one
    step (the level after all of them), as a fold up to that instant sees it.
    """
    order = np.argsort(times, kind="stable")
    t = np.asarray(times, float)[order]
    n = np.cumsum(np.asarray(deltas, np.int64)[order])
    if t.size:
        last_of_instant = np.append(t[1:] != t[:-1], True)
        t, n = t[last_of_instant], n[last_of_instant]
    if not t.size or t[0] > 0.0:
        t = np.insert(t, 0, 0.0)
        n = np.insert(n, 0, 0)
    if t[-1] < end:
        t = np.append(t, end)
        n = np.append(n, n[-1])
    return t, n


def integral(steps: tuple[FloatArray, IntArray]) -> float:
    """Integral of a step function from :func:`steps` over ``[0, end]``."""
    t, n = steps
    return float(np.dot(n[:-1], np.diff(t)))


def level_at(steps: tuple[FloatArray, IntArray], at: FloatArray) -> IntArray:
    """Levels at each time in ``at``, counting the changes at that very instant."""
    t, n = steps
    return n[np.searchsorted(t, at, side="right") - 1]


def mean(values: Sequence[float] | FloatArray) -> float:
    """The mean, or nan for no values (never 0, which could pass for data)."""
    return float(np.mean(values)) if len(values) else NAN


def percentile(values: Sequence[float], q: float) -> float:
    """The percentile as numpy computes it (linear interpolation), or nan for none."""
    return float(np.percentile(values, q)) if len(values) else NAN


def share(part: float, whole: float) -> float:
    """The ratio part / whole, or nan when the whole is zero."""
    return part / whole if whole else NAN


def per_quarter(
    scan: Scan, times: Sequence[float] | FloatArray, weights: Sequence[float] | None = None
) -> FloatArray:
    """Sum of ``weights`` (or a count) per quarter ``[q·qd, (q+1)·qd)``."""
    n = scan.quarters
    if not n:
        return np.zeros(0)
    t = np.asarray(times, float)
    index = np.minimum((t // scan.run.quarter_days).astype(np.int64), n - 1)
    return np.bincount(index, weights=weights, minlength=n).astype(float)


def kaplan_meier(
    durations: Sequence[float] | FloatArray, ended: Sequence[bool] | BoolArray
) -> tuple[FloatArray, FloatArray]:
    """The Kaplan–Meier (product-limit) estimate of a survival function.

    Args:
        durations: Each wait's length: to its end, or to its censoring.
        ended: Whether the wait ended (an event) rather than was censored.

    Returns:
        ``(times, survival)``: the distinct times at which some wait ended, ascending,
        and ``S(t)`` just after each, ``S(t) = Π_{t_i ≤ t} (1 - d_i / n_i)`` with
        ``d_i`` waits ending at ``t_i`` and ``n_i`` waits of length ``≥ t_i`` (at risk).
        A wait censored at the very time others end is at risk then (the usual
        convention: censoring falls just after the events of its instant). Empty
        arrays for no waits or no ended ones.
    """
    t = np.asarray(durations, float)
    if not t.size:
        return np.zeros(0), np.zeros(0)
    times, index = np.unique(t, return_inverse=True)
    deaths = np.bincount(index, weights=np.asarray(ended, float), minlength=times.size)
    at_risk = np.cumsum(np.bincount(index, minlength=times.size)[::-1])[::-1]
    keep = deaths > 0
    survival = np.cumprod(1.0 - deaths[keep] / at_risk[keep]).astype(np.float64)
    return times[keep].astype(np.float64), survival


def km_quantile(curve: tuple[FloatArray, FloatArray], q: float) -> float:
    """The ``q`` quantile of a Kaplan–Meier curve, or nan where it is not reached.

    The smallest event time ``t`` with ``S(t) ≤ 1 - q`` (within
    :data:`KM_TOLERANCE`): the textbook ``inf {t : S(t) ≤ 1 - q}``. statsmodels'
    ``SurvfuncRight.quantile`` uses a strict ``<``, so where ``S`` lands exactly on
    ``1 - q`` it answers the next event time; elsewhere the two agree. nan when the
    survival never falls that far: too many waits censored to say.
    """
    times, survival = curve
    hit = np.flatnonzero(survival <= 1.0 - q + KM_TOLERANCE)
    return float(times[hit[0]]) if hit.size else NAN


def budget_shares(
    quarters: Iterable[tuple[int, FloatArray, Any, Sequence[str]]],
    departments: Iterable[str],
    n: int,
) -> dict[str, FloatArray]:
    """Each department's share of each quarter's allocated budget (NaN: no budget that quarter).

    ``quarters`` holds ``(quarter, allocated, _, names)``: the amounts allocated that
    quarter and the departments they went to. A department a funded quarter left out
    has share 0 in it; a quarter outside ``[0, n)`` or with nothing allocated is skipped.
    """
    shares = {d: np.full(n, NAN) for d in departments}
    for q, allocated, _, names in quarters:
        total = float(allocated.sum())
        if 0 <= q < n and total > 0:
            for d in shares:
                shares[d][q] = 0.0
            for d, a in zip(names, allocated, strict=True):
                shares[d][q] = a / total
    return shares
