"""The Kaplan–Meier estimator of censored waits, by hand and against statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orgsim.metrics.columns import KM_TOLERANCE, kaplan_meier, km_quantile


def test_kaplan_meier_by_hand() -> None:
    # waits 1, 2, 2 (censored), 3: S(1) = 3/4; at 2 three are at risk, the censored
    # one included, one ends: S(2) = 3/4 · 2/3 = 1/2; S(3) = 0 (one at risk)
    times, survival = kaplan_meier([1.0, 2.0, 2.0, 3.0], [True, True, False, True])
    np.testing.assert_array_equal(times, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(survival, [0.75, 0.5, 0.0])


def test_censored_waits_leave_the_risk_set_without_ending() -> None:
    # 1 ends, 2 censored, 4 ends, 5 censored: S(1) = 3/4, S(4) = 3/4 · 1/2
    times, survival = kaplan_meier([5.0, 1.0, 4.0, 2.0], [False, True, True, False])
    np.testing.assert_array_equal(times, [1.0, 4.0])
    np.testing.assert_allclose(survival, [0.75, 0.375])


def test_quantiles_are_the_first_time_survival_reaches_one_minus_q() -> None:
    curve = kaplan_meier([1.0, 2.0, 2.0, 3.0], [True, True, False, True])
    assert km_quantile(curve, 0.5) == 2.0  # S(2) = 1/2 exactly: <=, not <
    assert km_quantile(curve, 0.25) == 1.0  # S(1) = 3/4
    assert km_quantile(curve, 0.2) == 1.0
    assert km_quantile(curve, 0.9) == 3.0
    assert km_quantile(curve, 0.1) == 1.0


def test_a_quantile_the_survival_never_reaches_is_nan() -> None:
    # one of three ends at 1; the others are censored: S stays at 2/3
    curve = kaplan_meier([1.0, 5.0, 6.0], [True, False, False])
    assert km_quantile(curve, 0.25) == 1.0
    assert math.isnan(km_quantile(curve, 0.5))
    assert math.isnan(km_quantile(kaplan_meier([4.0], [False]), 0.5))  # all censored
    assert math.isnan(km_quantile(kaplan_meier([], []), 0.5))  # nothing waited


def test_a_survival_of_one_half_in_floating_point_is_still_the_median() -> None:
    # 24 waits 1..24, none censored: after 12, S is 1/2, which the product
    # 23/24 · 22/23 · ... · 12/13 computes as 0.5000000000000001
    times, survival = kaplan_meier(np.arange(1.0, 25.0), np.ones(24, bool))
    assert survival[11] != 0.5 and abs(survival[11] - 0.5) < KM_TOLERANCE
    assert km_quantile((times, survival), 0.5) == 12.0


@pytest.mark.parametrize("seed", range(40))
def test_kaplan_meier_agrees_with_statsmodels(seed: int) -> None:
    survfunc = pytest.importorskip("statsmodels.duration.survfunc")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    # whole days so that events and censorings share times; some runs censor a lot
    durations = rng.integers(0, 40, n).astype(float)
    ended = rng.random(n) < rng.uniform(0.2, 1.0)
    if not ended.any():
        ended[0] = True  # statsmodels needs one event
    times, survival = kaplan_meier(durations, ended)
    reference = survfunc.SurvfuncRight(durations, ended.astype(float))
    np.testing.assert_array_equal(times, reference.surv_times)
    np.testing.assert_allclose(survival, reference.surv_prob, rtol=1e-12, atol=1e-15)
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        mine = km_quantile((times, survival), q)
        on_the_level = np.abs(reference.surv_prob - (1.0 - q)) < KM_TOLERANCE
        if on_the_level.any():
            # statsmodels' strict < answers the next event time (or nan): the one
            # convention where the two differ
            assert mine == reference.surv_times[np.flatnonzero(on_the_level)[0]]
            continue
        expected = reference.quantile(q)
        assert mine == expected or (math.isnan(mine) and math.isnan(expected)), q
