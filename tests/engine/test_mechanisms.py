"""Mechanisms of the model, each checked on values, and against theory where it exists."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from orgsim.analysis.theory import erlang_c_wait
from orgsim.engine import events as ev
from orgsim.engine.allocation import water_fill
from orgsim.engine.broker import credibility
from orgsim.engine.conflicts import raise_conflict
from orgsim.engine.log import replay
from orgsim.engine.resolution import settle
from orgsim.engine.run import Run, simulate
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario


def scenario(**overrides: object) -> Scenario:
    """The default scenario with dotted overrides, validated like a file."""
    data: dict = {}
    for path, value in overrides.items():
        node = data
        *head, last = path.split("__")
        for key in head:
            node = node.setdefault(key, {})
        node[last] = value
    return parse_scenario(data)


def only_conflict(kind: str, **extra: object) -> dict:
    """Overrides that switch off every conflict kind but one."""
    kinds = {k: {"enabled": k == kind} for k in Scenario().conflicts.kinds}
    kinds[kind].update(extra)
    return {"kinds": kinds}


# ------------------------------------------------------------------- budget


def test_water_fill_shares_by_pull_and_respects_caps() -> None:
    alloc = water_fill(100.0, {"a": 30.0, "b": 100.0, "c": 100.0}, {"a": 5.0, "b": 1.0, "c": 1.0})
    # a would get 71.4 by pull but is capped at 30; b and c split the rest evenly
    assert alloc == pytest.approx({"a": 30.0, "b": 35.0, "c": 35.0})
    plenty = water_fill(1000.0, {"a": 30.0, "b": 40.0}, {"a": 1.0, "b": 1.0})
    assert plenty == pytest.approx({"a": 30.0, "b": 40.0})
    assert sum(water_fill(50.0, {"a": 30.0, "b": 40.0}, {"a": 0.0, "b": 0.0}).values()) == (
        pytest.approx(50.0)
    )


def test_allocation_never_exceeds_what_is_available_and_power_tilts_it() -> None:
    run = simulate(scenario(horizon=400.0), seed=5, broker=False)
    quarters = [e for e in run.log if isinstance(e, ev.QuarterStarted)]
    for q in quarters:
        total = sum(
            e.allocated
            for e in run.log
            if isinstance(e, ev.BudgetAllocated) and e.quarter == q.quarter
        )
        assert total <= q.available + 1e-6
    # Empire building: without a broker, allocation/need is highest for the heavy,
    # biased departments (sales) and lowest for small ones (qa) when money is short.
    last = {
        e.department: e.allocated / e.need
        for e in run.log
        if isinstance(e, ev.BudgetAllocated) and e.quarter == quarters[-1].quarter
    }
    assert last["sales"] > last["qa"]


def test_neutral_broker_with_full_credibility_requests_exactly_the_need() -> None:
    sc = scenario(
        horizon=100.0,
        broker__budget_neutrality=1.0,
        broker__initial_credibility=1.0,
        broker__credibility_floor=1.0,
        broker__credibility_loss=0.0,
    )
    run = simulate(sc, seed=2, broker=True)
    for e in run.log:
        if isinstance(e, ev.BudgetAllocated):
            assert e.request == pytest.approx(e.need)


# ------------------------------------------------------------------- talent


def test_attrition_matches_the_exponential_survival_law() -> None:
    """No conflicts, no backfill: over a year, leavers ~ Binomial(N, attrition share).

    The annual share p is a constant hazard -ln(1 - p) per year, so a person stays
    the year with probability exp(ln(1 - p)) = 1 - p.
    """
    staff, share = 1000, 0.2
    sc = scenario(
        horizon=365.0,
        departments={"support": {"staff": staff, "attrition": share}},
        conflicts={"intensity": 0.0},
        budget={"headroom": 0.01, "reinvest_share": 0.0},
    )
    counts = []
    for seed in range(4):
        run = simulate(sc, seed=seed, broker=False)
        support = {
            e.employee
            for e in run.log
            if isinstance(e, ev.EmployeeHired) and e.department == "support"
        }
        counts.append(
            sum(1 for e in run.log if isinstance(e, ev.EmployeeLeft) and e.employee in support)
        )
    p = share
    mean, sd = staff * p, math.sqrt(staff * p * (1 - p) / len(counts))
    assert abs(np.mean(counts) - mean) < 4 * sd


def test_capacity_and_hazard_are_people_times_productivity_under_drag() -> None:
    """After any event, each department's rates are what its people and conflicts give.

    Since orgsim 0.3 a conflict drags the one team it touches: a department of
    ``t = ceil(staff / span)`` teams (its founding staff) loses ``drag / t`` per unit
    of severity; and Support's customer issues take its capacity before its queue
    (all of it while issues wait, the demand once they are worked off), so the
    queue shares what is left.
    """
    sc = scenario(horizon=200.0)
    run = simulate(sc, seed=4, broker=False)
    dl = sc.delivery
    span = sc.structure.span_of_control
    checked = 0
    for e in run.log[::97]:
        state = replay(run.log[: e.seq + 1]).state
        for name, d in state.departments.items():
            t = math.ceil(sc.departments[name].staff / span)
            exposure = sc.conflicts.drag / t * d.severity
            mult = max(dl.min_productivity, 1 - exposure)
            people = d.full_skill + dl.ramp_productivity * d.ramp_skill
            assert d.capacity == pytest.approx(people * mult)
            assert d.item_cap == pytest.approx(dl.team_cap * mult)
            share = sc.departments[name].attrition
            assert d.hazard_rate == pytest.approx(
                -math.log(1 - share) / 365 * (1 + sc.talent.conflict_attrition * exposure)
            )
            # customer issues first: all the capacity while they wait, else the demand
            if d.demand > 0.0:
                worked_off = d.issues <= 1e-6 and d.capacity >= d.demand
                assert d.served == (d.demand if worked_off else d.capacity)
                spare = d.capacity - d.served
            else:
                spare = d.capacity
            # the queue's head gets the team cap each, the rest is spent or idle
            rates = [entry[3].rate for entry in d.queue]
            assert sum(rates) == pytest.approx(min(spare, d.item_cap * len(rates)), abs=1e-9)
            assert all(r <= d.item_cap * (1 + 1e-12) for r in rates)
            checked += 1
    assert checked > 60


# ---------------------------------------------------------------- conflicts


def test_poaching_takes_the_best_people_and_a_target_win_returns_them() -> None:
    sc = scenario(horizon=10.0, conflicts=only_conflict("poaching", transfer_count=3))
    run = Run(sc, seed=1)
    run.setup()
    kind = sc.conflicts.kinds["poaching"]
    support = sorted(
        (p.skill, e) for e, p in run.state.employees.items() if p.department == "support"
    )
    best = {e for _, e in support[-3:]}
    raise_conflict(run, "poaching", kind, "engineering", "support")
    moved = [e for e in run.log if isinstance(e, ev.EmployeeTransferred)]
    assert {e.employee for e in moved} == best
    assert run.state.departments["support"].staff == 85 - 3
    assert run.state.departments["engineering"].staff == 200 + 3
    cid = moved[0].conflict
    settle(run, cid, kind, "negotiation", "target")
    assert run.state.departments["support"].staff == 85
    assert all(run.state.employees[e].department == "support" for e in best)
    assert run.state.conflicts[cid].status == "resolved"


@pytest.mark.parametrize(("side", "descoped"), [("target", True), ("initiator", False)])
def test_extra_work_is_descoped_only_when_the_target_prevails(side: str, descoped: bool) -> None:
    sc = scenario(horizon=10.0, conflicts=only_conflict("custom_work"))
    run = Run(sc, seed=1)
    run.setup()
    kind = sc.conflicts.kinds["custom_work"]
    raise_conflict(run, "custom_work", kind, "sales", "engineering")
    added = next(e for e in run.log if isinstance(e, ev.ExtraWorkAdded))
    assert f"X{added.work}" in [item for *_, item in run.state.departments["engineering"].queue]
    settle(run, added.conflict, kind, "mediation", side)
    assert any(isinstance(e, ev.ExtraWorkDescoped) for e in run.log) is descoped
    assert run.state.work[added.work].done is descoped


def test_open_conflicts_drag_both_sides_until_closed() -> None:
    sc = scenario(horizon=10.0, conflicts=only_conflict("custom_work"))
    run = Run(sc, seed=1)
    run.setup()
    kind = sc.conflicts.kinds["custom_work"]
    raise_conflict(run, "custom_work", kind, "sales", "engineering")
    raised = next(e for e in run.log if isinstance(e, ev.ConflictRaised))
    for dept in ("sales", "engineering"):
        assert run.state.departments[dept].severity == pytest.approx(raised.severity)
    settle(run, raised.conflict, kind, "negotiation", "initiator")
    for dept in ("sales", "engineering"):
        assert run.state.departments[dept].severity == pytest.approx(0.0)


def test_the_broker_detects_first_when_its_channel_is_faster() -> None:
    """Surfacing is per layer crossed, detection per team a line PM covers (orgsim 0.3).

    Sales (95) and Engineering (200) at span 7 have 3 layers each (7² = 49 < 95,
    200 ≤ 343 = 7³): 8.5 days a layer surface in 8.5 × 6 = 51 days. The other
    departments' teams, 29 + 6 + 8 + 14 + 13 = 70, over 22 line PMs (25 Product
    staff less floor(25 / 8) = 3 Directors) are 35 / 11 each: 1.1 days a team
    spot a conflict in 1.1 × 35 / 11 = 3.5 days.
    """
    sc = scenario(
        horizon=300.0,
        conflicts=only_conflict("custom_work", surfacing={"kind": "deterministic", "mean": 8.5}),
        broker={"detection": {"kind": "deterministic", "mean": 1.1}},
    )
    for broker, delay, channel in ((True, 3.5, "broker"), (False, 51.0, "surfaced")):
        run = simulate(sc, seed=3, broker=broker)
        raised = {e.conflict: e.time for e in run.log if isinstance(e, ev.ConflictRaised)}
        detected = [e for e in run.log if isinstance(e, ev.ConflictDetected)]
        assert detected
        for e in detected:
            assert e.channel == channel
            assert e.time - raised[e.conflict] == pytest.approx(delay)


def test_credibility_decays_halfway_to_the_floor_in_one_half_life() -> None:
    # no praise either: only decay moves credibility
    sc = scenario(horizon=10.0, conflicts={"intensity": 0.0}, broker__praise_gain=0.0)
    run = Run(sc, seed=1)
    run.setup()
    b = sc.broker
    run.env.run(until=b.credibility_halflife)
    assert credibility(run) == pytest.approx(
        b.credibility_floor + (b.initial_credibility - b.credibility_floor) / 2
    )


def test_conflicts_lapse_unresolved_after_their_lifetime() -> None:
    sc = scenario(
        horizon=200.0,
        conflicts=only_conflict(
            "custom_work",
            lifetime={"kind": "deterministic", "mean": 5.0},
            surfacing={"kind": "deterministic", "mean": 30.0},
        ),
    )
    run = simulate(sc, seed=1, broker=False)
    raised = {e.conflict: e.time for e in run.log if isinstance(e, ev.ConflictRaised)}
    lapsed = [e for e in run.log if isinstance(e, ev.ConflictLapsed)]
    assert raised and len(lapsed) == sum(1 for t in raised.values() if t + 5.0 <= 200.0)
    assert all(e.time - raised[e.conflict] == pytest.approx(5.0) for e in lapsed)
    assert not any(isinstance(e, ev.ConflictDetected | ev.ConflictResolved) for e in run.log)


# ---------------------------------------------------- common random numbers


def test_switching_the_broker_changes_no_draw_of_the_other_streams() -> None:
    sc = scenario(horizon=500.0)
    on = simulate(sc, seed=11, broker=True).log
    off = simulate(sc, seed=11, broker=False).log

    def planned(log: object) -> list[tuple]:
        return [
            (e.time, e.feature, e.product, e.efforts, e.value, e.due)
            for e in log  # type: ignore[attr-defined]
            if isinstance(e, ev.FeaturePlanned)
        ]

    def founders(log: object) -> list[tuple]:
        return [
            (e.employee, e.department, e.skill, e.resilience)
            for e in log  # type: ignore[attr-defined]
            if isinstance(e, ev.EmployeeHired) and e.requisition < 0
        ]

    def conflicts(log: object) -> dict[str, list[tuple]]:
        out: dict[str, list[tuple]] = defaultdict(list)
        for e in log:  # type: ignore[attr-defined]
            if isinstance(e, ev.ConflictRaised) and e.kind != "budget_dispute":
                out[e.kind].append((e.time, e.severity, e.company_side))
        return dict(out)

    assert planned(on) == planned(off) and len(planned(on)) > 100
    assert founders(on) == founders(off)
    assert conflicts(on) == conflicts(off)
    assert sum(map(len, conflicts(on).values())) > 20
    # and yet the arms differ: the broker acted
    assert on.digest() != off.digest()


def test_same_seed_same_log_and_replications_differ() -> None:
    sc = scenario(horizon=300.0)
    a = simulate(sc, seed=7, replication=0).log.digest()
    assert simulate(sc, seed=7, replication=0).log.digest() == a
    assert simulate(sc, seed=7, replication=1).log.digest() != a


# --------------------------------------------------------- queueing theory


@pytest.mark.slow
def test_mediation_queue_matches_erlang_c_in_its_textbook_configuration() -> None:
    """Poisson arrivals, exponential mediation, instant detection, certain success."""
    lam, mean_service, c = 1 / 5.0, 8.0, 2
    sc = scenario(
        horizon=6000.0,
        budget__cash=1e12,  # over 16 years the midsize company would run out of cash
        conflicts=only_conflict(
            "custom_work",
            # 101.5 sales-engineering interfaces add up to arrivals at rate lam
            interarrival={"kind": "exponential", "mean": 101.5 / lam},
            surfacing={"kind": "deterministic", "mean": 0.0},
            lifetime={"kind": "deterministic", "mean": 1e9},
        ),
        broker={
            "mediators": c,
            "detection": {"kind": "deterministic", "mean": 0.0},
            "mediation": {"kind": "exponential", "mean": mean_service},
            "success_base": 1.0,
            "queue_limit": 0,
        },
        # no market shifts: realignments would take the mediators' time too
        market={"shift_interarrival": {"kind": "deterministic", "mean": 1e9}},
    )
    means = []
    for rep in range(8):
        log = simulate(sc, seed=21, replication=rep, broker=True).log
        queued = {e.conflict: e.time for e in log if isinstance(e, ev.MediationQueued)}
        waits = [e.time - queued[e.conflict] for e in log if isinstance(e, ev.MediationStarted)]
        waits = waits[len(waits) // 10 :]  # drop the warm-up
        means.append(np.mean(waits))
    theory = erlang_c_wait(lam, 1 / mean_service, c)
    mean = float(np.mean(means))
    half = 2.365 * np.std(means, ddof=1) / math.sqrt(len(means))  # t(0.975, 7)
    assert abs(mean - theory) <= half, (mean, half, theory)
    assert half < 0.25 * theory  # the check has teeth
