"""The embedded results database of experiments (comparisons and sweeps).

One SQLite file per output folder. Every finished run is committed on its own, the
moment it arrives, so an interrupted experiment keeps all the work done; each run
has a unique key (experiment, point, arm, replication, seed), written with
``INSERT OR IGNORE``, so a resumed experiment, or a task a cluster ran twice,
never writes a duplicate. A provenance record says who made the file, how, and
from what scenario.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
import sqlite3
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim._version import __version__
from orgsim.errors import ExperimentError, StoreError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS provenance (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    experiment TEXT NOT NULL,
    kind TEXT NOT NULL,
    command TEXT NOT NULL,
    orgsim_version TEXT NOT NULL,
    versions_json TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    scenario_json TEXT NOT NULL,
    settings_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    experiment TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    point INTEGER NOT NULL,
    arm TEXT NOT NULL,
    replication INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    params_json TEXT NOT NULL,
    status TEXT NOT NULL,
    metrics_json TEXT,
    quarterly_json TEXT,
    funnel_json TEXT,
    error TEXT,
    events INTEGER,
    elapsed REAL,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment, point, arm, replication);
CREATE TABLE IF NOT EXISTS logs (
    key TEXT PRIMARY KEY,
    events_json TEXT NOT NULL
);
"""

DEPENDENCIES = (
    "simpy",
    "numpy",
    "attrs",
    "cattrs",
    "rich",
    "matplotlib",
    "pyarrow",
    "dask",
    "distributed",
    "SALib",
)


@attrs.frozen(kw_only=True)
class RunRecord:
    """One finished (or failed) run of an experiment, as stored.

    Attributes:
        experiment: Name of the experiment the run belongs to.
        scenario_hash: Digest of the base scenario.
        point: Design point (0 for a plain comparison).
        arm: ``on`` (with the broker) or ``off``.
        replication: Replication number: both arms of one replication share streams.
        seed: Root seed.
        params: Parameter values of the design point (dotted path -> value).
        status: ``ok`` or ``failed``.
        metrics: Every metric of the run.
        quarterly: Quarterly series (name -> values per quarter).
        funnel: Conflict funnel counts.
        error: The traceback of a failed run.
        events: Number of events in the run's log.
        elapsed: Simulation wall time, seconds.
        log: Encoded events, when the experiment keeps them.
    """

    experiment: str
    scenario_hash: str
    point: int
    arm: str
    replication: int
    seed: int
    params: dict[str, Any] = attrs.field(factory=dict)
    status: str = "ok"
    metrics: dict[str, float] = attrs.field(factory=dict)
    quarterly: dict[str, list[float]] = attrs.field(factory=dict)
    funnel: dict[str, int] = attrs.field(factory=dict)
    error: str = ""
    events: int = 0
    elapsed: float = 0.0
    log: tuple[tuple[Any, ...], ...] | None = None

    @property
    def key(self) -> str:
        """Unique identity of the run in its database."""
        return run_key(self.experiment, self.point, self.arm, self.replication, self.seed)


def run_key(experiment: str, point: int, arm: str, replication: int, seed: int) -> str:
    """The unique key of a run: what makes it the same run when resumed."""
    return f"{experiment}/{point}/{arm}/{replication}/{seed}"


def json_safe(value: Any) -> Any:
    """Plain JSON data: NaN and infinities as null, numpy scalars and arrays as Python."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def check_out_dir(out: Path) -> None:
    """Refuse an output folder that cannot be written, before any run is wasted."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".orgsim-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ExperimentError(f"cannot write to --out {out}: {exc.strerror or exc}") from None


def _nan(value: Any) -> Any:
    if value is None:
        return math.nan
    if isinstance(value, dict):
        return {k: _nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan(v) for v in value]
    return value


def versions() -> dict[str, str]:
    """Versions of Python, orgsim and its dependencies (where installed)."""
    out = {"python": platform.python_version(), "orgsim": __version__}
    for dist in DEPENDENCIES:
        try:
            out[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            continue
    return out


class ResultsDB:
    """The results database of one output folder."""

    def __init__(self, path: str | Path) -> None:
        """Open (creating if needed) the database at ``path``.

        Raises:
            StoreError: the file cannot be created or is not an orgsim results file.
        """
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                self._db.commit()
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: results schema v{row[0]} is newer than this orgsim reads"
                )
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot use results database {self.path}: {exc}") from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> ResultsDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record_provenance(
        self,
        *,
        experiment: str,
        kind: str,
        scenario: Mapping[str, Any],
        scenario_hash: str,
        settings: Mapping[str, Any],
        command: Sequence[str] | None = None,
    ) -> None:
        """Write who made this experiment, with what versions, from what scenario."""
        cmd = " ".join(command if command is not None else sys.argv)
        with self._db:
            self._db.execute(
                "INSERT INTO provenance (created, experiment, kind, command, orgsim_version,"
                " versions_json, scenario_hash, scenario_json, settings_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _now(),
                    experiment,
                    kind,
                    cmd,
                    __version__,
                    json.dumps(versions(), sort_keys=True),
                    scenario_hash,
                    json.dumps(json_safe(dict(scenario)), sort_keys=True),
                    json.dumps(json_safe(dict(settings)), sort_keys=True),
                ),
            )

    def provenance(self) -> list[dict[str, Any]]:
        """Every provenance record, oldest first."""
        cur = self._db.execute("SELECT * FROM provenance ORDER BY id")
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        for row in rows:
            for key in ("versions_json", "scenario_json", "settings_json"):
                row[key.removesuffix("_json")] = json.loads(row.pop(key))
        return rows

    def commit(self, record: RunRecord) -> bool:
        """Store one run in its own transaction; False when it was already there."""
        with self._db:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO runs (key, experiment, scenario_hash, point, arm,"
                " replication, seed, params_json, status, metrics_json, quarterly_json,"
                " funnel_json, error, events, elapsed, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key,
                    record.experiment,
                    record.scenario_hash,
                    record.point,
                    record.arm,
                    record.replication,
                    record.seed,
                    json.dumps(json_safe(record.params), sort_keys=True),
                    record.status,
                    json.dumps(json_safe(record.metrics)),
                    json.dumps(json_safe(record.quarterly)),
                    json.dumps(record.funnel),
                    record.error,
                    record.events,
                    record.elapsed,
                    _now(),
                ),
            )
            if cur.rowcount and record.log is not None:
                self._db.execute(
                    "INSERT OR IGNORE INTO logs VALUES (?, ?)",
                    (record.key, json.dumps(record.log)),
                )
        return bool(cur.rowcount)

    def keys(self, experiment: str, status: str | None = "ok") -> set[str]:
        """Keys of the runs already stored (by default only the successful ones)."""
        sql = "SELECT key FROM runs WHERE experiment = ?"
        args: tuple[Any, ...] = (experiment,)
        if status is not None:
            sql += " AND status = ?"
            args += (status,)
        return {row[0] for row in self._db.execute(sql, args)}

    def forget_failures(self, experiment: str) -> int:
        """Delete failed runs so that a resumed experiment tries them again."""
        with self._db:
            cur = self._db.execute(
                "DELETE FROM runs WHERE experiment = ? AND status != 'ok'", (experiment,)
            )
        return cur.rowcount

    def records(self, experiment: str | None = None) -> list[RunRecord]:
        """Stored runs in canonical order (point, arm, replication, seed)."""
        sql = (
            "SELECT experiment, scenario_hash, point, arm, replication, seed, params_json,"
            " status, metrics_json, quarterly_json, funnel_json, error, events, elapsed"
            " FROM runs"
        )
        args: tuple[Any, ...] = ()
        if experiment is not None:
            sql += " WHERE experiment = ?"
            args = (experiment,)
        sql += " ORDER BY experiment, point, arm, replication, seed"
        out = []
        for row in self._db.execute(sql, args):
            out.append(
                RunRecord(
                    experiment=row[0],
                    scenario_hash=row[1],
                    point=row[2],
                    arm=row[3],
                    replication=row[4],
                    seed=row[5],
                    params=json.loads(row[6]),
                    status=row[7],
                    metrics=_nan(json.loads(row[8] or "{}")),
                    quarterly=_nan(json.loads(row[9] or "{}")),
                    funnel=json.loads(row[10] or "{}"),
                    error=row[11] or "",
                    events=row[12] or 0,
                    elapsed=row[13] or 0.0,
                )
            )
        return out

    def log(self, key: str) -> list[list[Any]] | None:
        """The kept event rows of one run, if the experiment kept them."""
        row = self._db.execute("SELECT events_json FROM logs WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])


def table_rows(records: Iterable[RunRecord]) -> tuple[list[str], list[list[Any]]]:
    """A flat per-run table: identity columns, parameters, then every metric."""
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
    header = ["experiment", "point", "arm", "replication", "seed", "status", "events", "elapsed"]
    header += params + names
    rows = []
    for r in records:
        row: list[Any] = [
            r.experiment,
            r.point,
            r.arm,
            r.replication,
            r.seed,
            r.status,
            r.events,
            r.elapsed,
        ]
        row += [r.params.get(k) for k in params]
        row += [r.metrics.get(k, math.nan) for k in names]
        rows.append(row)
    return header, rows


def export_csv(records: Iterable[RunRecord], path: str | Path) -> Path:
    """Write the per-run table as CSV."""
    import csv

    header, rows = table_rows(records)
    path = Path(path)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def export_parquet(records: Iterable[RunRecord], path: str | Path) -> Path | None:
    """Write the per-run table as Parquet; None when pyarrow is not installed."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    header, rows = table_rows(records)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    path = Path(path)
    pq.write_table(table, path, compression="zstd")
    return path


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
