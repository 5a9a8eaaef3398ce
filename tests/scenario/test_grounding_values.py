"""Groundings: what the constructors build, which ranges they accept, and their text."""

from __future__ import annotations

import pytest

from orgsim.scenario.grounding import (
    ASSUMED,
    GROUNDINGS,
    STRUCTURAL,
    Grounding,
    plausible,
    relative,
)


def test_plausible_builds_an_absolute_range() -> None:
    assert plausible(0.1, 0.5) == Grounding(
        structural=False, low=0.1, high=0.5, relative=False, source=ASSUMED, note=""
    )
    g = plausible(30.0, 60.0, source="shrm-2016", note="42 days to fill")
    assert g == Grounding(low=30.0, high=60.0, source="shrm-2016", note="42 days to fill")


def test_relative_builds_a_multiple_of_the_value() -> None:
    assert relative(0.5, 2.0) == Grounding(
        structural=False, low=0.5, high=2.0, relative=True, source=ASSUMED, note=""
    )
    g = relative(2 / 3, 1.5, source="seed", note="3-12 months")
    assert g == Grounding(low=2 / 3, high=1.5, relative=True, source="seed", note="3-12 months")


def test_a_range_of_one_point_is_plausible() -> None:
    assert plausible(1.0, 1.0).bounds(7.0) == (1.0, 1.0)


def test_relative_ranges_may_touch_zero_and_one() -> None:
    # 0 <= low <= 1 <= high, each bound inclusive
    assert relative(0.0, 2.0).bounds(10.0) == (0.0, 20.0)
    assert relative(1.0, 2.0).bounds(10.0) == (10.0, 20.0)
    assert relative(0.5, 1.0).bounds(10.0) == (5.0, 10.0)
    assert relative(1.0, 1.0).bounds(10.0) == (10.0, 10.0)


def test_the_refusals_name_the_range() -> None:
    with pytest.raises(ValueError, match=r"^plausible range 2\.0\.\.1\.0 is empty$"):
        plausible(2.0, 1.0)
    with pytest.raises(ValueError, match=r"^relative range ×1\.2\.\.×2\.0 must contain ×1$"):
        relative(1.2, 2.0)
    with pytest.raises(ValueError, match="must contain ×1"):
        relative(-0.1, 2.0)
    with pytest.raises(ValueError, match="must contain ×1"):
        relative(0.5, 0.9)


def test_describe_prints_the_range() -> None:
    assert STRUCTURAL.describe() == "structural"
    assert Grounding(structural=True, low=1.0, high=2.0).describe() == "structural"
    # %g: six significant digits, no trailing zeros
    assert plausible(0.1, 0.5).describe() == "0.1 to 0.5"
    assert plausible(120.0, 365.0).describe() == "120 to 365"
    assert relative(2 / 3, 1.5).describe() == "×0.666667 to ×1.5"
    assert GROUNDINGS["Support.abandonment"].describe() == "0.0111111 to 0.142857"
    assert GROUNDINGS["Stage.effort"].describe() == "×0.5 to ×2"
    assert GROUNDINGS["Department.staff"].describe() == "structural"
