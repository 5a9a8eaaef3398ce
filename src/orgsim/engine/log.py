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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, overload

from orgsim.engine.columnar import Columns, Frame
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

    def digest(self) -> str:
        """SHA-256 of the log's canonical columnar form (see ``columnar.canonical_digest``)."""
        return self.columns.digest()


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
