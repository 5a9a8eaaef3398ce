"""Metrics as pure functions of a run's event log.

Every number here is computed from the events alone, never from live SimPy objects
or from the scenario (DESIGN.md invariant 2), so a stored run can be re-measured,
and a metric added, without simulating again. Everything a metric needs to interpret
the log (horizon, quarter length, hiring cost, the CEO's slots and attention,
salaries, the broker's credibility decay) is in the log's own ``RunStarted``,
``DepartmentFormed``, ``EmployeeHired`` and ``BrokerAppointed`` events.

One pass over the log gathers columns (:class:`~orgsim.metrics.columns.Scan`, a dict
of handlers keyed by event type); the metrics are then numpy reductions over those
columns: percentiles, Kaplan–Meier quantiles of waits, and integrals of step
functions for time averages and costs.

Conventions:

* **End of the observation window** ``T``: the horizon from ``RunStarted`` when the
  log holds its ``RunEnded``; otherwise (a log cut short, a prefix) the last
  event's time, so a prefix is measured over the span it covers.
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
* ``ceo_days``: the CEO's working days spent on escalations:
  ``Σ (engaged time) × ceo_attention`` over each ``CeoEngaged`` to its
  ``CeoReleased`` (or to ``T`` while still engaged), ``ceo_attention`` being the
  share of the CEO's working time one engaged escalation takes (``RunStarted``).
  ``ceo_load``: the time-average number of escalations the CEO is engaged on,
  divided by ``RunStarted.ceo_slots``: the share of the CEO's escalation capacity
  in use, ``Σ engaged time / (T · ceo_slots)``.
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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from orgsim.engine import events as ev
from orgsim.engine.state import OrgState
from orgsim.metrics import columns as col
from orgsim.metrics.catalogue import UTILISATION

__all__ = [
    "conflict_funnel",
    "department_utilisation",
    "metrics",
    "open_conflicts_series",
    "quarterly",
    "wip_series",
]


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
    slot_days = s.ceo_slot_days()
    out["ceo_days"] = slot_days * run.ceo_attention
    out["ceo_load"] = col.share(slot_days, end * run.ceo_slots)
    waits, mediated = s.mediation_waits()
    out["mediation_wait_p50"] = col.km_quantile(col.kaplan_meier(waits, mediated), 0.5)
    out["mediation_censored_share"] = col.share(float(np.count_nonzero(~mediated)), waits.size)
    out["open_conflicts_mean"] = col.share(col.integral(s.open_conflicts()), end)
    out["credibility_end"] = float(s.credibility_at(np.array([end]))[0])
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


def department_utilisation(state: OrgState) -> dict[str, float]:
    """Each department's utilisation: person-days worked / person-days of capacity.

    Read off the state a log folds to (``run.state``, or
    :func:`orgsim.engine.state.fold` of a stored log), whose flows account for both:
    capacity is the department's people at their productivity (ramp-up, conflict
    drag, the broker's overhead), worked is what its queue absorbed of it. Over
    ``[0, T]``, ``T`` the horizon of an ended run (the flows carried on to it).
    Departments that do no modelled work (no stage, no extra work) read 0; one with
    no capacity at all, ``nan``.

    Returns:
        ``utilisation.<department>`` per department, in formation order.
    """
    end = state.horizon if state.ended else state.time
    out = {}
    for name, d in state.departments.items():
        dt = max(0.0, end - d.since)
        worked, offered = d.worked + d.busy * dt, d.offered + d.capacity * dt
        out[f"{UTILISATION}.{name}"] = col.share(worked, offered)
    return out


def quarterly(events: Sequence[ev.Event]) -> dict[str, col.FloatArray]:
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
    shares = {d: np.full(n, col.NAN) for d in s.salary}
    for q, allocated, _, names in s.budget_quarters():
        total = float(allocated.sum())
        if 0 <= q < n and total > 0:
            for d in shares:
                shares[d][q] = 0.0
            for d, a in zip(names, allocated, strict=True):
                shares[d][q] = a / total
    for d, values in shares.items():
        out[f"budget_share.{d}"] = values
    out["credibility"] = s.credibility_at(ends)
    out["quarter_end"] = ends
    return out


def wip_series(events: Sequence[ev.Event]) -> tuple[col.FloatArray, col.IntArray]:
    """Features planned and not yet shipped, as a step function of time.

    Returns:
        ``(times, counts)``: ``counts[i]`` holds on ``[times[i], times[i+1])``;
        ``times`` runs from 0 to the end ``T``, the last count repeating the level
        at ``T``. Its time average over ``[0, T]`` is ``metrics()["wip_mean"]``.
    """
    return col.scan(events).wip()


def open_conflicts_series(events: Sequence[ev.Event]) -> tuple[col.FloatArray, col.IntArray]:
    """Conflicts raised and neither resolved nor lapsed, as a step function of time.

    Returns:
        ``(times, counts)`` in the form of :func:`wip_series`; its time average is
        ``metrics()["open_conflicts_mean"]``.
    """
    return col.scan(events).open_conflicts()


def conflict_funnel(events: Sequence[ev.Event]) -> dict[str, int]:
    """How many conflicts reached each step: raised, detected, resolved, ...

    ``escalated`` counts escalations to the CEO; ``open`` is raised minus resolved
    minus lapsed, so the funnel's end states (resolved, lapsed, open) sum to raised.
    """
    s = col.scan(events)
    raised, resolved, lapsed = len(s.raised), len(s.resolve_time), len(s.lapse_time)
    return {
        "raised": raised,
        "detected": s.detected,
        "resolved": resolved,
        "escalated": s.escalated,
        "lapsed": lapsed,
        "open": raised - resolved - lapsed,
    }
