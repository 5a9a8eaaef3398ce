"""limits: the budget disputes' events per quarter, and --max-runs below --runs."""

from __future__ import annotations

import pytest

from builders import kinds_off, one_stage_company
from orgsim.errors import ExperimentError
from orgsim.experiments import limits
from orgsim.scenario.schema import Scenario


def disputing(intensity: float) -> Scenario:
    # Engineering alone, 200 days: ceil(200 / 91.25) = 3 quarters; only the budget
    # dispute kind is on, with probability 0.5
    kinds = kinds_off() | {"budget_dispute": {"enabled": True, "probability": 0.5}}
    return one_stage_company(
        {"engineering": {"staff": 4}},
        horizon=200.0,
        conflicts={"intensity": intensity, "kinds": kinds},
    )


@pytest.mark.parametrize(("intensity", "extra"), [(1.0, 5.625), (2.0, 11.25)])
def test_budget_disputes_add_their_events_every_quarter(intensity: float, extra: float) -> None:
    # disputes = DISPUTING_SHARE 0.5 x 1 department x 3 quarters x 0.5 x intensity
    #          = 0.75 x intensity, at EVENTS_PER_CONFLICT 7.5 events each: 5.625 x intensity;
    # intensity touches nothing else of the estimate (no arriving kind is on)
    quiet = limits.estimate_run(disputing(0.0)).events
    assert limits.estimate_run(disputing(intensity)).events - quiet == pytest.approx(
        extra,
        rel=1e-12,  # a difference of two sums of ~30 events: rounding only
    )


def test_max_runs_below_runs_is_refused_with_both_numbers_and_the_fix() -> None:
    with pytest.raises(ExperimentError) as info:
        limits.refuse_max_runs(5, 10)
    assert str(info.value) == (
        "--max-runs (5) is below --runs (10): the cap on replications must be at least "
        "the first batch; raise --max-runs or lower --runs"
    )


def test_max_runs_equal_to_runs_is_kept() -> None:
    assert limits.refuse_max_runs(10, 10) == 10
