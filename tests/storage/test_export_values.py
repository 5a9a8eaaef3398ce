"""CSV and Parquet exports by value: the exact text and table, and what a failed write says."""

from __future__ import annotations

import _pyio
import math
import os
import pathlib
import types
from pathlib import Path

import pytest

from orgsim.errors import StoreError
from orgsim.storage.export import export_csv, export_parquet, table_rows
from orgsim.storage.results import RunRecord

HEADER = "experiment,point,arm,replication,seed,status,events,elapsed"


def two() -> list[RunRecord]:
    """An ok run with a parameter and two metrics, and a failed one without either metric."""
    ok = RunRecord(
        experiment="e",
        scenario_hash="h",
        point=0,
        arm="on",
        replication=0,
        seed=7,
        params={"broker.mediators": 2},
        metrics={"value": 1.5, "lead": math.nan},
        events=12,
        elapsed=0.25,
    )
    failed = RunRecord(
        experiment="e",
        scenario_hash="h",
        point=1,
        arm="off",
        replication=1,
        seed=8,
        params={"broker.mediators": 3, "teams": 4},
        status="failed",
        error="boom",
    )
    return [ok, failed]


def test_table_rows_exact() -> None:
    header, rows = table_rows(two())
    assert header == [*HEADER.split(","), "broker.mediators", "teams", "value", "lead"]
    assert rows[0][:10] == ["e", 0, "on", 0, 7, "ok", 12, 0.25, 2, None]  # no "teams": None
    assert rows[0][10] == 1.5 and math.isnan(rows[0][11])
    assert rows[1][:10] == ["e", 1, "off", 1, 8, "failed", 0, 0.0, 3, 4]
    assert all(math.isnan(v) for v in rows[1][10:]) and len(rows[1]) == 12


def test_csv_text_line_by_line(tmp_path: Path) -> None:
    path = export_csv(two(), tmp_path / "runs.csv")
    assert path == tmp_path / "runs.csv"
    # csv.writer ends every line with \r\n; None is written empty, NaN as "nan".
    assert path.read_bytes().decode().split("\r\n") == [
        f"{HEADER},broker.mediators,teams,value,lead",
        "e,0,on,0,7,ok,12,0.25,2,,1.5,nan",
        "e,1,off,1,8,failed,0,0.0,3,4,nan,nan",
        "",
    ]


def test_csv_lines_end_in_one_cr_lf_where_text_files_end_in_cr_lf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A platform whose text files end lines in \r\n (Windows), played with the pure
    # Python io, which reads os.linesep: the file is opened with newline="" (as the
    # csv module asks), so the writer's \r\n is not translated into \r\r\n.
    monkeypatch.setattr(os, "linesep", "\r\n")
    monkeypatch.setattr(
        pathlib, "io", types.SimpleNamespace(open=_pyio.open, text_encoding=_pyio.text_encoding)
    )
    path = export_csv(two()[:1], tmp_path / "runs.csv")
    assert path.read_bytes() == (
        f"{HEADER},broker.mediators,value,lead\r\ne,0,on,0,7,ok,12,0.25,2,1.5,nan\r\n".encode()
    )


def test_parquet_reads_back_exactly_and_is_zstd(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    path = export_parquet(two(), tmp_path / "runs.parquet")
    assert path == tmp_path / "runs.parquet"
    table = pq.read_table(path)
    assert table.column_names == [*HEADER.split(","), "broker.mediators", "teams", "value", "lead"]
    data = table.to_pydict()
    assert data["experiment"] == ["e", "e"]
    assert data["point"] == [0, 1]
    assert data["arm"] == ["on", "off"]
    assert data["replication"] == [0, 1]
    assert data["seed"] == [7, 8]
    assert data["status"] == ["ok", "failed"]
    assert data["events"] == [12, 0]
    assert data["elapsed"] == [0.25, 0.0]
    assert data["broker.mediators"] == [2, 3]
    assert data["teams"] == [None, 4]
    assert data["value"][0] == 1.5 and math.isnan(data["value"][1])
    assert math.isnan(data["lead"][0]) and math.isnan(data["lead"][1])
    meta = pq.ParquetFile(path).metadata
    assert {meta.row_group(0).column(i).compression for i in range(meta.num_columns)} == {"ZSTD"}


# ------------------------------------------------------------------ failed writes


def _blocked(tmp_path: Path, name: str) -> Path:
    """A path that cannot be written as a file: a folder is there."""
    path = tmp_path / name
    path.mkdir()
    return path


def test_a_failed_csv_beside_a_results_database_names_it(tmp_path: Path) -> None:
    (tmp_path / "results.sqlite").write_bytes(b"")
    path = _blocked(tmp_path, "runs.csv")
    with pytest.raises(StoreError) as caught:
        export_csv(two(), path)
    assert str(caught.value) == (
        f"cannot write {path}: [Errno 21] Is a directory: '{path}'; the 2 run(s) are kept in "
        f"{tmp_path / 'results.sqlite'}; rerun the same command to write it again"
    )


def test_a_failed_csv_without_a_results_database_says_so(tmp_path: Path) -> None:
    path = _blocked(tmp_path, "runs.csv")
    with pytest.raises(StoreError) as caught:
        export_csv(two()[:1], path)
    assert str(caught.value) == (
        f"cannot write {path}: [Errno 21] Is a directory: '{path}'; the 1 run(s) are kept in "
        "the results database; rerun the same command to write it again"
    )


def test_a_failed_parquet_says_how_many_runs_are_kept_where(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow.parquet")
    (tmp_path / "results.sqlite").write_bytes(b"")
    path = _blocked(tmp_path, "runs.parquet")
    with pytest.raises(StoreError) as caught:
        export_parquet(two(), path)
    message = str(caught.value)
    assert message.startswith(f"cannot write {path}: ")
    assert message.endswith(
        f"; the 2 run(s) are kept in {tmp_path / 'results.sqlite'}; "
        "rerun the same command to write it again"
    )
