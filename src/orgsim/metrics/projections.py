"""Metrics as pure functions of a run's event log.

Every number here is computed from the events alone, never from live SimPy objects
or from the scenario (DESIGN.md invariant 2), so a stored run can be re-measured,
and a metric added, without simulating again. Everything a metric needs to interpret
the log (horizon, quarter length, hiring cost, salaries) is in the log's own
``RunStarted`` and ``DepartmentFormed`` events.

One pass over the log gathers columns (:class:`_Scan`, a dict of handlers keyed by
event type); the metrics are then numpy reductions over those columns: percentiles,
and integrals of step functions for time averages and costs.

Conventions:

* **End of the observation window** ``T``: the horizon from ``RunStarted`` when the
  log holds its ``RunEnded``; otherwise (a log cut short, a prefix) the last
  event's time, so a prefix is measured over the span it covers.
* **Levels at an instant** (WIP, open conflicts, headcount at a quarter end) count
  every event at that instant, as ``orgsim.state.fold(events, until=t)`` does.
* **Counts in a quarter** ``q`` cover ``[q·qd, (q+1)·qd)``; the last quarter is
  clipped at ``T``.
* Percentiles are numpy's default (linear interpolation). Undefined values (a mean
  of nothing, a share of zero) are ``nan``, never 0, so they cannot pass for data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orgsim.engine import events as ev
from orgsim.errors import EventOrderError

__all__ = [
    "conflict_funnel",
    "metrics",
    "open_conflicts_series",
    "quarterly",
    "wip_series",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DAYS_PER_YEAR = 365.0

NAN = math.nan


# ------------------------------------------------------------------- the scan


class _Scan:
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
        assert self.started is not None  # _scan refuses a log without it
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
        return _steps(times, deltas, self.end)

    def open_conflicts(self) -> tuple[FloatArray, IntArray]:
        raised = [c.time for c in self.raised.values()]
        closed = self.resolve_time + self.lapse_time
        times = np.asarray(raised + closed, float)
        deltas = np.concatenate([np.ones(len(raised), np.int64), -np.ones(len(closed), np.int64)])
        return _steps(times, deltas, self.end)

    def headcount(self, department: str | None = None) -> tuple[FloatArray, IntArray]:
        """Headcount steps of one department, or of the whole company."""
        times = np.asarray(self.hc_time, float)
        deltas = np.asarray(self.hc_delta, np.int64)
        if department is not None:
            mask = np.asarray(self.hc_dept, object) == department
            times, deltas = times[mask], deltas[mask]
        return _steps(times, deltas, self.end)

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


_HANDLERS: dict[type[ev.Event], Callable[[_Scan, Any], None]] = {
    ev.RunStarted: _Scan.run_started,
    ev.RunEnded: _Scan.run_ended,
    ev.DepartmentFormed: _Scan.department_formed,
    ev.BrokerAppointed: _Scan.broker_appointed,
    ev.CredibilityChanged: _Scan.credibility_changed,
    ev.RequisitionOpened: _Scan.requisition_opened,
    ev.RequisitionCancelled: _Scan.requisition_cancelled,
    ev.EmployeeHired: _Scan.employee_hired,
    ev.EmployeeLeft: _Scan.employee_left,
    ev.EmployeeTransferred: _Scan.employee_transferred,
    ev.FeaturePlanned: _Scan.feature_planned,
    ev.FeatureShipped: _Scan.feature_shipped,
    ev.ExtraWorkCompleted: _Scan.extra_work_completed,
    ev.QuarterStarted: _Scan.quarter_started,
    ev.BudgetAllocated: _Scan.budget_allocated,
    ev.ConflictRaised: _Scan.conflict_raised,
    ev.ConflictDetected: _Scan.conflict_detected,
    ev.MediationQueued: _Scan.mediation_queued,
    ev.MediationStarted: _Scan.mediation_started,
    ev.ConflictEscalated: _Scan.conflict_escalated,
    ev.CeoEngaged: _Scan.ceo_engaged,
    ev.CeoReleased: _Scan.ceo_released,
    ev.ConflictResolved: _Scan.conflict_resolved,
    ev.ConflictLapsed: _Scan.conflict_lapsed,
}


def _scan(events: Sequence[ev.Event]) -> _Scan:
    """Gather the columns of a log in one pass.

    Raises:
        EventOrderError: the log is empty, does not start with ``RunStarted``, or
            names a conflict it never raised.
    """
    if not events or not isinstance(events[0], ev.RunStarted):
        first = type(events[0]).__name__ if events else "nothing"
        raise EventOrderError(f"a log must start with RunStarted, not {first}")
    scan = _Scan()
    handlers = _HANDLERS
    for e in events:
        handler = handlers.get(type(e))
        if handler is not None:
            handler(scan, e)
    scan.last_time = float(events[-1].time)
    return scan


# ------------------------------------------------------------------ numerics


def _steps(times: FloatArray, deltas: IntArray, end: float) -> tuple[FloatArray, IntArray]:
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


def _integral(steps: tuple[FloatArray, IntArray]) -> float:
    """Integral of a step function from :func:`_steps` over ``[0, end]``."""
    t, n = steps
    return float(np.dot(n[:-1], np.diff(t)))


def _level_at(steps: tuple[FloatArray, IntArray], at: FloatArray) -> IntArray:
    """Levels at each time in ``at``, counting the changes at that very instant."""
    t, n = steps
    return n[np.searchsorted(t, at, side="right") - 1]


def _mean(values: Sequence[float] | FloatArray) -> float:
    return float(np.mean(values)) if len(values) else NAN


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else NAN


def _share(part: float, whole: float) -> float:
    return part / whole if whole else NAN


def _per_quarter(
    scan: _Scan, times: Sequence[float] | FloatArray, weights: Sequence[float] | None = None
) -> FloatArray:
    """Sum of ``weights`` (or a count) per quarter ``[q·qd, (q+1)·qd)``."""
    n = scan.quarters
    if not n:
        return np.zeros(0)
    t = np.asarray(times, float)
    index = np.minimum((t // scan.run.quarter_days).astype(np.int64), n - 1)
    return np.bincount(index, weights=weights, minlength=n).astype(float)


# ---------------------------------------------------------------- public API


def metrics(events: Sequence[ev.Event]) -> dict[str, float]:
    """Every metric of one run, computed from its event log alone.

    Args:
        events: A run's log (or a prefix of it), starting with ``RunStarted``.

    Returns:
        The metrics of :data:`METRICS`, in that order, then ``headcount_end.<dept>``
        per department in ``DepartmentFormed`` order. Every value is a float; one
        that is undefined for this run (a lead time with nothing shipped, the
        broker's credibility without a broker) is ``nan``.

    Raises:
        EventOrderError: the log does not start with ``RunStarted``.
    """
    s = _scan(events)
    run, end = s.run, s.end
    out: dict[str, float] = {}

    # delivery
    shipped = len(s.ship_time)
    feature_value = float(np.sum(s.ship_value))
    out["features_shipped"] = float(shipped)
    out["value_shipped"] = feature_value + float(np.sum(s.extra_value))
    out["feature_value"] = feature_value
    out["lead_time_mean"] = _mean(s.ship_lead)
    out["lead_time_p50"] = _percentile(s.ship_lead, 50)
    out["lead_time_p90"] = _percentile(s.ship_lead, 90)
    out["on_time_rate"] = _share(float(np.count_nonzero(np.asarray(s.ship_late) == 0)), shipped)
    out["throughput"] = _share(shipped, end / run.quarter_days)
    out["wip_mean"] = _share(_integral(s.wip()), end)
    out["wip_end"] = float(len(s.planned) - shipped)

    # conflict
    raised, resolved, lapsed = len(s.raised), len(s.resolve_time), len(s.lapse_time)
    detected = len(s.detect_delay)
    out["conflicts_raised"] = float(raised)
    out["conflicts_detected"] = float(detected)
    out["conflicts_resolved"] = float(resolved)
    out["conflicts_escalated"] = float(s.escalated)
    out["conflicts_lapsed"] = float(lapsed)
    out["conflicts_open_end"] = float(raised - resolved - lapsed)
    out["detect_time_mean"] = _mean(s.detect_delay)
    out["detected_by_broker_share"] = _share(s.detect_broker, detected)
    out["resolve_time_p50"] = _percentile(s.resolve_delay, 50)
    out["resolve_time_p90"] = _percentile(s.resolve_delay, 90)
    out["resolution_quality"] = _share(s.resolve_good, resolved)
    # The CEO still engaged when the log ends has spent the time up to its end.
    still = sum(s.last_time - since for since in s.ceo_since.values())
    out["ceo_days"] = s.ceo_days + still
    out["mediation_wait_mean"] = _mean(s.mediation_wait)
    out["open_conflicts_mean"] = _share(_integral(s.open_conflicts()), end)
    out["credibility_end"] = s.cred_value[-1] if s.cred_value else NAN

    # organisation
    person_days = {d: _integral(s.headcount(d)) for d in s.salary}
    total = s.headcount()
    out["headcount_end"] = float(total[1][-1])
    out["hires"] = float(s.hires)
    out["attrition"] = float(s.leavers)
    # leavers per year / average headcount = leavers · 365 / person-days
    out["attrition_rate"] = _share(s.leavers * DAYS_PER_YEAR, _integral(total))
    out["poached"] = float(s.poached)
    out["vacancy_days"] = s.vacancy_closed + sum(end - t for t in s.req_since.values())
    hhi, alignment = [], []
    for allocated, need, _ in s.budget_quarters():
        if allocated.sum() > 0:
            share = allocated / allocated.sum()
            hhi.append(float(np.sum(share**2)))
            if need.sum() > 0:
                alignment.append(1.0 - 0.5 * float(np.abs(share - need / need.sum()).sum()))
    out["budget_hhi"] = _mean(hhi)
    out["budget_alignment"] = _mean(alignment)

    # economics
    salary_cost = sum(person_days[d] * pay / DAYS_PER_YEAR for d, pay in s.salary.items())
    hiring_cost = s.hires * run.hiring_cost
    # each quarter's broker salary counts only for the part of it inside [0, end]
    starts = np.asarray(s.quarter_time, float)
    covered = np.clip((end - starts) / run.quarter_days, 0.0, 1.0)
    broker_cost = float(np.dot(np.asarray(s.broker_cost, float), covered))
    cost = salary_cost + hiring_cost + broker_cost
    out["salary_cost"] = float(salary_cost)
    out["hiring_cost"] = float(hiring_cost)
    out["broker_cost"] = broker_cost
    out["cost"] = float(cost)
    out["net_value"] = out["value_shipped"] - cost

    for d in s.salary:
        out[f"headcount_end.{d}"] = float(s.headcount(d)[1][-1])
    return out


def quarterly(events: Sequence[ev.Event]) -> dict[str, FloatArray]:
    """Per-quarter time series of one run, for charts and trend tables.

    Quarter ``q`` covers ``[q·qd, (q+1)·qd)`` for ``q = 0 .. Q-1`` with
    ``Q = ceil(T / qd)``; the last one is clipped at the end ``T``. Flows
    (``value_shipped``, ``features_shipped``, ``conflicts_raised``,
    ``conflicts_resolved``) sum the quarter's events; levels (``open_conflicts``,
    ``wip``, ``headcount``, ``headcount.<dept>``, ``credibility``) are read at the
    quarter's end, counting the events at that instant. ``budget_share.<dept>`` is
    the department's share of the allocations recorded for that quarter (``nan``
    for a quarter without any). ``credibility`` is ``nan`` without a broker.

    Args:
        events: A run's log, starting with ``RunStarted``.

    Returns:
        Arrays of length ``Q``, all float; ``quarter_end`` holds each quarter's end.
    """
    s = _scan(events)
    n = s.quarters
    qd = s.run.quarter_days
    ends = np.minimum(np.arange(1, n + 1) * qd, s.end).astype(float)
    out: dict[str, FloatArray] = {}
    out["value_shipped"] = _per_quarter(s, s.ship_time + s.extra_time, s.ship_value + s.extra_value)
    out["features_shipped"] = _per_quarter(s, s.ship_time)
    out["conflicts_raised"] = _per_quarter(s, [c.time for c in s.raised.values()])
    out["conflicts_resolved"] = _per_quarter(s, s.resolve_time)
    out["open_conflicts"] = _level_at(s.open_conflicts(), ends).astype(float)
    out["wip"] = _level_at(s.wip(), ends).astype(float)
    out["headcount"] = _level_at(s.headcount(), ends).astype(float)
    for d in s.salary:
        out[f"headcount.{d}"] = _level_at(s.headcount(d), ends).astype(float)
    shares = {d: np.full(n, NAN) for d in s.salary}
    for q, rows in s.budget.items():
        total = sum(r.allocated for r in rows)
        if 0 <= q < n and total > 0:
            for d in shares:
                shares[d][q] = 0.0
            for r in rows:
                shares[r.department][q] = r.allocated / total
    for d, values in shares.items():
        out[f"budget_share.{d}"] = values
    if s.cred_time:
        idx = np.searchsorted(np.asarray(s.cred_time), ends, side="right") - 1
        cred = np.asarray(s.cred_value, float)[np.maximum(idx, 0)]
        out["credibility"] = np.where(idx >= 0, cred, NAN)
    else:
        out["credibility"] = np.full(n, NAN)
    out["quarter_end"] = ends
    return out


def wip_series(events: Sequence[ev.Event]) -> tuple[FloatArray, IntArray]:
    """Features planned and not yet shipped, as a step function of time.

    Returns:
        ``(times, counts)``: ``counts[i]`` holds on ``[times[i], times[i+1])``;
        ``times`` runs from 0 to the end ``T``, the last count repeating the level
        at ``T``. Its time average over ``[0, T]`` is ``metrics()["wip_mean"]``.
    """
    return _scan(events).wip()


def open_conflicts_series(events: Sequence[ev.Event]) -> tuple[FloatArray, IntArray]:
    """Conflicts raised and neither resolved nor lapsed, as a step function of time.

    Returns:
        ``(times, counts)`` in the form of :func:`wip_series`; its time average is
        ``metrics()["open_conflicts_mean"]``.
    """
    return _scan(events).open_conflicts()


def conflict_funnel(events: Sequence[ev.Event]) -> dict[str, int]:
    """How many conflicts reached each step: raised, detected, resolved, ...

    ``escalated`` counts escalations to the CEO; ``open`` is raised minus resolved
    minus lapsed, so the funnel's end states (resolved, lapsed, open) sum to raised.
    """
    s = _scan(events)
    raised, resolved, lapsed = len(s.raised), len(s.resolve_time), len(s.lapse_time)
    return {
        "raised": raised,
        "detected": len(s.detect_delay),
        "resolved": resolved,
        "escalated": s.escalated,
        "lapsed": lapsed,
        "open": raised - resolved - lapsed,
    }
