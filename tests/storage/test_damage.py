"""Damaged databases: every read path names the file, the run and what is damaged.

Each kind of damage a file meets in the wild (truncated, emptied, overwritten with
random bytes, one page overwritten, one byte of a stored payload altered, a stretch
of a stored buffer garbled) is applied to a copy of a real event
store and a real results database. Every read then ends as a user should see it:
one line on stderr, exit 2, naming the file (and the run where one is at fault),
never a traceback or an "internal error"; nothing is written to the damaged file.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from orgsim.engine.run import simulate
from orgsim.errors import StoreError
from orgsim.experiments.runner import run_scenario
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.eventstore import EventStore
from orgsim.storage.results import ResultsDB

PAGE = 4096
COMPARE = ["startup", "--runs", "2", "--set", "horizon=100", "--no-charts", "--executor", "serial"]


def _page_of(data: bytes, needle: bytes) -> int:
    assert data.count(needle) == 1, "the payload to damage must be unique in the file"
    return data.index(needle) // PAGE


def truncate(data: bytes, needle: bytes) -> bytes:
    """Cut the file in the middle of the damaged run's page."""
    return data[: _page_of(data, needle) * PAGE + PAGE // 2]


def empty(data: bytes, needle: bytes) -> bytes:
    return b""


def random_bytes(data: bytes, needle: bytes) -> bytes:
    return random.Random(1).randbytes(len(data))


def overwrite_page(data: bytes, needle: bytes) -> bytes:
    """Random bytes over the whole page that holds the payload."""
    page = _page_of(data, needle)
    return data[: page * PAGE] + random.Random(2).randbytes(PAGE) + data[(page + 1) * PAGE :]


def alter_payload_byte(data: bytes, needle: bytes) -> bytes:
    """One byte of a stored buffer changed (a run's columns, or a JSON value)."""
    at = data.index(needle)
    return data[:at] + b"#" + data[at + 1 :]


def garble_payload(data: bytes, needle: bytes) -> bytes:
    """Eight bytes garbled in the middle of a stored value (invalid UTF-8 in a text)."""
    at = data.index(needle) + len(needle) // 2
    return data[:at] + b"\xff\xfe" * 4 + data[at + 8 :]


Damage = Callable[[bytes, bytes], bytes]
WHOLE_FILE: list[Damage] = [truncate, empty, random_bytes]
IN_A_RUN: list[Damage] = [overwrite_page, alter_payload_byte, garble_payload]


def damaged_copy(src: Path, dst: Path, damage: Damage, needle: bytes) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(damage(src.read_bytes(), needle))
    return dst


# ------------------------------------------------------------------ event store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """Three runs in one store, and bytes from the end of run 2's largest stored buffer.

    Run 2 is long enough (a midsize year) that its largest table's buffer spills
    over several pages: the tail of it lies on an overflow page that holds nothing
    of another run.
    """
    path = tmp_path_factory.mktemp("store") / "events.sqlite"
    run_scenario("startup", seed=1, overrides=["horizon=100"], db=path)
    run_scenario("midsize", seed=2, overrides=["horizon=400"], db=path)
    run_scenario("startup", seed=3, overrides=["horizon=100"], db=path)
    with sqlite3.connect(path) as con:
        (data,) = con.execute(
            "SELECT data FROM run_columns WHERE run_id = 2 ORDER BY length(data) DESC LIMIT 1"
        ).fetchone()
    con.close()
    assert len(data) > 2 * PAGE
    return path, data[-200:-100]


RUN_READS = (
    ["--run", "2", "--limit", "0"],
    ["--run", "2", "--json", "--limit", "0"],
    ["--run", "2", "--state-at", "100"],
    ["--run", "2", "--verify"],
)


@pytest.mark.parametrize("damage", WHOLE_FILE + IN_A_RUN, ids=lambda d: d.__name__)
@pytest.mark.parametrize("flags", RUN_READS, ids=" ".join)
def test_a_damaged_event_store_is_named(
    store, tmp_path, cli, one_line_error, capsys, damage, flags
) -> None:
    path = damaged_copy(store[0], tmp_path / "d.sqlite", damage, store[1])
    before = path.read_bytes()
    if "--verify" in flags and damage in (alter_payload_byte, garble_payload):
        # The file is sound, its content altered: what --verify exists to find.
        assert cli(["events", str(path), *flags]) == 1
        assert "MISMATCH" in capsys.readouterr().out
        return
    line = one_line_error(cli(["events", str(path), *flags]))
    assert "d.sqlite" in line
    assert re.search(r"damaged|truncated|empty|not an SQLite database", line), line
    if damage in IN_A_RUN:
        assert "run 2" in line
    assert len(line) < 250
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.sqlite"]


@pytest.mark.parametrize("damage", WHOLE_FILE, ids=lambda d: d.__name__)
def test_listing_a_damaged_event_store_is_named(store, tmp_path, cli, one_line_error, damage):
    path = damaged_copy(store[0], tmp_path / "d.sqlite", damage, store[1])
    line = one_line_error(cli(["events", str(path)]))
    assert "d.sqlite" in line


def test_verify_checks_the_whole_file(store, tmp_path, cli, one_line_error, capsys) -> None:
    """A page of run 2 overwritten: run 1 still reads, but --verify finds the damage."""
    path = damaged_copy(store[0], tmp_path / "d.sqlite", overwrite_page, store[1])
    assert cli(["events", str(path), "--run", "1", "--limit", "3"]) == 0
    capsys.readouterr()
    line = one_line_error(cli(["events", str(path), "--run", "1", "--verify"]))
    assert "d.sqlite" in line and "integrity_check" in line


@pytest.mark.parametrize("damage", IN_A_RUN, ids=lambda d: d.__name__)
def test_the_library_raises_store_errors_for_damage(store, tmp_path, damage) -> None:
    path = damaged_copy(store[0], tmp_path / "d.sqlite", damage, store[1])
    with EventStore(path, readonly=True) as es:
        assert len(es.events(1)) == es.run(1).events  # the other runs still read
        for read in (es.events, es.replay):
            with pytest.raises(StoreError, match=r"d\.sqlite.*run 2"):
                read(2)


def test_a_missing_row_is_damage(store, tmp_path) -> None:
    """A table deleted behind orgsim's back: the run no longer has the events it recorded."""
    path = damaged_copy(store[0], tmp_path / "d.sqlite", lambda d, n: d, b"")
    with sqlite3.connect(path) as con:
        (n,) = con.execute("SELECT count(*) FROM run_columns WHERE run_id = 2").fetchone()
        con.execute("DELETE FROM run_columns WHERE run_id = 2 AND code = 7")
    con.close()
    match = rf"run 2: it was saved with \d+ events in {n} tables, but \d+ positions and {n - 1} "
    with EventStore(path, readonly=True) as es, pytest.raises(StoreError, match=match):
        es.events(2, types=["RunStarted"])


# ------------------------------------------------------------- results database


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, str]:
    """A finished comparison's results database, one run's stored metrics and its key."""
    from orgsim.cli import main

    out = tmp_path_factory.mktemp("compare")
    assert main([*["compare", *COMPARE], "--out", str(out), "--json"]) == 0
    path = out / "results.sqlite"
    with sqlite3.connect(path) as con:
        metrics, key = con.execute(
            "SELECT metrics_json, key FROM runs ORDER BY key LIMIT 1 OFFSET 1"
        ).fetchone()
    con.close()
    return path, metrics.encode(), key


@pytest.mark.parametrize("damage", WHOLE_FILE + IN_A_RUN, ids=lambda d: d.__name__)
def test_a_damaged_results_database_is_named(results, tmp_path, damage) -> None:
    path = damaged_copy(results[0], tmp_path / "r" / "results.sqlite", damage, results[1])
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught, ResultsDB(path) as db:
        db.records()
    message = str(caught.value)
    assert str(path) in message and "\n" not in message and len(message) < 250
    assert re.search(r"damaged|truncated|empty|not an SQLite database", message), message
    if damage in (alter_payload_byte, garble_payload):
        assert "metrics_json" in message and results[2] in message
    assert path.read_bytes() == before


@pytest.mark.parametrize("damage", WHOLE_FILE + IN_A_RUN, ids=lambda d: d.__name__)
def test_compare_over_a_damaged_results_database(
    results, tmp_path, cli, one_line_error, damage
) -> None:
    path = damaged_copy(results[0], tmp_path / "results.sqlite", damage, results[1])
    before = path.read_bytes()
    line = one_line_error(cli(["compare", *COMPARE, "--out", str(tmp_path), "--json"]))
    assert str(path) in line
    if damage in (alter_payload_byte, garble_payload):
        # A sound file with one bad value: found when the run is read, and named.
        assert results[2] in line and "metrics_json" in line
        return
    assert path.read_bytes() == before  # refused before anything was written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.sqlite"]


@pytest.mark.parametrize("column, value", [("rows", "abc"), ("code", "x"), ("version", 1.5)])
def test_a_stored_number_that_is_not_a_number_is_damage(
    tmp_path: Path, column: str, value: object
) -> None:
    db = tmp_path / "ev.sqlite"
    with EventStore(db) as store:
        run_id = store.save(simulate(parse_scenario({"horizon": 40.0}), seed=1).log)
    con = sqlite3.connect(db)
    con.execute(
        f"UPDATE run_columns SET {column} = ? WHERE run_id = ? AND code = 5", (value, run_id)
    )
    con.commit()
    con.close()
    with EventStore(db, readonly=True) as store, pytest.raises(StoreError, match="damaged"):
        store.events(run_id)
