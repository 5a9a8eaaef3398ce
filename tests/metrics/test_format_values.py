"""Exact texts of the number formatters at their thresholds and rounding boundaries.

Each threshold is checked at the value itself (the larger unit or the fewer decimals
start there) and each divisor just past a rounding boundary, where dividing by a
slightly wrong number would round the other way.
"""

from __future__ import annotations

from typing import Any

import pytest

from orgsim.metrics.format import format_bytes, format_count, format_duration, format_number

# ------------------------------------------------------------------ table style


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        # money: zero and small amounts carry no minus sign, negatives do
        (0.0, "k$", "$0k"),
        (0.7, "k$", "$1k"),
        (-0.7, "k$", "-$1k"),
        # 1000 k$ is where millions start: $1.0M, not $1,000k
        (999.4, "k$", "$999k"),
        (1000.0, "k$", "$1.0M"),
        (-1000.0, "k$", "-$1.0M"),
        (1250.0, "k$", "$1.2M"),  # 1.25 rounds half to even
        # other units: no decimals from 100 on, one from 10, two below
        (100.4, "days", "100 days"),
        (100.0, "days", "100 days"),
        (10.5, "days", "10.5 days"),
        (-10.5, "days", "-10.5 days"),
        (10.0, "days", "10 days"),  # a whole number has no decimals
        (9.5, "days", "9.50 days"),
        (1234.5, "hours", "1,234 hours"),  # grouped; 1234.5 rounds half to even
    ],
)
def test_table_style(value: float, unit: str, text: str) -> None:
    assert format_number(value, unit) == text


# ------------------------------------------------------------------ other styles


@pytest.mark.parametrize(
    ("value", "style", "text"),
    [
        # precise: grouped integers from 100, three significant digits below, and
        # scientific notation only for tiny non-zero values (below 1e-4)
        (100.4, "precise", "100"),
        (1234.5, "precise", "1,234"),
        (99.94, "precise", "99.9"),
        (1e-4, "precise", "0.0001"),
        (5e-5, "precise", "5.00e-05"),
        (-5e-5, "precise", "-5.00e-05"),
        (0.0, "precise", "0"),
        (1.0, "precise", "1"),
        # compact: M from a million, whole k from 10 000, one decimal k from 1000,
        # whole numbers from 10, two significant digits below
        (1e6, "compact", "1.0M"),
        (-1e6, "compact", "-1.0M"),
        (1_050_001.0, "compact", "1.1M"),  # 1.050001 rounds up
        (1e4, "compact", "10k"),
        (10_510.0, "compact", "11k"),  # 10.51 rounds up
        (1000.0, "compact", "1.0k"),
        (1051.0, "compact", "1.1k"),  # 1.051 rounds up
        (999.0, "compact", "999"),
        (10.0, "compact", "10"),
        (10.6, "compact", "11"),
        (9.94, "compact", "9.9"),
        # money (k$): M from 1000 k$, B from a million k$, three significant digits
        # with trailing zeros dropped, so ticks read $35M and $900k
        (35_000.0, "money", "$35M"),
        (37_500.0, "money", "$37.5M"),
        (1_000.0, "money", "$1M"),
        (1_250.0, "money", "$1.25M"),
        (999.0, "money", "$999k"),
        (900.0, "money", "$900k"),
        (12.5, "money", "$12.5k"),
        (0.0, "money", "$0"),
        (-20_000.0, "money", "-$20M"),
        (1e6, "money", "$1B"),
        (123_456.0, "money", "$123M"),
        # percent: whole percents from 10, one decimal below
        (10.0, "percent", "10%"),
        (-10.0, "percent", "-10%"),
        (9.94, "percent", "9.9%"),
        # plain: four significant digits
        (12345.0, "plain", "1.234e+04"),
        (0.5, "plain", "0.5"),
    ],
)
def test_bare_styles(value: float, style: Any, text: str) -> None:
    assert format_number(value, style=style) == text


# ------------------------------------------------------------------ counts


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1e9, "1.0 billion"),  # billions start at a billion, not "1,000.0 million"
        (1_050_000_001, "1.1 billion"),  # 1.050000001 rounds up
        (1e6, "1.0 million"),  # millions start at a million, not "1,000,000"
        (1_050_001, "1.1 million"),  # 1.050001 rounds up
        (0, "0"),
    ],
)
def test_format_count_at_its_thresholds(n: float, text: str) -> None:
    assert format_count(n) == text


# ------------------------------------------------------------------ durations

YEAR = 86400 * 365


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        # 3.5 years and 100 s: 3.5000032 years rounds up to 4
        (3.5 * YEAR + 100, "4 years"),
        (2 * YEAR, "2 years"),
        # days from two days on: 172 800 s is "2 days", not "48.0 h"
        (2 * 86400, "2 days"),
        (2 * 86400 - 1, "48.0 h"),
        (72_000, "20.0 h"),  # 20 hours are still hours
        (3.5 * 86400 + 1, "4 days"),  # 3.5000116 days rounds up
        (364 * 86400, "364 days"),
        # hours from one hour on
        (3600, "1.0 h"),
        (3781, "1.1 h"),  # 1.0503 h rounds up
        # minutes from one minute on
        (60, "1 min"),
        (151, "3 min"),  # 2.517 min rounds up
        (59, "59.0 s"),
        (0, "0.0 s"),
    ],
)
def test_format_duration_at_its_thresholds(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_years_start_at_two_years() -> None:
    # as days start at two days: a count of years is never "1 years"
    assert format_duration(2 * YEAR) == "2 years"
    assert format_duration(2 * YEAR - 1) == "730 days"  # 729.99998 days rounds to 730
    assert format_duration(YEAR) == "365 days"
    assert format_duration(1.5 * YEAR) == "548 days"  # 547.5 rounds half to even: 548


# ------------------------------------------------------------------ sizes


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1024**4, "1.0 TiB"),  # TiB from 1 TiB on, not "1024.0 GiB"
        (1.5 * 1024**4, "1.5 TiB"),
        (1024**3, "1.0 GiB"),  # GiB from 1 GiB on, not "1024 MiB"
        (1.051 * 1024**3, "1.1 GiB"),  # 1.051 rounds up
        (1024**2, "1 MiB"),
    ],
)
def test_format_bytes_at_its_thresholds(n: float, text: str) -> None:
    assert format_bytes(n) == text
