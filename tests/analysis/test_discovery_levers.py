"""Hand-computed values of orgsim.analysis.levers: beating the reference, paired effects, regret.

Every expected number is worked out in a comment from the tables themselves. Integers and
exact binary fractions are compared with ==; a percentile or a mean that is not an exact
binary fraction with rel=1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orgsim.analysis.levers import lever_summary, paired_effects, point_means, regret, wilson

NAN = math.nan
REL = 1e-12
Z975 = 1.959963984540054  # two-sided 95 % normal quantile
T975_4 = 2.7764451051977987  # t(0.975, df=4)


# --- the probability of beating the reference and the paired effect ---------------

# Five points, two replications each; replication r of both levers shares its streams.
REFERENCE = np.array([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [NAN, NAN]], dtype=float)
LEVER = np.array([[2, 2], [1, 3], [3, 3], [6, NAN], [4, 4], [7, 7]], dtype=float)
# Paired effects (lever − reference over the replications both completed):
#   p0: (1 + 1) / 2 = 1
#   p1: (−1 + 1) / 2 = 0            a tie: does not beat
#   p2: 0                           a tie
#   p3: replication 1 failed in the lever: only replication 0, 6 − 4 = 2
#   p4: −1
#   p5: the reference failed twice: no paired replication, left out
EFFECTS = [1.0, 0.0, 0.0, 2.0, -1.0, NAN]


def test_paired_effects_use_the_replications_both_levers_completed() -> None:
    np.testing.assert_array_equal(paired_effects(LEVER, REFERENCE), EFFECTS)


def test_point_means_average_each_lever_over_its_own_completed_replications() -> None:
    np.testing.assert_array_equal(point_means(LEVER), [2.0, 2.0, 3.0, 6.0, 4.0, 7.0])
    np.testing.assert_array_equal(point_means(REFERENCE), [1.0, 2.0, 3.0, 4.0, 5.0, NAN])


def test_p_beats_counts_points_where_the_paired_effect_is_better() -> None:
    s = lever_summary(LEVER, REFERENCE, name="vp-alone", reference_name="no-broker")
    # Beats at p0 and p3: 2 of 5 points; the two ties do not count.
    assert (s.p_beats.k, s.p_beats.n, s.points, s.ties) == (2, 5, 5, 2)
    assert s.p_beats.share == 0.4
    assert (s.lever, s.reference) == ("vp-alone", "no-broker")


def test_p_beats_has_the_wilson_interval() -> None:
    s = lever_summary(LEVER, REFERENCE)
    # Wilson 2 of 5: centre (p + z²/2n) / (1 + z²/n), half z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n).
    z2 = Z975**2
    denom = 1 + z2 / 5
    centre = (0.4 + z2 / 10) / denom
    half = Z975 * math.sqrt(0.4 * 0.6 / 5 + z2 / 100) / denom
    assert s.p_beats.low == pytest.approx(centre - half, rel=REL)
    assert s.p_beats.high == pytest.approx(centre + half, rel=REL)
    assert (round(s.p_beats.low, 4), round(s.p_beats.high, 4)) == (0.1176, 0.7693)


def test_wilson_equals_statsmodels_proportion_confint() -> None:
    from statsmodels.stats.proportion import proportion_confint

    for k, n, level in ((0, 7, 0.95), (2, 5, 0.95), (9, 9, 0.9), (37, 120, 0.99)):
        low, high = proportion_confint(k, n, alpha=1 - level, method="wilson")
        w = wilson(k, n, level)
        assert (w.low, w.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))


def test_wilson_edges() -> None:
    none = wilson(0, 0)
    assert none.n == 0 and math.isnan(none.share) and math.isnan(none.low)
    assert wilson(0, 10).low == 0.0 and wilson(0, 10).high > 0.0  # never a point at k = 0
    assert wilson(10, 10).high == pytest.approx(1.0, abs=1e-12) and wilson(10, 10).low < 1.0
    with pytest.raises(ValueError, match="k <= n"):
        wilson(3, 2)
    with pytest.raises(ValueError, match="level"):
        wilson(1, 2, 1.0)


def test_effect_mean_has_a_t_interval_and_quantiles() -> None:
    s = lever_summary(LEVER, REFERENCE)
    # Effects 1, 0, 0, 2, −1: mean 2/5 = 0.4; squared deviations 0.36 + 0.16 + 0.16 + 2.56 + 1.96
    # = 5.2, variance 5.2 / 4 = 1.3; half-width t(0.975, 4)·sqrt(1.3 / 5).
    assert s.effect.mean == pytest.approx(0.4, rel=REL)
    assert s.effect.n == 5
    assert s.effect.sd == pytest.approx(math.sqrt(1.3), rel=REL)
    assert s.effect.half_width == pytest.approx(T975_4 * math.sqrt(1.3 / 5), rel=REL)
    # Sorted −1, 0, 0, 1, 2; linear quantile at position q·(5 − 1):
    # 5 % at 0.2 → −1 + 0.2·1 = −0.8; 25 % at 1 → 0; 50 % at 2 → 0; 75 % at 3 → 1;
    # 95 % at 3.8 → 1 + 0.8·1 = 1.8.
    expected = {5: -0.8, 25: 0.0, 50: 0.0, 75: 1.0, 95: 1.8}
    assert s.quantiles == {q: pytest.approx(v, rel=REL, abs=1e-15) for q, v in expected.items()}
    np.testing.assert_array_equal(s.effect_by_point, EFFECTS)


def test_lower_is_better_beats_where_the_effect_is_negative() -> None:
    s = lever_summary(LEVER, REFERENCE, better="lower")
    assert (s.p_beats.k, s.p_beats.n) == (1, 5)  # p4 only (−1)
    assert s.effect.mean == pytest.approx(0.4, rel=REL)  # the effect itself is not mirrored


def test_a_lever_never_paired_has_no_share() -> None:
    s = lever_summary(np.full((3, 2), NAN), np.ones((3, 2)))
    assert s.points == 0 and s.p_beats.n == 0 and math.isnan(s.p_beats.share)
    assert math.isnan(s.effect.mean) and all(math.isnan(v) for v in s.quantiles.values())


def test_mismatched_or_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="same shape"):
        paired_effects(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="better"):
        lever_summary(LEVER, REFERENCE, better="")


# --- regret -------------------------------------------------------------------------

# Three levers at four points, two replications. Per-lever means (own completed replications):
#   point   A    B    C
#   p0     10   12   12     B and C tie for best
#   p1      8    5    7     A's replication 1 failed: its mean is replication 0's 8
#   p2      3    4    0
#   p3      1    2   n/a    C completed nothing: the point is left out for every lever
TABLE = {
    "A": np.array([[10, 10], [8, NAN], [2, 4], [1, 1]], dtype=float),
    "B": np.array([[11, 13], [5, 5], [4, 4], [2, 2]], dtype=float),
    "C": np.array([[12, 12], [6, 8], [0, 0], [NAN, NAN]], dtype=float),
}
# Regret = best mean at the point − own mean:
#   p0: A 2, B 0, C 0     p1: A 0, B 3, C 1     p2: A 1, B 0, C 4
# max: A 2, B 3, C 4 → minimax regret: A.
# 90th percentile (linear, position 0.9·(3 − 1) = 1.8 in the sorted regrets):
#   A 0, 1, 2 → 1 + 0.8·1 = 1.8;  B 0, 0, 3 → 0 + 0.8·3 = 2.4;  C 0, 1, 4 → 1 + 0.8·3 = 3.4
# mean: A 3/3 = 1, B 3/3 = 1, C 5/3.


def test_regret_equals_the_hand_table() -> None:
    r = regret(TABLE)
    assert r.levers == ("A", "B", "C")
    np.testing.assert_array_equal(r.by_point["A"], [2.0, 0.0, 1.0])
    np.testing.assert_array_equal(r.by_point["B"], [0.0, 3.0, 0.0])
    np.testing.assert_array_equal(r.by_point["C"], [0.0, 1.0, 4.0])
    np.testing.assert_array_equal(r.kept, [0, 1, 2])
    assert r.dropped == 1
    assert r.max == {"A": 2.0, "B": 3.0, "C": 4.0}
    assert r.p90 == {
        "A": pytest.approx(1.8, rel=REL),
        "B": pytest.approx(2.4, rel=REL),
        "C": pytest.approx(3.4, rel=REL),
    }
    assert r.mean == {"A": 1.0, "B": 1.0, "C": pytest.approx(5 / 3, rel=REL)}
    assert (r.minimax, r.minimax_tied) == ("A", ("A",))
    assert (r.min_p90, r.min_p90_tied) == ("A", ("A",))


def test_regret_is_zero_for_every_lever_tied_best() -> None:
    r = regret(TABLE)
    assert r.by_point["B"][0] == 0.0 and r.by_point["C"][0] == 0.0  # the tie at p0


def test_lower_is_better_mirrors_regret() -> None:
    # The same table negated, with lower better, has the same regrets.
    r = regret({k: -v for k, v in TABLE.items()}, better="lower")
    np.testing.assert_array_equal(r.by_point["A"], [2.0, 0.0, 1.0])
    np.testing.assert_array_equal(r.by_point["C"], [0.0, 1.0, 4.0])
    assert r.minimax == "A"
    # And the table itself, lower better: regret = own mean − smallest mean.
    #   p0: A 0, B 2, C 2    p1: A 3, B 0, C 2    p2: A 3, B 4, C 0
    # max: A 3, B 4, C 2 → minimax C; p90: A 0,3,3 → 3; B 0,2,4 → 2 + 0.8·2 = 3.6;
    # C 0,2,2 → 2 → smallest p90: C.
    low = regret(TABLE, better="lower")
    np.testing.assert_array_equal(low.by_point["A"], [0.0, 3.0, 3.0])
    np.testing.assert_array_equal(low.by_point["B"], [2.0, 0.0, 4.0])
    assert low.max == {"A": 3.0, "B": 4.0, "C": 2.0}
    assert low.p90["B"] == pytest.approx(3.6, rel=REL)
    assert (low.minimax, low.min_p90) == ("C", "C")


def test_a_tie_for_minimax_names_every_tied_lever() -> None:
    # P: 1 then 5, Q: 3 then 3 → regrets P 2, 0 and Q 0, 2: both max 2, both p90
    # 0 + 0.9·2 = 1.8. The first in lever order is named, all are listed.
    r = regret({"P": np.array([[1.0], [5.0]]), "Q": np.array([[3.0], [3.0]])})
    assert r.max == {"P": 2.0, "Q": 2.0}
    assert (r.minimax, r.minimax_tied) == ("P", ("P", "Q"))
    assert (r.min_p90, r.min_p90_tied) == ("P", ("P", "Q"))


def test_regret_with_no_point_kept_names_no_lever() -> None:
    r = regret({"P": np.array([[NAN], [1.0]]), "Q": np.array([[1.0], [NAN]])})
    assert r.dropped == 2 and r.kept.size == 0
    assert r.minimax is None and r.minimax_tied == () and math.isnan(r.max["P"])


def test_regret_refuses_bad_inputs() -> None:
    with pytest.raises(ValueError, match="same shape"):
        regret({"P": np.ones((2, 2)), "Q": np.ones((3, 2))})
    with pytest.raises(ValueError, match="at least one"):
        regret({})
    with pytest.raises(ValueError, match="better"):
        regret(TABLE, better="up")
