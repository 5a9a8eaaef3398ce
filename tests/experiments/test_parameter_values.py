"""[[parameters]] checks: each refusal at its exact dotted path, in its exact words."""

from __future__ import annotations

from typing import Any

import pytest

from orgsim.errors import ScenarioError
from orgsim.experiments.sweep.spec import parse_sweep


def problems(*params: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_sweep({"base": "midsize", "replications": 2, "parameters": list(params)})
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("integer", "must be one of int, float, choice; got 'integer' (did you mean 'int'?)"),
        ("Float", "must be one of int, float, choice; got 'Float' (did you mean 'float'?)"),
        (3, "must be one of int, float, choice; got 3"),
        # a list is outside the choices too (its text is close to 'int')
        (["int"], "must be one of int, float, choice; got ['int'] (did you mean 'int'?)"),
    ],
)
def test_a_type_outside_the_three_is_refused_at_its_path(given: object, message: str) -> None:
    assert problems(
        {"path": "conflicts.intensity", "low": 0.5, "high": 2.0},
        {"path": "broker.mediators", "type": given, "levels": [1, 2]},
    ) == [f"parameters.1.type: {message}"]


def test_a_level_listed_twice_is_named_at_its_index() -> None:
    assert problems({"path": "broker.mediators", "levels": [1, 2, 1]}) == [
        "parameters.0.levels.2: 1 is listed twice"
    ]


def test_a_float_level_listed_twice_is_named_at_its_index() -> None:
    assert problems({"path": "conflicts.intensity", "levels": [0.5, 2.0, 0.5]}) == [
        "parameters.0.levels.2: 0.5 is listed twice"
    ]


def test_a_stated_float_type_makes_1_and_1_0_one_level() -> None:
    assert problems({"path": "conflicts.intensity", "type": "float", "levels": [1, 1.0]}) == [
        "parameters.0.levels.1: 1.0 is listed twice"
    ]


def test_an_inferred_float_type_makes_1_and_1_0_one_level() -> None:
    assert problems({"path": "conflicts.intensity", "levels": [1, 1.0]}) == [
        "parameters.0.levels.1: 1.0 is listed twice"
    ]


def test_a_repeat_found_once_the_type_is_inferred_is_reported_where_it_was_listed() -> None:
    # Entry 1 is unusable and skipped, so the repeat 2.0 is the file's entry 2.
    assert problems({"path": "conflicts.intensity", "levels": [2, {"a": 1}, 2.0]}) == [
        "parameters.0.levels.1: expected a single value, got table {'a': 1}",
        "parameters.0.levels.2: 2.0 is listed twice",
    ]


@pytest.mark.parametrize(
    ("level", "described"),
    [([1, 2], "array [1, 2]"), ({"a": 1}, "table {'a': 1}")],
)
def test_a_level_that_is_not_a_single_value_is_described(level: object, described: str) -> None:
    assert problems({"path": "conflicts.intensity", "levels": [0.5, level]}) == [
        f"parameters.0.levels.1: expected a single value, got {described}"
    ]


def test_steps_with_listed_levels_are_refused() -> None:
    assert problems({"path": "conflicts.intensity", "levels": [0.5, 2.0], "steps": 3}) == [
        "parameters.0.steps: steps spreads a low/high range; remove it with levels"
    ]
