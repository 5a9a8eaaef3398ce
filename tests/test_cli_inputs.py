"""Bad inputs at the command line, refused before anything is written (issue 9, defects 7, 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CLI, OneLineError

TOO_BIG = str(2**63)
SHORT = ["--set", "horizon=20"]


@pytest.mark.parametrize("seed", [TOO_BIG, str(2**64), str(10**30)])
def test_run_refuses_a_seed_sqlite_cannot_store_and_writes_no_store(
    cli: CLI, one_line_error: OneLineError, tmp_path: Path, seed: str
) -> None:
    db = tmp_path / "runs" / "events.sqlite"
    line = one_line_error(cli(["run", "midsize", "--seed", seed, "--db", str(db), *SHORT]))
    assert line == (f"orgsim: error: --seed must be an integer from 0 to {2**63 - 1}, got {seed}")
    assert not db.exists() and not db.parent.exists()


def test_compare_refuses_a_huge_seed_before_creating_its_folder(
    cli: CLI, one_line_error: OneLineError, tmp_path: Path
) -> None:
    out = tmp_path / "DIR"
    argv = ["compare", "midsize", "--seed", TOO_BIG, "--out", str(out), "--runs", "2", *SHORT]
    line = one_line_error(cli([*argv, "--executor", "serial", "--no-charts"]))
    assert f"--seed must be an integer from 0 to {2**63 - 1}, got {TOO_BIG}" in line
    assert not out.exists()


def test_negative_seeds_are_still_refused(cli: CLI, one_line_error: OneLineError) -> None:
    line = one_line_error(cli(["run", "midsize", "--seed", "-1", "--db", "", *SHORT]))
    assert line.endswith("got -1")


def test_the_largest_seed_runs(cli: CLI, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["run", "midsize", "--seed", str(2**63 - 1), "--db", "", "--json", *SHORT]) == 0
    assert f'"seed": {2**63 - 1}' in capsys.readouterr().out


def test_a_scenario_seed_too_big_is_refused_with_its_path(
    cli: CLI, one_line_error: OneLineError, tmp_path: Path
) -> None:
    scenario = tmp_path / "big.toml"
    scenario.write_text(f"seed = {TOO_BIG}\nhorizon = 20\n")
    out = tmp_path / "out"
    line = one_line_error(cli(["compare", str(scenario), "--out", str(out), "--runs", "2"]))
    assert line.endswith(f"seed: must be <= {2**63 - 1}, got {TOO_BIG}")
    assert not out.exists()


def test_a_sweep_seed_too_big_is_refused_with_its_path(
    cli: CLI, one_line_error: OneLineError, tmp_path: Path
) -> None:
    sweep = tmp_path / "big.toml"
    sweep.write_text(
        f'base = "midsize"\nseed = {TOO_BIG}\nreplications = 2\n'
        '[[parameters]]\npath = "conflicts.intensity"\nlow = 0.5\nhigh = 1.0\n'
    )
    out = tmp_path / "out"
    line = one_line_error(cli(["sweep", str(sweep), "--out", str(out), "--no-charts"]))
    assert line == f"orgsim: error: {sweep}: seed: must be <= {2**63 - 1}, got {TOO_BIG}"
    assert not out.exists()


def test_sweep_of_a_directory_says_it_is_a_directory(
    cli: CLI, one_line_error: OneLineError, tmp_path: Path
) -> None:
    line = one_line_error(cli(["sweep", str(tmp_path)]))
    assert line == f"orgsim: error: {tmp_path}: is a directory, not a sweep file"


def test_run_of_a_directory_says_it_is_a_directory(
    cli: CLI, one_line_error: OneLineError, tmp_path: Path
) -> None:
    line = one_line_error(cli(["run", str(tmp_path), "--db", ""]))
    assert line == f"orgsim: error: {tmp_path}: is a directory, not a scenario file"


def test_a_scenario_with_a_byte_order_mark_runs(cli: CLI, tmp_path: Path) -> None:
    scenario = tmp_path / "bom.toml"
    scenario.write_bytes(b"\xef\xbb\xbfhorizon = 20\n")
    assert cli(["validate", str(scenario)]) == 0


def test_a_sweep_with_one_replication_is_refused_like_compare_runs_1(
    cli: CLI, one_line_error: OneLineError, tmp_path: Path
) -> None:
    sweep = tmp_path / "one.toml"
    sweep.write_text(
        'base = "midsize"\nreplications = 1\n'
        '[[parameters]]\npath = "conflicts.intensity"\nlow = 0.5\nhigh = 1.0\n'
    )
    line = one_line_error(cli(["sweep", str(sweep), "--out", str(tmp_path / "o")]))
    assert line == (
        f"orgsim: error: {sweep}: replications: must be >= 2, got 1 "
        "(a confidence interval needs at least two, as with compare --runs)"
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["run", "no\nsuch", "--db", ""], "no such scenario file: no\\nsuch"),
        (["sweep", "a\rb\x1b[31m"], "no such sweep file: a\\rb\\x1b[31m"),
        (["validate", "midsize", "--set", "name=1\nw = 2", "--set", "seed=-1"], "seed=-1"),
        (["run", "midsize", "--db", "", "extra\nword"], "unrecognized arguments: extra\\nword"),
    ],
)
def test_user_text_with_control_characters_stays_on_one_line(
    cli: CLI, capsys: pytest.CaptureFixture[str], argv: list[str], shown: str
) -> None:
    # A newline or an escape sequence in a file name or a --set would break the
    # one line of the message (or colour the terminal): it is shown escaped.
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("orgsim: error: "), err
    assert shown in err
    assert "\x1b" not in err
