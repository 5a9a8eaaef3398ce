"""Value tests of orgsim.metrics.columns: each Scan handler and column on a tiny log.

Every log here is hand-built (a RunStarted, a few events, usually a RunEnded) and
small enough that each column, wait and step function is worked out by hand in
the comment next to its assertion. The cash flow and the numeric helpers
(``steps``, ``per_quarter``, ``kaplan_meier``, ``km_quantile``, ``mean``,
``percentile``) are also checked on their own. Each test builds its own log, so
that a mutation run attributes it to the functions it reaches.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

from builders import busy_run_fields
from orgsim.engine import events as ev
from orgsim.errors import EventOrderError
from orgsim.metrics.columns import (
    KM_TOLERANCE,
    CashFlow,
    Scan,
    kaplan_meier,
    km_quantile,
    mean,
    per_quarter,
    percentile,
    scan,
    steps,
)

Row = tuple[type[ev.Event], float, dict[str, Any]]

INF = math.inf


def started(quarter_days: float = 50.0, hiring_cost: float = 10.0) -> Row:
    fields = busy_run_fields(
        scenario="columns", broker=True, quarter_days=quarter_days, hiring_cost=hiring_cost
    )
    return (ev.RunStarted, 0.0, fields)


def build(rows: list[Row], **run: float) -> list[ev.Event]:
    """A RunStarted (with ``run``'s quarter_days, hiring_cost), then ``rows``, seq 0.. ."""
    everything = [started(**run), *rows]
    return [cls(seq=i, time=t, **f) for i, (cls, t, f) in enumerate(everything)]


def dept(name: str, salary: float) -> Row:
    fields = dict(department=name, salary=salary, bias=0.1, attrition=0.1, overhead=0.0)
    return (ev.DepartmentFormed, 0.0, fields | dict(teams=1, layers=1))


def hired(t: float, emp: int, department: str, req: int, salary: float) -> Row:
    fields = dict(employee=emp, department=department, salary=salary, skill=1.0)
    return (ev.EmployeeHired, t, fields | dict(resilience=5.0, requisition=req, ramped=req < 0))


def founded(t: float, cash: float, share: float) -> Row:
    return (ev.BudgetFounded, t, dict(base_budget=100.0, cash=cash, cash_share=share))


def raised(t: float, c: int, initiator: str = "sales", target: str = "eng") -> Row:
    fields = dict(conflict=c, kind="k", initiator=initiator, target=target, severity=1.0)
    return (ev.ConflictRaised, t, fields | dict(company_side="initiator"))


def resolved(t: float, c: int, good: bool = True) -> Row:
    fields = dict(conflict=c, forum="negotiation", winner="eng", company_interest=good)
    return (ev.ConflictResolved, t, fields)


def planned(t: float, f: int, product: int = 0) -> Row:
    fields = dict(feature=f, product=product, efforts=(5.0,), value=100.0, due=t + 30.0)
    return (ev.FeaturePlanned, t, fields | dict(epoch=0))


def shipped(t: float, f: int, value: float, late: float = 0.0, misaligned: float = 0.0) -> Row:
    fields = dict(feature=f, value=value, late_days=late, misaligned=misaligned)
    return (ev.FeatureShipped, t, fields)


def ended(t: float) -> Row:
    return (ev.RunEnded, t, {})


def same_floats(column: list[float], expected: list[float]) -> None:
    """Each entry a float equal to the expected one, or nan where nan is expected."""
    assert len(column) == len(expected)
    for got, want in zip(column, expected, strict=True):
        assert type(got) is float, column
        assert got == want or (math.isnan(want) and math.isnan(got)), column


# ------------------------------------------------------------------ CashFlow


def test_a_new_cash_flow_is_empty_and_watches_nothing() -> None:
    c = CashFlow()
    assert c.founded is False
    assert (c.share, c.cash, c.since) == (0.0, 0.0, 0.0)
    assert (c.payroll, c.broker, c.burn) == (0.0, 0.0, 0.0)
    assert (c.low, c.runway_low) == (INF, INF)
    assert c.at(10.0) == 0.0  # nothing, burning nothing


def test_the_balance_before_the_founding_is_not_watched() -> None:
    c = CashFlow()
    c.flow(0.0, payroll=365.0)  # a founder on 365 k$/year: burn 1 k$/day, unfounded
    assert (c.payroll, c.burn, c.low) == (365.0, 1.0, INF)
    # founded at 10 with 100: the balance before is 0 - 1 · 10 = -10 (not watched),
    # after it 90; the lowest balance is then 90, the lowest runway 90 / 1 = 90 days
    c.found(10.0, 100.0, 0.5)
    assert c.founded is True
    assert (c.cash, c.since, c.share) == (90.0, 10.0, 0.5)
    assert (c.low, c.runway_low) == (90.0, 90.0)
    # at 15 the balance is 90 - 1 · (15 - 10) = 85
    assert c.at(15.0) == 85.0


def test_the_balance_falls_at_the_burn_since_the_last_change() -> None:
    c = CashFlow()
    c.flow(0.0, payroll=730.0)  # 2 k$/day
    c.found(5.0, 100.0, 0.0)  # -10 before, 90 after, since 5
    assert c.at(15.0) == 70.0  # 90 - 2 · (15 - 5)
    assert c.at(5.0) == 90.0


def test_no_burn_is_an_endless_runway() -> None:
    c = CashFlow()
    c.found(0.0, 100.0, 0.0)
    assert (c.burn, c.low, c.runway_low) == (0.0, 100.0, INF)


def test_the_runway_is_cash_over_burn_and_zero_below_zero() -> None:
    c = CashFlow()
    c.found(0.0, 100.0, 0.0)
    c.flow(0.0, payroll=182.5)  # 0.5 k$/day: runway 100 / 0.5 = 200 days
    assert (c.burn, c.runway_low) == (0.5, 200.0)
    # at 10 the balance is 95 (runway 190), then a lump of -120 takes it to -25:
    # the lowest balance -25, and no runway left, max(0, -25) / 0.5 = 0
    c.flow(10.0, lump=-120.0)
    assert (c.cash, c.low, c.runway_low) == (-25.0, -25.0, 0.0)


def test_flow_adds_lumps_and_payroll_and_keeps_the_broker_cost() -> None:
    c = CashFlow()
    c.found(0.0, 1000.0, 0.0)
    c.flow(10.0)  # nothing changes but the instant
    assert (c.cash, c.since, c.payroll, c.burn) == (1000.0, 10.0, 0.0, 0.0)
    c.flow(10.0, payroll=365.0)  # burn 1
    # at 20: 1000 - 10 = 990; payroll 365 + 730 = 1095 (3 a day) plus the broker 0.5
    c.flow(20.0, payroll=730.0, broker=0.5)
    assert (c.cash, c.payroll, c.broker, c.burn) == (990.0, 1095.0, 0.5, 3.5)
    # at 30: 990 - 3.5 · 10 = 955, minus a lump of 20: 935; the broker cost stays
    c.flow(30.0, lump=-20.0)
    assert (c.cash, c.since, c.broker, c.burn) == (935.0, 30.0, 0.5, 3.5)
    assert (c.low, c.runway_low) == (935.0, 935.0 / 3.5)
    # the end at 40: 935 - 35 = 900, the lowest balance and runway now
    assert c.close(40.0) == 900.0
    assert (c.low, c.runway_low) == (900.0, 900.0 / 3.5)
    c.flow(40.0, payroll=-1095.0, broker=0.0)  # everyone gone, no broker: no burn
    assert (c.cash, c.payroll, c.burn) == (900.0, 0.0, 0.0)


# ---------------------------------------------------------- the run and its end


def test_the_window_ends_at_run_ended() -> None:
    # an event after the RunEnded does not move the end: T is RunEnded's time
    s = scan(build([ended(40.0), (ev.NegotiationStarted, 45.0, dict(conflict=0))]))
    assert s.ended is True
    assert (s.end_time, s.last_time, s.end) == (40.0, 45.0, 40.0)


def test_a_log_without_its_end_ends_at_its_last_event() -> None:
    s = scan(build([dept("eng", 365.0), (ev.NegotiationStarted, 12.5, dict(conflict=0))]))
    assert s.ended is False
    assert (s.end_time, s.last_time, s.end) == (None, 12.5, 12.5)
    assert s.salary == {"eng": 365.0}


def test_departments_keep_their_salaries_in_formation_order() -> None:
    s = scan(build([dept("eng", 365.0), dept("sales", 730.0), ended(10.0)]))
    assert list(s.salary.items()) == [("eng", 365.0), ("sales", 730.0)]


def test_a_failed_company_brings_its_cash_to_the_failure() -> None:
    # founded with 100 at 0, one person on 3650 (10 k$/day): 0 left at 10
    s = scan(
        build(
            [
                dept("eng", 3650.0),
                founded(0.0, 100.0, 0.0),
                hired(0.0, 0, "eng", -1, salary=3650.0),
                (ev.CompanyFailed, 10.0, dict(cash=0.0, burn=10.0)),
                ended(10.0),
            ]
        )
    )
    assert s.failed_time == 10.0
    assert (s.cash.cash, s.cash.since, s.cash.low) == (0.0, 10.0, 0.0)
    assert s.cash.runway_low == 0.0


def test_a_log_that_does_not_start_with_run_started_is_named_in_the_error() -> None:
    rows = build([dept("eng", 365.0), hired(0.0, 0, "eng", -1, 365.0)])[1:]
    start = "^a log must start with RunStarted, not"
    with pytest.raises(EventOrderError, match=rf"{start} DepartmentFormed$"):
        scan(rows)
    with pytest.raises(EventOrderError, match=rf"{start} nothing$"):
        scan([])


# ------------------------------------------------------------------- talent


def talent_log() -> list[ev.Event]:
    """Hires, requisitions, leavers; hiring cost 10, cash 1000 founded at 0.

    e0 founder in eng from 0 on 365 (no requisition); r0 opened 5, r1 opened 10;
    e1 hired into sales at 10 on r0 (requisition 0: a hire that costs) on 730;
    e2 into eng at 20 on r1 on 365; r2 opened 22, cancelled 40; a cancel of r9 and
    a hire of e3 on r7 at 41, neither of them ever opened; e0 leaves at 30, e1 at
    40; the end at 50.
    """
    return build(
        [
            dept("eng", 365.0),
            dept("sales", 730.0),
            founded(0.0, 1000.0, 0.5),
            hired(0.0, 0, "eng", -1, salary=365.0),
            (ev.RequisitionOpened, 5.0, dict(requisition=0, department="sales")),
            (ev.RequisitionOpened, 10.0, dict(requisition=1, department="eng")),
            hired(10.0, 1, "sales", 0, salary=730.0),
            hired(20.0, 2, "eng", 1, salary=365.0),
            (ev.RequisitionOpened, 22.0, dict(requisition=2, department="eng")),
            (ev.EmployeeLeft, 30.0, dict(employee=0)),
            (ev.EmployeeLeft, 40.0, dict(employee=1)),
            (ev.RequisitionCancelled, 40.0, dict(requisition=2)),
            (ev.RequisitionCancelled, 41.0, dict(requisition=9)),
            hired(41.0, 3, "eng", 7, salary=0.0),
            ended(50.0),
        ]
    )


def test_hires_on_requisitions_are_counted_and_founders_are_not() -> None:
    s = scan(talent_log())
    assert s.hires == 3  # e1, e2, e3; the founder e0 is no hire
    assert s.leavers == 2
    # r0 open 5 to 10, r1 10 to 20, r2 22 to 40; r9 and r7 were never opened
    assert s.vacancy_closed == 5.0 + 10.0 + 18.0
    assert s.req_since == {}


def test_each_hire_takes_the_hiring_cost_and_adds_its_salary_to_the_burn() -> None:
    s = scan(talent_log()[:9])  # up to e2's hire at 20
    # 0: founded 1000, then e0 on 365 without a requisition: no cost, burn 1
    # 10: 1000 - 10 = 990, e1 on r0 costs 10: 980, burn (365 + 730) / 365 = 3
    # 20: 980 - 3 · 10 = 950, e2 on r1 costs 10: 940, burn 4
    assert (s.cash.cash, s.cash.since) == (940.0, 20.0)
    assert (s.cash.payroll, s.cash.burn) == (1460.0, 4.0)
    assert s.cash.low == 940.0
    assert s.hires == 2


def test_leavers_take_their_salary_off_the_burn() -> None:
    s = scan(talent_log())
    # 30: 940 - 4 · 10 = 900, e0 (365) leaves: burn 3; 40: 900 - 30 = 870, e1 (730)
    # leaves: burn 1; 41: 870 - 1 = 869, e3 on r7 costs 10: 859 on a salary of 0
    assert (s.cash.cash, s.cash.since) == (859.0, 41.0)
    assert (s.cash.payroll, s.cash.burn) == (365.0, 1.0)
    # the ended employments: e0 on 365 for 30 days, e1 on 730 for 40 - 10 = 30
    assert s.pay_closed == 365.0 * 30.0 + 730.0 * 30.0
    assert s.employee_pay == {2: (365.0, 20.0), 3: (0.0, 41.0)}
    assert s.employee_dept == {2: "eng", 3: "eng"}


def test_headcount_columns_and_steps() -> None:
    s = scan(talent_log())
    assert s.hc_time == [0.0, 10.0, 20.0, 30.0, 40.0, 41.0]
    assert s.hc_dept == ["eng", "sales", "eng", "eng", "sales", "eng"]
    assert s.hc_delta == [1, 1, 1, -1, -1, 1]
    t, n = s.headcount()
    np.testing.assert_array_equal(t, [0.0, 10.0, 20.0, 30.0, 40.0, 41.0, 50.0])
    np.testing.assert_array_equal(n, [1, 2, 3, 2, 1, 2, 2])
    t, n = s.headcount("eng")  # e0 [0, 30), e2 from 20, e3 from 41
    np.testing.assert_array_equal(t, [0.0, 20.0, 30.0, 41.0, 50.0])
    np.testing.assert_array_equal(n, [1, 2, 1, 2, 2])
    t, n = s.headcount("sales")  # e1 [10, 40)
    np.testing.assert_array_equal(t, [0.0, 10.0, 40.0, 50.0])
    np.testing.assert_array_equal(n, [0, 1, 0, 0])


def poaching_log() -> list[ev.Event]:
    """c0: sales poaches e1, e2 from eng (its target) at 10, 11; gives e1 back at 20.

    c1 (eng against sales) moves e3 from sales at 12: poaching too. Then e2 leaves
    from sales at 30, where the transfer took them.
    """

    def moved(t: float, e: int, source: str, destination: str, c: int) -> Row:
        fields = dict(employee=e, source=source, destination=destination, conflict=c)
        return (ev.EmployeeTransferred, t, fields)

    return build(
        [
            dept("eng", 365.0),
            dept("sales", 365.0),
            hired(0.0, 1, "eng", -1, 365.0),
            hired(0.0, 2, "eng", -1, 365.0),
            hired(0.0, 3, "sales", -1, 365.0),
            raised(5.0, 0, initiator="sales", target="eng"),
            raised(5.0, 1, initiator="eng", target="sales"),
            moved(10.0, 1, "eng", "sales", 0),
            moved(11.0, 2, "eng", "sales", 0),
            moved(12.0, 3, "sales", "eng", 1),
            moved(20.0, 1, "sales", "eng", 0),  # the give-back: out of the initiator
            (ev.EmployeeLeft, 30.0, dict(employee=2)),
            ended(40.0),
        ]
    )


def test_poaching_counts_moves_out_of_the_target_only() -> None:
    s = scan(poaching_log())
    assert s.poached == 3
    assert s.employee_dept == {1: "eng", 3: "eng"}
    # each move is a -1 at its source and a +1 at its destination
    moves = ["eng", "sales", "eng", "sales", "sales", "eng", "sales", "eng"]
    assert s.hc_dept[3:] == [*moves, "sales"]  # and e2 left from sales
    assert s.hc_delta[3:] == [-1, 1, -1, 1, -1, 1, -1, 1, -1]
    t, n = s.headcount("sales")  # e3; +e1 at 10, +e2 at 11, -e3 at 12, -e1 20, -e2 30
    np.testing.assert_array_equal(t, [0.0, 10.0, 11.0, 12.0, 20.0, 30.0, 40.0])
    np.testing.assert_array_equal(n, [1, 2, 3, 2, 1, 0, 0])


# ------------------------------------------------------------------ delivery


def delivery_log() -> list[ev.Event]:
    """f0 planned 5, shipped 25 (value 100, misaligned 3); f1 planned 10, shipped 40.

    f1: value 50, 4.5 days late, misaligned 4; unplanned work w0 done at 30 (30);
    cash 1000 founded at 0 with a share of 0.5, nobody paid; the end at 50.
    """
    return build(
        [
            founded(0.0, 1000.0, 0.5),
            planned(5.0, 0),
            planned(10.0, 1),
            shipped(25.0, 0, 100.0, misaligned=3.0),
            (ev.ExtraWorkCompleted, 30.0, dict(work=0, value=30.0)),
            shipped(40.0, 1, 50.0, late=4.5, misaligned=4.0),
            ended(50.0),
        ]
    )


def test_shipped_features_give_lead_times_lateness_and_misalignment() -> None:
    s = scan(delivery_log())
    assert s.planned == {0: 5.0, 1: 10.0}
    assert s.ship_time == [25.0, 40.0]
    assert s.ship_lead == [20.0, 30.0]  # 25 - 5, 40 - 10
    assert s.ship_value == [100.0, 50.0]
    same_floats(s.ship_late, [0.0, 4.5])
    assert s.misaligned == 7.0  # 3 + 4
    assert (s.extra_time, s.extra_value) == ([30.0], [30.0])


def test_shipped_value_brings_its_share_of_cash_at_its_instant() -> None:
    s = scan(delivery_log())
    # 1000 + 0.5 · 100 at 25 + 0.5 · 30 at 30 + 0.5 · 50 at 40
    assert (s.cash.cash, s.cash.since) == (1090.0, 40.0)
    assert s.cash.low == 1000.0


def test_a_shipment_on_its_own_brings_its_cash() -> None:
    rows = [founded(0.0, 1000.0, 0.5), planned(0.0, 0), shipped(25.0, 0, 100.0)]
    s = scan(build([*rows, ended(30.0)]))
    assert (s.cash.cash, s.cash.since) == (1050.0, 25.0)


def test_wip_steps() -> None:
    # +1 at 5 and 10, -1 at 25 and 40
    t, n = scan(delivery_log()).wip()
    np.testing.assert_array_equal(t, [0.0, 5.0, 10.0, 25.0, 40.0, 50.0])
    np.testing.assert_array_equal(n, [0, 1, 2, 1, 0, 0])
    assert n.dtype == np.int64


# -------------------------------------------------------------------- market


def market_log() -> list[ev.Event]:
    """Shifts of p0 (epochs 1, 2) at 10, 30 and p1 (epoch 1) at 35; the end at 60.

    p1's roadmap realigns at 12 before any shift of it (nothing to follow); p0's
    follows epoch 1 at 20 and epoch 2 at 50; p1's never follows.
    """

    def shift(t: float, product: int, epoch: int) -> Row:
        return (ev.MarketShifted, t, dict(product=product, epoch=epoch))

    def realigned(t: float, product: int, epoch: int) -> Row:
        return (ev.RoadmapRealigned, t, dict(product=product, epoch=epoch, channel="numbers"))

    return build(
        [
            shift(10.0, 0, 1),
            realigned(12.0, 1, 1),
            realigned(20.0, 0, 1),
            shift(30.0, 0, 2),
            shift(35.0, 1, 1),
            realigned(50.0, 0, 2),
            ended(60.0),
        ]
    )


def test_market_shift_columns() -> None:
    s = scan(market_log())
    same_floats(s.shift_time, [10.0, 30.0, 35.0])
    same_floats(s.shift_stop, [20.0, 50.0, math.nan])
    assert s.unfollowed == {0: [], 1: [(1, 2)]}


def test_realign_waits_are_censored_at_the_end() -> None:
    durations, followed = scan(market_log()).realign_waits()
    # 20 - 10, 50 - 30, and p1's shift censored at the end: 60 - 35
    np.testing.assert_array_equal(durations, [10.0, 20.0, 25.0])
    np.testing.assert_array_equal(followed, [True, True, False])
    assert followed.dtype == np.bool_


# -------------------------------------------------------------- credibility


def credibility_log() -> list[ev.Event]:
    """The broker takes office at 5 (0.5, floor 0.2, half-life 34); changes to 0.425
    at 22; praised at 40 (0.6) and 60 (0.7); the end at 94."""
    fields = dict(mediators=1, directors=0, hired=0, line_pms=1, coverage=1.0, neutrality=0.9)
    fields |= dict(salary=365.0, credibility=0.5, credibility_floor=0.2)
    return build(
        [
            (ev.BrokerAppointed, 5.0, fields | dict(credibility_halflife=34.0)),
            (ev.CredibilityChanged, 22.0, dict(credibility=0.425)),
            (ev.BrokerPraised, 40.0, dict(department="eng", credibility=0.6)),
            (ev.BrokerPraised, 60.0, dict(department="sales", credibility=0.7)),
            ended(94.0),
        ]
    )


def test_credibility_columns() -> None:
    s = scan(credibility_log())
    assert s.praises == 2
    same_floats(s.cred_time, [5.0, 22.0, 40.0, 60.0])
    same_floats(s.cred_value, [0.5, 0.425, 0.6, 0.7])
    assert (s.cred_floor, s.cred_halflife) == (0.2, 34.0)


def test_credibility_decays_from_the_last_level_at_or_before_each_instant() -> None:
    s = scan(credibility_log())
    got = s.credibility_at(np.array([0.0, 5.0, 22.0, 30.0, 60.0, 94.0]))
    assert math.isnan(got[0])  # before the broker took office
    # at a level's own instant, that level, undecayed
    assert (got[1], got[2], got[4]) == (0.5, 0.425, 0.7)
    # 8 days after 0.425, toward 0.2; one half-life (34 days) after 0.7: 0.2 + 0.5/2
    assert got[3] == pytest.approx(0.2 + 0.225 * 0.5 ** (8 / 34), rel=1e-12)
    assert got[5] == pytest.approx(0.45, rel=1e-12)


def test_a_level_recorded_without_an_appointment_does_not_decay() -> None:
    # no BrokerAppointed: the scan's floor 0 and endless half-life keep 0.3 as it is
    s = scan(build([(ev.CredibilityChanged, 10.0, dict(credibility=0.3)), ended(50.0)]))
    assert s.credibility_at(np.array([10.0, 50.0])).tolist() == [0.3, 0.3]


# ------------------------------------------------------------- quarters, budget


def test_quarters_set_the_broker_cost_per_day() -> None:
    # quarters of 50 days: 50 k$ (1 a day) from 0, 100 (2 a day) from 50
    s = scan(
        build(
            [
                founded(0.0, 1000.0, 0.0),
                (ev.QuarterStarted, 0.0, dict(quarter=0, available=100.0, broker_cost=50.0)),
                (ev.QuarterStarted, 50.0, dict(quarter=1, available=100.0, broker_cost=100.0)),
                ended(90.0),
            ]
        )
    )
    assert (s.quarter, s.quarter_time, s.broker_cost) == (1, [0.0, 50.0], [50.0, 100.0])
    # 1000 - 1 · 50 = 950 at 50, then 2 a day: 950 - 2 · 40 = 870 at the end
    assert (s.cash.cash, s.cash.broker, s.cash.burn) == (950.0, 2.0, 2.0)
    assert s.cash.at(90.0) == 870.0


def allocated(q: int, department: str, need: float, alloc: float) -> Row:
    fields = dict(quarter=q, department=department, need=need, request=need, allocated=alloc)
    return (ev.BudgetAllocated, 50.0 * q, fields)


def transfer(t: float, source: str, destination: str, amount: float) -> Row:
    fields = dict(source=source, destination=destination, amount=amount, conflict=0)
    return (ev.BudgetTransferred, t, fields)


def test_budget_quarters_fold_allocations_then_transfers() -> None:
    s = scan(
        build(
            [
                (ev.QuarterStarted, 0.0, dict(quarter=0, available=100.0, broker_cost=0.0)),
                allocated(0, "eng", need=30.0, alloc=40.0),
                allocated(0, "sales", need=10.0, alloc=20.0),
                transfer(10.0, "eng", "sales", 10.0),
                transfer(20.0, "eng", "ops", 5.0),  # ops has no allocation: 0 + 5
                transfer(30.0, "hr", "eng", 3.0),  # nor hr: 0 - 3
                (ev.QuarterStarted, 50.0, dict(quarter=1, available=40, broker_cost=0.0)),
                # whole numbers where the fields are floats: still float columns
                allocated(1, "eng", need=20, alloc=30),
                allocated(1, "sales", need=20, alloc=10),
                ended(100.0),
            ]
        )
    )
    (q0, alloc0, need0, names0), (q1, alloc1, need1, names1) = s.budget_quarters()
    # q0: eng 40 - 10 - 5 + 3 = 28, sales 20 + 10 = 30, ops 5, hr -3; no need for ops, hr
    assert (q0, names0) == (0, ["eng", "sales", "ops", "hr"])
    np.testing.assert_array_equal(alloc0, [28.0, 30.0, 5.0, -3.0])
    np.testing.assert_array_equal(need0, [30.0, 10.0, 0.0, 0.0])
    assert (q1, names1) == (1, ["eng", "sales"])
    np.testing.assert_array_equal(alloc1, [30.0, 10.0])
    np.testing.assert_array_equal(need1, [20.0, 20.0])
    for column in (alloc0, need0, alloc1, need1):
        assert column.dtype == np.float64


# ---------------------------------------------------------------- conflicts


def conflict_log() -> list[ev.Event]:
    """Five conflicts over [0, 50]:

    c0 raised 10, broker-detected 12.75 (surfaced again 14: the first counts),
    queued 13, mediated 15, resolved 35.5 in the company's interest;
    c1 raised 11, surfaced 20, queued 21, resolved 30 while still queued (good);
    c2 raised 12, broker-detected 16, lapsed 40;
    c3 raised 45, never detected, open at the end;
    c4 raised 46, broker-detected 47, queued 48, still queued at the end.
    """

    def detected(t: float, c: int, channel: str) -> Row:
        return (ev.ConflictDetected, t, dict(conflict=c, channel=channel))

    return build(
        [
            raised(10.0, 0),
            raised(11.0, 1),
            raised(12.0, 2),
            detected(12.75, 0, "broker"),
            (ev.MediationQueued, 13.0, dict(conflict=0)),
            detected(14.0, 0, "surfaced"),
            (ev.MediationStarted, 15.0, dict(conflict=0)),
            detected(16.0, 2, "broker"),
            detected(20.0, 1, "surfaced"),
            (ev.MediationQueued, 21.0, dict(conflict=1)),
            resolved(30.0, 1),
            resolved(35.5, 0),
            (ev.ConflictLapsed, 40.0, dict(conflict=2)),
            raised(45.0, 3),
            raised(46.0, 4),
            detected(47.0, 4, "broker"),
            (ev.MediationQueued, 48.0, dict(conflict=4)),
            ended(50.0),
        ]
    )


def test_conflict_columns() -> None:
    s = scan(conflict_log())
    assert s.conflict_at == {0: 0, 1: 1, 2: 2, 3: 3, 4: 4}
    assert [e.conflict for e in s.raised.values()] == [0, 1, 2, 3, 4]
    same_floats(s.raised_time, [10.0, 11.0, 12.0, 45.0, 46.0])
    same_floats(s.detect_time, [12.75, 20.0, 16.0, math.nan, 47.0])
    same_floats(s.close_time, [35.5, 30.0, 40.0, math.nan, math.nan])
    assert s.resolved == [True, True, False, False, False]
    assert (s.detected, s.detect_broker) == (4, 3)  # c0, c2, c4 by the broker
    assert (s.resolve_time, s.lapse_time) == ([30.0, 35.5], [40.0])
    assert s.resolve_good == 2


def test_mediation_columns() -> None:
    s = scan(conflict_log())
    same_floats(s.wait_start, [13.0, 21.0, 48.0])
    same_floats(s.wait_stop, [15.0, 30.0, math.nan])  # c1's censored at its close
    assert s.wait_ended == [True, False, False]
    assert s.queued == {4: 2}  # only c4 still waiting


def test_detect_resolve_and_mediation_waits() -> None:
    s = scan(conflict_log())
    durations, seen = s.detect_waits()
    # 12.75 - 10, 20 - 11, 16 - 12, c3 censored at the end 50 - 45, 47 - 46
    np.testing.assert_array_equal(durations, [2.75, 9.0, 4.0, 5.0, 1.0])
    np.testing.assert_array_equal(seen, [True, True, True, False, True])
    durations, ended_ = s.resolve_waits()
    # 35.5 - 10, 30 - 11, c2 censored at its lapse 40 - 12, c3 and c4 at the end
    np.testing.assert_array_equal(durations, [25.5, 19.0, 28.0, 5.0, 4.0])
    np.testing.assert_array_equal(ended_, [True, True, False, False, False])
    durations, mediated = s.mediation_waits()
    # 15 - 13; c1 closed while queued, 30 - 21; c4 queued at the end, 50 - 48
    np.testing.assert_array_equal(durations, [2.0, 9.0, 2.0])
    np.testing.assert_array_equal(mediated, [True, False, False])


def test_kaplan_meier_of_the_resolve_waits_by_hand() -> None:
    s = scan(conflict_log())
    times, survival = kaplan_meier(*s.resolve_waits())
    # sorted: 4 (censored), 5 (censored), 19, 25.5, 28 (censored). At 19 three are
    # at risk and one ends: S = 2/3; at 25.5 two at risk, one ends: S = 2/3 · 1/2
    np.testing.assert_array_equal(times, [19.0, 25.5])
    np.testing.assert_allclose(survival, [2 / 3, 1 / 3], rtol=1e-12)
    assert km_quantile((times, survival), 0.5) == 25.5


def test_open_conflicts_steps() -> None:
    # +1 at 10, 11, 12, 45, 46; -1 at 30 (c1), 35.5 (c0), 40 (c2)
    t, n = scan(conflict_log()).open_conflicts()
    np.testing.assert_array_equal(t, [0.0, 10.0, 11.0, 12.0, 30.0, 35.5, 40.0, 45.0, 46.0, 50.0])
    np.testing.assert_array_equal(n, [0, 1, 2, 3, 2, 1, 0, 1, 2, 2])


def test_waits_of_a_log_without_conflicts_are_empty_and_typed() -> None:
    s = scan(build([ended(10.0)]))
    for durations, flags in (s.detect_waits(), s.resolve_waits(), s.mediation_waits()):
        assert (durations.shape, durations.dtype) == ((0,), np.float64)
        assert (flags.shape, flags.dtype) == ((0,), np.bool_)
        assert np.count_nonzero(~flags) == 0  # the censored count a caller takes


@pytest.mark.parametrize(
    ("row", "name"),
    [
        ((ev.ConflictDetected, 5.0, dict(conflict=7, channel="broker")), "ConflictDetected"),
        (resolved(5.0, 7), "ConflictResolved"),
        ((ev.ConflictLapsed, 5.0, dict(conflict=7)), "ConflictLapsed"),
    ],
)
def test_a_conflict_never_raised_is_named_in_the_error(row: Row, name: str) -> None:
    events = build([raised(1.0, 0), row])
    with pytest.raises(EventOrderError, match=rf"^{name} at seq 2 names conflict 7, never raised$"):
        scan(events)


def test_an_escalation_of_a_conflict_on_the_desk_is_refused() -> None:
    rows = [raised(1.0, 3), (ev.ConflictEscalated, 2.0, dict(conflict=3, hours=8.0))]
    events = build([*rows, (ev.ConflictEscalated, 3.0, dict(conflict=3, hours=8.0))])
    with pytest.raises(EventOrderError, match=r"^ConflictEscalated at seq 3: 3 is on the desk$"):
        scan(events)


# ------------------------------------------------------- support and incidents


def test_support_and_privacy_incidents() -> None:
    support = dict(department="eng", demand=2.0, backlog_cost=0.5, abandonment=0.1)
    events = build(
        [
            (ev.SupportFounded, 0.0, support),
            (ev.PrivacyIncident, 10.0, dict(conflict=0, cost=5.0)),
            (ev.PrivacyIncident, 20.0, dict(conflict=1, cost=7.5)),
            ended(30.0),
        ]
    )
    s = scan(events)
    assert s.support is events[1]
    assert (s.incidents, s.incident_cost) == (2, 12.5)


def test_a_log_with_nothing_counts_zeros() -> None:
    s = scan(build([ended(10.0)]))
    assert (s.hires, s.leavers, s.poached, s.praises) == (0, 0, 0, 0)
    assert (s.detected, s.detect_broker, s.resolve_good, s.escalated) == (0, 0, 0, 0)
    assert (s.incidents, s.incident_cost, s.misaligned) == (0, 0.0, 0.0)
    assert s.support is None and math.isnan(s.failed_time)


# ------------------------------------------------------------------ numerics


def test_steps_start_at_zero_and_reach_the_end() -> None:
    # a first change at 0.5 still gets the level 0 on [0, 0.5)
    t, n = steps(np.array([0.5, 2.0]), np.array([1, -1]), 3.0)
    np.testing.assert_array_equal(t, [0.0, 0.5, 2.0, 3.0])
    np.testing.assert_array_equal(n, [0, 1, 0, 0])
    # a last change at the end itself is not repeated
    t, n = steps(np.array([1.0, 3.0]), np.array([1, 1]), 3.0)
    np.testing.assert_array_equal(t, [0.0, 1.0, 3.0])
    np.testing.assert_array_equal(n, [0, 1, 2])
    # simultaneous changes collapse into the level after all of them
    t, n = steps(np.array([2.0, 1.0, 2.0, 2.0]), np.array([1, 1, -1, 1]), 4.0)
    np.testing.assert_array_equal(t, [0.0, 1.0, 2.0, 4.0])
    np.testing.assert_array_equal(n, [0, 1, 2, 2])


def test_steps_are_float_times_and_integer_levels_whatever_they_are_given() -> None:
    t, n = steps([0, 5], [1, 1], 5)  # whole-number times
    np.testing.assert_array_equal(t, [0.0, 5.0])
    np.testing.assert_array_equal(n, [1, 2])
    assert (t.dtype, n.dtype) == (np.float64, np.int64)
    t, n = steps([], [], 10.0)  # no changes at all: 0 throughout
    np.testing.assert_array_equal(t, [0.0, 10.0])
    np.testing.assert_array_equal(n, [0, 0])
    assert (t.dtype, n.dtype) == (np.float64, np.int64)


def test_mean_and_percentile() -> None:
    assert mean([1.0, 2.0, 4.5]) == 2.5
    assert percentile([1.0, 2.0, 4.0], 50) == 2.0
    assert percentile([1.0, 2.0, 4.0], 75) == 3.0  # halfway from 2 to 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nan for nothing, without numpy's warning
        assert math.isnan(mean([]))
        assert math.isnan(percentile([], 50))


def test_per_quarter_sums_quarters_of_91_days() -> None:
    s = scan(build([ended(200.0)], quarter_days=91.0))
    assert s.quarters == 3  # [0, 91), [91, 182), [182, 200]
    times = [0.0, 90.9, 91.0, 181.99, 182.0, 200.0]
    weights = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    np.testing.assert_array_equal(per_quarter(s, times, weights), [3.0, 7.0, 11.0])
    np.testing.assert_array_equal(per_quarter(s, times), [2.0, 2.0, 2.0])


def test_per_quarter_counts_an_event_at_the_end_in_the_last_quarter() -> None:
    s = scan(build([ended(182.0)], quarter_days=91.0))
    assert s.quarters == 2
    got = per_quarter(s, [10.0, 182.0])  # 182 // 91 = 2, but there is no third quarter
    np.testing.assert_array_equal(got, [1.0, 1.0])
    assert got.dtype == np.float64


def test_per_quarter_of_a_window_of_no_length_is_empty() -> None:
    s = scan(build([ended(0.0)], quarter_days=91.0))
    assert s.quarters == 0
    got = per_quarter(s, [])
    assert (got.shape, got.dtype) == ((0,), np.float64)


def test_kaplan_meier_of_nothing_is_empty() -> None:
    times, survival = kaplan_meier([], [])
    assert (times.shape, survival.shape) == ((0,), (0,))


def test_kaplan_meier_with_one_censored_wait_step_by_step() -> None:
    # waits 3, 5 (censored), 6, 8: S(3) = 3/4; 5 leaves the risk set; S(6) = 3/4 · 1/2
    # (two at risk); S(8) = 0 (one at risk)
    times, survival = kaplan_meier([6.0, 3.0, 8.0, 5.0], [True, True, True, False])
    np.testing.assert_array_equal(times, [3.0, 6.0, 8.0])
    np.testing.assert_allclose(survival, [0.75, 0.375, 0.0], rtol=1e-12)
    assert (times.dtype, survival.dtype) == (np.float64, np.float64)


def test_a_survival_on_the_edge_of_the_tolerance_reaches_the_quantile() -> None:
    edge = 1.0 - 0.5 + KM_TOLERANCE  # S exactly at 1 - q + tolerance still counts
    assert km_quantile((np.array([7.0]), np.array([edge])), 0.5) == 7.0
    assert math.isnan(km_quantile((np.array([7.0]), np.array([edge + 1e-12])), 0.5))


def test_an_empty_scan_has_no_window_yet() -> None:
    s = Scan()
    assert (s.started, s.ended, s.end_time) == (None, False, None)
    assert (s.last_time, s.end) == (0.0, 0.0)
