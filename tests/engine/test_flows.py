"""Event-driven delivery and attrition, checked against answers worked out by hand.

Work is a flow: between two events every department's capacity and its people's
attrition hazard are constant, so a stage's finishing instant, and a person's
leaving instant, follow by arithmetic. The smallest cases below are computed on
paper in their docstrings and asserted exactly. The rest check what the flow design
promises: no dependence on the order departments are declared in, conservation of
work, and a log that holds the whole state (folding it at any time gives the live
state at that time).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pytest

from conftest import watched
from orgsim.engine import events as ev
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import fold
from orgsim.errors import ScenarioError
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Delivery, Scenario
from orgsim.scenario.structure import shape

OFF = {k: {"enabled": False} for k in Scenario().conflicts.kinds}


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def custom_work_only(**kind: Any) -> dict[str, Any]:
    """Conflict kinds: Sales' custom-work requests alone, with these settings."""
    return {"kinds": {**OFF, "custom_work": {"enabled": True, **kind}}}


def one_feature(
    staff: dict[str, int],
    stages: list[tuple[str, str, float]],
    team_cap: float = 100.0,
    order: list[str] | None = None,
) -> Scenario:
    """One feature, deterministic stages, no conflicts, attrition or hiring.

    ``stages`` are (name, department, person-days); every other department is
    switched off; ``order`` is the order the departments are declared in.
    """
    names = order or list(staff)
    departments: dict[str, Any] = {
        n: {"staff": staff[n], "attrition": 0.0} if n in staff else {"enabled": False}
        for n in names
    }
    for n in Scenario().departments:
        departments.setdefault(n, {"enabled": False})
    return parse_scenario(
        {
            "horizon": 200.0,
            "departments": departments,
            "delivery": {
                "products": 1,
                "initial_features": 1,
                "feature_interarrival": det(1e6),
                "due_in": det(1000.0),
                "team_cap": team_cap,
                "stages": [{"name": n, "department": d, "effort": det(e)} for n, d, e in stages],
            },
            "talent": {"skill_cv": 0.0, "max_hires_per_quarter": 0.0},
            "conflicts": {"intensity": 0.0, "kinds": OFF},
            "broker": {"enabled": False},
        }
    )


STAFF = {"product": 2, "engineering": 4, "qa": 3, "marketing": 1}
STAGES = [
    ("spec", "product", 10.0),
    ("build", "engineering", 40.0),
    ("test", "qa", 6.0),
    ("launch", "marketing", 3.0),
]


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal metric dicts, NaN equal to NaN (an undefined metric is undefined in both)."""
    return list(a) == list(b) and np.array_equal(list(a.values()), list(b.values()), equal_nan=True)


def stage_times(sc: Scenario) -> list[float]:
    """When each stage of the single feature finished (the last is its shipping)."""
    log = simulate(sc, seed=1).log
    return [e.time for e in log if isinstance(e, ev.StageCompleted | ev.FeatureShipped)]


# ---------------------------------------------------------- the critical path


def test_one_feature_ships_on_the_day_the_hand_calculation_gives() -> None:
    """spec 10/2 = 5 days, build 40/4 = 10, test 6/3 = 2, launch 3/1 = 3: day 5, 15, 17, 20."""
    assert stage_times(one_feature(STAFF, STAGES)) == [5.0, 15.0, 17.0, 20.0]


def test_swapping_who_tests_and_who_launches_keeps_the_hand_answer() -> None:
    """Marketing (3 people) tests, QA (1 person) launches: still 5, 15, 17, 20.

    The old daily tick worked a hand-off in the tick it arrived for departments
    declared later, so this swap moved shipping from day 18 to day 19.
    """
    staff = {"product": 2, "engineering": 4, "marketing": 3, "qa": 1}
    stages = [
        ("spec", "product", 10.0),
        ("build", "engineering", 40.0),
        ("test", "marketing", 6.0),
        ("launch", "qa", 3.0),
    ]
    assert stage_times(one_feature(staff, stages)) == [5.0, 15.0, 17.0, 20.0]


def test_a_binding_team_cap_gives_the_hand_answer() -> None:
    """20 engineers, at most 8 on one item: build takes 40/8 = 5 days; ships on day 15."""
    staff = {**STAFF, "engineering": 20}
    assert stage_times(one_feature(staff, STAGES, team_cap=8.0)) == [5.0, 10.0, 12.0, 15.0]


def test_two_features_share_a_department_by_priority_and_cap() -> None:
    """Two features due at once, build by 12 engineers with a cap of 8.

    Spec (product, 2 people, cap 8): both features are worked at once; the first
    gets 2 (all of product's capacity) and finishes at 10/2 = 5, then the second
    gets the 2 and finishes its 10 at day 10. Build: the first gets 8 of the 12
    from day 5, finishing 40/8 = 5 days later on day 10; the second gets 8 from
    day 10 on (the first is done), so on day 15. Test by 3 QA: day 12 and day 17;
    launch by 1: day 15 and day 20.
    """
    sc = one_feature({**STAFF, "engineering": 12}, STAGES, team_cap=8.0)
    sc = attrs.evolve(sc, delivery=attrs.evolve(sc.delivery, initial_features=2))
    times = sorted(stage_times(sc))
    assert times == [5.0, 10.0, 10.0, 12.0, 15.0, 15.0, 17.0, 20.0]


def test_there_is_no_tick_to_depend_on() -> None:
    assert "tick" not in {f.name for f in attrs.fields(Delivery)}
    with pytest.raises(ScenarioError, match=r"delivery\.tick: unknown key"):
        parse_scenario({"delivery": {"tick": 7.0}})


# ------------------------------------------------------------- order independence


def test_declaration_order_changes_nothing_in_a_deterministic_case() -> None:
    orders = [list(STAFF), list(reversed(STAFF)), ["qa", "product", "marketing", "engineering"]]
    results = [simulate(one_feature(STAFF, STAGES, order=o), seed=1) for o in orders]
    assert len({r.log.digest() for r in results}) == 1
    assert all(same(metrics(r.log), metrics(results[0].log)) for r in results)


def test_declaration_order_changes_nothing_in_a_stochastic_company() -> None:
    """The midsize company with its departments listed in reverse: same runs, seed by seed."""
    sc = parse_scenario({"horizon": 365.0})
    reverse = attrs.evolve(sc, departments=dict(reversed(list(sc.departments.items()))))
    assert list(reverse.departments) != list(sc.departments)
    for seed in (1, 2, 3):
        for broker in (True, False):
            a, b = simulate(sc, seed, broker=broker), simulate(reverse, seed, broker=broker)
            assert a.log.digest() == b.log.digest()
            assert same(metrics(a.log), metrics(b.log))


# ---------------------------------------------------------------------- attrition


def test_a_person_leaves_when_the_hazard_reaches_their_resilience() -> None:
    """One person, attrition share p: hazard h = -ln(1 - p)/365 a day; leaves at r/h."""
    share = 0.3
    sc = one_feature({"product": 1, "engineering": 1, "qa": 1, "marketing": 1}, STAGES)
    sc = attrs.evolve(
        sc,
        horizon=36_500.0,
        departments={
            **sc.departments,
            "qa": attrs.evolve(sc.departments["qa"], attrition=share),
        },
    )
    log = simulate(sc, seed=3).log
    hired = next(e for e in log if isinstance(e, ev.EmployeeHired) and e.department == "qa")
    left = next(e for e in log if isinstance(e, ev.EmployeeLeft) and e.employee == hired.employee)
    h = -math.log(1 - share) / 365
    assert left.time == pytest.approx(hired.resilience / h, rel=1e-12)


def test_conflicts_raise_the_hazard_from_the_instant_they_open() -> None:
    """h(t) = h0 · (1 + c · drag · S(t)), S the severity of sales' open conflicts.

    Conflicts never surface nor lapse here, so S only steps up, at each
    ``ConflictRaised``. Each founding salesperson leaves when H(t) = ∫ h reaches
    their resilience; that instant is computed piecewise from the log's own raises.
    """
    # 63 salespeople are 9 teams of 7: a team's drag of 0.9 is 0.1 for the department.
    # On one product, 9 x 29 = 261 interfaces with engineering: one conflict per 40
    # days when each interface has one per 40 x 261 days.
    h0, c, drag = -math.log(1 - 0.6) / 365, 4.0, 0.1
    sc = parse_scenario(
        {
            "horizon": 400.0,
            "departments": {"sales": {"staff": 63, "attrition": 0.6}},
            "delivery": {"products": 1},
            "talent": {"max_hires_per_quarter": 0.0, "conflict_attrition": c},
            "conflicts": {
                "drag": drag * 9,
                **custom_work_only(
                    interarrival=det(40.0 * 261), lifetime=det(1e6), surfacing=det(1e6)
                ),
            },
            "broker": {"enabled": False},
        }
    )
    assert shape(sc).interfaces("sales", "engineering") == 261
    log = simulate(sc, seed=2).log
    steps = [(e.time, e.severity) for e in log if isinstance(e, ev.ConflictRaised)]
    assert [t for t, _ in steps][:3] == [40.0, 80.0, 120.0]

    def leaves(r: float) -> float:
        t, total, severity = 0.0, 0.0, 0.0
        for t_next, s_next in [*steps, (math.inf, 0.0)]:
            rate = h0 * (1 + c * drag * severity)
            if total + rate * (t_next - t) >= r:
                return t + (r - total) / rate
            total += rate * (t_next - t)
            t, severity = t_next, severity + s_next
        return math.inf

    hired = {e.employee: e.resilience for e in log if isinstance(e, ev.EmployeeHired)}
    sales = {e.employee for e in log if isinstance(e, ev.EmployeeHired) and e.department == "sales"}
    left = {e.employee: e.time for e in log if isinstance(e, ev.EmployeeLeft)}
    checked = 0
    for emp in sales:
        expected = leaves(hired[emp])
        if expected <= sc.horizon:
            assert left[emp] == pytest.approx(expected, rel=1e-12, abs=1e-9)
            checked += 1
        else:
            assert emp not in left
    assert checked > 10


# ---------------------------------------------------------------------- hiring


def test_no_hiring_quota_means_no_hires() -> None:
    sc = parse_scenario({"horizon": 365.0, "talent": {"max_hires_per_quarter": 0.0}})
    for broker in (True, False):
        log = simulate(sc, seed=1, broker=broker).log
        assert not [e for e in log if isinstance(e, ev.RequisitionOpened)]
        assert not [e for e in log if isinstance(e, ev.EmployeeHired) and e.requisition >= 0]


def test_poached_people_keep_their_pay_and_ramp_up_again() -> None:
    """Engineering poaches support (95 k$): they keep 95, not engineering's 180, and ramp 90."""
    sc = parse_scenario(
        {
            "horizon": 300.0,
            "conflicts": {
                # 94.25 engineering-support interfaces: one poaching per 50 days
                "kinds": {**OFF, "poaching": {"enabled": True, "interarrival": det(50 * 94.25)}}
            },
            "broker": {"enabled": False},
        }
    )
    assert sc.departments["engineering"].salary == 180.0
    assert sc.departments["support"].salary == 95.0
    run = simulate(sc, seed=4)
    pay = {e.employee: e.salary for e in run.log if isinstance(e, ev.EmployeeHired)}
    ramped = {(e.employee, e.time) for e in run.log if isinstance(e, ev.EmployeeRamped)}
    moves = [e for e in run.log if isinstance(e, ev.EmployeeTransferred)]
    poached = [e for e in moves if e.source == "support"]
    assert poached
    for e in poached:
        person = fold(run.log, until=e.time).employees[e.employee]
        assert person.salary == pay[e.employee] == 95.0
        assert person.department == "engineering" and not person.ramped
        stays = fold(run.log, until=e.time + 90.0 - 1e-9).employees.get(e.employee)
        if e.time + 90.0 < sc.horizon and stays is not None and stays.moves == person.moves:
            assert not stays.ramped
            assert (e.employee, e.time + 90.0) in ramped


# ------------------------------------------------------------- conflicts lapse


@pytest.mark.slow
def test_a_lapse_frees_the_ceo_and_leaves_the_queues() -> None:
    """The CEO drops a conflict that lapses on the desk, with a CeoReleased then."""
    sc = parse_scenario(
        {
            "horizon": 2000.0,
            "ceo": {"hours": det(100.0)},
            "negotiation": {"success": 0.0, "duration": det(1.0)},
            "conflicts": custom_work_only(
                interarrival=det(10.0 * 101.5), surfacing=det(0.0), lifetime=det(60.0)
            ),
            "broker": {"enabled": False},
        }
    )
    log = simulate(sc, seed=1).log
    lapsed = {e.conflict: e.time for e in log if isinstance(e, ev.ConflictLapsed)}
    escalated = {e.conflict for e in log if isinstance(e, ev.ConflictEscalated)}
    on_desk = lapsed.keys() & escalated
    assert on_desk
    released = {e.conflict: e for e in log if isinstance(e, ev.CeoReleased)}
    for cid in on_desk:
        assert released[cid].time == lapsed[cid] and not released[cid].settled
    for t in sorted(lapsed.values()):
        state = fold(log, until=t)
        assert state.ceo_engaged <= 4 and state.ceo_waiting >= 0  # floor(8 / 2) get hours
        on = sum(item.rate > 0 for item in state.desk.items.values())
        waiting = sum(item.rate == 0 for item in state.desk.items.values())
        assert (state.ceo_engaged, state.ceo_waiting) == (on, waiting)
        assert all(state.conflicts[c].status == "escalated" for c in state.desk.items)


# ---------------------------------------------------------- the log is the state


@pytest.mark.parametrize("broker", [True, False], ids=["broker", "no-broker"])
def test_the_fold_at_any_time_is_the_live_state_then(broker: bool) -> None:
    """Snapshots of the live state at 40 random instants equal the log folded there."""
    sc = parse_scenario({"horizon": 400.0})
    run = Run(sc.with_broker(broker), seed=5)
    times = np.sort(np.random.default_rng(7).uniform(0.0, 400.0, 40))
    snapshots = watched(run, times, lambda state, t: (t, state.snapshot()))
    assert len(snapshots) == len(times)
    for t, live in snapshots:
        folded = fold(run.log, until=t).snapshot()
        assert folded == live, t
        assert folded["quarter"] >= 0 and folded["next_ids"]
    assert any(s["credibility_time"] > 0 for _, s in snapshots) == broker
