"""parse_sweep's whole-file refusal, the fixed scale and the overrides' own problems, exactly."""

from __future__ import annotations

from typing import Any

import pytest

from builders import sweep_data as base
from orgsim.errors import Problem, ScenarioError
from orgsim.experiments.sweep.spec import parse_sweep


def refusal(data: Any) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        parse_sweep(data)
    return list(info.value.problems)


def test_a_sweep_that_is_not_a_table_is_one_problem_at_the_empty_path() -> None:
    # The whole document is at fault: its path is "" (the document), a string like
    # every other problem's path.
    assert refusal([1, 2]) == [Problem("", "expected a table, got array [1, 2]")]


def test_a_fixed_scale_that_is_not_a_number_is_refused_at_overrides_scale() -> None:
    assert refusal(base(overrides={"scale": "big"})) == [
        Problem("overrides.scale", "expected a number, got string 'big'")
    ]


def test_an_override_the_scenario_refuses_is_reported_under_overrides() -> None:
    # midsize has 4 products; 0 breaks the scenario's own limit (>= 1).
    assert refusal(base(overrides={"delivery.products": 0})) == [
        Problem("overrides.delivery.products", "must be >= 1, got 0")
    ]
