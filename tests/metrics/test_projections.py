"""Tests of orgsim.projections on tiny hand-built logs whose metrics are worked by hand.

The main log (``tiny``) covers 90 days in quarters of 50 (so the second quarter is
clipped to 40 days) with two departments:

* eng (salary 365 k$/year = 1 k$/day): e0 founder [0, 70) quits at 70; e1 poached
  from sales at 10 and given back at 60; e2 hired at 20 on requisition r0.
* sales (salary 730 = 2 k$/day): e1 [0, 10) and [60, 90).
* features: f0 planned 0 due 30, f1 planned 5 due 20, both shipped at 25 (f1 5 days
  late); f2 planned at 60, never shipped. Unplanned work w0 earns 30 at 25.
* conflicts: c0 raised 10, broker-detected 15, queued 15, mediated 18-22 (failed),
  escalated, CEO 24-30, resolved at 30 in the company's interest; c1 (poaching)
  raised 10, surfaced 40, resolved at 60 against the company's interest; c2 raised
  50, surfaced 55, escalated 80, CEO from 85 to the end; c3 raised 70, lapsed 88.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from orgsim.engine import events as ev
from orgsim.engine.log import replay
from orgsim.errors import EventOrderError
from orgsim.metrics.catalogue import GROUP_TITLES, HEADLINE, METRICS, Metric, label, metric
from orgsim.metrics.format import format_level, format_number
from orgsim.metrics.projections import (
    conflict_funnel,
    metrics,
    open_conflicts_series,
    quarterly,
    wip_series,
)

Row = tuple[type[ev.Event], float, dict[str, Any]]


def build(rows: list[Row]) -> list[ev.Event]:
    """Events with contiguous ``seq``, checked by replaying them into a state."""
    events = [cls(seq=i, time=t, **fields) for i, (cls, t, fields) in enumerate(rows)]
    replay(events)  # the state handlers accept it: a log the model could have written
    return events


def run_started(horizon: float, broker: bool = True) -> Row:
    return (
        ev.RunStarted,
        0.0,
        dict(
            scenario="tiny",
            scenario_hash="0",
            seed=0,
            replication=0,
            broker=broker,
            horizon=horizon,
            quarter_days=50.0,
            stage_names=("build",),
            stage_departments=("eng",),
            hiring_cost=10.0,
            orgsim_version="test",
        ),
    )


def dept(name: str, salary: float) -> Row:
    return (
        ev.DepartmentFormed,
        0.0,
        dict(department=name, salary=salary, bias=0.1, attrition_rate=0.1),
    )


def hired(t: float, emp: int, department: str, req: int) -> Row:
    fields = dict(employee=emp, department=department, skill=1.0, resilience=5.0)
    return (ev.EmployeeHired, t, fields | dict(requisition=req, ramped=req < 0))


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
    (ev.BrokerAppointed, 0.0, dict(mediators=1, salary=365.0, credibility=0.5)),
    hired(0.0, 0, "eng", -1),
    hired(0.0, 1, "sales", -1),
    (ev.QuarterStarted, 0.0, dict(quarter=0, available=100.0, broker_cost=50.0)),
    allocated(0, "eng", need=30.0, alloc=40.0),
    allocated(0, "sales", need=10.0, alloc=20.0),
    (ev.RequisitionOpened, 0.0, dict(requisition=0, department="eng")),
    (ev.RequisitionOpened, 0.0, dict(requisition=1, department="eng")),
    (ev.FeaturePlanned, 0.0, dict(feature=0, product=0, efforts=(5.0,), value=100.0, due=30.0)),
    (ev.FeaturePlanned, 5.0, dict(feature=1, product=0, efforts=(8.0,), value=50.0, due=20.0)),
    raised(10.0, 0, "sales", "eng", "initiator"),
    (ev.ExtraWorkAdded, 10.0, dict(work=0, conflict=0, department="eng", effort=2.0, value=30.0)),
    raised(10.0, 1, "eng", "sales", "initiator"),
    (ev.EmployeeTransferred, 10.0, dict(employee=1, source="sales", destination="eng", conflict=1)),
    (ev.ConflictDetected, 15.0, dict(conflict=0, channel="broker")),
    (ev.MediationQueued, 15.0, dict(conflict=0)),
    (ev.MediationStarted, 18.0, dict(conflict=0)),
    hired(20.0, 2, "eng", 0),
    (ev.MediationFailed, 22.0, dict(conflict=0)),
    (ev.CredibilityChanged, 22.0, dict(credibility=0.425)),
    (ev.ConflictEscalated, 22.0, dict(conflict=0)),
    (ev.CeoEngaged, 24.0, dict(conflict=0)),
    (ev.RequisitionCancelled, 25.0, dict(requisition=1)),
    (ev.DayWorked, 25.0, dict(department="eng", capacity=15.0, item_cap=8.0, hazard=0.0)),
    (ev.ExtraWorkCompleted, 25.0, dict(work=0, value=30.0)),
    (ev.FeatureShipped, 25.0, dict(feature=0, value=100.0, late_days=0.0)),
    (ev.FeatureShipped, 25.0, dict(feature=1, value=40.0, late_days=5.0)),
    (ev.CeoReleased, 30.0, dict(conflict=0, settled=True)),
    (
        ev.ConflictResolved,
        30.0,
        dict(conflict=0, forum="ceo", winner="sales", company_interest=True),
    ),
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
    (ev.FeaturePlanned, 60.0, dict(feature=2, product=0, efforts=(50.0,), value=80.0, due=200.0)),
    (ev.EmployeeLeft, 70.0, dict(employee=0)),
    raised(70.0, 3, "eng", "sales", "initiator"),
    (ev.NegotiationFailed, 80.0, dict(conflict=2)),
    (ev.ConflictEscalated, 80.0, dict(conflict=2)),
    (ev.RequisitionOpened, 80.0, dict(requisition=2, department="eng")),
    (ev.CeoEngaged, 85.0, dict(conflict=2)),
    (ev.ConflictLapsed, 88.0, dict(conflict=3)),
    (ev.RunEnded, 90.0, {}),
]


@pytest.fixture(scope="module")
def tiny() -> list[ev.Event]:
    return build(TINY)


@pytest.fixture(scope="module")
def m(tiny: list[ev.Event]) -> dict[str, float]:
    return metrics(tiny)


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
    assert label("ceo_days") == "CEO days" and label("budget_hhi") == "Budget HHI"
    assert label("open_conflicts") == "Open conflicts"  # not a metric: spelled out
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
    assert m["detect_time_mean"] == pytest.approx((5 + 30 + 5) / 3)
    assert m["detected_by_broker_share"] == pytest.approx(1 / 3)
    # resolve times: c0 20 days, c1 50 days
    assert m["resolve_time_p50"] == 35.0
    assert m["resolve_time_p90"] == pytest.approx(20.0 + 0.9 * 30.0)
    assert m["resolution_quality"] == 0.5
    # c0 from 24 to 30, c2 from 85 until the run ends at 90
    assert m["ceo_days"] == 6.0 + 5.0
    assert m["mediation_wait_mean"] == 3.0
    # open: c0 [10,30], c1 [10,60], c2 [50,90], c3 [70,88]
    assert m["open_conflicts_mean"] == pytest.approx((20 + 50 + 40 + 18) / 90)
    assert m["credibility_end"] == 0.425


def test_open_conflicts_series(tiny: list[ev.Event]) -> None:
    times, counts = open_conflicts_series(tiny)
    np.testing.assert_array_equal(times, [0.0, 10.0, 30.0, 50.0, 60.0, 70.0, 88.0, 90.0])
    np.testing.assert_array_equal(counts, [0, 2, 1, 2, 1, 2, 1, 1])


def test_funnel(tiny: list[ev.Event]) -> None:
    assert conflict_funnel(tiny) == {
        "raised": 4,
        "detected": 3,
        "resolved": 2,
        "escalated": 2,
        "lapsed": 1,
        "open": 1,
    }


# ---------------------------------------------------------------- organisation


def test_organisation(m: dict[str, float]) -> None:
    assert m["headcount_end"] == 2.0
    assert m["headcount_end.eng"] == 1.0
    assert m["headcount_end.sales"] == 1.0
    assert m["hires"] == 1.0  # founders do not count
    assert m["attrition"] == 1.0
    # person-days: eng 70 + 50 + 70, sales 10 + 30; one leaver in 90 days
    average_headcount = (190 + 40) / 90
    assert m["attrition_rate"] == pytest.approx((1 / (90 / 365)) / average_headcount)
    assert m["poached"] == 1.0  # the give-back at 60 left the initiator: not poaching
    # r0 open 0-20 (hired), r1 0-25 (cancelled), r2 80-90 (open at the end)
    assert m["vacancy_days"] == 20.0 + 25.0 + 10.0


def test_budget(m: dict[str, float]) -> None:
    # q0 shares 2/3, 1/3 (need 3/4, 1/4); q1 shares 3/4, 1/4 (need 1/2, 1/2)
    hhi = ((2 / 3) ** 2 + (1 / 3) ** 2 + 0.75**2 + 0.25**2) / 2
    assert m["budget_hhi"] == pytest.approx(hhi)
    assert m["budget_hhi"] == pytest.approx(85 / 144)
    alignment = ((1 - 0.5 * (1 / 12 + 1 / 12)) + (1 - 0.5 * (0.25 + 0.25))) / 2
    assert m["budget_alignment"] == pytest.approx(alignment)
    assert m["budget_alignment"] == pytest.approx(5 / 6)


# ------------------------------------------------------------------- economics


def test_economics(m: dict[str, float]) -> None:
    # eng 190 person-days at 1 k$/day, sales 40 person-days at 2 k$/day
    assert m["salary_cost"] == pytest.approx(190 * 1.0 + 40 * 2.0)
    assert m["hiring_cost"] == 10.0
    # the second quarter [50, 100) is cut at 90: 40 of its 50 days
    assert m["broker_cost"] == pytest.approx(50.0 + 50.0 * 40 / 50)
    assert m["cost"] == pytest.approx(270.0 + 10.0 + 90.0)
    assert m["net_value"] == pytest.approx(170.0 - 370.0)


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
        "budget_share.eng": [2 / 3, 0.75],
        "budget_share.sales": [1 / 3, 0.25],
        "credibility": [0.425, 0.425],
        "quarter_end": [50.0, 90.0],
    }
    assert list(q) == list(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(q[key], values, err_msg=key)


# --------------------------------------------------------------- edge cases


def test_prefix_is_measured_over_what_it_covers(tiny: list[ev.Event]) -> None:
    cut = tiny[:-1]  # no RunEnded: the window ends at the last event, 88
    m = metrics(cut)
    assert m["ceo_days"] == 6.0 + 3.0
    assert m["wip_mean"] == pytest.approx((5 * 1 + 20 * 2 + 28 * 1) / 88)
    assert m["broker_cost"] == pytest.approx(50.0 + 50.0 * 38 / 50)
    assert m["vacancy_days"] == 20.0 + 25.0 + 8.0
    assert quarterly(cut)["quarter_end"].tolist() == [50.0, 88.0]


def test_nothing_happened_is_nan_not_zero() -> None:
    events = build(
        [
            run_started(100.0, broker=False),
            dept("eng", 365.0),
            hired(0.0, 0, "eng", -1),
            (ev.RunEnded, 100.0, {}),
        ]
    )
    m = metrics(events)
    for key in (
        "lead_time_mean",
        "lead_time_p50",
        "lead_time_p90",
        "on_time_rate",
        "detect_time_mean",
        "detected_by_broker_share",
        "resolve_time_p50",
        "resolution_quality",
        "mediation_wait_mean",
        "credibility_end",
        "budget_hhi",
        "budget_alignment",
    ):
        assert math.isnan(m[key]), key
    assert m["features_shipped"] == 0.0
    assert m["throughput"] == 0.0
    assert m["wip_mean"] == 0.0
    assert m["salary_cost"] == pytest.approx(100.0)
    assert m["broker_cost"] == 0.0
    assert m["attrition_rate"] == 0.0
    q = quarterly(events)
    assert q["quarter_end"].tolist() == [50.0, 100.0]  # 100 / 50: no empty third quarter
    assert np.isnan(q["credibility"]).all()
    assert np.isnan(q["budget_share.eng"]).all()


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
