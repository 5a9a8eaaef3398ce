"""The embedded results database of experiments (comparisons and sweeps).

One SQLite file per output folder. Finished runs are committed the moment they
arrive, those that arrive together in one transaction (:meth:`ResultsDB.commit_many`),
so an interrupted experiment keeps all the work done that reached it; each run
has a unique key (experiment, point, arm, replication, seed), written with
``INSERT OR IGNORE``, so a resumed experiment, or a task a cluster ran twice,
never writes a duplicate. A provenance record says who made the file, how, and
from what scenario.

Every failure is a :class:`~orgsim.errors.StoreError` naming the file. A write
that fails (a full disk, a quota, an I/O error) says what was kept: the runs
committed before it, which a rerun of the same experiment resumes from. A damaged
file is refused before anything is written to it (``PRAGMA quick_check`` when it
is opened), and a stored value that no longer reads names its run and column. An
existing empty (0-byte) file is refused, never taken for a new database: it is
most likely a results database that lost its contents.

Schema version 2 (orgsim 0.2) keeps the tables of version 1; the version says which
model the stored metrics are of. A version-1 database was written by orgsim 0.1: its
runs are of the tick-based model and its metrics partly under other names (e.g.
``mediation_wait_mean``, now ``mediation_wait_p50``). Experiment names and run keys
hold no orgsim version, so a resumed experiment would take those runs as done and
mix them into this model's: such a file is refused when opened, before anything is
written to it.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim._version import __version__
from orgsim.errors import ExperimentError, StoreError
from orgsim.storage.provenance import command_line, utc_now, versions
from orgsim.storage.sqlite import (
    Schema,
    integrity_problems,
    open_database,
    store_errors,
    transaction,
)

__all__ = [
    "SCHEMA_VERSION",
    "ResultsDB",
    "RunRecord",
    "check_out_dir",
    "json_safe",
    "run_key",
]

#: Version of the table layout below, and of the model its metrics are of; a file
#: with a newer one is refused, and one of orgsim 0.1's model (v1). 2: orgsim 0.2.
SCHEMA_VERSION = 2

#: The first results version of the event-driven model (orgsim 0.2).
_FIRST_OF_THIS_MODEL = 2

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

_LAYOUT = Schema(ddl=_SCHEMA, version=SCHEMA_VERSION, version_key="schema")


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


class ResultsDB:
    """The results database of one output folder."""

    def __init__(self, path: str | Path) -> None:
        """Open (creating if needed) the database at ``path``.

        Raises:
            StoreError: the file cannot be created, is empty, damaged, was written
                by a newer orgsim, or by orgsim 0.1 (schema v1: metrics of a model
                this orgsim no longer runs).
        """
        self.path = Path(path)
        failure = f"cannot use results database {self.path}"
        with store_errors(failure):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = open_database(self.path, timeout=30.0, setup=self._setup, failure=failure)

    def _setup(self, conn: sqlite3.Connection) -> None:
        # Lenient by design: the tables are created in any SQLite file; only a
        # newer layout, or one of orgsim 0.1's model, is refused. Both checks come
        # before anything is created, so a refused file is left as it was. A damaged
        # file is refused first: writing to it could only spread the damage.
        problems = integrity_problems(conn, limit=1, quick=True)
        if problems:
            raise StoreError(
                f"results database {self.path} is damaged (PRAGMA quick_check: {problems[0][:120]})"
            )
        version = _LAYOUT.stored_version(conn)
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: results schema v{version} is newer than this orgsim reads"
            )
        if version is not None and version < _FIRST_OF_THIS_MODEL:
            raise StoreError(
                f"results database {self.path} (schema v{version}) was written by orgsim 0.1: "
                "it holds metrics of an older model (daily work ticks, other metric names), "
                "which must not be mixed with this orgsim's runs; choose a new --out, or "
                "delete the file to start afresh (it is left as it is)"
            )
        _LAYOUT.create(conn)

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
        cmd = command_line(command)
        with self._writing("record the provenance"), transaction(self._db):
            self._db.execute(
                "INSERT INTO provenance (created, experiment, kind, command, orgsim_version,"
                " versions_json, scenario_hash, scenario_json, settings_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    utc_now(),
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
        with self._reading("read the provenance"):
            cur = self._db.execute("SELECT * FROM provenance ORDER BY id")
            names = [c[0] for c in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        for row in rows:
            for key in ("versions_json", "scenario_json", "settings_json"):
                row[key.removesuffix("_json")] = self._json(
                    row.pop(key), f"provenance {row['id']}", key
                )
        return rows

    def commit(self, record: RunRecord) -> bool:
        """Store one run in its own transaction; False when it was already there.

        Raises:
            StoreError: The write failed (nothing of this run is stored; the runs
                committed before are kept, and the message says how many).
        """
        with self._writing(f"commit run {record.key}"), transaction(self._db):
            return self._insert(record)

    def commit_many(self, records: Sequence[RunRecord]) -> int:
        """Store several runs in one transaction: all of them, or none.

        One transaction for a batch of finished runs costs about what one run's
        costs, which matters when runs take milliseconds. The batch is atomic: a
        run counts as committed only once its whole batch is, so a killed process
        keeps every batch whose commit returned and nothing of the one in flight.

        Returns:
            How many of the runs were new (the others were stored before).

        Raises:
            StoreError: The write failed (nothing of this batch is stored; the runs
                committed before are kept, and the message says how many).
        """
        if not records:
            return 0
        what = f"commit run {records[0].key}" + (
            f" and {len(records) - 1} more" if len(records) > 1 else ""
        )
        with self._writing(what), transaction(self._db):
            return sum(self._insert(r) for r in records)

    def _insert(self, record: RunRecord) -> bool:
        """Write one run inside the caller's transaction; False when it was there."""
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
                utc_now(),
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
        with self._reading("list the stored runs"):
            return {row[0] for row in self._db.execute(sql, args)}

    def forget_failures(self, experiment: str) -> int:
        """Delete failed runs so that a resumed experiment tries them again."""
        with self._writing("forget the failed runs"), transaction(self._db):
            cur = self._db.execute(
                "DELETE FROM runs WHERE experiment = ? AND status != 'ok'", (experiment,)
            )
        return cur.rowcount

    def records(self, experiment: str | None = None) -> list[RunRecord]:
        """Stored runs in canonical order (point, arm, replication, seed).

        Raises:
            StoreError: The file is damaged, or a stored value of a run no longer
                reads (named by the run's key and the column).
        """
        # The JSON columns are read as bytes and decoded here, so that damage is
        # named by its run and column rather than by SQLite's quote of the row.
        sql = (
            "SELECT key, experiment, scenario_hash, point, arm, replication, seed,"
            " CAST(params_json AS BLOB), status, CAST(metrics_json AS BLOB),"
            " CAST(quarterly_json AS BLOB), CAST(funnel_json AS BLOB), error, events, elapsed"
            " FROM runs"
        )
        args: tuple[Any, ...] = ()
        if experiment is not None:
            sql += " WHERE experiment = ?"
            args = (experiment,)
        sql += " ORDER BY experiment, point, arm, replication, seed"
        with self._reading("read the stored runs"):
            rows = self._db.execute(sql, args).fetchall()
        return [self._record(row) for row in rows]

    def _record(self, row: tuple[Any, ...]) -> RunRecord:
        key = row[0]

        def column(i: int, name: str) -> Any:
            return self._json(row[i] if row[i] is not None else b"{}", f"run {key}", name)

        try:
            return RunRecord(
                experiment=row[1],
                scenario_hash=row[2],
                point=row[3],
                arm=row[4],
                replication=row[5],
                seed=row[6],
                params=column(7, "params_json"),
                status=row[8],
                metrics=_nan(column(9, "metrics_json")),
                quarterly=_nan(column(10, "quarterly_json")),
                funnel=column(11, "funnel_json"),
                error=row[12] or "",
                events=row[13] or 0,
                elapsed=row[14] or 0.0,
            )
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"results database {self.path} is damaged: run {key} does not read ({exc})"
            ) from None

    def log(self, key: str) -> list[list[Any]] | None:
        """The kept event rows of one run, if the experiment kept them."""
        with self._reading(f"read the kept log of run {key}"):
            row = self._db.execute(
                "SELECT CAST(events_json AS BLOB) FROM logs WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else self._json(row[0], f"run {key}", "logs.events_json")

    # --------------------------------------------------------------- helpers

    def _json(self, value: str | bytes, whose: str, column: str) -> Any:
        """A stored JSON value; damage is a StoreError naming the run and the column."""
        try:
            return json.loads(value)
        except UnicodeDecodeError:
            what = "holds invalid UTF-8"
        except ValueError as exc:
            what = f"is not valid JSON ({exc})"
        raise StoreError(f"results database {self.path} is damaged: {whose}: {column} {what}")

    def _reading(self, doing: str) -> contextlib.AbstractContextManager[None]:
        return store_errors(f"results database {self.path}: cannot {doing}")

    def _writing(self, doing: str) -> contextlib.AbstractContextManager[None]:
        return store_errors(f"results database {self.path}: cannot {doing}", kept=self._kept)

    def _kept(self) -> str:
        """What a failed write kept: the committed runs, which a rerun resumes from."""
        (count,) = self._db.execute("SELECT count(*) FROM runs").fetchone()
        return f"the {count} run(s) committed before are kept (free space, then rerun to resume)"
