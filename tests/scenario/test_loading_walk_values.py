"""parse_scenario's one pass, by value: the exact problems (path, message) of small inputs.

What is pinned here and not in test_loading.py: a mistyped value skips the cross-field
checks of the table that holds it and of the scenario as a whole, but not those of the
other tables; the checks of distributions inside a dict entry or a list element carry
that entry's full dotted path; a None in plain data unsets a parameter the base had;
where the error says it came from (``source``), and that the error raised where the
problems were found is the one that escapes; the two fall-backs of the walk (a class
refusing a value the walk reported, and an unexpected failure).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from orgsim.errors import Problem, ScenarioError
from orgsim.scenario import loading
from orgsim.scenario.distributions import lognormal, uniform
from orgsim.scenario.loading import parse_scenario

HIGH_BELOW_LOW = "high (2.0) must be >= low (5.0)"
ENABLED = "(enabled: engineering, marketing, product, qa, sales, support)"


def error(data: Any, **kwargs: Any) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, **kwargs)
    return info.value


def found(data: Any, **kwargs: Any) -> list[tuple[str, str]]:
    """Every problem, in the order reported."""
    return [(p.path, p.message) for p in error(data, **kwargs).problems]


def bad_due_in() -> dict[str, Any]:
    return {"kind": "uniform", "low": 5, "high": 2}


# ------------------------------------------------------------------ which checks a type error skips


def test_without_a_type_error_the_dist_and_the_scenario_checks_both_run() -> None:
    # The neighbour of the next test: same data, horizon well typed.
    data = {
        "delivery": {
            "due_in": bad_due_in(),
            "stages": [{"name": "s", "department": "nowhere"}],
        }
    }
    assert found(data) == [
        # children first: the Dist's own check, then the scenario's cross-references
        ("delivery.due_in.high", HIGH_BELOW_LOW),
        ("delivery.stages.0.department", f"'nowhere' is not an enabled department {ENABLED}"),
    ]


def test_a_mistyped_value_skips_the_scenario_check_but_not_another_tables() -> None:
    # horizon is mistyped: the walk puts the default 1095 in its place, so the
    # scenario's own check (which could judge horizon) is skipped; delivery.due_in
    # holds no mistyped value ("horizon" is neither it nor under "delivery.due_in."),
    # so its check still runs and reports the uniform's bounds.
    data = {
        "horizon": "x",
        "delivery": {
            "due_in": bad_due_in(),
            "stages": [{"name": "s", "department": "nowhere"}],
        },
    }
    assert found(data) == [
        ("horizon", "expected a number, got string 'x'"),
        ("delivery.due_in.high", HIGH_BELOW_LOW),
    ]


def test_a_mistyped_array_still_lets_the_other_dists_be_checked() -> None:
    # stages is not an array: the default stages stand in (the scenario still builds),
    # so the bad due_in next to it is reported in the same pass.
    data = {"delivery": {"stages": 5, "due_in": bad_due_in()}}
    assert found(data) == [
        ("delivery.stages", "expected an array, got integer 5"),
        ("delivery.due_in.high", HIGH_BELOW_LOW),
    ]


def test_a_mistyped_dist_parameter_skips_that_dist_only() -> None:
    # value.low is mistyped (its check would say "uniform needs 'low'" of a value
    # never written); due_in, a sibling table under the same parent, is still judged.
    data = {
        "delivery": {
            "value": {"kind": "uniform", "low": "a", "high": 1},
            "due_in": bad_due_in(),
        }
    }
    assert found(data) == [
        ("delivery.value.low", "expected a number, got string 'a'"),
        ("delivery.due_in.high", HIGH_BELOW_LOW),
    ]


def test_a_mistyped_key_absent_from_the_base_is_reported_alone() -> None:
    # due_in is a uniform: its base has no 'mean'. The mistyped mean is dropped, not
    # judged a second time as "uniform distribution takes low, high, not 'mean'".
    assert found({"delivery": {"due_in": {"mean": "x"}}}) == [
        ("delivery.due_in.mean", "expected a number, got string 'x'"),
    ]


# ------------------------------------------------------------------ checks inside dicts and lists


def test_dist_checks_inside_a_dict_entry_and_a_list_element_name_their_full_path() -> None:
    data = {
        "delivery": {
            "stages": [
                {"name": "a", "department": "engineering"},
                {"name": "b", "department": "engineering", "effort": {**bad_due_in(), "low": 4}},
            ]
        },
        "conflicts": {"kinds": {"custom_work": {"effort": bad_due_in()}}},
    }
    # Scenario's fields in order: delivery comes before conflicts.
    assert found(data) == [
        ("delivery.stages.1.effort.high", "high (2.0) must be >= low (4.0)"),
        ("conflicts.kinds.custom_work.effort.high", HIGH_BELOW_LOW),
    ]


def test_dist_checks_in_two_dict_entries_are_both_reported() -> None:
    data = {
        "conflicts": {
            "kinds": {
                "poaching": {"severity": {"low": 3.0, "high": 1.0}},
                "new_kind": {"severity": {"kind": "uniform", "low": 9}},
            }
        }
    }
    # poaching's severity keeps its kind (uniform) and takes the new bounds; new_kind is
    # a new entry over ConflictKind(), whose severity, given a kind, starts from scratch.
    assert found(data) == [
        ("conflicts.kinds.poaching.severity.high", "high (1.0) must be >= low (3.0)"),
        ("conflicts.kinds.new_kind.severity.high", "uniform distribution needs 'high'"),
    ]


# ------------------------------------------------------------------ merging over the base


def test_a_none_unsets_a_parameter_the_base_had() -> None:
    # delivery.value is lognormal(600, 0.8); plain data may hold None (JSON null):
    # it removes cv from the merged table, and the lognormal then lacks it.
    assert found({"delivery": {"value": {"cv": None}}}) == [
        ("delivery.value.cv", "lognormal distribution needs 'cv'"),
    ]


def test_a_none_for_a_parameter_the_base_lacks_changes_nothing() -> None:
    scenario = parse_scenario({"delivery": {"due_in": {"mean": None, "high": 300}}})
    # kind and low kept from the default uniform(90, 270), high tuned
    assert scenario.delivery.due_in == uniform(90.0, 300.0)
    assert scenario.delivery.value == lognormal(600.0, 0.8)


def test_an_override_adds_a_key_the_base_lacks_and_it_is_judged() -> None:
    # --set delivery.due_in.mean=5 merges mean into the default uniform, which takes none.
    assert found({}, overrides=["delivery.due_in.mean=5"]) == [
        ("delivery.due_in.mean", "uniform distribution takes low, high, not 'mean'"),
    ]


# ------------------------------------------------------------------ where the error comes from


def test_without_a_source_the_error_names_none() -> None:
    exc = error({"horizon": -1})
    assert exc.source == ""
    assert str(exc) == "horizon: must be > 0.0, got -1"
    assert exc.problems == (Problem("horizon", "must be > 0.0, got -1"),)


def test_with_a_source_the_error_is_the_one_raised_where_the_problems_were_found() -> None:
    exc = error({"horizon": -1}, source="x.toml")
    assert exc.source == "x.toml"
    assert str(exc) == "x.toml: horizon: must be > 0.0, got -1"
    # not caught and raised again as a new error: nothing is chained to it
    assert exc.__context__ is None
    assert exc.__suppress_context__ is False


def test_a_top_level_non_table_names_its_source() -> None:
    exc = error([1], source="x.toml")
    assert exc.problems == (Problem("", "expected a table at the top level, got array [1]"),)
    assert exc.source == "x.toml"
    assert str(exc) == "x.toml: expected a table at the top level, got array [1]"
    assert exc.__context__ is None
    assert error([1]).source == ""


def test_an_override_error_gets_the_source_added() -> None:
    # apply_overrides knows no source; parse_scenario adds it to the same problems.
    exc = error({}, overrides=["seed"], source="x.toml")
    assert exc.source == "x.toml"
    assert exc.problems == (Problem("", "override 'seed': expected 'dotted.path=value'"),)


# ------------------------------------------------------------------ the two fall-backs


class _Refused(RuntimeError):
    pass


def _refuse(data: Any, cls: type) -> Any:
    raise _Refused("a class refused a value")


def test_a_class_refusing_a_reported_value_gives_the_walks_problems(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No class of the schema refuses a value today; the walk's guard for one that
    # would is exercised by a converter that refuses everything.
    monkeypatch.setattr(loading, "structure", _refuse)
    exc = error({"horizon": -1, "seed": -2}, source="x.toml")
    assert exc.problems == (
        Problem("horizon", "must be > 0.0, got -1"),
        Problem("seed", "must be >= 0, got -2"),
    )
    assert exc.source == "x.toml"
    # raised `from None` where the refusal was caught: the refusal is its hidden context
    assert isinstance(exc.__context__, _Refused)
    assert exc.__suppress_context__ is True
    assert error({"horizon": -1}).source == ""


def test_a_class_refusing_with_nothing_reported_is_the_catch_all(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(loading, "structure", _refuse)
    with caplog.at_level(logging.ERROR, logger="orgsim.scenario.loading"):
        exc = error({}, source="x.toml")
    assert exc.problems == (
        Problem("", "cannot read the scenario (_Refused: a class refused a value)"),
    )
    assert isinstance(exc.__cause__, _Refused)
    assert [r.getMessage() for r in caplog.records] == [
        "unexpected failure while reading scenario x.toml"
    ]


class _BrokenTable(Mapping[str, Any]):
    """A table whose keys cannot be read: the walk's promise covers it too."""

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("boom")

    def __len__(self) -> int:
        return 1


def test_an_unexpected_failure_is_one_problem_with_the_exceptions_type_and_text() -> None:
    exc = error(_BrokenTable(), source="x.toml")
    assert exc.problems == (Problem("", "cannot read the scenario (RuntimeError: boom)"),)
    assert exc.problems[0].path == ""
    assert exc.source == "x.toml"
    assert str(exc) == "x.toml: cannot read the scenario (RuntimeError: boom)"
    assert isinstance(exc.__cause__, RuntimeError)
    assert error(_BrokenTable()).source == ""


# ------------------------------------------------------------------ bugs found


def test_an_incomplete_arrival_distribution_is_a_problem_not_a_crash() -> None:
    assert found({"delivery": {"feature_interarrival": {"kind": "uniform"}}}) == [
        ("delivery.feature_interarrival.low", "uniform distribution needs 'low'"),
        ("delivery.feature_interarrival.high", "uniform distribution needs 'high'"),
    ]


def test_an_arrival_distribution_of_unknown_kind_is_a_choice_problem_not_a_crash() -> None:
    assert found({"market": {"shift_interarrival": {"kind": "weibull"}}}) == [
        (
            "market.shift_interarrival.kind",
            "must be one of exponential, deterministic, uniform, lognormal, gamma; got 'weibull'",
        ),
    ]


def test_an_incomplete_conflict_or_praise_arrival_is_a_problem_not_a_crash() -> None:
    # The same check reads the conflict kinds' and the broker's praise arrivals. A new
    # kind starts the table afresh: the default's mean is not carried over.
    assert found(
        {
            "conflicts": {"kinds": {"cross_initiative": {"interarrival": {"kind": "lognormal"}}}},
            "broker": {"praise_gain": 0.1, "praise_interarrival": {"kind": "gamma", "mean": 3.0}},
        }
    ) == [
        (
            "conflicts.kinds.cross_initiative.interarrival.mean",
            "lognormal distribution needs 'mean'",
        ),
        ("conflicts.kinds.cross_initiative.interarrival.cv", "lognormal distribution needs 'cv'"),
        ("broker.praise_interarrival.cv", "gamma distribution needs 'cv'"),
    ]


def test_a_complete_arrival_of_mean_zero_is_still_refused() -> None:
    assert found({"market": {"shift_interarrival": {"kind": "deterministic", "mean": 0.0}}}) == [
        ("market.shift_interarrival.mean", "must be > 0 for an arrival process"),
    ]


def test_an_arrival_every_half_day_is_a_positive_rate() -> None:
    # Any mean above 0 is an arrival process, however short the interval.
    sc = parse_scenario({"market": {"shift_interarrival": {"kind": "deterministic", "mean": 0.5}}})
    assert sc.market.shift_interarrival.expected == 0.5
