"""Value tests of orgsim.scenario.paths: dotted paths into plain trees and ``--set`` overrides.

Each test uses a tree of two or three entries whose answer is read off by hand, and
asserts the exact result or the exact message a user reads (override quoted, dotted
path, value and its TOML type).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import Problem, ScenarioError
from orgsim.scenario.loading import load_scenario
from orgsim.scenario.paths import MISSING, apply_overrides, get_path, lookup, set_path

# ------------------------------------------------------------------ reading paths


def test_get_path_reads_the_first_item_of_an_array() -> None:
    # "a.0" is the item at index 0 of [10, 20]: 10 (index 0 is inside 0 <= i < 2).
    assert get_path({"a": [10, 20]}, "a.0") == 10
    assert get_path({"a": [10, 20]}, "a.1") == 20


def test_lookup_reads_index_zero_and_stops_one_past_the_end() -> None:
    tree = {"a": [10, 20]}
    assert lookup(tree, ["a", 0]) == 10
    # index 2 of a 2-item array is past the end: MISSING, not an IndexError
    assert lookup(tree, ["a", 2]) is MISSING


def test_get_path_one_past_the_end_is_a_key_error_naming_the_whole_path() -> None:
    with pytest.raises(KeyError) as info:
        get_path({"a": [10, 20]}, "a.2")
    assert info.value.args == ("a.2",)


def test_get_path_of_a_missing_key_names_the_path_asked_for() -> None:
    with pytest.raises(KeyError) as info:
        get_path({"a": {"b": 1}}, "a.c")
    assert info.value.args == ("a.c",)


# ------------------------------------------------------------------ set_path


def test_set_path_of_a_top_level_key() -> None:
    # one part: the parent is the tree itself
    tree: dict[str, Any] = {"a": 1, "b": 2}
    set_path(tree, "a", 5)
    assert tree == {"a": 5, "b": 2}


def test_set_path_three_deep_sets_the_last_key_under_its_own_parent() -> None:
    # "a.b.c": parent is tree["a"]["b"], last key "c"; "a.c" and "a.b.b" stay as they were
    tree: dict[str, Any] = {"a": {"b": {"c": 1, "b": 2}, "c": 3}}
    set_path(tree, "a.b.c", 9)
    assert tree == {"a": {"b": {"c": 9, "b": 2}, "c": 3}}


def test_set_path_into_an_array_item() -> None:
    tree: dict[str, Any] = {"a": [1, 2]}
    set_path(tree, "a.1", 9)
    assert tree == {"a": [1, 9]}


# ------------------------------------------------------------------ overrides


def test_a_lone_override_string_is_one_override() -> None:
    # a str is not taken as a sequence of one-character overrides
    assert apply_overrides({}, "seed=1") == {"seed": 1}


def test_top_level_that_is_not_a_table_is_one_problem_naming_its_type() -> None:
    with pytest.raises(ScenarioError) as info:
        apply_overrides([1, 2], ["seed=1"])  # type: ignore[arg-type]
    assert info.value.problems == (
        Problem("", "expected a table at the top level, got array [1, 2]"),
    )
    assert str(info.value) == "expected a table at the top level, got array [1, 2]"


def test_a_malformed_override_is_a_document_level_problem_quoting_it() -> None:
    with pytest.raises(ScenarioError) as info:
        apply_overrides({}, ["seed"])
    assert info.value.problems == (Problem("", "override 'seed': expected 'dotted.path=value'"),)
    assert str(info.value) == "override 'seed': expected 'dotted.path=value'"


def test_an_override_that_is_no_string_says_a_string_was_expected() -> None:
    with pytest.raises(ScenarioError) as info:
        apply_overrides({}, [3])  # type: ignore[list-item]
    assert info.value.problems == (
        Problem("", "override 3: expected a string 'dotted.path=value'"),
    )


def test_an_index_one_past_the_end_appends() -> None:
    # [1] has 1 item; index 1 == len appends the value 2
    assert apply_overrides({"a": [1]}, ["a.1=2"]) == {"a": [1, 2]}


def test_an_index_two_past_the_end_is_refused_with_the_count() -> None:
    with pytest.raises(ScenarioError) as info:
        apply_overrides({"a": [1]}, ["a.2=2"])
    assert info.value.problems == (
        Problem("", "override 'a.2=2': index 2 is past the end of 'a' (1 items)"),
    )


def test_an_array_in_the_data_is_not_replaced_by_the_defaults_array() -> None:
    # the data's own [1, 2] is tuned at index 0; the defaults' [7, 8, 9] is only a
    # fallback for an array the data lacks
    result = apply_overrides({"a": [1, 2]}, ["a.0=5"], defaults={"a": [7, 8, 9]})
    assert result == {"a": [5, 2]}


def test_an_array_missing_from_the_data_is_copied_from_the_defaults() -> None:
    defaults: dict[str, Any] = {"a": [{"x": 1}, {"x": 2}]}
    result = apply_overrides({}, ["a.0.x=5"], defaults=defaults)
    assert result == {"a": [{"x": 5}, {"x": 2}]}
    # the copy is deep: changing the untouched item of the result leaves the defaults be
    result["a"][1]["x"] = 99
    assert defaults == {"a": [{"x": 1}, {"x": 2}]}


def test_load_scenario_names_every_override_in_the_source(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["broker.mediators=-1", "seed=1"])
    source = f"{path} with --set broker.mediators=-1, seed=1"
    assert info.value.source == source
    assert str(info.value) == f"{source}: broker.mediators: must be >= 0, got -1"
