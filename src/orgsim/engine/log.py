"""The append-only event log of one run: the only writer of its state.

``EventLog.record(EventType, **fields)`` is the one path by which a simulation
changes anything: it stamps the next ``seq`` and the current time, checks order,
appends, and applies the event to the live state. ``append`` does the same for a
ready-made event (replay), refusing one out of sequence or back in time with
:class:`~orgsim.errors.EventOrderError`, as eventsourcing's ``mutate`` does.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, overload

import numpy as np

from orgsim.engine.columnar import DIGEST_FORMAT, Columns, Frame, Table, little_endian
from orgsim.engine.events import Event, encode
from orgsim.engine.state import OrgState, apply
from orgsim.errors import EventOrderError

E = TypeVar("E", bound=Event)


class EventLog(Sequence[Event]):
    """An ordered, append-only log of events with the state they fold to.

    The events live in columns (:class:`~orgsim.engine.columnar.Columns`: a typed
    array per field of each event type), not as objects: a million-event run fits
    in tens of megabytes, a store writes it as buffers and projections read it with
    numpy (:meth:`frame`). Indexing or iterating builds each frozen event from its
    row, equal to the one recorded.
    """

    __slots__ = ("_clock", "_last", "columns", "state")

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        """Create an empty log.

        Args:
            clock: Returns the current simulated time for :meth:`record`
                (a SimPy environment's ``now``); replay logs need none.
        """
        self.columns = Columns()
        self.state = OrgState()
        self._clock = clock
        self._last = -math.inf

    def record(self, cls: type[E], **fields: Any) -> E:
        """Create an event of type ``cls`` now, append it and apply it."""
        assert self._clock is not None, "record() needs a clock; use append() to replay"
        columns = self.columns
        time = self._clock()
        event = cls(seq=len(columns), time=time, **fields)
        # The hot path: seq is right by construction; time comes from the clock,
        # which must never go back. Apply first, so a failing handler leaves the
        # log unchanged.
        if time < self._last:
            raise EventOrderError(
                f"event {cls.__name__} at seq {event.seq} has time {time}, "
                f"before the previous event's {self._last}"
            )
        apply(self.state, event)
        columns.append(event)
        self._last = time
        return event

    def append(self, event: Event) -> None:
        """Append a ready-made event after checking its order, then apply it.

        Raises:
            EventOrderError: ``seq`` is not the next number, or ``time`` is earlier
                than the previous event's.
        """
        n = len(self.columns)
        if event.seq != n:
            raise EventOrderError(f"event {type(event).__name__} has seq {event.seq}, expected {n}")
        if event.time < self._last:
            raise EventOrderError(
                f"event {type(event).__name__} at seq {event.seq} has time {event.time}, "
                f"before the previous event's {self._last}"
            )
        # Apply before appending, so a failing handler leaves the log unchanged.
        apply(self.state, event)
        self.columns.append(event)
        self._last = event.time

    @overload
    def __getitem__(self, i: int) -> Event: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Event]: ...
    def __getitem__(self, i: int | slice) -> Event | Sequence[Event]:
        n = len(self.columns)
        if isinstance(i, slice):
            return [self.columns.event(j) for j in range(*i.indices(n))]
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise IndexError(f"event index {i} out of range for a log of {n}")
        return self.columns.event(j)

    def __len__(self) -> int:
        return len(self.columns)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.columns)

    def frame(self, cls: type[Event]) -> Frame:
        """One event type's rows as numpy columns (what columnar projections read)."""
        return self.columns.frame(cls)

    def digest(self, before: float | None = None) -> str:
        """SHA-256 of the log's canonical columnar form (see ``columnar.canonical_digest``).

        Args:
            before: Digest only the events with a time before this one (the
                *prefix* a fork at that day must share with its parent, see
                :func:`prefix_digest`); the whole log when None.
        """
        if before is None:
            return self.columns.digest()
        return prefix_digest(self.columns, prefix_length(self.columns, before))

    def prefix(self, before: float) -> int:
        """How many events have a time before ``before`` (they come first: time never goes back)."""
        return prefix_length(self.columns, before)


def prefix_length(columns: Columns, before: float) -> int:
    """The number of leading events of a log whose time is before ``before``.

    Time never goes back along a log, so those events are its first ones, and a
    binary search over the positions' times finds where they end.
    """
    columns.flush()
    return int(np.searchsorted(position_times(columns), before, side="left"))


def position_times(columns: Columns) -> np.ndarray:
    """The time of every position of a (flushed) log, in log order."""
    codes = np.frombuffer(columns.codes, np.uint8)
    times = np.empty(len(codes), np.float64)
    for code, table in enumerate(columns.tables):
        times[codes == code] = np.frombuffer(table.time, np.float64)
    return times


def prefix_digest(columns: Columns, n: int) -> str:
    """The canonical digest of a log's first ``n`` events, read off its columns.

    Equal to ``canonical_digest`` of a log holding just those events, built
    without building one: tables, rows and string codes are numbered in order of
    first appearance along a log (:class:`~orgsim.engine.columnar.Columns`), so
    the first ``n`` events' canonical form is a prefix of each part of the whole
    log's: the strings up to the highest code they use, the first ``n`` type codes,
    the tables up to the highest code among them, and each of those tables' first
    rows. A live log and one read from a store (``EventStore.log``) are the same
    columns, so this one function is what a fork checks on both sides.

    Raises:
        ValueError: ``n`` is not between 0 and the log's length.
    """
    columns.flush()
    total = len(columns.codes)
    if not 0 <= n <= total:
        raise ValueError(f"a prefix of {n} events of a log of {total}")
    if n == total:
        return columns.digest()
    codes = np.frombuffer(columns.codes, np.uint8)[:n]
    counts = np.bincount(codes, minlength=len(columns.tables)).tolist() if n else []
    used = len(counts) and int(codes.max()) + 1
    parts: list[tuple[Table, int, list[tuple[array[Any], array[int] | None]]]] = []
    strings = 0
    for table, rows in zip(columns.tables[:used], counts[:used], strict=True):
        cols: list[tuple[array[Any], array[int] | None]] = []
        for kind, col, lengths in zip(
            table.layout.kinds, table.columns, table.lengths, strict=True
        ):
            if lengths is None:
                part, kept = col[:rows], None
            else:
                kept = lengths[:rows]
                part = col[: sum(kept)]
            if kind in "sS" and len(part):
                strings = max(strings, max(part) + 1)
            cols.append((part, kept))
        parts.append((table, rows, cols))
    h = hashlib.sha256(DIGEST_FORMAT)
    for s in columns.strings.values[:strings]:
        h.update(s.encode() + b"\n")
    h.update(b"codes\n")
    h.update(codes.tobytes())
    for table, rows, cols in parts:
        lay = table.layout
        h.update(f"{lay.name}|{lay.cls.schema_version}|{rows}\n".encode())
        h.update(little_endian(table.time[:rows]))
        for part, kept in cols:
            if kept is not None:
                h.update(little_endian(kept))
            h.update(little_endian(part))
    return h.hexdigest()


def first_difference(a: Sequence[Event], b: Sequence[Event], n: int) -> int | None:
    """The first of the first ``n`` positions where two logs differ (None: they agree).

    A log shorter than ``n`` differs at its end, named by the position past it.
    """
    for seq in range(n):
        if seq >= len(a) or seq >= len(b) or a[seq] != b[seq]:
            return seq
    return None


def log_digest(events: Iterable[Event]) -> str:
    """SHA-256 over the JSON rows of events (orgsim 0.2's digest, kept as a reference).

    An ``EventLog``'s own :meth:`~EventLog.digest` is over its canonical columns,
    far cheaper; this one, over the stored JSON line format, is what golden tests
    use to show that a change of storage left the events themselves unchanged.
    """
    h = hashlib.sha256()
    for e in events:
        seq, time, name, version, data = encode(e)
        h.update(f"{seq}|{time!r}|{name}|{version}|{data}\n".encode())
    return h.hexdigest()


def replay(events: Sequence[Event]) -> EventLog:
    """Fold events into a fresh log, re-checking order; its ``state`` is the result."""
    log = EventLog()
    for e in events:
        log.append(e)
    return log
