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
from orgsim.scenario.interventions import Intervention, fixed_reason

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


# The default departments, stages and conflict kinds are data built once at import,
# like the fields' defaults: mutation testing cannot select a mutant there, so they
# are not mutated (docs/testing.md). tests/scenario/test_docs.py pins every one:
# docs/model.md's parameter block, generated from them, must not change.
def _default_departments() -> dict[str, Department]:  # pragma: no mutate block
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


def _default_stages() -> list[Stage]:  # pragma: no mutate block
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
        exponential(50.0),
        "days between new features one line PM puts on the roadmap (a product's "
        "roadmap grows with the line PMs per product)",
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
    # "At start-ups, cash burn is much more important than job title": the company
    # pays its people, recruiters and broker out of a cash balance and fails when it
    # runs out; shipped value is the income that refills it.
    cash: float = param(
        80_000.0,
        "cash on hand at the start, k$ (midsize: about 12 months of founding payroll)",
        ge=0.0,
    )
    cash_share: float = param(
        1.0,
        "share of a shipped feature's (or unplanned work's) value that comes in as cash "
        "when it ships",
        ge=0.0,
        le=1.0,
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
        exponential(2000.0),
        "days between conflicts of this kind on one working interface; the kind's "
        "interfaces add up (budget: unused)",
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
        lognormal(7.5, 0.8),
        "days per management layer crossed until a latent conflict surfaces on its own",
    )
    lifetime: Dist = param(lognormal(240.0, 0.6), "days after which an unresolved conflict lapses")
    # "Marketing's plan to move all customer emails to a cloud solution will create
    # privacy issues and tons of DBA work": the work is ``effort``, the risk these.
    incident_probability: float = param(
        0.0,
        "extra_work: chance the initiator's move causes a privacy incident (assumed)",
        ge=0.0,
        le=1.0,
    )
    incident_cost: float = param(
        4880.0,
        "extra_work: what one privacy incident costs the company, k$ (IBM 2024: $4.88M)",
        ge=0.0,
        le=1_000_000.0,
    )
    incident_delay: Dist = param(
        lognormal(120.0, 0.8),
        "extra_work: days from the move to the incident, if the move still stands then",
    )

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


def _default_conflicts() -> dict[str, ConflictKind]:  # pragma: no mutate block
    return {
        # "Sales is targeting prospects that don't fit the current product"
        "custom_work": ConflictKind(
            initiator="sales",
            target="engineering",
            effect="extra_work",
            interarrival=exponential(1800.0),
            initiator_right=0.3,
            effort=lognormal(150.0, 0.7),
            value_if_right=400.0,
        ),
        # "Engineering is stealing Tech Support's best talent"
        "poaching": ConflictKind(
            initiator="engineering",
            target="support",
            effect="transfer",
            interarrival=exponential(4200.0),
            initiator_right=0.35,
            transfer_count=2,
        ),
        # "Marketing's plan to move all customer emails to a cloud solution will
        # create privacy issues and tons of DBA work"
        "cross_initiative": ConflictKind(
            initiator="marketing",
            target="engineering",
            effect="extra_work",
            interarrival=exponential(2300.0),
            initiator_right=0.4,
            effort=lognormal(180.0, 0.8),
            value_if_right=350.0,
            incident_probability=0.05,
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
            interarrival=exponential(360.0),
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
            # 43.5 engineering-QA interfaces at midsize: one battle in about two years
            interarrival=exponential(32000.0),
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
        0.5,
        "productivity lost by the team a conflict touches, per unit of severity (a "
        "department of n teams loses drag / n)",
        ge=0.0,
        le=1.0,
    )
    kinds: dict[str, ConflictKind] = param(_default_conflicts(), "kinds of conflict")


@attrs.frozen(kw_only=True)
class Negotiation:
    """Bilateral negotiation between department heads (the world without a broker)."""

    duration: Dist = param(
        gamma(3.5, 0.6), "days a bilateral negotiation takes, per management layer crossed"
    )
    success: float = param(
        0.9,
        "probability two heads settle without escalating, per layer crossed (success ** layers)",
        ge=0.0,
        le=1.0,
    )
    climb: Dist = param(
        gamma(1.5, 0.5),
        "days per layer crossed for a failed negotiation to climb to the CEO",
    )
    power_exponent: float = param(
        2.0, "how strongly political weight decides who wins", ge=0.0, le=10.0
    )


@attrs.frozen(kw_only=True)
class Ceo:
    """The CEO, whose attention is hours a week shared among the open escalations.

    The seed's escalations "up to the CEO" compete for a few hours of a calendar:
    ``hours_per_week`` go to escalations all together, at most ``max_hours_per_week``
    to any one (a decision takes meetings, and meetings take calendar time), in the
    order they arrived; the rest wait (:mod:`orgsim.engine.state`, the desk).
    """

    hours_per_week: float = param(
        8.0, "hours a week the CEO gives to escalations, all together", gt=0.0, le=80.0
    )
    max_hours_per_week: float = param(
        2.0,
        "most hours a week the CEO gives one escalation: decisions take meetings, "
        "and meetings take calendar time",
        gt=0.0,
        le=80.0,
    )
    hours: Dist = param(
        gamma(6.0, 0.5), "hours of CEO time an escalation needs before the CEO decides"
    )
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
    mediators: int = param(
        0,
        "people who mediate; 0: the VP PM plus the PM organisation's Directors",
        ge=0,
        le=1000,
    )
    salary: float = param(
        300.0,
        "the VP PM's fully loaded cost per year, k$ (Directors are Product staff in "
        "both arms; mediators beyond them are hired at this cost)",
        ge=0.0,
    )
    detection: Dist = param(
        gamma(4.0, 0.7), "days to spot a conflict, per team each line PM covers"
    )
    mediation: Dist = param(gamma(10.0, 0.6), "days one mediation takes")
    success_base: float = param(
        0.35, "mediation success probability at zero credibility", ge=0.0, le=1.0
    )
    success_credibility: float = param(
        0.55, "added success probability at full credibility", ge=0.0, le=1.0
    )
    neutrality: float = param(
        0.9,
        "probability a successful mediation lands on the company's interest, for a PM "
        "organisation with no share of the company",
        ge=0.0,
        le=1.0,
    )
    neutrality_loss: float = param(
        1.0,
        "neutrality lost per unit of Product's share of all staff (a large Product "
        "department has interests of its own)",
        ge=0.0,
        le=10.0,
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


# --------------------------------------------------------------------- structure


@attrs.frozen(kw_only=True)
class Structure:
    """How the company is organised: the input that, with headcounts, sets its shape.

    Teams, layers, interfaces and the PM organisation follow from it
    (:mod:`orgsim.scenario.structure`).
    """

    span_of_control: float = param(
        7.0, "people per manager: sets teams, layers and Directors", ge=2.0, le=50.0
    )


# ----------------------------------------------------------------------- support


@attrs.frozen(kw_only=True)
class Support:
    """Customer issues: the work Support does, as the other departments do theirs.

    "Engineering is stealing Tech Support's best talent" costs the company only if
    Support has work that its best people did. Customers raise issues at a steady
    rate, ``demand`` person-days a day per Sales person of the founding staff: the
    customer base is what Sales sold before the run and goes on existing whatever
    happens to the sales team later (a salesperson who quits takes no customers
    along), so the demand is fixed at the start. Support's capacity goes to it
    first; what it cannot work waits in a backlog that costs ``backlog_cost`` per
    person-day per day (churn and SLA credits while issues wait).
    """

    department: str = param(
        "support", "department that works customer issues; disabled means no demand"
    )
    demand: float = param(
        0.5,
        "person-days of customer issues a day per founding Sales person (assumed; "
        "0.5 puts midsize Support at ~56% of its capacity)",
        ge=0.0,
        le=100.0,
    )
    backlog_cost: float = param(
        0.1,
        "k$ lost per person-day of issue backlog per day: churn and SLA credits (assumed)",
        ge=0.0,
        le=1000.0,
    )
    abandonment: float = param(
        1.0 / 30.0,
        "share of waiting issues whose customers give up each day (1 / patience in "
        "days; 0: they wait forever): it bounds the backlog at (demand - capacity) / this",
        ge=0.0,
        le=10.0,
    )


# ------------------------------------------------------------------------ growth


@attrs.frozen(kw_only=True)
class Growth:
    """A company that grows from what it ships (:mod:`orgsim.engine.growth`).

    Off, the base budget is fixed at founding and the organisation keeps its
    founding shape. On, each quarter's base budget moves by a share of the last
    quarter's operating surplus (cash in from what shipped, less payroll, hiring
    and the broker), investors fund a round sized by its revenue when its runway
    runs short, the heads ask for the people that funds, the market of customers
    follows Sales, and teams, layers, interfaces and the PM organisation follow
    the headcount. No company growth rate is typed in: it emerges.
    """

    enabled: bool = param(False, "whether the company grows from what it ships")
    reinvest_share: float = param(
        0.5,
        "share of last quarter's operating surplus (or deficit) added to the base budget (assumed)",
        ge=0.0,
        le=1.0,
    )
    raise_below: float = param(
        12.0,
        "months of runway left below which the company raises a round at a quarter's start "
        "(0: it never raises)",
        ge=0.0,
        le=120.0,
    )
    round_multiple: float = param(
        2.0,
        "a round's size as a multiple of the annual revenue run-rate: investors fund "
        "traction (about 20% dilution at about 10x ARR)",
        ge=0.0,
        le=50.0,
    )
    spend_years: float = param(
        2.0,
        "years over which the company plans to spend a round: the base budget rises by "
        "round / (4 x this)",
        gt=0.0,
        le=20.0,
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
    structure: Structure = param(Structure(), "span of control")
    delivery: Delivery = param(Delivery(), "products and the delivery flow")
    market: Market = param(Market(), "segment shifts and how roadmaps follow them")
    budget: Budget = param(Budget(), "quarterly budget cycle")
    talent: Talent = param(Talent(), "hiring, ramp-up and attrition")
    conflicts: Conflicts = param(Conflicts(), "conflict arrivals and effects")
    negotiation: Negotiation = param(Negotiation(), "bilateral negotiation")
    ceo: Ceo = param(Ceo(), "CEO escalation")
    broker: Broker = param(Broker(), "the VP of Product Management")
    support: Support = param(Support(), "customer issues, worked by Support")
    growth: Growth = param(Growth(), "a company that grows from what it ships", omit_default=True)
    interventions: list[Intervention] = param(
        [],
        "changes during the run: when they fire and what they do",
        omit_default=True,
        schedule=True,
    )

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
        if _no_arrivals(self.delivery.feature_interarrival):
            out.append(("delivery.feature_interarrival.mean", "must be > 0 for an arrival process"))
        for kname, kind in self.conflicts.kinds.items():
            if kind.enabled and kind.effect != "budget" and _no_arrivals(kind.interarrival):
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
        if _no_arrivals(self.market.shift_interarrival):
            out.append(("market.shift_interarrival.mean", "must be > 0 for an arrival process"))
        if self.broker.praise_gain > 0 and _no_arrivals(self.broker.praise_interarrival):
            out.append(("broker.praise_interarrival.mean", "must be > 0 while praise_gain > 0"))
        if self.broker.enabled and self.broker.department not in active:
            out.append(("broker.department", _unknown_department(self.broker.department, active)))
        if self.support.department not in self.departments:  # disabled: no demand, not wrong
            out.append(("support.department", _unknown_department(self.support.department, active)))
        for i, iv in enumerate(self.interventions):
            if iv.enabled:
                out.extend(
                    (f"interventions.{i}.{p}".rstrip("."), m)
                    for p, m in _check_intervention(self, i, iv)
                )
        return out

    @property
    def appoints(self) -> bool:
        """Whether an intervention appoints the broker during the run."""
        return any(iv.enabled and iv.appoint for iv in self.interventions)

    @property
    def active_departments(self) -> tuple[str, ...]:
        """Names of enabled departments, sorted by name.

        Sorted, not in file order, so that the order in which a file lists its
        departments can change nothing a run decides or draws.
        """
        return tuple(sorted(n for n, d in self.departments.items() if d.enabled))

    def with_broker(self, enabled: bool) -> Scenario:
        """The scenario in a comparison's arm with or without the broker.

        The arm with the broker is the broker policy the scenario states: a broker
        from founding, or, when an intervention appoints one during the run, that
        appointment (the scenario as it is). The arm without drops the broker and
        every intervention's broker actions (the appointment, mediators added or
        removed); parameter changes stay, since they are not the broker's.
        """
        if enabled and self.appoints:
            return self
        out = self
        if not enabled and any(iv.appoint or iv.mediators for iv in self.interventions):
            out = attrs.evolve(
                self, interventions=[iv.without_broker() for iv in self.interventions]
            )
        if out.broker.enabled == enabled:
            return out
        return attrs.evolve(out, broker=attrs.evolve(out.broker, enabled=enabled))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (TOML/JSON-compatible) for provenance and hashing.

        A section marked ``omit_default`` (one newer than the scenarios already
        stored, such as ``interventions``) is left out while it holds its default,
        so every scenario that does not use it keeps its digest, and its runs their
        logs, byte for byte.
        """
        data = unstructure(self)
        for field in attrs.fields(Scenario):
            if field.metadata.get("omit_default") and getattr(self, field.name) == _default_of(
                field
            ):
                data.pop(field.name, None)
        return data

    def digest(self) -> str:
        """A short stable hash of the resolved scenario (provenance, caching)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_intervention(sc: Scenario, index: int, iv: Intervention) -> list[tuple[str, str]]:
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


def _default_of(field: attrs.Attribute[Any]) -> Any:
    """A field's default value (its factory called, for mutable defaults)."""
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory()
    return default


def _no_arrivals(interarrival: Dist) -> bool:
    """Whether a complete interarrival distribution has no positive mean: no arrivals."""
    return interarrival.complete and interarrival.expected <= 0


def _unknown_department(name: str, active: tuple[str, ...]) -> str:
    enabled = ", ".join(active) if active else "none"
    return f"'{name}' is not an enabled department (enabled: {enabled})"


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
    "Growth",
    "Intervention",
    "Market",
    "Negotiation",
    "Scenario",
    "Stage",
    "Structure",
    "Support",
    "Talent",
]
