"""The best level of a one-parameter sweep: hand-computed best, shortfalls, CIs and P(best).

The table used throughout: three levels (10, 20, 40) by four replications of the
paired effect, higher is better::

    level 10: 1 2 3 2   mean 2
    level 20: 3 5 4 4   mean 4   <- best
    level 40: 2 4 4 2   mean 3

Paired shortfalls from level 20, per replication:

    10 - 20: -2 -3 -1 -2   mean -2, deviations 0 -1 1 0, s^2 = 2/3
    40 - 20: -1 -1  0 -2   mean -1, deviations 0 0 1 -1, s^2 = 2/3
    ref - 20: -3 -5 -4 -4  mean -4, deviations 1 -1 0 0, s^2 = 2/3

so every paired half-width is t(0.975, 3) * sqrt(2/3) / 2 = 3.182446 * 0.408248 =
1.299228 (level 20's own effect has the same s^2 = 2/3: 4 +- 1.299228).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from orgsim.analysis.optimum import find_optimum, welch_difference

TABLE = [[1.0, 2.0, 3.0, 2.0], [3.0, 5.0, 4.0, 4.0], [2.0, 4.0, 4.0, 2.0]]
LEVELS = [10, 20, 40]
HALF = 1.299228263625111  # t(0.975, 3) * sqrt(2/3) / 2


def test_the_hand_table_paired() -> None:
    opt = find_optimum(LEVELS, TABLE, "higher", seed=1, metric="net_value")
    assert opt.best == 1 and opt.winner.level == 20 and not opt.reference_is_best
    assert opt.paired and opt.method == "paired t"
    best = opt.winner
    assert best.effect.mean == 4.0
    assert best.effect.low == pytest.approx(4.0 - HALF) and best.effect.high == pytest.approx(
        4.0 + HALF
    )
    # the best's shortfall is exactly 0
    assert (best.shortfall.mean, best.shortfall.low, best.shortfall.high) == (0.0, 0.0, 0.0)
    expected = {10: -2.0, 40: -1.0, None: -4.0}
    for c in opt.candidates:
        if c is best:
            continue
        assert c.shortfall.mean == pytest.approx(expected[c.level])
        assert c.shortfall.half_width == pytest.approx(HALF)
        assert c.shortfall.n == 4
    # -1 +- 1.30 contains 0; -2 +- 1.30 and -4 +- 1.30 do not
    assert [c.level for c in opt.indistinguishable] == [20, 40]
    assert [c.indistinguishable for c in opt.candidates] == [False, True, True, False]
    # Level 20 is >= every other level in every replication (level 40 ties only in
    # replication 3), so it wins every joint resample: the resample of replication 3
    # four times ties 20 with 40, and a tie goes to the earlier level.
    assert [c.p_best for c in opt.candidates] == [0.0, 1.0, 0.0, 0.0]
    assert opt.reference.reference and opt.reference.level is None
    assert opt.reference.effect.mean == 0.0


def test_the_hand_table_unpaired_uses_welch() -> None:
    """crn = "point": independent levels, Welch's t with Welch–Satterthwaite df.

    10 vs 20: v = (2/3)/4 = 1/6 each, se = sqrt(1/3), df = (1/3)^2 / (2 (1/6)^2 / 3) = 6,
    half = t(0.975, 6) sqrt(1/3) = 2.446912 * 0.577350 = 1.412725.
    40 vs 20: s^2 of level 40 = 4/3, v = 1/3 and 1/6, se = sqrt(1/2),
    df = (1/2)^2 / ((1/3)^2/3 + (1/6)^2/3) = 0.25 / (5/108) = 5.4,
    half = t(0.975, 5.4) sqrt(1/2) = 1.777915.
    The reference, an exact 0, adds no variance: its shortfall is -(level 20's
    effect), 4 +- 1.299228 (df 3) as in the paired case.
    """
    opt = find_optimum(LEVELS, TABLE, "higher", paired=False, seed=1)
    assert not opt.paired and opt.method == "Welch (unpaired) t"
    low10, low40, ref = opt.candidates[0], opt.candidates[2], opt.reference
    assert low10.shortfall.mean == pytest.approx(-2.0)
    assert low10.shortfall.half_width == pytest.approx(1.4127252159418389)
    assert low40.shortfall.mean == pytest.approx(-1.0)
    assert low40.shortfall.half_width == pytest.approx(1.7779153600863782)
    assert ref.shortfall.mean == pytest.approx(-4.0)
    assert ref.shortfall.half_width == pytest.approx(HALF)
    assert low10.shortfall.method == "welch"
    assert [c.indistinguishable for c in opt.candidates] == [False, True, True, False]
    # resampled level by level the luck is no longer shared: level 40 sometimes wins
    p = [c.p_best for c in opt.candidates]
    assert math.isclose(sum(p), 1.0)
    assert 0.0 < p[2] < p[1] < 1.0 and p[0] < 0.01 and p[3] == 0.0


def test_welch_difference_is_scipys_unequal_variance_interval() -> None:
    a, b = [1.0, 2.0, 3.0, 2.0, 7.0], [3.0, 5.0, 4.0, 4.0]
    got = welch_difference(a, b)
    want = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert got.mean == pytest.approx(np.mean(a) - np.mean(b))
    assert (got.low, got.high) == (pytest.approx(want.low), pytest.approx(want.high))
    assert got.n == 4 and math.isnan(got.sd)
    # NaNs dropped; too few values give no bounds
    assert welch_difference([1.0, math.nan, 3.0], [2.0, 2.0]).mean == 0.0
    assert math.isnan(welch_difference([1.0], [2.0, 4.0]).low)


def test_no_level_beats_the_reference() -> None:
    """Every effect negative: the best is the reference, and each level's shortfall is its
    own effect with its own CI (level 10: -2 +- 1.299228; level 20: -4 +- 1.299228)."""
    table = -np.array(TABLE[:2])
    opt = find_optimum([10, 20], table, "higher", seed=2)
    assert opt.reference_is_best and opt.best == 2 and opt.winner is opt.reference
    assert opt.winner.effect.mean == 0.0
    assert (opt.reference.shortfall.mean, opt.reference.shortfall.half_width) == (0.0, 0.0)
    assert [c.shortfall.mean for c in opt.levels] == [pytest.approx(-2.0), pytest.approx(-4.0)]
    assert [c.shortfall.half_width for c in opt.levels] == [
        pytest.approx(HALF),
        pytest.approx(HALF),
    ]
    assert [c.shortfall.low for c in opt.levels] == [c.effect.low for c in opt.levels]
    # every value is negative, so every resample's means are: the reference always wins
    assert [c.p_best for c in opt.candidates] == [0.0, 0.0, 1.0]
    assert [c.level for c in opt.indistinguishable] == [None]
    # the same without pairing
    unpaired = find_optimum([10, 20], table, "higher", paired=False)
    assert unpaired.reference_is_best
    assert unpaired.levels[0].shortfall.half_width == pytest.approx(HALF)


def test_lower_is_better_mirrors_higher() -> None:
    """The negated table with ``lower`` is better: same best, shortfalls mirrored."""
    up = find_optimum(LEVELS, TABLE, "higher", seed=4)
    down = find_optimum(LEVELS, -np.array(TABLE), "lower", seed=4)
    assert down.best == up.best == 1
    for a, b in zip(up.candidates, down.candidates, strict=True):
        assert b.shortfall.mean == pytest.approx(-a.shortfall.mean)
        assert b.shortfall.half_width == pytest.approx(a.shortfall.half_width)
        assert b.p_best == a.p_best and b.indistinguishable == a.indistinguishable


def test_p_best_counts_ties_for_the_reference() -> None:
    """One level with effects 1 and -1: of the 4 equally likely resamples, (1, 1) has
    mean 1 and beats 0; (1, -1) and (-1, 1) tie at 0 and go to the reference; (-1, -1)
    loses. So P(level best) = 1/4 (the bootstrap's 9,999 draws: sd 0.004)."""
    opt = find_optimum([1], [[1.0, -1.0]], "higher", seed=7)
    assert opt.levels[0].p_best == pytest.approx(0.25, abs=0.02)
    assert opt.reference.p_best == pytest.approx(0.75, abs=0.02)
    # the mean is exactly 0: a level must beat the reference, not tie it
    assert opt.reference_is_best


def test_ties_between_levels_go_to_the_first() -> None:
    opt = find_optimum(["a", "b"], [[2.0, 4.0], [2.0, 4.0]], "higher")
    assert opt.winner.level == "a"
    assert opt.candidates[1].shortfall.mean == 0.0 and opt.candidates[1].indistinguishable


def test_nan_replications_are_dropped_pairwise_and_an_empty_level_never_wins() -> None:
    table = [[1.0, math.nan, 3.0, 2.0], [3.0, 5.0, 4.0, 4.0], [math.nan] * 4]
    opt = find_optimum([1, 2, 3], table, "higher", seed=3)
    assert opt.winner.level == 2
    first = opt.candidates[0]
    assert first.effect.n == 3 and first.effect.mean == 2.0
    # pairs 1 and 3 and 4: -2, -1, -2
    assert first.shortfall.n == 3 and first.shortfall.mean == pytest.approx(-5.0 / 3.0)
    empty = opt.candidates[2]
    assert math.isnan(empty.effect.mean) and empty.p_best == 0.0
    assert not empty.indistinguishable


def test_the_bootstrap_is_seeded() -> None:
    a = find_optimum(LEVELS, TABLE, "higher", paired=False, seed=11)
    b = find_optimum(LEVELS, TABLE, "higher", paired=False, seed=11)
    assert [c.p_best for c in a.candidates] == [c.p_best for c in b.candidates]
    small = find_optimum(LEVELS, TABLE, "higher", paired=False, seed=11, n_resamples=10)
    assert all(c.p_best * 10 == round(c.p_best * 10) for c in small.candidates)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"better": ""}, "better must be 'higher' or 'lower'"),
        ({"level": 1.0}, "confidence level must be in"),
        ({"n_resamples": 0}, "n_resamples must be an integer"),
        ({"effects": [[1.0, 2.0]]}, "1 rows for 3 levels"),
        ({"effects": [1.0, 2.0, 3.0]}, "must have shape"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"levels": LEVELS, "effects": TABLE, "better": "higher"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        find_optimum(**args)  # type: ignore[arg-type]
