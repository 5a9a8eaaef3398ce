"""parse_sweep's top level: the whole-file refusal, the name, morris_levels, and the defaults."""

from __future__ import annotations

from typing import Any

import pytest

from builders import sweep_data as base
from orgsim.errors import ScenarioError
from orgsim.experiments.sweep.spec import DEFAULT_METRICS, parse_sweep


def problems(data: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_sweep(data, **kwargs)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("data", "got"),
    [([1, 2], "array [1, 2]"), ("grid", "string 'grid'"), (3, "integer 3")],
)
def test_a_sweep_that_is_not_a_table_is_refused_quoting_what_it_is(data: Any, got: str) -> None:
    assert problems(data) == [f"expected a table, got {got}"]


def test_too_few_morris_levels_are_refused_at_morris_levels() -> None:
    data = base(design="morris", points=4, morris_levels=1)
    assert problems(data) == ["morris_levels: must be >= 2, got 1"]


def test_morris_levels_that_are_not_an_integer_are_refused_at_morris_levels() -> None:
    data = base(design="morris", points=4, morris_levels=2.5)
    assert problems(data) == ["morris_levels: expected an integer, got float 2.5"]


def test_a_name_that_is_not_a_string_is_refused_at_name() -> None:
    assert problems(base(name=3), source="sweeps/my-sweep.toml") == [
        "name: expected a string, got integer 3"
    ]


@pytest.mark.parametrize("name", ["-", "_", ".", "..", "-.", "a b"])
def test_a_name_of_separators_only_is_no_folder_name(name: str) -> None:
    # '-', '_' and '.' are allowed between letters and digits; alone (or '.', '..')
    # they name no folder of the sweep's own.
    assert problems(base(name=name)) == [
        f"name: use letters, digits, '-', '_' or '.' (it names a folder); got {name!r}"
    ]


def test_a_name_with_separators_between_letters_is_kept() -> None:
    assert parse_sweep(base(name="a-b_c.1")).name == "a-b_c.1"


def test_a_minimal_sweep_takes_its_name_from_the_file_and_the_documented_defaults() -> None:
    data = base(
        parameters=[
            {"path": "broker.mediators", "levels": [2, 4]},
            {"path": "scale", "levels": [1, 2]},
            {"path": "conflicts.intensity", "low": 0.5, "high": 2.0},
        ]
    )
    spec = parse_sweep(data, source="sweeps/my-sweep.toml")
    assert spec.name == "my-sweep"  # the file's stem
    assert spec.source == "sweeps/my-sweep.toml"
    assert (spec.description, spec.base) == ("", "midsize")
    assert (spec.design, spec.points, spec.replications) == ("grid", 0, 2)
    assert (spec.paired, spec.crn, spec.morris_levels) == (True, "design", 4)
    assert spec.metrics == DEFAULT_METRICS
    assert spec.seed == 1  # midsize's own seed
    assert spec.overrides == {}
    mediators, scale, intensity = spec.parameters
    # broker.mediators holds an integer: int levels, as written
    assert (mediators.path, mediators.type, mediators.levels) == ("broker.mediators", "int", (2, 4))
    assert [type(v) for v in mediators.levels] == [int, int]
    # scale is a float pseudo-parameter: 1 and 2 become 1.0 and 2.0
    assert (scale.path, scale.type, scale.levels) == ("scale", "float", (1.0, 2.0))
    assert [type(v) for v in scale.levels] == [float, float]
    # a range: no levels, the default 5 steps
    assert (intensity.type, intensity.levels) == ("float", ())
    assert (intensity.low, intensity.high, intensity.steps) == (0.5, 2.0, 5)


def test_without_a_source_the_name_is_sweep() -> None:
    assert parse_sweep(base()).name == "sweep"
