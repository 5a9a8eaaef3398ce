"""Hand-computed values of orgsim.analysis.stats: CIs, per-unit estimates, precision rules.

Every expected number is worked out in a comment from the sample itself and the Student t
quantile (scipy.stats.t.ppf); floats are compared with rel=1e-12 (the same arithmetic in a
different order), exact values with ==.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from orgsim.analysis.stats import (
    BROKER_ONLY_VERDICT,
    Estimate,
    compare_table,
    mean_ci,
    paired,
    precision_reached,
    relative_half_width,
    replications_needed,
    with_broker_only,
)

REL = 1e-12


def t_two_sided(level: float, df: int) -> float:
    """The two-sided Student-t quantile, computed as the module does."""
    return float(sps.t.ppf(0.5 + level / 2.0, df))


T975_1 = 12.706204736174694  # t(0.975, df=1)
T975_2 = 4.302652729749462  # t(0.975, df=2)
T95_2 = 2.9199855803537242  # t(0.95, df=2): the 90 % two-sided quantile
T975_5 = 2.5705818356363146  # t(0.975, df=5)
T975_6 = 2.4469118511449786  # t(0.975, df=6)


def test_the_quantiles_used_below() -> None:
    assert t_two_sided(0.95, 1) == pytest.approx(T975_1, rel=REL)
    assert t_two_sided(0.95, 2) == pytest.approx(T975_2, rel=REL)
    assert t_two_sided(0.90, 2) == pytest.approx(T95_2, rel=REL)
    assert t_two_sided(0.95, 5) == pytest.approx(T975_5, rel=REL)
    assert t_two_sided(0.95, 6) == pytest.approx(T975_6, rel=REL)


# --- mean_ci by hand ----------------------------------------------------------------


def test_mean_ci_of_two_values() -> None:
    # [1, 3]: mean 2, deviations -1, +1, var = 2 / 1 = 2, sd = sqrt(2);
    # half = t(.975, 1) * sqrt(2) / sqrt(2) = 12.7062...
    est = mean_ci([1.0, 3.0])
    assert est.n == 2
    assert est.mean == 2.0
    assert est.sd == pytest.approx(math.sqrt(2.0), rel=REL)
    assert est.half_width == pytest.approx(T975_1, rel=REL)
    assert est.low == pytest.approx(2.0 - T975_1, rel=REL)
    assert est.high == pytest.approx(2.0 + T975_1, rel=REL)


def test_mean_ci_of_three_values_at_two_levels() -> None:
    # [2, 4, 9]: mean 5, deviations -3, -1, 4, squares 9 + 1 + 16 = 26, var 13, sd sqrt(13);
    # 95 %: half = 4.302653 * 3.605551 / 1.732051 = 8.956686
    # 90 %: half = 2.919986 * 3.605551 / 1.732051 = 6.078435
    sd = math.sqrt(13.0)
    e95 = mean_ci([2.0, 4.0, 9.0])
    assert (e95.n, e95.mean) == (3, 5.0)
    assert e95.sd == pytest.approx(sd, rel=REL)
    assert e95.half_width == pytest.approx(T975_2 * sd / math.sqrt(3.0), rel=REL)
    assert e95.half_width == pytest.approx(8.956686, abs=1e-6)
    assert (e95.low, e95.high) == pytest.approx((5.0 - 8.956686, 5.0 + 8.956686), abs=1e-6)
    e90 = mean_ci([2.0, 4.0, 9.0], level=0.90)
    assert e90.half_width == pytest.approx(T95_2 * sd / math.sqrt(3.0), rel=REL)
    assert e90.half_width == pytest.approx(6.078435, abs=1e-6)
    assert e90.low == pytest.approx(5.0 - 6.078435, abs=1e-6)


def test_mean_ci_rejects_levels_outside_the_open_unit_interval() -> None:
    for bad in (0.0, 1.0, 95):
        with pytest.raises(ValueError, match=r"^confidence level must be in \(0, 1\), got "):
            mean_ci([1.0, 2.0], level=bad)
    with pytest.raises(ValueError, match=r"^x must be one-dimensional, got shape \(2, 2\)$"):
        mean_ci([[1.0, 2.0], [3.0, 4.0]])


# --- Estimate.contains / Estimate.per -------------------------------------------------


def test_contains_is_closed_at_both_bounds() -> None:
    est = Estimate(mean=2.0, low=1.0, high=3.0, half_width=1.0, n=4, sd=1.0)
    assert est.contains(1.0)  # the lower bound itself
    assert est.contains(3.0)  # the upper bound itself
    assert est.contains(2.0)
    assert not est.contains(np.nextafter(1.0, 0.0))  # just below
    assert not est.contains(np.nextafter(3.0, 4.0))  # just above
    # and on a computed interval: [1, 3] is 2 -+ 12.7062...
    ci = mean_ci([1.0, 3.0])
    assert ci.contains(ci.low) and ci.contains(ci.high)
    assert not ci.contains(np.nextafter(ci.high, math.inf))


def test_per_divides_every_field_but_n() -> None:
    est = Estimate(mean=6.0, low=2.0, high=10.0, half_width=4.0, n=5, sd=3.0)
    assert est.per(2.0) == Estimate(3.0, 1.0, 5.0, 2.0, 5, 1.5)
    # a unit below 1 multiplies: 6 / 0.5 = 12 and so on
    assert est.per(0.5) == Estimate(12.0, 4.0, 20.0, 8.0, 5, 6.0)
    assert est.per(1.0) == est


@pytest.mark.parametrize("unit", [0.0, -2.0, math.nan])
def test_per_a_unit_that_is_not_positive_is_all_nan(unit: float) -> None:
    est = Estimate(mean=6.0, low=2.0, high=10.0, half_width=4.0, n=5, sd=3.0)
    out = est.per(unit)
    assert isinstance(out, Estimate)
    for field in ("mean", "low", "high", "half_width", "sd"):
        value = getattr(out, field)
        assert isinstance(value, float) and math.isnan(value), field
    assert out.n == 5


# --- relative_half_width / precision_reached ---------------------------------------


def test_relative_half_width_of_a_negative_mean() -> None:
    # [-9, -10, -11]: mean -10, sd 1, half = 4.302653 / sqrt(3) = 2.484138;
    # the share is of |mean| = 10: 0.2484138 (positive, not -0.248)
    assert relative_half_width([-9.0, -10.0, -11.0]) == pytest.approx(
        T975_2 / math.sqrt(3.0) / 10.0, rel=REL
    )
    assert relative_half_width([-9.0, -10.0, -11.0]) == pytest.approx(0.2484138, abs=1e-7)
    # at 90 %: 2.919986 / sqrt(3) / 10 = 0.1685854
    assert relative_half_width([-9.0, -10.0, -11.0], level=0.9) == pytest.approx(
        T95_2 / math.sqrt(3.0) / 10.0, rel=REL
    )


def test_precision_reached_uses_the_magnitude_of_a_negative_mean() -> None:
    # relative half width 0.2484 (see above): reached at 0.25, not at 0.24
    samples = {"neg": [-9.0, -10.0, -11.0], "pos": [9.0, 10.0, 11.0]}
    assert precision_reached(samples, ["neg"], rel_precision=0.25)
    assert precision_reached(samples, ["neg", "pos"], rel_precision=0.25, level=0.95)
    assert not precision_reached(samples, ["neg"], rel_precision=0.24)


def test_precision_reached_defaults_are_five_percent_at_95_percent() -> None:
    # [95, 100, 105]: mean 100, sd 5, half = 4.302653 * 5 / sqrt(3) = 12.42, share 0.1242;
    # [99.5, 100, 100.5]: sd 0.5, share 0.01242; both under 1.05, only the second under 0.05
    assert not precision_reached({"m": [95.0, 100.0, 105.0]}, ["m"])
    assert precision_reached({"m": [99.5, 100.0, 100.5]}, ["m"])


def test_precision_reached_uses_the_level_asked_for() -> None:
    # [9, 10, 11]: share 0.2484 at 95 %, 0.1686 at 90 % (t(.95, 2) = 2.92)
    x = {"m": [9.0, 10.0, 11.0]}
    assert precision_reached(x, ["m"], rel_precision=0.2, level=0.9)
    assert not precision_reached(x, ["m"], rel_precision=0.2, level=0.95)


def test_precision_reached_includes_its_bound() -> None:
    # the target is met when the half width equals rel_precision * |mean| exactly
    x = [9.0, 10.0, 11.0]
    share = relative_half_width(x)
    assert precision_reached({"m": x}, ["m"], rel_precision=share)
    assert not precision_reached({"m": x}, ["m"], rel_precision=np.nextafter(share, 0.0))


# --- replications_needed ------------------------------------------------------------


def test_replications_needed_by_hand() -> None:
    # pilot [9, 10, 11]: mean 10, sd 1; 10 % of 10 is a target half width of 1.
    # normal start: ceil((1.96 * 1 / 1)^2) = ceil(3.84) = 4; then t(n-1) / sqrt(n):
    # n=4: 3.182 / 2 = 1.591; n=5: 2.776 / 2.236 = 1.242; n=6: 2.571 / 2.449 = 1.0495 > 1;
    # n=7: 2.447 / 2.646 = 0.9248 <= 1, so 7.
    assert replications_needed([9.0, 10.0, 11.0], rel_precision=0.1) == 7
    assert T975_5 / math.sqrt(6.0) > 1.0 >= T975_6 / math.sqrt(7.0)
    # a negative mean of the same size needs the same: the rule uses |mean|
    assert replications_needed([-9.0, -10.0, -11.0], rel_precision=0.1) == 7


def test_replications_needed_of_a_pilot_with_sd_one_is_not_two() -> None:
    # [1, 2, 3]: sd 1, mean 2; 50 % of 2 is 1: the same t / sqrt(n) <= 1 as above, 7.
    assert replications_needed([1.0, 2.0, 3.0], rel_precision=0.5) == 7


def test_replications_needed_default_precision_is_five_percent() -> None:
    # [99, 100, 101]: sd 1, target 5 % of 100 = 5: n=2: 12.706 / 1.414 = 8.98 > 5,
    # n=3: 4.303 / 1.732 = 2.48 <= 5, so 3 (at 105 % it would be 2)
    assert replications_needed([99.0, 100.0, 101.0]) == 3
    assert replications_needed([99.0, 100.0, 101.0], level=0.95) == 3


def test_replications_needed_includes_its_bound() -> None:
    # Choose the target so that n = 5 meets it exactly: rel * |mean| with mean 1 is rel,
    # and rel = t(.975, 4) * sd / sqrt(5), the very number the rule compares with.
    x = [0.0, 2.0]  # mean 1, sd sqrt(2)
    sd = float(np.std(x, ddof=1))
    rel = t_two_sided(0.95, 4) * sd / math.sqrt(5)
    assert replications_needed(x, rel_precision=rel) == 5
    assert replications_needed(x, rel_precision=np.nextafter(rel, 0.0)) == 6


def test_replications_needed_of_a_tiny_spread_is_two() -> None:
    # [1, 1.0001]: sd 7.07e-5, t(.975, 1) * sd / sqrt(2) = 6.4e-4 <= 0.05 * 1.00005
    assert replications_needed([1.0, 1.0001]) == 2


def test_replications_needed_for_a_precise_target_follows_the_normal_formula() -> None:
    # pilot [9, 10, 11]: sd 1, mean 10; 0.01 % of 10 is a half width of 1e-3.
    # (z * sd / target)^2 = (1.959964 / 1e-3)^2 = 3,841,458.8; t(n-1) exceeds z by
    # z (z^2 + 1) / (4 n) ~ 4e-7 relative, which adds 3: 3,841,462.
    n = replications_needed([9.0, 10.0, 11.0], rel_precision=1e-4)
    assert n == 3_841_462
    assert t_two_sided(0.95, n - 1) / math.sqrt(n) <= 1e-3
    assert t_two_sided(0.95, n - 2) / math.sqrt(n - 1) > 1e-3


def test_replications_needed_messages() -> None:
    with pytest.raises(ValueError, match=r"^rel_precision must be positive, got 0\.0$"):
        replications_needed([1.0, 2.0], rel_precision=0.0)
    with pytest.raises(ValueError, match=r"^need at least two non-NaN pilot values, got 1$"):
        replications_needed([1.0, math.nan])
    with pytest.raises(
        ValueError, match=r"^the pilot mean is 0: a relative precision cannot be reached$"
    ):
        replications_needed([-1.0, 1.0])
    with pytest.raises(ValueError, match=r"^confidence level must be in \(0, 1\), got 1\.5$"):
        replications_needed([1.0, 2.0], level=1.5)


# --- paired, with_broker_only, compare_table ----------------------------------------


def test_paired_of_three_pairs_by_hand() -> None:
    # on [1, 2, 4], off [1, 3, 3]: d = [0, -1, 1], mean 0, sd 1, half = 4.302653 / sqrt(3);
    # Var(on) = (16 + 1 + 25) / 9 / 2 = 7/3, Var(off) = (16 + 4 + 4) / 9 / 2 = 4/3,
    # CRN ratio (7/3 + 4/3) / 1 = 11/3; wins: one of three, one tie: (1 + 0.5) / 3 = 0.5
    c = paired([1.0, 2.0, 4.0], [1.0, 3.0, 3.0])
    assert c.on.mean == pytest.approx(7.0 / 3.0, rel=REL)
    assert c.off.mean == pytest.approx(7.0 / 3.0, rel=REL)
    assert c.diff.mean == 0.0
    assert c.diff.sd == pytest.approx(1.0, rel=REL)
    assert c.diff.half_width == pytest.approx(T975_2 / math.sqrt(3.0), rel=REL)
    assert c.crn_variance_ratio == pytest.approx(11.0 / 3.0, rel=REL)
    assert c.win_rate == 0.5
    assert c.relative == 0.0
    # relative bounds are the difference's bounds over |off mean| = 7/3
    assert c.relative_high == pytest.approx(T975_2 / math.sqrt(3.0) / (7.0 / 3.0), rel=REL)
    assert not c.significant and c.outcome == "unclear"
    assert c.verdict == "no clear difference (95% CI -106.5% to +106.5%)"


def test_paired_relative_bounds_over_a_negative_off_mean() -> None:
    # off all -10, d = [1, 2, 3]: mean 2, sd 1, half 2.484138; |off mean| = 10
    c = paired([-9.0, -8.0, -7.0], [-10.0, -10.0, -10.0])
    half = T975_2 / math.sqrt(3.0)
    assert c.relative == pytest.approx(0.2, rel=REL)
    assert c.relative_low == pytest.approx((2.0 - half) / 10.0, rel=REL)
    assert c.relative_high == pytest.approx((2.0 + half) / 10.0, rel=REL)
    assert not c.significant  # the CI reaches below 0: 2 - 2.484 = -0.484, -4.8 %
    assert c.verdict == "no clear difference (95% CI -4.8% to +44.8%)"


def test_paired_outcome_of_a_significant_drop() -> None:
    # d = [-1, -2, -3]: mean -2, CI -2 -+ 2.484 reaches +0.48: not significant.
    # d = [-10, -11, -12]: mean -11, CI -11 -+ 2.484 excludes 0: significant, lower.
    off = np.full(3, 100.0)
    drop = off - np.array([10.0, 11.0, 12.0])
    assert paired(drop, off).outcome == "worse"
    assert paired(drop, off, better="lower").outcome == "better"
    assert paired(drop, off, better="").outcome == "lower"
    assert paired(drop, off, better="").verdict == "broker lower: -11.0% (95% CI -13.5% to -8.5%)"


def test_paired_messages_and_empty_input() -> None:
    with pytest.raises(
        ValueError, match=r"^paired samples must have the same length, got 2 \(on\) and 1 \(off\)$"
    ):
        paired([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"^better must be one of .*, got 'more'$"):
        paired([1.0, 2.0], [1.0, 3.0], better="more")
    with pytest.raises(ValueError, match=r"^off must be one-dimensional, got shape \(1, 2\)$"):
        paired([1.0, 2.0], [[1.0, 3.0]])
    c = paired([math.nan], [1.0])
    assert c.diff.n == 0 and math.isnan(c.win_rate) and math.isnan(c.crn_variance_ratio)
    assert c.verdict == "not enough data (n=0 pairs)"


def test_with_broker_only_at_another_level() -> None:
    # [2, 4, 9]: mean 5, 90 % half 6.078435 (see above): -1.08 to 11.1
    c = with_broker_only([2.0, 4.0, 9.0], level=0.9, better="lower")
    assert c.on == mean_ci([2.0, 4.0, 9.0], level=0.9)
    assert c.level == 0.9 and c.better == "lower" and c.broker_only
    assert c.verdict == f"{BROKER_ONLY_VERDICT}: 5 (90% CI -1.08 to 11.1)"
    with pytest.raises(ValueError, match=r"^better must be one of .*, got 'up'$"):
        with_broker_only([1.0, 2.0], better="up")


def test_compare_table_passes_level_and_direction_on() -> None:
    # d = [1, 2, 3] over an off arm of 10: mean 2, 90 % half 2.919986 / sqrt(3) = 1.685854
    on = {"x": [11.0, 12.0, 13.0], "q": [2.0, 4.0, 9.0]}
    off = {"x": [10.0, 10.0, 10.0]}
    table = compare_table(on, off, {"x": "lower", "q": "lower"}, level=0.9, broker_only=["q"])
    x, q = table["x"], table["q"]
    assert x.level == 0.9 and x.better == "lower"
    assert x.diff.half_width == pytest.approx(T95_2 / math.sqrt(3.0), rel=REL)
    assert x.outcome == "worse"  # significant at 90 %: 2 - 1.686 > 0, and lower is better
    assert x.verdict == "broker worse: +20.0% (90% CI +3.1% to +36.9%)"
    assert q.broker_only and q.level == 0.9 and q.better == "lower"
    assert q.on.half_width == pytest.approx(T95_2 * math.sqrt(13.0) / math.sqrt(3.0), rel=REL)
    with pytest.raises(KeyError, match="metric 'x' is missing from the broker-off samples"):
        compare_table({"x": [1.0, 2.0]}, {}, {})
