"""The metric catalogue: every metric's name, label, group, unit, direction and format.

The one source that tables, JSON documents, charts and statistics read to name,
judge and format a metric; :func:`orgsim.metrics.projections.metrics` computes the
values under these names. Names outside the catalogue (the per-department
``headcount_end.<department>``, the quarterly series of the charts) get their
label from :func:`label` too, so that one name reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from orgsim.metrics.format import format_number

#: The metric groups, in report order, with their titles.
GROUP_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "delivery": "Delivery",
        "conflict": "Conflicts",
        "organisation": "Organisation",
        "economics": "Economics",
    }
)
GROUPS = tuple(GROUP_TITLES)
DIRECTIONS = ("higher", "lower", "")

# Words written in capitals in a label derived from a name.
_ACRONYMS = {"ceo": "CEO", "wip": "WIP", "hhi": "HHI", "qa": "QA"}


def derived_label(name: str) -> str:
    """A label spelled out from a name, for names the catalogue does not label.

    ``open_conflicts`` reads ``Open conflicts``, ``headcount_end.qa`` reads
    ``Headcount end: QA``, ``p50`` and ``p90`` read ``(median)`` and ``(p90)``.
    """
    text = name.replace("_", " ").replace("p50", "(median)").replace("p90", "(p90)")
    text = text.replace(".", ": ").capitalize()
    text = " ".join(_ACRONYMS.get(w.lower(), w) for w in text.split(" "))
    return text[0].upper() + text[1:]


#: The per-department family of metrics: ``headcount_end.<department>``.
DEPARTMENT_HEADCOUNT = "headcount_end"

#: The per-department family of utilisations: ``utilisation.<department>``.
UTILISATION = "utilisation"


@attrs.frozen(kw_only=True)
class Metric:
    """What one metric means, so reports and comparisons can label and judge it.

    Attributes:
        name: Key in the dict :func:`~orgsim.metrics.projections.metrics` returns.
        group: ``delivery``, ``conflict``, ``organisation`` or ``economics``.
        unit: How the value reads (``k$``, ``days``, ``share``, ``count``, ...).
        better: ``higher`` or ``lower`` when a direction is better for the
            company, ``""`` when the metric is descriptive only.
        doc: One line saying what is measured.
        label: How every table and chart names it (``Lead time (median)``);
            by default spelled out from the name by :func:`derived_label`.
        broker_only: Whether the metric exists only in a company with a broker (a
            mediator's queue, its credibility, its share of detections). Without a
            broker the run's value is NaN or a placeholder 0 that measures nothing,
            so a comparison shows the broker arm alone: no value without the broker
            and no paired difference (:func:`orgsim.analysis.stats.compare_table`).
    """

    name: str
    group: str = attrs.field(validator=attrs.validators.in_(GROUPS))
    unit: str
    better: str = attrs.field(validator=attrs.validators.in_(DIRECTIONS))
    doc: str
    label: str = attrs.field(
        default=attrs.Factory(lambda self: derived_label(self.name), takes_self=True)
    )
    broker_only: bool = False

    def format(self, value: float | None, *, signed: bool = False) -> str:
        """The value as a table shows it, in this metric's unit (``54.1 days``)."""
        return format_number(value, self.unit, signed=signed)


def _m(
    name: str,
    group: str,
    unit: str,
    better: str,
    doc: str,
    *,
    label: str | None = None,
    broker_only: bool = False,
) -> Metric:
    return Metric(
        name=name,
        group=group,
        unit=unit,
        better=better,
        doc=doc,
        label=derived_label(name) if label is None else label,
        broker_only=broker_only,
    )


#: Every metric :func:`~orgsim.metrics.projections.metrics` returns, in its key
#: order. The per-department keys ``headcount_end.<department>`` follow these in the
#: result but are not listed here, because the departments differ between scenarios.
#: Each ``doc`` is the one-line definition; the module docstring of
#: :mod:`orgsim.metrics.projections` spells out the ones that are more than a count
#: (censoring of waits, the CEO's attention, credibility's decay, budget transfers).
#:
#: ``ceo_load`` counts as lower-better for the same reason ``ceo_hours`` does: the
#: CEO's attention is the scarce resource the broker exists to spare, and a fuller
#: desk makes the next escalation wait; whether conflicts were settled is measured
#: by the resolution metrics, not by how busy the CEO was.
METRICS: tuple[Metric, ...] = (
    # delivery
    _m("features_shipped", "delivery", "count", "higher", "features through their last stage"),
    _m("value_shipped", "delivery", "k$", "higher", "value realised: features plus unplanned work"),
    _m("feature_value", "delivery", "k$", "higher", "value realised by shipped features only"),
    _m("lead_time_mean", "delivery", "days", "lower", "mean days from planning to shipping"),
    _m("lead_time_p50", "delivery", "days", "lower", "median days from planning to shipping"),
    _m("lead_time_p90", "delivery", "days", "lower", "90th percentile of planning-to-shipping"),
    _m("on_time_rate", "delivery", "share", "higher", "share of shipped features not late"),
    _m("throughput", "delivery", "features/quarter", "higher", "features shipped per quarter"),
    _m("wip_mean", "delivery", "features", "", "time-average features planned, not shipped"),
    _m("wip_end", "delivery", "features", "", "features planned and not shipped at the end"),
    _m(
        "support_backlog",
        "delivery",
        "person-days",
        "lower",
        "time-average customer issues waiting for Support",
    ),
    _m("market_shifts", "delivery", "count", "", "segment shifts in the products' markets"),
    _m(
        "misaligned_value_lost",
        "delivery",
        "k$",
        "lower",
        "value lost shipping features built for a segment the market had left",
    ),
    _m(
        "realign_time_p50",
        "delivery",
        "days",
        "lower",
        "Kaplan–Meier median days from a market shift to the roadmap following it",
    ),
    # conflict
    _m("conflicts_raised", "conflict", "count", "lower", "conflicts that began"),
    _m("conflicts_detected", "conflict", "count", "", "conflicts that became known"),
    _m("conflicts_resolved", "conflict", "count", "higher", "conflicts settled in some forum"),
    _m("conflicts_escalated", "conflict", "count", "lower", "conflicts escalated to the CEO"),
    _m("conflicts_lapsed", "conflict", "count", "lower", "conflicts that ended unresolved"),
    _m("conflicts_open_end", "conflict", "count", "lower", "conflicts still open at the end"),
    _m(
        "detect_time_p50",
        "conflict",
        "days",
        "lower",
        "Kaplan–Meier median days from raised to detected, censored at close or end",
    ),
    _m(
        "detected_by_broker_share",
        "conflict",
        "share",
        "",
        "share of detections by the broker",
        broker_only=True,
    ),
    _m(
        "resolve_time_p50",
        "conflict",
        "days",
        "lower",
        "Kaplan–Meier median days from raised to resolved, censored at lapse or end",
    ),
    _m(
        "resolve_time_p90",
        "conflict",
        "days",
        "lower",
        "Kaplan–Meier 90th percentile of raised-to-resolved, censored at lapse or end",
    ),
    _m(
        "resolve_censored_share",
        "conflict",
        "share",
        "lower",
        "share of raised conflicts not resolved: lapsed or still open at the end",
        label="Unresolved share",
    ),
    _m("resolution_quality", "conflict", "share", "higher", "share resolved in company interest"),
    _m(
        "ceo_hours",
        "conflict",
        "hours",
        "lower",
        "CEO hours spent on escalations, shared among those on the desk",
    ),
    _m(
        "ceo_load",
        "conflict",
        "share",
        "lower",
        "CEO hours spent on escalations over the hours a week the CEO gives them",
        label="CEO load",
    ),
    _m(
        "mediation_wait_p50",
        "conflict",
        "days",
        "lower",
        "Kaplan–Meier median days queued for a mediator, censored at close or end",
        broker_only=True,
    ),
    _m(
        "mediation_censored_share",
        "conflict",
        "share",
        "lower",
        "share of mediation waits censored: closed while queued, or queued at the end",
        label="Mediation waits censored",
        broker_only=True,
    ),
    _m("open_conflicts_mean", "conflict", "count", "lower", "time-average open conflicts"),
    _m(
        "credibility_end",
        "conflict",
        "share",
        "higher",
        "broker's credibility at the end, decayed toward its floor since the last change",
        broker_only=True,
    ),
    _m(
        "privacy_incidents",
        "conflict",
        "count",
        "lower",
        "privacy incidents caused by moves that still stood (the cloud e-mail move)",
    ),
    _m(
        "praises",
        "conflict",
        "count",
        "",
        "the VP PM's acts of public praise or private issue-raising",
        broker_only=True,
    ),
    # organisation
    _m("headcount_end", "organisation", "people", "", "staff at the end"),
    _m("hires", "organisation", "count", "", "people hired on requisitions (not founders)"),
    _m("attrition", "organisation", "count", "lower", "people who quit"),
    _m(
        "attrition_rate",
        "organisation",
        "1/year",
        "lower",
        "hazard rate per year: leavers per person-year employed (365 · leavers / person-days)",
    ),
    _m("poached", "organisation", "count", "lower", "transfers out of a conflict's target"),
    _m("vacancy_days", "organisation", "days", "lower", "requisition-days open, unfilled"),
    _m(
        "time_to_hire",
        "organisation",
        "days",
        "lower",
        "mean days from a requisition opening to its hire, over the positions filled",
    ),
    _m(
        "budget_hhi",
        "organisation",
        "index",
        "",
        "mean quarterly Herfindahl of budget shares, after the quarter's transfers",
    ),
    _m(
        "budget_alignment",
        "organisation",
        "share",
        "higher",
        "mean quarterly budget-to-need fit, after the quarter's transfers",
    ),
    # economics
    _m(
        "salary_cost",
        "economics",
        "k$",
        "lower",
        "payroll: each person's own salary over the days they were employed",
    ),
    _m("hiring_cost", "economics", "k$", "lower", "recruiting cost of the hires"),
    _m("broker_cost", "economics", "k$", "lower", "broker salaries up to the end"),
    _m(
        "support_backlog_cost",
        "economics",
        "k$",
        "lower",
        "churn and SLA credits: backlog cost times the integral of the issue backlog",
    ),
    _m("incident_cost", "economics", "k$", "lower", "cost of the privacy incidents"),
    _m(
        "cost",
        "economics",
        "k$",
        "lower",
        "salary, hiring, broker, issue backlog and privacy incident cost",
    ),
    _m("net_value", "economics", "k$", "higher", "value shipped minus cost"),
    _m(
        "survived",
        "economics",
        "share",
        "higher",
        "1 if the company did not run out of cash before the end (over runs: survival)",
    ),
    _m(
        "time_to_failure",
        "economics",
        "days",
        "higher",
        "day the cash ran out; the end when it survived (censored there)",
    ),
    _m(
        "cash_end",
        "economics",
        "k$",
        "higher",
        "cash at the end: founding cash plus cash from value shipped minus cost",
        label="Cash at end",
    ),
    _m("cash_min", "economics", "k$", "higher", "lowest cash balance over the run"),
    _m(
        "runway_min",
        "economics",
        "months",
        "higher",
        "lowest runway over the run: cash / burn, in months",
    ),
)

#: The few metrics a summary or comparison shows first.
HEADLINE: tuple[str, ...] = (
    "value_shipped",
    "net_value",
    "features_shipped",
    "lead_time_p50",
    "on_time_rate",
    "conflicts_open_end",
    "resolution_quality",
    "ceo_hours",
)

#: The metrics that exist with a broker only, in catalogue order. ``broker_cost`` is
#: not one: without a broker the company pays 0, a real cost to compare against.
BROKER_ONLY: tuple[str, ...] = tuple(m.name for m in METRICS if m.broker_only)

#: The names of :data:`METRICS`, in order.
METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)

#: Per metric name, its catalogue entry.
BY_NAME: Mapping[str, Metric] = MappingProxyType({m.name: m for m in METRICS})

#: Per metric name, its better direction ("higher", "lower" or "").
BETTER: Mapping[str, str] = MappingProxyType({m.name: m.better for m in METRICS})

#: Per metric name, its unit.
UNITS: Mapping[str, str] = MappingProxyType({m.name: m.unit for m in METRICS})


def metric(name: str) -> Metric:
    """The catalogue entry of a metric, per-department headcounts included.

    Args:
        name: A name of :data:`METRICS`, or ``headcount_end.<department>``.

    Returns:
        Its entry; a department's headcount gets one made on the spot (people,
        in the organisation group, with no better direction).

    Raises:
        KeyError: If the name is neither.
    """
    if name in BY_NAME:
        return BY_NAME[name]
    family, _, department = name.partition(".")
    if family == DEPARTMENT_HEADCOUNT and department:
        return Metric(
            name=name,
            group="organisation",
            unit="people",
            better="",
            doc=f"staff of {department} at the end",
        )
    if family == UTILISATION and department:
        return Metric(
            name=name,
            group="organisation",
            unit="share",
            better="",
            doc=f"share of {department}'s capacity spent working, over the run",
        )
    raise KeyError(f"no metric {name!r} in the catalogue")


def label(name: str) -> str:
    """How reports name a metric or series: its catalogue label, else one derived."""
    return BY_NAME[name].label if name in BY_NAME else derived_label(name)
