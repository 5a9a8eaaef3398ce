"""Values of a budget dispute's settlement, of the CEO's decision, and of the mediation queue.

- :func:`orgsim.engine.resolution.settle` for a budget dispute the initiator wins moves
  ``min(transfer_share * gap, surplus)`` from the target to the initiator, where the
  gap is the initiator's ``need - allocated`` and the surplus the target's
  ``allocated - need`` (each floored at 0), then rebalances the target, then the
  initiator. Nothing moves without a positive amount.
- :func:`orgsim.engine.conflicts.ceo_decides` settles when the CEO's success draw is
  below ``ceo.success`` (and the conflict is still open); it then takes the company's
  side when the insight draw is below ``insight + (1 - insight) * briefing``, else
  lets power decide with exponent 1.
- :func:`orgsim.engine.broker.takes_on` sends a detected conflict to mediation while
  fewer than ``queue_limit`` wait for a mediator (0: no limit); the overflow is
  negotiated bilaterally.

Each case calls the mechanism directly on a set-up run, with hand-recorded state.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import (
    KIND,
    conflict_draws,
    kinds_off,
    one_conflict_scenario,
    one_stage_company,
    raise_by_hand,
)
from orgsim.engine import events as ev
from orgsim.engine.broker import takes_on
from orgsim.engine.conflicts import _life, ceo_decides
from orgsim.engine.context import Proc
from orgsim.engine.resolution import settle
from orgsim.engine.run import Run
from orgsim.scenario.schema import Scenario

# ------------------------------------------------------------ settle: budget

#: One head for a quarter: salary 365 k$ a year times a quarter of 91.25 / 365 = 0.25.
P = 91.25
DISPUTE = "budget_dispute"


def budget_company(transfer_share: float) -> Scenario:
    """Engineering (the initiator) and Sales (the target), one person each at 365 k$.

    ``max_hires_per_quarter`` 0.15 of one person: a quota of max(1, int(0.15)) = 1.
    """
    person = {"staff": 1, "salary": 365.0, "attrition": 0.0}
    kinds = kinds_off() | {DISPUTE: {"enabled": True, "transfer_share": transfer_share}}
    return one_stage_company(
        {"engineering": person, "sales": person},
        horizon=100.0,
        conflicts={"intensity": 0.0, "kinds": kinds},
        talent={"skill_cv": 0.0, "max_hires_per_quarter": 0.15},
    )


def dispute(
    transfer_share: float,
    eng: tuple[float, float],
    sales: tuple[float, float],
    side: str = "initiator",
    sales_open: int = 0,
) -> Run:
    """Allocate (need, allocated) to each side, raise the dispute and settle it for ``side``.

    ``sales_open``: requisitions Sales has open beforehand (numbered from 0).
    """
    sc = budget_company(transfer_share)
    run = Run(sc, seed=1)
    run.setup()
    assert run.quarter_share == 0.25
    for name, (need, allocated) in (("engineering", eng), ("sales", sales)):
        run.record(
            ev.BudgetAllocated,
            quarter=0,
            department=name,
            need=need,
            request=need,
            allocated=allocated,
        )
    for req in range(sales_open):
        run.record(ev.RequisitionOpened, requisition=req, department="sales")
    run.record(
        ev.ConflictRaised,
        conflict=0,
        kind=DISPUTE,
        initiator="engineering",
        target="sales",
        severity=0.0,
        company_side="initiator",
    )
    settle(run, 0, sc.conflicts.kinds[DISPUTE], "negotiation", side)
    return run


def after_resolution(run: Run) -> list[tuple[str, Any]]:
    """What followed the ConflictResolved: transfers and requisitions, in order."""
    seqs = [i for i, e in enumerate(run.log) if isinstance(e, ev.ConflictResolved)]
    (at,) = seqs
    out: list[tuple[str, Any]] = []
    for e in list(run.log)[at + 1 :]:
        if isinstance(e, ev.BudgetTransferred):
            out.append(("BudgetTransferred", (e.source, e.destination, e.amount, e.conflict)))
        elif isinstance(e, ev.RequisitionOpened):
            out.append(("RequisitionOpened", (e.requisition, e.department)))
        elif isinstance(e, ev.RequisitionCancelled):
            out.append(("RequisitionCancelled", e.requisition))
        else:
            out.append((type(e).__name__, None))
    return out


def test_a_won_budget_dispute_moves_the_share_of_the_gap_when_the_surplus_covers_it() -> None:
    # Engineering: need 4P = 365, allocated P = 91.25: gap 3P = 273.75.
    # Sales: need P, allocated 3P = 273.75: surplus 2P = 182.5.
    # amount = min(0.5 * 273.75, 182.5) = 136.875 (1.5 heads).
    # Sales rebalances first: allocated 136.875 -> funded int(1.5) = 1, wanted int(1.5) = 1,
    # has 1: nothing. Engineering: 228.125 -> funded int(2.5) = 2, wanted int(4.5) = 4:
    # target 2, has 1, quota 1: one requisition, number 0.
    run = dispute(0.5, eng=(4 * P, P), sales=(P, 3 * P))
    assert after_resolution(run) == [
        ("BudgetTransferred", ("sales", "engineering", 136.875, 0)),
        ("RequisitionOpened", (0, "engineering")),
    ]
    deps = run.state.departments
    assert (deps["engineering"].allocated, deps["sales"].allocated) == (228.125, 136.875)


def test_a_won_budget_dispute_moves_no_more_than_the_targets_surplus() -> None:
    # Engineering: gap 3P = 273.75, half of it 136.875. Sales: need 1.6P = 146, allocated
    # 3P = 273.75: surplus 127.75 < 136.875, so 127.75 moves.
    # Sales (with one requisition open, so it has 2): allocated 146 -> funded int(1.6) = 1,
    # wanted int(2.1) = 2: target 1, the open requisition 0 is cancelled.
    # Engineering: 91.25 + 127.75 = 219 = 2.4P -> funded 2, wanted 4: target 2, opens 1.
    run = dispute(0.5, eng=(4 * P, P), sales=(1.6 * P, 3 * P), sales_open=1)
    assert after_resolution(run) == [
        ("BudgetTransferred", ("sales", "engineering", 127.75, 0)),
        ("RequisitionCancelled", 0),
        ("RequisitionOpened", (1, "engineering")),
    ]
    deps = run.state.departments
    assert (deps["engineering"].allocated, deps["sales"].allocated) == (219.0, 146.0)


def test_a_whole_gap_moves_at_transfer_share_one() -> None:
    # gap 2P = 182.5 (need 3P, allocated P); Sales' surplus 2P: min(1 * 182.5, 182.5) = 182.5
    run = dispute(1.0, eng=(3 * P, P), sales=(P, 3 * P))
    (moved,) = [e for e in run.log if isinstance(e, ev.BudgetTransferred)]
    assert moved.amount == 182.5


@pytest.mark.parametrize(
    ("eng", "sales"),
    [
        ((4 * P, P), (3 * P, 3 * P)),  # the target is funded exactly at its need: surplus 0
        ((4 * P, P), (4 * P, 3 * P)),  # the target is short itself: surplus max(0, -P) = 0
        ((P, 2 * P), (P, 3 * P)),  # the initiator is not short: gap max(0, -P) = 0
    ],
    ids=["target-at-need", "target-short", "initiator-not-short"],
)
def test_a_won_budget_dispute_without_a_positive_amount_moves_nothing(
    eng: tuple[float, float], sales: tuple[float, float]
) -> None:
    run = dispute(0.5, eng=eng, sales=sales)
    assert after_resolution(run) == []  # no transfer, and neither side rebalances
    deps = run.state.departments
    assert (deps["engineering"].allocated, deps["sales"].allocated) == (eng[1], sales[1])


def test_a_budget_dispute_the_target_wins_moves_nothing() -> None:
    run = dispute(0.5, eng=(4 * P, P), sales=(P, 3 * P), side="target")
    assert after_resolution(run) == []
    (resolved,) = [e for e in run.log if isinstance(e, ev.ConflictResolved)]
    assert (resolved.winner, resolved.company_interest) == ("sales", False)


# ------------------------------------------------------------ the CEO decides

#: Political weight is the staff share alone: marketing 55, engineering 200 of the
#: default company's 500. Power at exponent 1 gives the initiator p = 55 / 255 = 0.2157
#: (at the negotiation's exponent 2 it would be 55**2 / (55**2 + 200**2) = 0.0703).
CEO = {"success": 0.8, "insight": 0.5}


def ceo_run() -> tuple[Run, Scenario]:
    sc = one_conflict_scenario(budget={"weight_budget_share": 0.0}, ceo=CEO)
    run = Run(sc, seed=1)
    run.setup()
    return run, sc


def decide(
    briefing: float = 0.0,
    company_side: str = "target",
    closed: bool = False,
    **draws: float,
) -> tuple[Run, bool]:
    """Conflict 0 (marketing against engineering) escalated with ``briefing``; the CEO decides.

    Returns the run and whether the conflict's process was woken.
    """
    run, sc = ceo_run()
    raise_by_hand(run, company_side=company_side)
    if briefing:
        run.record(ev.MediationFailed, conflict=0, briefing=briefing)
    run.record(ev.ConflictEscalated, conflict=0, hours=1.0)
    if closed:
        run.record(ev.ConflictLapsed, conflict=0)
    decided = run.env.event()
    ceo_decides(run, 0, sc.conflicts.kinds[KIND], conflict_draws(**draws), decided)
    return run, decided.triggered


def released(run: Run) -> list[bool]:
    return [e.settled for e in run.log if isinstance(e, ev.CeoReleased)]


def resolutions(run: Run) -> list[tuple[str, str, bool]]:
    return [
        (e.forum, e.winner, e.company_interest)
        for e in run.log
        if isinstance(e, ev.ConflictResolved)
    ]


def test_a_ceo_success_draw_equal_to_the_ceos_success_fails() -> None:
    # 0.8 is not below success 0.8: released unsettled, no resolution, the process woken
    run, woken = decide(ceo_success=0.8, ceo_insight=0.0)
    assert released(run) == [False]
    assert resolutions(run) == []
    assert woken is True
    assert run.state.conflicts[0].status == "stuck"
    assert run.state.conflicts[0].closed < 0


def test_a_ceo_success_draw_below_the_ceos_success_settles() -> None:
    # 0.79 < 0.8: settled; insight draw 0 < 0.5: the company's side, the target
    run, woken = decide(ceo_success=0.79, ceo_insight=0.0)
    assert released(run) == [True]
    assert resolutions(run) == [("ceo", "engineering", True)]
    assert woken is True


def test_the_ceo_does_not_settle_a_conflict_that_closed_meanwhile() -> None:
    # lapsed before the hours ran out: even a success draw of 0 settles nothing
    run, woken = decide(ceo_success=0.0, ceo_insight=0.0, closed=True)
    assert released(run) == [False]
    assert resolutions(run) == []
    assert woken is True


def test_the_briefing_closes_part_of_the_ceos_blind_spot() -> None:
    # insight 0.5 + (1 - 0.5) * briefing 0.4 = 0.7: an insight draw of 0.69 < 0.7 takes
    # the company's side (the target, engineering), though 0.69 is above insight 0.5
    # alone, and a power draw of 0.1 < 0.2157 would have given it to marketing
    run, _ = decide(briefing=0.4, ceo_success=0.0, ceo_insight=0.69, ceo_winner=0.1)
    assert resolutions(run) == [("ceo", "engineering", True)]


def test_an_insight_draw_at_the_briefed_insight_lets_power_decide_with_exponent_one() -> None:
    # 0.7 is not below 0.7: power; a draw of 0.1 < 55/255 = 0.2157 gives the initiator,
    # marketing, against the company (at exponent 2, p = 0.0703, it would be engineering)
    run, _ = decide(briefing=0.4, ceo_success=0.0, ceo_insight=0.7, ceo_winner=0.1)
    assert resolutions(run) == [("ceo", "marketing", False)]


def test_power_gives_the_target_a_ceo_decision_above_the_initiators_chance() -> None:
    # no briefing: insight 0.5; draw 0.6 not below it: power; 0.3 >= 0.2157: engineering
    run, _ = decide(ceo_success=0.0, ceo_insight=0.6, ceo_winner=0.3, company_side="initiator")
    assert resolutions(run) == [("ceo", "engineering", False)]


def test_without_a_briefing_an_insight_draw_between_the_two_levels_goes_to_power() -> None:
    # no briefing: insight 0.5; 0.69 is not below it: power; 0.1 < 0.2157: marketing
    run, _ = decide(ceo_success=0.0, ceo_insight=0.69, ceo_winner=0.1)
    assert resolutions(run) == [("ceo", "marketing", False)]


# ------------------------------------------------------------ the mediation queue


def broker_run(queue_limit: int, broker: bool = True) -> tuple[Run, Scenario]:
    sc = one_conflict_scenario(
        budget={"weight_budget_share": 0.0},
        broker={"enabled": broker, "queue_limit": queue_limit, "praise_gain": 0.0},
        market={"shift_interarrival": {"kind": "deterministic", "mean": 1e9}},
    )
    run = Run(sc, seed=1)
    run.setup()
    return run, sc


def queue(run: Run, n: int) -> None:
    """Conflicts 0 .. n-1 raised and waiting for a mediator."""
    for c in range(n):
        raise_by_hand(run, conflict=c)
        run.record(ev.MediationQueued, conflict=c)


@pytest.mark.parametrize(
    ("limit", "waiting", "expected"),
    [
        (1, 0, True),  # 0 < 1: room
        (1, 1, False),  # 1 is not below 1: full
        (2, 1, True),
        (2, 2, False),
        (0, 5, True),  # no limit
    ],
)
def test_the_broker_takes_on_a_conflict_while_fewer_than_the_limit_wait(
    limit: int, waiting: int, expected: bool
) -> None:
    run, _ = broker_run(limit)
    queue(run, waiting)
    assert run.state.mediation_waiting == waiting
    assert takes_on(run) is expected


def test_a_conflict_being_mediated_does_not_count_against_the_limit() -> None:
    # conflict 0 left the queue for a mediator: 0 waiting, room under a limit of 1
    run, _ = broker_run(1)
    queue(run, 1)
    run.record(ev.MediationStarted, conflict=0)
    assert (run.state.mediation_waiting, takes_on(run)) == (0, True)


def test_without_the_broker_nothing_is_taken_on() -> None:
    run, _ = broker_run(0, broker=False)
    assert takes_on(run) is False


def test_the_overflow_of_a_full_queue_is_negotiated() -> None:
    """queue_limit 1, every mediator held until day 50; two conflicts detected at day 0.

    The first finds 0 waiting: mediation (MediationQueued, it waits). The second finds
    1 waiting, not below 1: bilateral negotiation (NegotiationStarted).
    """
    run, sc = broker_run(1)
    kind = sc.conflicts.kinds[KIND]

    def hold(ctx: Run) -> Proc:
        slots = [ctx.mediators.request() for _ in range(ctx.mediators.capacity)]
        for slot in slots:
            yield slot
        yield ctx.env.timeout(50.0)
        for slot in slots:
            ctx.mediators.release(slot)

    run.env.process(hold(run))
    # no surfacing: detected at 0; the broker's detection draw is inf (never first)
    d = conflict_draws(surfacing=0.0, negotiation_days=100.0, mediation_days=1000.0)
    for c in (0, 1):
        raise_by_hand(run, conflict=c)
        run.env.process(_life(run, c, kind, d))
    run.env.run(until=10.0)
    forum = {
        e.conflict: type(e).__name__
        for e in run.log
        if isinstance(e, (ev.MediationQueued, ev.NegotiationStarted))
    }
    assert forum == {0: "MediationQueued", 1: "NegotiationStarted"}
    detected = [
        (e.conflict, e.time, e.channel) for e in run.log if isinstance(e, ev.ConflictDetected)
    ]
    assert detected == [(0, 0.0, "surfaced"), (1, 0.0, "surfaced")]
