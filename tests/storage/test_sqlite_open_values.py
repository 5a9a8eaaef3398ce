"""open_database(readonly=True) by value: timeout, autocommit, live reads, the refusal message."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import StoreError
from orgsim.storage.sqlite import open_database


def raw(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(sql)
    finally:
        conn.close()


def a_store(path: Path) -> Path:
    """A WAL-mode file with an empty table t, closed cleanly (no -wal beside it)."""
    conn = open_database(
        path, timeout=1.0, setup=lambda c: c.execute("CREATE TABLE t (x)"), failure="f"
    )
    conn.close()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    return path


def test_a_readonly_connection_has_the_timeout_asked_for_and_autocommits(tmp_path: Path) -> None:
    path = a_store(tmp_path / "db.sqlite")
    conn = open_database(path, timeout=2.5, setup=lambda c: None, failure="f", readonly=True)
    try:
        # 2.5 s is SQLite's busy timeout of 2500 ms (sqlite3's own default is 5 s).
        assert conn.execute("PRAGMA busy_timeout").fetchone() == (2500,)
        assert conn.isolation_level is None  # autocommit, as a writable connection
        assert conn.execute("PRAGMA query_only").fetchone() == (1,)
    finally:
        conn.close()


def test_a_live_reader_sees_a_run_committed_after_it_opened(tmp_path: Path) -> None:
    # live=True: read with SQLite's locks, never "immutable", although no -wal is beside
    # the file when it is opened; so a row another connection commits later is seen.
    path = a_store(tmp_path / "db.sqlite")
    reader = open_database(
        path, timeout=1.0, setup=lambda c: None, failure="f", readonly=True, live=True
    )
    try:
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
        raw(path, "INSERT INTO t VALUES (1)")
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)
    finally:
        reader.close()


def test_a_pending_log_in_a_read_only_folder_is_refused_by_the_callers_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = a_store(tmp_path / "db.sqlite")
    Path(f"{path}-wal").write_bytes(b"x")  # unfinished writes, and no -shm
    real = os.access

    def access(where: Any, mode: int, **kwargs: Any) -> bool:
        # The folder cannot be written (os.access itself says yes to root).
        if Path(where) == tmp_path and mode & os.W_OK:
            return False
        return real(where, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(StoreError) as caught:
        open_database(
            path, timeout=1.0, setup=lambda c: None, failure="cannot open x", readonly=True
        )
    assert str(caught.value) == (
        f"cannot open x: its write-ahead log {path}-wal holds unfinished writes, but there is "
        "no db.sqlite-shm and the folder is read-only; open it once where it can be written"
    )


def test_a_readonly_open_asks_sqlite_to_read_its_name_as_a_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The read-only name is ``file:...?mode=ro``: only as a URI is it read-only. This
    # machine's SQLite is built with SQLITE_USE_URI and would read it as a URI anyway,
    # so the flag orgsim passes is checked where it is passed, on sqlite3.connect.
    path = a_store(tmp_path / "db.sqlite")
    seen: list[tuple[str, Any]] = []
    real = sqlite3.connect

    def spy(database: Any, **kwargs: Any) -> sqlite3.Connection:
        seen.append((str(database), kwargs.get("uri")))
        return real(database, **kwargs)

    monkeypatch.setattr("orgsim.storage.sqlite.sqlite3.connect", spy)
    open_database(path, timeout=1.0, setup=lambda c: None, failure="f", readonly=True).close()
    assert len(seen) == 1
    name, uri = seen[0]
    assert name.startswith("file:") and "mode=ro" in name
    assert uri is True
