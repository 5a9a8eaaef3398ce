"""More hand-computed values of orgsim.analysis.stats: edge sizes (n = 0, 1, 2), exact
verdict texts, conversions of the input and error messages.

Differences like 2.5 - 2.0 are exact in binary, so spreads of 0 are exact and the verdicts
below are exact strings.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orgsim.analysis.stats import mean_ci, paired, with_broker_only


def test_none_in_the_input_is_read_as_nan_and_dropped() -> None:
    # [1, None, 3] -> float64 [1, nan, 3]; NaN dropped: mean of [1, 3] = 2, n = 2
    est = mean_ci([1.0, None, 3.0])
    assert est.n == 2
    assert est.mean == 2.0


def test_paired_drops_a_none_pair() -> None:
    # pairs (2, 1), (None, 5), (4, 2): the None pair goes; d = [1, 2], mean 1.5
    c = paired([2.0, None, 4.0], [1.0, 5.0, 2.0])
    assert c.diff.n == 2
    assert c.diff.mean == 1.5


def test_empty_sample_is_all_nan_floats() -> None:
    est = mean_ci([])
    assert est.n == 0
    for v in (est.mean, est.low, est.high, est.half_width, est.sd):
        assert isinstance(v, float)
        assert math.isnan(v)


def test_outcome_of_a_significant_difference_below_one() -> None:
    # d = [0.5, 0.5, 0.5]: mean 0.5, sd 0, half 0 -> CI [0.5, 0.5] excludes 0;
    # higher is better and 0.5 > 0 -> "better"; relative = 0.5 / |2| = +25.0 %
    c = paired([1.5, 2.5, 3.5], [1.0, 2.0, 3.0], better="higher")
    assert c.significant is True
    assert c.outcome == "better"
    assert c.verdict == "broker better: +25.0% (95% CI +25.0% to +25.0%)"
    lower = paired([1.5, 2.5, 3.5], [1.0, 2.0, 3.0], better="lower")
    assert lower.outcome == "worse"
    neutral = paired([1.5, 2.5, 3.5], [1.0, 2.0, 3.0], better="")
    assert neutral.outcome == "higher"


def test_verdict_with_exactly_two_pairs() -> None:
    # d = [0.5, 0.5]: n = 2 is enough; sd 0, CI [0.5, 0.5]; off mean 1.5;
    # relative = 0.5 / 1.5 = 33.33 % -> "+33.3%"
    c = paired([1.5, 2.5], [1.0, 2.0])
    assert c.verdict == "broker better: +33.3% (95% CI +33.3% to +33.3%)"


def test_verdict_when_the_spread_is_undefined_with_two_pairs() -> None:
    # d = [inf, 1]: n = 2 but sd (inf - inf) is NaN, so half_width is NaN
    with np.errstate(invalid="ignore"):
        c = paired([math.inf, 1.0], [0.0, 0.0])
    assert c.diff.n == 2
    assert math.isnan(c.diff.half_width)
    assert c.verdict == "not enough data (n=2 pairs)"


def test_verdict_absolute_uses_the_precise_style() -> None:
    # off mean 0 -> relative NaN -> absolute values; d = [0.123456] * 2, sd 0:
    # precise style writes 0.123 (the table style would write 0.12)
    c = paired([0.123456, 0.123456], [0.0, 0.0])
    assert math.isnan(c.relative)
    assert c.verdict == "broker better: +0.123 (95% CI +0.123 to +0.123)"


@pytest.mark.parametrize("off", [[1.0, 2.0], [[1.0, 2.0]]])
def test_paired_names_the_two_dimensional_arm(off: list) -> None:
    if isinstance(off[0], list):
        with pytest.raises(ValueError, match=r"^off must be one-dimensional, got shape \(1, 2\)$"):
            paired([1.0, 2.0], off)
    else:
        with pytest.raises(ValueError, match=r"^on must be one-dimensional, got shape \(1, 2\)$"):
            paired([[1.0, 2.0]], off)


def test_relative_with_an_off_mean_below_one() -> None:
    # off = [0.5, 0.5] (mean 0.5), on = [1, 1]: d = [0.5, 0.5]; relative = 0.5 / 0.5 = 1
    c = paired([1.0, 1.0], [0.5, 0.5])
    assert c.relative == 1.0
    assert c.relative_low == 1.0
    assert c.relative_high == 1.0


def test_broker_only_with_two_values_gives_a_ci() -> None:
    # [1, 3]: mean 2, half = t(.975, 1) * sqrt(2) / sqrt(2) = 12.706;
    # bounds 2 - 12.706 = -10.706 -> "-10.7", 14.706 -> "14.7" (precise style)
    c = with_broker_only([1.0, 3.0])
    assert c.verdict == "exists with the broker only: 2 (95% CI -10.7 to 14.7)"


def test_broker_only_with_one_value_uses_the_precise_style() -> None:
    # one value 0.123456: precise style 0.123 (the table style would write 0.12)
    c = with_broker_only([0.123456])
    assert c.verdict == "exists with the broker only: 0.123 (n=1)"


def test_broker_only_empty_fields() -> None:
    c = with_broker_only([1.0, 3.0])
    assert c.significant is False
    for v in (c.relative, c.relative_low, c.relative_high, c.win_rate, c.crn_variance_ratio):
        assert isinstance(v, float)
        assert math.isnan(v)


def test_win_rate_of_a_single_pair() -> None:
    # one pair, d = [1] > 0 with higher better: 1 win of 1 -> 1.0
    assert paired([2.0], [1.0]).win_rate == 1.0
    # lower better: 0 wins of 1 -> 0.0
    assert paired([2.0], [1.0], better="lower").win_rate == 0.0


def test_crn_ratio_with_two_pairs() -> None:
    # a = [1, 3]: var 2; b = [0, 1]: var 0.5; d = [1, 2]: var 0.5 -> (2 + 0.5) / 0.5 = 5
    assert paired([1.0, 3.0], [0.0, 1.0]).crn_variance_ratio == 5.0
