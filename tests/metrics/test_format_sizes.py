"""The formatters of counts, durations and sizes that the run-size limits print."""

from __future__ import annotations

import pytest

from orgsim.metrics.format import format_bytes, format_count, format_duration


@pytest.mark.parametrize(
    ("n", "text"),
    [(12_345, "12,345"), (42_900_000, "42.9 million"), (4e9, "4.0 billion"), (999_999, "999,999")],
)
def test_format_count(n: float, text: str) -> None:
    assert format_count(n) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5.04, "5.0 s"),
        (720, "12 min"),
        (9.4 * 3600, "9.4 h"),
        (3 * 86400, "3 days"),
        (18 * 86400 * 365, "18 years"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [(512 * 1024**2, "512 MiB"), (10 * 1024**3, "10.0 GiB"), (84.6 * 1024**4, "84.6 TiB")],
)
def test_format_bytes(n: float, text: str) -> None:
    assert format_bytes(n) == text
