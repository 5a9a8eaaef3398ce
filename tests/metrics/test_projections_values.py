"""Values of orgsim.metrics.projections, each on the smallest log worked out by hand.

Every log below is built by hand (as in ``test_projections.py``) for one group of
metrics, small enough that each expected number is computed in a comment next to
its assertion. The logs are ones the state accepts (checked by replaying them),
so the flows that some metrics read off the state (Support's issue backlog,
utilisation) are the state's own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from builders import run_fields
from orgsim.engine import events as ev
from orgsim.engine.log import replay
from orgsim.engine.state import fold
from orgsim.metrics import projections
from orgsim.metrics.projections import department_utilisation, metrics, quarterly

Row = tuple[type[ev.Event], float, dict[str, Any]]


# ----------------------------------------------------------------- the builder


def build(rows: list[Row]) -> list[ev.Event]:
    """Events with contiguous ``seq``, in the order given."""
    return [cls(seq=i, time=t, **fields) for i, (cls, t, fields) in enumerate(rows)]


def run_started(horizon: float, broker: bool = False, **overrides: Any) -> Row:
    fields = run_fields(
        scenario="values",
        broker=broker,
        horizon=horizon,
        quarter_days=50.0,
        hiring_cost=10.0,
        min_productivity=0.3,
        ramp_productivity=0.5,
        ceo_hours_per_week=14.0,
        ceo_max_hours_per_week=7.0,
    )
    return (ev.RunStarted, 0.0, fields | overrides)


def dept(name: str, salary: float = 365.0) -> Row:
    fields = dict(department=name, salary=salary, bias=0.0, attrition=0.0, overhead=0.0)
    return (ev.DepartmentFormed, 0.0, fields | dict(teams=1, layers=1))


def hired(t: float, emp: int, department: str, req: int = -1, salary: float = 365.0) -> Row:
    fields = dict(employee=emp, department=department, salary=salary, skill=1.0)
    return (ev.EmployeeHired, t, fields | dict(resilience=5.0, requisition=req, ramped=req < 0))


def planned(t: float, feature: int, value: float, due: float, effort: float = 100.0) -> Row:
    fields = dict(feature=feature, product=0, efforts=(effort,), value=value, due=due, epoch=0)
    return (ev.FeaturePlanned, t, fields)


def shipped(t: float, feature: int, value: float, late: float, misaligned: float = 0.0) -> Row:
    fields = dict(feature=feature, value=value, late_days=late, misaligned=misaligned)
    return (ev.FeatureShipped, t, fields)


def raised(t: float, c: int, initiator: str = "sales", target: str = "eng") -> Row:
    fields = dict(conflict=c, kind="k", initiator=initiator, target=target, severity=1.0)
    return (ev.ConflictRaised, t, fields | dict(company_side="initiator"))


def resolved(t: float, c: int, good: bool) -> Row:
    fields = dict(conflict=c, forum="negotiation", winner="sales", company_interest=good)
    return (ev.ConflictResolved, t, fields)


def quarter(q: int, broker_cost: float = 0.0) -> Row:
    return (ev.QuarterStarted, 50.0 * q, dict(quarter=q, available=100.0, broker_cost=broker_cost))


def allocated(q: int, department: str, need: float, alloc: float) -> Row:
    fields = dict(quarter=q, department=department, need=need, request=need, allocated=alloc)
    return (ev.BudgetAllocated, 50.0 * q, fields)


def ended(t: float) -> Row:
    return (ev.RunEnded, t, {})


# ------------------------------------------------------------------- the logs

#: Delivery over 100 days (quarters of 50), no broker:
#: f0 planned 0, shipped 10 on time (lead 10, value 100);
#: f1 planned 0, shipped 30 on time (lead 30, value 60);
#: f2 planned 5, shipped 60 one day late (lead 55, value 40, 8 of it misaligned);
#: f3 planned 80, never shipped. Unplanned work w0 (for conflict c0) earns 20 at 70.
#: The market of product 0 shifts at 10 (followed at 25) and at 40 (never followed).
DELIVERY: list[Row] = [
    run_started(100.0),
    dept("eng"),
    dept("sales"),
    hired(0.0, 0, "eng"),
    planned(0.0, 0, value=100.0, due=20.0),
    planned(0.0, 1, value=60.0, due=40.0),
    planned(5.0, 2, value=48.0, due=59.0),
    shipped(10.0, 0, value=100.0, late=0.0),
    (ev.MarketShifted, 10.0, dict(product=0, epoch=1)),
    (ev.RoadmapRealigned, 25.0, dict(product=0, epoch=1, channel="surfaced")),
    shipped(30.0, 1, value=60.0, late=0.0),
    (ev.MarketShifted, 40.0, dict(product=0, epoch=2)),
    shipped(60.0, 2, value=40.0, late=1.0, misaligned=8.0),
    raised(62.0, 0),
    (ev.ExtraWorkAdded, 62.0, dict(work=0, conflict=0, department="eng", effort=2.0, value=20.0)),
    (ev.ExtraWorkCompleted, 70.0, dict(work=0, value=20.0)),
    planned(80.0, 3, value=10.0, due=200.0),
    ended(100.0),
]

#: Conflicts over 100 days with a broker (credibility 0.5, floor 0.2, half-life 50)
#: and a CEO giving escalations 14 hours a week, at most 7 (one a day) each:
#: c0 raised 10, broker-detected 12, resolved 20 for the company (a privacy incident
#:    of 7 k$ at 20);
#: c1 raised 10, surfaced 15, escalated 15 needing 7 hours, released and resolved
#:    22 against the company;
#: c2 raised 30, lapsed 40, never detected;
#: c3 raised 50, broker-detected 55, resolved 95 for the company;
#: c4 raised 60, broker-detected 70, queued 70, mediated from 74, resolved 80 for
#:    the company. The broker is praised at 50, credibility 0.6.
CONFLICT: list[Row] = [
    run_started(100.0, broker=True),
    dept("eng"),
    dept("sales"),
    (
        ev.BrokerAppointed,
        0.0,
        dict(mediators=1, directors=0, hired=0, line_pms=1, coverage=1.0, neutrality=0.9)
        | dict(salary=0.0, credibility=0.5, credibility_floor=0.2, credibility_halflife=50.0),
    ),
    hired(0.0, 0, "eng"),
    raised(10.0, 0),
    raised(10.0, 1, "eng", "sales"),
    (ev.ConflictDetected, 12.0, dict(conflict=0, channel="broker")),
    (ev.ConflictDetected, 15.0, dict(conflict=1, channel="surfaced")),
    (ev.ConflictEscalated, 15.0, dict(conflict=1, hours=7.0)),
    resolved(20.0, 0, good=True),
    (ev.PrivacyIncident, 20.0, dict(conflict=0, cost=7.0)),
    (ev.CeoReleased, 22.0, dict(conflict=1, settled=True)),
    resolved(22.0, 1, good=False),
    raised(30.0, 2),
    (ev.ConflictLapsed, 40.0, dict(conflict=2)),
    raised(50.0, 3),
    (ev.BrokerPraised, 50.0, dict(department="eng", credibility=0.6)),
    (ev.ConflictDetected, 55.0, dict(conflict=3, channel="broker")),
    raised(60.0, 4),
    (ev.ConflictDetected, 70.0, dict(conflict=4, channel="broker")),
    (ev.MediationQueued, 70.0, dict(conflict=4)),
    (ev.MediationStarted, 74.0, dict(conflict=4)),
    resolved(80.0, 4, good=True),
    resolved(95.0, 3, good=True),
    ended(100.0),
]

#: Support's customer issues over 10 days: two founders (capacity 2 person-days a
#: day) against a demand of 3 with abandonment 0.1 a day, a third person hired at 5
#: on requisition r0 at half productivity while ramping (capacity 2.5, salary 730).
#: A quarter starts at 0 with a broker cost of 25 (10 of its 50 days are covered).
SUPPORT: list[Row] = [
    run_started(10.0, broker=True),
    dept("eng"),
    dept("support"),
    hired(0.0, 0, "support"),
    hired(0.0, 1, "support"),
    (
        ev.SupportFounded,
        0.0,
        dict(department="support", demand=3.0, backlog_cost=0.5, abandonment=0.1),
    ),
    (ev.BudgetFounded, 0.0, dict(base_budget=100.0, cash=1000.0, cash_share=0.5)),
    quarter(0, broker_cost=25.0),
    (ev.RequisitionOpened, 0.0, dict(requisition=0, department="support")),
    hired(5.0, 2, "support", req=0, salary=730.0),
    ended(10.0),
]
HIRE_AT_5 = 9  # index of the hire in SUPPORT

#: Headcount over 30 days: founders e0 (eng) and e1 (sales) at 0, e2 hired into eng
#: at 10 on r0 (opened at 0), e0 leaves at the very end, 30.
ORG: list[Row] = [
    run_started(30.0),
    dept("eng"),
    dept("sales"),
    hired(0.0, 0, "eng"),
    hired(0.0, 1, "sales"),
    (ev.RequisitionOpened, 0.0, dict(requisition=0, department="eng")),
    hired(10.0, 2, "eng", req=0),
    (ev.EmployeeLeft, 30.0, dict(employee=0)),
    ended(30.0),
]

#: Budgets over two quarters, three departments (ops never allocated):
#: q0 eng 0.5 (need 0.5), sales 0.5 (need 0.5): a whole of 1;
#: q1 eng 30 (need 20), sales 10 (need 20).
BUDGET: list[Row] = [
    run_started(100.0),
    dept("eng"),
    dept("sales"),
    dept("ops"),
    quarter(0),
    allocated(0, "eng", need=0.5, alloc=0.5),
    allocated(0, "sales", need=0.5, alloc=0.5),
    quarter(1),
    allocated(1, "eng", need=20.0, alloc=30.0),
    allocated(1, "sales", need=20.0, alloc=10.0),
    ended(100.0),
]

#: Budgets over three quarters with empty wholes: q0 allocates eng nothing (sales
#: not at all); q1 eng 30, sales 10, both with no need; q2 eng 10 (need 10), sales
#: 10 (need 30).
EMPTY_BUDGET: list[Row] = [
    run_started(150.0),
    dept("eng"),
    dept("sales"),
    quarter(0),
    allocated(0, "eng", need=0.0, alloc=0.0),
    quarter(1),
    allocated(1, "eng", need=0.0, alloc=30.0),
    allocated(1, "sales", need=0.0, alloc=10.0),
    quarter(2),
    allocated(2, "eng", need=10.0, alloc=10.0),
    allocated(2, "sales", need=30.0, alloc=10.0),
    ended(150.0),
]

#: A company of one (1 k$ a day) founded with 20 k$: out of cash at 20.
FAILED: list[Row] = [
    run_started(100.0),
    dept("eng"),
    hired(0.0, 0, "eng"),
    (ev.BudgetFounded, 0.0, dict(base_budget=0.0, cash=20.0, cash_share=0.5)),
    (ev.CompanyFailed, 20.0, dict(cash=0.0, burn=1.0)),
    ended(20.0),
]

#: Work against a team cap of 1.5 person-days a day per item, over 10 days: eng's
#: founders e0, e1 (capacity 2) take feature f0 (100 person-days, so 1.5 of the 2
#: are busy); e3 joins eng at 4 on r0, ramping at half productivity (capacity 2.5,
#: still 1.5 busy). Sales has one founder and nothing to do; legal has nobody.
UTIL: list[Row] = [
    run_started(10.0, team_cap=1.5),
    dept("eng"),
    dept("sales"),
    dept("legal"),
    hired(0.0, 0, "eng"),
    hired(0.0, 1, "eng"),
    hired(0.0, 2, "sales"),
    planned(0.0, 0, value=10.0, due=50.0),
    (ev.RequisitionOpened, 0.0, dict(requisition=0, department="eng")),
    hired(4.0, 3, "eng", req=0),
    ended(10.0),
]

LOGS = {
    "delivery": DELIVERY,
    "conflict": CONFLICT,
    "support": SUPPORT,
    "org": ORG,
    "budget": BUDGET,
    "empty_budget": EMPTY_BUDGET,
    "failed": FAILED,
    "util": UTIL,
}


@pytest.mark.parametrize("name", list(LOGS))
def test_the_logs_are_ones_the_state_accepts(name: str) -> None:
    replay(build(LOGS[name]))


# --------------------------------------------------------------------- delivery


@pytest.fixture  # per test: mutation testing credits a shared fixture to its first test only
def delivery() -> dict[str, float]:
    return metrics(build(DELIVERY))


def test_delivery_counts_and_values(delivery: dict[str, float]) -> None:
    m = delivery
    assert m["features_shipped"] == 3.0
    assert m["feature_value"] == 200.0  # 100 + 60 + 40
    assert m["value_shipped"] == 220.0  # the features' 200 and the unplanned work's 20
    assert m["misaligned_value_lost"] == 8.0
    # wip: f3 planned and not shipped (4 planned, 3 shipped)
    assert m["wip_end"] == 1.0
    # WIP 2 on [0,5), 3 on [5,10), 2 on [10,30), 1 on [30,60), 0 on [60,80), 1 to 100
    assert m["wip_mean"] == pytest.approx((2 * 5 + 3 * 5 + 2 * 20 + 1 * 30 + 0 + 1 * 20) / 100)
    # three features over 100 / 50 = 2 quarters
    assert m["throughput"] == 1.5


def test_lead_time_percentiles_interpolate_linearly(delivery: dict[str, float]) -> None:
    # leads 10, 30, 55: the median is the middle one; the 90th percentile sits at
    # rank 0.9 · 2 = 1.8, 0.8 of the way from 30 to 55
    assert delivery["lead_time_mean"] == pytest.approx(95 / 3, rel=1e-12)
    assert delivery["lead_time_p50"] == 30.0
    assert delivery["lead_time_p90"] == pytest.approx(30.0 + 0.8 * 25.0, rel=1e-12)


def test_on_time_share_counts_features_with_no_late_days(delivery: dict[str, float]) -> None:
    # late days 0, 0, 1: two of three on time (one day late is late)
    assert delivery["on_time_rate"] == pytest.approx(2 / 3, rel=1e-12)


def test_realign_time_is_the_km_median_of_shift_to_follow(delivery: dict[str, float]) -> None:
    # shift at 10 followed at 25 (15 days); shift at 40 never followed, censored at
    # 100 (60). S(15) = 1/2: the median is 15.
    assert delivery["market_shifts"] == 2.0
    assert delivery["realign_time_p50"] == 15.0


def test_no_demand_means_no_backlog_and_no_backlog_cost(delivery: dict[str, float]) -> None:
    assert delivery["support_backlog"] == 0.0
    assert delivery["support_backlog_cost"] == 0.0
    # e0 on 365 k$ a year for 100 days; nothing else costs anything
    assert delivery["cost"] == pytest.approx(100.0, rel=1e-12)
    assert delivery["net_value"] == pytest.approx(220.0 - 100.0, rel=1e-12)


def test_no_demand_reads_zero_backlog_even_over_an_empty_window() -> None:
    # a log of one RunStarted covers [0, 0]: no demand, so 0, not 0 / 0
    m = metrics(build([run_started(10.0)]))
    assert m["support_backlog"] == 0.0
    assert m["support_backlog_cost"] == 0.0


def test_survived_without_a_company_failed(delivery: dict[str, float]) -> None:
    assert delivery["survived"] == 1.0
    assert delivery["time_to_failure"] == 100.0  # censored at the end


# -------------------------------------------------------------------- conflicts


@pytest.fixture  # per test: mutation testing credits a shared fixture to its first test only
def conflict() -> dict[str, float]:
    return metrics(build(CONFLICT))


def test_conflict_counts(conflict: dict[str, float]) -> None:
    m = conflict
    assert m["conflicts_raised"] == 5.0
    assert m["conflicts_detected"] == 4.0  # all but c2
    assert m["conflicts_resolved"] == 4.0
    assert m["conflicts_lapsed"] == 1.0
    assert m["conflicts_escalated"] == 1.0
    assert m["conflicts_open_end"] == 0.0  # 5 raised - 4 resolved - 1 lapsed


def test_conflict_shares_and_waits(conflict: dict[str, float]) -> None:
    m = conflict
    # detected by the broker: c0, c3, c4 of the four detected
    assert m["detected_by_broker_share"] == 0.75
    # detection waits 2, 5, 5, 10 and c2 censored at its lapse (10): S(2) = 4/5,
    # S(5) = 4/5 · 2/4 = 2/5 <= 1/2
    assert m["detect_time_p50"] == 5.0
    # resolve waits: c0 10, c1 12, c4 20, c2 censored at 10 (lapsed 40), c3 45. Sorted:
    # 10 (c2 censored there too, at risk), S(10) = 4/5; S(12) = 3/5; S(20) = 2/5;
    # S(45) = 0 (one at risk): the median at 20, the 90th percentile at 45
    assert m["resolve_time_p50"] == 20.0
    assert m["resolve_time_p90"] == 45.0
    assert m["resolve_censored_share"] == pytest.approx(1 / 5, rel=1e-12)
    # three of the four resolutions in the company's interest
    assert m["resolution_quality"] == 0.75
    # c4 queued 70, mediated 74
    assert m["mediation_wait_p50"] == 4.0
    assert m["mediation_censored_share"] == 0.0


def test_ceo_hours_and_load(conflict: dict[str, float]) -> None:
    # c1 alone on the desk from 15 to 22 at 7 hours a week, 1 a day: its 7 hours;
    # the CEO gave escalations 14 hours a week over 100 days, 200 hours
    assert conflict["ceo_hours"] == pytest.approx(7.0, rel=1e-12)
    assert conflict["ceo_load"] == pytest.approx(7 / 200, rel=1e-12)


def test_open_conflicts_mean(conflict: dict[str, float]) -> None:
    # open: c0 [10,20], c1 [10,22], c2 [30,40], c3 [50,95], c4 [60,80]
    assert conflict["open_conflicts_mean"] == pytest.approx((10 + 12 + 10 + 45 + 20) / 100)


def test_broker_figures(conflict: dict[str, float]) -> None:
    # praised at 50 to 0.6, decaying toward 0.2 with a half-life of 50: one by 100
    assert conflict["credibility_end"] == pytest.approx(0.2 + 0.4 * 0.5, rel=1e-12)
    assert conflict["praises"] == 1.0


def test_incident_cost_is_in_the_cost(conflict: dict[str, float]) -> None:
    assert conflict["privacy_incidents"] == 1.0
    assert conflict["incident_cost"] == 7.0
    # e0 on 365 k$ a year for 100 days, plus the incident's 7
    assert conflict["cost"] == pytest.approx(100.0 + 7.0, rel=1e-12)
    assert conflict["net_value"] == pytest.approx(-107.0, rel=1e-12)


# ---------------------------------------------------- Support's issue backlog

# dB/dt = demand - capacity - 0.1 B. On [0, 5]: slope 3 - 2 = 1, limit L1 = 10, from
# B = 0: B(t) = 10 (1 - e^{-0.1 t}), area 10·5 - 10 (1 - e^{-0.5}) / 0.1, and
# B(5) = 10 (1 - e^{-0.5}). On [5, 10]: slope 3 - 2.5 = 0.5, limit L2 = 5:
# B(t) = 5 + (B(5) - 5) e^{-0.1 (t - 5)}, area 5·5 + (B(5) - 5)(1 - e^{-0.5}) / 0.1.
_DECAY = 1.0 - math.exp(-0.5)
_B5 = 10.0 * _DECAY
#: about 10.6531 + 20.8083 = 31.4614 person-days x days
AREA = (10.0 * 5.0 - 10.0 * _DECAY / 0.1) + (5.0 * 5.0 + (_B5 - 5.0) * _DECAY / 0.1)


def test_support_backlog_is_the_exact_exponential_fluid() -> None:
    m = metrics(build(SUPPORT))
    # rel 1e-9: the state integrates with expm1, the formula above with exp
    assert m["support_backlog"] == pytest.approx(AREA / 10.0, rel=1e-9)
    assert m["support_backlog_cost"] == pytest.approx(0.5 * AREA, rel=1e-9)


def test_costs_add_up_with_a_backlog() -> None:
    m = metrics(build(SUPPORT))
    # salaries: e0, e1 10 days at 1 k$/day, e2 5 days at 2 k$/day
    assert m["salary_cost"] == pytest.approx(30.0, rel=1e-12)
    assert m["hiring_cost"] == 10.0  # one hire on a requisition at 10 k$
    assert m["broker_cost"] == pytest.approx(25.0 * 10 / 50, rel=1e-12)
    backlog_cost = 0.5 * AREA
    cost = 30.0 + 10.0 + 5.0 + backlog_cost
    assert m["cost"] == pytest.approx(cost, rel=1e-9)
    assert m["net_value"] == pytest.approx(-cost, rel=1e-9)


class FoldSpy:
    """Counts the folds metrics() does: reading a state it has saves re-folding the log."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return fold(*args, **kwargs)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> FoldSpy:
    s = FoldSpy()
    monkeypatch.setattr(projections, "fold", s)
    return s


def test_a_stored_log_is_folded_once(spy: FoldSpy) -> None:
    m = metrics(build(SUPPORT))
    assert spy.calls == 1
    assert m["support_backlog"] == pytest.approx(AREA / 10.0, rel=1e-9)


def test_the_state_given_is_read_not_refolded(spy: FoldSpy) -> None:
    events = build(SUPPORT)
    state = fold(events)
    m = metrics(events, state)
    assert spy.calls == 0
    assert m["support_backlog"] == pytest.approx(AREA / 10.0, rel=1e-9)


def test_a_live_logs_own_state_is_read_not_refolded(spy: FoldSpy) -> None:
    log = replay(build(SUPPORT))
    m = metrics(log)
    assert spy.calls == 0
    assert m["support_backlog"] == pytest.approx(AREA / 10.0, rel=1e-9)


def test_a_state_behind_the_log_is_not_read(spy: FoldSpy) -> None:
    events = build(SUPPORT)
    # the state before the hire at 5 would carry capacity 2 on to 10:
    # area 10·10 - 10 (1 - e^{-1}) / 0.1 = 100 e^{-1}, not AREA
    stale = fold(events[:HIRE_AT_5])
    assert stale.issue_area("support", 10.0) == pytest.approx(100 * math.exp(-1.0), rel=1e-9)
    m = metrics(events, stale)
    assert spy.calls == 1
    assert m["support_backlog"] == pytest.approx(AREA / 10.0, rel=1e-9)


# ----------------------------------------------------------------- utilisation


def test_support_utilisation_counts_the_issues_served() -> None:
    # Support serves issues with all it has (the backlog never empties): worked =
    # offered = 2·5 + 2.5·5 = 22.5; eng has nobody: no capacity, nan
    u = department_utilisation(fold(build(SUPPORT)))
    assert list(u) == ["utilisation.eng", "utilisation.support"]
    assert math.isnan(u["utilisation.eng"])
    assert u["utilisation.support"] == pytest.approx(1.0, rel=1e-12)


def test_utilisation_carries_the_flows_on_to_the_end() -> None:
    # eng: busy 1.5 throughout, worked 15; capacity 2 on [0, 4), 2.5 on [4, 10),
    # offered 8 + 15 = 23. Sales: capacity 1 for 10 days, nothing worked. Legal: nobody.
    u = department_utilisation(fold(build(UTIL)))
    assert list(u) == ["utilisation.eng", "utilisation.sales", "utilisation.legal"]
    assert u["utilisation.eng"] == pytest.approx(15 / 23, rel=1e-12)
    assert u["utilisation.sales"] == 0.0
    assert math.isnan(u["utilisation.legal"])


def test_utilisation_at_the_instant_of_the_last_change() -> None:
    # the state at 4, right after the hire: eng worked 1.5·4 = 6 of 2·4 = 8 offered,
    # nothing after it yet; sales idle 4 days
    events = build(UTIL)
    state = fold(events[:-1])
    assert state.time == 4.0
    u = department_utilisation(state)
    assert u["utilisation.eng"] == 0.75
    assert u["utilisation.sales"] == 0.0


# ---------------------------------------------------------------- organisation


@pytest.fixture  # per test: mutation testing credits a shared fixture to its first test only
def org() -> dict[str, float]:
    return metrics(build(ORG))


def test_headcount_at_the_end_counts_a_leaver_at_that_instant(org: dict[str, float]) -> None:
    # 2 on [0, 10), 3 on [10, 30), 2 at 30 once e0 has left
    assert org["headcount_end"] == 2.0
    assert org["headcount_end.eng"] == 1.0  # e2 (e0 left)
    assert org["headcount_end.sales"] == 1.0


def test_attrition_and_hiring(org: dict[str, float]) -> None:
    assert org["hires"] == 1.0
    assert org["attrition"] == 1.0
    # one leaver over 2·10 + 3·20 = 80 person-days: 365 / 80 a year
    assert org["attrition_rate"] == pytest.approx(365 / 80, rel=1e-12)
    assert org["vacancy_days"] == 10.0  # r0 open from 0 to the hire at 10
    assert org["hiring_cost"] == 10.0  # one hire at 10 k$
    # salaries: e0 30 days, e1 30, e2 20, each 1 k$ a day; and the hire's 10
    assert org["cost"] == pytest.approx(80.0 + 10.0, rel=1e-12)


# ---------------------------------------------------------------------- budget


def test_a_small_whole_still_counts() -> None:
    m = metrics(build(BUDGET))
    # q0: shares 1/2, 1/2 of a whole of 1, needs 1/2, 1/2: HHI 1/2, fit 1.
    # q1: shares 3/4, 1/4, needs 1/2, 1/2: HHI 9/16 + 1/16 = 5/8, fit 1 - (1/4 + 1/4)/2 = 3/4
    assert m["budget_hhi"] == pytest.approx((0.5 + 0.625) / 2, rel=1e-12)
    assert m["budget_alignment"] == pytest.approx((1.0 + 0.75) / 2, rel=1e-12)


def test_quarters_with_nothing_allocated_or_nothing_needed_are_left_out() -> None:
    m = metrics(build(EMPTY_BUDGET))
    # q0 allocates nothing: no shares at all. q1: shares 3/4, 1/4 (HHI 5/8), no need:
    # no fit. q2: shares 1/2, 1/2 (HHI 1/2), needs 1/4, 3/4: fit 1 - (1/4 + 1/4)/2
    assert m["budget_hhi"] == pytest.approx((0.625 + 0.5) / 2, rel=1e-12)
    assert m["budget_alignment"] == pytest.approx(0.75, rel=1e-12)


def test_quarterly_rows_of_the_budget_log() -> None:
    q = quarterly(build(BUDGET))
    expected = {
        "value_shipped": [0.0, 0.0],
        "features_shipped": [0.0, 0.0],
        "conflicts_raised": [0.0, 0.0],
        "conflicts_resolved": [0.0, 0.0],
        "open_conflicts": [0.0, 0.0],
        "wip": [0.0, 0.0],
        "headcount": [0.0, 0.0],
        "headcount.eng": [0.0, 0.0],
        "headcount.sales": [0.0, 0.0],
        "headcount.ops": [0.0, 0.0],
        "budget_share.eng": [0.5, 0.75],
        "budget_share.sales": [0.5, 0.25],
        "budget_share.ops": [0.0, 0.0],  # allocated nothing in a quarter with allocations
        "credibility": [math.nan, math.nan],
        "quarter_end": [50.0, 100.0],
    }
    assert list(q) == list(expected)
    for key, values in expected.items():
        assert q[key].dtype == np.float64, key
        np.testing.assert_array_equal(q[key], values, err_msg=key)


def test_quarterly_shares_without_a_whole_are_nan() -> None:
    q = quarterly(build(EMPTY_BUDGET))
    # q0 allocated nothing: no share for anyone, not 0
    np.testing.assert_array_equal(q["budget_share.eng"], [math.nan, 0.75, 0.5])
    np.testing.assert_array_equal(q["budget_share.sales"], [math.nan, 0.25, 0.5])


def test_a_quarter_starting_at_the_end_of_a_prefix_has_no_row() -> None:
    # cut after q1's allocations at 50: the window [0, 50] is one quarter; q1's
    # allocations belong to a quarter the prefix does not reach
    rows = BUDGET[:-1]
    q = quarterly(build(rows))
    np.testing.assert_array_equal(q["quarter_end"], [50.0])
    np.testing.assert_array_equal(q["budget_share.eng"], [0.5])
    np.testing.assert_array_equal(q["budget_share.sales"], [0.5])
    np.testing.assert_array_equal(q["budget_share.ops"], [0.0])


def test_quarterly_rows_of_the_delivery_log() -> None:
    q = quarterly(build(DELIVERY))
    # q0 [0, 50): f0 100, f1 60; q1 [50, 100]: f2 40 and w0 20
    np.testing.assert_array_equal(q["value_shipped"], [160.0, 60.0])
    np.testing.assert_array_equal(q["features_shipped"], [2.0, 1.0])
    np.testing.assert_array_equal(q["conflicts_raised"], [0.0, 1.0])
    # at 50 only f2 is planned and not shipped; at 100 only f3
    np.testing.assert_array_equal(q["wip"], [1.0, 1.0])
    np.testing.assert_array_equal(q["open_conflicts"], [0.0, 1.0])  # c0 never closes
    np.testing.assert_array_equal(q["headcount"], [1.0, 1.0])
    np.testing.assert_array_equal(q["headcount.eng"], [1.0, 1.0])
    np.testing.assert_array_equal(q["headcount.sales"], [0.0, 0.0])


# ------------------------------------------------------------------- failure


def test_a_company_that_failed() -> None:
    m = metrics(build(FAILED))
    assert m["survived"] == 0.0
    assert m["time_to_failure"] == 20.0
    # 20 k$ spent at 1 k$ a day by 20
    assert m["cash_end"] == pytest.approx(0.0, abs=1e-12)
    assert m["runway_min"] == 0.0


def test_a_company_that_survived_reports_its_lowest_runway_in_months() -> None:
    # eng's one founder costs 365 k$ a year, 1 k$ a day; 20 k$ of cash and no
    # value shipped: 20 days of runway at 0, 10 left at the end (10), never failing.
    # runway_min = 10 days / (365/12 days a month) = 120/365 months.
    rows = [*FAILED[:4], ended(10.0)]
    m = metrics(build(rows))
    assert m["survived"] == 1.0
    assert m["time_to_failure"] == 10.0  # censored at the end
    assert m["runway_min"] == pytest.approx(120 / 365, rel=1e-12)


def test_a_failed_company_has_no_runway_whatever_the_crumb_of_its_balance() -> None:
    # 20 k$ and a nanodollar: at the failure (20) 1e-9 k$ remain by the arithmetic
    # of the flow, a runway of 1e-9 days; a company that failed reads none
    rows = list(FAILED)
    rows[3] = (ev.BudgetFounded, 0.0, dict(base_budget=0.0, cash=20.0 + 1e-9, cash_share=0.5))
    m = metrics(build(rows))
    assert m["survived"] == 0.0
    assert m["runway_min"] == 0.0


#: Three requisitions: r0 opened at 0 and filled at 10; r1 opened at 4, cancelled
#: at 6, then (a late hire on a closed position) someone hired on it at 9; r2
#: opened at 5 and filled at 25; r3 opened at 20 and still open at the end.
HIRING: list[Row] = [
    run_started(30.0),
    dept("eng"),
    (ev.RequisitionOpened, 0.0, dict(requisition=0, department="eng")),
    (ev.RequisitionOpened, 4.0, dict(requisition=1, department="eng")),
    (ev.RequisitionOpened, 5.0, dict(requisition=2, department="eng")),
    (ev.RequisitionCancelled, 6.0, dict(requisition=1)),
    hired(9.0, 1, "eng", req=1),
    hired(10.0, 0, "eng", req=0),
    (ev.RequisitionOpened, 20.0, dict(requisition=3, department="eng")),
    hired(25.0, 2, "eng", req=2),
    ended(30.0),
]


@pytest.mark.parametrize("reference", [False, True])
def test_time_to_hire_averages_the_positions_a_hire_filled(reference: bool) -> None:
    # r0 took 10 days, r2 20; r1 was closed by its cancellation (2 vacant days, no
    # fill) and r3 is unfilled: (10 + 20) / 2 = 15, on both paths
    events = build(HIRING)
    m = projections.reference_metrics(events) if reference else metrics(events)
    assert m["time_to_hire"] == 15.0
    assert m["hires"] == 3.0
    assert m["vacancy_days"] == 10 + 2 + 20 + 10  # r0, r1, r2, r3 open 20..30


def test_time_to_hire_without_a_filled_position_is_nan() -> None:
    assert math.isnan(metrics(build([*ORG[:6], ended(30.0)]))["time_to_hire"])
