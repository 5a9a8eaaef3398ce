"""Tests of orgsim.projections on tiny hand-built logs whose metrics are worked by hand.

The main log (``tiny``) covers 90 days in quarters of 50 (so the second quarter is
clipped to 40 days) with two departments, a CEO who gives escalations 14 hours a
week, at most 7 (one a day) to each, and a broker whose credibility decays
toward 0.2 with a half-life of 34 days:

* eng (pay 365 k$/year): e0 founder [0, 70) on 365 quits at 70; e1 poached from
  sales at 10 and given back at 60, on the 730 of its hiring in sales throughout;
  e2 hired at 20 on requisition r0 on 438 (1.2 k$/day).
* sales (pay 730 = 2 k$/day): e1 [0, 10) and [60, 90).
* features: f0 planned 0 due 30, f1 planned 5 due 20, both shipped at 25 (f1 5 days
  late); f2 planned at 60, never shipped. Unplanned work w0 earns 30 at 25.
* budget: q0 allocates eng 40 (need 30), sales 20 (need 10), then c0 moves 10 from
  eng to sales at 30; q1 allocates eng 30 (need 20), sales 10 (need 20), then c1
  moves 5 from sales to eng at 60.
* conflicts: c0 raised 10, broker-detected 15, queued 15, mediated 18-22 (failed),
  escalated needing 8 CEO hours (decided at 30), resolved at 30 in the company's
  interest; c1 (poaching) raised 10, surfaced 40, resolved at 60 against the
  company's interest; c2 raised 50, surfaced 55, escalated 80 needing 20 hours, on
  the CEO's desk to the end; c3 raised 70, lapsed 88,
  never detected.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from builders import busy_run_fields
from orgsim.engine import events as ev
from orgsim.engine.log import replay
from orgsim.errors import EventOrderError
from orgsim.metrics.catalogue import (
    BROKER_ONLY,
    GROUP_TITLES,
    HEADLINE,
    METRICS,
    Metric,
    label,
    metric,
)
from orgsim.metrics.columns import scan
from orgsim.metrics.format import format_level, format_number
from orgsim.metrics.projections import (
    RESOLUTION_FORUMS,
    conflict_funnel,
    metrics,
    open_conflicts_series,
    quarterly,
    wip_series,
)
from orgsim.reporting.charts.summaries import funnel_stages

Row = tuple[type[ev.Event], float, dict[str, Any]]


def build(rows: list[Row]) -> list[ev.Event]:
    """Events with contiguous ``seq`` (whether the state accepts them is its own test)."""
    return [cls(seq=i, time=t, **fields) for i, (cls, t, fields) in enumerate(rows)]


def run_started(horizon: float, broker: bool = True) -> Row:
    fields = busy_run_fields(scenario="tiny", broker=broker, horizon=horizon)
    return (ev.RunStarted, 0.0, fields)


def dept(name: str, salary: float) -> Row:
    return (
        ev.DepartmentFormed,
        0.0,
        dict(
            department=name,
            salary=salary,
            bias=0.1,
            attrition=0.1,
            overhead=0.0,
            teams=1,
            layers=1,
        ),
    )


def broker(credibility: float = 0.5) -> Row:
    fields = dict(mediators=1, directors=0, hired=0, line_pms=1, coverage=1.0, neutrality=0.9)
    fields |= dict(salary=365.0, credibility=credibility)
    return (
        ev.BrokerAppointed,
        0.0,
        fields | dict(credibility_floor=0.2, credibility_halflife=34.0),
    )


def hired(t: float, emp: int, department: str, req: int, salary: float) -> Row:
    fields = dict(employee=emp, department=department, salary=salary, skill=1.0)
    return (ev.EmployeeHired, t, fields | dict(resilience=5.0, requisition=req, ramped=req < 0))


def transfer(t: float, source: str, destination: str, amount: float, conflict: int) -> Row:
    fields = dict(source=source, destination=destination, amount=amount, conflict=conflict)
    return (ev.BudgetTransferred, t, fields)


def allocated(q: int, department: str, need: float, alloc: float) -> Row:
    fields = dict(quarter=q, department=department, need=need, request=need, allocated=alloc)
    return (ev.BudgetAllocated, 50.0 * q, fields)


def raised(t: float, c: int, initiator: str, target: str, side: str) -> Row:
    fields = dict(conflict=c, kind="k", initiator=initiator, target=target, severity=1.0)
    return (ev.ConflictRaised, t, fields | dict(company_side=side))


TINY: list[Row] = [
    run_started(90.0),
    dept("eng", 365.0),
    dept("sales", 730.0),
    broker(),
    hired(0.0, 0, "eng", -1, salary=365.0),
    hired(0.0, 1, "sales", -1, salary=730.0),
    (ev.BudgetFounded, 0.0, dict(base_budget=100.0, cash=1000.0, cash_share=0.5)),
    (ev.QuarterStarted, 0.0, dict(quarter=0, available=100.0, broker_cost=50.0)),
    allocated(0, "eng", need=30.0, alloc=40.0),
    allocated(0, "sales", need=10.0, alloc=20.0),
    (ev.RequisitionOpened, 0.0, dict(requisition=0, department="eng")),
    (ev.RequisitionOpened, 0.0, dict(requisition=1, department="eng")),
    (
        ev.FeaturePlanned,
        0.0,
        dict(feature=0, product=0, efforts=(5.0,), value=100.0, due=30.0, epoch=0),
    ),
    (
        ev.FeaturePlanned,
        5.0,
        dict(feature=1, product=0, efforts=(8.0,), value=50.0, due=20.0, epoch=0),
    ),
    raised(10.0, 0, "sales", "eng", "initiator"),
    (ev.ExtraWorkAdded, 10.0, dict(work=0, conflict=0, department="eng", effort=2.0, value=30.0)),
    raised(10.0, 1, "eng", "sales", "initiator"),
    (ev.EmployeeTransferred, 10.0, dict(employee=1, source="sales", destination="eng", conflict=1)),
    (ev.ConflictDetected, 15.0, dict(conflict=0, channel="broker")),
    (ev.MediationQueued, 15.0, dict(conflict=0)),
    (ev.MediationStarted, 18.0, dict(conflict=0)),
    hired(20.0, 2, "eng", 0, salary=438.0),
    (ev.MediationFailed, 22.0, dict(conflict=0, briefing=0.2)),
    (ev.CredibilityChanged, 22.0, dict(credibility=0.425)),
    (ev.ConflictEscalated, 22.0, dict(conflict=0, hours=8.0)),
    (ev.RequisitionCancelled, 25.0, dict(requisition=1)),
    (ev.ExtraWorkCompleted, 25.0, dict(work=0, value=30.0)),
    (ev.FeatureShipped, 25.0, dict(feature=0, value=100.0, late_days=0.0, misaligned=0.0)),
    (ev.FeatureShipped, 25.0, dict(feature=1, value=40.0, late_days=5.0, misaligned=0.0)),
    (ev.CeoReleased, 30.0, dict(conflict=0, settled=True)),
    (
        ev.ConflictResolved,
        30.0,
        dict(conflict=0, forum="ceo", winner="sales", company_interest=True),
    ),
    transfer(30.0, "eng", "sales", 10.0, conflict=0),
    (ev.ConflictDetected, 40.0, dict(conflict=1, channel="surfaced")),
    (ev.NegotiationStarted, 40.0, dict(conflict=1)),
    (ev.QuarterStarted, 50.0, dict(quarter=1, available=100.0, broker_cost=50.0)),
    allocated(1, "eng", need=20.0, alloc=30.0),
    allocated(1, "sales", need=20.0, alloc=10.0),
    raised(50.0, 2, "sales", "eng", "target"),
    (ev.ConflictDetected, 55.0, dict(conflict=2, channel="surfaced")),
    (ev.NegotiationStarted, 55.0, dict(conflict=2)),
    (
        ev.ConflictResolved,
        60.0,
        dict(conflict=1, forum="negotiation", winner="sales", company_interest=False),
    ),
    # the target won, so the poached person goes back: a transfer, but not poaching
    (ev.EmployeeTransferred, 60.0, dict(employee=1, source="eng", destination="sales", conflict=1)),
    transfer(60.0, "sales", "eng", 5.0, conflict=1),
    (
        ev.FeaturePlanned,
        60.0,
        dict(feature=2, product=0, efforts=(50.0,), value=80.0, due=200.0, epoch=0),
    ),
    (ev.EmployeeLeft, 70.0, dict(employee=0)),
    raised(70.0, 3, "eng", "sales", "initiator"),
    (ev.NegotiationFailed, 80.0, dict(conflict=2)),
    (ev.ConflictEscalated, 80.0, dict(conflict=2, hours=20.0)),
    (ev.RequisitionOpened, 80.0, dict(requisition=2, department="eng")),
    (ev.ConflictLapsed, 88.0, dict(conflict=3)),
    (ev.RunEnded, 90.0, {}),
]

#: A broker's queue with both kinds of censoring (horizon 40, one mediator):
#: c0 raised 1, queued 2, mediated from 3, resolved 13 (wait 1);
#: c1 raised 4, queued 5, lapsed 9 while queued (wait censored at 4);
#: c2 raised 6, queued 7, mediated from 13, resolved 20 (wait 6);
#: c3 raised 8, queued 10, mediated from 20 to the end (wait 10);
#: c4 raised 30, queued 31, still queued at the end, 40 (wait censored at 9);
#: c5 raised 35, never detected, open at the end.
QUEUE: list[Row] = [
    run_started(40.0),
    dept("eng", 365.0),
    dept("sales", 730.0),
    broker(),
    hired(0.0, 0, "eng", -1, salary=365.0),
    hired(0.0, 1, "sales", -1, salary=730.0),
    raised(1.0, 0, "sales", "eng", "initiator"),
    (ev.ConflictDetected, 2.0, dict(conflict=0, channel="broker")),
    (ev.MediationQueued, 2.0, dict(conflict=0)),
    (ev.MediationStarted, 3.0, dict(conflict=0)),
    raised(4.0, 1, "eng", "sales", "initiator"),
    (ev.ConflictDetected, 5.0, dict(conflict=1, channel="broker")),
    (ev.MediationQueued, 5.0, dict(conflict=1)),
    raised(6.0, 2, "sales", "eng", "initiator"),
    (ev.ConflictDetected, 7.0, dict(conflict=2, channel="broker")),
    (ev.MediationQueued, 7.0, dict(conflict=2)),
    raised(8.0, 3, "eng", "sales", "target"),
    (ev.ConflictLapsed, 9.0, dict(conflict=1)),
    (ev.ConflictDetected, 10.0, dict(conflict=3, channel="broker")),
    (ev.MediationQueued, 10.0, dict(conflict=3)),
    (
        ev.ConflictResolved,
        13.0,
        dict(conflict=0, forum="mediation", winner="sales", company_interest=True),
    ),
    (ev.MediationStarted, 13.0, dict(conflict=2)),
    (
        ev.ConflictResolved,
        20.0,
        dict(conflict=2, forum="mediation", winner="sales", company_interest=True),
    ),
    (ev.MediationStarted, 20.0, dict(conflict=3)),
    raised(30.0, 4, "sales", "eng", "initiator"),
    (ev.ConflictDetected, 31.0, dict(conflict=4, channel="broker")),
    (ev.MediationQueued, 31.0, dict(conflict=4)),
    raised(35.0, 5, "sales", "eng", "initiator"),
    (ev.RunEnded, 40.0, {}),
]

#: One founder and nothing else for 100 days, without a broker.
NOTHING: list[Row] = [
    run_started(100.0, broker=False),
    dept("eng", 365.0),
    hired(0.0, 0, "eng", -1, salary=365.0),
    (ev.RunEnded, 100.0, {}),
]


@pytest.fixture  # per test: mutation testing credits a shared fixture to its first test only
def tiny() -> list[ev.Event]:
    return build(TINY)


@pytest.fixture  # per test: mutation testing credits a shared fixture to its first test only
def m(tiny: list[ev.Event]) -> dict[str, float]:
    return metrics(tiny)


@pytest.mark.parametrize("rows", [TINY, QUEUE, NOTHING], ids=["tiny", "queue", "nothing"])
def test_the_hand_built_logs_are_ones_the_model_could_write(rows: list[Row]) -> None:
    replay(build(rows))  # the state handlers accept every event, in order


# ------------------------------------------------------------------ catalogue


def test_catalogue_is_consistent() -> None:
    names = [x.name for x in METRICS]
    assert len(set(names)) == len(names)
    assert set(HEADLINE) <= set(names)
    assert {x.group for x in METRICS} == {"delivery", "conflict", "organisation", "economics"}
    assert all(x.doc and "\n" not in x.doc for x in METRICS)
    with pytest.raises(ValueError, match="group"):
        Metric(name="x", group="nonsense", unit="", better="", doc="d")


def test_catalogue_labels_and_formats() -> None:
    assert [x.label for x in METRICS][:5] == [
        "Features shipped",
        "Value shipped",
        "Feature value",
        "Lead time mean",
        "Lead time (median)",
    ]
    assert label("ceo_hours") == "CEO hours" and label("budget_hhi") == "Budget HHI"
    assert label("open_conflicts") == "Open conflicts"  # not a metric: spelled out
    assert label("mediation_wait_p50") == "Mediation wait (median)"
    assert (label("resolve_censored_share"), label("ceo_load")) == ("Unresolved share", "CEO load")
    assert metric("ceo_load").format(11 / 180) == "6.1%"
    assert metric("lead_time_p50").format(54.12) == "54.1 days"
    assert metric("value_shipped").format(343_812.0) == "$343.8M"
    assert metric("on_time_rate").format(0.988) == "98.8%"
    assert metric("conflicts_raised").format(144.0) == "144"
    qa = metric("headcount_end.qa")
    assert (qa.label, qa.unit, qa.group, qa.better) == (
        "Headcount end: QA",
        "people",
        "organisation",
        "",
    )
    assert qa.format(38.0) == "38 people"
    assert list(GROUP_TITLES) == ["delivery", "conflict", "organisation", "economics"]
    with pytest.raises(KeyError, match="nonsense"):
        metric("nonsense")


@pytest.mark.parametrize(
    ("value", "unit", "options", "text"),
    [
        (math.nan, "k$", {}, "–"),
        (None, "", {}, "–"),
        (-5.0, "k$", {"signed": True}, "-$5k"),
        (5.0, "k$", {"signed": True}, "+$5k"),
        (0.05, "share", {"signed": True}, "+5.0%"),
        (12_345.6, "days", {}, "12,346 days"),
        (12.34, "", {}, "12.3"),
        (1.234, "count", {}, "1.23"),
        (25_930.4, "", {"style": "precise", "signed": True}, "+25,930"),
        (-0.0051, "", {"style": "precise"}, "-0.0051"),
        (1_500_000.0, "", {"style": "compact"}, "1.5M"),
        (-20_400.0, "", {"style": "compact"}, "-20k"),
        (1_520.0, "", {"style": "compact", "signed": True}, "+1.5k"),
        (7.0, "", {"style": "compact"}, "7"),
        (15.4, "", {"style": "percent", "signed": True}, "+15%"),
        (2.54, "", {"style": "percent"}, "2.5%"),
        (math.nan, "", {"style": "percent", "missing": "n/a"}, "n/a"),
        (2.1666666, "", {"style": "plain"}, "2.167"),
    ],
)
def test_one_number_formatter(value: Any, unit: str, options: dict[str, Any], text: str) -> None:
    assert format_number(value, unit, **options) == text


def test_format_level_and_units_only_in_tables() -> None:
    assert (format_level(0.5), format_level(3), format_level("x")) == ("0.5", "3", "x")
    with pytest.raises(ValueError, match="table style"):
        format_number(1.0, "days", style="compact")


def test_keys_follow_the_catalogue_then_departments(m: dict[str, float]) -> None:
    assert list(m) == [x.name for x in METRICS] + ["headcount_end.eng", "headcount_end.sales"]
    assert all(type(v) is float for v in m.values())


# ------------------------------------------------------------------- delivery


def test_delivery(m: dict[str, float]) -> None:
    assert m["features_shipped"] == 2.0
    assert m["feature_value"] == 140.0
    assert m["value_shipped"] == 170.0  # plus the unplanned work's 30
    # lead times: f0 25 days, f1 20 days
    assert m["lead_time_mean"] == 22.5
    assert m["lead_time_p50"] == 22.5
    assert m["lead_time_p90"] == pytest.approx(20.0 + 0.9 * 5.0)
    assert m["on_time_rate"] == 0.5
    assert m["throughput"] == pytest.approx(2 / (90 / 50))
    # WIP: 1 on [0,5), 2 on [5,25), 0 on [25,60), 1 on [60,90)
    assert m["wip_mean"] == pytest.approx((5 * 1 + 20 * 2 + 30 * 1) / 90)
    assert m["wip_end"] == 1.0


def test_wip_series_is_the_step_function(tiny: list[ev.Event]) -> None:
    times, counts = wip_series(tiny)
    np.testing.assert_array_equal(times, [0.0, 5.0, 25.0, 60.0, 90.0])
    np.testing.assert_array_equal(counts, [1, 2, 0, 1, 1])


# ------------------------------------------------------------------- conflicts


def test_conflicts(m: dict[str, float]) -> None:
    assert m["conflicts_raised"] == 4.0
    assert m["conflicts_detected"] == 3.0
    assert m["conflicts_resolved"] == 2.0
    assert m["conflicts_escalated"] == 2.0
    assert m["conflicts_lapsed"] == 1.0
    assert m["conflicts_open_end"] == 1.0
    # raised to detected: c0 5, c1 30, c2 5, c3 censored at its lapse, 18. At 5 two of
    # four waits end: S = 1/2, which is the median (S <= 1/2, not < 1/2).
    assert m["detect_time_p50"] == 5.0
    assert m["detected_by_broker_share"] == pytest.approx(1 / 3)
    # raised to resolved: c3 censored at 18 (lapsed), c0 20, c2 censored at 40 (open
    # at 90), c1 50. S(20) = 2/3 (3 at risk), S(50) = 0 (1 at risk): both at 50,
    # where the resolved-only percentiles said 35 and 47.
    assert m["resolve_time_p50"] == 50.0
    assert m["resolve_time_p90"] == 50.0
    assert m["resolve_censored_share"] == 0.5  # c2 open, c3 lapsed
    assert m["resolution_quality"] == 0.5
    # on the desk, each at 7 hours a week (1 a day): c0 from 22 to 30, its 8 hours,
    # c2 from 80 until the run ends at 90, 10 of its 20; the CEO gave escalations
    # 14 hours a week over 90 days, 180 hours
    assert m["ceo_hours"] == 8.0 + 10.0
    assert m["ceo_load"] == pytest.approx(18 / 180)
    assert m["mediation_wait_p50"] == 3.0  # c0's wait, the only one, from 15 to 18
    assert m["mediation_censored_share"] == 0.0
    # open: c0 [10,30], c1 [10,60], c2 [50,90], c3 [70,88]
    assert m["open_conflicts_mean"] == pytest.approx((20 + 50 + 40 + 18) / 90)
    # 0.425 at 22, decaying toward 0.2 with a half-life of 34: two half-lives by 90
    assert m["credibility_end"] == pytest.approx(0.2 + 0.225 * 0.25)


def test_waits_are_censored_where_they_stop_being_watched(tiny: list[ev.Event]) -> None:
    s = scan(tiny)
    durations, detected = s.detect_waits()
    np.testing.assert_array_equal(durations, [5.0, 30.0, 5.0, 18.0])
    np.testing.assert_array_equal(detected, [True, True, True, False])
    durations, resolved = s.resolve_waits()
    np.testing.assert_array_equal(durations, [20.0, 50.0, 40.0, 18.0])
    np.testing.assert_array_equal(resolved, [True, True, False, False])


@pytest.fixture  # per test: mutation testing credits a shared fixture to its first test only
def queue() -> list[ev.Event]:
    return build(QUEUE)


def test_mediation_waits_count_the_conflicts_a_mediator_never_reached(
    queue: list[ev.Event],
) -> None:
    durations, mediated = scan(queue).mediation_waits()
    np.testing.assert_array_equal(durations, [1.0, 4.0, 6.0, 10.0, 9.0])
    np.testing.assert_array_equal(mediated, [True, False, True, True, False])
    m = metrics(queue)
    # KM: S(1) = 4/5; c1 censored at 4; S(6) = 4/5 · 2/3 = 8/15 (3 at risk); c4
    # censored at 9; S(10) = 0 (1 at risk). The median of the mediated waits alone
    # (1, 6, 10) would be 6; leaving out the wait still queued at 40 would give 6 too.
    assert m["mediation_wait_p50"] == 10.0
    assert m["mediation_censored_share"] == pytest.approx(2 / 5)
    # raised to resolved: c1 5 (lapsed) and c5 5 (open), c4 10 (open), c0 12, c2 14,
    # c3 32 (open): S(12) = 2/3, S(14) = 1/3, then only censoring: no 90th percentile
    assert m["resolve_time_p50"] == 14.0
    assert math.isnan(m["resolve_time_p90"])
    assert m["resolve_censored_share"] == pytest.approx(4 / 6)
    # detected: five after 1, 1, 1, 2, 1 days; c5 censored at 5, undetected at the end
    assert m["detect_time_p50"] == 1.0
    assert m["credibility_end"] == pytest.approx(0.2 + 0.3 * 0.5 ** (40 / 34))
    assert m["ceo_hours"] == 0.0 and m["ceo_load"] == 0.0


def test_open_conflicts_series(tiny: list[ev.Event]) -> None:
    times, counts = open_conflicts_series(tiny)
    np.testing.assert_array_equal(times, [0.0, 10.0, 30.0, 50.0, 60.0, 70.0, 88.0, 90.0])
    np.testing.assert_array_equal(counts, [0, 2, 1, 2, 1, 2, 1, 1])


def test_funnel(tiny: list[ev.Event]) -> None:
    # c0 escalated and resolved by the CEO, c1 resolved in negotiation, c2 escalated
    # and still open, c3 lapsed: the outcomes partition the four raised
    assert conflict_funnel(tiny) == {
        "raised": 4,
        "detected": 3,
        "resolved": 2,
        "escalated": 2,
        "lapsed": 1,
        "open": 1,
        "resolved_negotiation": 1,
        "resolved_mediation": 0,
        "resolved_ceo": 1,
    }


def test_funnel_splits_resolved_by_forum(queue: list[ev.Event]) -> None:
    # c0 and c2 mediated to a resolution, c1 lapsed, c3, c4 and c5 open at the end
    f = conflict_funnel(queue)
    assert (f["resolved_negotiation"], f["resolved_mediation"], f["resolved_ceo"]) == (0, 2, 0)
    assert (f["raised"], f["resolved"], f["lapsed"], f["open"]) == (6, 2, 1, 3)
    forums = sum(f[f"resolved_{forum}"] for forum in RESOLUTION_FORUMS)
    assert forums + f["lapsed"] + f["open"] == f["raised"]


def test_funnel_stages_of_hand_made_logs_partition_the_raised(
    tiny: list[ev.Event], queue: list[ev.Event]
) -> None:
    # one run an arm: tiny (4 raised) with the broker, queue (6 raised) without
    on = {k: [v] for k, v in conflict_funnel(tiny).items()}
    off = {k: [v] for k, v in conflict_funnel(queue).items()}
    fs = funnel_stages(on, off)
    assert fs.split and fs.escalated == {"on": 2.0, "off": 0.0}
    outcomes = [st for st in fs.stages if st.part == "outcome"]
    assert [st.key for st in outcomes] == [
        "resolved_negotiation",
        "resolved_mediation",
        "resolved_ceo",
        "lapsed",
        "open",
    ]
    assert [st.mean["on"] for st in outcomes] == [1.0, 0.0, 1.0, 1.0, 1.0]
    assert [st.mean["off"] for st in outcomes] == [0.0, 2.0, 0.0, 1.0, 3.0]
    assert [st.share["on"] for st in outcomes] == [0.25, 0.0, 0.25, 0.25, 0.25]
    assert sum(st.share["off"] for st in outcomes) == pytest.approx(1.0)
    assert [st.text["off"] for st in outcomes][1] == "2.0 (33.3%)"


# ---------------------------------------------------------------- organisation


def test_organisation(m: dict[str, float]) -> None:
    assert m["headcount_end"] == 2.0
    assert m["headcount_end.eng"] == 1.0
    assert m["headcount_end.sales"] == 1.0
    assert m["hires"] == 1.0  # founders do not count
    assert m["attrition"] == 1.0
    # a hazard rate per year: one leaver in 230 person-days (e0 70, e1 90, e2 70)
    average_headcount = 230 / 90
    assert m["attrition_rate"] == pytest.approx((1 / (90 / 365)) / average_headcount)
    assert m["attrition_rate"] == pytest.approx(365 / 230)
    assert m["poached"] == 1.0  # the give-back at 60 left the initiator: not poaching
    # r0 open 0-20 (hired), r1 0-25 (cancelled), r2 80-90 (open at the end)
    assert m["vacancy_days"] == 20.0 + 25.0 + 10.0


def test_budget_counts_the_quarters_transfers(m: dict[str, float]) -> None:
    # q0: eng 40 - 10 = 30, sales 20 + 10 = 30, shares 1/2, 1/2 (need 3/4, 1/4);
    # q1: eng 30 + 5 = 35, sales 10 - 5 = 5, shares 7/8, 1/8 (need 1/2, 1/2)
    hhi = ((0.5**2 + 0.5**2) + ((7 / 8) ** 2 + (1 / 8) ** 2)) / 2
    assert m["budget_hhi"] == pytest.approx(hhi)
    assert m["budget_hhi"] == pytest.approx(41 / 64)  # 85/144 before the transfers
    alignment = ((1 - 0.5 * (0.25 + 0.25)) + (1 - 0.5 * (3 / 8 + 3 / 8))) / 2
    assert m["budget_alignment"] == pytest.approx(alignment)
    assert m["budget_alignment"] == pytest.approx(11 / 16)  # 5/6 before the transfers


def test_a_transfer_belongs_to_the_quarter_under_way() -> None:
    rows = [r for r in TINY if r[0] is not ev.RunEnded]
    # a transfer at the very time q1 starts, recorded after its QuarterStarted and
    # before its allocations, is overwritten by them as the state's fold does
    at = next(i for i, r in enumerate(rows) if r[0] is ev.QuarterStarted and r[1] == 50.0)
    rows.insert(at + 1, transfer(50.0, "eng", "sales", 7.0, conflict=2))
    rows.append((ev.RunEnded, 90.0, {}))
    assert metrics(build(rows))["budget_hhi"] == pytest.approx(41 / 64)
    # recorded before the QuarterStarted of its instant, it moves q0's allocation:
    # eng 30 - 7 = 23, sales 30 + 7 = 37
    rows = [*TINY[:at], transfer(50.0, "eng", "sales", 7.0, conflict=2), *TINY[at:]]
    q0 = (23**2 + 37**2) / 60**2
    assert metrics(build(rows))["budget_hhi"] == pytest.approx((q0 + 50 / 64) / 2)
    # one before any quarter started moves no quarter's allocation
    early = [*TINY[:6], transfer(0.0, "eng", "sales", 7.0, conflict=0), *TINY[6:]]
    assert metrics(build(early))["budget_hhi"] == pytest.approx(41 / 64)


# ------------------------------------------------------------------- economics


def test_economics(m: dict[str, float]) -> None:
    # each on their own pay: e0 70 days at 1 k$/day, e1 90 days at 2 k$/day (also
    # the 50 days in eng, whose pay is 1), e2 70 days at 1.2 k$/day; department
    # headcount times department pay would say 190 · 1 + 40 · 2 = 270
    assert m["salary_cost"] == pytest.approx(70 * 1.0 + 90 * 2.0 + 70 * 1.2)
    assert m["salary_cost"] == pytest.approx(334.0)
    assert m["hiring_cost"] == 10.0
    # the second quarter [50, 100) is cut at 90: 40 of its 50 days
    assert m["broker_cost"] == pytest.approx(50.0 + 50.0 * 40 / 50)
    assert m["cost"] == pytest.approx(334.0 + 10.0 + 90.0)
    assert m["net_value"] == pytest.approx(170.0 - 434.0)


# ------------------------------------------------------------------- quarterly


def test_quarterly(tiny: list[ev.Event]) -> None:
    q = quarterly(tiny)
    expected = {
        "value_shipped": [170.0, 0.0],
        "features_shipped": [2.0, 0.0],
        "conflicts_raised": [2.0, 2.0],  # c2 at exactly 50 opens the second quarter
        "conflicts_resolved": [1.0, 1.0],
        "open_conflicts": [2.0, 1.0],  # at 50, counting c2 raised at that instant
        "wip": [0.0, 1.0],
        "headcount": [3.0, 2.0],
        "headcount.eng": [3.0, 1.0],
        "headcount.sales": [0.0, 1.0],
        "budget_share.eng": [0.5, 7 / 8],  # after the transfers, as budget_hhi
        "budget_share.sales": [0.5, 1 / 8],
        # 0.425 from 22, decayed toward 0.2 to each quarter's end
        "credibility": [0.2 + 0.225 * 0.5 ** (28 / 34), 0.2 + 0.225 * 0.25],
        "quarter_end": [50.0, 90.0],
    }
    assert list(q) == list(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(q[key], values, err_msg=key)


# --------------------------------------------------------------- edge cases


def test_prefix_is_measured_over_what_it_covers(tiny: list[ev.Event]) -> None:
    cut = tiny[:-1]  # no RunEnded: the window ends at the last event, 88
    m = metrics(cut)
    assert m["ceo_hours"] == 8.0 + 8.0  # c2's 8 hours from 80 to 88
    assert m["ceo_load"] == pytest.approx(16 / (2 * 88))
    assert m["resolve_time_p50"] == 50.0  # c2 now censored at 38
    assert m["credibility_end"] == pytest.approx(0.2 + 0.225 * 0.5 ** (66 / 34))
    # e0 70 days, e1 88 at 2 k$/day, e2 68 at 1.2 k$/day
    assert m["salary_cost"] == pytest.approx(70 + 88 * 2 + 68 * 1.2)
    assert m["wip_mean"] == pytest.approx((5 * 1 + 20 * 2 + 28 * 1) / 88)
    assert m["broker_cost"] == pytest.approx(50.0 + 50.0 * 38 / 50)
    assert m["vacancy_days"] == 20.0 + 25.0 + 8.0
    assert quarterly(cut)["quarter_end"].tolist() == [50.0, 88.0]


def test_nothing_happened_is_nan_not_zero() -> None:
    events = build(NOTHING)
    m = metrics(events)
    for key in (
        "lead_time_mean",
        "lead_time_p50",
        "lead_time_p90",
        "on_time_rate",
        "detect_time_p50",
        "detected_by_broker_share",
        "resolve_time_p50",
        "resolve_time_p90",
        "resolve_censored_share",
        "resolution_quality",
        "mediation_wait_p50",
        "mediation_censored_share",
        "credibility_end",
        "budget_hhi",
        "budget_alignment",
    ):
        assert math.isnan(m[key]), key
    assert m["features_shipped"] == 0.0
    assert m["throughput"] == 0.0
    assert m["wip_mean"] == 0.0
    assert m["ceo_hours"] == 0.0 and m["ceo_load"] == 0.0
    assert m["salary_cost"] == pytest.approx(100.0)
    assert m["broker_cost"] == 0.0
    assert m["attrition_rate"] == 0.0
    q = quarterly(events)
    assert q["quarter_end"].tolist() == [50.0, 100.0]  # 100 / 50: no empty third quarter
    assert np.isnan(q["credibility"]).all()
    assert np.isnan(q["budget_share.eng"]).all()


def test_the_broker_only_metrics_are_nan_without_a_broker() -> None:
    m = metrics(build(NOTHING))
    assert all(math.isnan(m[name]) for name in BROKER_ONLY)
    assert BROKER_ONLY == (
        "detected_by_broker_share",
        "mediation_wait_p50",
        "mediation_censored_share",
        "credibility_end",
        "praises",
    )


def test_a_release_or_mediation_without_its_start_is_refused(tiny: list[ev.Event]) -> None:
    release = ev.CeoReleased(seq=len(tiny), time=90.0, conflict=1, settled=False)
    with pytest.raises(EventOrderError, match="1 is not on the desk"):
        metrics([*tiny, release])
    start = ev.MediationStarted(seq=len(tiny), time=90.0, conflict=2)
    with pytest.raises(EventOrderError, match="not queued"):
        metrics([*tiny, start])


def test_a_log_must_start_with_run_started(tiny: list[ev.Event]) -> None:
    with pytest.raises(EventOrderError, match="RunStarted"):
        metrics(tiny[1:])
    with pytest.raises(EventOrderError, match="nothing"):
        metrics([])


def test_metrics_survive_storage(run_pair: dict[bool, Any]) -> None:
    """Metrics are a function of the log alone: a decoded copy measures the same."""
    log = run_pair[True].log
    stored = [ev.decode(*ev.encode(e)) for e in log]
    live, again = metrics(log), metrics(stored)
    assert list(live) == list(again)
    for key in live:
        assert live[key] == again[key] or (math.isnan(live[key]) and math.isnan(again[key]))
