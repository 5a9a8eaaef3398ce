"""[[parameters]] entries read by parse_sweep: each refusal at its path, and an exact range."""

from __future__ import annotations

from typing import Any

import pytest

from orgsim.errors import ScenarioError
from orgsim.experiments.sweep.spec import parse_sweep


def sweep(parameters: Any) -> dict[str, Any]:
    return {"base": "midsize", "replications": 2, "parameters": parameters}


def problems(data: Any) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_sweep(data)
    return [str(p) for p in info.value.problems]


def test_parameters_that_are_not_an_array_are_refused_quoting_them() -> None:
    assert problems(sweep("conflicts.intensity")) == [
        "parameters: expected an array of tables ([[parameters]]), got string 'conflicts.intensity'"
    ]


def test_an_entry_without_a_path_is_refused_at_its_path_only() -> None:
    # levels = [1, 2] alone are fine (a choice of two): the one problem is the path.
    assert problems(sweep([{"levels": [1, 2]}])) == [
        "parameters.0.path: missing: the dotted path of the parameter to vary"
    ]


@pytest.mark.parametrize("ptype", ["int", "float"])
def test_a_numeric_type_on_a_string_field_points_to_choice(ptype: str) -> None:
    # broker.department holds the string 'product' in midsize.
    data = sweep([{"path": "broker.department", "type": ptype, "levels": [1, 2]}])
    assert problems(data) == [
        "parameters.0.type: 'broker.department' takes a str, not numbers; "
        'use type = "choice" with levels'
    ]


def test_scale_levels_that_are_not_numbers_are_each_described() -> None:
    # A boolean is no scale factor even though Python counts it a number; 2.0 is fine.
    data = sweep([{"path": "scale", "levels": [True, "big", 2.0]}])
    assert problems(data) == [
        "parameters.0.levels.0: scale takes numbers, got boolean true",
        "parameters.0.levels.1: scale takes numbers, got string 'big'",
    ]


def test_a_range_end_that_is_not_a_number_is_refused_at_that_end() -> None:
    data = sweep([{"path": "conflicts.intensity", "low": "a", "high": 2.0}])
    assert problems(data) == ["parameters.0.low: expected a number, got string 'a'"]


def test_an_integer_range_with_as_many_steps_as_integers_is_every_integer_exactly() -> None:
    # seed 2**53 .. 2**53 + 3 with steps = 4: four integers, four steps, so the grid
    # is each of them. float64 cannot hold 2**53 + 1 or 2**53 + 3, so spreading four
    # floats and rounding would lose them; made directly, every integer is exact.
    low = 2**53
    data = sweep([{"path": "seed", "low": low, "high": low + 3, "steps": 4}])
    (param,) = parse_sweep(data).parameters
    assert (param.type, param.low, param.high, param.steps) == ("int", low, low + 3, 4)
    assert param.grid_levels() == (low, low + 1, low + 2, low + 3)
