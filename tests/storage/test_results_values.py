"""ResultsDB by value: every stored column, provenance row, filter and failure message exactly."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import orgsim
from builders import RUN_COLUMNS
from orgsim.errors import StoreError
from orgsim.storage.provenance import versions
from orgsim.storage.results import ResultsDB, RunRecord

EXP = "sweep:t:h:1"
#: json.loads' reason for a value that is not JSON at all.
NOT_JSON = "is not valid JSON (Expecting value: line 1 column 1 (char 0))"
#: What a failed write of ResultsDB adds after its reason, with N runs stored.
KEPT = "the {n} run(s) committed before are kept (free space, then rerun to resume)"


def rec(
    point: int = 0,
    arm: str = "on",
    replication: int = 0,
    seed: int = 11,
    *,
    experiment: str = EXP,
    status: str = "ok",
    events: int = 9,
    elapsed: float = 0.5,
) -> RunRecord:
    return RunRecord(
        experiment=experiment,
        scenario_hash="h",
        point=point,
        arm=arm,
        replication=replication,
        seed=seed,
        status=status,
        events=events,
        elapsed=elapsed,
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ResultsDB]:
    with ResultsDB(tmp_path / "results.sqlite") as handle:
        yield handle


def raw(db: ResultsDB, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Run SQL on the file through a second connection (committed at once)."""
    con = sqlite3.connect(db.path, isolation_level=None)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


# ------------------------------------------------------------------ a record, field by field

FULL = RunRecord(
    experiment=EXP,
    scenario_hash="d1g35t",
    point=3,
    arm="off",
    replication=2,
    seed=12345,
    params={"z.last": 2.5, "a.first": 4},
    status="ok",
    metrics={"value": 10.25, "lead": math.nan, "wip": math.inf},
    quarterly={"value": [1.0, math.nan, 3.5]},
    funnel={"raised": 5, "resolved": 2},
    error="",
    events=77,
    elapsed=1.75,
)


def test_every_column_is_stored_as_written(db: ResultsDB) -> None:
    assert db.commit(FULL) is True
    (row,) = raw(
        db,
        "SELECT key, experiment, scenario_hash, point, arm, replication, seed, params_json,"
        " status, metrics_json, quarterly_json, funnel_json, error, events, elapsed FROM runs",
    )
    assert row == (
        f"{EXP}/3/off/2/12345",
        EXP,
        "d1g35t",
        3,
        "off",
        2,
        12345,
        '{"a.first": 4, "z.last": 2.5}',  # parameters sorted by path
        "ok",
        '{"value": 10.25, "lead": null, "wip": null}',  # NaN and inf as null, order kept
        '{"value": [1.0, null, 3.5]}',
        '{"raised": 5, "resolved": 2}',
        "",
        77,
        1.75,
    )


def test_a_record_reads_back_field_by_field(db: ResultsDB) -> None:
    db.commit(FULL)
    (got,) = db.records(EXP)
    assert got.key == f"{EXP}/3/off/2/12345"
    assert (got.experiment, got.scenario_hash) == (EXP, "d1g35t")
    assert (got.point, got.arm, got.replication, got.seed) == (3, "off", 2, 12345)
    assert got.params == {"a.first": 4, "z.last": 2.5}
    assert got.status == "ok"
    # null reads back as NaN: both the NaN and the infinity come back NaN.
    assert list(got.metrics) == ["value", "lead", "wip"]
    assert got.metrics["value"] == 10.25
    assert math.isnan(got.metrics["lead"]) and math.isnan(got.metrics["wip"])
    assert list(got.quarterly) == ["value"]
    q = got.quarterly["value"]
    assert q[0] == 1.0 and math.isnan(q[1]) and q[2] == 3.5 and len(q) == 3
    assert got.funnel == {"raised": 5, "resolved": 2}
    assert (got.error, got.events, got.elapsed) == ("", 77, 1.75)
    assert got.log is None


def test_zero_events_and_zero_elapsed_read_back_as_zero(db: ResultsDB) -> None:
    db.commit(rec(events=0, elapsed=0.0))
    (got,) = db.records(EXP)
    assert got.events == 0
    assert got.elapsed == 0.0


def test_null_columns_read_back_as_empty_values(db: ResultsDB) -> None:
    # Every nullable column set to NULL: JSON columns read as {}, error "", counts 0.
    db.commit(FULL)
    raw(
        db,
        "UPDATE runs SET metrics_json = NULL, quarterly_json = NULL, funnel_json = NULL,"
        " error = NULL, events = NULL, elapsed = NULL",
    )
    (got,) = db.records(EXP)
    assert got.metrics == {}
    assert got.quarterly == {}
    assert got.funnel == {}
    assert got.error == ""
    assert got.events == 0
    assert got.elapsed == 0.0
    assert got.params == {"a.first": 4, "z.last": 2.5}  # not null: untouched


def test_a_failed_run_keeps_its_traceback(db: ResultsDB) -> None:
    failed = RunRecord(
        experiment=EXP,
        scenario_hash="h",
        point=0,
        arm="on",
        replication=0,
        seed=1,
        status="failed",
        error="Traceback\nValueError: x",
    )
    db.commit(failed)
    (got,) = db.records(EXP)
    assert (got.status, got.error, got.metrics, got.events) == (
        "failed",
        "Traceback\nValueError: x",
        {},
        0,
    )


# ------------------------------------------------------------------ damaged values


COLUMNS = ["params_json", "metrics_json", "quarterly_json", "funnel_json"]


@pytest.mark.parametrize("column", COLUMNS)
def test_a_column_that_is_not_json_is_named(db: ResultsDB, column: str) -> None:
    db.commit(rec())
    raw(db, f"UPDATE runs SET {column} = 'garbage'")
    with pytest.raises(StoreError) as caught:
        db.records(EXP)
    assert str(caught.value) == (
        f"results database {db.path} is damaged: run {rec().key}: {column} {NOT_JSON}"
    )


@pytest.mark.parametrize("column", COLUMNS)
def test_a_column_of_invalid_utf8_is_named(db: ResultsDB, column: str) -> None:
    db.commit(rec())
    raw(db, f"UPDATE runs SET {column} = X'FF'")
    with pytest.raises(StoreError) as caught:
        db.records(EXP)
    assert str(caught.value) == (
        f"results database {db.path} is damaged: run {rec().key}: {column} holds invalid UTF-8"
    )


def test_a_damaged_kept_log_is_named(db: ResultsDB) -> None:
    r = attrs.evolve(rec(), log=((0, 0.0, "RunStarted", 2, "{}"),))
    db.commit(r)
    raw(db, "UPDATE logs SET events_json = '[['")
    with pytest.raises(StoreError) as caught:
        db.log(r.key)
    assert str(caught.value).startswith(
        f"results database {db.path} is damaged: run {r.key}: logs.events_json is not valid JSON ("
    )


def test_a_kept_log_reads_back_exactly(db: ResultsDB) -> None:
    rows = ((0, 0.0, "RunStarted", 2, "{}"), (1, 3.5, "RunEnded", 1, '{"a": 1}'))
    r = attrs.evolve(rec(), log=rows)
    db.commit(r)
    assert raw(db, "SELECT key, events_json FROM logs") == [
        (r.key, '[[0, 0.0, "RunStarted", 2, "{}"], [1, 3.5, "RunEnded", 1, "{\\"a\\": 1}"]]')
    ]
    assert db.log(r.key) == [[0, 0.0, "RunStarted", 2, "{}"], [1, 3.5, "RunEnded", 1, '{"a": 1}']]


# ------------------------------------------------------------------ keys, records, failures


def three(db: ResultsDB) -> tuple[RunRecord, RunRecord, RunRecord]:
    ok = rec(0, "on", 0)
    bad = rec(0, "on", 1, status="failed")
    other = rec(0, "on", 0, experiment="other", status="failed")
    for r in (ok, bad, other):
        db.commit(r)
    return ok, bad, other


def test_keys_by_status(db: ResultsDB) -> None:
    ok, bad, _ = three(db)
    assert db.keys(EXP) == {f"{EXP}/0/on/0/11"} == {ok.key}
    assert db.keys(EXP, status="failed") == {f"{EXP}/0/on/1/11"} == {bad.key}
    assert db.keys(EXP, status=None) == {ok.key, bad.key}
    assert db.keys("other") == set()
    assert db.keys("other", status="failed") == {"other/0/on/0/11"}


def test_records_are_in_canonical_order_whatever_the_commit_order(db: ResultsDB) -> None:
    # Sorted by experiment, then point, arm, replication, seed.
    written = [
        rec(1, "off", 0, 5),
        rec(0, "on", 0, 5),
        rec(0, "off", 1, 5),
        rec(0, "off", 0, 9),
        rec(0, "off", 0, 5),
        rec(0, "on", 0, 5, experiment="a-first"),
    ]
    for r in written:
        db.commit(r)
    assert [(r.experiment, r.point, r.arm, r.replication, r.seed) for r in db.records()] == [
        ("a-first", 0, "on", 0, 5),
        (EXP, 0, "off", 0, 5),
        (EXP, 0, "off", 0, 9),
        (EXP, 0, "off", 1, 5),
        (EXP, 0, "on", 0, 5),
        (EXP, 1, "off", 0, 5),
    ]
    assert [r.key for r in db.records(EXP)] == [
        f"{EXP}/0/off/0/5",
        f"{EXP}/0/off/0/9",
        f"{EXP}/0/off/1/5",
        f"{EXP}/0/on/0/5",
        f"{EXP}/1/off/0/5",
    ]
    assert [r.key for r in db.records("a-first")] == ["a-first/0/on/0/5"]
    assert db.records("none") == []


def test_forget_failures_removes_exactly_the_failed_runs_of_the_experiment(db: ResultsDB) -> None:
    ok, _bad, other = three(db)
    db.commit(rec(0, "off", 3, status="crashed"))  # any status but "ok" is a failure
    assert db.forget_failures(EXP) == 2
    assert [r.key for r in db.records()] == [other.key, ok.key]  # "other" < "sweep"
    assert db.forget_failures(EXP) == 0


# ------------------------------------------------------------------ provenance


def test_a_provenance_row_has_exactly_these_keys_and_values(db: ResultsDB) -> None:
    db.record_provenance(
        experiment=EXP,
        kind="sweep",
        scenario={"name": "tiny", "horizon": 10.0, "broker": {"on": True}},
        scenario_hash="abc123",
        settings={"runs": 2, "alpha": math.nan},
        command=["orgsim", "sweep", "g.toml"],
    )
    (p,) = db.provenance()
    assert sorted(p) == sorted(
        [
            "id",
            "created",
            "experiment",
            "kind",
            "command",
            "orgsim_version",
            "scenario_hash",
            "versions",
            "scenario",
            "settings",
        ]
    )
    assert p["id"] == 1
    assert p["experiment"] == EXP
    assert p["kind"] == "sweep"
    assert p["command"] == "orgsim sweep g.toml"
    assert p["orgsim_version"] == orgsim.__version__
    assert p["scenario_hash"] == "abc123"
    assert p["versions"] == versions()
    assert p["scenario"] == {"name": "tiny", "horizon": 10.0, "broker": {"on": True}}
    assert p["settings"] == {"runs": 2, "alpha": None}


def test_provenance_json_is_stored_with_sorted_keys(db: ResultsDB) -> None:
    db.record_provenance(
        experiment=EXP,
        kind="compare",
        scenario={"zeta": 1, "alpha": 2},
        scenario_hash="h",
        settings={"seed": 7, "runs": 2},
        command=["x"],
    )
    ((versions_json, scenario_json, settings_json),) = raw(
        db, "SELECT versions_json, scenario_json, settings_json FROM provenance"
    )
    assert scenario_json == '{"alpha": 2, "zeta": 1}'
    assert settings_json == '{"runs": 2, "seed": 7}'
    # versions() lists python and orgsim first; stored, its names are sorted.
    assert versions_json == json.dumps(dict(sorted(versions().items())))
    (p,) = db.provenance()
    assert list(p["scenario"]) == ["alpha", "zeta"]
    assert list(p["settings"]) == ["runs", "seed"]
    assert list(p["versions"]) == sorted(versions())


def test_provenance_rows_are_oldest_first_with_their_ids(db: ResultsDB) -> None:
    for kind in ("a", "b", "c"):
        db.record_provenance(
            experiment=EXP, kind=kind, scenario={}, scenario_hash="h", settings={}, command=[]
        )
    assert [(p["id"], p["kind"], p["command"]) for p in db.provenance()] == [
        (1, "a", ""),
        (2, "b", ""),
        (3, "c", ""),
    ]


@pytest.mark.parametrize("column", ["versions_json", "scenario_json", "settings_json"])
def test_a_damaged_provenance_value_is_named(db: ResultsDB, column: str) -> None:
    db.record_provenance(
        experiment=EXP, kind="k", scenario={}, scenario_hash="h", settings={}, command=[]
    )
    raw(db, f"UPDATE provenance SET {column} = 'garbage'")
    with pytest.raises(StoreError) as caught:
        db.provenance()
    assert str(caught.value) == (
        f"results database {db.path} is damaged: provenance 1: {column} {NOT_JSON}"
    )


# ------------------------------------------------------------------ failed reads and writes


def test_failed_reads_name_the_file_and_what_was_being_read(db: ResultsDB) -> None:
    for table in ("runs", "logs", "provenance"):
        raw(db, f"DROP TABLE {table}")
    prefix = f"results database {db.path}: cannot"
    cases = [
        (lambda: db.keys(EXP), f"{prefix} list the stored runs: no such table: runs"),
        (lambda: db.records(EXP), f"{prefix} read the stored runs: no such table: runs"),
        (lambda: db.provenance(), f"{prefix} read the provenance: no such table: provenance"),
        (
            lambda: db.log("k/0/on/0/1"),
            f"{prefix} read the kept log of run k/0/on/0/1: no such table: logs",
        ),
    ]
    for call, message in cases:
        with pytest.raises(StoreError) as caught:
            call()
        assert str(caught.value) == message


@pytest.fixture
def readonly_db(db: ResultsDB) -> ResultsDB:
    """A database holding two runs whose connection can no longer write."""
    db.commit(rec(replication=0))
    db.commit(rec(replication=1, status="failed"))
    db._db.execute("PRAGMA query_only=ON")
    return db


def test_a_failed_commit_says_how_many_runs_are_kept(readonly_db: ResultsDB) -> None:
    db = readonly_db
    with pytest.raises(StoreError) as caught:
        db.commit(rec(replication=2))
    assert str(caught.value) == (
        f"results database {db.path}: cannot commit run {EXP}/0/on/2/11: "
        f"attempt to write a readonly database; {KEPT.format(n=2)}"
    )


def test_a_failed_provenance_write_says_how_many_runs_are_kept(readonly_db: ResultsDB) -> None:
    db = readonly_db
    with pytest.raises(StoreError) as caught:
        db.record_provenance(
            experiment=EXP, kind="k", scenario={}, scenario_hash="h", settings={}, command=[]
        )
    assert str(caught.value) == (
        f"results database {db.path}: cannot record the provenance: "
        f"attempt to write a readonly database; {KEPT.format(n=2)}"
    )


def test_a_failed_forget_says_how_many_runs_are_kept(readonly_db: ResultsDB) -> None:
    db = readonly_db
    with pytest.raises(StoreError) as caught:
        db.forget_failures(EXP)
    assert str(caught.value) == (
        f"results database {db.path}: cannot forget the failed runs: "
        f"attempt to write a readonly database; {KEPT.format(n=2)}"
    )
    db._db.execute("PRAGMA query_only=OFF")
    assert db.keys(EXP, status=None) == {rec(replication=0).key, rec(replication=1).key}


# ------------------------------------------------------------------ a foreign layout


def _foreign(tmp_path: Path, table: str, columns: list[str]) -> Path:
    """A file whose ``table`` has only ``columns``: orgsim creates only missing tables."""
    path = tmp_path / "results.sqlite"
    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize("missing", ["key", "params_json", "quarterly_json"])
def test_reading_runs_of_another_layout_names_the_missing_column(
    tmp_path: Path, missing: str
) -> None:
    path = _foreign(tmp_path, "runs", [c for c in RUN_COLUMNS if c != missing])
    with ResultsDB(path) as db, pytest.raises(StoreError) as caught:
        db.records()
    assert str(caught.value) == (
        f"results database {path}: cannot read the stored runs: no such column: {missing}"
    )


def test_listing_runs_without_a_status_column_names_it(tmp_path: Path) -> None:
    path = _foreign(tmp_path, "runs", [c for c in RUN_COLUMNS if c != "status"])
    with ResultsDB(path) as db:
        assert db.keys(EXP, status=None) == set()  # status is not asked for
        with pytest.raises(StoreError) as caught:
            db.keys(EXP)
    assert str(caught.value) == (
        f"results database {path}: cannot list the stored runs: no such column: status"
    )


@pytest.mark.parametrize(
    ("columns", "missing"),
    [
        (["id"], "created"),
        (["id", "created", "experiment", "kind", "command"], "orgsim_version"),
        (["id", "created", "experiment", "kind", "command", "orgsim_version"], "versions_json"),
    ],
)
def test_recording_provenance_of_another_layout_names_the_missing_column(
    tmp_path: Path, columns: list[str], missing: str
) -> None:
    path = _foreign(tmp_path, "provenance", columns)
    with ResultsDB(path) as db, pytest.raises(StoreError) as caught:
        db.record_provenance(
            experiment=EXP, kind="k", scenario={}, scenario_hash="h", settings={}, command=[]
        )
    assert str(caught.value) == (
        f"results database {path}: cannot record the provenance: table provenance has no "
        f"column named {missing}; {KEPT.format(n=0)}"
    )
