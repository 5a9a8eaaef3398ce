"""Support's customer issues: a fluid demand, a backlog, and what the backlog costs.

"Engineering is stealing Tech Support's best talent" costs the company what those
people did. Customers raise issues at ``demand`` person-days a day; Support's
capacity works them first; what it cannot work waits in a backlog B that grows at
``demand - capacity`` and drains at ``capacity - demand``, piecewise linear between
events, so the instant it empties and its integral are exact. The smallest cases
are worked out by hand in their docstrings and asserted.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from conftest import watched
from orgsim.engine import events as ev
from orgsim.engine.conflicts import raise_conflict
from orgsim.engine.context import Proc
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import fold
from orgsim.engine.talent import hire
from orgsim.errors import ScenarioError
from orgsim.metrics.catalogue import METRIC_NAMES
from orgsim.metrics.projections import department_utilisation, metrics
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario

OFF = {k: {"enabled": False} for k in Scenario().conflicts.kinds}


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def support_case(
    support: int = 10,
    sales: int = 12,
    demand: float = 1.0,
    horizon: float = 40.0,
    feature: float = 0.0,
    others: dict[str, int] | None = None,
    abandonment: float = 0.0,
    **extra: Any,
) -> Scenario:
    """Support of ``support`` people at full productivity, ``sales`` founding Sales.

    Nobody leaves or is hired, nothing drags; Support does the only delivery stage,
    so a ``feature`` of that many person-days waits for its spare capacity.
    """
    departments: dict[str, Any] = {n: {"enabled": False} for n in Scenario().departments}
    departments["support"] = {"staff": support, "attrition": 0.0}
    departments["sales"] = {"staff": sales, "attrition": 0.0}
    for name, staff in (others or {}).items():
        departments[name] = {"staff": staff, "attrition": 0.0}
    data: dict[str, Any] = {
        "horizon": horizon,
        "departments": departments,
        "delivery": {
            "products": 1,
            "initial_features": 1 if feature > 0 else 0,
            "feature_interarrival": det(1e6),
            "due_in": det(1000.0),
            "team_cap": 100.0,
            "stages": [{"name": "care", "department": "support", "effort": det(feature or 1.0)}],
        },
        "talent": {"skill_cv": 0.0, "max_hires_per_quarter": 0.0},
        "conflicts": {"intensity": 0.0, "kinds": OFF},
        "broker": {"enabled": False},
        "support": {"demand": demand, "backlog_cost": 0.4, "abandonment": abandonment},
    }
    for key, value in extra.items():
        data[key] = value
    return parse_scenario(data)


def run_with(sc: Scenario, *processes: Any) -> Run:
    """A run of ``sc`` with extra processes started after the run's own, to the end."""
    run = Run(sc, seed=1)
    run.setup()
    for proc in processes:
        run.env.process(proc(run))
    run.env.run(until=sc.horizon)
    run.record(ev.RunEnded)
    return run


def three_hires_at_day_10(run: Run) -> Proc:
    """Three people join Support on day 10, at full productivity at once."""
    yield run.env.timeout(10.0)
    for _ in range(3):
        hire(run, "support", requisition=-1, ramped=True, rng=run.streams["test.hires"])


def backlog(run: Run, t: float) -> float:
    return fold(run.log, until=t).issue_backlog("support", t)


# ------------------------------------------------------------- by hand


def test_a_short_support_team_builds_a_backlog_at_the_shortfall() -> None:
    """10 people, 12 person-days a day of issues: B(t) = 2t, ∫B = t², cost 0.4 t².

    Over [0, 40]: ∫B = 1600 person-day-days, so the mean backlog is 40 and the cost
    0.4 × 1600 = 640 k$. All ten are busy all the time: utilisation 1.
    """
    run = run_with(support_case())
    (founded,) = (e for e in run.log if isinstance(e, ev.SupportFounded))
    assert (founded.department, founded.demand, founded.backlog_cost) == ("support", 12.0, 0.4)
    for t in (5.0, 17.5, 40.0):
        assert backlog(run, t) == pytest.approx(2.0 * t, rel=1e-12)
    m = metrics(run.log)
    assert m["support_backlog_cost"] == pytest.approx(0.4 * 40.0**2, rel=1e-12)
    assert m["support_backlog"] == pytest.approx(40.0, rel=1e-12)
    assert department_utilisation(run.state)["utilisation.support"] == pytest.approx(1.0)
    assert not any(isinstance(e, ev.SupportBacklogCleared) for e in run.log)


def test_customers_who_give_up_bound_the_backlog() -> None:
    """Abandonment 0.1 a day: dB/dt = 2 - 0.1 B, so B(t) = 20 (1 - e^(-t/10)).

    Over [0, 40]: ∫B = 20 × 40 - 200 (1 - e^-4) = 603.66, cost 0.4 × that; the backlog
    approaches 20 person-days and never passes it.
    """
    run = run_with(support_case(abandonment=0.1))
    for t in (5.0, 17.5, 40.0):
        assert backlog(run, t) == pytest.approx(20.0 * -math.expm1(-t / 10.0), rel=1e-12)
    area = 20.0 * 40.0 - 200.0 * -math.expm1(-4.0)
    m = metrics(run.log)
    assert m["support_backlog_cost"] == pytest.approx(0.4 * area, rel=1e-12)
    assert m["support_backlog"] == pytest.approx(area / 40.0, rel=1e-12)


def test_an_abandoning_backlog_empties_at_the_instant_the_flow_gives() -> None:
    """Abandonment 0.1 a day; three hires on day 10 bring the capacity to 13 > 12.

    To day 10, B = 20 (1 - e^-1) = b; then dB/dt = -1 - 0.1 B, so
    B(t) = -10 + (b + 10) e^(-(t-10)/10), empty at 10 + 10 ln((b + 10) / 10).
    """
    run = run_with(support_case(abandonment=0.1), three_hires_at_day_10)
    b = 20.0 * -math.expm1(-1.0)
    (cleared,) = (e for e in run.log if isinstance(e, ev.SupportBacklogCleared))
    assert cleared.time == pytest.approx(10.0 + 10.0 * math.log((b + 10.0) / 10.0), rel=1e-12)
    assert backlog(run, 12.0) == pytest.approx(-10.0 + (b + 10.0) * math.exp(-0.2), rel=1e-12)
    assert backlog(run, 39.0) == 0.0


def test_a_hire_drains_the_backlog_and_it_empties_at_the_instant_the_flow_gives() -> None:
    """Three hires on day 10 bring the capacity to 13 > 12: B drains from 20 at 1 a day.

    B(t) = 2t up to day 10, then 20 - (t - 10), empty at day 30 exactly, 0 after.
    ∫B over [0, 40] = 100 (triangle to day 10) + 200 (triangle to day 30) = 300:
    cost 0.4 × 300 = 120 k$, mean backlog 300 / 40 = 7.5. From day 30 the one
    person-day a day to spare works the queued 5-person-day item: it ships on day
    35. Worked: 10 × 10 + 13 × 20 to day 30, 13 × 5 with the item, 12 × 5 after it,
    485 person-days of 10 × 10 + 13 × 30 = 490 offered.
    """
    run = run_with(support_case(feature=5.0), three_hires_at_day_10)
    (cleared,) = (e for e in run.log if isinstance(e, ev.SupportBacklogCleared))
    assert cleared.time == 30.0
    assert backlog(run, 10.0) == pytest.approx(20.0, rel=1e-12)
    assert backlog(run, 25.0) == pytest.approx(5.0, rel=1e-12)
    assert backlog(run, 30.0) == 0.0
    assert backlog(run, 39.0) == 0.0
    (shipped,) = (e for e in run.log if isinstance(e, ev.FeatureShipped))
    assert shipped.time == pytest.approx(35.0, rel=1e-12)
    m = metrics(run.log)
    assert m["support_backlog_cost"] == pytest.approx(120.0, rel=1e-12)
    assert m["support_backlog"] == pytest.approx(7.5, rel=1e-12)
    util = department_utilisation(run.state)["utilisation.support"]
    assert util == pytest.approx(485.0 / 490.0, rel=1e-12)


def test_no_spare_capacity_reaches_the_queue_while_issues_wait() -> None:
    """Without the hires the item waits forever: B never empties, the item gets nothing."""
    run = run_with(support_case(feature=5.0))
    assert not any(isinstance(e, ev.FeatureShipped) for e in run.log)
    assert run.state.effort_done == 0.0


def test_poaching_support_people_builds_a_backlog_by_hand() -> None:
    """10 people, 9.5 a day of issues: no backlog; two poached on day 0 leave 8.

    B(t) = 1.5 t, ∫B over [0, 100] = 1.5 × 100² / 2 = 7500, cost 0.4 × 7500 = 3000
    k$. Drag is off, and the conflict neither surfaces nor lapses in the run.
    """
    late = det(1e6)
    kinds = {**OFF, "poaching": {"enabled": True, "surfacing": late, "lifetime": late}}
    sc = support_case(
        sales=19,
        demand=0.5,
        horizon=100.0,
        others={"engineering": 1},
        conflicts={"intensity": 0.0, "drag": 0.0, "kinds": kinds},
    )
    quiet = run_with(sc)
    assert metrics(quiet.log)["support_backlog_cost"] == 0.0

    def poach(run: Run) -> Proc:
        kind = run.scenario.conflicts.kinds["poaching"]
        raise_conflict(run, "poaching", kind, "engineering", "support")
        yield run.env.timeout(0.0)

    poached = run_with(sc, poach)
    assert poached.state.departments["support"].staff == 8
    m = metrics(poached.log)
    assert m["poached"] == 2.0
    assert m["support_backlog_cost"] == pytest.approx(3000.0, rel=1e-12)
    assert m["cost"] - metrics(quiet.log)["cost"] == pytest.approx(3000.0, rel=1e-9)


# ------------------------------------------------------------- by value


def test_poaching_support_raises_the_backlog_cost() -> None:
    """The midsize company with Support near its capacity, over a year, with and without
    Engineering poaching Support's best people: poaching costs backlog, every seed."""
    for seed in (1, 2, 3):
        costs = []
        for poaching in (False, True):
            kinds = {**OFF, "poaching": {"enabled": poaching, "transfer_count": 4}}
            sc = parse_scenario(
                {
                    "horizon": 365.0,
                    "conflicts": {"kinds": kinds},
                    "support": {"demand": 0.85},
                    "broker": {"enabled": False},
                }
            )
            costs.append(metrics(simulate(sc, seed=seed).log)["support_backlog_cost"])
        assert costs[1] > costs[0], seed


def test_the_backlog_cost_is_counted_in_cost_and_net_value() -> None:
    m = metrics(simulate(support_case(), seed=1).log)
    parts = ("salary_cost", "hiring_cost", "broker_cost", "support_backlog_cost", "incident_cost")
    assert m["cost"] == pytest.approx(sum(m[p] for p in parts), rel=1e-12)
    assert m["net_value"] == pytest.approx(m["value_shipped"] - m["cost"], rel=1e-12)
    assert list(m)[: len(METRIC_NAMES)] == list(METRIC_NAMES)


# ------------------------------------------------------------- off, and the log


@pytest.mark.parametrize(
    "change",
    [
        {"support": {"demand": 0.0}},
        {
            "departments": {"sales": {"enabled": False}},
            "conflicts": {"kinds": {"custom_work": {"enabled": False}}},
        },
        {
            "departments": {"support": {"enabled": False}},
            "conflicts": {"kinds": {"poaching": {"enabled": False}}},
        },
    ],
    ids=["no-demand", "no-sales", "no-support"],
)
def test_without_demand_there_is_no_support_work(change: dict[str, Any]) -> None:
    sc = parse_scenario({"horizon": 200.0, **change})
    run = simulate(sc, seed=3)
    assert not any(isinstance(e, ev.SupportFounded | ev.SupportBacklogCleared) for e in run.log)
    m = metrics(run.log)
    assert (m["support_backlog"], m["support_backlog_cost"]) == (0.0, 0.0)
    if "support" in run.state.departments:
        assert department_utilisation(run.state)["utilisation.support"] == 0.0


def test_an_unknown_support_department_is_a_problem() -> None:
    with pytest.raises(ScenarioError, match=r"support\.department: 'helpdesk' is not"):
        parse_scenario({"support": {"department": "helpdesk"}})


def test_the_fold_at_any_time_is_the_live_state_then() -> None:
    """Midsize Support, near its capacity with drag and poaching: backlogs build and
    clear (once in this seed); fold == live at 40 instants."""
    sc = parse_scenario({"horizon": 400.0, "support": {"demand": 0.85}})
    run = Run(sc, seed=6)
    times = np.sort(np.random.default_rng(11).uniform(0.0, 400.0, 40))
    snapshots = watched(run, times, lambda state, t: (t, state.snapshot()))
    run.record(ev.RunEnded)
    assert any(isinstance(e, ev.SupportBacklogCleared) for e in run.log)
    for t, live in snapshots:
        assert fold(run.log, until=t).snapshot() == live, t
    # a stored log (a plain list) measures what the live log does
    stored, live = metrics(list(run.log)), metrics(run.log)
    assert list(stored) == list(live)
    assert np.array_equal(list(stored.values()), list(live.values()), equal_nan=True)


def test_support_asks_for_the_people_its_issues_need() -> None:
    """Its budget need covers the demand (and the backlog over the workload horizon).

    10 people at full productivity, 12 person-days a day of issues, none waiting at
    day 0: 12 people needed, within the 25% a need may grow over the 10 it has, at
    95 k$ a year for a quarter of a year: 12 × 95 × 0.25 = 285 k$.
    """
    run = run_with(support_case())
    (first,) = (
        e
        for e in run.log
        if isinstance(e, ev.BudgetAllocated) and e.department == "support" and e.quarter == 0
    )
    assert first.need == pytest.approx(285.0, rel=1e-12)
