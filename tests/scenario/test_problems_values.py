"""Value tests of orgsim.scenario.problems: how bad values are quoted and named.

The shortening limits are tested through ``_make_repr()`` itself: the module builds
its ``repr`` once at import, so a test that only calls ``shorten`` checks the limits
of that one object, not of the function that sets them. Each limit is checked at
its edge: the longest value shown whole and the shortest one cut.
"""

from __future__ import annotations

from datetime import date, time

from orgsim.scenario.problems import _make_repr, describe, nearest, shorten, unknown

# ------------------------------------------------------------------ limits of the repr


def test_a_string_whose_repr_is_60_characters_is_shown_whole() -> None:
    # 58 characters + 2 quotes = 60 = maxstring
    assert _make_repr().repr("a" * 58) == "'" + "a" * 58 + "'"


def test_a_string_whose_repr_is_61_characters_is_cut_to_60() -> None:
    # 59 characters: repr is 61 > 60. reprlib keeps i = (60-3)//2 = 28 and j = 60-3-28 = 29
    # characters of repr(x[:28] + x[-29:]) = "'" + 28 a + 29 b + "'" at either end:
    # "'" + 27 a, then "...", then 28 b + "'"  (1 + 27 + 3 + 28 + 1 = 60 characters)
    assert _make_repr().repr("a" * 29 + "b" * 30) == "'" + "a" * 27 + "..." + "b" * 28 + "'"


class _Long:
    """An object whose repr is as long as asked."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return "<" + "o" * (self.n - 2) + ">"


def test_another_object_is_cut_past_60_characters() -> None:
    # repr of 60 characters is kept; of 61 it keeps 28 + "..." + 29 = 60 characters
    assert _make_repr().repr(_Long(60)) == "<" + "o" * 58 + ">"
    assert _make_repr().repr(_Long(61)) == "<" + "o" * 27 + "..." + "o" * 28 + ">"


def test_an_integer_is_cut_past_40_digits() -> None:
    # 10**39 has 40 digits: whole. 10**40 has 41: the first 18 and last 19 digits,
    # (40-3)//2 = 18 and 40-3-18 = 19, around "..."
    assert _make_repr().repr(10**39) == "1" + "0" * 39
    assert _make_repr().repr(10**40) == "1" + "0" * 17 + "..." + "0" * 19


def test_nesting_is_shown_three_levels_deep() -> None:
    assert _make_repr().repr([[[1]]]) == "[[[1]]]"
    assert _make_repr().repr([[[[1]]]]) == "[[[[...]]]]"


def test_containers_show_four_items() -> None:
    short = _make_repr()
    assert short.repr([1, 2, 3, 4]) == "[1, 2, 3, 4]"
    assert short.repr([1, 2, 3, 4, 5]) == "[1, 2, 3, 4, ...]"
    assert short.repr((1, 2, 3, 4)) == "(1, 2, 3, 4)"
    assert short.repr((1, 2, 3, 4, 5)) == "(1, 2, 3, 4, ...)"
    assert short.repr({1: 1, 2: 2, 3: 3, 4: 4}) == "{1: 1, 2: 2, 3: 3, 4: 4}"
    assert short.repr({1: 1, 2: 2, 3: 3, 4: 4, 5: 5}) == "{1: 1, 2: 2, 3: 3, 4: 4, ...}"


def test_shorten_uses_the_same_limits() -> None:
    assert shorten([1, 2, 3, 4, 5]) == "[1, 2, 3, 4, ...]"


# ------------------------------------------------------------------ describe


def test_describe_none_and_dates() -> None:
    assert describe(None) == "nothing (None)"
    assert describe(date(2024, 1, 2)) == "date/time 2024-01-02"
    assert describe(time(9, 30)) == "date/time 09:30:00"


# ------------------------------------------------------------------ nearest and unknown


def test_nearest_is_the_closest_of_several_close_candidates() -> None:
    # "mediatorz" is 8/9 like "mediators" and less like "mediation"
    assert nearest("mediatorz", ["mediation", "mediators", "seed"]) == "mediators"
    assert nearest("zzz", ["mediators", "seed"]) is None


def test_unknown_name_with_a_near_match_suggests_it() -> None:
    message = unknown(
        "parameter", "broker.mediatorz", ["broker.mediators", "seed"], see="docs/sweeps.md"
    )
    assert message == "unknown parameter 'broker.mediatorz'; did you mean 'broker.mediators'?"


def test_unknown_name_without_a_near_match_says_where_to_look() -> None:
    message = unknown("metric", "zzz", ["broker.mediators", "seed"], see="docs/metrics.md")
    assert message == "unknown metric 'zzz' (see docs/metrics.md)"
