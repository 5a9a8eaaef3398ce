"""sweep's --keep-events: a count given as digits is that count, and 0 is a count."""

from __future__ import annotations

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments.sweep.run import _keep_events


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3), ("0", 0), (0, 0), (1, 1), ("all", "all"), (None, None)],
)
def test_keep_events_accepts_all_and_counts_from_zero(
    value: str | int | None, expected: str | int | None
) -> None:
    assert _keep_events(value) == expected


@pytest.mark.parametrize(("value", "shown"), [(-1, "-1"), ("x", "'x'"), (True, "True")])
def test_keep_events_refuses_anything_else(value: object, shown: str) -> None:
    with pytest.raises(ExperimentError) as info:
        _keep_events(value)  # type: ignore[arg-type]
    assert str(info.value) == f"--keep-events must be 'all' or a count >= 0, got {shown}"
