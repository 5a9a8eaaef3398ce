"""parse_sweep: the dotted path and exact message of each malformed top-level key."""

from __future__ import annotations

from typing import Any

import pytest

from builders import sweep_data as base
from orgsim.errors import ScenarioError
from orgsim.experiments.sweep.spec import parse_sweep


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_sweep(data)
    return [str(p) for p in info.value.problems]


def test_a_description_that_is_not_a_string() -> None:
    assert problems(base(description=3)) == ["description: expected a string, got integer 3"]


def test_sampled_points_that_are_not_an_integer_or_too_few() -> None:
    assert problems(base(design="lhs", points="x")) == [
        "points: expected an integer, got string 'x'"
    ]
    assert problems(base(design="lhs", points=1)) == ["points: must be >= 2, got 1"]


def test_a_missing_base() -> None:
    data = base()
    del data["base"]
    assert problems(data) == [
        "base: missing: name the base scenario (a file relative to the sweep, or midsize)"
    ]


def test_a_base_that_is_not_a_string() -> None:
    assert problems(base(base=3)) == ["base: expected a string, got integer 3"]


def test_overrides_that_are_not_a_table() -> None:
    assert problems(base(overrides=3)) == ["overrides: expected a table, got integer 3"]


@pytest.mark.parametrize(
    ("metrics", "got"), [([], "array []"), ("net_value", "string 'net_value'")]
)
def test_metrics_that_are_not_a_non_empty_array(metrics: Any, got: str) -> None:
    assert problems(base(metrics=metrics)) == [
        f"metrics: expected a non-empty array of metric names, got {got}"
    ]


def test_a_seed_below_zero_breaks_its_lower_limit_though_it_also_has_an_upper_one() -> None:
    # seed is read with ge=0 and le=MAX_SEED: both limits apply
    assert problems(base(seed=-1)) == ["seed: must be >= 0, got -1"]
