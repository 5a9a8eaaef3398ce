"""The embedded event store: whole runs in one SQLite file, read back as events or states.

A run is saved once, whole, in one transaction: a row in ``runs`` (provenance: the
scenario, seed, replication, broker arm, event count, digest, and optionally the
resolved scenario and free-form metadata) and one row per event in ``events``, in
exactly the form :func:`orgsim.engine.events.encode` gives. Reading decodes the rows
with :func:`orgsim.engine.events.decode`, so logs written by an older orgsim are
upcast on the way in where an upcaster exists, and refused by ``seq`` where none
does. Nothing is ever updated or deleted in place: the log stays the source of
truth, and any state is a fold of it (:meth:`EventStore.replay`).

The stored digest is the SHA-256 of the stored rows, in the line format of
:func:`orgsim.engine.log.log_digest`; :meth:`EventStore.verify` recomputes it from
the raw rows (not from decoded events), so upcasting never makes an intact run look
tampered with. Times are stored as REAL, so an event whose ``time`` is the integer
``0`` reads back as ``0.0``; the digest is taken over the stored (float) form.

Errors at this boundary are :class:`~orgsim.errors.StoreError`, naming the file and
the run; ``sqlite3`` exceptions never leave this module. A damaged file is reported
as damage, never as a crash: every read of a run first checks that the run still
has the rows it was saved with (their number and their ``seq`` range, a cheap
index scan), and a row that no longer decodes is named by run and ``seq``.
:meth:`EventStore.integrity` asks SQLite to check the whole file. A store opened
with ``readonly=True`` (what ``orgsim events`` does) creates and changes nothing.
Opening, pragmas and transactions are :mod:`orgsim.storage.sqlite`'s, shared with
the results database.

Store schema version 2 (orgsim 0.2) keeps the tables of version 1; the version says
what model the logs in it are of. A version-1 store was written by orgsim 0.1, whose
runs (daily ``DayWorked`` ticks, state kept beside the log) cannot be upcast to the
event-driven model (:data:`orgsim.engine.events.MODEL_CHANGED`): it is refused whole
when opened, with one message and the file left as it is, rather than failing run by
run, or taking new runs of another model beside the old ones.
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

from orgsim.engine.events import (
    EVENT_TYPES,
    MODEL_CHANGED,
    RETIRED,
    Event,
    RunStarted,
    decode,
    encode,
)
from orgsim.engine.log import replay as replay_log
from orgsim.engine.state import OrgState
from orgsim.errors import EventOrderError, SchemaVersionError, StoreError
from orgsim.scenario.schema import Scenario
from orgsim.storage.provenance import utc_now
from orgsim.storage.sqlite import (
    Schema,
    integrity_problems,
    open_database,
    store_errors,
    tables,
    transaction,
)

__all__ = ["STORE_SCHEMA_VERSION", "EventStore", "RunInfo"]

#: Version of the table layout below, and of the model its logs are of; bump it (and
#: add a migration) when either changes. 2: orgsim 0.2's event-driven model.
STORE_SCHEMA_VERSION = 2

#: The first store version of the event-driven model: older stores hold logs of
#: orgsim 0.1's tick-based model, which no migration can turn into this one's.
_FIRST_OF_THIS_MODEL = 2

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
CREATE TABLE IF NOT EXISTS events (
    run_id INT NOT NULL,
    seq INT NOT NULL,
    time REAL NOT NULL,
    type TEXT NOT NULL,
    version INT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
"""
_LAYOUT = Schema(ddl=_SCHEMA, version=STORE_SCHEMA_VERSION, version_key="schema_version")

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
        # Strict by design: a file is this store at this version, or a new file,
        # or refused untouched (another database is never taken over).
        found = tables(conn)
        if self.readonly and not {"meta", "runs", "events"} <= found:
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
            if version < STORE_SCHEMA_VERSION:
                raise StoreError(
                    f"event store {self.path!r} has schema v{version} and no migration "
                    f"to v{STORE_SCHEMA_VERSION} exists"
                )
            if {"runs", "events"} <= found:
                return
        elif found:
            raise StoreError(
                f"{self.path!r} is an SQLite database but not an orgsim event store "
                f"(tables: {', '.join(sorted(found))})"
            )
        _LAYOUT.create(conn)

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
        """Store a whole run, its row and all its events, in one transaction.

        Args:
            log: The run's events, in order, starting with ``RunStarted``
                (an :class:`~orgsim.engine.log.EventLog` or any sequence of events).
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
        digest = hashlib.sha256()
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
            conn.executemany(
                "INSERT INTO events (run_id, seq, time, type, version, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                _checked_rows(run_id, log, digest.update),
            )
            conn.execute(
                "UPDATE runs SET events = ?, digest = ? WHERE run_id = ?",
                (len(log), digest.hexdigest(), run_id),
            )
        return run_id

    def _run_row(
        self,
        log: Sequence[Event],
        scenario: Scenario | None,
        metadata: Mapping[str, Any] | None,
    ) -> tuple[Any, ...]:
        """The new ``runs`` row's provenance values, after checking what :meth:`save` got."""
        head = log[0] if log else None
        if not isinstance(head, RunStarted):
            first = type(head).__name__ if log else "nothing"
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

    def events(
        self,
        run_id: int,
        *,
        types: Collection[str] = (),
        start: float | None = None,
        end: float | None = None,
    ) -> list[Event]:
        """A run's events in log order, optionally filtered (in SQL).

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
        self._require(run_id)
        with self._errors(f"read the events of run {run_id}"):
            rows = self._conn.execute(sql, params).fetchall()
        return [self._decode(run_id, row) for row in rows]

    def _decode(self, run_id: int, row: tuple[Any, ...]) -> Event:
        """One stored row as its event; a row that no longer decodes is named as damage."""
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
        """Whether the run's stored events still hash to the digest saved with them.

        The digest is recomputed from the raw rows, so an upcast schema does not
        count as tampering; an edited, added or deleted row does.

        Raises:
            StoreError: No run has this id.
        """
        info = self.run(run_id)
        h = hashlib.sha256()
        count = 0
        with self._errors(f"read the events of run {run_id}"):
            # The payload as stored bytes: a byte that is no longer UTF-8 is a mismatch.
            for seq, time, name, version, data in self._conn.execute(
                "SELECT seq, time, type, version, CAST(data AS BLOB) FROM events "
                "WHERE run_id = ? ORDER BY seq",
                (run_id,),
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
        """Check that the run exists and still has every row it was saved with."""
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


def _checked_rows(
    run_id: int, log: Sequence[Event], hash_line: Callable[[bytes], object]
) -> Iterator[tuple[int, int, float, str, int, str]]:
    """The ``events`` rows of a log, checking its order and hashing them on the way.

    A generator, so that the first event out of order raises inside the save's
    transaction and nothing of the run is written; ``hash_line`` gets each row in
    the line format of the digest.
    """
    last = -math.inf
    for i, ev in enumerate(log):
        seq, time, name, version, data = encode(ev)
        time = float(time)  # as SQLite REAL will return it
        if seq != i:
            raise EventOrderError(f"event {name} has seq {seq}, expected {i}")
        if time < last:
            raise EventOrderError(
                f"event {name} at seq {seq} has time {time}, before the previous {last}"
            )
        last = time
        hash_line(_row_line(seq, time, name, version, data))
        yield run_id, seq, time, name, version, data


def _run_info(row: tuple[Any, ...], path: str) -> RunInfo:
    fields = dict(zip(_RUN_FIELDS, row, strict=True))
    fields["broker"] = bool(fields["broker"])
    try:
        fields["metadata"] = json.loads(fields.pop("metadata_json"))
        return RunInfo(**fields)
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"event store {path!r} is damaged: run {fields['run_id']}: its provenance row "
            f"does not read ({exc})"
        ) from None
