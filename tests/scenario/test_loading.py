"""Tests of orgsim.scenario.loading: merging over defaults, one-pass validation, overrides."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from orgsim.errors import ScenarioError
from orgsim.scenario import files
from orgsim.scenario.convert import unstructure
from orgsim.scenario.distributions import exponential, lognormal, uniform
from orgsim.scenario.files import bundled_scenarios
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.paths import apply_overrides
from orgsim.scenario.schema import ConflictKind, Department, Scenario, Stage
from strategies import scenario_junk, valid_scenario_data


def problems(data: Any, **kwargs: Any) -> dict[str, str]:
    """The problems parse_scenario reports, as {path: message}."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, **kwargs)
    found = {p.path: p.message for p in info.value.problems}
    assert len(found) == len(info.value.problems), "one problem per path expected"
    return found


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ defaults and merging


def test_empty_data_gives_the_defaults() -> None:
    assert parse_scenario({}) == Scenario()


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, "")) == Scenario()


def test_partial_department_keeps_its_other_fields_and_the_other_departments() -> None:
    scenario = parse_scenario({"departments": {"engineering": {"staff": 20}}})
    default = Scenario()
    assert scenario.departments["engineering"] == attrs.evolve(
        default.departments["engineering"], staff=20
    )
    assert scenario.departments["engineering"].salary == 180.0  # engineering's, not the class's
    assert list(scenario.departments) == list(default.departments)
    for name in ("qa", "marketing", "sales", "support", "product"):
        assert scenario.departments[name] == default.departments[name]
    assert attrs.evolve(scenario, departments=default.departments) == default


def test_file_changes_only_what_it_states(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name = "small"
        horizon = 365

        [departments.engineering]
        staff = 20

        [broker]
        mediators = 3
        """,
    )
    scenario = load_scenario(path)
    assert scenario.name == "small"
    assert scenario.horizon == 365.0
    assert isinstance(scenario.horizon, float)
    assert scenario.departments["engineering"].staff == 20
    assert scenario.broker.mediators == 3
    assert scenario.broker.salary == Scenario().broker.salary
    assert scenario.delivery == Scenario().delivery


def test_new_department_gets_class_defaults() -> None:
    scenario = parse_scenario({"departments": {"legal": {"staff": 7}}})
    assert scenario.departments["legal"] == Department(staff=7)
    assert list(scenario.departments)[-1] == "legal"
    assert scenario.departments["qa"] == Scenario().departments["qa"]


def test_new_conflict_kind_gets_class_defaults() -> None:
    scenario = parse_scenario({"conflicts": {"kinds": {"turf": {"initiator_right": 0.9}}}})
    assert scenario.conflicts.kinds["turf"] == ConflictKind(initiator_right=0.9)
    assert len(scenario.conflicts.kinds) == len(Scenario().conflicts.kinds) + 1


def test_stages_replace_the_default_list_and_merge_over_stage_defaults() -> None:
    scenario = parse_scenario(
        {"delivery": {"stages": [{"name": "only", "effort": {"kind": "exponential", "mean": 9}}]}}
    )
    assert scenario.delivery.stages == [Stage(name="only", effort=exponential(9.0))]


def test_dist_with_kind_replaces_the_default_whole() -> None:
    scenario = parse_scenario({"delivery": {"value": {"kind": "uniform", "low": 1, "high": 2}}})
    assert scenario.delivery.value == uniform(1.0, 2.0)  # no leftover mean/cv


def test_dist_without_kind_tunes_the_default() -> None:
    scenario = parse_scenario({"delivery": {"value": {"mean": 500}}})
    assert scenario.delivery.value == lognormal(500.0, 0.8)


def test_int_is_accepted_for_a_float_and_converted() -> None:
    scenario = parse_scenario({"budget": {"headroom": 2}, "talent": {"time_to_hire": {"mean": 30}}})
    assert scenario.budget.headroom == 2.0
    assert type(scenario.budget.headroom) is float
    assert type(scenario.talent.time_to_hire.mean) is float


# ------------------------------------------------------------------ files


def test_malformed_toml_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\n[broker]\nmediators = = 3\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}:3:13: Invalid value"


def test_truncated_toml_points_at_the_end(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\nhorizon = ')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}:2:11: ")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError, match=r"no such scenario file: .*nope\.toml"):
        load_scenario(path)


def test_unknown_bare_name_is_neither_file_nor_bundled(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match="no such scenario file: nosuchname"):
        load_scenario("nosuchname")


def test_bundled_name_is_found(tmp_path: Path, monkeypatch: Any) -> None:
    bundled = write(tmp_path, 'name = "tiny"\n', "tiny.toml")
    monkeypatch.setattr(files, "bundled_scenarios", lambda: {"tiny": bundled})
    monkeypatch.chdir(tmp_path / "..")
    assert load_scenario("tiny").name == "tiny"


def test_bundled_scenarios_is_a_sorted_name_to_path_map() -> None:
    found = bundled_scenarios()
    assert list(found) == sorted(found)
    for name, path in found.items():
        assert path.name == f"{name}.toml"
        assert path.is_file()
        assert isinstance(load_scenario(name), Scenario)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(path)


def test_content_errors_carry_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "[broker]\nmediators = -1\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.source == str(path)
    assert str(info.value) == f"{path}: broker.mediators: must be >= 0, got -1"


# ------------------------------------------------------------------ unknown keys


def test_unknown_keys_at_several_depths_with_suggestions() -> None:
    found = problems(
        {
            "horizn": 10,
            "broker": {"mediatorz": 3},
            "departments": {"qa": {"staf": 3}},
            "delivery": {"stages": [{"name": "a"}, {"name": "b", "effort": {"men": 3}}]},
        }
    )
    assert found == {
        "horizn": "unknown key; did you mean 'horizon'?",
        "broker.mediatorz": "unknown key; did you mean 'mediators'?",
        "departments.qa.staf": "unknown key; did you mean 'staff'?",
        "delivery.stages.1.effort.men": "unknown key; did you mean 'mean'?",
    }


def test_unknown_key_without_a_near_match_lists_the_valid_ones() -> None:
    found = problems({"ceo": {"zzzzzz": 1}})
    valid = "hours_per_week, max_hours_per_week, hours, success, insight"
    assert found == {"ceo.zzzzzz": f"unknown key (valid keys: {valid})"}


# ------------------------------------------------------------------ types


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"broker": {"enabled": "yes"}}, "broker.enabled", "got string 'yes'"),
        ({"broker": {"enabled": 1}}, "broker.enabled", "got integer 1"),
        ({"broker": {"mediators": 3.7}}, "broker.mediators", "expected an integer, got float 3.7"),
        ({"broker": {"mediators": 3.0}}, "broker.mediators", "expected an integer, got float 3.0"),
        ({"ceo": {"hours": True}}, "ceo.hours", "expected a table, got boolean true"),
        ({"budget": {"headroom": True}}, "budget.headroom", "expected a number, got boolean true"),
        ({"budget": {"headroom": "1.2"}}, "budget.headroom", "expected a number, got string '1.2'"),
        ({"name": 5}, "name", "expected a string, got integer 5"),
        ({"delivery": 5}, "delivery", "expected a table, got integer 5"),
        ({"horizon": {"days": 3}}, "horizon", "expected a number, got table {'days': 3}"),
        ({"departments": []}, "departments", "expected a table, got array []"),
        ({"delivery": {"stages": {"a": 1}}}, "delivery.stages", "expected an array, got table"),
        ({"delivery": {"stages": [3]}}, "delivery.stages.0", "expected a table, got integer 3"),
        (
            {"delivery": {"value": {"kind": "uniform", "low": "1", "high": 2}}},
            "delivery.value.low",
            "expected a number, got string '1'",
        ),
    ],
)
def test_types_are_strict(data: dict[str, Any], path: str, message: str) -> None:
    found = problems(data)
    assert list(found) == [path]
    assert message in found[path]


def test_bool_message_says_what_a_boolean_is() -> None:
    assert problems({"broker": {"enabled": "yes"}}) == {
        "broker.enabled": "expected a boolean (true or false), got string 'yes'"
    }


def test_nan_and_inf_are_refused() -> None:
    found = problems({"horizon": math.nan, "budget": {"headroom": math.inf}})
    assert found == {
        "horizon": "must be a finite number, got float nan",
        "budget.headroom": "must be a finite number, got float inf",
    }


def test_integer_too_big_for_a_float_is_refused() -> None:
    found = problems({"talent": {"skill_cv": 10**400}})
    assert list(found) == ["talent.skill_cv"]
    assert found["talent.skill_cv"].startswith("expected a float-sized number, got integer 1000")


def test_top_level_must_be_a_table() -> None:
    assert problems([1, 2]) == {"": "expected a table at the top level, got array [1, 2]"}


def test_non_string_keys_are_refused() -> None:
    found = problems({1: 2, "departments": {2: {}}})
    assert found == {
        "": "keys must be strings, got integer 1",
        "departments": "keys must be strings, got integer 2",
    }


def test_deeply_nested_junk_is_a_scenario_error() -> None:
    deep: Any = 0
    for _ in range(5000):
        deep = [deep]
    found = problems({"horizon": deep, "broker": {"salary": {"a": deep}}})
    assert set(found) == {"horizon", "broker.salary"}


def test_self_referential_data_is_a_scenario_error() -> None:
    loop: dict[str, Any] = {}
    loop["staff"] = loop
    found = problems({"departments": {"qa": loop}, "delivery": loop})
    assert set(found) == {"departments.qa.staff", "delivery.staff"}


# ------------------------------------------------------------------ ranges, all at once


def test_range_errors_in_different_sections_are_all_reported_together() -> None:
    found = problems(
        {
            "horizon": 0,
            "departments": {"engineering": {"staff": -1}, "qa": {"bias": 4.0}},
            "broker": {"mediators": -1, "neutrality": 1.5},
            "conflicts": {"kinds": {"poaching": {"effect": "steal"}}},
            "ceo": {"hours_per_week": 0},
        }
    )
    assert found == {
        "horizon": "must be > 0.0, got 0",
        "departments.engineering.staff": "must be >= 0, got -1",
        "departments.qa.bias": "must be <= 3.0, got 4.0",
        "broker.mediators": "must be >= 0, got -1",
        "broker.neutrality": "must be <= 1.0, got 1.5",
        "conflicts.kinds.poaching.effect": (
            "must be one of extra_work, transfer, budget; got 'steal'"
        ),
        "ceo.hours_per_week": "must be > 0.0, got 0",
    }


def test_type_errors_do_not_hide_range_errors_elsewhere() -> None:
    found = problems({"broker": {"enabled": "yes", "mediators": -1}, "seed": -1, "name": 3})
    assert found == {
        "broker.enabled": "expected a boolean (true or false), got string 'yes'",
        "broker.mediators": "must be >= 0, got -1",
        "seed": "must be >= 0, got -1",
        "name": "expected a string, got integer 3",
    }


def test_choice_error_suggests_the_nearest() -> None:
    found = problems({"delivery": {"value": {"kind": "lognorm", "mean": 3, "cv": 1}}})
    assert found == {
        "delivery.value.kind": (
            "must be one of exponential, deterministic, uniform, lognormal, gamma; "
            "got 'lognorm' (did you mean 'lognormal'?)"
        )
    }


# ------------------------------------------------------------------ cross-field checks


def test_dist_cross_checks() -> None:
    found = problems(
        {
            "delivery": {
                "value": {"kind": "uniform", "low": 5},
                "due_in": {"kind": "uniform", "low": 5, "high": 1},
            },
            "talent": {"ramp_days": {"kind": "lognormal", "mean": 3, "cv": 0.5, "low": 1}},
        }
    )
    assert found == {
        "delivery.value.high": "uniform distribution needs 'high'",
        "delivery.due_in.high": "high (1.0) must be >= low (5.0)",
        "talent.ramp_days.low": "lognormal distribution takes mean, cv, not 'low'",
    }


def test_cross_checks_and_range_errors_come_together() -> None:
    found = problems(
        {
            "broker": {"mediators": -1},
            "delivery": {"stages": [{"name": "build", "department": "legal"}]},
            "ceo": {"hours": {"kind": "gamma", "mean": 3}},
        }
    )
    assert found == {
        "broker.mediators": "must be >= 0, got -1",
        "ceo.hours.cv": "gamma distribution needs 'cv'",
        "delivery.stages.0.department": (
            "'legal' is not an enabled department (enabled: engineering, marketing, product, "
            "qa, sales, support)"
        ),
    }


def test_disabled_department_cannot_run_a_stage() -> None:
    found = problems({"departments": {"qa": {"enabled": False}}})
    assert set(found) == {
        "delivery.stages.2.department",
        "conflicts.kinds.schedule_clash.target",
        "conflicts.kinds.reorganisation.target",
    }


def test_mistyped_values_are_not_judged_by_cross_checks() -> None:
    # The mistyped low would otherwise show up again as "uniform needs 'low'".
    found = problems({"delivery": {"value": {"kind": "uniform", "low": "x", "high": 1}}})
    assert list(found) == ["delivery.value.low"]


# ------------------------------------------------------------------ overrides


def test_override_values_are_toml_values() -> None:
    data = apply_overrides(
        {},
        [
            "seed=3",
            "horizon=3.5",
            "broker.enabled=false",
            'description="a b"',
            "name=foo",
            'delivery.value={ kind = "exponential", mean = 3 }',
        ],
    )
    assert data == {
        "seed": 3,
        "horizon": 3.5,
        "broker": {"enabled": False},
        "description": "a b",
        "name": "foo",
        "delivery": {"value": {"kind": "exponential", "mean": 3}},
    }


def test_overrides_create_nested_tables_and_leave_the_input_alone() -> None:
    original = {"departments": {"qa": {"staff": 3}}}
    data = apply_overrides(original, ["departments.qa.bias=0.5", "departments.legal.staff=2"])
    assert data == {"departments": {"qa": {"staff": 3, "bias": 0.5}, "legal": {"staff": 2}}}
    assert original == {"departments": {"qa": {"staff": 3}}}


def test_later_override_wins() -> None:
    assert apply_overrides({}, ["seed=1", "seed=2"]) == {"seed": 2}


def test_override_value_smuggling_a_second_key_stays_a_string() -> None:
    assert apply_overrides({}, ["name=1\nseed = 2"]) == {"name": "1\nseed = 2"}


def test_overrides_in_parse_scenario() -> None:
    scenario = parse_scenario(
        {"broker": {"mediators": 3}},
        overrides=[
            "broker.salary=100",
            "departments.legal.staff=4",
            'delivery.feature_interarrival={ kind = "deterministic", mean = 2 }',
            "delivery.stages.1.effort.mean=300",
            "delivery.value.mean=500",
        ],
    )
    assert scenario.broker.mediators == 3
    assert scenario.broker.salary == 100.0
    assert scenario.departments["legal"] == Department(staff=4)
    assert scenario.delivery.feature_interarrival.kind == "deterministic"
    # an index into the default stage list tunes that stage only
    assert scenario.delivery.stages[1].effort == lognormal(300.0, 0.6)
    assert scenario.delivery.stages[0] == Scenario().delivery.stages[0]
    assert scenario.delivery.value == lognormal(500.0, 0.8)


def test_override_results_are_validated() -> None:
    found = problems({}, overrides=["broker.mediators=-1", "broker.mediatorz=2"], source="x.toml")
    assert found == {
        "broker.mediators": "must be >= 0, got -1",
        "broker.mediatorz": "unknown key; did you mean 'mediators'?",
    }


def test_bad_overrides_are_all_named() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(
            {"horizon": 5},
            overrides=["seed", "=3", "a..b=1", "horizon.days=1", "delivery.stages.x=1"],
            source="x.toml",
        )
    assert info.value.source == "x.toml"
    assert [p.message for p in info.value.problems] == [
        "override 'seed': expected 'dotted.path=value'",
        "override '=3': empty key in the path; expected 'dotted.path=value'",
        "override 'a..b=1': empty key in the path; expected 'dotted.path=value'",
        "override 'horizon.days=1': 'horizon' holds integer 5, not a table",
        "override 'delivery.stages.x=1': 'delivery.stages' is an array; 'x' is not an index",
    ]


def test_override_index_past_the_end() -> None:
    with pytest.raises(ScenarioError, match=r"index 9 is past the end of 'delivery.stages' \(4"):
        parse_scenario({}, overrides=["delivery.stages.9.name=x"])


def test_load_scenario_with_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "[broker]\nmediators = 3\n")
    assert load_scenario(path, ["broker.mediators=5"]).broker.mediators == 5


# ------------------------------------------------------------------ unstructure


def test_unstructure_drops_unset_dist_parameters_and_is_json_ready() -> None:
    data = unstructure(Scenario())
    assert data["delivery"]["due_in"] == {"kind": "uniform", "low": 90.0, "high": 270.0}
    assert data["delivery"]["stages"][0]["effort"] == {"kind": "lognormal", "mean": 25.0, "cv": 0.5}
    json.dumps(data)


def test_unstructure_round_trip_of_defaults_and_a_modified_scenario() -> None:
    assert parse_scenario(unstructure(Scenario())) == Scenario()
    scenario = parse_scenario(
        {
            "departments": {"legal": {"staff": 3}, "qa": {"enabled": False}},
            "delivery": {"stages": [{"name": "x", "department": "legal"}]},
            "conflicts": {
                "kinds": {
                    "schedule_clash": {"enabled": False},
                    "reorganisation": {"enabled": False},
                }
            },
        }
    )
    assert parse_scenario(unstructure(scenario)) == scenario


def test_unstructure_refuses_non_scenario_objects() -> None:
    with pytest.raises(TypeError):
        unstructure(3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_scenario_data())
def test_valid_data_loads_and_round_trips(data: dict[str, Any]) -> None:
    scenario = parse_scenario(data)
    assert parse_scenario(unstructure(scenario)) == scenario
    assert parse_scenario(json.loads(json.dumps(unstructure(scenario)))) == scenario


# ------------------------------------------------------------------ property: only ScenarioError


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_junk())
def test_any_input_gives_a_scenario_or_a_scenario_error(data: Any) -> None:
    try:
        result = parse_scenario(data, source="junk")
    except ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert isinstance(problem.path, str)
            assert problem.message
            # the catch-all in parse_scenario would say this: it means a gap in the walk
            assert "cannot read the scenario" not in problem.message
    else:
        assert isinstance(result, Scenario)


def test_a_folder_named_like_a_bundled_scenario_does_not_hide_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``orgsim compare startup --out startup`` leaves a folder ``startup``; the
    bundled scenario of that name must still load from that directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "startup").mkdir()
    assert load_scenario("startup") == load_scenario(bundled_scenarios()["startup"])
    (tmp_path / "acme").mkdir()
    with pytest.raises(ScenarioError, match="acme: is a directory, not a scenario file"):
        load_scenario("acme")
