"""Multiple comparisons: p-values of the paired t-test, Holm and Benjamini-Hochberg by hand.

The families below are small enough to adjust by hand. The paired samples are built
on three pairs, so the test has 2 degrees of freedom, where Student t has a closed
form: P(|T_2| > t) = 1 - t / sqrt(t^2 + 2). Differences [m - 1, m, m + 1] have mean m
and sd 1, so t = m * sqrt(3) and p = 1 - sqrt(3 m^2 / (3 m^2 + 2)):

* m = 4: t^2 = 48, p = 1 - sqrt(48 / 50) = 1 - sqrt(0.96) = 0.020204 (raw: significant);
* m = 1: t^2 = 3, p = 1 - sqrt(3 / 5) = 0.225403;
* m = 0: t = 0, p = 1.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pytest
from scipy import stats as sps

from orgsim.analysis.stats import (
    adjust,
    adjust_family,
    compare_table,
    format_p,
    paired,
    paired_p_value,
)
from orgsim.experiments.sweep.aggregate import PointResult, adjust_effects
from orgsim.reporting.charts.pooling import map_panels

REL = 1e-12
P4 = 1.0 - math.sqrt(0.96)  # differences [3, 4, 5]
P1 = 1.0 - math.sqrt(0.6)  # differences [0, 1, 2]
OFF = np.full(3, 10.0)


def arm(m: float) -> np.ndarray:
    """The broker arm whose differences from OFF are [m - 1, m, m + 1]."""
    return OFF + np.array([m - 1.0, m, m + 1.0])


def test_the_closed_form_p_values_used_below() -> None:
    assert (round(P4, 6), round(P1, 6)) == (0.020204, 0.225403)
    assert paired_p_value(arm(4.0) - OFF) == pytest.approx(P4, rel=1e-9)
    assert paired_p_value(arm(1.0) - OFF) == pytest.approx(P1, rel=1e-9)
    assert paired_p_value(arm(0.0) - OFF) == 1.0


# --- the test ----------------------------------------------------------------------


def test_the_p_value_is_scipys_paired_t_test() -> None:
    rng = np.random.default_rng(20)
    for n in (2, 3, 7, 30):
        off = rng.lognormal(size=n)
        on = off + rng.normal(0.3, 1.0, size=n)
        c = paired(on, off)
        assert c.p_value == pytest.approx(sps.ttest_rel(on, off).pvalue, rel=1e-10)
        assert c.p_adjusted == c.p_value and c.family == 0 and c.correction == "none"


def test_p_below_alpha_exactly_when_the_t_ci_excludes_0() -> None:
    """The test and the t interval agree at both levels, on 400 samples either side of 0."""
    rng = np.random.default_rng(7)
    agreed = {True: 0, False: 0}
    for i in range(400):
        n = 3 + i % 20
        d = rng.normal(0.5 * rng.standard_normal(), 1.0, size=n)
        for level in (0.95, 0.9):
            c = paired(d, np.zeros(n), level=level)
            excludes = bool(c.diff.low > 0 or c.diff.high < 0)
            assert (c.p_value < 1.0 - level) == excludes == c.significant
            agreed[excludes] += 1
    assert min(agreed.values()) > 100  # both outcomes were exercised


def test_p_values_without_a_test() -> None:
    assert math.isnan(paired_p_value([1.0]))  # one pair: no spread
    assert math.isnan(paired_p_value([0.0, 0.0, 0.0]))  # identical pairs: 0 / 0, as scipy
    assert paired_p_value([2.0, 2.0]) == 0.0  # a certain difference
    assert math.isnan(paired_p_value([1.0, math.nan]))  # NaNs dropped: one left
    assert format_p(math.nan) == "–" and format_p(0.0004) == "<0.001"
    assert format_p(0.0202) == "0.020" and format_p(1.0) == "1.000"


# --- the adjustments by hand ---------------------------------------------------------


def test_holm_on_a_family_of_four_by_hand() -> None:
    # sorted: 0.005, 0.01, 0.03, 0.04; times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04;
    # running maximum: 0.02, 0.03, 0.06, 0.06; back in the order given
    got = adjust([0.01, 0.04, 0.03, 0.005], "holm")
    assert got.tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02], rel=REL)


def test_benjamini_hochberg_on_a_family_of_four_by_hand() -> None:
    # sorted: 0.005, 0.01, 0.03, 0.04; times m / rank = 4/1, 4/2, 4/3, 4/4:
    # 0.02, 0.02, 0.04, 0.04; running minimum from the largest: the same
    got = adjust([0.01, 0.04, 0.03, 0.005], "bh")
    assert got.tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02], rel=REL)


def test_bh_keeps_what_holm_drops() -> None:
    # three tests at 0.02, 0.03, 0.04: Holm 0.06, 0.06, 0.06 (all > 0.05);
    # BH 3 * 0.02 / 1 = 0.06, 3 * 0.03 / 2 = 0.045, 3 * 0.04 / 3 = 0.04, running
    # minimum from the top: 0.04, 0.04, 0.04 (all < 0.05)
    p = [0.02, 0.03, 0.04]
    assert adjust(p, "holm").tolist() == pytest.approx([0.06, 0.06, 0.06], rel=REL)
    assert adjust(p, "bh").tolist() == pytest.approx([0.04, 0.04, 0.04], rel=REL)


def test_adjustments_cap_at_1_skip_nans_and_check_their_input() -> None:
    # [0.5, 0.9]: Holm 1.0, 0.9 -> max-accumulated 1.0, 1.0; the NaN does not count
    got = adjust([0.5, math.nan, 0.9], "holm")
    assert got[0] == 1.0 and math.isnan(got[1]) and got[2] == 1.0
    assert adjust([0.01, math.nan], "holm").tolist()[0] == 0.01  # a family of one
    assert adjust([0.01, 0.04], "none").tolist() == [0.01, 0.04]
    assert np.isnan(adjust([math.nan, math.nan], "bh")).all()
    with pytest.raises(ValueError, match=r"^correction must be one of .*, got 'bonferroni'$"):
        adjust([0.1], "bonferroni")
    with pytest.raises(ValueError, match=r"^p-values must be in \[0, 1\], got \[1.5\]$"):
        adjust([1.5], "holm")


# --- the verdict table ----------------------------------------------------------------


def three_metrics() -> tuple[dict[str, Any], dict[str, Any]]:
    """x: p = 0.0202 (raw significant); z: p = 0.2254; y: p = 1."""
    on = {"x": arm(4.0), "z": arm(1.0), "y": arm(0.0)}
    return on, {k: OFF for k in on}


def test_holm_takes_significance_away_when_the_adjusted_p_crosses_005() -> None:
    # Holm over 3: x 3 * 0.020204 = 0.060612 > 0.05, z max(2 * 0.2254, 0.0606) = 0.4508,
    # y 1. The CI of x stays 4 -+ 4.302653 / sqrt(3) = 4 -+ 2.484, 15.2% to 64.8% of 10.
    on, off = three_metrics()
    raw = compare_table(on, off, {"x": "higher"}, correction="none")
    holm = compare_table(on, off, {"x": "higher"})
    assert raw["x"].significant and raw["x"].verdict == (
        "broker better: +40.0% (95% CI +15.2% to +64.8%)"
    )
    x = holm["x"]
    assert x.p_value == pytest.approx(P4, rel=1e-9)
    assert x.p_adjusted == pytest.approx(3 * P4, rel=1e-9) and x.p_adjusted > 0.05
    assert holm["z"].p_adjusted == pytest.approx(2 * P1, rel=1e-9)
    assert holm["y"].p_adjusted == 1.0
    assert (x.correction, x.family) == ("holm", 3)
    assert not x.significant and x.outcome == "unclear"
    assert x.verdict == "no clear difference after Holm over 3 metrics (95% CI +15.2% to +64.8%)"
    assert (x.diff.low, x.diff.high) == (raw["x"].diff.low, raw["x"].diff.high)  # unadjusted


def test_a_smaller_family_keeps_the_difference() -> None:
    # Holm over x and y: 2 * 0.020204 = 0.040408 < 0.05: still significant
    on, off = three_metrics()
    del on["z"], off["z"]
    x = compare_table(on, off, {"x": "higher"})["x"]
    assert x.p_adjusted == pytest.approx(2 * P4, rel=1e-9)
    assert x.significant and x.verdict == "broker better: +40.0% (95% CI +15.2% to +64.8%)"


def test_bh_over_the_three_metrics() -> None:
    # BH: x 3 * 0.020204 / 1 = 0.0606, z 3 * 0.2254 / 2 = 0.3381, y 1 -> minimum from the
    # top: 1, 0.3381, 0.0606
    on, off = three_metrics()
    table = compare_table(on, off, {"x": "higher"}, correction="bh")
    assert table["x"].p_adjusted == pytest.approx(3 * P4, rel=1e-9)
    assert table["z"].p_adjusted == pytest.approx(1.5 * P1, rel=1e-9)
    assert not table["x"].significant
    assert table["x"].verdict.startswith("no clear difference after Benjamini–Hochberg over 3")


def test_none_reproduces_each_metric_alone() -> None:
    """``none``: every comparison exactly as paired() gives it, verdict and all."""
    rng = np.random.default_rng(11)
    on = {f"m{i}": rng.normal(i % 3, 1.0, 12) for i in range(8)}
    off = {k: rng.normal(0.0, 1.0, 12) for k in on}
    better = {k: ("higher", "lower", "")[i % 3] for i, k in enumerate(on)}
    table = compare_table(on, off, better, correction="none")
    for k in on:
        alone = paired(on[k], off[k], better=better[k])
        # equal in every field but the family's size, which ``none`` records (repr:
        # floats exactly, and a NaN win rate equal to itself)
        assert repr(table[k]) == repr(attrs.evolve(alone, family=8))
        assert table[k].verdict == alone.verdict and table[k].significant == alone.significant


def test_untested_metrics_stay_out_of_the_family() -> None:
    # x (p 0.0202) with a broker-only metric and a metric identical in every pair:
    # neither has a test, so Holm is over x alone and x stays significant
    on = {"x": arm(4.0), "q": np.array([1.0, 2.0, 4.0]), "same": OFF}
    off = {"x": OFF, "same": OFF}
    table = compare_table(on, off, {"x": "higher"}, broker_only={"q"})
    assert table["x"].family == 1 and table["x"].p_adjusted == pytest.approx(P4, rel=1e-9)
    assert table["x"].significant
    for k in ("q", "same"):
        assert math.isnan(table[k].p_value) and math.isnan(table[k].p_adjusted)
        assert table[k].family == 0 and not table[k].significant
    assert table["same"].verdict == "no difference (identical in all 3 pairs)"


def test_adjust_family_never_adds_significance() -> None:
    # a tiny p-value whose CI includes 0 cannot exist; a significant raw one is kept
    # or lost, an unclear one stays unclear whatever its adjusted p
    on, off = three_metrics()
    raw = compare_table(on, off, {}, correction="none")
    for correction in ("holm", "bh"):
        adjusted = adjust_family(raw, correction)
        for k, c in adjusted.items():
            assert c.p_adjusted >= raw[k].p_value
            assert not (c.significant and not raw[k].significant)


# --- a sweep's marks: BH over the design points -----------------------------------


def point(i: int, m: float) -> PointResult:
    """Design point ``i`` (a = i, b = 0) whose differences are [m - 1, m, m + 1]."""
    on, off = {"v": arm(m)}, {"v": OFF}
    return PointResult(
        point=i, params={"a": i, "b": 0}, x=(float(i), 0.0), runs=3, failed=0,
        replications=(0, 1, 2), samples={"on": on, "off": off}, arms={},
        effect=compare_table(on, off, {"v": "higher"}, correction="none"),
    )  # fmt: skip


def test_sweep_marks_use_bh_over_the_points() -> None:
    """A point significant alone is not marked once BH runs over three points."""
    points = [point(0, 4.0), point(1, 1.0), point(2, 0.0)]
    assert points[0].effect["v"].significant  # raw: the t CI excludes 0
    adjusted = adjust_effects(points)
    c = adjusted[0].effect["v"]
    assert (c.correction, c.family) == ("bh", 3)
    assert c.p_adjusted == pytest.approx(3 * P4, rel=1e-9) and not c.significant
    assert c.verdict.startswith("no clear difference after Benjamini–Hochberg over 3 design")
    assert adjusted[1].effect["v"].p_adjusted == pytest.approx(1.5 * P1, rel=1e-9)
    # the heatmap's cells (one point each) are marked the same way
    is_grid, panels = map_panels(adjusted, "a", "b", ["v"], paired_sweep=True)
    assert is_grid and panels["v"]["significant"].tolist() == [[False, False, False]]
    # over two points BH gives 2 * 0.0202 / 1 = 0.0404 < 0.05: marked
    two = adjust_effects([point(0, 4.0), point(1, 0.0)])
    assert two[0].effect["v"].significant
    _, panels = map_panels(two, "a", "b", ["v"], paired_sweep=True)
    assert panels["v"]["significant"].tolist() == [[True, False]]


def test_the_heatmap_chart_marks_bh_significance(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    from orgsim.reporting.charts.sweep import SIGNIFICANT, effect_map

    points = adjust_effects([point(0, 4.0), point(1, 1.0), point(2, 0.0)])
    chart = effect_map(points, "a", "b", ["v"], tmp_path)
    assert chart.data["panels"]["v"]["significant"].tolist() == [[False, False, False]]
    assert "Benjamini–Hochberg" in SIGNIFICANT and chart.png.exists()
