"""[[parameters]] refusals not yet pinned: each at its dotted path, in its exact words."""

from __future__ import annotations

from typing import Any

import pytest

from orgsim.errors import ScenarioError
from orgsim.experiments.sweep.spec import parse_sweep

RANGE = {"path": "conflicts.intensity", "low": 0.5, "high": 2.0}


def problems(*params: Any, **top: Any) -> list[str]:
    data: dict[str, Any] = {"base": "midsize", "replications": 2, "parameters": list(params)}
    data.update(top)
    with pytest.raises(ScenarioError) as info:
        parse_sweep(data)
    return [str(p) for p in info.value.problems]


def test_an_entry_that_is_not_a_table_does_not_stop_the_entries_after_it() -> None:
    # Entry 0 is refused; entry 1 is still checked (its typo found) in the same pass.
    assert problems(3, {"path": "conflicts.intensty", "low": 0.5, "high": 2.0}) == [
        "parameters.0: expected a table, got integer 3",
        "parameters.1.path: unknown parameter 'conflicts.intensty'; "
        "did you mean 'conflicts.intensity'?",
    ]


def test_broker_enabled_in_a_paired_sweep_is_refused_with_the_way_out() -> None:
    # paired defaults to true; the message says which setting to change, in lower case.
    assert problems({"path": "broker.enabled", "levels": [True, False]}) == [
        "parameters.0.path: a paired sweep switches the broker on and off itself; "
        "set paired = false to sweep 'broker.enabled'"
    ]


@pytest.mark.parametrize(("design", "points"), [("lhs", 4), ("sobol", 4), ("morris", 4)])
def test_steps_on_a_sampled_design_are_refused_naming_the_design(design: str, points: int) -> None:
    steps = {**RANGE, "steps": 3}
    assert problems(steps, design=design, points=points) == [
        f"parameters.0.steps: only grid designs use steps (this one is {design})"
    ]


def test_a_long_type_is_quoted_whole() -> None:
    # 70 characters: the scenario layer's shortened repr would cut it at 60; a type is
    # quoted whole (repr), as the sweep's other choices are.
    given = "x" * 70
    assert problems({"path": "broker.mediators", "type": given, "levels": [1, 2]}) == [
        f"parameters.0.type: must be one of int, float, choice; got '{given}'"
    ]


def test_a_type_given_as_a_long_array_is_quoted_whole() -> None:
    # Five items: the shortened repr would show four and '...'.
    given = ["a", "b", "c", "d", "e"]
    assert problems({"path": "broker.mediators", "type": given, "levels": [1, 2]}) == [
        "parameters.0.type: must be one of int, float, choice; got ['a', 'b', 'c', 'd', 'e']"
    ]


def test_an_int_parameter_refuses_a_fraction_and_a_boolean_level() -> None:
    # 1 is usable; 1.5 and true are not integers (a boolean is not a number here).
    assert problems({"path": "broker.mediators", "type": "int", "levels": [1, 1.5, True]}) == [
        "parameters.0.levels.1: expected an integer, got float 1.5",
        "parameters.0.levels.2: expected an integer, got boolean true",
    ]


def test_a_float_parameter_refuses_a_word_and_a_boolean_level() -> None:
    assert problems(
        {"path": "conflicts.intensity", "type": "float", "levels": [0.5, "a", False]}
    ) == [
        "parameters.0.levels.1: expected a number, got string 'a'",
        "parameters.0.levels.2: expected a number, got boolean false",
    ]


def test_numbers_listed_for_a_string_field_stay_as_written() -> None:
    # 'description' holds a string: numeric levels there are a choice, not a float
    # parameter, so each is tried (and refused) as written: 1, not 1.0.
    assert problems({"path": "description", "levels": [1, 2]}) == [
        "parameters.0.levels.0: description = 1 gives description: "
        "expected a string, got integer 1",
        "parameters.0.levels.1: description = 2 gives description: "
        "expected a string, got integer 2",
    ]


def test_numbers_listed_for_a_boolean_field_stay_as_written() -> None:
    # Unpaired, so broker-free paths like departments.qa.enabled can be swept;
    # 0 and 1 are not booleans, and are quoted as the integers they were written as.
    assert problems({"path": "departments.qa.enabled", "levels": [0, 1]}, paired=False) == [
        "parameters.0.levels.0: departments.qa.enabled = 0 gives departments.qa.enabled: "
        "expected a boolean (true or false), got integer 0",
        "parameters.0.levels.1: departments.qa.enabled = 1 gives departments.qa.enabled: "
        "expected a boolean (true or false), got integer 1",
    ]
