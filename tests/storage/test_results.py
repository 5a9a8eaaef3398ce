"""The results database: round trips, idempotent commits, provenance, exports."""

from __future__ import annotations

import csv
import json
import math
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

import orgsim
from orgsim.errors import StoreError
from orgsim.scenario.loading import load_scenario
from orgsim.storage.export import export_csv, export_parquet, table_rows
from orgsim.storage.results import SCHEMA_VERSION, ResultsDB, RunRecord, run_key

EXP = "compare:test:abc:7"


def record(
    replication: int = 0,
    arm: str = "on",
    *,
    experiment: str = EXP,
    status: str = "ok",
    metrics: dict[str, float] | None = None,
    params: dict[str, object] | None = None,
    log: tuple[tuple[object, ...], ...] | None = None,
) -> RunRecord:
    if metrics is None:
        metrics = {
            "value_shipped": 1000.0 + replication + (0.5 if arm == "on" else 0.0),
            "lead_time_p50": math.nan if replication == 1 else 40.25,
            "headcount_end.qa": 12.0,
        }
    return RunRecord(
        experiment=experiment,
        scenario_hash="abc",
        point=0,
        arm=arm,
        replication=replication,
        seed=7,
        params=params or {},
        status=status,
        metrics=metrics if status == "ok" else {},
        quarterly={"value_shipped": [1.5, math.nan, 3.0], "wip": [4.0, 5.0, 6.0]}
        if status == "ok"
        else {},
        funnel={"raised": 5, "detected": 4, "resolved": 3} if status == "ok" else {},
        error="" if status == "ok" else "Traceback ...\nRuntimeError: boom",
        events=321 if status == "ok" else 0,
        elapsed=0.125,
        log=log,
    )


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def assert_records_equal(a: RunRecord, b: RunRecord) -> None:
    assert a.key == b.key
    for field in ("experiment", "scenario_hash", "point", "arm", "replication", "seed"):
        assert getattr(a, field) == getattr(b, field), field
    assert (a.status, a.error, a.events, a.elapsed) == (b.status, b.error, b.events, b.elapsed)
    assert a.params == b.params
    assert a.funnel == b.funnel
    assert a.metrics.keys() == b.metrics.keys()
    for k in a.metrics:
        assert same(a.metrics[k], b.metrics[k]), k
    assert a.quarterly.keys() == b.quarterly.keys()
    for k in a.quarterly:
        assert len(a.quarterly[k]) == len(b.quarterly[k])
        assert all(same(x, y) for x, y in zip(a.quarterly[k], b.quarterly[k], strict=True)), k


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ResultsDB]:
    with ResultsDB(tmp_path / "results.sqlite") as handle:
        yield handle


# ------------------------------------------------------------------ round trip


def test_key_is_the_run_identity() -> None:
    r = record(3, "off")
    assert r.key == run_key(EXP, 0, "off", 3, 7) == f"{EXP}/0/off/3/7"


def test_commit_keys_records_round_trip_with_nan(db: ResultsDB) -> None:
    written = [record(rep, arm) for rep in (1, 0) for arm in ("off", "on")]
    for r in written:
        assert db.commit(r) is True
    assert db.keys(EXP) == {r.key for r in written}
    got = db.records(EXP)
    # canonical order: arm, then replication, whatever the commit order
    assert [(r.arm, r.replication) for r in got] == [
        ("off", 0),
        ("off", 1),
        ("on", 0),
        ("on", 1),
    ]
    by_key = {r.key: r for r in written}
    for r in got:
        assert_records_equal(r, by_key[r.key])
        assert r.log is None
    nan_run = next(r for r in got if r.replication == 1)
    assert math.isnan(nan_run.metrics["lead_time_p50"])
    assert math.isnan(nan_run.quarterly["value_shipped"][1])
    assert nan_run.metrics["value_shipped"] == 1001.0


def test_nan_is_stored_as_json_null(db: ResultsDB) -> None:
    db.commit(record(1))
    raw = sqlite3.connect(db.path).execute("SELECT metrics_json, quarterly_json FROM runs")
    metrics_json, quarterly_json = raw.fetchone()
    assert "NaN" not in metrics_json and "NaN" not in quarterly_json
    assert json.loads(metrics_json)["lead_time_p50"] is None
    assert json.loads(quarterly_json)["value_shipped"] == [1.5, None, 3.0]


def test_commit_twice_stores_one_row(db: ResultsDB) -> None:
    r = record(0)
    assert db.commit(r) is True
    changed = RunRecord(**{**_fields(r), "metrics": {"value_shipped": -1.0}})
    assert db.commit(changed) is False  # INSERT OR IGNORE: the first one stays
    assert db.commit(r) is False
    (count,) = sqlite3.connect(db.path).execute("SELECT COUNT(*) FROM runs").fetchone()
    assert count == 1
    (stored,) = db.records(EXP)
    assert stored.metrics["value_shipped"] == 1000.5


def _fields(r: RunRecord) -> dict[str, Any]:
    return attrs.asdict(r, recurse=False)


def test_kept_event_log_round_trip_and_not_duplicated(db: ResultsDB) -> None:
    rows = ((0, 0.0, "RunStarted", 2, "{}"), (1, 2.5, "RunEnded", 1, "{}"))
    r = record(0, log=rows)
    assert db.commit(r) is True
    assert db.log(r.key) == [list(row) for row in rows]
    assert db.commit(r) is False
    (count,) = sqlite3.connect(db.path).execute("SELECT COUNT(*) FROM logs").fetchone()
    assert count == 1
    assert db.log(record(1).key) is None


def test_records_filter_by_experiment(db: ResultsDB) -> None:
    db.commit(record(0))
    db.commit(record(0, experiment="other"))
    assert [r.experiment for r in db.records(EXP)] == [EXP]
    assert {r.experiment for r in db.records()} == {EXP, "other"}
    assert db.keys("other") == {record(0, experiment="other").key}
    assert db.keys("nothing") == set()


# ------------------------------------------------------------------ failures


def test_failed_runs_are_kept_apart_and_forgotten(db: ResultsDB) -> None:
    ok, bad = record(0), record(1, status="failed")
    other_bad = record(1, status="failed", experiment="other")
    for r in (ok, bad, other_bad):
        assert db.commit(r)
    assert db.keys(EXP) == {ok.key}
    assert db.keys(EXP, status=None) == {ok.key, bad.key}
    assert db.keys(EXP, status="failed") == {bad.key}
    stored_bad = next(r for r in db.records(EXP) if r.status == "failed")
    assert "RuntimeError: boom" in stored_bad.error
    assert stored_bad.metrics == {}

    assert db.forget_failures(EXP) == 1
    assert db.keys(EXP, status=None) == {ok.key}
    assert db.keys("other", status=None) == {other_bad.key}  # other experiments untouched
    assert db.forget_failures(EXP) == 0
    # a retried run can now be committed under the same key
    assert db.commit(record(1)) is True
    assert db.keys(EXP) == {ok.key, record(1).key}


# ------------------------------------------------------------------ provenance


def test_provenance_contents(db: ResultsDB) -> None:
    sc = load_scenario("midsize", ["horizon=200"])
    db.record_provenance(
        experiment=EXP,
        kind="compare",
        scenario=sc.to_dict(),
        scenario_hash=sc.digest(),
        settings={"runs": 5, "seed": 7, "precision": None, "ratio": math.nan},
        command=["orgsim", "compare", "midsize", "--runs", "5"],
    )
    (p,) = db.provenance()
    assert p["experiment"] == EXP
    assert p["kind"] == "compare"
    assert p["command"] == "orgsim compare midsize --runs 5"
    assert p["orgsim_version"] == orgsim.__version__
    assert p["versions"]["orgsim"] == orgsim.__version__
    assert p["versions"]["numpy"] == np.__version__
    assert p["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert "simpy" in p["versions"] and "attrs" in p["versions"]
    assert p["scenario_hash"] == sc.digest()
    assert p["scenario"] == json.loads(json.dumps(sc.to_dict()))
    assert p["scenario"]["horizon"] == 200.0
    assert p["scenario"]["name"] == "midsize"
    assert p["settings"] == {"runs": 5, "seed": 7, "precision": None, "ratio": None}
    assert p["created"].endswith("+00:00")


def test_provenance_defaults_to_sys_argv_and_accumulates(
    db: ResultsDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["orgsim", "sweep", "grid.toml"])
    for kind in ("compare", "sweep"):
        db.record_provenance(
            experiment=EXP, kind=kind, scenario={}, scenario_hash="abc", settings={}
        )
    rows = db.provenance()
    assert [r["kind"] for r in rows] == ["compare", "sweep"]
    assert rows[0]["command"] == "orgsim sweep grid.toml"


# ------------------------------------------------------------------ files


def test_reopen_keeps_runs(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "results.sqlite"  # parents are created
    with ResultsDB(path) as db:
        db.commit(record(0))
    with ResultsDB(path) as db:
        assert db.keys(EXP) == {record(0).key}
        assert db.commit(record(0)) is False


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    ResultsDB(path).close()
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION + 1),))
    con.close()
    with pytest.raises(StoreError, match="newer than this orgsim reads"):
        ResultsDB(path)


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder``: its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def results_of_orgsim_0_1(out: Path) -> Path:
    """An output folder whose results database says schema v1, as orgsim 0.1 wrote it."""
    path = out / "results.sqlite"
    with ResultsDB(path) as db:
        db.commit(record(0))
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    con.close()
    return path


#: What the refusal of a results database of orgsim 0.1 says, after its path.
OLD_RESULTS = (
    " (schema v1) was written by orgsim 0.1: it holds metrics of an older model (daily "
    "work ticks, other metric names), which must not be mixed with this orgsim's runs; "
    "choose a new --out, or delete the file to start afresh (it is left as it is)"
)


def test_a_results_database_of_orgsim_0_1_is_refused_untouched(tmp_path: Path) -> None:
    path = results_of_orgsim_0_1(tmp_path)
    before = files(tmp_path)
    assert list(before) == ["results.sqlite"]
    with pytest.raises(StoreError) as caught:
        ResultsDB(path)
    assert str(caught.value) == f"results database {path}{OLD_RESULTS}"
    assert files(tmp_path) == before  # same bytes, same mtime, nothing beside it


def test_the_schema_written_is_this_orgsims(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    ResultsDB(path).close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchall() == [("2",)]
    con.close()
    assert SCHEMA_VERSION == 2


SWEEP = """
name = "old"
base = "startup"
replications = 2
seed = 5

[overrides]
horizon = 60.0

[[parameters]]
path = "broker.mediators"
levels = [1, 2]
"""


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_an_experiment_over_results_of_orgsim_0_1_is_refused_in_one_line(
    tmp_path: Path,
    cli: Callable[[list[str]], int],
    one_line_error: Callable[[int], str],
    command: str,
) -> None:
    """compare, and sweep --resume, refuse an old out/ before simulating or writing."""
    out = tmp_path / "out"
    out.mkdir()
    path = results_of_orgsim_0_1(out)
    before = files(out)
    if command == "compare":
        argv = ["compare", "startup", "--runs", "2", "--set", "horizon=60", "--no-charts"]
    else:
        sweep_file = tmp_path / "old.toml"
        sweep_file.write_text(SWEEP)
        argv = ["sweep", str(sweep_file), "--resume", "--no-charts"]
    line = one_line_error(cli([*argv, "--executor", "serial", "--out", str(out)]))
    assert line == f"orgsim: error: results database {path}{OLD_RESULTS}"
    assert files(out) == before


def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    path.write_text("this is not SQLite, " * 100)
    with pytest.raises(StoreError, match="cannot use results database"):
        ResultsDB(path)


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError):
        ResultsDB(blocker / "results.sqlite")


# ------------------------------------------------------------------ exports

IDENTITY = ["experiment", "point", "arm", "replication", "seed", "status", "events", "elapsed"]


def export_records() -> list[RunRecord]:
    return [
        record(0, "on", params={"broker.mediators": 2}),
        record(1, "on", params={"broker.mediators": 3}),
        record(0, "off", params={"broker.mediators": 2}),
        record(1, "off", status="failed", params={"broker.mediators": 3}),
    ]


def test_table_rows_layout() -> None:
    header, rows = table_rows(export_records())
    assert header == [
        *IDENTITY,
        "broker.mediators",
        "value_shipped",
        "lead_time_p50",
        "headcount_end.qa",
    ]
    assert len(rows) == 4
    failed = rows[3]
    assert failed[5] == "failed"
    assert all(math.isnan(v) for v in failed[-3:])


def test_export_csv(tmp_path: Path) -> None:
    path = export_csv(export_records(), tmp_path / "runs.csv")
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[: len(IDENTITY)] == IDENTITY
    assert header[len(IDENTITY) :] == [
        "broker.mediators",
        "value_shipped",
        "lead_time_p50",
        "headcount_end.qa",
    ]
    assert len(body) == 4
    first = dict(zip(header, body[0], strict=True))
    assert first["experiment"] == EXP
    assert first["arm"] == "on"
    assert first["replication"] == "0"
    assert first["status"] == "ok"
    assert first["events"] == "321"
    assert first["broker.mediators"] == "2"
    assert float(first["value_shipped"]) == 1000.5
    assert float(first["lead_time_p50"]) == 40.25
    second = dict(zip(header, body[1], strict=True))
    assert second["lead_time_p50"] == "nan"
    assert float(second["value_shipped"]) == 1001.5


def test_export_parquet_reads_back(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    records = export_records()
    path = export_parquet(records, tmp_path / "runs.parquet")
    assert path == tmp_path / "runs.parquet" and path.exists()
    table = pq.read_table(path)
    header, _ = table_rows(records)
    assert table.column_names == header
    assert table.num_rows == 4
    data = table.to_pydict()
    assert data["experiment"] == [EXP] * 4
    assert data["arm"] == ["on", "on", "off", "off"]
    assert data["replication"] == [0, 1, 0, 1]
    assert data["status"] == ["ok", "ok", "ok", "failed"]
    assert data["broker.mediators"] == [2, 3, 2, 3]
    assert data["value_shipped"][:3] == [1000.5, 1001.5, 1000.0]
    assert math.isnan(data["value_shipped"][3])
    assert data["lead_time_p50"][0] == 40.25
    assert math.isnan(data["lead_time_p50"][1])
    assert str(table.schema.field("value_shipped").type) == "double"
    assert str(table.schema.field("replication").type) == "int64"
