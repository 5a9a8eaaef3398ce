"""EventStore by value: rows, filters, refusals and damage, each with its exact answer.

Every test saves ``tiny_log()`` (14 events, seq 0-13; see log_backends.py) in a fresh
file under ``tmp_path`` and checks what the store, or the raw SQLite rows, hold.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from log_backends import TINY_COLUMNS_DIGEST, seqs, tiny_log

from orgsim.engine.columnar import layout
from orgsim.engine.events import EVENT_TYPES, MODEL_CHANGED
from orgsim.errors import EventOrderError, StoreError
from orgsim.scenario.schema import Scenario
from orgsim.storage.columns_codec import fields_text, pack, unpack
from orgsim.storage.eventstore import EventStore
from stored_columns import rewrite_digest, set_field, set_time


def raw(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run SQL on the store file behind the store's back."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def saved(tmp_path: Path) -> Path:
    """A store file holding tiny_log() as run 1, closed."""
    path = tmp_path / "events.sqlite"
    with EventStore(path) as store:
        assert store.save(tiny_log()) == 1
    return path


def damaged(path: Path, what: str) -> str:
    return f"event store {str(path)!r} is damaged: run 1: {what}"


# ------------------------------------------------------------------ opening


def test_the_default_busy_timeout_is_5_seconds(tmp_path: Path) -> None:
    # sqlite3.connect(timeout=s) sets SQLite's busy timeout to s * 1000 ms.
    with EventStore(tmp_path / "a.sqlite") as store:
        assert store._conn.execute("PRAGMA busy_timeout").fetchone() == (5000,)
    with EventStore(tmp_path / "b.sqlite", timeout=0.25) as store:
        assert store._conn.execute("PRAGMA busy_timeout").fetchone() == (250,)


def test_a_readonly_store_refuses_a_save_and_leaves_no_file_beside(tmp_path: Path) -> None:
    path = saved(tmp_path)
    with EventStore(path, readonly=True) as store:
        assert store.readonly is True
        with pytest.raises(StoreError) as caught:
            store.save(tiny_log())
        assert str(caught.value) == (
            f"event store {str(path)!r}: cannot save a run: attempt to write a readonly "
            "database; nothing of this run was written; the 1 run(s) stored before are kept"
        )
        assert [e.seq for e in store.events(1)] == list(range(14))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.sqlite"]


def test_a_live_readonly_store_reads_through_sqlites_shared_memory(tmp_path: Path) -> None:
    # Without the immutable shortcut SQLite opens the WAL index, creating the -shm file.
    path = saved(tmp_path)
    with EventStore(path, readonly=True, live=True) as store:
        assert len(store.events(1)) == 14
        assert (tmp_path / "events.sqlite-shm").exists()


def empty_sqlite(path: Path, *tables: str) -> Path:
    """A valid SQLite file with these tables (none: a header page only)."""
    raw(path, "PRAGMA user_version = 7")  # writes page 1
    for name in tables:
        raw(path, f"CREATE TABLE {name} (x)")
    assert path.stat().st_size > 0
    return path


def test_reading_an_sqlite_file_without_tables_is_refused_naming_none(tmp_path: Path) -> None:
    path = empty_sqlite(tmp_path / "blank.sqlite")
    with pytest.raises(StoreError) as caught:
        EventStore(path, readonly=True)
    assert str(caught.value) == (
        f"{str(path)!r} is an SQLite database but not an orgsim event store (tables: none)"
    )


def test_reading_another_database_names_its_tables_sorted(tmp_path: Path) -> None:
    path = empty_sqlite(tmp_path / "other.sqlite", "zeta", "alpha")
    with pytest.raises(StoreError) as caught:
        EventStore(path, readonly=True)
    assert str(caught.value) == (
        f"{str(path)!r} is an SQLite database but not an orgsim event store (tables: alpha, zeta)"
    )


def test_writing_to_another_database_names_its_tables_sorted(tmp_path: Path) -> None:
    path = empty_sqlite(tmp_path / "other.sqlite", "zeta", "alpha")
    with pytest.raises(StoreError) as caught:
        EventStore(path)
    assert str(caught.value) == (
        f"{str(path)!r} is an SQLite database but not an orgsim event store (tables: alpha, zeta)"
    )
    assert raw(path, "SELECT name FROM sqlite_master ORDER BY name") == [("alpha",), ("zeta",)]


def test_a_meta_table_without_the_version_is_refused(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "DELETE FROM meta WHERE key = 'schema_version'")
    with pytest.raises(StoreError) as caught:
        EventStore(path)
    assert str(caught.value) == f"{str(path)!r} has a meta table but no store schema version"


def test_a_store_of_schema_v4_is_refused_as_newer(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with pytest.raises(StoreError) as caught:
        EventStore(path, readonly=True)
    assert str(caught.value) == (
        f"event store {str(path)!r} has schema v4, newer than this orgsim reads (v3); "
        "upgrade orgsim"
    )


def test_a_store_of_schema_v1_is_refused_with_the_model_change(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(StoreError) as caught:
        EventStore(path)
    assert str(caught.value) == (
        f"event store {str(path)!r} (schema v1) cannot be read or appended to: "
        f"{MODEL_CHANGED}, with a new --db path (this file is left as it is)"
    )


# ------------------------------------------------------------------ saving


#: tiny_log()'s tables in order of first appearance: (type, schema version, rows).
TINY_TABLES = [
    ("RunStarted", 3, 1),
    ("DepartmentFormed", 3, 2),
    ("EmployeeHired", 2, 3),
    ("QuarterStarted", 1, 1),
    ("ConflictRaised", 1, 2),
    ("ConflictDetected", 1, 1),
    ("NegotiationStarted", 1, 1),
    ("EmployeeLeft", 1, 1),
    ("ConflictResolved", 1, 1),
    ("RunEnded", 1, 1),
]


def test_a_saved_run_is_one_runs_row_a_log_row_and_a_row_per_event_type(tmp_path: Path) -> None:
    path = saved(tmp_path)
    # RunStarted of tiny_log: scenario "contract", hash "h", seed 5, replication 1,
    # no broker, orgsim "test"; no scenario or metadata given.
    assert raw(
        path,
        "SELECT run_id, scenario, scenario_hash, seed, replication, broker, events, digest, "
        "orgsim_version, scenario_json, metadata_json FROM runs",
    ) == [(1, "contract", "h", 5, 1, 0, 14, TINY_COLUMNS_DIGEST, "test", None, "{}")]
    ((run_id, n_tables, codes, strings),) = raw(path, "SELECT * FROM run_logs")
    assert (run_id, n_tables) == (1, 10)
    # seq 0 RunStarted, 1-2 DepartmentFormed, 3-4 hires, 5 quarter, 6 hire, 7-8 raised, ...
    assert list(unpack(codes)) == [0, 1, 1, 2, 2, 3, 2, 4, 4, 5, 6, 7, 8, 9]
    assert json.loads(unpack(strings)) == [
        *("contract", "h", "build", "sell", "eng", "sales", "test"),
        *("poaching", "initiator", "surfaced", "negotiation"),
    ]
    rows = raw(path, "SELECT run_id, code, type, version, rows, fields FROM run_columns")
    assert rows == [
        (1, code, name, version, n, fields_text(layout(EVENT_TYPES[name])))
        for code, (name, version, n) in enumerate(TINY_TABLES)
    ]
    assert [(n, v) for n, v, _ in TINY_TABLES] == [
        (n, EVENT_TYPES[n].schema_version) for n, _, _ in TINY_TABLES
    ]
    with EventStore(path, readonly=True) as store:
        assert store.events(1) == tiny_log()
        info = store.run(1)
        assert (info.run_id, info.events, info.digest, info.broker) == (
            1,
            14,
            TINY_COLUMNS_DIGEST,
            False,
        )
        assert store.runs() == [info]
        assert store.scenario(1) is None


def test_metadata_is_stored_with_sorted_keys(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    with EventStore(path) as store:
        store.save(tiny_log(), metadata={"b": 1, "a": [2]})
        assert store.run(1).metadata == {"a": [2], "b": 1}
    assert raw(path, "SELECT metadata_json FROM runs") == [('{"a": [2], "b": 1}',)]


def test_an_empty_log_is_refused_as_starting_with_nothing(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    with EventStore(path) as store:
        with pytest.raises(StoreError) as caught:
            store.save([])
        assert str(caught.value) == (
            f"cannot save to {str(path)!r}: the log starts with nothing, not RunStarted"
        )
        with pytest.raises(StoreError) as caught:
            store.save(tiny_log()[1:])
        assert str(caught.value) == (
            f"cannot save to {str(path)!r}: the log starts with DepartmentFormed, not RunStarted"
        )


def test_a_scenario_that_is_not_the_logs_is_refused_by_digest(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    scenario = Scenario()
    with EventStore(path) as store:
        with pytest.raises(StoreError) as caught:
            store.save(tiny_log(), scenario=scenario)
        assert str(caught.value) == (
            f"cannot save to {str(path)!r}: scenario 'midsize' has digest {scenario.digest()}, "
            "but the log was produced by h (pass run.scenario, which includes the broker "
            "override)"
        )
        assert store.runs() == []


# ------------------------------------------------------------------ reading


def test_events_filtered_by_type_and_time_are_the_expected_seqs(tmp_path: Path) -> None:
    path = saved(tmp_path)
    with EventStore(path, readonly=True) as store:
        # Raised at 10.0 (seq 7, 8), EmployeeLeft at 20.0 (seq 11).
        assert seqs(store.events(1, types=("ConflictRaised", "EmployeeLeft"))) == [7, 8, 11]
        # Both bounds inclusive: 10.0 <= t <= 20.0 is seq 7-11.
        assert seqs(store.events(1, start=10.0, end=20.0)) == [7, 8, 9, 10, 11]
        # Hires at 0.0 (3, 4) and 2.5 (6); from 2.5 on only seq 6.
        assert seqs(store.events(1, types="EmployeeHired", start=2.5)) == [6]
        assert seqs(store.events(1, end=0.0)) == [0, 1, 2, 3, 4, 5]
        assert seqs(store.events(1, start=40.0)) == [13]
        assert store.events(1, start=40.5) == []


def test_two_unknown_types_are_named_comma_separated(tmp_path: Path) -> None:
    with EventStore(saved(tmp_path), readonly=True) as store:
        with pytest.raises(StoreError) as caught:
            store.events(1, types=("Foo", "ConflictRaised", "Bar"))
        assert str(caught.value) == "unknown event type(s) 'Foo', 'Bar'"


@pytest.mark.parametrize("label", ["start", "end"])
def test_a_nan_bound_is_refused_by_its_name(tmp_path: Path, label: str) -> None:
    with EventStore(saved(tmp_path), readonly=True) as store:
        with pytest.raises(ValueError) as caught:
            store.events(1, **{label: float("nan")})
        assert str(caught.value) == f"{label} must be a number, not NaN"


def test_a_missing_runs_table_is_named_by_each_read(tmp_path: Path) -> None:
    path = saved(tmp_path)
    with EventStore(path) as store:
        raw(path, "DROP TABLE runs")
        prefix = f"event store {str(path)!r}: cannot"
        with pytest.raises(StoreError) as caught:
            store.runs()
        assert str(caught.value) == f"{prefix} list runs: no such table: runs"
        with pytest.raises(StoreError) as caught:
            store.run(1)
        assert str(caught.value) == f"{prefix} read run 1: no such table: runs"
        with pytest.raises(StoreError) as caught:
            store.scenario(1)
        assert str(caught.value) == f"{prefix} read run 1: no such table: runs"


def test_a_provenance_row_that_does_not_read_is_damage_naming_the_file(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "UPDATE runs SET metadata_json = 'not json' WHERE run_id = 1")
    expected = damaged(
        path, "its provenance row does not read (Expecting value: line 1 column 1 (char 0))"
    )
    with EventStore(path, readonly=True) as store:
        with pytest.raises(StoreError) as caught:
            store.runs()
        assert str(caught.value) == expected
        with pytest.raises(StoreError) as caught:
            store.run(1)
        assert str(caught.value) == expected


def test_a_saved_scenario_that_is_not_json_is_damage(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "UPDATE runs SET scenario_json = '{bad' WHERE run_id = 1")
    with EventStore(path, readonly=True) as store, pytest.raises(StoreError) as caught:
        store.scenario(1)
    assert str(caught.value) == damaged(
        path,
        "its saved scenario is not JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))",
    )


# ------------------------------------------------------------------ damaged rows


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("version", "abc", "code 2, version 'abc', rows 3"),
        ("rows", 2.5, "code 2, version 2, rows 2.5"),
        ("code", "x", "code 'x', version 2, rows 3"),
    ],
)
def test_a_table_number_that_is_not_a_number_is_named_with_the_table(
    tmp_path: Path, column: str, value: object, shown: str
) -> None:
    path = saved(tmp_path)
    raw(path, f"UPDATE run_columns SET {column} = ? WHERE run_id = 1 AND code = 2", value)
    with EventStore(path, readonly=True) as store, pytest.raises(StoreError) as caught:
        store.events(1)
    # code 2 is EmployeeHired, event schema v2, three rows.
    assert str(caught.value) == damaged(
        path,
        "the table of 'EmployeeHired' has a code, schema version or number of rows "
        f"that is not a number ({shown})",
    )


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x00\x11", "a buffer of 2 bytes is shorter than its frame"),
        ("text", "a buffer is stored as str, not bytes"),
        (pack(b"\x00" * 8), "a table's buffer ends after 8 bytes, short of 16"),
        (pack(b"\x00" * 17), "a table's buffer holds 1 bytes after its columns"),
        (pack(b"\x00" * 70)[:-1] + b"?", "a buffer does not match its checksum"),
    ],
    ids=["short", "text", "too-few", "too-many", "checksum"],
)
def test_a_buffer_that_does_not_read_is_named_by_its_type(
    tmp_path: Path, data: object, why: str
) -> None:
    path = saved(tmp_path)
    # code 7 is EmployeeLeft: one row, its time (8 bytes) and employee (8 bytes).
    raw(path, "UPDATE run_columns SET data = ? WHERE run_id = 1 AND code = 7", data)
    with EventStore(path, readonly=True) as store:
        with pytest.raises(StoreError) as caught:
            store.events(1)
        assert str(caught.value) == damaged(
            path, f"the columns of EmployeeLeft do not read ({why})"
        )
        assert store.verify(1) is False
        assert seqs(store.events(1, types="ConflictRaised")) == [7, 8]  # the rest reads


def test_an_index_that_does_not_read_is_damage(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "UPDATE run_logs SET strings = ? WHERE run_id = 1", pack(b'{"a": 1}'))
    with EventStore(path, readonly=True) as store, pytest.raises(StoreError) as caught:
        store.events(1)
    assert str(caught.value) == damaged(path, "its string table is not a list of strings")
    raw(path, "UPDATE run_logs SET codes = X'01' WHERE run_id = 1")
    with EventStore(path, readonly=True) as store, pytest.raises(StoreError) as caught:
        store.events(1)
    assert str(caught.value) == damaged(
        path,
        "its index of positions does not read (a buffer of 1 bytes is shorter than its frame)",
    )


def test_stored_fields_that_are_not_the_types_are_damage(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "UPDATE run_columns SET fields = 'worker:q' WHERE run_id = 1 AND code = 7")
    with EventStore(path, readonly=True) as store, pytest.raises(StoreError) as caught:
        store.events(1)
    assert str(caught.value) == damaged(
        path,
        "the table of EmployeeLeft has fields 'worker:q', not those of EmployeeLeft v1 "
        "('employee:q')",
    )


def test_verify_is_true_when_intact_and_false_after_one_row_changes(tmp_path: Path) -> None:
    path = saved(tmp_path)
    with EventStore(path, readonly=True) as store:
        assert store.verify(1) is True
    set_time(path, 1, 6, 2.75)
    with EventStore(path, readonly=True) as store:
        assert store.verify(1) is False
        assert store.events(1, types="EmployeeHired", start=2.6)[0].time == 2.75


def test_an_altered_id_that_breaks_the_fold_is_damage(tmp_path: Path) -> None:
    path = saved(tmp_path)
    # seq 11: EmployeeLeft of employee 0 becomes of employee 99, never hired.
    set_field(path, 1, 11, "employee", 99)
    with EventStore(path, readonly=True) as store, pytest.raises(StoreError) as caught:
        store.replay(1)
    assert str(caught.value) == damaged(
        path, "its stored log was altered and cannot be replayed (99)"
    )


def test_an_out_of_order_log_whose_digest_matches_names_file_and_run(tmp_path: Path) -> None:
    path = saved(tmp_path)
    # seq 6 moved from 2.5 to 11.0, after seq 7's 10.0; the digest rewritten to match.
    set_time(path, 1, 6, 11.0)
    rewrite_digest(path, 1)
    with EventStore(path, readonly=True) as store:
        assert store.verify(1) is True
        with pytest.raises(EventOrderError) as caught:
            store.replay(1)
    assert str(caught.value) == (
        f"{str(path)!r}, run 1: event ConflictRaised at seq 7 has time 10.0, "
        "before the previous event's 11.0"
    )


def test_a_run_with_every_table_deleted_is_damage(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "DELETE FROM run_columns WHERE run_id = 1")
    with EventStore(path, readonly=True) as store, pytest.raises(StoreError) as caught:
        store.events(1)
    assert str(caught.value) == damaged(
        path,
        "it was saved with 14 events in 10 tables, but 14 positions and 0 tables remain, "
        "with 0 rows",
    )


def test_a_run_with_renumbered_tables_is_damage(tmp_path: Path) -> None:
    path = saved(tmp_path)
    # Two steps, so no row ever takes a code another still holds: 0-9 -> 1000-1009 -> 1-10.
    raw(path, "UPDATE run_columns SET code = code + 1000 WHERE run_id = 1")
    raw(path, "UPDATE run_columns SET code = code - 999 WHERE run_id = 1")
    with EventStore(path, readonly=True) as store, pytest.raises(StoreError) as caught:
        store.events(1, types="RunEnded")
    assert str(caught.value) == damaged(
        path,
        "it was saved with 14 events in 10 tables, but 14 positions and 10 tables remain, "
        "with 14 rows",
    )


def test_a_run_whose_log_row_is_gone_is_damage(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "DELETE FROM run_logs WHERE run_id = 1")
    with EventStore(path, readonly=True) as store:
        with pytest.raises(StoreError) as caught:
            store.log(1)
        assert str(caught.value) == damaged(
            path, "it was saved with 14 events, but its log is gone"
        )
        assert store.verify(1) is False


def test_a_run_recorded_with_no_events_and_holding_none_is_consistent(tmp_path: Path) -> None:
    path = saved(tmp_path)
    raw(path, "DELETE FROM run_columns WHERE run_id = 1")
    raw(
        path,
        "UPDATE run_logs SET tables = 0, codes = ?, strings = ? WHERE run_id = 1",
        pack(b""),
        pack(b"[]"),
    )
    raw(path, "UPDATE runs SET events = 0 WHERE run_id = 1")
    with EventStore(path, readonly=True) as store:
        assert store.events(1) == []
        assert len(store.log(1)) == 0


# ------------------------------------------------------------------ integrity


def test_integrity_of_a_sound_store_is_empty(tmp_path: Path) -> None:
    with EventStore(saved(tmp_path), readonly=True) as store:
        assert store.integrity() == []


def test_integrity_of_a_store_too_damaged_to_check_is_sqlites_reason(tmp_path: Path) -> None:
    path = saved(tmp_path)
    ((root,),) = raw(path, "SELECT rootpage FROM sqlite_master WHERE name = 'runs'")
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    data[(root - 1) * page_size] = 0xFF  # the runs table's root page: no b-tree page type
    path.write_bytes(bytes(data))
    with EventStore(path, readonly=True) as store:
        assert store.integrity() == ["database disk image is malformed"]


# ------------------------------------------------- a table or column gone from the file

KEPT = "; nothing of this run was written; the 1 run(s) stored before are kept"


@pytest.mark.parametrize(
    ("alteration", "expected"),
    [
        # No runs table: the count of runs kept cannot be taken either, so it is left out.
        ("DROP TABLE runs", "cannot save a run: no such table: runs"),
        (
            "ALTER TABLE runs RENAME COLUMN created TO made",
            f"cannot save a run: table runs has no column named created{KEPT}",
        ),
        (
            "ALTER TABLE run_columns RENAME TO old_columns",
            f"cannot save a run: no such table: run_columns{KEPT}",
        ),
        # run_id is not among the inserted columns: only the final UPDATE of the row fails.
        (
            "ALTER TABLE runs RENAME COLUMN run_id TO id",
            f"cannot save a run: no such column: run_id{KEPT}",
        ),
    ],
    ids=["no-runs", "no-created", "no-events", "no-run-id"],
)
def test_a_save_into_an_altered_file_names_what_is_missing(
    tmp_path: Path, alteration: str, expected: str
) -> None:
    path = saved(tmp_path)
    with EventStore(path) as store:
        raw(path, alteration)
        with pytest.raises(StoreError) as caught:
            store.save(tiny_log())
    assert str(caught.value) == f"event store {str(path)!r}: {expected}"


@pytest.mark.parametrize(
    ("alteration", "method", "expected"),
    [
        ("DROP TABLE runs", "events", "cannot read run 1: no such table: runs"),
        ("DROP TABLE run_columns", "events", "cannot read run 1: no such table: run_columns"),
        ("DROP TABLE run_logs", "events", "cannot read run 1: no such table: run_logs"),
        (
            "ALTER TABLE run_columns RENAME COLUMN data TO payload",
            "events",
            "cannot read the events of run 1: no such column: data",
        ),
        (
            "ALTER TABLE run_columns RENAME COLUMN data TO payload",
            "verify",
            "cannot read the events of run 1: no such column: data",
        ),
        (
            "ALTER TABLE run_columns RENAME COLUMN run_id TO run",
            "verify",
            "cannot read the events of run 1: no such column: run_id",
        ),
    ],
    ids=[
        "events-no-runs",
        "events-no-columns",
        "events-no-logs",
        "events-no-data",
        "verify-no-data",
        "verify-no-run",
    ],
)
def test_a_read_of_an_altered_file_names_what_is_missing(
    tmp_path: Path, alteration: str, method: str, expected: str
) -> None:
    path = saved(tmp_path)
    with EventStore(path) as store:
        raw(path, alteration)
        with pytest.raises(StoreError) as caught:
            getattr(store, method)(1)
    assert str(caught.value) == f"event store {str(path)!r}: {expected}"
