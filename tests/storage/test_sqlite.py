"""The shared SQLite setup of both databases, and the provenance they record."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest

import orgsim
from orgsim.errors import StoreError
from orgsim.storage.provenance import DEPENDENCIES, command_line, utc_now, versions
from orgsim.storage.sqlite import Schema, open_database, store_errors, tables, transaction

SCHEMA = Schema(
    ddl="""
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    """,
    version=3,
    version_key="layout",
)


def open_things(path: Path) -> sqlite3.Connection:
    return open_database(path, timeout=1.0, setup=SCHEMA.create, failure=f"cannot open {path}")


def test_a_new_file_gets_the_schema_the_version_and_wal(tmp_path: Path) -> None:
    conn = open_things(tmp_path / "t.sqlite")
    try:
        assert tables(conn) == {"meta", "things"}
        assert SCHEMA.stored_version(conn) == 3
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.isolation_level is None  # writes go through transaction()
    finally:
        conn.close()


def test_creating_again_keeps_the_stored_version(tmp_path: Path) -> None:
    open_things(tmp_path / "t.sqlite").close()
    conn = open_things(tmp_path / "t.sqlite")
    try:
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'layout'")
        SCHEMA.create(conn)
        assert SCHEMA.stored_version(conn) == 2
        assert conn.execute("SELECT count(*) FROM meta").fetchone() == (1,)
    finally:
        conn.close()


def test_no_meta_table_means_no_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "bare.sqlite")
    try:
        assert SCHEMA.stored_version(conn) is None
    finally:
        conn.close()


def test_a_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    conn = open_things(tmp_path / "t.sqlite")
    try:
        with pytest.raises(RuntimeError, match="midway"), transaction(conn):
            conn.execute("INSERT INTO things (name) VALUES ('a')")
            raise RuntimeError("midway")
        assert conn.execute("SELECT count(*) FROM things").fetchone() == (0,)
        with transaction(conn):
            conn.execute("INSERT INTO things (name) VALUES ('b')")
        assert not conn.in_transaction
        assert conn.execute("SELECT name FROM things").fetchall() == [("b",)]
    finally:
        conn.close()


def test_a_refusing_setup_closes_the_connection(tmp_path: Path) -> None:
    opened: list[sqlite3.Connection] = []

    def refuse(conn: sqlite3.Connection) -> None:
        opened.append(conn)
        raise StoreError("not ours")

    with pytest.raises(StoreError, match="not ours"):
        open_database(tmp_path / "t.sqlite", timeout=1.0, setup=refuse, failure="x")
    (conn,) = opened
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        conn.execute("SELECT 1")


def test_a_file_that_is_not_sqlite_is_a_store_error_naming_it(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database\x00" * 100)
    with pytest.raises(StoreError, match=re.escape(f"cannot open {junk}: ")) as info:
        open_things(junk)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_store_errors_turns_sqlite_and_os_errors_only() -> None:
    with pytest.raises(StoreError, match=r"^reading x: boom$"), store_errors("reading x"):
        raise sqlite3.OperationalError("boom")
    with pytest.raises(StoreError, match=r"^writing y: "), store_errors("writing y"):
        raise FileNotFoundError(2, "No such file")
    with pytest.raises(ValueError, match="other"), store_errors("z"):
        raise ValueError("other")


# ------------------------------------------------------------------ provenance


def test_versions_name_python_orgsim_and_the_installed_dependencies() -> None:
    found = versions()
    assert found["python"] == ".".join(map(str, sys.version_info[:3]))
    assert found["orgsim"] == orgsim.__version__
    assert {"simpy", "numpy", "attrs"} <= found.keys()
    assert set(found) - {"python", "orgsim"} <= set(DEPENDENCIES)


def test_command_line_defaults_to_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["orgsim", "run", "midsize"])
    assert command_line() == "orgsim run midsize"
    assert command_line(["orgsim", "compare"]) == "orgsim compare"
    assert command_line([]) == ""


def test_utc_now_is_iso_utc_to_the_asked_precision() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", utc_now())
    assert re.fullmatch(r".*T\d\d:\d\d:\d\d\.\d{3}\+00:00", utc_now("milliseconds"))
