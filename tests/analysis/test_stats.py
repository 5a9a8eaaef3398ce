"""Tests for orgsim.stats: confidence intervals, paired comparisons, precision."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from orgsim.analysis.stats import (
    Comparison,
    compare_table,
    mean_ci,
    paired,
    precision_reached,
    relative_half_width,
    replications_needed,
    with_broker_only,
)
from orgsim.metrics.format import format_number


def t975(df: int) -> float:
    return float(sps.t.ppf(0.975, df))


# --- mean_ci ----------------------------------------------------------------------


def test_mean_ci_hand_example() -> None:
    est = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    half = t975(4) * math.sqrt(2.5) / math.sqrt(5)
    assert est.n == 5
    assert est.mean == pytest.approx(3.0)
    assert est.sd == pytest.approx(math.sqrt(2.5))
    assert est.half_width == pytest.approx(half)
    assert (est.low, est.high) == pytest.approx((3.0 - half, 3.0 + half))


def test_mean_ci_drops_nans() -> None:
    est = mean_ci([1.0, np.nan, 2.0, 3.0, np.nan])
    assert est.n == 3
    assert est.mean == pytest.approx(2.0)
    assert est.sd == pytest.approx(1.0)
    assert est.half_width == pytest.approx(t975(2) / math.sqrt(3))


def test_mean_ci_single_value_has_nan_bounds() -> None:
    est = mean_ci([7.5])
    assert est.n == 1
    assert est.mean == 7.5
    assert math.isnan(est.low) and math.isnan(est.high)
    assert math.isnan(est.half_width) and math.isnan(est.sd)
    assert not est.contains(7.5)


def test_mean_ci_nothing_left() -> None:
    est = mean_ci([np.nan, np.nan])
    assert est.n == 0
    assert math.isnan(est.mean) and math.isnan(est.low)
    assert mean_ci([]).n == 0


def test_mean_ci_other_level() -> None:
    x = np.arange(10.0)
    e90, e99 = mean_ci(x, level=0.90), mean_ci(x, level=0.99)
    assert e90.half_width == pytest.approx(sps.t.ppf(0.95, 9) * np.std(x, ddof=1) / math.sqrt(10))
    assert e99.half_width > e90.half_width


def test_mean_ci_rejects_bad_level() -> None:
    with pytest.raises(ValueError, match="level"):
        mean_ci([1.0, 2.0], level=95)


def test_estimate_is_frozen() -> None:
    est = mean_ci([1.0, 2.0])
    with pytest.raises(AttributeError):
        est.mean = 3.0  # type: ignore[misc]


@pytest.mark.slow
def test_mean_ci_coverage() -> None:
    # 2,000 samples of n=20: the realised coverage has binomial sd
    # sqrt(.95 * .05 / 2000) = 0.49 points, so 93.5-96.5 % is +-3 sd.
    rng = np.random.default_rng(0)
    true_mean = 5.0
    samples = rng.normal(true_mean, 2.0, size=(2000, 20))
    covered = sum(mean_ci(row).contains(true_mean) for row in samples)
    assert 0.935 <= covered / 2000 <= 0.965


@pytest.mark.slow
def test_paired_diff_coverage() -> None:
    rng = np.random.default_rng(0)
    effect = 1.5
    hits = 0
    for _ in range(2000):
        common = rng.normal(100.0, 10.0, 20)  # the shared luck of a replication pair
        on = common + effect + rng.normal(0.0, 2.0, 20)
        off = common + rng.normal(0.0, 2.0, 20)
        hits += paired(on, off).diff.contains(effect)
    assert 0.935 <= hits / 2000 <= 0.965


# --- paired -----------------------------------------------------------------------


def test_paired_estimates_and_relative() -> None:
    off = np.full(5, 10.0)
    d = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    c = paired(off + d, off)
    half = t975(4) * math.sqrt(2.5) / math.sqrt(5)
    assert isinstance(c, Comparison)
    assert c.on.mean == pytest.approx(13.0)
    assert c.off.mean == pytest.approx(10.0)
    assert c.diff.mean == pytest.approx(3.0)
    assert c.diff.half_width == pytest.approx(half)
    assert c.relative == pytest.approx(0.3)
    assert c.relative_low == pytest.approx((3.0 - half) / 10.0)
    assert c.relative_high == pytest.approx((3.0 + half) / 10.0)
    assert c.significant
    assert c.better == "higher" and c.level == 0.95


def test_relative_uses_magnitude_of_off_mean() -> None:
    off = np.full(4, -20.0)
    c = paired(off + np.array([1.0, 2.0, 3.0, 2.0]), off)
    assert c.relative == pytest.approx(2.0 / 20.0)  # improvement from -20 reads as +10 %


def test_verdicts() -> None:
    off = np.full(5, 10.0)
    d = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    up = "+30.0% (95% CI +10.4% to +49.6%)"
    down = "-30.0% (95% CI -49.6% to -10.4%)"
    assert paired(off + d, off).verdict == f"broker better: {up}"
    assert paired(off - d, off).verdict == f"broker worse: {down}"
    # better="lower" flips the judgement, not the numbers
    assert paired(off + d, off, better="lower").verdict == f"broker worse: {up}"
    assert paired(off - d, off, better="lower").verdict == f"broker better: {down}"
    # no preferred direction: say which way it went
    assert paired(off + d, off, better="").verdict == f"broker higher: {up}"
    assert paired(off - d, off, better="").verdict == f"broker lower: {down}"
    flat = paired(off + np.array([-2.0, -1.0, 0.0, 1.0, 3.0]), off)
    assert not flat.significant
    assert flat.verdict == "no clear difference (95% CI -21.9% to +25.9%)"


def test_outcome() -> None:
    off = np.full(5, 10.0)
    d = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert paired(off + d, off).outcome == "better"
    assert paired(off + d, off, better="lower").outcome == "worse"
    assert paired(off - d, off, better="").outcome == "lower"
    assert paired(off + np.array([-2.0, -1.0, 0.0, 1.0, 3.0]), off).outcome == "unclear"


def test_verdict_other_level() -> None:
    off = np.full(5, 10.0)
    c = paired(off + np.array([1.0, 2.0, 3.0, 4.0, 5.0]), off, level=0.9)
    assert "(90% CI " in c.verdict


def test_zero_off_mean_gives_nan_relative_and_absolute_verdict() -> None:
    c = paired([1.0, 2.0, 1.5, 2.5], [0.0, 0.0, 0.0, 0.0], better="lower")
    assert math.isnan(c.relative)
    assert math.isnan(c.relative_low) and math.isnan(c.relative_high)
    assert c.significant
    assert c.verdict.startswith("broker worse: +1.75 (95% CI +")
    assert "%" not in c.verdict.replace("95% CI", "")


def test_identical_arms() -> None:
    x = [3.0, 4.0, 5.0]
    c = paired(x, x)
    assert not c.significant
    assert c.win_rate == 0.5
    assert math.isnan(c.crn_variance_ratio)  # Var(diff) == 0
    assert c.verdict == "no difference (identical in all 3 pairs)"


def test_win_rate_with_tie() -> None:
    on = [3.0, 2.0, 5.0, 1.0]
    off = [1.0, 2.0, 6.0, 0.0]  # on wins, tie, on loses, on wins
    assert paired(on, off).win_rate == pytest.approx((2 + 0.5) / 4)
    assert paired(on, off, better="lower").win_rate == pytest.approx((1 + 0.5) / 4)
    assert math.isnan(paired(on, off, better="").win_rate)


def test_nan_pairs_dropped_from_everything() -> None:
    on = [3.0, 2.0, np.nan, 5.0, 1.0, 7.0]
    off = [1.0, 2.0, 4.0, 6.0, 0.0, np.nan]
    c = paired(on, off)
    assert c.diff.n == c.on.n == c.off.n == 4
    assert c.on.mean == pytest.approx(np.mean([3.0, 2.0, 5.0, 1.0]))
    assert c.off.mean == pytest.approx(np.mean([1.0, 2.0, 6.0, 0.0]))
    assert c.win_rate == pytest.approx(2.5 / 4)


def test_too_few_pairs() -> None:
    c = paired([1.0, np.nan], [0.5, 2.0])
    assert c.diff.n == 1
    assert not c.significant
    assert math.isnan(c.crn_variance_ratio)
    assert c.verdict == "not enough data (n=1 pairs)"


def test_paired_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        paired([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="better"):
        paired([1.0, 2.0], [1.0, 3.0], better="more")


def test_crn_variance_ratio_correlated() -> None:
    # corr(on, off) = rho gives Var(on - off) = 2 s^2 (1 - rho): ratio 1 / (1 - rho) = 5.
    rng = np.random.default_rng(1)
    common = rng.normal(0.0, 1.0, 5000)
    on = math.sqrt(0.8) * common + math.sqrt(0.2) * rng.normal(0.0, 1.0, 5000)
    off = math.sqrt(0.8) * common + math.sqrt(0.2) * rng.normal(0.0, 1.0, 5000)
    ratio = paired(on, off).crn_variance_ratio
    assert ratio > 1
    assert ratio == pytest.approx(5.0, rel=0.1)


def test_crn_variance_ratio_hand_example() -> None:
    on, off = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 3.0])
    want = (np.var(on, ddof=1) + np.var(off, ddof=1)) / np.var(on - off, ddof=1)
    assert paired(on, off).crn_variance_ratio == pytest.approx(want)


def test_crn_variance_ratio_independent() -> None:
    # For independent arms the ratio is about 1 / (1 - r) with r the sample
    # correlation, whose sd is 1 / sqrt(n) = 0.007 at n = 20,000: +-0.05 is > 6 sd.
    rng = np.random.default_rng(2)
    on, off = rng.normal(10.0, 2.0, 20_000), rng.normal(10.0, 2.0, 20_000)
    assert paired(on, off).crn_variance_ratio == pytest.approx(1.0, abs=0.05)


# --- compare_table ----------------------------------------------------------------


def test_compare_table_order_and_direction() -> None:
    on = {"b": np.array([5.0, 6.0, 7.0]), "a": np.array([1.0, 1.0, 2.0])}
    off = {"a": np.array([2.0, 2.0, 3.0]), "b": np.array([4.0, 5.0, 6.5]), "extra": np.ones(3)}
    table = compare_table(on, off, {"a": "lower"})
    assert list(table) == ["b", "a"]
    assert table["a"].better == "lower"
    assert table["a"].win_rate == 1.0
    assert table["b"].better == ""  # not listed: no preferred direction
    assert table["b"].diff == paired(on["b"], off["b"]).diff
    assert math.isnan(table["b"].win_rate)


def test_compare_table_missing_metric() -> None:
    with pytest.raises(KeyError, match="nope"):
        compare_table({"nope": np.ones(3)}, {}, {})


def test_compare_table_broker_only_metric_has_no_paired_difference() -> None:
    # Issue 9 #9: a metric the arm without a broker does not have (NaN there, or a
    # placeholder 0 such as the broker's share of detections) is the broker arm's
    # estimate alone: no without-broker value, difference, relative effect, win rate.
    on = {"wait": np.array([2.0, np.nan, 4.0, 6.0]), "share": np.array([0.7, 0.8, 0.9, 0.8])}
    off = {"wait": np.full(4, np.nan), "share": np.zeros(4)}
    table = compare_table(on, off, {"wait": "lower"}, broker_only={"wait", "share"})
    for name, c in table.items():
        assert c.broker_only, name
        assert c.on == mean_ci(on[name]), name  # every broker-arm value, not only pairs
        assert c.off.n == 0 and math.isnan(c.off.mean) and math.isnan(c.off.half_width)
        assert c.diff.n == 0 and math.isnan(c.diff.mean)
        assert math.isnan(c.relative) and math.isnan(c.relative_low)
        assert math.isnan(c.win_rate) and math.isnan(c.crn_variance_ratio)
        assert not c.significant and c.outcome == "unclear"
        assert c.verdict.startswith("exists with the broker only: "), c.verdict
    assert table["wait"].on.n == 3 and table["wait"].better == "lower"
    assert table["wait"].verdict == "exists with the broker only: 4 (95% CI -0.968 to 8.97)"
    assert table["share"].verdict == "exists with the broker only: 0.8 (95% CI 0.67 to 0.93)"
    # the others are unchanged, and ``off`` need not hold a broker-only metric
    plain = compare_table({"x": np.arange(4.0)}, {"x": np.ones(4)}, {}, broker_only={"wait"})
    assert not plain["x"].broker_only
    assert plain["x"].diff == paired(np.arange(4.0), np.ones(4)).diff
    assert compare_table({"wait": on["wait"]}, {}, {}, broker_only=["wait"])["wait"].on.n == 3


def test_with_broker_only_too_few_values() -> None:
    assert with_broker_only([np.nan]).verdict == "exists with the broker only: no data (n=0)"
    assert with_broker_only([3.0]).verdict == "exists with the broker only: 3 (n=1)"


# --- replications_needed / precision_reached --------------------------------------


def test_relative_half_width() -> None:
    est = mean_ci([9.0, 10.0, 11.0])
    assert relative_half_width([9.0, 10.0, 11.0]) == pytest.approx(est.half_width / 10.0)
    assert relative_half_width([-9.0, -10.0, -11.0]) == pytest.approx(est.half_width / 10.0)
    assert relative_half_width([0.0, 0.0]) == 0.0  # no spread around 0: exact
    assert relative_half_width([-1.0, 1.0]) == math.inf  # spread around 0: never reached
    assert math.isnan(relative_half_width([1.0, np.nan]))  # fewer than two values


def _standardised(n: int) -> np.ndarray:
    z = np.random.default_rng(3).normal(size=n)
    return (z - z.mean()) / z.std(ddof=1)


def test_replications_needed_known_sd_and_mean() -> None:
    x = 100.0 + 20.0 * _standardised(10)  # mean 100, sd 20 exactly
    n = replications_needed(x, rel_precision=0.05)
    # (z * 20 / 5)^2 = 61.5; the t correction adds a few: 64.
    assert n == 64
    target = 0.05 * 100.0
    assert t975(n - 1) * 20.0 / math.sqrt(n) <= target
    assert t975(n - 2) * 20.0 / math.sqrt(n - 1) > target


@pytest.mark.parametrize(("sd", "rel"), [(1.0, 0.5), (5.0, 0.1), (30.0, 0.02), (3.0, 0.2)])
def test_replications_needed_is_the_smallest_sufficient_n(sd: float, rel: float) -> None:
    x = 50.0 + sd * _standardised(8)
    n = replications_needed(x, rel_precision=rel)
    target = rel * 50.0
    assert n >= 2
    assert t975(n - 1) * sd / math.sqrt(n) <= target
    if n > 2:
        assert t975(n - 2) * sd / math.sqrt(n - 1) > target


def test_replications_needed_edge_cases() -> None:
    assert replications_needed([4.0, 4.0, 4.0]) == 2  # no spread
    assert replications_needed([100.0, 100.1]) == 2  # already tiny
    with pytest.raises(ValueError, match="two"):
        replications_needed([1.0, np.nan])
    with pytest.raises(ValueError, match="mean is 0"):
        replications_needed([-1.0, 1.0])
    with pytest.raises(ValueError, match="rel_precision"):
        replications_needed([1.0, 2.0], rel_precision=0.0)


def test_precision_reached() -> None:
    rng = np.random.default_rng(4)
    samples = {
        "tight": 100.0 + rng.normal(0.0, 1.0, 30),
        "loose": 100.0 + rng.normal(0.0, 50.0, 30),
        "zero": np.zeros(30),
        "zero_noisy": rng.normal(0.0, 1.0, 30),
        "single": np.array([1.0, np.nan]),
    }
    assert precision_reached(samples, ["tight"], rel_precision=0.05, level=0.95)
    assert precision_reached(samples, ["tight", "zero"], 0.05, 0.95)
    assert not precision_reached(samples, ["tight", "loose"], 0.05, 0.95)
    assert precision_reached(samples, ["loose"], rel_precision=0.5, level=0.95)
    assert not precision_reached(samples, ["zero_noisy"], 0.05, 0.95)
    assert not precision_reached(samples, ["single"], 0.05, 0.95)
    assert precision_reached(samples, [], 0.05, 0.95)
    with pytest.raises(KeyError):
        precision_reached(samples, ["absent"], 0.05, 0.95)


def test_precision_reached_matches_replications_needed() -> None:
    x = 100.0 + 20.0 * _standardised(10)
    n = replications_needed(x, 0.05)
    # a sample of exactly n values with the same mean and sd reaches the target
    big = 100.0 + 20.0 * _standardised(n)
    small = 100.0 + 20.0 * _standardised(n - 1)
    assert precision_reached({"m": big}, ["m"], 0.05, 0.95)
    assert not precision_reached({"m": small}, ["m"], 0.05, 0.95)


def test_verdict_numbers_are_never_scientific_for_big_values() -> None:
    def precise(x: float) -> str:
        return format_number(x, style="precise", signed=True)

    assert precise(25930.4) == "+25,930"
    assert precise(-123.6) == "-124"
    assert precise(49.5) == "+49.5"
    assert precise(-0.0051) == "-0.0051"
    assert precise(0.0) == "+0"
    assert precise(0.00001) == "+1.00e-05"


def test_verdict_of_an_arm_averaging_zero_is_absolute() -> None:
    c = paired([1.0, 2.0, 3.5], [-1.0, 0.0, 1.0])
    assert c.verdict == "broker better: +2.17 (95% CI +1.45 to +2.88)"


def test_verdict_in_percent_of_the_without_broker_mean() -> None:
    c = paired([110.0, 121.0, 133.0], [100.0, 110.0, 120.0])
    assert c.verdict == "broker better: +10.3% (95% CI +6.9% to +13.8%)"
