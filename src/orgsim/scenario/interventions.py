"""Interventions: what a company changes during a run, and when.

The seed's advice is about timing: VP PMs "are mostly found in the largest PM
organizations", at a start-up "cash burn is much more important than job title",
and a Director doing the job is "due for a promotion". A company does not decide
once, at founding, to have a broker for ever: at some size, or after some trouble,
it appoints one. An :class:`Intervention` says when (a ``day``, or the first
instant a condition holds: the company's ``headcount``, its ``open_conflicts``,
the CEO's hours on escalations in a quarter, the start of a ``quarter``) and what
(``appoint`` the broker, add or remove ``mediators``, ``set`` parameters: a
reorganisation, a hiring freeze). The engine (:mod:`orgsim.engine.interventions`)
records each firing as a domain event and its effects as events after it.

This module is the vocabulary and the checks that need only the intervention and
the scenario's shape; whether a ``set`` value is valid for its parameter is
checked by the scenario reader (:mod:`orgsim.scenario.loading`), with the same
walk as the file itself, and which parameters may change mid-run is
:func:`fixed_reason`'s rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:  # the schema imports this module; this keeps the import one-way
    from orgsim.scenario.schema import Scenario

__all__ = [
    "CONDITIONS",
    "TRIGGERS",
    "Intervention",
    "check_intervention",
    "fixed_reason",
]


def _field(default: Any, doc: str, **limits: Any) -> Any:
    """A field with a default, a doc and range metadata (as the schema's ``param``)."""
    meta = {"doc": doc, **limits}
    if isinstance(default, dict):
        return attrs.field(factory=dict, metadata=meta)
    return attrs.field(default=default, metadata=meta)


TRIGGERS: tuple[str, ...] = ("day", "headcount", "open_conflicts", "ceo_hours", "quarter")
"""The fields that say when an intervention fires; exactly one is set."""

CONDITIONS: tuple[str, ...] = ("headcount", "open_conflicts", "ceo_hours")
"""The triggers that are conditions on the run's state (they can hold more than once)."""


@attrs.frozen(kw_only=True)
class Intervention:
    """A change the company makes during the run: when it fires, and what it does.

    Exactly one trigger is set. A ``day`` or ``quarter`` fires at that instant,
    before anything else that happens then (a quarter's change is in place for its
    budget cycle). A condition fires at the first instant it holds, right after the
    event that made it hold: it is evaluated at the events that can change it (a
    hire or a leaver for ``headcount``; a conflict raised, resolved or lapsed for
    ``open_conflicts``; a quarter's end for ``ceo_hours``), never by polling, and
    a condition that already holds at founding fires at day 0. An intervention
    fires ``times`` times at most (0: no limit); a condition that fired re-arms once
    it stops holding.
    """

    name: str = _field("", "what the log calls it (default: intervention-<number>)")
    enabled: bool = _field(True, "false switches it off")
    day: float | None = _field(None, "fires at this day", ge=0.0)
    headcount: int | None = _field(
        None, "fires the first instant the company's headcount is at least this", ge=1
    )
    open_conflicts: int | None = _field(
        None, "fires the first instant at least this many conflicts are open", ge=1
    )
    ceo_hours: float | None = _field(
        None,
        "fires when a quarter ends in which the CEO spent at least this many hours on escalations",
        gt=0.0,
    )
    quarter: int | None = _field(
        None, "fires as this budget quarter starts (0: at founding)", ge=0, le=100_000
    )
    times: int = _field(
        1, "fires at most this many times (0: no limit; conditions only)", ge=0, le=100_000
    )
    appoint: bool = _field(False, "appoint the broker: the VP PM and the Directors take office")
    mediators: int = _field(
        0, "mediators added (negative: removed); the broker must be in office", ge=-1000, le=1000
    )
    set: dict[str, Any] = _field({}, "parameters changed, dotted path = value")

    @property
    def trigger(self) -> str:
        """The trigger field that is set (the first, if a check has not run)."""
        return next((t for t in TRIGGERS if getattr(self, t) is not None), "")

    @property
    def threshold(self) -> float:
        """The trigger's value."""
        value = getattr(self, self.trigger)
        return float(value)

    @property
    def acts(self) -> bool:
        """Whether firing changes anything."""
        return self.appoint or self.mediators != 0 or bool(self.set)

    def label(self, index: int) -> str:
        """The name the log gives it."""
        return self.name or f"intervention-{index}"

    def without_broker(self) -> Intervention:
        """The intervention in the arm without a broker: no appointment, no mediators."""
        return attrs.evolve(self, appoint=False, mediators=0)

    def check(self) -> list[tuple[str, str]]:
        """Problems an intervention has on its own (the schema runs it per entry)."""
        out: list[tuple[str, str]] = []
        given = [t for t in TRIGGERS if getattr(self, t) is not None]
        if not given:
            out.append(("", f"needs a trigger: one of {', '.join(TRIGGERS)}"))
        elif len(given) > 1:
            out.append((given[1], f"only one trigger per intervention; it also has {given[0]!r}"))
        elif given[0] not in CONDITIONS and self.times != 1:
            out.append(("times", f"a {given[0]} comes once: times must be 1, got {self.times}"))
        if not self.acts:
            out.append(("", "does nothing: give appoint, mediators or set"))
        if self.appoint and self.times != 1:
            out.append(
                ("times", f"the broker is appointed once: times must be 1, got {self.times}")
            )
        return out


def check_intervention(sc: Scenario, index: int, iv: Intervention) -> list[tuple[str, str]]:
    """Problems of one intervention against its scenario (paths under ``interventions.<i>``).

    The ``set`` values are checked against their parameters by the reader; this
    checks that each names a parameter that may change mid-run, and that the
    actions fit the company: one appointment, of a broker not in office from
    founding, into a department that exists.
    """
    out: list[tuple[str, str]] = []
    if iv.appoint:
        if sc.broker.enabled:
            out.append(
                (
                    "appoint",
                    "the broker is in office from founding (broker.enabled = true): "
                    "set broker.enabled = false to appoint one during the run",
                )
            )
        elif sc.broker.department not in sc.active_departments:
            out.append(("appoint", f"broker.department {sc.broker.department!r} is not enabled"))
        others = [i for i, other in enumerate(sc.interventions) if other.enabled and other.appoint]
        if others and others[0] != index:
            out.append(("appoint", f"interventions.{others[0]} already appoints the broker"))
    if iv.mediators and not (sc.broker.enabled or any(o.appoint for o in sc.interventions)):
        out.append(
            ("mediators", "no broker is ever in office (broker.enabled = false, no appointment)")
        )
    if iv.ceo_hours is not None and iv.quarter is None and sc.horizon < sc.budget.quarter_days:
        out.append(("ceo_hours", "the horizon ends before the first quarter does"))
    for path in iv.set:
        reason = fixed_reason(path)
        if reason:
            out.append((f"set.{path}", reason))
    return out


#: Parameters that cannot change mid-run, by the first parts of their path, and why.
_FIXED: tuple[tuple[tuple[str, ...], str], ...] = (
    (("name",), "names the run"),
    (("description",), "describes the run"),
    (("seed",), "seeds the run's random streams"),
    (("horizon",), "is where the run stops"),
    (("interventions",), "interventions cannot change interventions"),
    (("structure",), "sets the organisation's shape at founding"),
    (("support",), "sets the customer demand at founding"),
    (("growth", "enabled"), "says at founding whether the company grows"),
    (("delivery", "products"), "sets the roadmaps at founding"),
    (("delivery", "initial_features"), "is the roadmap at founding"),
    (("delivery", "stages"), "is the delivery flow (stage efforts can change: stages.<i>.effort)"),
    (("budget", "quarter_days"), "is the budget calendar"),
    (("budget", "cash"), "is the founding cash"),
    (("budget", "headroom"), "sets the founding budget"),
    (("budget", "cash_share"), "is recorded at founding (BudgetFounded)"),
    (("broker", "enabled"), "use appoint = true to appoint the broker"),
    (("broker", "mediators"), "use mediators = +n / -n to add or remove mediators"),
    (("broker", "department"), "is where the PM organisation is"),
    (("broker", "pm_overhead"), "is recorded when the broker takes office"),
    (("broker", "initial_credibility"), "is recorded when the broker takes office"),
    (("broker", "credibility_floor"), "is recorded when the broker takes office"),
    (("broker", "credibility_halflife"), "is recorded when the broker takes office"),
    (("broker", "neutrality"), "is recorded when the broker takes office"),
    (("broker", "neutrality_loss"), "is recorded when the broker takes office"),
    (("talent", "hiring_cost"), "is recorded at founding (RunStarted)"),
    (("talent", "conflict_attrition"), "is recorded at founding (RunStarted)"),
    (("conflicts", "drag"), "is recorded at founding (RunStarted)"),
    (("delivery", "min_productivity"), "is recorded at founding (RunStarted)"),
    (("delivery", "ramp_productivity"), "is recorded at founding (RunStarted)"),
    (("delivery", "team_cap"), "is recorded at founding (RunStarted)"),
    (("ceo", "hours_per_week"), "is recorded at founding (RunStarted)"),
    (("ceo", "max_hours_per_week"), "is recorded at founding (RunStarted)"),
)

#: Fields of a department or conflict kind that cannot change mid-run, and why.
_FIXED_ENTRY: dict[str, dict[str, str]] = {
    "departments": {
        "enabled": "says at founding whether the department exists",
        "staff": "is the founding headcount (hiring changes it during the run)",
        "salary": "is recorded at founding (DepartmentFormed); people keep their pay",
    },
    "conflicts.kinds": {
        "enabled": "starts the kind's arrivals at founding",
        "initiator": "sets the kind's interfaces at founding",
        "target": "sets the kind's interfaces at founding",
        "effect": "says what the kind's conflicts do",
    },
}


def fixed_reason(path: str) -> str:
    """Why a parameter cannot change mid-run ('' when it can).

    A parameter cannot change when the log records it at founding (the state and
    every projection read it from there), when it sets the company's shape or its
    processes at founding, or when an action says it better (``appoint``,
    ``mediators``). Everything a mechanism reads when it decides can change: its
    next decision uses the new value.
    """
    parts = tuple(path.split("."))
    for prefix, reason in _FIXED:
        if parts[: len(prefix)] == prefix:
            return f"cannot change during a run: it {reason}"
    for table, fields in _FIXED_ENTRY.items():
        depth = len(table.split("."))
        if ".".join(parts[:depth]) == table:
            if len(parts) == depth:
                return f"cannot change during a run: set one entry's field ({table}.<name>.<field>)"
            if len(parts) == depth + 1:
                return "cannot change during a run: a whole entry; set one of its fields"
            field = fields.get(parts[depth + 1])
            if field:
                return f"cannot change during a run: it {field}"
    return ""
