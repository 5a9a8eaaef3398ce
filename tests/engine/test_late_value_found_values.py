"""Values of a late feature's discount, of a run's founding budget and overhead, and of ids.

- :func:`orgsim.engine.delivery.work_due` ships a feature ``late = max(0, now - due)``
  days late at ``value * 0.5 ** (late / late_value_halflife)``; a feature planned for a
  segment the market has left since loses ``shift_loss`` of that, recorded as
  ``misaligned``. :func:`~orgsim.engine.delivery.plan_feature` sets ``due = now + due_in``.
- :meth:`orgsim.engine.run.Run.found` records ``BudgetFounded.base_budget = Σ salary ·
  staff · quarter_share · headroom`` and gives the broker's department
  ``broker.pm_overhead`` of overhead, every other department 0.
- :meth:`orgsim.engine.context.RunContext.next_id` is the next id of a kind: one more
  than the highest recorded, counted per kind, not advanced by asking.

The delivery cases: two engineers at full productivity (skill 1, no conflicts, no
hiring) build one feature of 40 person-days from day 0: it ships at day 40 / 2 = 20.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.delivery import plan_feature
from orgsim.engine.run import Run
from orgsim.scenario.schema import Scenario


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def one_feature(due_in: float, halflife: float = 10.0, shift_loss: float = 0.25) -> Scenario:
    """One feature worth 100 k$, due ``due_in`` days after day 0, shipped at day 20."""
    return one_stage_company(
        {"engineering": {"staff": 2, "salary": 365.0, "attrition": 0.0}},
        horizon=100.0,
        delivery={
            "products": 1,
            "initial_features": 1,
            "feature_interarrival": det(1e6),
            "value": det(100.0),
            "due_in": det(due_in),
            "late_value_halflife": halflife,
            "stages": [{"name": "build", "department": "engineering", "effort": det(40.0)}],
        },
        market={"shift_interarrival": det(1e9), "shift_loss": shift_loss},
        talent={"skill_cv": 0.0, "max_hires_per_quarter": 0.0},
    )


def shipped(sc: Scenario, shift: bool = False) -> tuple[float, float, float, float]:
    """(time, value, late_days, misaligned) of the one FeatureShipped.

    ``shift``: product 0's market moves to epoch 1 at day 0, after the feature was
    planned for epoch 0.
    """
    run = Run(sc, seed=1)
    run.setup()
    if shift:
        run.record(ev.MarketShifted, product=0, epoch=1)
    run.env.run(until=sc.horizon)
    (planned,) = [e for e in run.log if isinstance(e, ev.FeaturePlanned)]
    assert (planned.value, planned.epoch) == (100.0, 0)
    (e,) = [e for e in run.log if isinstance(e, ev.FeatureShipped)]
    return e.time, e.value, e.late_days, e.misaligned


def test_a_feature_ten_days_late_at_a_ten_day_halflife_keeps_half_its_value() -> None:
    # due 0 + 10, shipped at 20: late 10, 100 * 0.5 ** (10 / 10) = 50
    assert shipped(one_feature(10.0)) == (20.0, 50.0, 10.0, 0.0)


def test_a_feature_two_halflives_late_keeps_a_quarter() -> None:
    # due 10, shipped 20, halflife 5: 100 * 0.5 ** (10 / 5) = 25
    assert shipped(one_feature(10.0, halflife=5.0)) == (20.0, 25.0, 10.0, 0.0)


def test_a_feature_five_days_late_keeps_one_over_root_two() -> None:
    # due 15, shipped 20: late 5, 100 * 0.5 ** 0.5 = 70.71... (a power, to the last bits)
    t, value, late, misaligned = shipped(one_feature(15.0))
    assert (t, late, misaligned) == (20.0, 5.0, 0.0)
    assert value == pytest.approx(100.0 * 2.0**-0.5, rel=1e-12)


@pytest.mark.parametrize("due_in", [20.0, 30.0], ids=["on-the-day", "early"])
def test_a_feature_shipped_by_its_due_date_keeps_its_whole_value(due_in: float) -> None:
    # shipped at 20, due at 20 or 30: late max(0, 20 - due) = 0 (never negative: an early
    # feature does not gain value), 100 * 0.5 ** 0 = 100
    assert shipped(one_feature(due_in)) == (20.0, 100.0, 0.0, 0.0)


def test_a_late_misaligned_feature_loses_its_share_of_the_discounted_value() -> None:
    # late 10: discounted 50; misaligned 0.25 * 50 = 12.5; shipped value 50 - 12.5 = 37.5
    assert shipped(one_feature(10.0), shift=True) == (20.0, 37.5, 10.0, 12.5)


def test_an_on_time_misaligned_feature_loses_its_share_of_the_whole_value() -> None:
    # not late: 100; misaligned 0.25 * 100 = 25; shipped 75
    assert shipped(one_feature(30.0), shift=True) == (20.0, 75.0, 0.0, 25.0)


def test_a_feature_is_due_its_due_in_after_the_day_it_is_planned() -> None:
    # planned at day 5 with due_in 10: due 5 + 10 = 15; the second feature, number 1
    sc = one_feature(10.0)
    run = Run(sc, seed=1)
    run.setup()
    run.env.run(until=5.0)
    plan_feature(run, 0, run.streams["roadmap.0"])
    e = run.log[len(run.log) - 1]
    assert isinstance(e, ev.FeaturePlanned)
    assert (e.time, e.feature, e.product, e.efforts, e.value, e.due, e.epoch) == (
        5.0,
        1,
        0,
        (40.0,),
        100.0,
        15.0,
        0,
    )


# ------------------------------------------------------------ the founding facts


def company(broker: bool, headroom: float = 1.2, pm_overhead: float = 0.07) -> Scenario:
    """Two engineers at 365 k$, one product manager at 730 k$."""
    return one_stage_company(
        {
            "engineering": {"staff": 2, "salary": 365.0, "attrition": 0.0},
            "product": {"staff": 1, "salary": 730.0, "attrition": 0.0},
        },
        horizon=100.0,
        budget={"headroom": headroom},
        broker={"enabled": broker, "pm_overhead": pm_overhead},
    )


def founded(sc: Scenario) -> Run:
    run = Run(sc, seed=1)
    run.found()
    return run


def test_the_base_budget_is_the_payroll_for_a_quarter_times_the_headroom() -> None:
    # payroll 2 * 365 + 1 * 730 = 1460 k$ a year; a quarter 91.25 / 365 = 0.25: 365;
    # headroom 1.2: 438 (1.2 is inexact in binary: to the last bits)
    (e,) = [e for e in founded(company(False)).log if isinstance(e, ev.BudgetFounded)]
    assert e.base_budget == pytest.approx(438.0, rel=1e-12)


def test_the_base_budget_of_two_engineers() -> None:
    # the case: 2 * 365 * 0.25 * 1.2 = 219
    sc = one_stage_company(
        {"engineering": {"staff": 2, "salary": 365.0}}, horizon=100.0, budget={"headroom": 1.2}
    )
    (e,) = [e for e in founded(sc).log if isinstance(e, ev.BudgetFounded)]
    assert e.base_budget == pytest.approx(219.0, rel=1e-12)


def overheads(run: Run) -> dict[str, float]:
    return {e.department: e.overhead for e in run.log if isinstance(e, ev.DepartmentFormed)}


def test_with_the_broker_its_department_carries_the_pm_overhead() -> None:
    # the broker leads Product (the default department): 0.07 there, 0 in Engineering
    assert overheads(founded(company(True))) == {"engineering": 0.0, "product": 0.07}


def test_without_the_broker_no_department_carries_overhead() -> None:
    assert overheads(founded(company(False))) == {"engineering": 0.0, "product": 0.0}


# ------------------------------------------------------------ ids


def raise_between(run: Run, conflict: int) -> None:
    run.record(
        ev.ConflictRaised,
        conflict=conflict,
        kind="cross_initiative",
        initiator="product",
        target="engineering",
        severity=0.0,
        company_side="initiator",
    )


def test_ids_count_per_kind_from_zero() -> None:
    sc = company(False)
    run = Run(sc, seed=1)
    assert (run.next_id("employee"), run.next_id("conflict")) == (0, 0)  # nothing recorded
    run.found()
    # three founding staff, numbered 0, 1, 2: the next is 3; no conflict or work yet
    assert run.next_id("employee") == 3
    assert run.next_id("employee") == 3  # asking does not advance it
    assert (run.next_id("conflict"), run.next_id("work")) == (0, 0)
    raise_between(run, 0)
    assert (run.next_id("conflict"), run.next_id("employee"), run.next_id("work")) == (1, 3, 0)
    raise_between(run, 4)
    assert run.next_id("conflict") == 5  # one more than the highest recorded
