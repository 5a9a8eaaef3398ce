"""Invariants of real simulated runs, checked from their event logs (both arms).

Each invariant is counted here straight from the events, independently of
orgsim.projections, and then compared with the folded state and the projections:
conservation of people, budgets within what was available, every feature in exactly
one stage, work never exceeding the capacity spent, and Little's law.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import pytest

from orgsim.engine import events as ev
from orgsim.engine.run import Run
from orgsim.engine.state import OrgState, fold
from orgsim.metrics.projections import (
    conflict_funnel,
    metrics,
    open_conflicts_series,
    quarterly,
    wip_series,
)

ARMS = pytest.mark.parametrize("arm", [True, False], ids=["broker", "no-broker"])


@pytest.fixture(scope="module")
def snapshots(run_pair: dict[bool, Run]) -> dict[bool, list[tuple[float, OrgState]]]:
    """The state folded from each arm's log at every quarter end."""
    out = {}
    for arm, run in run_pair.items():
        ends = quarterly(run.log)["quarter_end"]
        out[arm] = [(float(t), fold(run.log, until=float(t))) for t in ends]
    return out


def headcount_counted(events: Sequence[ev.Event], until: float) -> dict[str, int]:
    """Founders + hires - leavers + transfers in - transfers out, per department."""
    where: dict[int, str] = {}
    founders: Counter[str] = Counter()
    hires: Counter[str] = Counter()
    exits: Counter[str] = Counter()
    moved_in: Counter[str] = Counter()
    moved_out: Counter[str] = Counter()
    depts: list[str] = []
    for e in events:
        if e.time > until:
            break
        if isinstance(e, ev.DepartmentFormed):
            depts.append(e.department)
        elif isinstance(e, ev.EmployeeHired):
            where[e.employee] = e.department
            (founders if e.requisition < 0 else hires)[e.department] += 1
        elif isinstance(e, ev.EmployeeLeft):
            exits[where.pop(e.employee)] += 1
        elif isinstance(e, ev.EmployeeTransferred):
            assert where[e.employee] == e.source, e
            where[e.employee] = e.destination
            moved_out[e.source] += 1
            moved_in[e.destination] += 1
    return {d: founders[d] + hires[d] - exits[d] + moved_in[d] - moved_out[d] for d in depts}


@ARMS
def test_runs_span_several_quarters(run_pair: dict[bool, Run], arm: bool) -> None:
    """The fixture is worth testing: work shipped, people moved, conflicts closed."""
    f = conflict_funnel(run_pair[arm].log)
    m = metrics(run_pair[arm].log)
    assert len(quarterly(run_pair[arm].log)["quarter_end"]) == 5
    assert m["features_shipped"] > 20 and m["hires"] > 10 and m["attrition"] > 10
    assert m["poached"] > 0 and f["resolved"] > 10 and f["escalated"] > 0


@ARMS
def test_headcount_is_conserved_at_every_quarter_end(
    run_pair: dict[bool, Run], snapshots: dict[bool, list[tuple[float, OrgState]]], arm: bool
) -> None:
    log = run_pair[arm].log
    q = quarterly(log)
    for i, (t, state) in enumerate(snapshots[arm]):
        counted = headcount_counted(log, until=t)
        assert list(counted) == list(state.departments)
        for d, n in counted.items():
            assert state.departments[d].staff == n, (t, d)
            assert q[f"headcount.{d}"][i] == n, (t, d)
        assert q["headcount"][i] == sum(counted.values())


@ARMS
def test_no_department_headcount_is_ever_negative(run_pair: dict[bool, Run], arm: bool) -> None:
    log = run_pair[arm].log
    staff: Counter[str] = Counter()
    where: dict[int, str] = {}
    lowest = 0
    for e in log:
        if isinstance(e, ev.EmployeeHired):
            where[e.employee] = e.department
            staff[e.department] += 1
        elif isinstance(e, ev.EmployeeLeft):
            staff[where.pop(e.employee)] -= 1
        elif isinstance(e, ev.EmployeeTransferred):
            staff[e.source] -= 1
            staff[e.destination] += 1
            where[e.employee] = e.destination
        else:
            continue
        lowest = min(lowest, *staff.values())
    assert lowest >= 0
    assert all(np.min(v) >= 0 for k, v in quarterly(log).items() if k.startswith("headcount"))


@ARMS
def test_budget_never_exceeds_what_was_available(run_pair: dict[bool, Run], arm: bool) -> None:
    available: dict[int, float] = {}
    allocated: defaultdict[int, float] = defaultdict(float)
    for e in run_pair[arm].log:
        if isinstance(e, ev.QuarterStarted):
            available[e.quarter] = e.available
        elif isinstance(e, ev.BudgetAllocated):
            assert e.allocated >= 0.0, e
            allocated[e.quarter] += e.allocated
    assert set(allocated) == set(available)
    for quarter, total in allocated.items():
        assert total <= available[quarter] + 1e-6, quarter


@ARMS
def test_every_feature_is_in_exactly_one_stage(
    run_pair: dict[bool, Run], snapshots: dict[bool, list[tuple[float, OrgState]]], arm: bool
) -> None:
    log = run_pair[arm].log
    for t, state in snapshots[arm]:
        planned = sum(isinstance(e, ev.FeaturePlanned) and e.time <= t for e in log)
        shipped = sum(isinstance(e, ev.FeatureShipped) and e.time <= t for e in log)
        n_stages = len(state.stages)
        by_stage = Counter(f.stage for f in state.features.values())
        assert set(by_stage) <= set(range(n_stages + 1))
        assert by_stage[n_stages] == shipped
        assert sum(by_stage[s] for s in range(n_stages)) + shipped == planned
        # where each queued feature sits: exactly once, in its stage's department
        seats: defaultdict[str, list[str]] = defaultdict(list)
        for name, dept in state.departments.items():
            for *_, item in dept.queue:
                seats[item].append(name)
        for fid, f in state.features.items():
            where = seats.get(f"F{fid}", [])
            if f.stage == n_stages:
                assert where == [], (t, fid)
            else:
                assert where == [state.stages[f.stage]], (t, fid, f.stage)


@ARMS
def test_work_is_conserved_at_every_quarter(run_pair: dict[bool, Run], arm: bool) -> None:
    """Effort planned = effort done + effort in progress (+ extra work descoped).

    Checked on the state folded at every quarter's start and at the end: planned is
    every feature's efforts and every extra work's effort recorded so far; in
    progress is what the queues hold at that instant plus the stages not started.
    """
    log = run_pair[arm].log
    start = log[0]
    assert isinstance(start, ev.RunStarted)
    times = [e.time for e in log if isinstance(e, ev.QuarterStarted)] + [start.horizon]
    assert len(times) > 4
    for t in times:
        state = fold(log, until=t)
        so_far = [e for e in log if e.time <= t]
        planned = sum(sum(e.efforts) for e in so_far if isinstance(e, ev.FeaturePlanned))
        planned += sum(e.effort for e in so_far if isinstance(e, ev.ExtraWorkAdded))
        assert state.effort_planned == pytest.approx(planned, rel=1e-12)
        queued = sum(state.backlog(name, t) for name in state.departments)
        later = sum(sum(f.efforts[f.stage + 1 :]) for f in state.features.values() if f.shipped < 0)
        done = state.effort_done + sum(d.busy * (t - d.since) for d in state.departments.values())
        assert planned == pytest.approx(done + queued + later + state.effort_descoped, rel=1e-9)
        assert done <= planned * (1 + 1e-9)


def littles_law(
    arrivals: dict[int, float],
    departures: dict[int, float],
    end: float,
    series: tuple[np.ndarray, np.ndarray],
) -> tuple[float, float]:
    """``(L, λ·W)``: time-average count, and arrival rate times mean time in system.

    Items still in the system at ``end`` count with their time censored at ``end``.
    """
    times, counts = series
    assert times[0] == 0.0 and times[-1] == end
    area = float(np.dot(counts[:-1], np.diff(times)))
    rate = len(arrivals) / end
    mean_stay = np.mean([min(departures.get(k, end), end) - a for k, a in arrivals.items()])
    return area / end, rate * float(mean_stay)


@ARMS
def test_littles_law_for_features(run_pair: dict[bool, Run], arm: bool) -> None:
    log = run_pair[arm].log
    arrivals = {e.feature: e.time for e in log if isinstance(e, ev.FeaturePlanned)}
    departures = {e.feature: e.time for e in log if isinstance(e, ev.FeatureShipped)}
    start = log[0]
    assert isinstance(start, ev.RunStarted)
    end = start.horizon
    wip, lam_w = littles_law(arrivals, departures, end, wip_series(log))
    assert wip == pytest.approx(lam_w, rel=1e-9)
    assert metrics(log)["wip_mean"] == pytest.approx(lam_w, rel=1e-9)
    assert len(departures) < len(arrivals)  # some censored at the horizon: W includes them


@ARMS
def test_littles_law_for_open_conflicts(run_pair: dict[bool, Run], arm: bool) -> None:
    log = run_pair[arm].log
    arrivals = {e.conflict: e.time for e in log if isinstance(e, ev.ConflictRaised)}
    departures: dict[int, float] = {}
    for e in log:
        if isinstance(e, ev.ConflictResolved | ev.ConflictLapsed):
            assert e.conflict not in departures, f"conflict {e.conflict} closed twice"
            assert e.conflict in arrivals
            departures[e.conflict] = e.time
    start = log[0]
    assert isinstance(start, ev.RunStarted)
    end = start.horizon
    level, lam_w = littles_law(arrivals, departures, end, open_conflicts_series(log))
    assert level == pytest.approx(lam_w, rel=1e-9)
    assert metrics(log)["open_conflicts_mean"] == pytest.approx(lam_w, rel=1e-9)


@ARMS
def test_projections_agree_with_the_final_state(run_pair: dict[bool, Run], arm: bool) -> None:
    run = run_pair[arm]
    m, q, f = metrics(run.log), quarterly(run.log), conflict_funnel(run.log)
    state = run.state
    assert m["value_shipped"] == pytest.approx(state.value_shipped, rel=1e-12)
    for d, dept in state.departments.items():
        assert m[f"headcount_end.{d}"] == dept.staff
    assert m["headcount_end"] == sum(d.staff for d in state.departments.values())
    assert m["wip_end"] == sum(f.shipped < 0 for f in state.features.values())
    assert m["conflicts_open_end"] == len(list(state.open_conflicts())) == f["open"]
    assert f["resolved"] + f["lapsed"] + f["open"] == f["raised"]
    assert f["escalated"] <= f["detected"] <= f["raised"]
    if arm:
        # the level at the horizon, decayed since the state last recorded it
        assert m["credibility_end"] == pytest.approx(state.credibility_at(state.horizon))
        assert m["broker_cost"] > 0 and 0 <= m["mediation_censored_share"] <= 1
    else:
        assert math.isnan(m["credibility_end"]) and math.isnan(m["mediation_wait_p50"])
        assert m["broker_cost"] == 0.0 and m["detected_by_broker_share"] == 0.0
    # the quarterly series add up to the run's totals
    assert q["value_shipped"].sum() == pytest.approx(m["value_shipped"], rel=1e-12)
    assert q["features_shipped"].sum() == m["features_shipped"]
    assert q["conflicts_raised"].sum() == m["conflicts_raised"]
    assert q["conflicts_resolved"].sum() == m["conflicts_resolved"]
    assert q["wip"][-1] == m["wip_end"] and q["open_conflicts"][-1] == f["open"]
    shares = sum(v for k, v in q.items() if k.startswith("budget_share."))
    np.testing.assert_allclose(shares, 1.0, rtol=1e-12)
