"""estimate_run counts the budget cycle's events: one per department and one more a quarter.

The rest of the estimate grows in proportion to the horizon (features, leavers,
shifts). Its rate is measured between two horizons in the same quarter count; the
difference between two horizons a quarter boundary apart is then that rate times
their distance plus (departments + 1) events for each quarter between them.
"""

from __future__ import annotations

import pytest

from builders import one_stage_company
from orgsim.experiments.limits import estimate_run
from orgsim.scenario.schema import Scenario


def company(horizon: float) -> Scenario:
    """One department of two: a quarter's cycle is 1 QuarterStarted + 1 BudgetAllocated."""
    return one_stage_company(
        {"engineering": {"staff": 2, "salary": 100.0, "attrition": 0.0}}, horizon=horizon
    )


def events(horizon: float) -> float:
    return estimate_run(company(horizon)).events


@pytest.mark.parametrize(("short", "long", "quarters"), [(91.0, 92.0, 1), (100.0, 300.0, 2)])
def test_each_quarter_adds_a_quarter_started_and_one_allocation_per_department(
    short: float, long: float, quarters: int
) -> None:
    # Quarters of 91.25 days: 91 days hold 1 quarter, 92 hold 2; 100 hold 2, 300 hold 4.
    # 100 and 150 days both hold 2 quarters: their difference is the proportional part.
    rate = (events(150.0) - events(100.0)) / 50.0
    assert rate > 0.0
    jump = events(long) - events(short) - rate * (long - short)
    assert jump == pytest.approx(2 * quarters, rel=1e-9)
