"""sqlite.py by value: stored versions, read-only URIs, integrity reports, in-memory files."""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from builders import add_unused_pages
from orgsim.errors import StoreError
from orgsim.storage.sqlite import (
    Schema,
    _readonly_uri,
    integrity_problems,
    open_database,
    tables,
)

LAYOUT = Schema(
    ddl="CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS t (x)",
    version=4,
    version_key="layout",
)


def raw(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# ------------------------------------------------------------------ Schema


def test_stored_version_of_a_fresh_file_is_none_then_the_created_one(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite")
    try:
        assert LAYOUT.stored_version(conn) is None
        LAYOUT.create(conn)
        assert LAYOUT.stored_version(conn) == 4
        assert conn.execute("SELECT key, value FROM meta").fetchall() == [("layout", "4")]
        assert tables(conn) == {"meta", "t"}
    finally:
        conn.close()


def test_a_meta_table_without_the_key_has_no_version(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite")
    try:
        LAYOUT.create(conn)
        conn.execute("DELETE FROM meta")
        assert LAYOUT.stored_version(conn) is None
    finally:
        conn.close()


def test_a_meta_table_of_other_columns_is_named_by_the_missing_column(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite")
    try:
        conn.execute("CREATE TABLE meta (k TEXT, v TEXT)")
        with pytest.raises(sqlite3.OperationalError) as caught:
            LAYOUT.create(conn)
        assert str(caught.value) == "table meta has no column named key"
        with pytest.raises(sqlite3.OperationalError) as caught:
            LAYOUT.stored_version(conn)
        assert str(caught.value) == "no such column: value"
    finally:
        conn.close()


# ------------------------------------------------------------------ open_database


def test_a_readonly_in_memory_database_opens_query_only(tmp_path: Path) -> None:
    seen: list[set[str]] = []
    conn = open_database(
        ":memory:", timeout=1.0, setup=lambda c: seen.append(tables(c)), failure="cannot open"
    )
    conn.close()
    conn = open_database(
        ":memory:",
        timeout=1.0,
        setup=lambda c: seen.append(tables(c)),
        failure="cannot open",
        readonly=True,
    )
    try:
        assert conn.execute("PRAGMA query_only").fetchone() == (1,)
        assert seen == [set(), set()]
    finally:
        conn.close()


# ------------------------------------------------------------------ read-only URIs


def folder(tmp_path: Path) -> str:
    """tmp_path resolved, which must need no quoting for the expected URIs to be literal."""
    text = str(tmp_path.resolve())
    assert urllib.parse.quote(text) == text
    return text


def test_a_readonly_uri_quotes_spaces_question_marks_hashes_and_percents(tmp_path: Path) -> None:
    # ' ' -> %20, '?' -> %3F, '#' -> %23, '%' -> %25; no -wal beside: immutable.
    path = tmp_path / "my runs?#%.sqlite"
    raw(path, "CREATE TABLE t (x)")
    raw(path, "INSERT INTO t VALUES (42)")
    uri = _readonly_uri(path, "cannot open")
    assert uri == f"file:{folder(tmp_path)}/my%20runs%3F%23%25.sqlite?mode=ro&immutable=1"
    conn = sqlite3.connect(uri, uri=True)
    try:
        assert conn.execute("SELECT x FROM t").fetchall() == [(42,)]
    finally:
        conn.close()


def test_an_empty_write_ahead_log_still_allows_immutable(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    Path(f"{path}-wal").write_bytes(b"")
    assert _readonly_uri(path, "f") == f"file:{folder(tmp_path)}/db.sqlite?mode=ro&immutable=1"


def test_a_live_read_or_a_log_with_content_is_not_immutable(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    plain = f"file:{folder(tmp_path)}/db.sqlite?mode=ro"
    assert _readonly_uri(path, "f", live=True) == plain
    Path(f"{path}-wal").write_bytes(b"x")
    assert _readonly_uri(path, "f") == plain


def read_only_folder(monkeypatch: pytest.MonkeyPatch, where: Path) -> None:
    """os.access says ``where`` cannot be written (the tests may run as root)."""
    real = os.access

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        if Path(path) == where and mode & os.W_OK:
            return False
        return real(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)


def test_a_pending_log_without_shm_in_a_read_only_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite"
    Path(f"{path}-wal").write_bytes(b"x")
    read_only_folder(monkeypatch, tmp_path)
    with pytest.raises(StoreError) as caught:
        _readonly_uri(path, "cannot open 'db.sqlite'")
    assert str(caught.value) == (
        f"cannot open 'db.sqlite': its write-ahead log {path}-wal holds unfinished writes, "
        "but there is no db.sqlite-shm and the folder is read-only; open it once where it "
        "can be written"
    )


def test_a_pending_log_with_shm_in_a_read_only_folder_is_read_with_locks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite"
    Path(f"{path}-wal").write_bytes(b"x")
    Path(f"{path}-shm").write_bytes(b"")
    read_only_folder(monkeypatch, tmp_path)
    assert _readonly_uri(path, "f") == f"file:{folder(tmp_path)}/db.sqlite?mode=ro"


# ------------------------------------------------------------------ integrity_problems


def test_a_sound_file_has_no_problems(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    raw(path, "CREATE TABLE t (x)")
    conn = connect(path)
    try:
        assert integrity_problems(conn) == []
        assert integrity_problems(conn, quick=True) == []
    finally:
        conn.close()


def index_of_another_column(path: Path, rows: int) -> sqlite3.Connection:
    """Index i is declared on t(b) but holds t(a): every row is missing from it."""
    raw(path, "CREATE TABLE t (a, b)")
    raw(path, "CREATE INDEX i ON t (a)")
    for n in range(rows):
        raw(path, "INSERT INTO t VALUES (?, ?)", n, 100 + n)
    conn = connect(path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX i ON t (b)' WHERE name = 'i'")
    conn.close()
    return connect(path)


def test_rows_missing_from_an_index_are_ten_problems_by_default(tmp_path: Path) -> None:
    # 12 rows, each missing from i: the default limit keeps the first 10.
    conn = index_of_another_column(tmp_path / "db.sqlite", 12)
    try:
        assert integrity_problems(conn) == [f"row {n} missing from index i" for n in range(1, 11)]
        assert integrity_problems(conn, limit=2) == [
            "row 1 missing from index i",
            "row 2 missing from index i",
        ]
        # quick_check reads every record but does not compare indexes with tables.
        assert integrity_problems(conn, quick=True) == []
    finally:
        conn.close()


def pages_never_used(path: Path, extra: int) -> sqlite3.Connection:
    """A one-table file whose header counts ``extra`` more (zeroed) pages than it uses."""
    raw(path, "CREATE TABLE t (x)")
    add_unused_pages(path, extra)
    return connect(path)


def test_a_page_problem_loses_sqlites_database_header(tmp_path: Path) -> None:
    # SQLite reports "*** in database main ***\nPage 3 is never used\n...": one row,
    # which becomes one line without the header.
    conn = pages_never_used(tmp_path / "db.sqlite", 3)
    try:
        assert integrity_problems(conn) == [
            "Page 3 is never used Page 4 is never used Page 5 is never used"
        ]
    finally:
        conn.close()


def test_twelve_unused_pages_are_reported_ten_by_default(tmp_path: Path) -> None:
    # Pages 3-14 unused; the default limit of 10 names pages 3-12.
    conn = pages_never_used(tmp_path / "db.sqlite", 12)
    try:
        assert integrity_problems(conn) == [
            " ".join(f"Page {n} is never used" for n in range(3, 13))
        ]
    finally:
        conn.close()
