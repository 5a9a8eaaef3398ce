"""The append-only event log of one run: the only writer of its state.

``EventLog.record(EventType, **fields)`` is the one path by which a simulation
changes anything: it stamps the next ``seq`` and the current time, checks order,
appends, and applies the event to the live state. ``append`` does the same for a
ready-made event (replay), refusing one out of sequence or back in time with
:class:`~orgsim.errors.EventOrderError`, as eventsourcing's ``mutate`` does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, overload

from orgsim.engine.events import Event, encode
from orgsim.engine.state import OrgState, apply
from orgsim.errors import EventOrderError

E = TypeVar("E", bound=Event)


class EventLog(Sequence[Event]):
    """An ordered, append-only list of events with the state they fold to."""

    __slots__ = ("_clock", "_events", "state")

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        """Create an empty log.

        Args:
            clock: Returns the current simulated time for :meth:`record`
                (a SimPy environment's ``now``); replay logs need none.
        """
        self._events: list[Event] = []
        self.state = OrgState()
        self._clock = clock

    def record(self, cls: type[E], **fields: Any) -> E:
        """Create an event of type ``cls`` now, append it and apply it."""
        assert self._clock is not None, "record() needs a clock; use append() to replay"
        events = self._events
        event = cls(seq=len(events), time=self._clock(), **fields)
        # The hot path: seq is right by construction; time comes from the clock,
        # which must never go back. Apply first, so a failing handler leaves the
        # log unchanged.
        if events and event.time < events[-1].time:
            raise EventOrderError(
                f"event {cls.__name__} at seq {event.seq} has time {event.time}, "
                f"before the previous event's {events[-1].time}"
            )
        apply(self.state, event)
        events.append(event)
        return event

    def append(self, event: Event) -> None:
        """Append a ready-made event after checking its order, then apply it.

        Raises:
            EventOrderError: ``seq`` is not the next number, or ``time`` is earlier
                than the previous event's.
        """
        events = self._events
        if event.seq != len(events):
            raise EventOrderError(
                f"event {type(event).__name__} has seq {event.seq}, expected {len(events)}"
            )
        if events and event.time < events[-1].time:
            raise EventOrderError(
                f"event {type(event).__name__} at seq {event.seq} has time {event.time}, "
                f"before the previous event's {events[-1].time}"
            )
        # Apply before appending, so a failing handler leaves the log unchanged.
        apply(self.state, event)
        events.append(event)

    @overload
    def __getitem__(self, i: int) -> Event: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Event]: ...
    def __getitem__(self, i: int | slice) -> Event | Sequence[Event]:
        return self._events[i]

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def digest(self) -> str:
        """SHA-256 of the canonical encoding of every event, in order."""
        return log_digest(self._events)


def log_digest(events: Sequence[Event]) -> str:
    """SHA-256 over the encoded rows of a log: equal logs, equal digests."""
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
