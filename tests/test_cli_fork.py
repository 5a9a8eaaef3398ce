"""`orgsim fork` and `orgsim run --replications` from the command line; errors in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import CLI, OneLineError
from orgsim.storage.eventstore import EventStore


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from orgsim.cli import main

    db = tmp_path_factory.mktemp("cli-fork") / "runs.sqlite"
    argv = ["run", "midsize", "--set", "horizon=150", "--replications", "2", "--db", str(db)]
    assert main(argv) == 0
    return db


@pytest.fixture
def db(made: Path, tmp_path: Path) -> Path:
    path = tmp_path / "runs.sqlite"
    shutil.copyfile(made, path)
    return path


def test_run_replications_stores_each(made: Path) -> None:
    with EventStore(made, readonly=True) as store:
        runs = store.runs()
    assert [(r.run_id, r.replication) for r in runs] == [(1, 0), (2, 1)]
    assert runs[0].digest != runs[1].digest


def test_fork_prints_the_parent_the_prefix_and_the_fork(
    cli: CLI, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # one line per fork, however long the path
    assert cli(["fork", str(db), "--run", "2", "--at", "70"]) == 0
    out = capsys.readouterr().out
    assert "Fork at day 70" in out and "no change" in out
    assert "run 2 (midsize, seed 1, rep 1) -> run 3" in out
    assert "verified" in out and "the same log as its parent" in out
    assert "Net value" in out and "One pair has no confidence interval" in out


def test_fork_json_and_compare(cli: CLI, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["fork", str(db), "--run", "all", "--at", "40", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["at"] == 40.0 and doc["pairs"] == 2
    assert [(f["parent_run"], f["run_id"]) for f in doc["forks"]] == [(1, 3), (2, 4)]
    assert all(f["digest"] == f["parent_digest"] for f in doc["forks"])
    with EventStore(db, readonly=True) as store:
        prefix = store.log(1).digest(before=40.0)
    assert doc["forks"][0]["prefix_digest"] == prefix
    assert doc["metrics"]["net_value"]["diff"]["mean"] == 0.0
    assert cli(["fork", str(db), "--compare", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["comparisons"][0]["metrics"] == doc["metrics"]
    assert cli(["fork", str(db), "--compare"]) == 0
    assert "2 forks paired with their parents" in capsys.readouterr().out
    # `orgsim compare STORE`: the same comparison, from the command that compares
    assert cli(["compare", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == again


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--run", "x", "--at", "5"], "--run takes run ids"),
        (["--run", "1,9", "--at", "5"], "has no run 9 (runs 1 to 2)"),
        (["--run", "1", "--at", "-3"], "argument --at: expected a day"),
        (["--run", "1", "--at", "nan"], "argument --at: expected a day"),
        (["--run", "1", "--at", "150"], "is not before run 1's end at day 150"),
        (["--run", "1"], "orgsim fork needs --at"),
        (["--at", "4"], "orgsim fork needs --run"),
        (["--compare", "--at", "4"], "--compare compares the forks already stored: drop --at"),
        (["--compare"], "holds no fork"),
        (["--run", "1", "--at", "5", "--correction", "x"], "argument --correction"),
    ],
)
def test_bad_options_are_one_line_errors(
    cli: CLI, db: Path, one_line_error: OneLineError, argv: list[str], message: str
) -> None:
    line = one_line_error(cli(["fork", str(db), *argv]))
    assert message in line
    with EventStore(db, readonly=True) as store:
        assert len(store.runs()) == 2  # nothing written


def test_no_such_store(cli: CLI, tmp_path: Path, one_line_error: OneLineError) -> None:
    line = one_line_error(cli(["fork", str(tmp_path / "nope.sqlite"), "--run", "1", "--at", "1"]))
    assert "no such event store" in line


def test_replications_need_a_store(cli: CLI, one_line_error: OneLineError) -> None:
    line = one_line_error(cli(["run", "midsize", "--replications", "2", "--db", ""]))
    assert "--replications needs an event store" in line


def test_a_change_from_the_command_line_and_the_listing_of_forks(
    cli: CLI, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    argv = ["fork", str(db), "--run", "1,2", "--at", "30", "--set", "talent.time_to_hire.mean=5"]
    assert cli([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["changes"] == {"set": ["talent.time_to_hire.mean=5"], "intervene": []}
    assert all(f["digest"] != f["parent_digest"] for f in doc["forks"])
    assert doc["metrics"]["hires"]["diff"]["n"] == 2
    assert cli(["events", str(db)]) == 0
    out = capsys.readouterr().out
    assert "fork of" in out and "run 1 @ day 30" in out and "run 2 @ day 30" in out


def test_a_change_the_run_cannot_take_is_one_line(
    cli: CLI, db: Path, one_line_error: OneLineError
) -> None:
    # midsize has its broker from founding: there is no one to appoint
    line = one_line_error(
        cli(["fork", str(db), "--run", "1", "--at", "30", "--intervene", "appoint"])
    )
    assert (
        "run 1's scenario: interventions.0.appoint: the broker is in office from founding" in line
    )
    line = one_line_error(
        cli(["fork", str(db), "--run", "1", "--at", "3", "--set", "broker.enabled=true"])
    )
    assert "use --intervene appoint" in line
