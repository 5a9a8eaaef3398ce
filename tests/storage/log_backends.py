"""The event-log backends as the contract tests see them, and a hand-built log.

The in-memory :class:`~orgsim.engine.log.EventLog` and the SQLite
:class:`~orgsim.storage.eventstore.EventStore` have different APIs; each adapter
here gives the contract (test_log_contract.py) the same few operations.

A backend's *stored form* is what outlives the process: for the store, the SQLite
file (its columns, read back by reopening it); for the in-memory log, its encoded rows
as JSON, the form the results database keeps (``RunRecord.log``) and decodes.
The in-memory log has no query API, so its adapter filters the sequence in plain
Python, as its readers do.
"""

from __future__ import annotations

import abc
import json
import sqlite3
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from builders import run_fields
from orgsim.engine import events as ev
from orgsim.engine.events import Event, decode, encode
from orgsim.engine.log import EventLog, replay
from orgsim.engine.state import OrgState, fold
from orgsim.storage.eventstore import EventStore

# ------------------------------------------------------------------ the adapters


class Backend(abc.ABC):
    """One run's event log in one backend, through the operations the contract needs."""

    @abc.abstractmethod
    def save(self, events: Sequence[Event]) -> None:
        """Hold this run's events, refusing one out of order with EventOrderError."""

    @abc.abstractmethod
    def events(
        self, *, types: Collection[str] = (), start: float | None = None, end: float | None = None
    ) -> list[Event]:
        """The held events in order: of these types (all if empty), in [start, end]."""

    @abc.abstractmethod
    def state(self, until: float | None = None) -> OrgState:
        """The state the held events fold to, up to and including ``until``."""

    @abc.abstractmethod
    def digest(self) -> str:
        """The backend's digest of the held events."""

    @abc.abstractmethod
    def stamp_version(self, name: str, version: int) -> None:
        """Give every stored ``name`` event this schema version, as another orgsim would."""

    @abc.abstractmethod
    def reload(self) -> list[Event]:
        """The whole log read back from its stored form (decoded, upcast)."""


class MemoryBackend(Backend):
    """The in-memory :class:`EventLog`; stored form: its encoded rows as JSON."""

    def __init__(self) -> None:
        self.log = EventLog()
        self.stored = "[]"

    def save(self, events: Sequence[Event]) -> None:
        self.log = replay(events)
        self.stored = json.dumps([encode(e) for e in self.log])

    def events(
        self, *, types: Collection[str] = (), start: float | None = None, end: float | None = None
    ) -> list[Event]:
        return [
            e
            for e in self.log
            if (not types or type(e).__name__ in types)
            and (start is None or e.time >= start)
            and (end is None or e.time <= end)
        ]

    def state(self, until: float | None = None) -> OrgState:
        return self.log.state if until is None else fold(self.log, until=until)

    def digest(self) -> str:
        return self.log.digest()

    def stamp_version(self, name: str, version: int) -> None:
        rows = json.loads(self.stored)
        self.stored = json.dumps([[*r[:3], version, r[4]] if r[2] == name else r for r in rows])

    def reload(self) -> list[Event]:
        return list(replay([decode(*row) for row in json.loads(self.stored)]))


class StoreBackend(Backend):
    """The SQLite :class:`EventStore`; stored form: its file, read by reopening it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = EventStore(path)
        self.run_id = -1

    def close(self) -> None:
        self.store.close()

    def save(self, events: Sequence[Event]) -> None:
        self.run_id = self.store.save(events)

    def events(
        self, *, types: Collection[str] = (), start: float | None = None, end: float | None = None
    ) -> list[Event]:
        return self.store.events(self.run_id, types=types, start=start, end=end)

    def state(self, until: float | None = None) -> OrgState:
        return self.store.replay(self.run_id, until=until)

    def digest(self) -> str:
        return self.store.run(self.run_id).digest

    def stamp_version(self, name: str, version: int) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute(
                "UPDATE run_columns SET version = ? WHERE run_id = ? AND type = ?",
                (version, self.run_id, name),
            )
        finally:
            conn.close()

    def reload(self) -> list[Event]:
        self.store.close()
        self.store = EventStore(self.path)
        return self.store.events(self.run_id)


# ------------------------------------------------------------- a hand-built log


def started() -> ev.RunStarted:
    fields = run_fields(
        scenario="contract",
        scenario_hash="h",
        seed=5,
        replication=1,
        horizon=40.0,
        quarter_days=30.0,
        stage_names=("build", "sell"),
        stage_departments=("eng", "sales"),
        hiring_cost=2.0,
        drag=0.1,
        min_productivity=0.3,
        ramp_productivity=0.5,
        conflict_attrition=0.05,
    )
    return ev.RunStarted(seq=0, time=0.0, **fields)


def hired(employee: int, department: str) -> dict[str, Any]:
    return dict(employee=employee, department=department, salary=365.0, skill=1.5, resilience=4.0)


def tiny_log() -> list[Event]:
    """Fourteen events of ten types; several share a time, one time is fractional.

    The ties (six events at 0.0, two at 10.0 and at 20.0) make every test that
    saves it also check that equal times are accepted and keep their seq order.

    seq: 0-5 at 0.0 (start, two departments, two hires, quarter 0), 6 hire at 2.5,
    7-8 two conflicts raised at 10.0, 9 c0 detected at 12.75, 10-11 c0 negotiated
    and e0 leaves at 20.0, 12 c0 resolved at 35.5, 13 the end at 40.0.
    """
    dept = dict(salary=365.0, bias=0.1, attrition=0.2, overhead=0.0, teams=1, layers=1)
    conflict = dict(kind="poaching", severity=2.0, company_side="initiator")
    rows: list[tuple[type[Event], float, dict[str, Any]]] = [
        (ev.DepartmentFormed, 0.0, dict(department="eng", **dept)),
        (ev.DepartmentFormed, 0.0, dict(department="sales", **dept)),
        (ev.EmployeeHired, 0.0, hired(0, "eng") | dict(requisition=-1, ramped=True)),
        (ev.EmployeeHired, 0.0, hired(1, "sales") | dict(requisition=-1, ramped=True)),
        (ev.QuarterStarted, 0.0, dict(quarter=0, available=50.0, broker_cost=0.0)),
        (ev.EmployeeHired, 2.5, hired(2, "eng") | dict(requisition=-1, ramped=False)),
        (ev.ConflictRaised, 10.0, dict(conflict=0, initiator="sales", target="eng", **conflict)),
        (ev.ConflictRaised, 10.0, dict(conflict=1, initiator="eng", target="sales", **conflict)),
        (ev.ConflictDetected, 12.75, dict(conflict=0, channel="surfaced")),
        (ev.NegotiationStarted, 20.0, dict(conflict=0)),
        (ev.EmployeeLeft, 20.0, dict(employee=0)),
        (
            ev.ConflictResolved,
            35.5,
            dict(conflict=0, forum="negotiation", winner="eng", company_interest=True),
        ),
        (ev.RunEnded, 40.0, {}),
    ]
    return [started(), *(cls(seq=i, time=t, **f) for i, (cls, t, f) in enumerate(rows, 1))]


#: log_digest(tiny_log()), over the JSON rows: a change to the events shows here.
TINY_DIGEST = "94512d202adcabede5b77955deebd4e17e72bb8a6a27f9cc86248144f25b6047"

#: The canonical columnar digest of tiny_log() (``EventLog.digest()``, the stored
#: digest): a change to the events or to the canonical form shows here.
TINY_COLUMNS_DIGEST = "e9cbb45bf6686bf0566d8daad76b0038f1c68e5cfb43bb256bac9034796d5114"


def seqs(events: Sequence[Event]) -> list[int]:
    return [e.seq for e in events]
