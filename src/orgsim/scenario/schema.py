"""The scenario: every parameter of the model, with its default, range and meaning.

A scenario is a tree of frozen attrs classes. Defaults describe a mid-sized software
company (about 500 staff); a scenario file states only what differs. Each field's
metadata carries its valid range (``ge``, ``gt``, ``le``, ``lt``), allowed values
(``choices``) and a one-line ``doc``; :mod:`orgsim.scenario.loading` checks all of
them in one pass and ``docs/model.md`` explains each in the language of the seed
text.

Units: time in days, money in thousands of dollars (k$), rates per year where the
name says so.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import attrs

from orgsim.scenario.convert import unstructure
from orgsim.scenario.distributions import (
    Dist,
    deterministic,
    exponential,
    gamma,
    lognormal,
    uniform,
)

MAX_SEED = 2**63 - 1
"""The largest root seed: runs are stored with their seed, and SQLite's INTEGER is 64-bit signed."""


def param(default: Any, doc: str = "", **limits: Any) -> Any:
    """An attrs field with a default, a docstring and range metadata."""
    meta = {"doc": doc, **limits}
    if isinstance(default, (dict, list)) or attrs.has(type(default)):
        # A fresh deep copy per instance: frozen attrs classes still hold mutable
        # dicts and lists, which must never be shared between scenarios.
        return attrs.field(factory=lambda: copy.deepcopy(default), metadata=meta)
    return attrs.field(default=default, metadata=meta)


# --------------------------------------------------------------------------- org


@attrs.frozen(kw_only=True)
class Department:
    """A functional department: its people, its head's bias and its pay."""

    enabled: bool = param(True, "false drops the department from the company")
    staff: int = param(50, "initial headcount, all fully ramped", ge=0, le=100_000)
    salary: float = param(150.0, "fully loaded cost per person per year, k$", gt=0.0, le=10_000.0)
    bias: float = param(
        0.2,
        "head's self-interest: budget requests are inflated by this share of need",
        ge=0.0,
        le=3.0,
    )
    attrition: float = param(
        0.13,
        "share of staff who leave in a year absent conflicts (US tech ~13%)",
        ge=0.0,
        le=0.95,
    )
    growth_target: float = param(
        0.0,
        "planned headcount growth per year; the head asks for at least the plan",
        ge=-0.5,
        le=2.0,
    )


def _default_departments() -> dict[str, Department]:
    # Midsize software company, ~500 staff. Shares follow typical SaaS org charts:
    # R&D ~45%, go-to-market ~35%, support ~15%, product ~5%.
    return {
        "engineering": Department(staff=200, salary=180.0, bias=0.25),
        "qa": Department(staff=40, salary=130.0, bias=0.15),
        "marketing": Department(staff=55, salary=150.0, bias=0.3, growth_target=0.05),
        "sales": Department(staff=95, salary=170.0, bias=0.35, attrition=0.2, growth_target=0.1),
        "support": Department(staff=85, salary=95.0, bias=0.1, attrition=0.18),
        "product": Department(staff=25, salary=175.0, bias=0.05),
    }


# ---------------------------------------------------------------------- delivery


@attrs.frozen(kw_only=True)
class Stage:
    """One stage of the delivery flow, done by one department."""

    name: str = param("build", "stage name")
    department: str = param("engineering", "department whose staff do this stage")
    effort: Dist = param(lognormal(200.0, 0.6), "person-days of work per feature")


def _default_stages() -> list[Stage]:
    return [
        Stage(name="spec", department="product", effort=lognormal(25.0, 0.5)),
        Stage(name="build", department="engineering", effort=lognormal(260.0, 0.6)),
        Stage(name="test", department="qa", effort=lognormal(50.0, 0.6)),
        Stage(name="launch", department="marketing", effort=lognormal(35.0, 0.5)),
    ]


@attrs.frozen(kw_only=True)
class Delivery:
    """Products, their roadmaps, and the flow of features through departments."""

    products: int = param(4, "number of products", ge=1, le=1000)
    initial_features: int = param(
        12, "features already on each product's roadmap at the start", ge=0, le=10_000
    )
    feature_interarrival: Dist = param(
        exponential(9.0), "days between new features on one product's roadmap"
    )
    stages: list[Stage] = param(_default_stages(), "spec -> build -> test -> launch")
    value: Dist = param(lognormal(600.0, 0.8), "value a feature realises when shipped on time, k$")
    due_in: Dist = param(
        uniform(90.0, 270.0), "days from planning to due date (a 3-12 month roadmap)"
    )
    late_value_halflife: float = param(
        180.0, "days of lateness that halve a feature's value", gt=0.0
    )
    team_cap: float = param(8.0, "most people who can work on one item at once", gt=0.0, le=1000.0)
    ramp_productivity: float = param(
        0.5, "productivity of a new hire during ramp-up, share of full", ge=0.0, le=1.0
    )
    min_productivity: float = param(
        0.3, "floor of a department's productivity however many conflicts", ge=0.0, le=1.0
    )


# ------------------------------------------------------------------------ market


@attrs.frozen(kw_only=True)
class Market:
    """Strategy drift: the segments each product serves move, and roadmaps follow late.

    Seed: "Are you missing key segments, or being outflanked by new competitors, or
    stuck in an old business model?" and "you bring in your line PMs as subject
    matter experts ... to keep strategy relevant". Each product's market shifts now
    and then; a feature planned before its roadmap followed the latest shift is
    built for a segment the market has left, and realises less. Without the broker
    the roadmap follows when the shift shows up in the loudest department's numbers;
    the broker and its line PMs notice sooner and re-prioritise, at the cost of a
    mediator's time.
    """

    shift_interarrival: Dist = param(
        exponential(365.0), "days between segment shifts on one product (assumed)"
    )
    shift_loss: float = param(
        0.3,
        "share of a feature's value lost when it ships built for a segment the market "
        "has moved away from (assumed)",
        ge=0.0,
        le=1.0,
    )
    notice: Dist = param(
        lognormal(240.0, 0.6),
        "days until the roadmap follows a shift without the broker: when it shows up "
        "in the loudest department's numbers (assumed)",
    )
    broker_notice: Dist = param(
        lognormal(60.0, 0.6),
        "days until the broker, with line PMs as subject matter experts, notices a shift (assumed)",
    )
    realign_days: Dist = param(
        gamma(5.0, 0.5), "mediator-days of the broker's time one re-prioritisation takes"
    )


# ------------------------------------------------------------------------ budget


@attrs.frozen(kw_only=True)
class Budget:
    """The quarterly budget cycle."""

    quarter_days: float = param(91.25, "length of a budget cycle, days (365 / 4)", gt=0.0)
    headroom: float = param(
        1.04,
        "base quarterly budget as a multiple of the initial payroll",
        gt=0.0,
        le=10.0,
    )
    reinvest_share: float = param(
        0.15,
        "share of last quarter's shipped value added to the next budget",
        ge=0.0,
        le=1.0,
    )
    power_exponent: float = param(
        0.5,
        "how strongly political weight tilts the CEO's allocation (0 = none)",
        ge=0.0,
        le=5.0,
    )
    weight_budget_share: float = param(
        0.5,
        "political weight = this x budget share + (1 - this) x staff share",
        ge=0.0,
        le=1.0,
    )
    workload_horizon: float = param(
        120.0, "days of queued work a department wants the staff to clear", gt=0.0
    )
    max_growth: float = param(
        0.25, "most a department's need can grow in one quarter, share", ge=0.0, le=5.0
    )


# ------------------------------------------------------------------------ talent


@attrs.frozen(kw_only=True)
class Talent:
    """Hiring, ramp-up, attrition."""

    time_to_hire: Dist = param(
        gamma(45.0, 0.5), "days from opening a requisition to a hire (typical 40-50)"
    )
    ramp_days: Dist = param(deterministic(90.0), "days a new hire needs to reach full productivity")
    hiring_cost: float = param(25.0, "recruiting cost per hire, k$ (roughly 15% of salary)", ge=0.0)
    skill_cv: float = param(
        0.25, "spread of individual productivity (lognormal, mean 1)", ge=0.0, le=3.0
    )
    conflict_attrition: float = param(
        1.5,
        "attrition multiplier per unit of open-conflict exposure",
        ge=0.0,
        le=50.0,
    )
    max_hires_per_quarter: float = param(
        0.15, "most requisitions opened in a quarter, share of staff", ge=0.0, le=5.0
    )


# --------------------------------------------------------------------- conflicts


_EFFECTS_CHOICES = ("extra_work", "transfer", "budget")


@attrs.frozen(kw_only=True)
class ConflictKind:
    """One kind of cross-functional conflict from the seed text."""

    enabled: bool = param(True, "false switches this kind off")
    initiator: str = param("sales", "department whose move starts the conflict")
    target: str = param("engineering", "department on the other side")
    effect: str = param(
        "extra_work",
        "what the initiator's move does: extra_work, transfer or budget",
        choices=_EFFECTS_CHOICES,
    )
    interarrival: Dist = param(
        exponential(30.0), "days between conflicts of this kind (budget: unused)"
    )
    severity: Dist = param(uniform(0.5, 1.5), "how much the conflict drags, relative")
    initiator_right: float = param(
        0.3,
        "probability that the initiator's side is the company's interest",
        ge=0.0,
        le=1.0,
    )
    effort: Dist = param(lognormal(120.0, 0.7), "extra_work: person-days imposed on the target")
    value_if_right: float = param(
        300.0, "extra_work: value when done and the initiator was right, k$", ge=0.0
    )
    transfer_count: int = param(
        2, "transfer: people moved from target to initiator", ge=0, le=10_000
    )
    transfer_share: float = param(
        0.3, "budget: share of the funding gap moved when the initiator wins", ge=0.0, le=1.0
    )
    threshold: float = param(
        0.85, "budget: allocation / need below which a dispute may start", ge=0.0, le=1.0
    )
    probability: float = param(
        0.6, "budget: chance an underfunded department disputes", ge=0.0, le=1.0
    )
    surfacing: Dist = param(
        lognormal(45.0, 0.8), "days until a latent conflict surfaces on its own"
    )
    lifetime: Dist = param(lognormal(240.0, 0.6), "days after which an unresolved conflict lapses")

    def uses(self, name: str) -> bool:
        """Whether this kind's ``effect`` uses a field, by the convention of the docs.

        A field documented ``"extra_work: ..."`` matters only to that effect; one
        documented with ``"(budget: unused)"`` matters to every effect but that one.
        """
        doc = attrs.fields_dict(ConflictKind)[name].metadata.get("doc", "")
        prefix = doc.split(":", 1)[0]
        if prefix in _EFFECTS and prefix != self.effect:
            return False
        return f"({self.effect}: unused)" not in doc


_EFFECTS = _EFFECTS_CHOICES


def _default_conflicts() -> dict[str, ConflictKind]:
    return {
        # "Sales is targeting prospects that don't fit the current product"
        "custom_work": ConflictKind(
            initiator="sales",
            target="engineering",
            effect="extra_work",
            interarrival=exponential(18.0),
            initiator_right=0.3,
            effort=lognormal(150.0, 0.7),
            value_if_right=400.0,
        ),
        # "Engineering is stealing Tech Support's best talent"
        "poaching": ConflictKind(
            initiator="engineering",
            target="support",
            effect="transfer",
            interarrival=exponential(45.0),
            initiator_right=0.35,
            transfer_count=2,
        ),
        # "Marketing's plan to move all customer emails to a cloud solution will
        # create privacy issues and tons of DBA work"
        "cross_initiative": ConflictKind(
            initiator="marketing",
            target="engineering",
            effect="extra_work",
            interarrival=exponential(40.0),
            initiator_right=0.4,
            effort=lognormal(180.0, 0.8),
            value_if_right=350.0,
        ),
        # "the great budgetary and reorganization battles that tear companies apart"
        "budget_dispute": ConflictKind(
            initiator="engineering",
            target="sales",
            effect="budget",
            initiator_right=0.5,
        ),
        # schedules: a launch date promised before the build can meet it
        "schedule_clash": ConflictKind(
            initiator="marketing",
            target="qa",
            effect="extra_work",
            interarrival=exponential(30.0),
            initiator_right=0.35,
            effort=lognormal(60.0, 0.6),
            value_if_right=250.0,
        ),
        # "the great budgetary and reorganization battles that tear companies apart":
        # Engineering moves to fold QA's team into its own; when QA prevails the team
        # goes back. Reorganisations hurt more than a skirmish over one person.
        "reorganisation": ConflictKind(
            initiator="engineering",
            target="qa",
            effect="transfer",
            interarrival=exponential(240.0),
            initiator_right=0.4,
            transfer_count=6,
            severity=uniform(1.0, 2.0),
        ),
    }


@attrs.frozen(kw_only=True)
class Conflicts:
    """Conflict arrivals, their drag on productivity and on retention."""

    intensity: float = param(1.0, "multiplies every conflict arrival rate", ge=0.0, le=100.0)
    drag: float = param(
        0.03,
        "productivity lost per unit of open-conflict severity, per department",
        ge=0.0,
        le=1.0,
    )
    kinds: dict[str, ConflictKind] = param(_default_conflicts(), "kinds of conflict")


@attrs.frozen(kw_only=True)
class Negotiation:
    """Bilateral negotiation between department heads (the world without a broker)."""

    duration: Dist = param(gamma(20.0, 0.6), "days a bilateral negotiation takes")
    success: float = param(0.55, "probability two heads settle without escalating", ge=0.0, le=1.0)
    power_exponent: float = param(
        2.0, "how strongly political weight decides who wins", ge=0.0, le=10.0
    )


@attrs.frozen(kw_only=True)
class Ceo:
    """The CEO, whose attention is scarce."""

    slots: int = param(1, "escalations the CEO handles at once", ge=1, le=100)
    attention: float = param(
        0.25,
        "share of the CEO's working time one escalation on the desk takes (assumed)",
        gt=0.0,
        le=1.0,
    )
    duration: Dist = param(gamma(12.0, 0.5), "days of CEO attention per escalation")
    success: float = param(0.85, "probability the CEO settles a conflict", ge=0.0, le=1.0)
    insight: float = param(
        0.6,
        "probability the CEO sides with the company's interest rather than power",
        ge=0.0,
        le=1.0,
    )


@attrs.frozen(kw_only=True)
class Broker:
    """The VP of Product Management: an honest broker with influence, not command."""

    enabled: bool = param(True, "whether the company has a VP PM")
    mediators: int = param(2, "people who mediate: the VP PM plus Directors", ge=1, le=1000)
    salary: float = param(260.0, "cost per mediator per year, k$", ge=0.0)
    detection: Dist = param(gamma(12.0, 0.7), "days for line PMs and Directors to spot a conflict")
    mediation: Dist = param(gamma(10.0, 0.6), "days one mediation takes")
    success_base: float = param(
        0.35, "mediation success probability at zero credibility", ge=0.0, le=1.0
    )
    success_credibility: float = param(
        0.55, "added success probability at full credibility", ge=0.0, le=1.0
    )
    neutrality: float = param(
        0.85,
        "probability a successful mediation lands on the company's interest",
        ge=0.0,
        le=1.0,
    )
    initial_credibility: float = param(0.5, "credibility at the start", ge=0.0, le=1.0)
    credibility_gain: float = param(
        0.08, "share of the gap to 1 gained per success", ge=0.0, le=1.0
    )
    credibility_loss: float = param(0.15, "share of credibility lost per failure", ge=0.0, le=1.0)
    credibility_floor: float = param(
        0.2, "level credibility decays to without successes", ge=0.0, le=1.0
    )
    credibility_halflife: float = param(
        180.0, "days for credibility to decay halfway to the floor", gt=0.0
    )
    budget_neutrality: float = param(
        0.5,
        "how much the broker's neutral read removes bias and power from budgets",
        ge=0.0,
        le=1.0,
    )
    ceo_briefing: float = param(
        0.4,
        "at full credibility, share of CEO time saved (and of the CEO's blind spot "
        "closed) on escalations the broker has mediated",
        ge=0.0,
        le=1.0,
    )
    pm_overhead: float = param(
        0.05,
        "share of Product's capacity spent on cross-functional watching",
        ge=0.0,
        le=1.0,
    )
    queue_limit: int = param(
        0, "mediations waiting before overflow goes bilateral (0 = no limit)", ge=0
    )
    department: str = param("product", "department the VP PM and Directors lead")
    praise_interarrival: Dist = param(
        exponential(14.0),
        "days between the VP PM's acts of public praise or private issue-raising (assumed)",
    )
    praise_gain: float = param(
        0.02,
        "share of the gap to full credibility one act of praise gains (0 = no praise)",
        ge=0.0,
        le=1.0,
    )


# ---------------------------------------------------------------------- scenario


@attrs.frozen(kw_only=True)
class Scenario:
    """A whole company and its environment."""

    name: str = param("midsize", "scenario name")
    description: str = param("A ~500-person software company with four products.", "one line")
    horizon: float = param(1095.0, "simulated days (3 years)", gt=0.0, le=36_500.0)
    seed: int = param(1, "root seed (the command line's --seed wins)", ge=0, le=MAX_SEED)
    departments: dict[str, Department] = param(_default_departments(), "departments")
    delivery: Delivery = param(Delivery(), "products and the delivery flow")
    market: Market = param(Market(), "segment shifts and how roadmaps follow them")
    budget: Budget = param(Budget(), "quarterly budget cycle")
    talent: Talent = param(Talent(), "hiring, ramp-up and attrition")
    conflicts: Conflicts = param(Conflicts(), "conflict arrivals and effects")
    negotiation: Negotiation = param(Negotiation(), "bilateral negotiation")
    ceo: Ceo = param(Ceo(), "CEO escalation")
    broker: Broker = param(Broker(), "the VP of Product Management")

    def check(self) -> list[tuple[str, str]]:
        """Cross-references that a single field cannot check."""
        out: list[tuple[str, str]] = []
        active = self.active_departments
        if not active:
            out.append(("departments", "at least one department must be enabled"))
        for i, stage in enumerate(self.delivery.stages):
            if stage.department not in active:
                out.append(
                    (
                        f"delivery.stages.{i}.department",
                        _unknown_department(stage.department, active),
                    )
                )
        if not self.delivery.stages:
            out.append(("delivery.stages", "at least one stage is needed"))
        names = [s.name for s in self.delivery.stages]
        if len(set(names)) != len(names):
            out.append(("delivery.stages", f"stage names repeat: {names}"))
        for kname, kind in self.conflicts.kinds.items():
            if not kind.enabled or kind.effect == "budget":
                continue  # budget disputes pick their sides from the allocation
            for side in ("initiator", "target"):
                dept = getattr(kind, side)
                if dept not in active:
                    out.append(
                        (f"conflicts.kinds.{kname}.{side}", _unknown_department(dept, active))
                    )
            if kind.initiator == kind.target:
                out.append((f"conflicts.kinds.{kname}.target", "must differ from the initiator"))
        if self.delivery.feature_interarrival.expected <= 0:
            out.append(("delivery.feature_interarrival.mean", "must be > 0 for an arrival process"))
        for kname, kind in self.conflicts.kinds.items():
            if kind.enabled and kind.effect != "budget" and kind.interarrival.expected <= 0:
                out.append(
                    (f"conflicts.kinds.{kname}.interarrival.mean", "must be > 0 for arrivals")
                )
        for stage in self.delivery.stages:
            dept = self.departments.get(stage.department)
            if dept is not None and dept.enabled and dept.staff == 0:
                out.append(
                    (
                        f"departments.{stage.department}.staff",
                        f"must be >= 1: it does stage '{stage.name}'",
                    )
                )
        if self.market.shift_interarrival.expected <= 0:
            out.append(("market.shift_interarrival.mean", "must be > 0 for an arrival process"))
        if self.broker.praise_gain > 0 and self.broker.praise_interarrival.expected <= 0:
            out.append(("broker.praise_interarrival.mean", "must be > 0 while praise_gain > 0"))
        if self.ceo.slots * self.ceo.attention > 1.0 + 1e-9:
            out.append(
                (
                    "ceo.attention",
                    f"{self.ceo.attention:g} × ceo.slots {self.ceo.slots} is more than all "
                    "of the CEO's time: slots × attention must be <= 1",
                )
            )
        if self.broker.enabled and self.broker.department not in active:
            out.append(("broker.department", _unknown_department(self.broker.department, active)))
        return out

    @property
    def active_departments(self) -> tuple[str, ...]:
        """Names of enabled departments, sorted by name.

        Sorted, not in file order, so that the order in which a file lists its
        departments can change nothing a run decides or draws.
        """
        return tuple(sorted(n for n, d in self.departments.items() if d.enabled))

    def with_broker(self, enabled: bool) -> Scenario:
        """The same scenario with the broker switched on or off."""
        return attrs.evolve(self, broker=attrs.evolve(self.broker, enabled=enabled))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (TOML/JSON-compatible) for provenance and hashing."""
        return unstructure(self)

    def digest(self) -> str:
        """A short stable hash of the resolved scenario (provenance, caching)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _unknown_department(name: str, active: tuple[str, ...]) -> str:
    return f"'{name}' is not an enabled department (enabled: {', '.join(active)})"


__all__ = [
    "MAX_SEED",
    "Broker",
    "Budget",
    "Ceo",
    "ConflictKind",
    "Conflicts",
    "Delivery",
    "Department",
    "Dist",
    "Market",
    "Negotiation",
    "Scenario",
    "Stage",
    "Talent",
]
