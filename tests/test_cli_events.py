"""`orgsim events`: listing, querying, replaying and auditing a stored log."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from orgsim.cli import main
from orgsim.experiments.runner import run_scenario


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    db = tmp_path_factory.mktemp("events") / "events.sqlite"
    result = run_scenario("startup", seed=4, overrides=["horizon=200"], db=db)
    return db, result


def test_lists_runs_and_filters_events(stored, capsys) -> None:
    db, result = stored
    assert main(["events", str(db)]) == 0
    assert "startup" in capsys.readouterr().out
    assert (
        main(
            ["events", str(db), "--run", "1", "--type", "FeatureShipped", "--json", "--limit", "0"]
        )
        == 0
    )
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    shipped = [e for e in result.log if type(e).__name__ == "FeatureShipped"]
    assert [x["seq"] for x in lines] == [e.seq for e in shipped]
    assert all(x["type"] == "FeatureShipped" for x in lines)
    assert (
        main(
            [
                "events",
                str(db),
                "--run",
                "1",
                "--from",
                "10",
                "--to",
                "20",
                "--json",
                "--limit",
                "0",
            ]
        )
        == 0
    )
    times = [json.loads(x)["time"] for x in capsys.readouterr().out.splitlines()]
    assert times and min(times) >= 10 and max(times) <= 20


def test_state_at_replays_the_log(stored, capsys) -> None:
    db, result = stored
    assert main(["events", str(db), "--run", "1", "--state-at", "120"]) == 0
    out = capsys.readouterr().out
    from orgsim.engine.state import fold

    state = fold(result.log, until=120.0)
    assert f"replayed to seq {state.seq}" in out
    assert f"engineering │ {state.departments['engineering'].staff:>5}" in out


def test_verify_detects_tampering(stored, tmp_path, capsys) -> None:
    db, _ = stored
    assert main(["events", str(db), "--run", "1", "--verify"]) == 0
    assert "verified" in capsys.readouterr().out
    copy = tmp_path / "copy.sqlite"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    with sqlite3.connect(copy) as con:
        con.execute("UPDATE events SET time = time + 1 WHERE seq = 100")
    assert main(["events", str(copy), "--run", "1", "--verify"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_bad_store_or_run_is_one_line_exit_2(stored, tmp_path, capsys) -> None:
    db, _ = stored
    assert main(["events", str(tmp_path / "missing.sqlite")]) == 2
    assert main(["events", str(db), "--run", "99"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("orgsim: error:") for line in err)
