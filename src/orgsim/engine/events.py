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


def event(cls: E) -> E:  # pragma: no mutate block
    """Register an event class under its name (used to decode stored logs).

    Runs once per class at import, before mutation testing can select a mutant, so
    it is not mutated (docs/testing.md); every event type decoding to its class is
    checked by tests/engine/test_events.py.
    """
    EVENT_TYPES[cls.__name__] = cls
    return cls


# ----------------------------------------------------------------------- the run


@event
@attrs.frozen(kw_only=True)
class RunStarted(Event):
    """A run began; carries everything needed to interpret the rest of the log.

    Version 2 (orgsim 0.2) adds the parameters the state's work and attrition flows
    are computed from (``drag`` .. ``conflict_attrition``), so that folding the log
    alone gives the whole state. Version 3: the CEO's desk is a flow of hours, so
    ``ceo_hours_per_week`` (all escalations together) and ``ceo_max_hours_per_week``
    (one escalation at most) replace ``ceo_slots`` and ``ceo_attention``.
    """

    schema_version: ClassVar[int] = 3

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
    drag: float
    min_productivity: float
    ramp_productivity: float
    team_cap: float
    conflict_attrition: float
    ceo_hours_per_week: float
    ceo_max_hours_per_week: float
    orgsim_version: str


@event
@attrs.frozen(kw_only=True)
class RunEnded(Event):
    """The run stopped: the horizon was reached, or the company failed.

    A company that ran out of cash ends at the instant of its ``CompanyFailed``,
    so a log's window ``[0, T]`` is ``[0, RunEnded.time]`` either way.
    """


@event
@attrs.frozen(kw_only=True)
class CompanyFailed(Event):
    """The company ran out of cash: nothing happens after this but ``RunEnded``.

    The seed: "at start-ups, cash burn is much more important than job title".
    ``cash`` is the balance at the instant (zero but for rounding, or below zero
    when a lump of spending took it there), ``burn`` the k$ a day it was spending.
    """

    cash: float
    burn: float


@event
@attrs.frozen(kw_only=True)
class DepartmentFormed(Event):
    """A department exists, with its pay, its head's bias and its base attrition.

    ``attrition`` is the share of its staff who leave in a year absent conflicts;
    ``overhead`` the share of its capacity the broker's coordination takes (the
    broker's own department only). Version 2 renamed ``attrition_rate`` (which was
    used as a hazard rate) and added ``overhead``. Version 3 (orgsim 0.3) adds the
    department's shape: its ``teams`` (a conflict drags one of them) and its
    management ``layers`` (which a conflict crosses).
    """

    schema_version: ClassVar[int] = 3

    department: str
    salary: float
    bias: float
    attrition: float
    overhead: float
    teams: int
    layers: int


@event
@attrs.frozen(kw_only=True)
class BrokerAppointed(Event):
    """The VP of Product Management (and Directors) took office.

    Version 2 adds the floor and half-life of credibility's decay, so the broker's
    credibility at any time follows from the log. Version 3 (orgsim 0.3) derives
    the broker from the PM organisation: ``mediators`` are the VP PM and its
    ``directors`` (or as set), of whom ``hired`` are new hires; ``salary`` is the
    VP PM's (and each hire's) cost a year; ``line_pms`` spot conflicts in
    ``coverage`` teams each; ``neutrality`` is after Product's share of staff.
    """

    schema_version: ClassVar[int] = 3

    mediators: int
    directors: int
    hired: int
    line_pms: int
    coverage: float
    neutrality: float
    salary: float
    credibility: float
    credibility_floor: float
    credibility_halflife: float


@event
@attrs.frozen(kw_only=True)
class BrokerChannelsLimited(Event):
    """The broker acts through these channels only (an attribution's coalition).

    Recorded just after ``BrokerAppointed`` when a run switches some of the
    broker's channels off (:data:`~orgsim.engine.context.CHANNELS`; none of it in
    a run with every channel on, so such runs are logged as before). ``channels``
    are the active ones, in the channels' order; a log that holds none of these
    had all of them.
    """

    channels: tuple[str, ...]


# ----------------------------------------------------------------- interventions


@event
@attrs.frozen(kw_only=True)
class InterventionFired(Event):
    """A scenario's intervention fired: what it does follows as events of their own.

    ``intervention`` is its position among the run's interventions (the scenario's,
    then any a fork added), ``name`` what the scenario calls it, ``trigger`` what
    made it fire in words (``day 400``, ``headcount 300 >= 300``), ``firing`` how
    many times it has fired, this one included.
    """

    intervention: int
    name: str
    trigger: str
    firing: int


@event
@attrs.frozen(kw_only=True)
class ParameterChanged(Event):
    """A parameter changed mid-run (an intervention's ``set``): decisions from now on use it.

    ``value`` is the new value as JSON text (a number, a string, a distribution's
    table), ``path`` its dotted path in the scenario.
    """

    path: str
    value: str


@event
@attrs.frozen(kw_only=True)
class MediatorsChanged(Event):
    """The broker's mediators changed mid-run: ``mediators`` in all, ``hired`` beyond the PM org.

    Mediators in a mediation when their number falls finish it; no new one starts
    until fewer are busy than there are mediators.
    """

    mediators: int
    hired: int


@event
@attrs.frozen(kw_only=True)
class OverheadChanged(Event):
    """A department's share of capacity spent on coordination changed (the broker took office)."""

    department: str
    overhead: float


@event
@attrs.frozen(kw_only=True)
class BrokerCostCharged(Event):
    """The broker's pay from now to the end of the quarter, paid from cash at once (k$).

    A broker (or a hired mediator) who takes office mid-quarter is paid for the rest
    of it here; the next budget cycle budgets the pay as every cycle does
    (``QuarterStarted.broker_cost``).
    """

    cost: float


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
    """Someone joined (``requisition`` is -1 for the founding staff).

    ``salary`` is their yearly cost (k$), their department's pay at hiring; they
    keep it if they move. Version 2 added it.
    """

    schema_version: ClassVar[int] = 2

    employee: int
    department: str
    salary: float
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
    """Someone moved between departments (poaching, or its reversal).

    They keep their salary and ramp up again in the new department. Version 2:
    the move restarts the ramp-up (version 1 moved people at full productivity).
    """

    schema_version: ClassVar[int] = 2

    employee: int
    source: str
    destination: str
    conflict: int


# ---------------------------------------------------------------------- delivery


@event
@attrs.frozen(kw_only=True)
class FeaturePlanned(Event):
    """A line PM put a feature on a product's roadmap.

    ``epoch`` is the product's roadmap epoch when it was planned: the number of
    market shifts the roadmap had followed, i.e. which segment it is built for.
    Version 2 added it.
    """

    schema_version: ClassVar[int] = 2

    feature: int
    product: int
    efforts: tuple[float, ...]
    value: float
    due: float
    epoch: int


@event
@attrs.frozen(kw_only=True)
class StageCompleted(Event):
    """A feature finished a stage that is not its last and moved to the next."""

    feature: int
    stage: int


@event
@attrs.frozen(kw_only=True)
class FeatureShipped(Event):
    """A feature finished its last stage and realised its value.

    ``misaligned`` is the value (k$) it lost because it was built for a segment
    the market had moved away from by the time it shipped (0 when aligned);
    ``value`` is what it realised after that loss and lateness. Version 2 added it.
    """

    schema_version: ClassVar[int] = 2

    feature: int
    value: float
    late_days: float
    misaligned: float


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


# ------------------------------------------------------------------------ market


@event
@attrs.frozen(kw_only=True)
class MarketShifted(Event):
    """A product's market moved to a new segment; ``epoch`` counts its shifts so far."""

    product: int
    epoch: int


@event
@attrs.frozen(kw_only=True)
class RealignmentStarted(Event):
    """A mediator took up re-prioritising a product's roadmap to market ``epoch``."""

    product: int
    epoch: int


@event
@attrs.frozen(kw_only=True)
class RoadmapRealigned(Event):
    """A product's roadmap now follows its market's shift ``epoch``.

    ``channel`` is ``broker`` (the broker's re-prioritisation, which ends its
    mediator's work) or ``surfaced`` (the shift showed in the loudest department's
    numbers). A broker's realignment that ends after the roadmap already followed
    changes nothing but frees the mediator.
    """

    product: int
    epoch: int
    channel: str


# ------------------------------------------------------------------------ budget


@event
@attrs.frozen(kw_only=True)
class BudgetFounded(Event):
    """The quarterly budget the founding payroll sets (k$), and the founding cash.

    ``cash`` is the balance on hand (k$) and ``cash_share`` the share of shipped
    value that comes in as cash, all the cash flow needs beyond the salaries,
    hiring cost and broker cost other events carry. Version 2 added both.
    """

    schema_version: ClassVar[int] = 2

    base_budget: float
    cash: float
    cash_share: float


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
    """Mediation did not settle the conflict.

    ``briefing`` is the weight of the broker's neutral read the CEO gets if it
    escalates (credibility times ``broker.ceo_briefing``). Version 2 added it, so
    that the escalation reads it from the state, not from the process.
    """

    schema_version: ClassVar[int] = 2

    conflict: int
    briefing: float


@event
@attrs.frozen(kw_only=True)
class CredibilityChanged(Event):
    """The broker's credibility moved after a mediation (decay included)."""

    credibility: float


@event
@attrs.frozen(kw_only=True)
class BrokerPraised(Event):
    """The VP PM praised a department in public or raised an issue with its head privately.

    ``credibility`` is the broker's credibility after the act (decay included), as
    ``CredibilityChanged`` carries it.
    """

    department: str
    credibility: float


@event
@attrs.frozen(kw_only=True)
class ConflictEscalated(Event):
    """The conflict went up to the CEO and joined the desk, needing ``hours`` of CEO time.

    ``hours`` is what the CEO must spend on it before deciding, the broker's
    briefing already taken off. Version 2 added it: the CEO's attention is hours
    shared among the escalations on the desk (version 1 queued for a slot).
    """

    schema_version: ClassVar[int] = 2

    conflict: int
    hours: float


@event
@attrs.frozen(kw_only=True)
class CeoReleased(Event):
    """The conflict left the CEO's desk: decided, undecided, or the conflict closed.

    ``settled`` says whether the CEO's decision settled it. Version 2: the CEO also
    stops when the conflict lapses or is settled elsewhere meanwhile (version 1
    kept the CEO on it to the end of the decision time). Version 3: it takes the
    escalation off the desk of shared hours, whose other escalations get the hours
    it frees (version 2 freed a slot).
    """

    schema_version: ClassVar[int] = 3

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


# ---------------------------------------------------- customer issues, incidents


@event
@attrs.frozen(kw_only=True)
class SupportFounded(Event):
    """Customers raise issues that ``department`` works before anything else.

    ``demand`` is person-days of issues a day (``support.demand`` times the founding
    Sales headcount, fixed for the run); ``backlog_cost`` the k$ lost per person-day
    of backlog per day; ``abandonment`` the share of waiting issues whose customers
    give up each day. Recorded once, after the departments are formed, and only
    when there is a demand, so that a run without one has the log it always had.
    """

    department: str
    demand: float
    backlog_cost: float
    abandonment: float


@event
@attrs.frozen(kw_only=True)
class SupportBacklogCleared(Event):
    """Support worked off its backlog of customer issues: its spare capacity is free again.

    The instant follows from the flow (backlog over capacity less demand), like a
    finishing item's; from it on the capacity beyond the demand serves the queue.
    """

    department: str


@event
@attrs.frozen(kw_only=True)
class PrivacyIncident(Event):
    """The initiator's move, which still stood, caused a privacy incident costing ``cost`` k$."""

    conflict: int
    cost: float


# -------------------------------------------------------------------- growth
#
# A company that grows from what it ships (orgsim.engine.growth): the budget follows
# the business, the customers follow Sales, and the structure follows the headcount.


@event
@attrs.frozen(kw_only=True)
class BudgetReinvested(Event):
    """The base budget moved by a share of last quarter's operating surplus.

    ``surplus`` is the cash the company made in the quarter just ended (what came
    in from shipped value, less payroll, hiring and the broker), k$; a deficit is
    negative. ``base_budget`` is the new base, k$ a quarter (never below zero).
    Recorded at the quarter's start, before its ``QuarterStarted``.
    """

    quarter: int
    surplus: float
    base_budget: float


@event
@attrs.frozen(kw_only=True)
class FundsRaised(Event):
    """Investors funded a round: ``amount`` k$ of cash, sized by the company's traction.

    ``revenue`` is the annual run-rate of what came in as cash last quarter (k$ a
    year), ``runway`` the months the cash had left at the burn of the moment;
    ``base_budget`` the base budget (k$ a quarter) the round raises, planned to
    spend it over ``growth.spend_years``. Recorded at a quarter's start, after its
    ``BudgetReinvested`` and before its ``QuarterStarted``.
    """

    quarter: int
    amount: float
    revenue: float
    runway: float
    base_budget: float


@event
@attrs.frozen(kw_only=True)
class DepartmentReshaped(Event):
    """A department's headcount crossed a team or layer boundary: its new teams and layers.

    The same rules as at founding (:func:`orgsim.scenario.structure.teams` and
    ``layers``); a conflict then drags one team's share of it.
    """

    department: str
    teams: int
    layers: int


@event
@attrs.frozen(kw_only=True)
class PmOrganisationChanged(Event):
    """The PM organisation re-derived from the live headcount.

    Its Directors and line PMs (who write the roadmaps), the teams each line PM
    covers, the broker's neutrality after Product's share of staff and, while a
    broker is in office, its mediators and their salaries (k$ a year: the VP PM
    and any hired mediators; 0 and 0 without a broker).
    """

    directors: int
    line_pms: int
    coverage: float
    neutrality: float
    mediators: int
    broker_salary: float


@event
@attrs.frozen(kw_only=True)
class SupportDemandChanged(Event):
    """Customers' issues now come at ``demand`` person-days a day: Sales sold more customers."""

    department: str
    demand: float


# ----------------------------------------------------------------- serialisation

#: Upcasters: (event name, stored version) -> function from old payload to the next.
#: None for the changes of orgsim 0.2: its delivery is event-driven and the log holds
#: the whole state, so a version-1 log (daily ``DayWorked`` ticks, state kept beside
#: the log) cannot be rebuilt as this model's; such logs are refused with
#: :data:`MODEL_CHANGED`, never half-read.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}

#: Event types that no longer exist, and why.
RETIRED: dict[str, str] = {
    "DayWorked": "work is no longer allocated in daily ticks",
    "CeoEngaged": (
        "the CEO's attention is hours shared among the escalations on the desk: "
        "ConflictEscalated puts one on it, and which get CEO time follows from the desk"
    ),
}

#: Why a log of the tick-based model (event schema version 1) cannot be read.
MODEL_CHANGED = (
    "it was written by an older orgsim (0.1: daily work ticks; 0.2: size set by hand, "
    "not by structure), whose model this orgsim no longer runs; rerun the scenario to "
    "get a log of this model"
)


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
        if name in RETIRED:
            raise SchemaVersionError(
                f"event {name} at seq {seq} is retired ({RETIRED[name]}): {MODEL_CHANGED}"
            )
        raise SchemaVersionError(f"unknown event type {name!r} at seq {seq}")
    fields = json.loads(data)
    while version < cls.schema_version:
        up = UPCASTERS.get((name, version))
        if up is None:
            raise SchemaVersionError(
                f"{name} v{version} at seq {seq} cannot be upcast to "
                f"v{cls.schema_version}: {MODEL_CHANGED}"
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
