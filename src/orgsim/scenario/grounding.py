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


#: Published sources the defaults cite, by key. Where only a secondary page quoting
#: the primary source was at hand, the entry says "via".
SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "seed": (
            "The domain source: Rich Mironov on the VP of Product Management as honest "
            "broker (shared/seed/vp-product-management.txt): 'keep a 3-12 month roadmap'"
        ),
        "bls-pay": (
            "U.S. Bureau of Labor Statistics, Occupational Outlook Handbook: median pay "
            "May 2023, software developers $132,270, QA analysts and testers $101,800; "
            "computer user support specialists $60,340 (May 2024); with the BLS Employer "
            "Costs for Employee Compensation (wages 68-70% of compensation), a loading "
            "of 1.3-1.45. https://www.bls.gov/ooh/Computer-and-Information-Technology/"
            "Software-developers.htm"
        ),
        "salarycom-pm": (
            "Salary.com product-management levels, via worksearch.uk: Director of "
            "Product Management median base $187,060; Senior PM $169,592. "
            "https://worksearch.uk/product-manager-salary"
        ),
        "linkedin-2018": (
            "LinkedIn Talent Solutions, 'The 3 industries with the highest turnover "
            "rates' (2018): technology (software) 13.2% of full-time employees leave in "
            "a year; sales turnover 25.8% (CSO Insights, via TechCXO), SDRs 30-34% "
            "(Bridge Group, via SomaMetrics); contact centres 30-45% (Insignia). "
            "https://business.linkedin.com/talent-solutions/blog/trends-and-research/"
            "2018/the-3-industries-with-the-highest-turnover-rates"
        ),
        "shrm-2016": (
            "SHRM, Human Capital Benchmarking Report (2016), via IMA: average time to "
            "fill 42 days, cost per hire $4,129 (nearly $4,700 in later SHRM figures); "
            "LinkedIn Economic Graph (2021, via Axios): engineering 49 days, sales 38, "
            "customer service 34; agency fees 15-30% of first-year salary (Acciyo). "
            "https://ima-net.org/average-cost-per-hire-for-companies-is-4129-shrm-survey-finds/"
        ),
        "ramp": (
            "T. Ahi Dror (Swimm), 'Engineer onboarding: the ugly truth about ramp-up "
            "time', HackerNoon (2020): 3-9 months for engineers to fully ramp up; Bridge "
            "Group (via Xactly, 2019): SDR ramp 3.2 months; AE 5.0 months (2024, via "
            "PulseRevOps). "
            "https://hackernoon.com/engineer-onboarding-the-ugly-truth-about-ramp-up-time-7e323t9j"
        ),
        "schmidt-hunter-1983": (
            "F. L. Schmidt and J. E. Hunter, 'Individual differences in productivity: an "
            "empirical test of estimates derived from studies of selection procedure "
            "utility', Journal of Applied Psychology 68(3), 407-414 (1983): the standard "
            "deviation of output averages 20% of mean output in non-piecework jobs."
        ),
        "cipd-2015": (
            "CIPD, 'Getting under the skin of workplace conflict' (2015; 2,195 UK "
            "employees), via Workplace Insight: 38% had an interpersonal conflict in the "
            "past year; as many as one in ten employees leave their organisation because "
            "of conflict. https://workplaceinsight.net/one-in-three-employees-report-"
            "experiencing-workplace-conflict-at-work/"
        ),
        "cpp-2008": (
            "CPP Inc., Global Human Capital Report 'Workplace conflict and how businesses "
            "can harness it to thrive' (2008): US employees spend 2.8 hours a week "
            "dealing with conflict; K. W. Thomas and W. H. Schmidt (1976, via "
            "Mediate2go): managers spend 18-26% of their time on conflict. "
            "https://docslib.org/doc/69704/workplace-conflict-and-how-businesses-can-"
            "harness-it-to-thrive"
        ),
        "mckinsey-late": (
            "McKinsey & Co., cited in J. Weinman, Cloudonomics (Wiley, 2012): for "
            "high-tech products, being six months late reduces profitability by one "
            "third (as an exponential decay, a half-life of about 300 days)."
        ),
        "team-size": (
            "Gallup, 'Span of control: optimal team size' (2025): median team about five "
            "to six employees per manager; SHRM (2016, via HR Dive): median 8 direct "
            "reports. "
            "https://www.gallup.com/workplace/700718/span-control-optimal-team-size-managers.aspx"
        ),
        "cipd-2020": (
            "CIPD, 'Managing conflict in the modern workplace' (2020), via The Future of "
            "Work: just 36% of employees who met conflict in the past year felt it was "
            "completely resolved. "
            "https://www.cipd.org/uk/knowledge/reports/managing-workplace-conflict-report/"
        ),
        "acas-mediation": (
            "Acas, 'Acas mediation 2010/11' (Research paper 12/11): 73% of participants "
            "felt mediation completely or partly resolved the issue; Acas 2019/20: 76% "
            "of Acas-led mediations fully or partially resolved. "
            "https://www.acas.org.uk/guide-print/840"
        ),
        "porter-nohria-2018": (
            "M. E. Porter and N. Nohria, 'How CEOs manage time', Harvard Business Review, "
            "July-August 2018 (27 CEOs, 60,000 hours): 36% of their time spent reacting "
            "to unfolding issues, 72% in meetings, 62.5 hours a week."
        ),
        "ibm-breach-2024": (
            "IBM Security and Ponemon Institute, 'Cost of a Data Breach Report 2024' "
            "(604 organisations, 16 countries): the global average cost of a data breach "
            "is USD 4.88 million, up 10% on 2023; smaller firms pay less per breach. "
            "https://www.ibm.com/reports/data-breach"
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
        "Department.salary": relative(
            0.8,
            1.25,
            source="bls-pay",
            note="loaded medians: developers 172-192 k$, QA 132-148, user support 78-87",
        ),
        "Department.bias": plausible(
            0.0, 0.6, note="budget padding of 20-25% is quoted, from no traceable source"
        ),
        "Department.attrition": plausible(
            0.08,
            0.35,
            source="linkedin-2018",
            note="software 13.2%; sales 26-34% and support 30-45% put the sales (0.2) "
            "and support (0.18) defaults at the low end",
        ),
        "Department.growth_target": plausible(-0.1, 0.3),
        # --------------------------------------------------------- structure
        "Structure.span_of_control": Grounding(
            structural=True,
            source="team-size",
            note="the company's own; median teams of 5-6 (Gallup) to 8 direct reports (SHRM)",
        ),
        # ---------------------------------------------------------- delivery
        "Delivery.products": S,
        "Delivery.initial_features": S,
        "Delivery.feature_interarrival": relative(
            0.5, 2.0, note="one line PM's features: about 7 a year by default"
        ),
        "Delivery.value": relative(0.5, 2.0),
        "Delivery.due_in": relative(
            2 / 3, 1.5, source="seed", note="3-12 months; the default stops at 9"
        ),
        "Delivery.late_value_halflife": plausible(
            120.0,
            365.0,
            source="mckinsey-late",
            note="implies about 300 days: the default 180 discounts lateness more harshly",
        ),
        "Delivery.team_cap": plausible(
            4.0, 12.0, source="team-size", note="median team 5-6, median 8 direct reports"
        ),
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
        "Budget.cash": S,
        "Budget.cash_share": plausible(
            0.3,
            1.0,
            note="1 keeps cash in step with the model's own accounting (net_value counts "
            "all value when shipped); lower where part of a feature's value is not cash "
            "(retention, position) or comes in after the horizon",
        ),
        # ------------------------------------------------------------ talent
        "Talent.time_to_hire": plausible(
            30.0, 60.0, source="shrm-2016", note="42 days to fill; engineering 49, sales 38"
        ),
        "Talent.ramp_days": plausible(
            60.0, 180.0, source="ramp", note="engineers 3-9 months: the default 90 is low"
        ),
        "Talent.hiring_cost": plausible(
            3.0,
            50.0,
            source="shrm-2016",
            note="4.1-4.7 k$ in-house, 15-30% of salary by agency: 25 assumes agencies",
        ),
        "Talent.skill_cv": plausible(
            0.15, 0.5, source="schmidt-hunter-1983", note="20% of mean output; more if complex"
        ),
        "Talent.conflict_attrition": plausible(
            0.0,
            5.0,
            source="cipd-2015",
            note="one in ten leave because of conflict; the multiplier is a rough derivation",
        ),
        "Talent.max_hires_per_quarter": plausible(0.05, 0.3),
        # --------------------------------------------------------- conflicts
        "Conflicts.intensity": plausible(0.5, 2.0),
        "Conflicts.drag": plausible(
            0.1,
            1.0,
            source="cpp-2008",
            note="2.8 h a week (7%) on conflict across all staff; what the touched "
            "team loses per unit of severity is assumed",
        ),
        "ConflictKind.interarrival": relative(0.5, 2.0),
        "ConflictKind.severity": relative(0.5, 2.0),
        "ConflictKind.initiator_right": plausible(0.2, 0.6),
        "ConflictKind.effort": relative(0.5, 2.0),
        "ConflictKind.value_if_right": relative(0.5, 2.0),
        "ConflictKind.transfer_count": relative(
            0.5,
            2.0,
            source="team-size",
            note="poaching takes one or two people; a reorganisation moves a team "
            "(median team 5-6)",
        ),
        "ConflictKind.transfer_share": plausible(0.1, 0.5),
        "ConflictKind.threshold": plausible(0.7, 0.95),
        "ConflictKind.probability": plausible(0.3, 0.9),
        "ConflictKind.surfacing": plausible(
            3.0, 20.0, note="per layer: 18-120 days across the six layers of midsize"
        ),
        "ConflictKind.lifetime": plausible(120.0, 365.0),
        # a share of the kind's own chance: cross_initiative's 0.05 spans 0.01 to 0.2,
        # and a kind with no privacy risk (0) stays at 0
        "ConflictKind.incident_probability": relative(
            0.2, 4.0, note="cloud e-mail move: 0.05 of moves end in an incident, 0.01-0.2"
        ),
        "ConflictKind.incident_cost": plausible(
            1000.0,
            10000.0,
            source="ibm-breach-2024",
            note="global average 4.88 M$; a mid-market firm's breach 1-10 M$",
        ),
        "ConflictKind.incident_delay": plausible(
            30.0, 365.0, note="a misconfigured store is found within months, not years"
        ),
        # ------------------------------------------------- negotiation, CEO
        "Negotiation.duration": plausible(
            1.5, 8.0, note="per layer: 9-48 days across the six layers of midsize"
        ),
        "Negotiation.success": plausible(
            0.84,
            0.95,
            source="cipd-2020",
            note="per layer; 0.35-0.75 across six layers. 36% of conflicts felt "
            "completely resolved: an analogue, not this",
        ),
        "Negotiation.climb": plausible(0.5, 5.0, note="per layer: a meeting up, a week or so"),
        "Negotiation.power_exponent": plausible(0.5, 3.0),
        "Ceo.hours_per_week": plausible(
            3.0,
            20.0,
            source="porter-nohria-2018",
            note="CEOs work ~62 h a week, 36% of it reacting to unfolding issues; the "
            "share internal disputes between departments get is assumed",
        ),
        "Ceo.max_hours_per_week": plausible(1.0, 5.0),
        "Ceo.hours": plausible(2.0, 16.0),
        "Ceo.success": plausible(0.7, 0.95),
        "Ceo.insight": plausible(0.45, 0.8),
        # ------------------------------------------------------------ broker
        "Broker.mediators": S,
        "Broker.salary": plausible(
            250.0,
            400.0,
            source="salarycom-pm",
            note="a Director of PM is 243-271 k$ loaded; a VP above it (assumed)",
        ),
        "Broker.detection": plausible(
            1.5, 10.0, note="per team covered: 5-32 days at midsize's 3.2 teams per PM"
        ),
        "Broker.mediation": plausible(5.0, 20.0),
        "Broker.success_base": plausible(
            0.2,
            0.5,
            source="acas-mediation",
            note="mediation resolves 73-76% fully or partly; at full credibility the "
            "default broker succeeds 90%, above it",
        ),
        "Broker.success_credibility": plausible(0.25, 0.7),
        "Broker.neutrality": plausible(0.75, 0.97),
        "Broker.neutrality_loss": plausible(0.0, 3.0),
        "Broker.initial_credibility": plausible(0.3, 0.7),
        "Broker.credibility_gain": plausible(0.03, 0.15),
        "Broker.credibility_loss": plausible(0.05, 0.3),
        "Broker.credibility_floor": plausible(0.1, 0.4),
        "Broker.credibility_halflife": plausible(90.0, 365.0),
        "Broker.budget_neutrality": plausible(0.2, 0.8),
        "Broker.ceo_briefing": plausible(0.2, 0.6),
        "Broker.pm_overhead": plausible(0.02, 0.15),
        "Broker.queue_limit": S,
        # ----------------------------------------------------------- support
        "Support.demand": plausible(
            0.3,
            0.8,
            note="SaaS org charts staff Support at 0.6-1 per Sales person; at 0.5 the "
            "midsize Support works at ~56% of its capacity before conflicts and poaching",
        ),
        "Support.backlog_cost": plausible(
            0.02,
            0.5,
            note="churn and SLA credits while customer issues wait; the backlog has no "
            "cap but abandonment, so a long overload costs about backlog_cost x "
            "(demand - capacity) / abandonment a day",
        ),
        "Support.abandonment": plausible(
            1.0 / 90.0, 1.0 / 7.0, note="customers who wait a week to a quarter before giving up"
        ),
        "Broker.praise_interarrival": plausible(
            7.0, 60.0, note="weekly to every two months; 'lots of' praise is the seed's word"
        ),
        "Broker.praise_gain": plausible(
            0.0, 0.05, note="a kind word moves credibility less than a settled conflict (0.08)"
        ),
        # ------------------------------------------------------------ market
        "Market.shift_interarrival": plausible(
            180.0, 1095.0, note="a segment moves every six months to every three years"
        ),
        "Market.shift_loss": plausible(0.1, 0.6),
        "Market.notice": plausible(
            120.0, 365.0, note="a shift shows in a department's numbers in a quarter to a year"
        ),
        "Market.broker_notice": plausible(
            20.0, 120.0, note="line PMs hear it from customers within weeks to a quarter"
        ),
        "Market.realign_days": plausible(2.0, 15.0),
        # ------------------------------------------------------------ growth
        "Growth.reinvest_share": plausible(
            0.25,
            1.0,
            note="a venture-backed company plows most of what it earns back into growth; "
            "from a quarter of the surplus (a cautious founder keeping cash) to all of it",
        ),
        "Growth.raise_below": plausible(
            6.0,
            18.0,
            note="founders are told to start raising with 12-18 months of runway left, and "
            "raise by 6 at the latest; the round closes at once here",
        ),
        "Growth.round_multiple": plausible(
            1.0,
            5.0,
            note="a priced round sells about a fifth of the company (median dilution ~20%, "
            "Carta) at 5-25x its revenue run-rate (private SaaS multiples): 1-5x ARR",
        ),
        "Growth.spend_years": plausible(
            1.5, 3.0, note="rounds are sized for 18-24 months of runway, some for three years"
        ),
    }
)


def grounding_of(cls: type, name: str) -> Grounding | None:
    """The grounding of a schema class's field, or None for one that is not a number."""
    return GROUNDINGS.get(f"{cls.__name__}.{name}")
