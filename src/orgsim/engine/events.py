"""Domain events: immutable, typed facts with past-tense names and a schema version.

Every change of a run's state is one of these records. They are frozen, slotted,
keyword-only attrs classes (STYLE.md rule 2): reading a log is reading what
happened, in the words of the domain. ``seq`` and ``time`` are assigned by the log
when a process records the event. Collection fields are tuples, never lists.

Each class has a ``schema_version``; when a field changes, bump it and add an
upcaster to :data:`UPCASTERS` so stored logs written by an older orgsim still
read (see :func:`decode`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import attrs

from orgsim.errors import SchemaVersionError


@attrs.frozen(kw_only=True)
class Event:
    """Base of every domain event.

    Attributes:
        seq: Position in the run's log, contiguous from 0.
        time: Simulated time in days; never decreases along the log.
    """

    schema_version: ClassVar[int] = 1

    seq: int
    time: float


E = TypeVar("E", bound=type[Event])

#: Event classes by name; filled once by the decorator below, never mutated later.
EVENT_TYPES: dict[str, type[Event]] = {}


def event(cls: E) -> E:
    """Register an event class under its name (used to decode stored logs)."""
    EVENT_TYPES[cls.__name__] = cls
    return cls


# ----------------------------------------------------------------------- the run


@event
@attrs.frozen(kw_only=True)
class RunStarted(Event):
    """A run began; carries everything needed to interpret the rest of the log."""

    scenario: str
    scenario_hash: str
    seed: int
    replication: int
    broker: bool
    horizon: float
    quarter_days: float
    stage_names: tuple[str, ...]
    stage_departments: tuple[str, ...]
    hiring_cost: float
    orgsim_version: str


@event
@attrs.frozen(kw_only=True)
class RunEnded(Event):
    """The horizon was reached."""


@event
@attrs.frozen(kw_only=True)
class DepartmentFormed(Event):
    """A department exists, with its pay and its head's bias."""

    department: str
    salary: float
    bias: float
    attrition_rate: float


@event
@attrs.frozen(kw_only=True)
class BrokerAppointed(Event):
    """The VP of Product Management (and Directors) took office."""

    mediators: int
    salary: float
    credibility: float


# ------------------------------------------------------------------------ talent


@event
@attrs.frozen(kw_only=True)
class RequisitionOpened(Event):
    """A department opened a funded position."""

    requisition: int
    department: str


@event
@attrs.frozen(kw_only=True)
class RequisitionCancelled(Event):
    """A position lost its funding before it was filled."""

    requisition: int


@event
@attrs.frozen(kw_only=True)
class EmployeeHired(Event):
    """Someone joined (``requisition`` is -1 for the founding staff)."""

    employee: int
    department: str
    skill: float
    resilience: float
    requisition: int
    ramped: bool


@event
@attrs.frozen(kw_only=True)
class EmployeeRamped(Event):
    """A new hire reached full productivity."""

    employee: int


@event
@attrs.frozen(kw_only=True)
class EmployeeLeft(Event):
    """Someone quit."""

    employee: int


@event
@attrs.frozen(kw_only=True)
class EmployeeTransferred(Event):
    """Someone moved between departments (poaching, or its reversal)."""

    employee: int
    source: str
    destination: str
    conflict: int


# ---------------------------------------------------------------------- delivery


@event
@attrs.frozen(kw_only=True)
class FeaturePlanned(Event):
    """A line PM put a feature on a product's roadmap."""

    feature: int
    product: int
    efforts: tuple[float, ...]
    value: float
    due: float


@event
@attrs.frozen(kw_only=True)
class DayWorked(Event):
    """A department spent ``capacity`` person-days on its queue, in priority order.

    ``hazard`` is the attrition hazard its people accumulated over the same tick.
    """

    department: str
    capacity: float
    item_cap: float
    hazard: float


@event
@attrs.frozen(kw_only=True)
class StageCompleted(Event):
    """A feature finished a stage that is not its last and moved to the next."""

    feature: int
    stage: int


@event
@attrs.frozen(kw_only=True)
class FeatureShipped(Event):
    """A feature finished its last stage and realised its value."""

    feature: int
    value: float
    late_days: float


@event
@attrs.frozen(kw_only=True)
class ExtraWorkAdded(Event):
    """A conflict imposed unplanned work on a department."""

    work: int
    conflict: int
    department: str
    effort: float
    value: float


@event
@attrs.frozen(kw_only=True)
class ExtraWorkCompleted(Event):
    """Unplanned work was finished; ``value`` is what it earned."""

    work: int
    value: float


@event
@attrs.frozen(kw_only=True)
class ExtraWorkDescoped(Event):
    """Unplanned work was dropped when its conflict went against it."""

    work: int


# ------------------------------------------------------------------------ budget


@event
@attrs.frozen(kw_only=True)
class QuarterStarted(Event):
    """A budget cycle opened with ``available`` k$ to allocate."""

    quarter: int
    available: float
    broker_cost: float


@event
@attrs.frozen(kw_only=True)
class BudgetAllocated(Event):
    """The CEO allocated a department its quarterly budget (k$)."""

    quarter: int
    department: str
    need: float
    request: float
    allocated: float


@event
@attrs.frozen(kw_only=True)
class BudgetTransferred(Event):
    """A budget dispute moved funds between departments."""

    source: str
    destination: str
    amount: float
    conflict: int


# --------------------------------------------------------------------- conflicts


@event
@attrs.frozen(kw_only=True)
class ConflictRaised(Event):
    """A conflict began, latent: nobody at the executive level knows yet."""

    conflict: int
    kind: str
    initiator: str
    target: str
    severity: float
    company_side: str


@event
@attrs.frozen(kw_only=True)
class ConflictDetected(Event):
    """A conflict became known: ``channel`` is ``surfaced`` or ``broker``."""

    conflict: int
    channel: str


@event
@attrs.frozen(kw_only=True)
class NegotiationStarted(Event):
    """The two department heads began a bilateral negotiation."""

    conflict: int


@event
@attrs.frozen(kw_only=True)
class NegotiationFailed(Event):
    """The heads could not settle."""

    conflict: int


@event
@attrs.frozen(kw_only=True)
class MediationQueued(Event):
    """The conflict joined the broker's mediation queue."""

    conflict: int


@event
@attrs.frozen(kw_only=True)
class MediationStarted(Event):
    """A mediator took the conflict up."""

    conflict: int


@event
@attrs.frozen(kw_only=True)
class MediationFailed(Event):
    """Mediation did not settle the conflict."""

    conflict: int


@event
@attrs.frozen(kw_only=True)
class CredibilityChanged(Event):
    """The broker's credibility moved after a mediation (decay included)."""

    credibility: float


@event
@attrs.frozen(kw_only=True)
class ConflictEscalated(Event):
    """The conflict went up to the CEO."""

    conflict: int


@event
@attrs.frozen(kw_only=True)
class CeoEngaged(Event):
    """The CEO started spending attention on the conflict."""

    conflict: int


@event
@attrs.frozen(kw_only=True)
class CeoReleased(Event):
    """The CEO stopped working on the conflict, settled or not."""

    conflict: int
    settled: bool


@event
@attrs.frozen(kw_only=True)
class ConflictResolved(Event):
    """A conflict was settled in ``forum``; ``winner`` is the side that prevailed."""

    conflict: int
    forum: str
    winner: str
    company_interest: bool


@event
@attrs.frozen(kw_only=True)
class ConflictLapsed(Event):
    """A conflict ended unresolved: the moment passed, the damage stays done."""

    conflict: int


# ----------------------------------------------------------------- serialisation

#: Upcasters: (event name, stored version) -> function from old payload to the next.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


_FIELDS: dict[type[Event], tuple[str, ...]] = {}  # a memo of class metadata, not state


def payload_fields(cls: type[Event]) -> tuple[str, ...]:
    """Names of an event class's own fields (everything but ``seq`` and ``time``)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(
            f.name for f in attrs.fields(cls) if f.name not in ("seq", "time")
        )
    return names


def payload(ev: Event) -> dict[str, Any]:
    """The event's own fields (everything but ``seq`` and ``time``)."""
    return {name: getattr(ev, name) for name in payload_fields(type(ev))}


_ENCODER = json.JSONEncoder(separators=(",", ":"))


def encode(ev: Event) -> tuple[int, float, str, int, str]:
    """A storable row: ``(seq, time, type, schema version, JSON payload)``."""
    cls = type(ev)
    return (
        ev.seq,
        ev.time,
        cls.__name__,
        cls.schema_version,
        _ENCODER.encode(payload(ev)),
    )


def decode(seq: int, time: float, name: str, version: int, data: str) -> Event:
    """Rebuild an event from a stored row, upcasting older schema versions.

    Raises:
        SchemaVersionError: unknown type, a version from a newer orgsim, or an old
            version with no upcaster.
    """
    cls = EVENT_TYPES.get(name)
    if cls is None:
        raise SchemaVersionError(f"unknown event type {name!r} at seq {seq}")
    fields = json.loads(data)
    while version < cls.schema_version:
        up = UPCASTERS.get((name, version))
        if up is None:
            raise SchemaVersionError(
                f"{name} v{version} at seq {seq} cannot be upcast to v{cls.schema_version}"
            )
        fields = up(fields)
        version += 1
    if version > cls.schema_version:
        raise SchemaVersionError(
            f"{name} v{version} at seq {seq} is newer than this orgsim reads "
            f"(v{cls.schema_version}); upgrade orgsim"
        )
    for key, value in fields.items():
        if isinstance(value, list):
            fields[key] = tuple(value)
    return cls(seq=seq, time=time, **fields)
