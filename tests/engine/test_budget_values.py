"""Values of the quarterly budget cycle, of a department's need and of the dispute draw
(:mod:`orgsim.engine.budget`).

Every company here has no attrition, no hiring quota (so no requisition changes a
headcount) and one product whose features never arrive; the quarter is 91.25 days,
a quarter share of 0.25 of a year.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import kinds_off, one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.budget import budget_disputes, need
from orgsim.engine.rng import Streams
from orgsim.engine.run import Run
from orgsim.scenario.schema import Scenario

QUIET = {"skill_cv": 0.0, "max_hires_per_quarter": 0.0}


# ------------------------------------------------------------------ the budget cycle


def cycle_company(broker: bool) -> Scenario:
    """Engineering 3 x 100 k$ (bias 0.2), Product 1 x 825 k$ (bias 0.4).

    Founding payroll 300 + 825 = 1125 k$ a year; headroom 1: a base budget of
    1125 x 0.25 = 281.25 k$ a quarter. Half of shipped value is reinvested; the power
    exponent is 2. With the broker: its salary 605 k$ (the VP PM alone: Product has
    no Directors), full budget neutrality, credibility 0.5 at day 0.
    """
    departments = {
        "engineering": {"staff": 3, "salary": 100.0, "bias": 0.2, "attrition": 0.0},
        "product": {"staff": 1, "salary": 825.0, "bias": 0.4, "attrition": 0.0},
    }
    b: dict[str, Any] = {"enabled": False}
    if broker:
        b = {
            "enabled": True,
            "salary": 605.0,
            "budget_neutrality": 1.0,
            "initial_credibility": 0.5,
            "praise_interarrival": {"kind": "deterministic", "mean": 1e6},
        }
    return one_stage_company(
        departments,
        horizon=300.0,
        talent=QUIET,
        budget={"headroom": 1.0, "reinvest_share": 0.5, "power_exponent": 2.0},
        broker=b,
    )


def first_quarter(sc: Scenario) -> tuple[ev.QuarterStarted, dict[str, ev.BudgetAllocated]]:
    """The first budget cycle (day 0), after a feature worth 40 k$ shipped at day 0.

    The feature is recorded by hand before the cycle runs: planned with 1 person-day
    of Engineering work, shipped at once, so Engineering's backlog is empty again.
    """
    run = Run(sc, seed=1)
    run.setup()
    assert run.shape.hired_mediators == 0
    run.record(
        ev.FeaturePlanned,
        feature=run.next_id("feature"),
        product=0,
        efforts=(1.0,),
        value=40.0,
        due=100.0,
        epoch=0,
    )
    run.record(ev.FeatureShipped, feature=0, value=40.0, late_days=0.0, misaligned=0.0)
    run.env.run(until=1.0)
    (quarter,) = [e for e in run.log if isinstance(e, ev.QuarterStarted)]
    allocated = {e.department: e for e in run.log if isinstance(e, ev.BudgetAllocated)}
    return quarter, allocated


def test_the_broker_pays_from_the_quarter_and_damps_bias_and_power() -> None:
    # available = 281.25 + 0.5 x 40 - 605 x 0.25 = 281.25 + 20 - 151.25 = 150.
    # neutral = 1 x 0.5 = 0.5; gamma = 2 x (1 - 0.5) = 1. Weights: no budget yet, so
    # the staff shares 3/4 and 1/4.
    # needs: Engineering 3 x 100 x 0.25 = 75, Product 1 x 825 x 0.25 = 206.25.
    # requests: 75 x (1 + 0.2 x 0.5) = 82.5, 206.25 x (1 + 0.4 x 0.5) = 247.5.
    # pulls: 82.5 x 0.75 = 61.875 and 247.5 x 0.25 = 61.875: equal, so 150 splits
    # 75 / 75, under both caps (82.5, 247.5).
    # rel 1e-12: 1.1 and 1.2 are inexact binary factors.
    quarter, alloc = first_quarter(cycle_company(broker=True))
    assert (quarter.time, quarter.quarter) == (0.0, 0)  # quarters count from 0
    assert quarter.broker_cost == 151.25
    assert quarter.available == pytest.approx(150.0, rel=1e-12)
    eng, prod = alloc["engineering"], alloc["product"]
    assert (eng.need, prod.need) == (75.0, 206.25)
    assert eng.request == pytest.approx(82.5, rel=1e-12)
    assert prod.request == pytest.approx(247.5, rel=1e-12)
    assert eng.allocated == pytest.approx(75.0, rel=1e-12)
    assert prod.allocated == pytest.approx(75.0, rel=1e-12)


def test_without_the_broker_the_full_bias_and_power_fill_to_a_cap() -> None:
    # available = 281.25 + 0.5 x 40 - 0 = 301.25; neutral 0, gamma 2.
    # requests: 75 x 1.2 = 90, 206.25 x 1.4 = 288.75 (378.75 asked of 301.25).
    # pulls: 90 x 0.75^2 = 50.625, 288.75 x 0.25^2 = 18.046875. Engineering's share
    # 301.25 x 50.625 / 68.671875 = 222.1 reaches its cap 90: it gets 90, and Product
    # the remaining 301.25 - 90 = 211.25, under its cap 288.75.
    quarter, alloc = first_quarter(cycle_company(broker=False))
    assert quarter.broker_cost == 0.0
    assert quarter.available == 301.25
    eng, prod = alloc["engineering"], alloc["product"]
    assert eng.request == pytest.approx(90.0, rel=1e-12)
    assert prod.request == pytest.approx(288.75, rel=1e-12)
    assert eng.allocated == pytest.approx(90.0, rel=1e-12)
    assert prod.allocated == pytest.approx(211.25, rel=1e-12)


def test_a_broker_costing_more_than_the_budget_leaves_nothing_available() -> None:
    # base 2 x 365 x 0.25 = 182.5, nothing shipped, broker 1000 x 0.25 = 250:
    # 182.5 - 250 < 0, floored at 0; nobody is allocated anything
    sc = one_stage_company(
        {
            "engineering": {"staff": 1, "salary": 365.0, "attrition": 0.0},
            "product": {"staff": 1, "salary": 365.0, "attrition": 0.0},
        },
        horizon=300.0,
        talent=QUIET,
        budget={"headroom": 1.0},
        broker={
            "enabled": True,
            "salary": 1000.0,
            "praise_interarrival": {"kind": "deterministic", "mean": 1e6},
        },
    )
    run = Run(sc, seed=1)
    run.setup()
    run.env.run(until=1.0)
    (quarter,) = [e for e in run.log if isinstance(e, ev.QuarterStarted)]
    assert (quarter.available, quarter.broker_cost) == (0.0, 250.0)
    allocated = [e.allocated for e in run.log if isinstance(e, ev.BudgetAllocated)]
    assert allocated == [0.0, 0.0]


def test_only_the_value_shipped_since_the_last_quarter_is_reinvested() -> None:
    # quarter 0 (day 0) sees 40 shipped: 281.25 + 20 = 301.25. Nothing ships after it:
    # quarter 1 (day 91.25) has 281.25 + 0.5 x (40 - 40) = 281.25
    sc = cycle_company(broker=False)
    run = Run(sc, seed=1)
    run.setup()
    run.record(
        ev.FeaturePlanned, feature=0, product=0, efforts=(1.0,), value=40.0, due=100.0, epoch=0
    )
    run.record(ev.FeatureShipped, feature=0, value=40.0, late_days=0.0, misaligned=0.0)
    run.env.run(until=100.0)
    quarters = [
        (e.time, e.quarter, e.available) for e in run.log if isinstance(e, ev.QuarterStarted)
    ]
    assert quarters == [(0.0, 0, 301.25), (91.25, 1, 281.25)]


# ------------------------------------------------------------------ need


def growing(**budget: Any) -> Run:
    """Ten engineers at 365 k$ planned to grow 10% a year, the clock at day 365.

    A head costs 365 x 0.25 = 91.25 k$ a quarter; the workload horizon is 10 days and
    a quarter's growth at most 25%. No one is hired (quota 0), so the staff stays 10.
    """
    sc = one_stage_company(
        {
            "engineering": {
                "staff": 10,
                "salary": 365.0,
                "attrition": 0.0,
                "growth_target": 0.1,
            }
        },
        horizon=400.0,
        talent=QUIET,
        budget={"workload_horizon": 10.0, "max_growth": 0.25} | budget,
    )
    run = Run(sc, seed=1)
    run.setup()
    run.env.run(until=365.0)
    assert run.env.now == 365.0
    assert run.state.departments["engineering"].staff == 10
    return run


def queue(run: Run, effort: float) -> None:
    """Put ``effort`` person-days of Engineering work in the queue, now."""
    run.record(
        ev.FeaturePlanned,
        feature=run.next_id("feature"),
        product=0,
        efforts=(effort,),
        value=1.0,
        due=1000.0,
        epoch=0,
    )
    assert run.state.backlog("engineering", run.env.now) == effort


def test_the_planned_size_grows_at_the_target_rate() -> None:
    # a year on: 10 x 1.1 ** 1 = 11 planned > 10 staff; no work queued: the need is
    # 11 heads, 11 x 91.25 = 1003.75 (rel 1e-12: 1.1 is inexact)
    run = growing()
    assert need(run, "engineering") == pytest.approx(11 * 91.25, rel=1e-12)


def test_a_backlog_asks_for_the_people_to_clear_it_within_the_horizon() -> None:
    # 120 person-days over a 10-day horizon: 12 people, above the planned 11 and
    # below the cap 11 x 1.25 = 13.75: 12 x 91.25 = 1095
    run = growing()
    queue(run, 120.0)
    assert need(run, "engineering") == pytest.approx(12 * 91.25, rel=1e-12)


def test_a_large_backlog_is_capped_at_the_quarters_growth() -> None:
    # 300 / 10 = 30 people, capped at 11 x (1 + 0.25) = 13.75: 13.75 x 91.25 = 1254.6875
    run = growing()
    queue(run, 300.0)
    assert need(run, "engineering") == pytest.approx(13.75 * 91.25, rel=1e-12)


def test_a_small_backlog_needs_no_more_than_the_plan() -> None:
    # 50 / 10 = 5 people < the planned 11: the need stays 11 heads
    run = growing()
    queue(run, 50.0)
    assert need(run, "engineering") == pytest.approx(11 * 91.25, rel=1e-12)


# ------------------------------------------------------------------ dispute draws

TWO = {
    "engineering": {"staff": 2, "salary": 100.0, "attrition": 0.0},
    "qa": {"staff": 1, "salary": 100.0, "attrition": 0.0},
}


def dispute_run(seed: int, probability: float, intensity: float) -> Run:
    """Engineering gets 25 of a 100 need, QA all of its 100; disputes below a ratio of 0.5.

    ``budget_disputes`` is called by hand: the budget cycle has not run yet, so its
    draws are the first of the ``budget`` stream.
    """
    kind = {"enabled": True, "threshold": 0.5, "probability": probability}
    sc = one_stage_company(
        TWO,
        horizon=300.0,
        talent=QUIET,
        conflicts={"intensity": intensity, "kinds": kinds_off() | {"budget_dispute": kind}},
    )
    run = Run(sc, seed=seed)
    run.setup()
    for name, allocated in (("engineering", 25.0), ("qa", 100.0)):
        run.record(
            ev.BudgetAllocated,
            quarter=1,
            department=name,
            need=100.0,
            request=100.0,
            allocated=allocated,
        )
    return run


def raised(run: Run) -> list[tuple[str, str]]:
    return [(e.initiator, e.target) for e in run.log if isinstance(e, ev.ConflictRaised)]


@pytest.mark.parametrize(
    ("probability", "intensity", "disputes"),
    [
        (0.5, 1.0, True),  # 0.281 < 0.5 x 1
        (1.0, 0.25, False),  # 0.281 >= 1 x 0.25
        (0.5, 0.6, True),  # 0.281 < 0.5 x 0.6 = 0.3
        (0.25, 1.0, False),  # 0.281 >= 0.25
    ],
)
def test_a_dispute_starts_when_the_draw_is_below_probability_times_intensity(
    probability: float, intensity: float, disputes: bool
) -> None:
    # seed 4: the budget stream's first two numbers are 0.281 (Engineering's) and
    # 0.228 (QA's, which is fully funded and never disputes)
    u = Streams(4, 0)["budget"].random(2)
    assert 0.28 < u[0] < 0.29
    run = dispute_run(4, probability, intensity)
    budget_disputes(run)
    assert raised(run) == ([("engineering", "qa")] if disputes else [])


def test_every_quarter_draws_one_number_per_department() -> None:
    # seed 3: the budget stream reads 0.763, 0.748, 0.340, ... The first call draws
    # two (Engineering 0.763 >= 0.5: no dispute; QA's 0.748 unused but drawn); the
    # second call's Engineering number is the third, 0.340 < 0.5: a dispute
    u = Streams(3, 0)["budget"].random(3)
    assert u[0] >= 0.5 and u[1] >= 0.5 and u[2] < 0.5
    run = dispute_run(3, 0.5, 1.0)
    budget_disputes(run)
    assert raised(run) == []
    budget_disputes(run)
    assert raised(run) == [("engineering", "qa")]
