"""Bad sweep files, each problem named by its dotted path (issue 9, defects 7 and 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import ScenarioError
from orgsim.experiments.sweep.spec import load_sweep, parse_sweep


def base(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "base": "midsize",
        "replications": 2,
        "parameters": [{"path": "conflicts.intensity", "low": 0.5, "high": 2.0}],
    }
    data.update(extra)
    return data


def problems(data: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_sweep(data, **kwargs)
    return [str(p) for p in info.value.problems]


def test_an_empty_base_is_a_problem_not_an_assertion() -> None:
    assert problems(base(base="")) == [
        "base: empty: name the base scenario (a file relative to the sweep, or midsize)"
    ]


def test_a_missing_base_is_named_once() -> None:
    (found,) = problems(base(base="nosuch"))
    assert found.startswith("base: no such scenario file: nosuch")
    assert "base: base:" not in found


def test_a_missing_base_file_relative_to_the_sweep(tmp_path: Path) -> None:
    (found,) = problems(base(base="nope.toml"), base_dir=tmp_path)
    assert found == f"base: no such scenario file: {tmp_path / 'nope.toml'} (relative to the sweep)"


def test_a_bad_base_file_names_its_file_and_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("horizon = -1\nseed = -2\n")
    assert problems(base(base="bad.toml"), base_dir=tmp_path) == [
        f"base: {bad}: horizon: must be > 0.0, got -1",
        f"base: {bad}: seed: must be >= 0, got -2",
    ]


@pytest.mark.parametrize("replications", [1, 0, -3])
def test_fewer_than_two_replications_are_refused(replications: int) -> None:
    assert problems(base(replications=replications)) == [
        f"replications: must be >= 2, got {replications} "
        "(a confidence interval needs at least two, as with compare --runs)"
    ]


@pytest.mark.parametrize("seed", [2**63, 2**64, 10**40])
def test_a_seed_beyond_sqlite_integers_is_refused(seed: int) -> None:
    assert problems(base(seed=seed)) == [f"seed: must be <= {2**63 - 1}, got {seed}"]


def test_the_largest_seed_is_accepted() -> None:
    assert parse_sweep(base(seed=2**63 - 1)).seed == 2**63 - 1


def test_a_sweep_directory_is_named_as_such(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory, not a sweep file"):
        load_sweep(tmp_path)


def test_a_sweep_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    text = (
        'base = "midsize"\nreplications = 2\n'
        '[[parameters]]\npath = "conflicts.intensity"\nlow = 0.5\nhigh = 1.0\n'
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_sweep(path).replications == 2


@pytest.mark.parametrize("path", ["delivery.stages.².name", "delivery.stages.٣.name"])
def test_an_override_with_a_non_ascii_index_is_unknown(path: str) -> None:
    (found,) = problems(base(overrides={path: "x"}))
    assert found.startswith(f"overrides.{path}: unknown parameter")
