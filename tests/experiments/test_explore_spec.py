"""The explore file: one pass over every problem, each with its dotted path and value."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import ExperimentError, Problem, ScenarioError
from orgsim.experiments.explore.spec import DEFAULT_METRICS, load_explore, parse_explore
from orgsim.experiments.limits import check_explore

GOOD: dict[str, Any] = {
    "name": "tiny",
    "base": "startup",
    "points": 4,
    "replications": 2,
    "seed": 3,
    "overrides": {"horizon": 120.0},
    "uncertainties": [
        {"path": "conflicts.drag"},
        {"path": "scale", "low": 0.5, "high": 2.0, "distribution": "log-uniform"},
    ],
    "levers": {"no-broker": {"broker.enabled": False}, "vp": {"broker.mediators": 1}},
}


def with_(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ScenarioError) as info:
        parse_explore(data)
    return {p.path: p.message for p in info.value.problems}


def test_a_good_file_gives_its_defaults() -> None:
    spec = parse_explore(GOOD)
    assert spec.reference == "no-broker" and spec.focus == "vp"
    assert spec.metric == "net_value" and spec.better == "higher"
    assert spec.metrics == DEFAULT_METRICS
    assert spec.threshold == 0.8 and spec.design == "lhs"
    drag = spec.uncertainties[0]
    # the documented plausible range of conflicts.drag (docs/model.md: 0.1 to 1.0, cpp-2008)
    assert (drag.low, drag.high, drag.source) == (0.1, 1.0, "cpp-2008")
    assert spec.size() == 4 and spec.runs() == 4 * 2 * 2
    assert spec.lever("no-broker").broker is False and spec.lever("vp").broker is True
    assert spec.scenario.horizon == 120.0
    assert spec.experiment.startswith("explore:tiny:")


def test_analysis_settings_and_replications_do_not_change_the_run_keys() -> None:
    base = parse_explore(GOOD).experiment
    again = parse_explore(
        with_(replications=5, metric="value_shipped", reference="vp", focus="no-broker")
    )
    assert again.experiment == base
    assert parse_explore(with_(seed=4)).experiment != base
    assert parse_explore(with_(points=8)).experiment != base


def test_the_judged_metric_comes_first_among_the_recorded_ones() -> None:
    spec = parse_explore(with_(metric="lead_time_p50", metrics=["value_shipped", "lead_time_p50"]))
    assert spec.metrics == ("lead_time_p50", "value_shipped")
    assert spec.better == "lower"


def test_every_problem_is_reported_in_one_pass() -> None:
    bad = with_(
        design="sobol",
        points=6,
        replications=0,
        colour="red",
        metric="net_valu",
        reference="nobody",
        uncertainties=[
            {"path": "conflicts.dreg"},
            {"path": "conflicts.intensity", "low": 1.0, "high": 1.0},
            {"path": "broker.success_base", "low": 0.2, "high": 3.0},
            {"path": "broker.mediators", "low": 1, "high": 3},
            {"path": "conflicts.drag", "distribution": "triangular"},
            {"path": "conflicts.drag"},
            {"path": "scale", "high": 2.0},
            {"path": "horizon", "low": 100.0, "high": 200.0},
        ],
        levers={
            "no-broker": {"broker.enabled": False},
            "vp": {"broker.mediators": 1, "broker.mediatrs": 2},
            "bad": {"broker.neutrality": 5},
        },
    )
    found = problems(bad)
    assert found == {
        "colour": found["colour"],
        "points": "a Sobol design needs a power of 2 (Saltelli's N), got 6; try 4 or 8",
        "replications": "must be >= 1, got 0 (each point has its own seed, so one run per "
        "point and lever already samples luck)",
        "metric": "unknown metric 'net_valu'; did you mean 'net_value'?",
        "levers.vp.broker.mediatrs": (
            "unknown parameter 'broker.mediatrs'; did you mean 'broker.mediators'?"
        ),
        "levers.bad.broker.neutrality": "must be <= 1.0, got 5",
        "reference": "must be one of no-broker, vp, bad; got 'nobody'",
        "uncertainties.0.path": (
            "unknown parameter 'conflicts.dreg'; did you mean 'conflicts.drag'?"
        ),
        "uncertainties.1.high": "must be > low (1.0), got 1.0: an empty range",
        "uncertainties.2.high": found["uncertainties.2.high"],
        "uncertainties.3.path": (
            "'broker.mediators' is set by lever 'vp' ('broker.mediators'): a parameter is "
            "either fixed or uncertain; remove one of them"
        ),
        "uncertainties.4.mode": "missing: a triangular distribution needs mode",
        "uncertainties.5.path": "'conflicts.drag' is already uncertainties.4",
        "uncertainties.6.low": "missing: scale has no default range; give low and high",
        "uncertainties.7.path": (
            "'horizon' is set by [overrides] ('horizon'): a parameter is either fixed or "
            "uncertain; remove one of them"
        ),
    }
    assert found["colour"].startswith("unknown key")
    # the extreme is built under the levers that could be, and refused there
    assert found["uncertainties.2.high"] == (
        "broker.success_base = 3.0 under lever 'no-broker' gives "
        "broker.success_base: must be <= 1.0, got 3.0"
    )


@pytest.mark.parametrize(
    ("entry", "path", "message"),
    [
        ({"path": "scale", "low": 0.0, "high": 2.0}, "low", "scale must be > 0, got 0.0"),
        (
            {"path": "conflicts.drag", "distribution": "log-uniform", "low": 0.0},
            "low",
            "a log-uniform range needs low > 0, got 0.0",
        ),
        (
            {"path": "conflicts.drag", "distribution": "normal", "mean": 0.5},
            "sd",
            "missing: a normal distribution needs sd",
        ),
        (
            {"path": "conflicts.drag", "distribution": "normal", "mean": 0.5, "sd": 0.0},
            "sd",
            "must be > 0, got 0.0",
        ),
        (
            {"path": "conflicts.drag", "distribution": "triangular", "mode": 2.0},
            "mode",
            "must be within [low, high] = [0.1, 1.0], got 2.0",
        ),
        (
            {"path": "conflicts.drag", "mode": 0.5},
            "mode",
            "only a triangular distribution takes mode (this is uniform)",
        ),
        (
            {"path": "conflicts.drag", "distribution": "gaussian"},
            "distribution",
            "must be one of uniform, log-uniform, triangular, normal; got 'gaussian'",
        ),
        (
            {"path": "conflicts.kinds.poaching.transfer_count", "low": 1.5, "high": 3},
            "low",
            "'conflicts.kinds.poaching.transfer_count' takes integers, got 1.5",
        ),
        (
            {"path": "delivery.products", "low": 1},
            "high",
            "missing: 'delivery.products' has no documented plausible range; give low and high",
        ),
        (
            {"path": "broker.enabled", "low": 0, "high": 1},
            "path",
            "'broker.enabled' takes a bool, not a number: set it in a lever or in [overrides]",
        ),
        (
            {"path": "conflicts.drag", "low": 0.9, "high": 0.2},
            "high",
            "must be > low (0.9), got 0.2: an empty range",
        ),
        (
            {"path": "conflicts.kinds.custom_work.incident_probability"},
            "high",
            "must be > low (0.0), got 0.0: an empty range (the documented range is empty)",
        ),
        ({"path": "conflicts.drag", "low": "a"}, "low", "expected a number, got string 'a'"),
        ({"low": 1.0, "high": 2.0}, "path", "missing: the dotted path of the uncertain parameter"),
    ],
)
def test_a_bad_uncertainty_says_what_is_wrong(
    entry: dict[str, Any], path: str, message: str
) -> None:
    found = problems(with_(uncertainties=[entry]))
    assert found == {f"uncertainties.0.{path}": message}


def test_a_range_the_schema_refuses_is_reported_at_its_end() -> None:
    found = problems(with_(uncertainties=[{"path": "conflicts.drag", "low": -1.0, "high": 0.5}]))
    assert found == {
        "uncertainties.0.low": "conflicts.drag = -1.0 under lever 'no-broker' gives "
        "conflicts.drag: must be >= 0.0, got -1.0"
    }


def test_a_table_path_lists_its_fields() -> None:
    found = problems(with_(uncertainties=[{"path": "ceo", "low": 1.0, "high": 2.0}]))
    assert found["uncertainties.0.path"].startswith(
        "'ceo' is a table, not one parameter; use one of its fields: ceo.hours_per_week"
    )


@pytest.mark.parametrize(
    ("levers", "path", "message"),
    [
        (
            {"only": {}},
            "levers",
            "1 lever(s): explore compares policies, give at least two (e.g. "
            '[levers.no-broker] with "broker.enabled" = false, and [levers.vp])',
        ),
        (None, "levers", "missing: name at least two policies to compare, [levers.NAME] tables"),
        (
            {"a": {}, "b c": {}},
            "levers.b c",
            "a lever's name uses letters, digits, '-' or '_'; got 'b c'",
        ),
        (
            {"a": {}, "b": {"scale": 2.0}},
            "levers.b.scale",
            "a lever is a policy the company chooses; its size is an uncertainty "
            "(put scale in [[uncertainties]] or [overrides])",
        ),
        (
            {"a": {}, "b": 3},
            "levers.b",
            'expected a table of settings ("broker.mediators" = 1), got integer 3',
        ),
        (
            {"a": {}, "b": {"broker": {"mediators": -1}}},
            "levers.b.broker.mediators",
            "must be >= 0, got -1",
        ),
    ],
)
def test_a_bad_lever_says_what_is_wrong(levers: Any, path: str, message: str) -> None:
    assert problems(with_(levers=levers)) == {path: message}


def test_reference_and_focus_must_be_two_levers() -> None:
    assert problems(with_(focus="no-broker")) == {
        "focus": "'no-broker' is the reference lever; the focus is the lever whose payoff "
        "against it scenario discovery describes: name another"
    }
    assert problems(with_(focus="vpp")) == {
        "focus": "must be one of no-broker, vp; got 'vpp' (did you mean 'vp'?)"
    }


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"threshold": 1.5}, "threshold", "PRIM's density threshold is a share in (0, 1], got 1.5"),
        (
            {"metric": "credibility_end"},
            "metric",
            "'credibility_end' exists only with a broker: a lever without one has none",
        ),
        (
            {"metrics": ["value_shipped", "value_shipped"]},
            "metrics.1",
            "'value_shipped' is listed twice",
        ),
        ({"design": "grid"}, "design", "must be one of lhs, sobol, posterior; got 'grid'"),
        ({"points": 1}, "points", "must be >= 2, got 1"),
        (
            {"base": None},
            "base",
            "missing: name the base scenario (a file relative to the explore file, or midsize)",
        ),
        (
            {"uncertainties": []},
            "uncertainties",
            "none: explore needs at least one [[uncertainties]] entry",
        ),
    ],
)
def test_bad_top_level_settings(changes: dict[str, Any], path: str, message: str) -> None:
    found = problems(with_(**changes))
    assert found[path] == message


def test_an_ensemble_too_large_is_refused_before_it_is_built() -> None:
    spec = parse_explore(with_(points=40_000, replications=3))
    with pytest.raises(ExperimentError) as info:
        check_explore(spec)
    message = str(info.value)
    assert message.startswith("this ensemble is too large: 40,000 design points (limit 10,000); ")
    assert "240,000 runs (limit 100,000)" in message
    assert message.endswith("pass --allow-large to run it anyway (see docs/cli.md, Limits)")
    assert check_explore(spec, allow_large=True).runs == 240_000


def test_the_estimate_takes_the_largest_run_of_the_ranges() -> None:
    small = check_explore(parse_explore(GOOD))
    big = check_explore(
        parse_explore(with_(uncertainties=[{"path": "scale", "low": 0.5, "high": 8.0}]))
    )
    assert small.points == 4 and small.runs == 16
    assert big.run.events > 2 * small.run.events  # eight times the company at its high end


def test_load_explore_reads_a_file_relative_base(tmp_path: Path) -> None:
    (tmp_path / "company.toml").write_text('name = "co"\n[delivery]\nproducts = 2\n')
    file = tmp_path / "e.toml"
    file.write_text(
        'base = "company.toml"\npoints = 4\n'
        '[[uncertainties]]\npath = "conflicts.drag"\n'
        '[levers.off]\n"broker.enabled" = false\n[levers.on]\n'
    )
    spec = load_explore(file)
    assert spec.name == "e" and spec.scenario.name == "co"
    assert spec.lever_names == ("off", "on")


def test_a_toml_syntax_error_points_at_file_line_column(tmp_path: Path) -> None:
    file = tmp_path / "e.toml"
    file.write_text('base = "midsize"\npoints = \n')
    with pytest.raises(ScenarioError) as info:
        load_explore(file)
    assert info.value.source == f"{file}:2:10"
    assert info.value.problems == (Problem("", "Invalid value"),)


def test_a_missing_file_and_an_unknown_bundled_name() -> None:
    with pytest.raises(ScenarioError, match="no such explore file: nothing-here"):
        load_explore("nothing-here")


def test_a_posterior_design_needs_a_finished_calibration(tmp_path: Path) -> None:
    data = {
        "base": "midsize",
        "design": "posterior",
        "levers": {"no-broker": {"broker.enabled": False}, "broker": {}},
        "posterior": str(tmp_path),
    }
    with pytest.raises(ScenarioError, match=f"posterior: no calibration in {tmp_path}"):
        parse_explore(data)
    with pytest.raises(ScenarioError, match="only a design = 'posterior' draws from a calibration"):
        parse_explore({**data, "design": "lhs", "uncertainties": [{"path": "conflicts.drag"}]})
