"""Bad scenario inputs refused with their dotted path and value (issue 9, defects 6, 7, 11)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import ScenarioError
from orgsim.scenario.distributions import Dist
from orgsim.scenario.files import read_toml
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.paths import apply_overrides, get_path
from orgsim.scenario.schema import Scenario

MAX_SEED = 2**63 - 1  # the largest SQLite INTEGER


def problems(data: Any, **kwargs: Any) -> dict[str, str]:
    """The problems parse_scenario reports, as {path: message}."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, **kwargs)
    return {p.path: p.message for p in info.value.problems}


# ------------------------------------------------------------------ distributions

# A distribution of each kind, as a TOML inline table would state it.
VALID = {
    "exponential": {"kind": "exponential", "mean": 5.0},
    "deterministic": {"kind": "deterministic", "mean": 5.0},
    "uniform": {"kind": "uniform", "low": 1.0, "high": 5.0},
    "lognormal": {"kind": "lognormal", "mean": 5.0, "cv": 0.5},
    "gamma": {"kind": "gamma", "mean": 5.0, "cv": 0.5},
}

# (parameter, bad value, the message's expected fragment)
BAD = [
    ("mean", -5, "must be >= 0.0, got -5"),
    ("mean", -0.5, "must be >= 0.0, got -0.5"),
    ("mean", math.nan, "must be a finite number, got float nan"),
    ("mean", math.inf, "must be a finite number, got float inf"),
    ("mean", -math.inf, "must be a finite number, got float -inf"),
    ("cv", 0, "must be > 0.0, got 0"),
    ("cv", -1, "must be > 0.0, got -1"),
    ("cv", 11.0, "must be <= 10.0, got 11.0"),
    ("cv", math.nan, "must be a finite number, got float nan"),
    ("low", -1, "must be >= 0.0, got -1"),
    ("low", math.nan, "must be a finite number, got float nan"),
    ("high", -1, "must be >= 0.0, got -1"),
    ("high", math.inf, "must be a finite number, got float inf"),
]


def cases() -> list[tuple[str, str, Any, str]]:
    out = []
    for kind, table in VALID.items():
        for name, value, message in BAD:
            if name in table:
                out.append((kind, name, value, message))
    return out


@pytest.mark.parametrize(("kind", "name", "value", "message"), cases())
def test_every_distribution_parameter_is_range_checked_with_its_path(
    kind: str, name: str, value: Any, message: str
) -> None:
    dist = {**VALID[kind], name: value}
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"delivery": {"value": dist}})
    found = [p.message for p in info.value.problems if p.path == f"delivery.value.{name}"]
    assert message in found, info.value.problems


def test_a_lognormal_with_a_negative_mean_is_a_problem_not_a_crash() -> None:
    # The reported case: it used to end in "cannot read the scenario (ClassValidationError...)".
    found = problems({"delivery": {"value": {"kind": "lognormal", "mean": -5, "cv": 0.5}}})
    assert found == {"delivery.value.mean": "must be >= 0.0, got -5"}


def test_a_uniform_with_high_below_low_names_both() -> None:
    found = problems({"delivery": {"due_in": {"kind": "uniform", "low": 5, "high": 1}}})
    assert found == {"delivery.due_in.high": "high (1.0) must be >= low (5.0)"}


def test_every_bad_distribution_is_reported_in_one_pass() -> None:
    data = {
        "delivery": {
            "value": {"kind": "lognormal", "mean": -5, "cv": 0.5},
            "due_in": {"kind": "uniform", "low": -1, "high": math.nan},
            "stages": [{"name": "only", "effort": {"kind": "gamma", "mean": -1, "cv": -2}}],
        },
        "talent": {"ramp_days": {"kind": "deterministic", "mean": -3}},
        "broker": {"detection": {"kind": "exponential", "mean": math.inf}},
    }
    found = problems(data)
    assert found == {
        "delivery.value.mean": "must be >= 0.0, got -5",
        "delivery.due_in.low": "must be >= 0.0, got -1",
        "delivery.due_in.high": "must be a finite number, got float nan",
        "delivery.stages.0.effort.mean": "must be >= 0.0, got -1",
        "delivery.stages.0.effort.cv": "must be > 0.0, got -2",
        "talent.ramp_days.mean": "must be >= 0.0, got -3",
        "broker.detection.mean": "must be a finite number, got float inf",
    }


def test_a_bad_distribution_from_set_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ['delivery.value={kind="lognormal",mean=-5,cv=0.5}'])
    assert [str(p) for p in info.value.problems] == ["delivery.value.mean: must be >= 0.0, got -5"]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "lognormal", "mean": -5.0, "cv": 0.5},
        {"kind": "lognormal", "mean": math.nan, "cv": math.nan},
        {"kind": "lognormal", "mean": math.inf, "cv": 0.5},
        {"kind": "gamma", "mean": -5.0, "cv": -0.5},
        {"kind": "gamma", "mean": 5.0, "cv": math.inf},
    ],
)
def test_an_invalid_dist_can_still_be_built_and_checked(params: dict[str, Any]) -> None:
    # The walk builds the objects before their cross-field checks run, so building
    # one from out-of-range values must not raise on its own.
    Dist(**params)


def test_valid_distributions_keep_their_parameters() -> None:
    # Same numpy parameters as before the change (the digests rest on them).
    dist = Dist(kind="lognormal", mean=45.0, cv=0.6)
    sigma2 = math.log1p(0.36)
    assert (dist._a, dist._b) == (math.log(45.0) - sigma2 / 2.0, math.sqrt(sigma2))
    g = Dist(kind="gamma", mean=45.0, cv=0.5)
    assert (g._a, g._b, g._fixed) == (4.0, 45.0 / 4.0, False)


# ------------------------------------------------------------------ seeds


@pytest.mark.parametrize("seed", [2**63, 2**63 + 1, 2**64, 10**30])
def test_a_seed_beyond_sqlite_integers_is_refused(seed: int) -> None:
    assert problems({"seed": seed}) == {"seed": f"must be <= {MAX_SEED}, got {seed}"}


def test_the_largest_storable_seed_is_accepted() -> None:
    assert parse_scenario({"seed": MAX_SEED}).seed == MAX_SEED
    assert problems({"seed": -1}) == {"seed": "must be >= 0, got -1"}


def test_a_seed_override_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("seed = 9223372036854775807\n")
    assert load_scenario(path).seed == MAX_SEED
    with pytest.raises(ScenarioError, match=r"seed: must be <= 9223372036854775807"):
        load_scenario(path, [f"seed={2**63}"])


# ------------------------------------------------------------------ files


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfhorizon = 200\n")
    assert read_toml(path) == {"horizon": 200}
    assert load_scenario(path).horizon == 200.0


def test_a_syntax_error_after_a_byte_order_mark_keeps_its_position(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfhorizon = 200\nbad line\n")
    with pytest.raises(ScenarioError) as info:
        read_toml(path)
    assert info.value.source == f"{path}:2:5"


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
def test_utf16_text_is_named_as_such(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "utf16.toml"
    codec = "utf-16-le" if bom == b"\xff\xfe" else "utf-16-be"
    path.write_bytes(bom + "horizon = 200\n".encode(codec))
    with pytest.raises(ScenarioError, match=r"UTF-16.*save it as UTF-8"):
        read_toml(path)


def test_a_directory_is_named_by_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory, not a scenario file"):
        read_toml(tmp_path)
    with pytest.raises(ScenarioError, match="is a directory, not a sweep file"):
        read_toml(tmp_path, what="sweep")


# ------------------------------------------------------------------ dotted paths


@pytest.mark.parametrize("index", ["²", "³", "¹0", "٣", "一"])
def test_a_non_ascii_digit_is_no_array_index(index: str) -> None:
    # "²".isdigit() is true but int("²") fails: it used to escape as a ValueError.
    with pytest.raises(ScenarioError) as info:
        apply_overrides({}, [f"delivery.stages.{index}=1"], defaults=Scenario().to_dict())
    (problem,) = info.value.problems
    assert f"'delivery.stages' is an array; {index!r} is not an index" in problem.message


def test_get_path_treats_a_non_ascii_digit_as_a_missing_key() -> None:
    tree = {"a": [1, 2]}
    assert get_path(tree, "a.1") == 2
    with pytest.raises(KeyError):
        get_path(tree, "a.²")


def test_a_non_ascii_digit_index_through_load_scenario(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("")
    with pytest.raises(ScenarioError, match="is not an index"):
        load_scenario(path, ["delivery.stages.²=1"])
