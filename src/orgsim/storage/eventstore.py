"""The embedded event store: whole runs in one SQLite file, read back as columns or events.

A run is saved once, whole, in one transaction: a row in ``runs`` (provenance: the
scenario, seed, replication, broker arm, event count, digest, and optionally the
resolved scenario and free-form metadata), and its log *as columns*
(:mod:`orgsim.storage.columns_codec`): a row in ``run_logs`` with the type code of
every position and the string table, and a row in ``run_columns`` per event type
with its name, schema version, number of rows, field layout and one compressed
buffer of its times and field columns. Writing a run is a few buffers, not one row
per event, and reading one (:meth:`EventStore.log`) gives back the columnar
:class:`~orgsim.engine.log.EventLog` without building any event; :meth:`EventStore.events`
builds frozen events from the rows a query selects. Nothing is ever updated or
deleted in place: the log stays the source of truth, and any state is a fold of it
(:meth:`EventStore.replay`).

The stored digest is the log's canonical columnar digest
(:func:`orgsim.engine.columnar.canonical_digest`), the very one ``EventLog.digest()``
gives live; :meth:`EventStore.verify` recomputes it from the stored buffers, so an
upcast schema never makes an intact run look tampered with. A table whose stored
schema version is older than this orgsim's is upcast on the way in, row by row, by
the upcasters of :func:`orgsim.engine.events.decode`; one no upcaster reaches, of a
newer orgsim, or of a retired event type is refused by the ``seq`` of its first
event a read reaches.

Errors at this boundary are :class:`~orgsim.errors.StoreError`, naming the file and
the run; ``sqlite3`` exceptions never leave this module. A damaged file is reported
as damage, never as a crash: every read of a run first checks that the run still
has the tables it was saved with, each with the rows its positions need, and every
stored buffer carries a CRC-32, so a changed byte is named by run (and event type)
before anything is decoded. :meth:`EventStore.integrity` asks SQLite to check the
whole file. A store opened with ``readonly=True`` (what ``orgsim events`` does)
creates and changes nothing. Opening, pragmas and transactions are
:mod:`orgsim.storage.sqlite`'s, shared with the results database.

Store schema version 3 (orgsim 0.3) stores logs as columns. A version-2 store
(orgsim 0.2) holds one JSON row per event in an ``events`` table: it is read as it
is, through :func:`~orgsim.engine.events.decode`, and opening it to write adds the
columnar tables and marks it version 3 (one transaction; its JSON runs stay and
still read, verified against the JSON-row digest they were saved with, that of
:func:`orgsim.engine.log.log_digest`). A version-1 store was written by orgsim 0.1,
whose runs (daily ``DayWorked`` ticks, state kept beside the log) cannot be upcast
to the event-driven model (:data:`orgsim.engine.events.MODEL_CHANGED`): it is
refused whole when opened, with one message and the file left as it is, rather
than failing run by run, or taking new runs of another model beside the old ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import attrs
import numpy as np

from orgsim.engine.columnar import Columns, Layout, Strings, layout
from orgsim.engine.events import (
    EVENT_TYPES,
    MODEL_CHANGED,
    RETIRED,
    UPCASTERS,
    Event,
    RunStarted,
    decode,
)
from orgsim.engine.log import EventLog
from orgsim.engine.log import replay as replay_log
from orgsim.engine.state import OrgState
from orgsim.errors import EventOrderError, SchemaVersionError, StoreError
from orgsim.scenario.schema import Scenario
from orgsim.storage.columns_codec import (
    CodecError,
    StoredLog,
    StoredTable,
    build_columns,
    build_table,
    digest_of,
    encode_run,
    fields_text,
    parse_fields,
    split_table,
    unpack,
)
from orgsim.storage.provenance import utc_now
from orgsim.storage.sqlite import (
    Schema,
    integrity_problems,
    open_database,
    store_errors,
    tables,
    transaction,
)

__all__ = ["FORK_KEY", "STORE_SCHEMA_VERSION", "EventStore", "ForkOrigin", "RunInfo"]

#: Version of the table layout below, and of the model its logs are of; bump it (and
#: add a migration) when either changes. 2: orgsim 0.2's event-driven model, one JSON
#: row per event; 3: the same model, each run's log stored as columns.
STORE_SCHEMA_VERSION = 3

#: The first store version of the event-driven model: older stores hold logs of
#: orgsim 0.1's tick-based model, which no migration can turn into this one's.
_FIRST_OF_THIS_MODEL = 2

#: The store version whose runs are JSON rows in ``events`` (read as they are).
_JSON_ROWS = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY,
    scenario TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    seed INT NOT NULL,
    replication INT NOT NULL,
    broker INT NOT NULL,
    events INT NOT NULL,
    digest TEXT NOT NULL,
    created TEXT NOT NULL,
    orgsim_version TEXT NOT NULL,
    scenario_json TEXT,
    metadata_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_logs (
    run_id INTEGER PRIMARY KEY,
    tables INT NOT NULL,
    codes BLOB NOT NULL,
    strings BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS run_columns (
    run_id INT NOT NULL,
    code INT NOT NULL,
    type TEXT NOT NULL,
    version INT NOT NULL,
    rows INT NOT NULL,
    fields TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, code)
);
"""
_LAYOUT = Schema(ddl=_SCHEMA, version=STORE_SCHEMA_VERSION, version_key="schema_version")
_COLUMNAR = frozenset({"meta", "runs", "run_logs", "run_columns"})
_OLD = frozenset({"meta", "runs", "events"})

_RUN_FIELDS = (
    "run_id",
    "scenario",
    "scenario_hash",
    "seed",
    "replication",
    "broker",
    "events",
    "digest",
    "created",
    "orgsim_version",
    "metadata_json",
)
_RUN_COLUMNS = ", ".join(_RUN_FIELDS)


#: The key of a run's metadata under which a fork records where it came from.
FORK_KEY = "fork"


@attrs.frozen(kw_only=True)
class ForkOrigin:
    """Where a fork came from: the run it continues, the day it left it, and the change.

    A fork is stored as a run like any other (its log starts with its parent's
    ``RunStarted``, so its scenario, seed, replication and arm are the parent's);
    what makes it a fork is this record in its metadata (``metadata["fork"]``).

    Attributes:
        parent_run: The run id, in the same store, of the run it was forked from.
        fork_at: The day of the fork: the fork's events before it are the parent's.
        changes: What changed at ``fork_at``: ``{"set": [...], "intervene": [...]}``,
            as given (``path=value`` settings and intervention strings).
        prefix_digest: The canonical digest of the events before ``fork_at``, which
            the re-simulation reproduced and the parent's stored log holds.
        prefix_events: How many events that prefix holds.
    """

    parent_run: int
    fork_at: float
    changes: dict[str, list[str]]
    prefix_digest: str
    prefix_events: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as kept in the run's metadata."""
        return attrs.asdict(self)

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> ForkOrigin | None:
        """The origin a run's metadata records (None: the run is not a fork).

        Raises:
            ValueError: The metadata has a fork record that does not read.
        """
        found = metadata.get(FORK_KEY) if isinstance(metadata, Mapping) else None
        if found is None:
            return None
        if not isinstance(found, Mapping):
            raise ValueError(f"its fork record is not a table: {found!r}")
        try:
            changes = {str(k): [str(x) for x in v] for k, v in dict(found["changes"]).items()}
            return cls(
                parent_run=int(found["parent_run"]),
                fork_at=float(found["fork_at"]),
                changes=changes,
                prefix_digest=str(found["prefix_digest"]),
                prefix_events=int(found["prefix_events"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"its fork record does not read ({exc!r})") from None

    def describe(self) -> str:
        """One line: ``fork of run 3 at day 400: set a=1; appoint``."""
        said = [*self.changes.get("set", []), *self.changes.get("intervene", [])]
        return f"fork of run {self.parent_run} at day {self.fork_at:g}: " + (
            "; ".join(said) or "no change"
        )


@attrs.frozen(kw_only=True)
class RunInfo:
    """One stored run's provenance (a row of ``runs``, without the scenario body).

    Attributes:
        run_id: The store's identifier of the run.
        scenario: Scenario name.
        scenario_hash: :meth:`Scenario.digest` of the resolved scenario.
        seed: Root seed.
        replication: Replication number.
        broker: Whether the broker arm ran.
        events: Number of stored events.
        digest: SHA-256 of the stored events (see :meth:`EventStore.verify`).
        created: When the run was saved, UTC, ISO 8601.
        orgsim_version: The orgsim that produced the log (from ``RunStarted``).
        metadata: The free-form metadata given to :meth:`EventStore.save`.
        fork: Where the run was forked from, when it is a fork (its metadata's
            ``fork`` record, see :class:`ForkOrigin`); None for any other run.
    """

    run_id: int
    scenario: str
    scenario_hash: str
    seed: int
    replication: int
    broker: bool
    events: int
    digest: str
    created: str
    orgsim_version: str
    metadata: dict[str, Any] = attrs.field(factory=dict)
    fork: ForkOrigin | None = None

    @property
    def parent_run(self) -> int | None:
        """The run this one was forked from (None: it is not a fork)."""
        return None if self.fork is None else self.fork.parent_run


def _row_line(seq: int, time: float, name: str, version: int, data: str) -> bytes:
    # Must stay the line format of orgsim.engine.log.log_digest (tests/storage/test_store.py and
    # tests/storage/test_log_contract.py check).
    return f"{seq}|{time!r}|{name}|{version}|{data}\n".encode()


class EventStore:
    """An SQLite file holding any number of runs' event logs.

    Use as a context manager, or call :meth:`close`::

        with EventStore("runs.sqlite") as store:
            run_id = store.save(run.log, scenario=run.scenario)
            state = store.replay(run_id, until=365.0)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 5.0,
        readonly: bool = False,
        live: bool = False,
    ) -> None:
        """Open the store at ``path``, creating the file and its tables if missing.

        Args:
            path: The database file (``":memory:"`` for a throwaway store).
            timeout: Seconds to wait for another writer's lock before failing.
            readonly: Only read: the file must exist and be a store; nothing is
                created or written, not even SQLite's ``-wal``/``-shm`` files when
                the store was closed cleanly, so a store in a read-only folder reads.
            live: With ``readonly``, read with SQLite's locks (no ``immutable``
                shortcut): for a store another process is writing right now.

        Raises:
            StoreError: The file cannot be opened or created, is empty, damaged, not
                an SQLite database, is some other SQLite database, or was written by
                a newer orgsim (a newer store schema) or by orgsim 0.1 (store schema
                v1, whose logs are of a model this orgsim no longer runs).
        """
        self.path = os.fspath(path)
        self.readonly = readonly
        self._conn = open_database(
            self.path,
            timeout=timeout,
            setup=self._setup,
            failure=f"cannot open event store {self.path!r}",
            readonly=readonly,
            live=live,
        )

    def _setup(self, conn: sqlite3.Connection) -> None:
        # Strict by design: a file is this store at this version (or a version-2 store,
        # read as it is and migrated to write), or a new file, or refused untouched
        # (another database is never taken over).
        found = tables(conn)
        self._json_rows = "events" in found  # runs of JSON rows may be here
        self._only_json = False  # a version-2 store read as it is: no columnar tables
        if self.readonly and not (found >= _COLUMNAR or found >= _OLD):
            raise StoreError(
                f"{self.path!r} is an SQLite database but not an orgsim event store "
                f"(tables: {', '.join(sorted(found)) or 'none'})"
            )
        if "meta" in found:
            version = _LAYOUT.stored_version(conn)
            if version is None:
                raise StoreError(f"{self.path!r} has a meta table but no store schema version")
            if version > STORE_SCHEMA_VERSION:
                raise StoreError(
                    f"event store {self.path!r} has schema v{version}, newer than this "
                    f"orgsim reads (v{STORE_SCHEMA_VERSION}); upgrade orgsim"
                )
            if version < _FIRST_OF_THIS_MODEL:
                raise StoreError(
                    f"event store {self.path!r} (schema v{version}) cannot be read or "
                    f"appended to: {MODEL_CHANGED}, with a new --db path (this file is "
                    "left as it is)"
                )
            if version == _JSON_ROWS:
                if self.readonly:
                    self._only_json = True  # read as it is: every run is JSON rows
                    return
                self._migrate(conn)
                return
            if found >= _COLUMNAR:
                return
            if self.readonly:
                raise StoreError(
                    f"{self.path!r} is an SQLite database but not an orgsim event store "
                    f"(tables: {', '.join(sorted(found))})"
                )
        elif found:
            raise StoreError(
                f"{self.path!r} is an SQLite database but not an orgsim event store "
                f"(tables: {', '.join(sorted(found))})"
            )
        _LAYOUT.create(conn)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """A version-2 store, opened to write: add the columnar tables, mark it v3.

        One transaction: a store is either left at v2 or is v3 with every table.
        Its JSON runs stay in ``events`` and read as before.
        """
        with transaction(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                (str(STORE_SCHEMA_VERSION),),
            )

    # ------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Close the database connection (idempotent)."""
        self._conn.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EventStore({self.path!r})"

    def _errors(self, doing: str) -> contextlib.AbstractContextManager[None]:
        """Turn sqlite3 errors into a StoreError naming the file and the action."""
        return store_errors(f"event store {self.path!r}: cannot {doing}")

    def _stored_runs(self) -> str:
        """What a failed write kept: the runs stored before it (for error messages)."""
        (count,) = self._conn.execute("SELECT count(*) FROM runs").fetchone()
        return f"nothing of this run was written; the {count} run(s) stored before are kept"

    # ----------------------------------------------------------------- write

    def save(
        self,
        log: Sequence[Event],
        *,
        scenario: Scenario | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> int:
        """Store a whole run, its row and its log as columns, in one transaction.

        Args:
            log: The run's events, in order, starting with ``RunStarted``: an
                :class:`~orgsim.engine.log.EventLog` (its columns are written as
                they are) or any sequence of events (put into columns first).
            scenario: The resolved scenario the run used (``run.scenario``), kept as
                JSON for provenance; its digest must match the log's.
            metadata: Free-form JSON-serialisable data to keep with the run.

        Returns:
            The new run's ``run_id``.

        Raises:
            StoreError: The log is empty or does not start with ``RunStarted``, the
                scenario is not the log's, the metadata is not JSON, or the write
                failed (nothing is written then).
            EventOrderError: An event is out of sequence or back in time (nothing is
                written).
        """
        values = self._run_row(log, scenario, metadata)
        codes, strings, stored, digest = encode_run(_columns_of(log))
        saving = store_errors(
            f"event store {self.path!r}: cannot save a run", kept=self._stored_runs
        )
        with saving, transaction(self._conn) as conn:
            cur = conn.execute(
                "INSERT INTO runs (scenario, scenario_hash, seed, replication, broker, events, "
                "digest, created, orgsim_version, scenario_json, metadata_json) "
                "VALUES (?, ?, ?, ?, ?, 0, '', ?, ?, ?, ?)",
                values,
            )
            run_id = cur.lastrowid
            assert run_id is not None
            conn.execute(
                "INSERT INTO run_logs (run_id, tables, codes, strings) VALUES (?, ?, ?, ?)",
                (run_id, len(stored), codes, strings),
            )
            conn.executemany(
                "INSERT INTO run_columns (run_id, code, type, version, rows, fields, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                _column_rows(run_id, stored),
            )
            conn.execute(
                "UPDATE runs SET events = ?, digest = ? WHERE run_id = ?",
                (len(log), digest, run_id),
            )
        return run_id

    def _run_row(
        self,
        log: Sequence[Event],
        scenario: Scenario | None,
        metadata: Mapping[str, Any] | None,
    ) -> tuple[Any, ...]:
        """The new ``runs`` row's provenance values, after checking what :meth:`save` got."""
        head = log[0] if len(log) else None
        if not isinstance(head, RunStarted):
            first = type(head).__name__ if len(log) else "nothing"
            raise StoreError(
                f"cannot save to {self.path!r}: the log starts with {first}, not RunStarted"
            )
        scenario_json = None
        if scenario is not None:
            if scenario.digest() != head.scenario_hash:
                raise StoreError(
                    f"cannot save to {self.path!r}: scenario {scenario.name!r} has digest "
                    f"{scenario.digest()}, but the log was produced by {head.scenario_hash} "
                    "(pass run.scenario, which includes the broker override)"
                )
            scenario_json = json.dumps(scenario.to_dict())
        try:
            metadata_json = json.dumps(dict(metadata or {}), sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"cannot save to {self.path!r}: metadata is not JSON-serialisable: {exc}"
            ) from None
        return (
            head.scenario,
            head.scenario_hash,
            head.seed,
            head.replication,
            int(head.broker),
            utc_now("milliseconds"),
            head.orgsim_version,
            scenario_json,
            metadata_json,
        )

    # ------------------------------------------------------------------ read

    def runs(self) -> list[RunInfo]:
        """Every stored run, oldest first."""
        with self._errors("list runs"):
            rows = self._conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY run_id")
            return [_run_info(r, self.path) for r in rows]

    def forks(self, parent: int | None = None) -> list[RunInfo]:
        """The stored forks (of run ``parent`` only, when given), oldest first."""
        return [
            r
            for r in self.runs()
            if r.fork is not None and (parent is None or r.fork.parent_run == parent)
        ]

    def run(self, run_id: int) -> RunInfo:
        """One stored run's provenance.

        Raises:
            StoreError: No run has this id.
        """
        with self._errors(f"read run {run_id}"):
            row = self._conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        if row is None:
            raise self._unknown(run_id)
        return _run_info(row, self.path)

    def scenario(self, run_id: int) -> dict[str, Any] | None:
        """The resolved scenario saved with the run, as plain data (None if not saved).

        Raises:
            StoreError: No run has this id.
        """
        with self._errors(f"read run {run_id}"):
            row = self._conn.execute(
                "SELECT scenario_json FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        if row is None:
            raise self._unknown(run_id)
        if row[0] is None:
            return None
        try:
            return dict(json.loads(row[0]))
        except (ValueError, TypeError) as exc:
            raise self._damaged(run_id, f"its saved scenario is not JSON ({exc})") from None

    def log(self, run_id: int) -> EventLog:
        """The run's log as the columnar :class:`~orgsim.engine.log.EventLog` it was saved from.

        No event is built: the columns are filled from the stored buffers, so
        projections over ``frame()`` (``orgsim.metrics``) read them at once. Its
        ``state`` is folded the first time it is read. A table of an older event
        schema is upcast (its events built, upcast, and put into columns again);
        a run of a version-2 store is decoded from its JSON rows.

        Raises:
            StoreError: No run has this id, or it is damaged.
            SchemaVersionError: A stored table cannot be read by this orgsim.
        """
        stored = self._stored(run_id)
        if stored is None:
            return StoredLog(_columns_of(self._json_events(run_id, (), None, None)))
        current = [(t.layout, t) for t in stored.tables if t.layout is not None]
        if len(current) == len(stored.tables):
            parts = [(lay, t.arrays(self, run_id)) for lay, t in current]
            return StoredLog(build_columns(stored.codes, stored.strings, parts))
        return StoredLog(_columns_of(self._select(run_id, stored, None, None)))

    def events(
        self,
        run_id: int,
        *,
        types: Collection[str] = (),
        start: float | None = None,
        end: float | None = None,
    ) -> list[Event]:
        """A run's events in log order, optionally filtered.

        Only the event types asked for are read and decoded; the time bounds
        select rows by the stored times, before any event is built.

        Args:
            run_id: The run.
            types: Keep only events of these class names (all if empty).
            start: Keep only events at or after this time.
            end: Keep only events at or before this time.

        Raises:
            StoreError: No run has this id, or a name in ``types`` is no event type
                (or a retired one, such as ``DayWorked``).
            SchemaVersionError: A stored event cannot be read by this orgsim (a
                retired type, or a schema version no upcaster reaches); the message
                names the file, the run and the event's ``seq``.
        """
        if isinstance(types, str):
            types = (types,)
        names = tuple(dict.fromkeys(types))
        retired = [n for n in names if n in RETIRED]
        if retired:
            raise StoreError(
                f"event type {retired[0]!r} is retired ({RETIRED[retired[0]]}): "
                "no log of this orgsim holds it"
            )
        unknown = [n for n in names if n not in EVENT_TYPES]
        if unknown:
            raise StoreError(f"unknown event type(s) {', '.join(map(repr, unknown))}")
        for label, bound in (("start", start), ("end", end)):
            if bound is not None and math.isnan(bound):
                raise ValueError(f"{label} must be a number, not NaN")
        stored = self._stored(run_id, names)
        if stored is None:
            return self._json_events(run_id, names, start, end)
        return self._select(run_id, stored, start, end)

    def _select(
        self, run_id: int, stored: _Stored, start: float | None, end: float | None
    ) -> list[Event]:
        """The events of the stored tables with a time in [start, end], in log order."""
        codes = np.frombuffer(stored.codes, np.uint8)
        picked: list[tuple[Any, Any, _StoredTable]] = []  # seqs, rows, table
        for t in stored.tables:
            seqs = np.flatnonzero(codes == t.code)
            times = np.frombuffer(t.arrays(self, run_id)[0], "<f8")
            keep = np.ones(len(times), bool)
            if start is not None:
                keep &= times >= start
            if end is not None:
                keep &= times <= end
            rows = np.flatnonzero(keep)
            if len(rows):
                t.check_readable(self, run_id, int(seqs[rows[0]]))
                picked.append((seqs[rows], rows, t))
        if not picked:
            return []
        order = np.argsort(np.concatenate([p[0] for p in picked]), kind="stable")
        which = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(picked)])[order]
        seq_all = np.concatenate([p[0] for p in picked])[order].tolist()
        row_all = np.concatenate([p[1] for p in picked])[order].tolist()
        builds = [p[2].builder(self, run_id, stored.strings) for p in picked]
        return [builds[w](s, r) for w, s, r in zip(which.tolist(), seq_all, row_all, strict=True)]

    def _stored(self, run_id: int, names: Sequence[str] = ()) -> _Stored | None:
        """The run's stored index and its tables (those of ``names``, or all).

        None for a run of JSON rows (a version-2 store's). Checks first that the
        run still has every table it was saved with, each with a row per position
        of its type.
        """
        with self._errors(f"read run {run_id}"):
            head = self._conn.execute(
                "SELECT events FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if head is None:
                raise self._unknown(run_id)
            index = self._index(run_id, "tables, codes, strings")
            if index is None and self._json_rows:
                self._require(run_id)
                return None
            listed = self._conn.execute(
                "SELECT code, type, version, rows, fields FROM run_columns "
                "WHERE run_id = ? ORDER BY code",
                (run_id,),
            ).fetchall()
        (count,) = head
        if index is None:
            raise self._damaged(run_id, f"it was saved with {count} events, but its log is gone")
        n_tables, codes_blob, strings_blob = index
        try:
            codes = unpack(codes_blob)
            strings = json.loads(unpack(strings_blob))
        except (CodecError, ValueError) as exc:
            raise self._damaged(run_id, f"its index of positions does not read ({exc})") from None
        if not (isinstance(strings, list) and all(isinstance(v, str) for v in strings)):
            raise self._damaged(run_id, "its string table is not a list of strings")
        for row in listed:
            ints = (row[0], row[2], row[3])
            number = all(isinstance(v, int) and not isinstance(v, bool) for v in ints)
            if not number or not isinstance(row[1], str) or not isinstance(row[4], str):
                raise self._damaged(
                    run_id,
                    f"the table of {row[1]!r} has a code, schema version or number of rows "
                    f"that is not a number (code {row[0]!r}, version {row[2]!r}, "
                    f"rows {row[3]!r})",
                )
        counts = np.bincount(np.frombuffer(codes, np.uint8), minlength=n_tables).tolist()
        saved = [(c, r) for c, _, _, r, _ in listed]
        if len(codes) != count or saved != list(enumerate(counts)) or len(counts) != n_tables:
            raise self._damaged(
                run_id,
                f"it was saved with {count} events in {n_tables} tables, but "
                f"{len(codes)} positions and {len(listed)} tables remain, with "
                f"{sum(r for _, r in saved)} rows",
            )
        wanted = [_StoredTable(*row) for row in listed if not names or row[1] in names]
        if wanted:  # every buffer the read needs, in one query
            blobs = self._blobs(run_id, [t.code for t in wanted], every=len(wanted) == n_tables)
            for t in wanted:
                t.blob = blobs.get(t.code)
        return _Stored(codes, strings, wanted)

    def _index(self, run_id: int, columns: str) -> tuple[Any, ...] | None:
        """The run's ``run_logs`` row (None: it has none, or the store has no such table)."""
        if self._only_json:
            return None
        row: tuple[Any, ...] | None = self._conn.execute(
            f"SELECT {columns} FROM run_logs WHERE run_id = ?", (run_id,)
        ).fetchone()
        return row

    def _blobs(self, run_id: int, codes: Sequence[int], *, every: bool) -> dict[int, Any]:
        """The stored buffers of some tables of a run (``every``: all of them), by code."""
        with self._errors(f"read the events of run {run_id}"):
            if every or len(codes) > 100:
                rows = self._conn.execute(
                    "SELECT code, data FROM run_columns WHERE run_id = ?", (run_id,)
                ).fetchall()
            else:
                rows = self._conn.execute(
                    f"SELECT code, data FROM run_columns WHERE run_id = ? "
                    f"AND code IN ({', '.join('?' * len(codes))})",
                    (run_id, *codes),
                ).fetchall()
        return dict(rows)

    def _json_events(
        self, run_id: int, names: Sequence[str], start: float | None, end: float | None
    ) -> list[Event]:
        """A JSON-row run's events (a version-2 store's), filtered in SQL."""
        sql = "SELECT seq, time, type, version, data FROM events WHERE run_id = ?"
        params: list[Any] = [run_id]
        if names:
            sql += f" AND type IN ({', '.join('?' * len(names))})"
            params.extend(names)
        if start is not None:
            sql += " AND time >= ?"
            params.append(start)
        if end is not None:
            sql += " AND time <= ?"
            params.append(end)
        sql += " ORDER BY seq"
        with self._errors(f"read the events of run {run_id}"):
            rows = self._conn.execute(sql, params).fetchall()
        return [self._decode(run_id, row) for row in rows]

    def _decode(self, run_id: int, row: tuple[Any, ...]) -> Event:
        """One stored JSON row as its event; a row that no longer decodes is named as damage."""
        seq, time, _, version = row[0], row[1], row[2], row[3]
        numbers = (
            isinstance(seq, int)
            and isinstance(version, int)
            and isinstance(time, int | float)
            and math.isfinite(time)
        )
        if not numbers or isinstance(seq, bool):
            raise self._damaged(
                run_id,
                f"event {row[2]!r} has a seq, time or schema version that is not a number "
                f"(seq {seq!r}, time {time!r}, version {version!r})",
            )
        try:
            return decode(*row)
        except SchemaVersionError as exc:
            raise SchemaVersionError(f"{self.path!r}, run {run_id}: {exc}") from None
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            what = "is not valid JSON" if isinstance(exc, json.JSONDecodeError) else "does not fit"
            raise self._damaged(
                run_id, f"the payload of event seq {row[0]} ({row[2]}) {what}: {exc}"
            ) from None

    def replay(self, run_id: int, until: float | None = None) -> OrgState:
        """The run's state, folded from its stored events.

        Args:
            run_id: The run.
            until: Fold only the events at or before this time (the state as it was
                then, as :func:`orgsim.engine.state.fold` gives it); the whole log if None.

        Raises:
            StoreError: No run has this id.
            EventOrderError: The stored log is out of order.
        """
        events = self.events(run_id, end=until)
        try:
            return replay_log(events).state
        except EventOrderError as exc:
            if not self.verify(run_id):  # rows changed or lost since the run was saved
                raise self._damaged(
                    run_id, f"its stored log was altered and is out of order ({exc})"
                ) from None
            raise EventOrderError(f"{self.path!r}, run {run_id}: {exc}") from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # Damage that still decodes (a changed id, say) breaks the fold; a log
            # that hashes to its digest is intact, so then it is a bug: re-raise.
            if self.verify(run_id):
                raise
            raise self._damaged(
                run_id, f"its stored log was altered and cannot be replayed ({exc})"
            ) from None

    def verify(self, run_id: int) -> bool:
        """Whether the run's stored log still hashes to the digest saved with it.

        The canonical digest is recomputed from the stored buffers (no event is
        built), with the schema versions as stored, so an upcast schema does not
        count as tampering; a changed, added or removed byte, table or position
        does. A run of JSON rows (a version-2 store's) is checked against the digest
        of its rows, as orgsim 0.2 saved it.

        Raises:
            StoreError: No run has this id.
        """
        info = self.run(run_id)
        with self._errors(f"read the events of run {run_id}"):
            index = self._index(run_id, "codes, strings")
            if index is None and self._json_rows:
                return self._verify_json(info)
            listed = self._conn.execute(
                "SELECT code, type, version, rows, fields, data FROM run_columns "
                "WHERE run_id = ? ORDER BY code",
                (run_id,),
            ).fetchall()
        if index is None:
            return False
        try:
            codes = unpack(index[0])
            strings = json.loads(unpack(index[1]))
            parts = [
                (name, version, rows, split_table(unpack(data), rows, parse_fields(fields)[1]))
                for _, name, version, rows, fields, data in listed
            ]
        except (CodecError, ValueError, TypeError, AttributeError):
            return False
        if [row[0] for row in listed] != list(range(len(listed))):
            return False
        digest = digest_of(strings, codes, parts)
        return len(codes) == info.events and digest == info.digest

    def _verify_json(self, info: RunInfo) -> bool:
        h = hashlib.sha256()
        count = 0
        # The payload as stored bytes: a byte that is no longer UTF-8 is a mismatch.
        for seq, time, name, version, data in self._conn.execute(
            "SELECT seq, time, type, version, CAST(data AS BLOB) FROM events "
            "WHERE run_id = ? ORDER BY seq",
            (info.run_id,),
        ):
            h.update(_row_line(seq, time, name, version, "")[:-1] + bytes(data) + b"\n")
            count += 1
        return count == info.events and h.hexdigest() == info.digest

    def integrity(self) -> list[str]:
        """What SQLite's ``PRAGMA integrity_check`` finds wrong with the file (empty: sound).

        It reads every page of the file, so it finds damage in runs nobody asked
        for; the reads of one run check only that run. A file too damaged to be
        checked at all gives SQLite's one reason.
        """
        try:
            return integrity_problems(self._conn)
        except sqlite3.DatabaseError as exc:
            return [str(exc)]

    # --------------------------------------------------------------- helpers

    def _require(self, run_id: int) -> None:
        """Check that a JSON-row run still has every row it was saved with."""
        with self._errors(f"read run {run_id}"):
            row = self._conn.execute(
                "SELECT events FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise self._unknown(run_id)
            count, first, last = self._conn.execute(
                "SELECT count(*), min(seq), max(seq) FROM events WHERE run_id = ?", (run_id,)
            ).fetchone()
        if (count, first, last) != (row[0], 0, row[0] - 1) and not (row[0] == count == 0):
            raise self._damaged(
                run_id,
                f"it was saved with {row[0]} events (seq 0 to {row[0] - 1}) but "
                f"{count} remain (seq {first} to {last})",
            )

    def _unknown(self, run_id: int) -> StoreError:
        return StoreError(f"event store {self.path!r} has no run {run_id}")

    def _damaged(self, run_id: int, what: str) -> StoreError:
        return StoreError(f"event store {self.path!r} is damaged: run {run_id}: {what}")


@attrs.frozen
class _Stored:
    """A run's stored index (codes, strings) and the listing of some of its tables."""

    codes: bytes
    strings: list[str]
    tables: list[_StoredTable]


class _StoredTable:
    """One row of ``run_columns`` (its buffer read on first use) and how to read it."""

    def __init__(self, code: int, name: str, version: int, rows: int, fields: str) -> None:
        self.code, self.name, self.version, self.rows, self.fields = (
            code,
            name,
            version,
            rows,
            fields,
        )
        self.cls = EVENT_TYPES.get(name)
        self.layout: Layout | None = None
        if self.cls is not None and version == self.cls.schema_version:
            lay = layout(self.cls)
            if fields_text(lay) == fields:
                self.layout = lay
        self.blob: Any = None  # the stored buffer, fetched with the others of the read
        self._arrays: list[bytes] | None = None

    @property
    def current(self) -> bool:
        """Whether the table is of this orgsim's schema: read as it is, no event built."""
        return self.layout is not None

    def arrays(self, store: EventStore, run_id: int) -> list[bytes]:
        """The table's arrays, raw little-endian (``[time, *columns]``)."""
        if self._arrays is None:
            try:
                kinds = parse_fields(self.fields)[1]
                self._arrays = split_table(unpack(self.blob), self.rows, kinds)
            except CodecError as exc:
                raise store._damaged(
                    run_id, f"the columns of {self.name} do not read ({exc})"
                ) from None
        return self._arrays

    def check_readable(self, store: EventStore, run_id: int, seq: int) -> None:
        """Refuse a table this orgsim cannot read, naming the first event a read reaches."""
        error = _unreadable(self.name, self.version, seq)
        if error is not None:
            raise SchemaVersionError(f"{store.path!r}, run {run_id}: {error}")
        if self.cls is not None and self.version == self.cls.schema_version and not self.current:
            raise store._damaged(
                run_id,
                f"the table of {self.name} has fields {self.fields!r}, not those of "
                f"{self.name} v{self.version} ({fields_text(layout(self.cls))!r})",
            )

    def builder(
        self, store: EventStore, run_id: int, strings: list[str]
    ) -> Callable[[int, int], Event]:
        """A function that builds row ``row`` as the event at position ``seq``."""
        pool = Strings(strings)
        if self.layout is not None:
            return build_table(self.layout, self.arrays(store, run_id), pool).event
        assert self.cls is not None  # check_readable refused the rest
        cls = self.cls
        names, kinds = parse_fields(self.fields)
        old = build_table(Layout(cls, names, kinds), self.arrays(store, run_id), pool)
        name, version = self.name, self.version

        def build(seq: int, row: int) -> Event:
            fields = {n: old.value(i, row, pool) for i, n in enumerate(names)}
            v = version
            try:
                while v < cls.schema_version:
                    fields = UPCASTERS[(name, v)](fields)
                    v += 1
                for key, value in fields.items():
                    if isinstance(value, list):
                        fields[key] = tuple(value)
                return cls(seq=seq, time=old.time[row], **fields)
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                raise store._damaged(
                    run_id, f"event seq {seq} ({name} v{version}) does not fit: {exc}"
                ) from None

        return build


def _unreadable(name: str, version: int, seq: int) -> str | None:
    """Why events of ``name`` at schema ``version`` cannot be read (None: they can).

    The messages of :func:`orgsim.engine.events.decode`, for a table's first event.
    """
    cls = EVENT_TYPES.get(name)
    if cls is None:
        if name in RETIRED:
            return f"event {name} at seq {seq} is retired ({RETIRED[name]}): {MODEL_CHANGED}"
        return f"unknown event type {name!r} at seq {seq}"
    v = version
    while v < cls.schema_version:
        if (name, v) not in UPCASTERS:
            return (
                f"{name} v{v} at seq {seq} cannot be upcast to "
                f"v{cls.schema_version}: {MODEL_CHANGED}"
            )
        v += 1
    if v > cls.schema_version:
        return (
            f"{name} v{v} at seq {seq} is newer than this orgsim reads "
            f"(v{cls.schema_version}); upgrade orgsim"
        )
    return None


def _columns_of(log: Sequence[Event]) -> Columns:
    """A log's columns, flushed: an EventLog's own, or the events put into new ones.

    An :class:`EventLog` checked its order as it grew; other sequences are checked
    here, before anything is written.

    Raises:
        EventOrderError: an event is out of sequence or back in time.
    """
    if isinstance(log, EventLog):
        log.columns.flush()
        return log.columns
    columns = Columns()
    last = -math.inf
    for i, e in enumerate(log):
        name = type(e).__name__
        if e.seq != i:
            raise EventOrderError(f"event {name} has seq {e.seq}, expected {i}")
        time = float(e.time)
        if time < last:
            raise EventOrderError(
                f"event {name} at seq {e.seq} has time {time}, before the previous {last}"
            )
        last = time
        columns.append(e)
    columns.flush()
    return columns


def _column_rows(
    run_id: int, stored: Sequence[StoredTable]
) -> Iterator[tuple[int, int, str, int, int, str, bytes]]:
    """The ``run_columns`` rows of a run's tables, by code (a generator, inside the save)."""
    for code, t in enumerate(stored):
        yield run_id, code, t.name, t.version, t.rows, t.fields, t.blob


def _run_info(row: tuple[Any, ...], path: str) -> RunInfo:
    fields = dict(zip(_RUN_FIELDS, row, strict=True))
    fields["broker"] = bool(fields["broker"])
    try:
        fields["metadata"] = json.loads(fields.pop("metadata_json"))
        fields["fork"] = ForkOrigin.from_metadata(fields["metadata"])
        return RunInfo(**fields)
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"event store {path!r} is damaged: run {fields['run_id']}: its provenance row "
            f"does not read ({exc})"
        ) from None
