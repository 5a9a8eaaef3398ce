"""Where each default comes from, and how far it could plausibly be off.

Every number in a scenario is one of two things. A *structural* input describes the
company being modelled (its headcount, products, calendar, how many mediators it
hires): the user states it, and there is nothing to ground. A *behavioural*
constant says how people and organisations behave (how long a hire takes, how much
a conflict drags, how often a negotiation settles): its default is either a
published figure, named by a key of :data:`SOURCES`, or *assumed*, and either way it
carries a plausible range, low to high, that uncertainty and sensitivity analyses
can explore (:mod:`orgsim.scenario.uncertainty`).

A range is absolute (:func:`plausible`) or relative to the value in the scenario
(:func:`relative`), for constants whose value differs by entry: the effort of each
stage, the arrival rate of each conflict kind. For a distribution the range is on
its mean (a uniform distribution is scaled to it).

This module holds only the vocabulary; the schema attaches a :class:`Grounding` to
each field's metadata under :data:`KEY`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

KEY = "grounding"
"""The metadata key of a schema field's grounding."""

ASSUMED = "assumed"
"""The source of a default that no published figure grounds."""


@attrs.frozen
class Grounding:
    """A field's kind of number, its plausible range and the source of its default.

    Attributes:
        structural: The number describes the company (the user's input); no range.
        low: Lowest plausible value (a multiplier of the scenario's value when
            ``relative``).
        high: Highest plausible value (likewise).
        relative: Whether ``low`` and ``high`` multiply the scenario's own value.
        source: A key of :data:`SOURCES`, or :data:`ASSUMED`.
        note: What the source says, or why the range is what it is.
    """

    structural: bool = False
    low: float = 0.0
    high: float = 0.0
    relative: bool = False
    source: str = ASSUMED
    note: str = ""

    def bounds(self, value: float) -> tuple[float, float]:
        """The plausible range around a scenario's value of the field."""
        if self.relative:
            return self.low * value, self.high * value
        return self.low, self.high

    def describe(self) -> str:
        """The range as the parameter reference prints it: ``0.1 to 0.5``, ``×0.5 to ×2``."""
        if self.structural:
            return "structural"
        if self.relative:
            return f"×{_num(self.low)} to ×{_num(self.high)}"
        return f"{_num(self.low)} to {_num(self.high)}"


def _num(x: float) -> str:
    return f"{x:g}"


STRUCTURAL = Grounding(structural=True, source="", note="describes the company: the user's input")
"""The grounding of a structural input."""


def plausible(low: float, high: float, source: str = ASSUMED, note: str = "") -> Grounding:
    """A behavioural constant with an absolute plausible range."""
    if not low <= high:
        raise ValueError(f"plausible range {low}..{high} is empty")
    return Grounding(low=low, high=high, source=source, note=note)


def relative(low: float, high: float, source: str = ASSUMED, note: str = "") -> Grounding:
    """A behavioural constant whose plausible range is a multiple of its value."""
    if not 0 <= low <= 1 <= high:
        raise ValueError(f"relative range ×{low}..×{high} must contain ×1")
    return Grounding(low=low, high=high, relative=True, source=source, note=note)


#: Published sources the defaults cite, by key.
SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "seed": (
            "The domain source: 'The VP of Product Management as honest broker' "
            "(shared/seed/vp-product-management.txt)"
        ),
    }
)


S = STRUCTURAL

#: The grounding of every number of the schema, by ``Class.field``. The schema's
#: classes are in :mod:`orgsim.scenario.schema`; ``tests/scenario/test_grounding.py``
#: checks that every numeric and distribution field has an entry here, that every
#: default (and every bundled scenario's value) lies in its range, and that every
#: source is in :data:`SOURCES`.
GROUNDINGS: Mapping[str, Grounding] = MappingProxyType(
    {
        # ------------------------------------------------------------ the run
        "Scenario.horizon": S,
        "Scenario.seed": S,
        # ------------------------------------------------------- departments
        "Department.staff": S,
        "Department.salary": relative(0.8, 1.25, note="market pay varies by region and level"),
        "Department.bias": plausible(
            0.0, 0.6, note="request inflation; a head asking 60% more is an outlier"
        ),
        "Department.attrition": plausible(0.08, 0.3),
        "Department.growth_target": plausible(-0.1, 0.3),
        # ---------------------------------------------------------- delivery
        "Delivery.products": S,
        "Delivery.initial_features": S,
        "Delivery.feature_interarrival": relative(0.5, 2.0, note="demand per product"),
        "Delivery.value": relative(0.5, 2.0),
        "Delivery.due_in": relative(2 / 3, 1.5, source="seed", note="a 3-12 month roadmap"),
        "Delivery.late_value_halflife": plausible(90.0, 365.0),
        "Delivery.team_cap": plausible(4.0, 12.0, note="a team of 4 to 12 on one item"),
        "Delivery.ramp_productivity": plausible(0.25, 0.75),
        "Delivery.min_productivity": plausible(0.1, 0.5),
        "Stage.effort": relative(0.5, 2.0),
        # ------------------------------------------------------------ budget
        "Budget.quarter_days": S,
        "Budget.headroom": plausible(1.0, 1.15),
        "Budget.reinvest_share": plausible(0.05, 0.3),
        "Budget.power_exponent": plausible(0.0, 1.5),
        "Budget.weight_budget_share": plausible(0.25, 0.75),
        "Budget.workload_horizon": plausible(60.0, 180.0),
        "Budget.max_growth": plausible(0.1, 0.5),
        # ------------------------------------------------------------ talent
        "Talent.time_to_hire": plausible(30.0, 60.0),
        "Talent.ramp_days": plausible(60.0, 180.0),
        "Talent.hiring_cost": plausible(10.0, 50.0),
        "Talent.skill_cv": plausible(0.1, 0.5),
        "Talent.conflict_attrition": plausible(0.0, 3.0),
        "Talent.max_hires_per_quarter": plausible(0.05, 0.3),
        # --------------------------------------------------------- conflicts
        "Conflicts.intensity": plausible(0.5, 2.0),
        "Conflicts.drag": plausible(
            0.005, 0.06, note="ungrounded, and the broker's verdict hangs on it"
        ),
        "ConflictKind.interarrival": relative(0.5, 2.0),
        "ConflictKind.severity": relative(0.5, 2.0),
        "ConflictKind.initiator_right": plausible(0.2, 0.6),
        "ConflictKind.effort": relative(0.5, 2.0),
        "ConflictKind.value_if_right": relative(0.5, 2.0),
        "ConflictKind.transfer_count": plausible(1.0, 4.0),
        "ConflictKind.transfer_share": plausible(0.1, 0.5),
        "ConflictKind.threshold": plausible(0.7, 0.95),
        "ConflictKind.probability": plausible(0.3, 0.9),
        "ConflictKind.surfacing": plausible(15.0, 90.0),
        "ConflictKind.lifetime": plausible(120.0, 480.0),
        # ------------------------------------------------- negotiation, CEO
        "Negotiation.duration": plausible(10.0, 40.0),
        "Negotiation.success": plausible(0.4, 0.75),
        "Negotiation.power_exponent": plausible(0.5, 3.0),
        "Ceo.slots": S,
        "Ceo.attention": plausible(0.1, 0.5),
        "Ceo.duration": plausible(5.0, 25.0),
        "Ceo.success": plausible(0.7, 0.95),
        "Ceo.insight": plausible(0.4, 0.8),
        # ------------------------------------------------------------ broker
        "Broker.mediators": S,
        "Broker.salary": plausible(200.0, 350.0),
        "Broker.detection": plausible(5.0, 30.0),
        "Broker.mediation": plausible(5.0, 20.0),
        "Broker.success_base": plausible(0.2, 0.5),
        "Broker.success_credibility": plausible(0.3, 0.7),
        "Broker.neutrality": plausible(0.7, 0.95),
        "Broker.initial_credibility": plausible(0.3, 0.7),
        "Broker.credibility_gain": plausible(0.03, 0.15),
        "Broker.credibility_loss": plausible(0.05, 0.3),
        "Broker.credibility_floor": plausible(0.1, 0.3),
        "Broker.credibility_halflife": plausible(90.0, 365.0),
        "Broker.budget_neutrality": plausible(0.2, 0.8),
        "Broker.ceo_briefing": plausible(0.2, 0.6),
        "Broker.pm_overhead": plausible(0.02, 0.1),
        "Broker.queue_limit": S,
    }
)


def grounding_of(cls: type, name: str) -> Grounding | None:
    """The grounding of a schema class's field, or None for one that is not a number."""
    return GROUNDINGS.get(f"{cls.__name__}.{name}")
