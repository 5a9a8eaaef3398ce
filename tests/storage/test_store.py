"""Tests of orgsim.storage.eventstore: runs saved whole, read back identical, tampering detected."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from log_backends import seqs, tiny_log

from orgsim.engine.columnar import canonical_digest
from orgsim.engine.events import (
    MODEL_CHANGED,
    UPCASTERS,
    ConflictRaised,
    Event,
    FeatureShipped,
    RunStarted,
    StageCompleted,
)
from orgsim.engine.log import log_digest, replay
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import fold
from orgsim.errors import EventOrderError, SchemaVersionError, StoreError
from orgsim.scenario.schema import Scenario
from orgsim.storage import eventstore as store_mod
from orgsim.storage.eventstore import STORE_SCHEMA_VERSION, EventStore, RunInfo
from stored_columns import set_field, set_time

HORIZON = 300.0
TIMES = (-1.0, 0.0, 0.5, 1.0, 45.25, 91.0, 150.0, 299.5, HORIZON, 1e9)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return attrs.evolve(Scenario(), horizon=HORIZON)


@pytest.fixture(scope="module")
def runs(scenario: Scenario) -> dict[bool, Run]:
    return {arm: simulate(scenario, seed=7, broker=arm) for arm in (True, False)}


@pytest.fixture(params=[True, False], ids=["broker", "no-broker"])
def run(request: pytest.FixtureRequest, runs: dict[bool, Run]) -> Run:
    return runs[request.param]


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, runs: dict[bool, Run]
) -> Iterator[tuple[EventStore, dict[bool, int]]]:
    """One store holding both arms, for the tests that only read."""
    with EventStore(tmp_path_factory.mktemp("shared") / "events.sqlite") as s:
        yield s, {arm: s.save(r.log, scenario=r.scenario) for arm, r in runs.items()}


@pytest.fixture
def saved(shared: tuple[EventStore, dict[bool, int]], run: Run) -> tuple[EventStore, int]:
    """The shared store and the id of ``run`` in it (read only)."""
    s, ids = shared
    return s, ids[run.scenario.broker.enabled]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.sqlite"


@pytest.fixture
def store(path: Path) -> Iterator[EventStore]:
    with EventStore(path) as s:
        yield s


def floated(events: Any) -> list[Event]:
    """The events as SQLite REAL gives their times back (``0`` becomes ``0.0``)."""
    return [e if type(e.time) is float else attrs.evolve(e, time=float(e.time)) for e in events]


def raw(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run SQL on the store file behind the store's back."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# ------------------------------------------------------------------ round trip


def test_saved_run_reads_back_identical(store: EventStore, run: Run) -> None:
    run_id = store.save(run.log, scenario=run.scenario, metadata={"arm": "x", "n": [1, 2]})
    stored = store.events(run_id)
    assert stored == list(run.log)
    assert [type(e) for e in stored] == [type(e) for e in run.log]
    info = store.run(run_id)
    assert store.runs() == [info]
    head = run.log[0]
    assert isinstance(head, RunStarted)
    assert info == RunInfo(
        run_id=run_id,
        scenario=head.scenario,
        scenario_hash=run.scenario.digest(),
        seed=run.seed,
        replication=run.replication,
        broker=run.scenario.broker.enabled,
        events=len(run.log),
        digest=info.digest,
        created=info.created,
        orgsim_version=head.orgsim_version,
        metadata={"arm": "x", "n": [1, 2]},
    )
    assert info.created.endswith("+00:00")
    assert store.scenario(run_id) == json.loads(json.dumps(run.scenario.to_dict()))
    assert store.verify(run_id)


def test_stored_digest_is_the_digest_of_the_stored_events(store: EventStore, run: Run) -> None:
    run_id = store.save(run.log)
    digest = store.run(run_id).digest
    # The canonical columnar digest, of the events read back and of the columns.
    assert digest == replay(store.events(run_id)).digest()
    assert digest == canonical_digest(store.log(run_id).columns)
    # and the events are those recorded, to the JSON reference digest
    assert log_digest(store.events(run_id)) == log_digest(floated(run.log))


def test_stored_digest_equals_live_digest(store: EventStore, run: Run) -> None:
    run_id = store.save(run.log)
    assert all(type(e.time) is float for e in run.log)
    assert store.run(run_id).digest == run.log.digest()


def test_replay_from_store_equals_live_state(saved: tuple[EventStore, int], run: Run) -> None:
    store, run_id = saved
    assert store.replay(run_id).snapshot() == run.state.snapshot()


@pytest.mark.parametrize("t", TIMES)
def test_state_at_a_time_equals_fold_of_live_events(
    saved: tuple[EventStore, int], run: Run, t: float
) -> None:
    store, run_id = saved
    assert store.replay(run_id, until=t).snapshot() == fold(run.log, until=t).snapshot()


def test_store_reopened_reads_the_same(path: Path, runs: dict[bool, Run]) -> None:
    with EventStore(path) as first:
        ids = {arm: first.save(r.log, scenario=r.scenario) for arm, r in runs.items()}
        before = first.runs()
    with EventStore(path) as second:
        assert second.runs() == before
        for arm, live in runs.items():
            assert second.events(ids[arm]) == list(live.log)
            assert second.verify(ids[arm])
            assert second.scenario(ids[arm]) == json.loads(json.dumps(live.scenario.to_dict()))


def test_two_runs_stay_separate(store: EventStore, runs: dict[bool, Run]) -> None:
    on = store.save(runs[True].log)
    off = store.save(runs[False].log)
    assert on != off
    assert [(i.run_id, i.broker, i.events) for i in store.runs()] == [
        (on, True, len(runs[True].log)),
        (off, False, len(runs[False].log)),
    ]
    assert store.events(on) == list(runs[True].log)
    assert store.events(off) == list(runs[False].log)
    assert store.run(on).digest != store.run(off).digest
    assert store.scenario(on) is None


def test_metadata_defaults_to_empty_and_must_be_json(store: EventStore, run: Run) -> None:
    assert store.run(store.save(run.log)).metadata == {}
    with pytest.raises(StoreError, match="metadata"):
        store.save(run.log, metadata={"bad": object()})
    assert len(store.runs()) == 1


def test_store_uses_wal(path: Path, store: EventStore) -> None:
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]
    assert raw(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(STORE_SCHEMA_VERSION),)
    ]


# --------------------------------------------------------------------- filters


def test_filter_by_type(saved: tuple[EventStore, int], run: Run) -> None:
    store, run_id = saved
    for types in (["ConflictRaised"], ("StageCompleted", "FeatureShipped"), {"RunStarted"}):
        expected = [e for e in run.log if type(e).__name__ in types]
        assert expected
        assert store.events(run_id, types=types) == expected
    assert store.events(run_id, types="ConflictRaised") == [
        e for e in run.log if isinstance(e, ConflictRaised)
    ]
    assert store.events(run_id, types=()) == list(run.log)


def test_filter_by_time(saved: tuple[EventStore, int], run: Run) -> None:
    store, run_id = saved
    odd = next(e.time for e in run.log if e.time > 100 and e.time != int(e.time))
    for start, end in ((0.0, 0.0), (10.0, 20.0), (odd, odd), (299.0, None), (None, 1.0)):
        expected = [
            e
            for e in run.log
            if (start is None or e.time >= start) and (end is None or e.time <= end)
        ]
        assert expected
        assert store.events(run_id, start=start, end=end) == expected
    assert store.events(run_id, start=200.0, end=100.0) == []


def test_filter_by_type_and_time(saved: tuple[EventStore, int], run: Run) -> None:
    store, run_id = saved
    kinds = (StageCompleted, FeatureShipped)
    expected = [e for e in run.log if isinstance(e, kinds) and 50.0 <= e.time <= 60.0]
    assert expected
    names = ["StageCompleted", "FeatureShipped"]
    assert store.events(run_id, types=names, start=50.0, end=60.0) == expected


def test_filter_refuses_unknown_type_and_nan(saved: tuple[EventStore, int], run: Run) -> None:
    store, run_id = saved
    with pytest.raises(StoreError, match="StageCompletd"):
        store.events(run_id, types=["StageCompleted", "StageCompletd"])
    with pytest.raises(ValueError, match="NaN"):
        store.events(run_id, start=float("nan"))


# -------------------------------------------------------------------- tampering


def test_verify_detects_an_edited_row(path: Path, store: EventStore, runs: dict[bool, Run]) -> None:
    on = store.save(runs[True].log)
    off = store.save(runs[False].log)
    assert store.verify(on) and store.verify(off)
    raised = next(e for e in runs[True].log if isinstance(e, ConflictRaised))
    set_field(path, on, raised.seq, "severity", raised.severity + 1.0)
    assert store.events(on)[raised.seq] == attrs.evolve(raised, severity=raised.severity + 1.0)
    assert not store.verify(on)
    assert store.verify(off)


def _later(path: Path, run_id: int) -> None:
    set_time(path, run_id, 100, 0.5, shift=True)


def _junk(path: Path, run_id: int) -> None:
    raw(path, "UPDATE run_columns SET data = X'00' WHERE run_id = ? AND code = 3", run_id)


def _junk_index(path: Path, run_id: int) -> None:
    raw(path, "UPDATE run_logs SET codes = X'0011' WHERE run_id = ?", run_id)


def _deleted(path: Path, run_id: int) -> None:
    raw(path, "DELETE FROM run_columns WHERE run_id = ? AND code = 5", run_id)


def _added(path: Path, run_id: int) -> None:
    raw(
        path,
        "INSERT INTO run_columns SELECT run_id, code + 100, type, version, rows, fields, data "
        "FROM run_columns WHERE run_id = ? AND code = 0",
        run_id,
    )


def _renamed(path: Path, run_id: int) -> None:
    raw(path, "UPDATE run_columns SET type = 'EmployeeLeft' WHERE run_id = ? AND code = 0", run_id)


@pytest.mark.parametrize(
    "tamper",
    [_later, _junk, _junk_index, _deleted, _added, _renamed],
    ids=["time", "junk-data", "junk-index", "deleted", "added", "renamed"],
)
def test_verify_detects_other_tampering(
    path: Path, store: EventStore, run: Run, tamper: Callable[[Path, int], None]
) -> None:
    run_id = store.save(run.log)
    other = store.save(run.log)
    tamper(path, run_id)
    assert not store.verify(run_id)
    assert store.verify(other)


def test_upcast_stored_events_still_verify(
    store: EventStore, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = store.save(run.log)
    monkeypatch.setattr(ConflictRaised, "schema_version", 2)
    monkeypatch.setitem(
        UPCASTERS, ("ConflictRaised", 1), lambda d: {**d, "severity": d["severity"] * 2}
    )
    raised = store.events(run_id, types=["ConflictRaised"])
    live = [e for e in run.log if isinstance(e, ConflictRaised)]
    assert live and all(isinstance(e, ConflictRaised) for e in raised)
    assert [e.severity for e in raised if isinstance(e, ConflictRaised)] == [
        e.severity * 2 for e in live
    ]
    assert store.verify(run_id)


def test_newer_event_schema_in_store_is_refused(path: Path, store: EventStore, run: Run) -> None:
    run_id = store.save(run.log)
    raw(path, "UPDATE run_columns SET version = 99 WHERE run_id = ? AND type = 'RunEnded'", run_id)
    with pytest.raises(SchemaVersionError, match=rf"run {run_id}.*RunEnded v99"):
        store.events(run_id)


def test_out_of_order_store_is_refused_by_replay(path: Path, store: EventStore, run: Run) -> None:
    run_id = store.save(run.log)
    set_time(path, run_id, 50, -1.0)
    # The rows no longer hash to the run's digest: damage, named as such.
    with pytest.raises(StoreError, match=f"damaged: run {run_id}: .*out of order"):
        store.replay(run_id)


# ------------------------------------------------------------------- atomicity


@pytest.mark.parametrize("fail_at", [0, 1, 20])
def test_save_is_one_transaction(
    path: Path, store: EventStore, run: Run, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    """A failure after the run's row and some of its tables are written leaves nothing."""
    calls = 0
    real = store_mod._column_rows

    def failing_rows(run_id: int, stored: Any) -> Iterator[tuple[Any, ...]]:
        nonlocal calls
        for row in real(run_id, stored):
            calls += 1
            if calls > fail_at:
                raise RuntimeError("disk on fire")
            yield row

    monkeypatch.setattr(store_mod, "_column_rows", failing_rows)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.save(run.log)
    assert calls == fail_at + 1
    assert store.runs() == []
    for table in ("runs", "run_logs", "run_columns"):
        assert raw(path, f"SELECT count(*) FROM {table}") == [(0,)]
    monkeypatch.undo()
    run_id = store.save(run.log)  # the store is still usable
    assert store.events(run_id) == list(run.log)


def test_save_refuses_a_log_out_of_order(path: Path, store: EventStore, run: Run) -> None:
    events = list(run.log)
    events[100], events[101] = events[101], events[100]
    with pytest.raises(EventOrderError, match="expected 100"):
        store.save(events)
    late = [*events[:10], attrs.evolve(events[10], time=-5.0), *events[11:]]
    with pytest.raises(EventOrderError, match="before the previous"):
        store.save(late)
    assert raw(path, "SELECT count(*) FROM run_columns") == [(0,)]
    assert store.runs() == []


def test_save_refuses_a_log_without_run_started(store: EventStore, run: Run) -> None:
    with pytest.raises(StoreError, match="nothing"):
        store.save([])
    with pytest.raises(StoreError, match="DepartmentFormed"):
        store.save(list(run.log)[1:])


def test_save_refuses_another_scenario(store: EventStore, runs: dict[bool, Run]) -> None:
    with pytest.raises(StoreError, match="digest"):
        store.save(runs[True].log, scenario=runs[False].scenario)
    assert store.runs() == []


# ----------------------------------------------------------------------- errors


@pytest.mark.parametrize("method", ["run", "events", "replay", "verify", "scenario"])
def test_unknown_run_id(path: Path, store: EventStore, run: Run, method: str) -> None:
    run_id = store.save(run.log)
    with pytest.raises(StoreError, match=f"no run {run_id + 1}") as info:
        getattr(store, method)(run_id + 1)
    assert str(path) in str(info.value)


def test_file_that_is_not_sqlite(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database, just bytes\x00\xff" * 200)
    with pytest.raises(StoreError, match=re.escape("junk.sqlite")) as info:
        EventStore(junk)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_other_sqlite_database_is_not_taken_over(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    raw(other, "CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreError, match="not an orgsim event store"):
        EventStore(other)
    assert raw(other, "SELECT name FROM sqlite_master") == [("accounts",)]


@pytest.mark.parametrize("where", ["missing-dir", "directory"])
def test_path_that_cannot_be_opened(tmp_path: Path, where: str) -> None:
    bad = tmp_path / "no" / "such" / "dir" / "e.sqlite" if where == "missing-dir" else tmp_path
    with pytest.raises(StoreError, match=re.escape(str(bad))) as info:
        EventStore(bad)
    assert info.value.__cause__ is None


def test_newer_store_schema_is_refused(path: Path, run: Run) -> None:
    with EventStore(path) as s:
        s.save(run.log)
    raw(path, "UPDATE meta SET value = ? WHERE key = 'schema_version'", STORE_SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="newer"):
        EventStore(path)


def test_closed_store_raises_store_error(path: Path, run: Run) -> None:
    s = EventStore(path)
    run_id = s.save(run.log)
    s.close()
    s.close()
    with pytest.raises(StoreError, match=re.escape("events.sqlite")):
        s.runs()
    with pytest.raises(StoreError):
        s.save(run.log)
    with EventStore(path) as again:
        assert again.events(run_id) == list(run.log)


# ------------------------------------------------- stores of orgsim 0.1 (issue 10)


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder``: its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def store_of_orgsim_0_1(path: Path) -> Path:
    """A store with one run whose meta table says schema v1, as orgsim 0.1 wrote it."""
    with EventStore(path) as s:
        s.save(tiny_log())
    raw(path, "UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    assert raw(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    return path


@pytest.mark.parametrize("readonly", [True, False], ids=["read", "append"])
def test_a_store_of_orgsim_0_1_is_refused_untouched(tmp_path: Path, readonly: bool) -> None:
    old = store_of_orgsim_0_1(tmp_path / "old.sqlite")
    before = files(tmp_path)
    assert list(before) == ["old.sqlite"]  # no -wal or -shm left behind by the setup
    with pytest.raises(StoreError) as caught:
        EventStore(old, readonly=readonly)
    message = str(caught.value)
    assert message.startswith(f"event store {str(old)!r} (schema v1) cannot be read or appended")
    for fragment in (
        "it was written by an older orgsim",
        "0.1: daily work ticks",
        "this orgsim no longer runs",
        "rerun the scenario",
        "with a new --db path",
        "this file is left as it is",
    ):
        assert fragment in message, fragment
    assert "\n" not in message
    assert caught.value.__cause__ is None
    assert files(tmp_path) == before  # same bytes, same mtime, nothing beside it


def test_a_store_of_this_model_still_opens(tmp_path: Path) -> None:
    """The refusal is of v1 only: the same file at v2 reads its run back."""
    old = store_of_orgsim_0_1(tmp_path / "old.sqlite")
    raw(old, "UPDATE meta SET value = ? WHERE key = 'schema_version'", STORE_SCHEMA_VERSION)
    with EventStore(old, readonly=True) as s:
        assert s.events(1) == tiny_log()


def test_a_retired_event_in_a_store_is_named_not_a_crash(
    path: Path, cli: Callable[[list[str]], int], one_line_error: Callable[[int], str]
) -> None:
    with EventStore(path) as s:
        run_id = s.save(tiny_log())
    # seq 5 is the log's one QuarterStarted: its table becomes one of DayWorked, v1
    raw(
        path,
        "UPDATE run_columns SET type = 'DayWorked', version = 1 WHERE run_id = ? AND type = ?",
        run_id,
        "QuarterStarted",
    )
    expected = (
        f"{str(path)!r}, run {run_id}: event DayWorked at seq 5 is retired (work is no longer "
        f"allocated in daily ticks): {MODEL_CHANGED}"
    )
    assert expected.endswith(MODEL_CHANGED)
    with EventStore(path, readonly=True) as s:
        for read in (s.events, s.replay):
            with pytest.raises(SchemaVersionError) as caught:
                read(run_id)
            assert str(caught.value) == expected
            assert caught.value.__cause__ is None
        # Only the retired row is unreadable: a query that does not reach it reads.
        assert seqs(s.events(run_id, types=["ConflictRaised"])) == [7, 8]
        assert seqs(s.events(run_id, start=10.0)) == [7, 8, 9, 10, 11, 12, 13]
        with pytest.raises(StoreError) as refused:
            s.events(run_id, types=["ConflictRaised", "DayWorked"])
        assert str(refused.value) == (
            "event type 'DayWorked' is retired (work is no longer allocated in daily ticks): "
            "no log of this orgsim holds it"
        )
    line = one_line_error(cli(["events", str(path), "--run", str(run_id)]))
    assert line == f"orgsim: error: {expected}"


def test_an_event_of_orgsim_0_1_in_a_store_is_named_not_a_crash(path: Path) -> None:
    """A version-1 row of an event that changed in 0.2: no upcaster, so refused by seq."""
    with EventStore(path) as s:
        run_id = s.save(tiny_log())
    # seq 1 and 2 are the log's DepartmentFormed: their table is stamped v1
    raw(
        path,
        "UPDATE run_columns SET version = 1 WHERE run_id = ? AND type = ?",
        run_id,
        "DepartmentFormed",
    )
    with EventStore(path, readonly=True) as s, pytest.raises(SchemaVersionError) as caught:
        s.events(run_id)
    assert str(caught.value) == (
        f"{str(path)!r}, run {run_id}: DepartmentFormed v1 at seq 1 cannot be upcast to v3: "
        "it was written by an older orgsim (0.1: daily work ticks; 0.2: size set by hand, "
        "not by structure), whose model this orgsim no longer runs; rerun the scenario to "
        "get a log of this model"
    )
