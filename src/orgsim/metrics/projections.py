"""Metrics as pure functions of a run's event log.

Every number here is computed from the events alone, never from live SimPy objects
or from the scenario (DESIGN.md invariant 2), so a stored run can be re-measured,
and a metric added, without simulating again. Everything a metric needs to interpret
the log (horizon, quarter length, hiring cost, the CEO's hours a week,
salaries, the broker's credibility decay) is in the log's own ``RunStarted``,
``DepartmentFormed``, ``EmployeeHired`` and ``BrokerAppointed`` events.

Two paths compute the same values. Over an ``EventLog`` (anything with ``frame``)
the projections read the log's columns, numpy over each event type's frame
(:mod:`orgsim.metrics.vectorised`), with no Python per event. For any other
sequence of events, and for a log the columns do not take, the reference fold:
one pass over the events gathers columns (:class:`~orgsim.metrics.columns.Scan`, a
dict of handlers keyed by event type), and the metrics are numpy reductions over
those columns: percentiles, Kaplan–Meier quantiles of waits, and integrals of
step functions for time averages and costs (:func:`reference_metrics`,
:func:`reference_quarterly`, :func:`reference_conflict_funnel`). The columnar path
does the fold's arithmetic in the fold's order, so the two agree bit for bit
(``tests/metrics/test_vectorised.py``).

Conventions:

* **End of the observation window** ``T``: the time of the log's ``RunEnded`` (the
  horizon, or the instant a company that ran out of cash failed); otherwise (a log
  cut short, a prefix) the last event's time, so a prefix is measured over the
  span it covers.
* **Levels at an instant** (WIP, open conflicts, headcount at a quarter end) count
  every event at that instant, as ``orgsim.engine.state.fold(events, until=t)`` does.
* **Counts in a quarter** ``q`` cover ``[q·qd, (q+1)·qd)``; the last quarter is
  clipped at ``T``.
* Percentiles of completed durations (lead times) are numpy's default (linear
  interpolation). Undefined values (a mean of nothing, a share of zero) are
  ``nan``, never 0, so they cannot pass for data.
* **Waits are censored, not dropped.** A wait that has not ended by the time its
  conflict closes, or by ``T``, is censored there: it lasted at least that long. Its
  quantiles are Kaplan–Meier quantiles (:func:`~orgsim.metrics.columns.kaplan_meier`):
  the smallest time at which the estimated survival ``S(t)`` is ``≤ 1 - q``, ``nan``
  when ``S`` never falls that far (too much censored to say). Dropping the
  unfinished waits would keep exactly the longest ones out of the figure.

Definitions of the metrics that are more than a count:

* ``detect_time_p50``: KM median of the days from ``ConflictRaised`` to
  ``ConflictDetected`` over every raised conflict, censored when the conflict
  closed undetected, or at ``T``.
* ``resolve_time_p50``, ``resolve_time_p90``: KM median and 90th percentile of the
  days from ``ConflictRaised`` to ``ConflictResolved`` over every raised conflict,
  censored at its ``ConflictLapsed`` or at ``T``. ``resolve_censored_share``: the
  share of raised conflicts not resolved (lapsed, or still open at ``T``).
* ``mediation_wait_p50``: KM median of the days from ``MediationQueued`` to
  ``MediationStarted`` over every queueing, censored when the conflict closed
  (``ConflictResolved`` or ``ConflictLapsed``) while still queued, or at ``T``.
  ``mediation_censored_share``: the share of queueings so censored. Both ``nan``
  with nothing queued (and so without a broker).
* ``ceo_hours``: CEO hours spent on escalations in ``[0, T]``. The escalations on
  the CEO's desk (from its ``ConflictEscalated`` to its ``CeoReleased``) share
  ``RunStarted.ceo_hours_per_week`` in order of arrival, at most
  ``ceo_max_hours_per_week`` each, by the rule the engine's state applies
  (:class:`~orgsim.engine.state.Desk`, replayed from the log); the hours are the
  integral of the desk's total rate. ``ceo_load``: those hours over the hours the
  CEO had for escalations, ``ceo_hours / (ceo_hours_per_week · T / 7)``.
* ``credibility_end``: the broker's credibility at ``T``, decayed since the last
  level recorded: ``floor + (c - floor) · 0.5 ** ((T - t_last) / halflife)`` with
  ``c``, ``t_last`` from the last ``BrokerAppointed``/``CredibilityChanged`` and
  ``floor``, ``halflife`` from ``BrokerAppointed`` (``BrokerPraised`` records a
  level too).
* ``misaligned_value_lost``: Σ ``FeatureShipped.misaligned``, the value features
  lost because they shipped built for a segment their product's market had left
  (already out of ``value_shipped``, so not a cost on top of it).
* ``realign_time_p50``: KM median of the days from each ``MarketShifted`` to the
  first ``RoadmapRealigned`` of its product whose epoch reaches it, censored at ``T``.
* ``attrition_rate``: a hazard rate per year, leavers per person-year employed:
  ``leavers · 365 / Σ person-days in [0, T]`` (leavers per year divided by the
  average headcount). Not the share of staff who left.
* ``budget_hhi``, ``budget_alignment``: means over the quarters with allocations of
  the Herfindahl index ``Σ s_d²`` of the budget shares ``s_d``, and of the fit
  ``1 - ½ Σ |s_d - n_d|`` to the need shares ``n_d``; a quarter's allocation is as it
  stands after that quarter's transfers (see
  :meth:`~orgsim.metrics.columns.Scan.budget_quarters`), so disputes that moved
  money count.
* ``salary_cost``: each person's own salary (``EmployeeHired.salary``, kept when they
  transfer) over the time they were employed in ``[0, T]``, ``Σ salary · days / 365``.
* ``support_backlog``, ``support_backlog_cost``: the time average over ``[0, T]`` of
  Support's backlog of customer issues ``B(t)`` (person-days), and
  ``backlog_cost · ∫ B dt`` (``SupportFounded``). ``B`` is the state's flow (issues
  arrive at the demand and are worked at Support's capacity, first), piecewise linear
  between events, so the integral is exact; it is read off the state the log folds
  to (the live log's own, else a fold). Both 0 when the log has no demand.
* ``incident_cost``: the sum of ``PrivacyIncident.cost``; it and
  ``support_backlog_cost`` are money lost, counted in ``cost``.
* **Cash** (the seed: "at start-ups, cash burn is much more important than job
  title"). The balance starts at ``BudgetFounded.cash``; it falls at the burn, every
  salary / 365 a day plus each quarter's ``broker_cost`` spread over the quarter;
  each hire on a requisition takes ``hiring_cost`` at once, and each shipped
  feature or finished unplanned work brings ``cash_share · value`` at once. So
  ``cash_end = cash + cash_share · value_shipped − cost``. ``survived`` is 1 unless
  the log holds a ``CompanyFailed``; ``time_to_failure`` is its time, else ``T``:
  *censored* there (the company lasted at least that long), ``survived`` being the
  censoring flag, so Kaplan–Meier over runs takes ``(time_to_failure, 1 −
  survived)``. ``cash_min`` is the lowest balance over ``[0, T]`` and ``runway_min``
  the lowest runway, ``max(0, cash) / burn`` in months of ``365 / 12`` days, both
  at some event or at ``T`` (the balance only falls between lumps); 0 for a company
  that failed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from orgsim.engine import events as ev
from orgsim.engine.state import DAYS_PER_WEEK, OrgState, fold
from orgsim.metrics import columns as col
from orgsim.metrics import vectorised
from orgsim.metrics.catalogue import UTILISATION
from orgsim.metrics.vectorised import RESOLUTION_FORUMS

T = TypeVar("T")

__all__ = [
    "RESOLUTION_FORUMS",
    "conflict_funnel",
    "department_utilisation",
    "metrics",
    "open_conflicts_series",
    "quarterly",
    "reference_conflict_funnel",
    "reference_metrics",
    "reference_quarterly",
    "wip_series",
]


# ---------------------------------------------------------------- public API
#
# Each projection has two paths that give the same values: over a log's columns
# (orgsim.metrics.vectorised, numpy, for anything with ``frame``: an EventLog) and
# the reference fold below (one Python pass over the events, for any sequence of
# them). A log whose shape only the fold takes (vectorised.NotColumnar) goes to it.


def _either(events: Sequence[ev.Event], columnar: Callable[[], T], reference: Callable[[], T]) -> T:
    """The columnar path for a log that has columns and whose shape it takes, else the fold."""
    if callable(getattr(events, "frame", None)):
        try:
            return columnar()
        except vectorised.NotColumnar:
            pass
    return reference()


def _fold(events: Sequence[ev.Event]) -> OrgState:
    return fold(events)  # looked up when called, so a test can watch the folds


def metrics(events: Sequence[ev.Event], state: OrgState | None = None) -> dict[str, float]:
    """Every metric of one run, computed from its event log alone.

    Over the log's columns when it has them (an ``EventLog``), else by the
    reference fold (:func:`reference_metrics`); both give the same values.

    Args:
        events: A run's log (or a prefix of it), starting with ``RunStarted``.
        state: The state the log folds to, when the caller has it (see
            :func:`reference_metrics`).

    Returns:
        The metrics of :data:`METRICS`, in that order, then ``headcount_end.<dept>``.

    Raises:
        EventOrderError: the log does not start with ``RunStarted``.
    """
    return _either(
        events,
        lambda: vectorised.metrics(events, state, refold=_fold),  # type: ignore[arg-type]
        lambda: reference_metrics(events, state),
    )


def reference_metrics(
    events: Sequence[ev.Event], state: OrgState | None = None
) -> dict[str, float]:
    """Every metric of one run by the reference fold: one Python pass over the events.

    Args:
        events: A run's log (or a prefix of it), starting with ``RunStarted``.
        state: The state the log folds to, when the caller has it (a run's live
            state); otherwise the log's own (an ``EventLog``), or a fold of it when
            a metric needs the flows (Support's backlog of customer issues).

    Returns:
        The metrics of :data:`METRICS`, in that order, then ``headcount_end.<dept>``
        per department in ``DepartmentFormed`` order. Every value is a float; one
        that is undefined for this run (a lead time with nothing shipped, the
        broker's credibility without a broker) is ``nan``.

    Raises:
        EventOrderError: the log does not start with ``RunStarted``.
    """
    s = col.scan(events)
    run, end = s.run, s.end
    out: dict[str, float] = {}

    # delivery
    shipped = len(s.ship_time)
    feature_value = float(np.sum(s.ship_value))
    out["features_shipped"] = float(shipped)
    out["value_shipped"] = feature_value + float(np.sum(s.extra_value))
    out["feature_value"] = feature_value
    out["lead_time_mean"] = col.mean(s.ship_lead)
    out["lead_time_p50"] = col.percentile(s.ship_lead, 50)
    out["lead_time_p90"] = col.percentile(s.ship_lead, 90)
    out["on_time_rate"] = col.share(float(np.count_nonzero(np.asarray(s.ship_late) == 0)), shipped)
    out["throughput"] = col.share(shipped, end / run.quarter_days)
    out["wip_mean"] = col.share(col.integral(s.wip()), end)
    out["wip_end"] = float(len(s.planned) - shipped)
    backlog_area = _issue_area(events, s, state)
    out["support_backlog"] = col.share(backlog_area, end) if s.support is not None else 0.0
    out["market_shifts"] = float(len(s.shift_time))
    out["misaligned_value_lost"] = s.misaligned
    out["realign_time_p50"] = col.km_quantile(col.kaplan_meier(*s.realign_waits()), 0.5)

    # conflict
    raised, resolved, lapsed = len(s.raised), len(s.resolve_time), len(s.lapse_time)
    detected = s.detected
    out["conflicts_raised"] = float(raised)
    out["conflicts_detected"] = float(detected)
    out["conflicts_resolved"] = float(resolved)
    out["conflicts_escalated"] = float(s.escalated)
    out["conflicts_lapsed"] = float(lapsed)
    out["conflicts_open_end"] = float(raised - resolved - lapsed)
    out["detect_time_p50"] = col.km_quantile(col.kaplan_meier(*s.detect_waits()), 0.5)
    out["detected_by_broker_share"] = col.share(s.detect_broker, detected)
    resolve = col.kaplan_meier(*s.resolve_waits())
    out["resolve_time_p50"] = col.km_quantile(resolve, 0.5)
    out["resolve_time_p90"] = col.km_quantile(resolve, 0.9)
    out["resolve_censored_share"] = col.share(raised - resolved, raised)
    out["resolution_quality"] = col.share(s.resolve_good, resolved)
    ceo_hours = s.ceo_hours()
    out["ceo_hours"] = ceo_hours
    out["ceo_load"] = col.share(ceo_hours, run.ceo_hours_per_week * end / DAYS_PER_WEEK)
    waits, mediated = s.mediation_waits()
    out["mediation_wait_p50"] = col.km_quantile(col.kaplan_meier(waits, mediated), 0.5)
    out["mediation_censored_share"] = col.share(float(np.count_nonzero(~mediated)), waits.size)
    out["open_conflicts_mean"] = col.share(col.integral(s.open_conflicts()), end)
    out["credibility_end"] = float(s.credibility_at(np.array([end]))[0])
    out["privacy_incidents"] = float(s.incidents)
    out["praises"] = float(s.praises) if s.cred_time else col.NAN  # no broker, no praise

    # organisation
    total = s.headcount()
    out["headcount_end"] = float(total[1][-1])
    out["hires"] = float(s.hires)
    out["attrition"] = float(s.leavers)
    # a hazard rate: leavers per year / average headcount = leavers · 365 / person-days
    out["attrition_rate"] = col.share(s.leavers * col.DAYS_PER_YEAR, col.integral(total))
    out["poached"] = float(s.poached)
    out["vacancy_days"] = s.vacancy_closed + sum(end - t for t in s.req_since.values())
    out["time_to_hire"] = float(np.mean(s.fill_days)) if s.fill_days else col.NAN
    hhi, alignment = [], []
    for _, allocated, need, _ in s.budget_quarters():
        if allocated.sum() > 0:
            share = allocated / allocated.sum()
            hhi.append(float(np.sum(share**2)))
            if need.sum() > 0:
                alignment.append(1.0 - 0.5 * float(np.abs(share - need / need.sum()).sum()))
    out["budget_hhi"] = col.mean(hhi)
    out["budget_alignment"] = col.mean(alignment)

    # economics
    salary_cost = s.salary_days() / col.DAYS_PER_YEAR
    hiring_cost = s.hires * run.hiring_cost
    # each quarter's broker salary counts only for the part of it inside [0, end]
    starts = np.asarray(s.quarter_time, float)
    covered = np.clip((end - starts) / run.quarter_days, 0.0, 1.0)
    broker_cost = float(np.dot(np.asarray(s.broker_cost, float), covered)) + s.broker_charged
    backlog_cost = s.support.backlog_cost * backlog_area if s.support is not None else 0.0
    cost = salary_cost + hiring_cost + broker_cost + backlog_cost + s.incident_cost
    out["salary_cost"] = float(salary_cost)
    out["hiring_cost"] = float(hiring_cost)
    out["broker_cost"] = broker_cost
    out["support_backlog_cost"] = float(backlog_cost)
    out["incident_cost"] = float(s.incident_cost)
    out["cost"] = float(cost)
    out["net_value"] = out["value_shipped"] - cost
    failed = not np.isnan(s.failed_time)
    out["survived"] = 0.0 if failed else 1.0
    out["time_to_failure"] = float(s.failed_time) if failed else float(end)
    out["cash_end"] = float(s.cash.close(end))
    out["cash_min"] = float(s.cash.low)
    # a company that failed had no runway left, whatever the rounding of its balance
    out["runway_min"] = 0.0 if failed else float(s.cash.runway_low) / col.DAYS_PER_MONTH

    for d in s.salary:
        out[f"headcount_end.{d}"] = float(s.headcount(d)[1][-1])
    return out


def _issue_area(events: Sequence[ev.Event], s: col.Scan, state: OrgState | None) -> float:
    """``∫ B dt`` over ``[0, T]`` of Support's issue backlog; 0 without a demand.

    The backlog is a flow of the state, so it is read off the state the log folds
    to: the one given, or the live log's own, or a fold (a stored log).
    """
    if s.support is None:
        return 0.0
    last = events[-1].seq
    if state is None or state.seq != last:
        own = getattr(events, "state", None)
        state = own if isinstance(own, OrgState) and own.seq == last else fold(events)
    return state.issue_area(s.support.department, s.end)


def department_utilisation(state: OrgState) -> dict[str, float]:
    """Each department's utilisation: person-days worked / person-days of capacity.

    Read off the state a log folds to (``run.state``, or
    :func:`orgsim.engine.state.fold` of a stored log), whose flows account for both:
    capacity is the department's people at their productivity (ramp-up, conflict
    drag, the broker's overhead), worked is what its queue and (Support) its
    customer issues absorbed of it. Over ``[0, T]``, ``T`` the state's time: an
    ended run's ``RunEnded`` (the horizon, or the instant the company failed; the
    flows carried on to it).
    Departments that do no modelled work (no stage, no extra work) read 0; one with
    no capacity at all, ``nan``.

    Returns:
        ``utilisation.<department>`` per department, in formation order.
    """
    end = state.time
    out = {}
    for name, d in state.departments.items():
        dt = max(0.0, end - d.since)
        worked = d.worked + (d.busy + d.served) * dt
        offered = d.offered + d.capacity * dt
        out[f"{UTILISATION}.{name}"] = col.share(worked, offered)
    return out


def quarterly(events: Sequence[ev.Event]) -> dict[str, col.FloatArray]:
    """Per-quarter time series of one run (see :func:`reference_quarterly`).

    Over the log's columns when it has them (an ``EventLog``), else by the
    reference fold; both give the same values.
    """
    return _either(
        events,
        lambda: vectorised.quarterly(events),  # type: ignore[arg-type]
        lambda: reference_quarterly(events),
    )


def reference_quarterly(events: Sequence[ev.Event]) -> dict[str, col.FloatArray]:
    """Per-quarter time series of one run, for charts and trend tables.

    Quarter ``q`` covers ``[q·qd, (q+1)·qd)`` for ``q = 0 .. Q-1`` with
    ``Q = ceil(T / qd)``; the last one is clipped at the end ``T``. Flows
    (``value_shipped``, ``features_shipped``, ``conflicts_raised``,
    ``conflicts_resolved``) sum the quarter's events; levels (``open_conflicts``,
    ``wip``, ``headcount``, ``headcount.<dept>``, ``credibility``) are read at the
    quarter's end, counting the events at that instant; ``credibility`` is decayed
    to that end as ``credibility_end`` is to ``T`` (``nan`` without a broker).
    ``budget_share.<dept>`` is the department's share of the quarter's allocation
    as it stands after that quarter's budget transfers, as ``budget_hhi`` reads it
    (``nan`` for a quarter without allocations).

    Args:
        events: A run's log, starting with ``RunStarted``.

    Returns:
        Arrays of length ``Q``, all float; ``quarter_end`` holds each quarter's end.
    """
    s = col.scan(events)
    n = s.quarters
    qd = s.run.quarter_days
    ends = np.minimum(np.arange(1, n + 1) * qd, s.end).astype(float)
    out: dict[str, col.FloatArray] = {}
    out["value_shipped"] = col.per_quarter(
        s, s.ship_time + s.extra_time, s.ship_value + s.extra_value
    )
    out["features_shipped"] = col.per_quarter(s, s.ship_time)
    out["conflicts_raised"] = col.per_quarter(s, s.raised_time)
    out["conflicts_resolved"] = col.per_quarter(s, s.resolve_time)
    out["open_conflicts"] = col.level_at(s.open_conflicts(), ends).astype(float)
    out["wip"] = col.level_at(s.wip(), ends).astype(float)
    out["headcount"] = col.level_at(s.headcount(), ends).astype(float)
    for d in s.salary:
        out[f"headcount.{d}"] = col.level_at(s.headcount(d), ends).astype(float)
    for d, values in col.budget_shares(s.budget_quarters(), s.salary, n).items():
        out[f"budget_share.{d}"] = values
    out["credibility"] = s.credibility_at(ends)
    out["quarter_end"] = ends
    return out


def wip_series(events: Sequence[ev.Event]) -> tuple[col.FloatArray, col.IntArray]:
    """Features planned and not yet shipped, as a step function of time.

    Over the log's columns when it has them, else by the reference fold.

    Returns:
        ``(times, counts)``: ``counts[i]`` holds on ``[times[i], times[i+1])``;
        ``times`` runs from 0 to the end ``T``, the last count repeating the level
        at ``T``. Its time average over ``[0, T]`` is ``metrics()["wip_mean"]``.
    """
    return _either(
        events,
        lambda: vectorised.wip_series(events),  # type: ignore[arg-type]
        lambda: col.scan(events).wip(),
    )


def open_conflicts_series(events: Sequence[ev.Event]) -> tuple[col.FloatArray, col.IntArray]:
    """Conflicts raised and neither resolved nor lapsed, as a step function of time.

    Over the log's columns when it has them, else by the reference fold.

    Returns:
        ``(times, counts)`` in the form of :func:`wip_series`; its time average is
        ``metrics()["open_conflicts_mean"]``.
    """
    return _either(
        events,
        lambda: vectorised.open_conflicts_series(events),  # type: ignore[arg-type]
        lambda: col.scan(events).open_conflicts(),
    )


def conflict_funnel(events: Sequence[ev.Event]) -> dict[str, int]:
    """How many conflicts reached each step (see :func:`reference_conflict_funnel`).

    Over the log's columns when it has them (an ``EventLog``), else by the
    reference fold; both give the same counts.
    """
    return _either(
        events,
        lambda: vectorised.conflict_funnel(events),  # type: ignore[arg-type]
        lambda: reference_conflict_funnel(events),
    )


def reference_conflict_funnel(events: Sequence[ev.Event]) -> dict[str, int]:
    """How many conflicts reached each step: raised, detected, resolved, ...

    ``escalated`` counts escalations to the CEO; ``open`` is raised minus resolved
    minus lapsed, so the funnel's end states (resolved, lapsed, open) sum to raised.
    ``escalated`` overlaps them (an escalated conflict is then resolved by the CEO,
    lapses or stays open), so the partition of the outcomes splits ``resolved`` by
    forum instead: ``resolved_negotiation``, ``resolved_mediation`` (the broker)
    and ``resolved_ceo`` sum to ``resolved``. They come last, so readers of the
    first six keys (stored results) see them unchanged.
    """
    s = col.scan(events)
    raised, resolved, lapsed = len(s.raised), len(s.resolve_time), len(s.lapse_time)
    forums = Counter(e.forum for e in events if isinstance(e, ev.ConflictResolved))
    return {
        "raised": raised,
        "detected": s.detected,
        "resolved": resolved,
        "escalated": s.escalated,
        "lapsed": lapsed,
        "open": raised - resolved - lapsed,
        **{f"resolved_{forum}": forums[forum] for forum in RESOLUTION_FORUMS},
    }
