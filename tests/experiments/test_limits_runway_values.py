"""limits: the runway at exactly SATURATION, and --allow-large through check_run / check_compare."""

from __future__ import annotations

import logging

import pytest

from builders import one_stage_company
from orgsim.errors import ExperimentError
from orgsim.experiments import limits
from orgsim.experiments.limits import RunEstimate

# Engineering: 10 people at 100 k$ = a payroll of 1,000 k$ a year. One stage of 9 days
# of effort; features of value 2 (k$), all of it cash (cash_share 1), and 854 k$ of cash.
COMPANY = one_stage_company(
    {"engineering": {"staff": 10, "salary": 100.0}},
    horizon=30.0,
    delivery={
        "products": 1,
        "initial_features": 0,
        "feature_interarrival": {"kind": "deterministic", "mean": 1.0},
        "value": {"kind": "deterministic", "mean": 2.0},
        "stages": [
            {
                "name": "build",
                "department": "engineering",
                "effort": {"kind": "deterministic", "mean": 9.0},
            }
        ],
    },
    budget={"cash": 854.0, "cash_share": 1.0},
)


def test_a_load_of_exactly_saturation_earns_the_saturated_income() -> None:
    # one arrival a day x 9 days of effort / 10 people = a load of 0.9 = SATURATION:
    # income 1 x 365 x 2 x 1 = 730 k$ a year, times 0.2 = 146; net burn 1000 - 146 = 854,
    # so 854 k$ of cash lasts 365 x 854 / 854 = 365 days (unsaturated: 365 x 854 / 270)
    assert limits.SATURATION == 1.0 * 9.0 / 10
    assert limits._runway(COMPANY, 1.0) == pytest.approx(365.0, rel=1e-12)


def test_a_load_below_saturation_earns_the_full_income() -> None:
    # 0.5 arrivals a day: load 0.45; income 0.5 x 365 x 2 = 365; net 635 k$ a year
    assert limits._runway(COMPANY, 0.5) == pytest.approx(365.0 * 854.0 / 635.0, rel=1e-12)


# A run of 1,000 s (limit 600 s): refused unless confirmed.
SLOW = RunEstimate(events=1000.0, seconds=1000.0, memory=0.0, record=0.0)


@pytest.fixture
def slow_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "estimate_run", lambda sc: SLOW)


@pytest.mark.usefixtures("slow_runs")
def test_check_run_with_allow_large_returns_the_estimate_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="orgsim")
    found = limits.check_run(COMPANY, allow_large=True)
    # one run: memory = 1 x (record 0 + task 400) + 1 worker x 0
    assert (found.what, found.runs, found.points, found.run) == ("this run", 1, 1, SLOW)
    assert (found.seconds, found.memory) == (1000.0, 400.0)
    assert "this run is large (confirmed by --allow-large)" in caplog.text
    with pytest.raises(
        ExperimentError, match="this run is too large: one run of midsize is ~1,000 events, ~17 min"
    ):
        limits.check_run(COMPANY)


@pytest.mark.usefixtures("slow_runs")
def test_check_compare_with_allow_large_returns_the_estimate() -> None:
    found = limits.check_compare(
        COMPANY, runs=3, max_runs=10, precision=None, jobs=2, allow_large=True
    )
    # no precision target: 2 arms x 3 runs = 6 runs of 1,000 s; memory 6 x 400 + 2 x 0
    assert (found.what, found.runs, found.seconds, found.memory) == (
        "this comparison",
        6,
        6000.0,
        2400.0,
    )
    with pytest.raises(ExperimentError, match="this comparison is too large"):
        limits.check_compare(COMPANY, runs=3, max_runs=10, precision=None, jobs=2)
