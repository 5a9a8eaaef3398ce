"""Per-run tables of an experiment, as CSV or Parquet, for tools outside orgsim.

The results database is the source of truth; these files are flat copies of it,
one row per run (identity columns, then the design point's parameters, then every
metric), written at the end of an experiment for spreadsheets and dataframes.
pyarrow is optional and imported only when a Parquet file is asked for.
"""

from __future__ import annotations

import contextlib
import csv
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orgsim.storage.results import RunRecord
from orgsim.storage.sqlite import store_errors

__all__ = ["IDENTITY_COLUMNS", "export_csv", "export_parquet", "table_rows", "write_parquet"]

#: The columns that say which run a row is, before its parameters and metrics.
IDENTITY_COLUMNS = (
    "experiment",
    "point",
    "arm",
    "replication",
    "seed",
    "status",
    "events",
    "elapsed",
)


def table_rows(records: Iterable[RunRecord]) -> tuple[list[str], list[list[Any]]]:
    """A flat per-run table: identity columns, parameters, then every metric.

    Parameters and metrics appear in the order first seen; a run without one
    (a failed run has no metrics) gets None for a parameter and NaN for a metric.
    """
    records = list(records)
    params: list[str] = []
    names: list[str] = []
    for r in records:
        for k in r.params:
            if k not in params:
                params.append(k)
        for k in r.metrics:
            if k not in names:
                names.append(k)
    header = [*IDENTITY_COLUMNS, *params, *names]
    rows = []
    for r in records:
        row: list[Any] = [getattr(r, column) for column in IDENTITY_COLUMNS]
        row += [r.params.get(k) for k in params]
        row += [r.metrics.get(k, math.nan) for k in names]
        rows.append(row)
    return header, rows


def export_csv(records: Iterable[RunRecord], path: str | Path) -> Path:
    """Write the per-run table as CSV.

    Raises:
        StoreError: The file cannot be written (a full disk, say); the message
            names it and says that the runs are safe in the results database.
    """
    header, rows = table_rows(records)
    path = Path(path)
    with _writing(path, len(rows)), path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def export_parquet(records: Iterable[RunRecord], path: str | Path) -> Path | None:
    """Write the per-run table as Parquet; None when pyarrow is not installed."""
    try:
        import pyarrow as pa
    except ImportError:
        return None
    header, rows = table_rows(records)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    path = Path(path)
    with _writing(path, len(rows)):
        write_parquet(table, path)
    return path


def write_parquet(table: Any, path: Path) -> None:
    """Write a pyarrow table to ``path``, which is a file name and nothing else.

    pyarrow reads a string or path it is given as a URI, so an output folder named
    like one (``tcp://host:1``, made by ``--out`` as the folders ``tcp:/host:1``)
    would be taken for a filesystem it does not know; the file is opened here.
    """
    import pyarrow.parquet as pq

    with path.open("wb") as fh:
        pq.write_table(table, fh, compression="zstd")


def _writing(path: Path, runs: int) -> contextlib.AbstractContextManager[None]:
    """OS errors writing a table name it, and say that no run was lost.

    The table is a copy: its runs are in the results database it was read from,
    which an output folder keeps beside it as ``results.sqlite``.
    """
    db = path.parent / "results.sqlite"
    where = str(db) if db.exists() else "the results database"
    return store_errors(
        f"cannot write {path}",
        kept=lambda: (
            f"the {runs} run(s) are kept in {where}; rerun the same command to write it again"
        ),
    )
