"""ResultsDB by value: how a file is opened and checked, and what commit() writes or refuses."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from builders import RUN_COLUMNS, add_unused_pages
from orgsim.errors import StoreError
from orgsim.storage.results import ResultsDB, RunRecord

EXP = "compare:t:h:1"
#: What a failed write of ResultsDB adds after its reason, with N runs stored.
KEPT = "the {n} run(s) committed before are kept (free space, then rerun to resume)"


def rec(replication: int = 0, **changes: object) -> RunRecord:
    base = RunRecord(
        experiment=EXP, scenario_hash="h", point=0, arm="on", replication=replication, seed=5
    )
    return attrs.evolve(base, **changes)


def raw(path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ResultsDB]:
    with ResultsDB(tmp_path / "results.sqlite") as handle:
        yield handle


# ------------------------------------------------------------------ opening


def test_a_folder_that_cannot_be_made_is_named_with_the_database(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "results.sqlite"
    with pytest.raises(StoreError) as caught:
        ResultsDB(path)
    # mkdir of the parent "file" (exist_ok, but not a folder): errno 17, passed on whole.
    assert str(caught.value) == (
        f"cannot use results database {path}: [Errno 17] File exists: '{tmp_path / 'file'}'"
    )


def test_the_busy_timeout_is_thirty_seconds(db: ResultsDB) -> None:
    # sqlite3.connect(timeout=30.0) sets SQLite's busy timeout, read back in milliseconds.
    assert db._db.execute("PRAGMA busy_timeout").fetchone() == (30000,)


def index_of_another_column(path: Path) -> None:
    """Index i is declared on t(b) but holds t(a): both rows are missing from it."""
    raw(path, "CREATE TABLE t (a, b)")
    raw(path, "CREATE INDEX i ON t (a)")
    raw(path, "INSERT INTO t VALUES (1, 101), (2, 102)")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA writable_schema = ON")
    con.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX i ON t (b)' WHERE name = 'i'")
    con.close()


def test_opening_runs_the_quick_check_which_does_not_compare_indexes(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    index_of_another_column(path)
    # The full check finds the damage; the quick one on opening does not look for it.
    assert raw(path, "PRAGMA integrity_check(1)") == [("row 1 missing from index i",)]
    with ResultsDB(path) as db:
        assert db.records() == []
        assert db.commit(rec()) is True


def pages_never_used(path: Path, extra: int) -> None:
    """A one-table file whose header counts ``extra`` more (zeroed) pages than it uses."""
    raw(path, "CREATE TABLE t (x)")
    add_unused_pages(path, extra)


def test_a_damaged_file_is_refused_naming_its_first_problem_only(tmp_path: Path) -> None:
    # Pages 3, 4 and 5 are never used; quick_check(1) stops at the first one.
    path = tmp_path / "results.sqlite"
    pages_never_used(path, 3)
    with pytest.raises(StoreError) as caught:
        ResultsDB(path)
    assert str(caught.value) == (
        f"results database {path} is damaged (PRAGMA quick_check: Page 3 is never used)"
    )
    assert [r[0] for r in raw(path, "SELECT name FROM sqlite_master")] == ["t"]  # untouched


def test_a_long_problem_is_cut_to_120_characters(tmp_path: Path) -> None:
    # A NULL in a NOT NULL column of a table named by 130 t's: quick_check reports
    # "NULL value in ttt...t.c" (14 + 130 + 2 = 146 characters); the first 120 are kept:
    # "NULL value in " (14) and 106 t's.
    path = tmp_path / "results.sqlite"
    name = "t" * 130
    raw(path, f"CREATE TABLE {name} (c)")
    raw(path, f"INSERT INTO {name} VALUES (NULL)")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA writable_schema = ON")
    con.execute(f"UPDATE sqlite_master SET sql = 'CREATE TABLE {name} (c NOT NULL)'")
    con.close()
    with pytest.raises(StoreError) as caught:
        ResultsDB(path)
    assert str(caught.value) == (
        f"results database {path} is damaged (PRAGMA quick_check: NULL value in {'t' * 106})"
    )


# ------------------------------------------------------------------ commit


def test_a_run_without_a_log_writes_no_log_row(db: ResultsDB) -> None:
    assert db.commit(rec(0)) is True
    assert raw(db.path, "SELECT key FROM logs") == []
    kept = rec(1, log=((0, 0.0, "RunStarted", 2, "{}"),))
    assert db.commit(kept) is True
    assert raw(db.path, "SELECT key FROM logs") == [(kept.key,)]


@pytest.mark.parametrize("missing", ["scenario_hash", "seed", "elapsed"])
def test_committing_to_runs_of_another_layout_names_the_missing_column(
    tmp_path: Path, missing: str
) -> None:
    # One column of each line of the INSERT's column list (the index's columns, which
    # the file must have to be opened at all, excepted), named as orgsim spells it.
    path = tmp_path / "results.sqlite"
    raw(path, f"CREATE TABLE runs ({', '.join(c for c in RUN_COLUMNS if c != missing)})")
    r = rec()
    with ResultsDB(path) as db, pytest.raises(StoreError) as caught:
        db.commit(r)
    assert str(caught.value) == (
        f"results database {path}: cannot commit run {EXP}/0/on/0/5: table runs has no "
        f"column named {missing}; {KEPT.format(n=0)}"
    )


def test_a_run_whose_log_cannot_be_written_is_not_stored_at_all(db: ResultsDB) -> None:
    db.commit(rec(0))
    raw(db.path, "DROP TABLE logs")
    r = rec(1, log=((0, 0.0, "RunStarted", 2, "{}"),))
    with pytest.raises(StoreError) as caught:
        db.commit(r)
    assert str(caught.value) == (
        f"results database {db.path}: cannot commit run {EXP}/0/on/1/5: no such table: logs; "
        f"{KEPT.format(n=1)}"
    )
    # The run's row was rolled back with its log: only the first run is stored.
    assert db.keys(EXP, status=None) == {rec(0).key}
