"""Columns of a run's log: one pass over the events, then numpy over the columns.

:class:`Scan` walks the log once, with a handler per event type, and gathers what
the projections need as plain columns (times, deltas, durations); the helpers below
turn them into step functions, integrals, levels at instants, means, percentiles
and shares. :mod:`orgsim.metrics.projections` builds every metric from these.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orgsim.engine import events as ev
from orgsim.errors import EventOrderError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DAYS_PER_YEAR = 365.0

NAN = math.nan


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
        # conflicts
        self.raised: dict[int, ev.ConflictRaised] = {}
        self.detect_delay: list[float] = []
        self.detect_broker = 0
        self.resolve_time: list[float] = []
        self.resolve_delay: list[float] = []
        self.resolve_good = 0
        self.lapse_time: list[float] = []
        self.escalated = 0
        self.ceo_since: dict[int, float] = {}
        self.ceo_days = 0.0
        self.queued_since: dict[int, float] = {}
        self.mediation_wait: list[float] = []
        self.cred_time: list[float] = []
        self.cred_value: list[float] = []
        # talent
        self.employee_dept: dict[int, str] = {}
        self.hc_time: list[float] = []
        self.hc_dept: list[str] = []
        self.hc_delta: list[int] = []
        self.hires = 0
        self.leavers = 0
        self.poached = 0
        self.req_since: dict[int, float] = {}
        self.vacancy_closed = 0.0
        # budget
        self.quarter_time: list[float] = []
        self.broker_cost: list[float] = []
        self.budget: dict[int, list[ev.BudgetAllocated]] = {}

    # The handlers: one per event type that some projection reads.

    def run_started(self, e: ev.RunStarted) -> None:
        self.started = e

    def run_ended(self, e: ev.RunEnded) -> None:
        self.ended = True

    def department_formed(self, e: ev.DepartmentFormed) -> None:
        self.salary[e.department] = e.salary

    def broker_appointed(self, e: ev.BrokerAppointed) -> None:
        self.cred_time.append(e.time)
        self.cred_value.append(e.credibility)

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
        self._headcount(e.time, e.department, 1)
        if e.requisition >= 0:
            self.hires += 1
            self._close_requisition(e.requisition, e.time)

    def employee_left(self, e: ev.EmployeeLeft) -> None:
        self.leavers += 1
        self._headcount(e.time, self.employee_dept.pop(e.employee), -1)

    def employee_transferred(self, e: ev.EmployeeTransferred) -> None:
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

    def extra_work_completed(self, e: ev.ExtraWorkCompleted) -> None:
        self.extra_time.append(e.time)
        self.extra_value.append(e.value)

    def quarter_started(self, e: ev.QuarterStarted) -> None:
        self.quarter_time.append(e.time)
        self.broker_cost.append(e.broker_cost)

    def budget_allocated(self, e: ev.BudgetAllocated) -> None:
        self.budget.setdefault(e.quarter, []).append(e)

    def _raised_at(self, e: ev.Event, conflict: int) -> float:
        raised = self.raised.get(conflict)
        if raised is None:
            raise EventOrderError(
                f"{type(e).__name__} at seq {e.seq} names conflict {conflict}, never raised"
            )
        return raised.time

    def conflict_raised(self, e: ev.ConflictRaised) -> None:
        self.raised[e.conflict] = e

    def conflict_detected(self, e: ev.ConflictDetected) -> None:
        self.detect_delay.append(e.time - self._raised_at(e, e.conflict))
        self.detect_broker += e.channel == "broker"

    def mediation_queued(self, e: ev.MediationQueued) -> None:
        self.queued_since[e.conflict] = e.time

    def mediation_started(self, e: ev.MediationStarted) -> None:
        self.mediation_wait.append(e.time - self.queued_since.pop(e.conflict))

    def conflict_escalated(self, e: ev.ConflictEscalated) -> None:
        self.escalated += 1

    def ceo_engaged(self, e: ev.CeoEngaged) -> None:
        self.ceo_since[e.conflict] = e.time

    def ceo_released(self, e: ev.CeoReleased) -> None:
        self.ceo_days += e.time - self.ceo_since.pop(e.conflict)

    def conflict_resolved(self, e: ev.ConflictResolved) -> None:
        self.resolve_time.append(e.time)
        self.resolve_delay.append(e.time - self._raised_at(e, e.conflict))
        self.resolve_good += e.company_interest

    def conflict_lapsed(self, e: ev.ConflictLapsed) -> None:
        self._raised_at(e, e.conflict)
        self.lapse_time.append(e.time)

    # Derived figures.

    @property
    def run(self) -> ev.RunStarted:
        assert self.started is not None  # scan refuses a log without it
        return self.started

    @property
    def end(self) -> float:
        """End of the observation window (see the module docstring)."""
        return self.run.horizon if self.ended else self.last_time

    @property
    def quarters(self) -> int:
        """Number of (possibly partial) quarters in ``[0, end)``."""
        # round() so that a float quotient like 2.0000000001 does not add a quarter
        return max(0, math.ceil(round(self.end / self.run.quarter_days, 9)))

    def wip(self) -> tuple[FloatArray, IntArray]:
        times = np.concatenate([np.fromiter(self.planned.values(), float), self.ship_time])
        deltas = np.concatenate(
            [np.ones(len(self.planned), np.int64), -np.ones(len(self.ship_time), np.int64)]
        )
        return steps(times, deltas, self.end)

    def open_conflicts(self) -> tuple[FloatArray, IntArray]:
        raised = [c.time for c in self.raised.values()]
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

    def budget_quarters(self) -> list[tuple[FloatArray, FloatArray, list[str]]]:
        """Per quarter with allocations: allocated, need, department names."""
        out = []
        for q in sorted(self.budget):
            rows = self.budget[q]
            out.append(
                (
                    np.array([r.allocated for r in rows], float),
                    np.array([r.need for r in rows], float),
                    [r.department for r in rows],
                )
            )
        return out


_HANDLERS: dict[type[ev.Event], Callable[[Scan, Any], None]] = {
    ev.RunStarted: Scan.run_started,
    ev.RunEnded: Scan.run_ended,
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
    ev.QuarterStarted: Scan.quarter_started,
    ev.BudgetAllocated: Scan.budget_allocated,
    ev.ConflictRaised: Scan.conflict_raised,
    ev.ConflictDetected: Scan.conflict_detected,
    ev.MediationQueued: Scan.mediation_queued,
    ev.MediationStarted: Scan.mediation_started,
    ev.ConflictEscalated: Scan.conflict_escalated,
    ev.CeoEngaged: Scan.ceo_engaged,
    ev.CeoReleased: Scan.ceo_released,
    ev.ConflictResolved: Scan.conflict_resolved,
    ev.ConflictLapsed: Scan.conflict_lapsed,
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
