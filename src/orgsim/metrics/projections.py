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
  every event at that instant, as ``orgsim.engine.state.fold(events, until=t)`` does.
* **Counts in a quarter** ``q`` cover ``[q·qd, (q+1)·qd)``; the last quarter is
  clipped at ``T``.
* Percentiles are numpy's default (linear interpolation). Undefined values (a mean
  of nothing, a share of zero) are ``nan``, never 0, so they cannot pass for data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from orgsim.engine import events as ev
from orgsim.metrics import columns as col

__all__ = [
    "conflict_funnel",
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

    # conflict
    raised, resolved, lapsed = len(s.raised), len(s.resolve_time), len(s.lapse_time)
    detected = len(s.detect_delay)
    out["conflicts_raised"] = float(raised)
    out["conflicts_detected"] = float(detected)
    out["conflicts_resolved"] = float(resolved)
    out["conflicts_escalated"] = float(s.escalated)
    out["conflicts_lapsed"] = float(lapsed)
    out["conflicts_open_end"] = float(raised - resolved - lapsed)
    out["detect_time_mean"] = col.mean(s.detect_delay)
    out["detected_by_broker_share"] = col.share(s.detect_broker, detected)
    out["resolve_time_p50"] = col.percentile(s.resolve_delay, 50)
    out["resolve_time_p90"] = col.percentile(s.resolve_delay, 90)
    out["resolution_quality"] = col.share(s.resolve_good, resolved)
    # The CEO still engaged when the log ends has spent the time up to its end.
    still = sum(s.last_time - since for since in s.ceo_since.values())
    out["ceo_days"] = s.ceo_days + still
    out["mediation_wait_mean"] = col.mean(s.mediation_wait)
    out["open_conflicts_mean"] = col.share(col.integral(s.open_conflicts()), end)
    out["credibility_end"] = s.cred_value[-1] if s.cred_value else col.NAN

    # organisation
    person_days = {d: col.integral(s.headcount(d)) for d in s.salary}
    total = s.headcount()
    out["headcount_end"] = float(total[1][-1])
    out["hires"] = float(s.hires)
    out["attrition"] = float(s.leavers)
    # leavers per year / average headcount = leavers · 365 / person-days
    out["attrition_rate"] = col.share(s.leavers * col.DAYS_PER_YEAR, col.integral(total))
    out["poached"] = float(s.poached)
    out["vacancy_days"] = s.vacancy_closed + sum(end - t for t in s.req_since.values())
    hhi, alignment = [], []
    for allocated, need, _ in s.budget_quarters():
        if allocated.sum() > 0:
            share = allocated / allocated.sum()
            hhi.append(float(np.sum(share**2)))
            if need.sum() > 0:
                alignment.append(1.0 - 0.5 * float(np.abs(share - need / need.sum()).sum()))
    out["budget_hhi"] = col.mean(hhi)
    out["budget_alignment"] = col.mean(alignment)

    # economics
    salary_cost = sum(person_days[d] * pay / col.DAYS_PER_YEAR for d, pay in s.salary.items())
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


def quarterly(events: Sequence[ev.Event]) -> dict[str, col.FloatArray]:
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
    s = col.scan(events)
    n = s.quarters
    qd = s.run.quarter_days
    ends = np.minimum(np.arange(1, n + 1) * qd, s.end).astype(float)
    out: dict[str, col.FloatArray] = {}
    out["value_shipped"] = col.per_quarter(
        s, s.ship_time + s.extra_time, s.ship_value + s.extra_value
    )
    out["features_shipped"] = col.per_quarter(s, s.ship_time)
    out["conflicts_raised"] = col.per_quarter(s, [c.time for c in s.raised.values()])
    out["conflicts_resolved"] = col.per_quarter(s, s.resolve_time)
    out["open_conflicts"] = col.level_at(s.open_conflicts(), ends).astype(float)
    out["wip"] = col.level_at(s.wip(), ends).astype(float)
    out["headcount"] = col.level_at(s.headcount(), ends).astype(float)
    for d in s.salary:
        out[f"headcount.{d}"] = col.level_at(s.headcount(d), ends).astype(float)
    shares = {d: np.full(n, col.NAN) for d in s.salary}
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
        out["credibility"] = np.where(idx >= 0, cred, col.NAN)
    else:
        out["credibility"] = np.full(n, col.NAN)
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
        "detected": len(s.detect_delay),
        "resolved": resolved,
        "escalated": s.escalated,
        "lapsed": lapsed,
        "open": raised - resolved - lapsed,
    }
