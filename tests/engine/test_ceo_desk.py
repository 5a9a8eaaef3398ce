"""The CEO's desk: hours a week shared among the open escalations, checked by hand.

The CEO gives escalations ``H`` hours a week in all, at most ``c`` to any one, in
order of arrival (:class:`orgsim.engine.state.Desk`): the first ``floor(H / c)``
get ``c`` each, the next what is left, the rest wait. An escalation needing ``h``
hours at ``r`` hours a week is decided ``7 h / r`` days on, unless a departure
changes its share first. The hand cases below are worked in their docstrings and
asserted exactly, on hand-made logs (the state's arithmetic) and on runs (the
engine's desk timer); then what the design promises: the desk conserves hours, the
``ceo_hours`` metric is the hours worked, and the log holds the desk (the fold at
any instant is the live state then).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from builders import run_fields
from conftest import watched
from orgsim.engine import events as ev
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import OrgState, apply, fold
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario
from orgsim.scenario.structure import shape

Row = tuple[type[ev.Event], float, dict[str, Any]]


def build(rows: list[Row]) -> list[ev.Event]:
    return [cls(seq=i, time=t, **fields) for i, (cls, t, fields) in enumerate(rows)]


def start(hours_per_week: float, max_hours_per_week: float, horizon: float = 100.0) -> list[Row]:
    """A run with two departments and a CEO giving escalations these hours."""
    fields = run_fields(
        scenario="desk",
        horizon=horizon,
        ceo_hours_per_week=hours_per_week,
        ceo_max_hours_per_week=max_hours_per_week,
    )
    dept = dict(salary=100.0, bias=0.0, attrition=0.0, overhead=0.0, teams=1, layers=1)
    return [
        (ev.RunStarted, 0.0, fields),
        (ev.DepartmentFormed, 0.0, dict(department="eng", **dept)),
        (ev.DepartmentFormed, 0.0, dict(department="sales", **dept)),
    ]


def escalate(t: float, c: int, hours: float) -> list[Row]:
    raised = dict(conflict=c, kind="k", initiator="sales", target="eng", severity=0.0)
    return [
        (ev.ConflictRaised, t, raised | dict(company_side="initiator")),
        (ev.ConflictEscalated, t, dict(conflict=c, hours=hours)),
    ]


def decided(t: float, c: int) -> list[Row]:
    resolved = dict(conflict=c, forum="ceo", winner="sales", company_interest=True)
    return [
        (ev.CeoReleased, t, dict(conflict=c, settled=True)),
        (ev.ConflictResolved, t, resolved),
    ]


def lapsed(t: float, c: int) -> list[Row]:
    return [
        (ev.ConflictLapsed, t, dict(conflict=c)),
        (ev.CeoReleased, t, dict(conflict=c, settled=False)),
    ]


def three_at_zero(hours_per_week: float = 4.0) -> list[Row]:
    return [*start(hours_per_week, 2.0), *(r for c in range(3) for r in escalate(0.0, c, 6.0))]


def rates(state: OrgState) -> dict[int, float]:
    return {c: item.rate for c, item in state.desk.items.items()}


def finishes(state: OrgState) -> dict[int, float]:
    return {c: item.finish for c, item in state.desk.items.items()}


def conserved(state: OrgState, t: float) -> float:
    """``worked + Σ remaining + dropped`` at ``t``: the hours every escalation needed."""
    desk = state.desk
    left = sum(desk.remaining_at(c, t) for c in desk.items)
    return desk.worked_at(t) + left + desk.dropped


# ------------------------------------------------------------ by hand, the state


def test_two_share_the_hours_and_the_third_waits() -> None:
    """H = 4, c = 2 hours a week; three escalations of 6 hours arrive at 0.

    floor(4 / 2) = 2 get 2 hours a week: 6 hours take 3 weeks, day 21. The third
    waits (rate 0), then gets 2 hours a week from day 21: day 42.
    """
    state = fold(build(three_at_zero()))
    assert rates(state) == {0: 2.0, 1: 2.0, 2: 0.0}
    assert finishes(state) == {0: 21.0, 1: 21.0, 2: float("inf")}
    assert state.desk.next_time == 21.0
    assert (state.ceo_engaged, state.ceo_waiting) == (2, 1)
    state = fold(build([*three_at_zero(), *decided(21.0, 0), *decided(21.0, 1)]))
    assert rates(state) == {2: 2.0}
    assert state.desk.next_time == 42.0
    assert (state.ceo_engaged, state.ceo_waiting) == (1, 0)
    state = fold(build([*three_at_zero(), *decided(21.0, 0), *decided(21.0, 1), *decided(42.0, 2)]))
    assert not state.desk.items and state.desk.next_time == float("inf")
    assert state.desk.worked == 18.0 == state.desk.needed and state.desk.dropped == 0.0
    assert state.conflicts[2].status == "resolved"


def test_a_lapse_frees_its_share_for_the_one_waiting() -> None:
    """As above, but the first lapses at day 7, having had 2 of its 6 hours.

    The second keeps its 2 hours a week: day 21. The third gets the freed 2 from
    day 7: 6 hours in 3 weeks, day 28. The first's 4 hours left are dropped, never
    worked: by day 28 the CEO worked 2 + 6 + 6 = 14 of the 18 hours needed.
    """
    rows = [*three_at_zero(), *lapsed(7.0, 0)]
    state = fold(build(rows))
    assert rates(state) == {1: 2.0, 2: 2.0}
    assert finishes(state) == {1: 21.0, 2: 28.0}
    assert state.desk.dropped == 4.0 and state.desk.worked == 4.0  # two had 2 each
    assert state.conflicts[0].status == "lapsed"
    state = fold(build([*rows, *decided(21.0, 1), *decided(28.0, 2)]))
    assert state.desk.worked == 14.0 and state.desk.dropped == 4.0
    assert state.desk.worked + state.desk.dropped == state.desk.needed == 18.0


def test_what_is_left_of_the_hours_goes_to_the_next_in_line() -> None:
    """H = 5, c = 2: two get 2 hours a week, the third the 1 left.

    The first two are decided at day 21. By then the third has had 1 hour a week
    for 3 weeks, 3 hours; its other 3 take 7 · 3 / 2 = 10.5 days at 2 a week: 31.5.
    """
    state = fold(build(three_at_zero(5.0)))
    assert rates(state) == {0: 2.0, 1: 2.0, 2: 1.0}
    assert finishes(state) == {0: 21.0, 1: 21.0, 2: 42.0}
    assert (state.ceo_engaged, state.ceo_waiting) == (3, 0)
    state = fold(build([*three_at_zero(5.0), *decided(21.0, 0), *decided(21.0, 1)]))
    assert rates(state) == {2: 2.0}
    assert state.desk.remaining_at(2, 21.0) == 3.0
    assert state.desk.next_time == 31.5


def test_the_desk_conserves_hours_at_every_event() -> None:
    """worked + remaining + dropped = needed, after every event of a busy desk."""
    rows = [*start(5.0, 2.0)]
    for c, (t, h) in enumerate([(0.0, 6.0), (1.0, 3.5), (2.5, 9.0), (4.0, 1.0), (9.0, 2.0)]):
        rows += escalate(t, c, h)
    rows += lapsed(12.0, 2)
    rows += lapsed(13.0, 0)
    state = OrgState()
    for event in build(rows):
        apply(state, event)
        assert conserved(state, event.time) == pytest.approx(state.desk.needed, abs=1e-12)
    assert state.desk.needed == 6.0 + 3.5 + 9.0 + 1.0 + 2.0


def test_ceo_hours_is_the_hours_worked_by_hand() -> None:
    """The two-then-one case, run ended at day 30: the CEO worked 12 hours by day 21
    on the first two and 2 · 9 / 7 on the third from 21 to 30.

    The CEO had 4 hours a week for 30 days, 4 · 30 / 7 hours, for escalations.
    """
    rows = [*three_at_zero(), *decided(21.0, 0), *decided(21.0, 1), (ev.RunEnded, 30.0, {})]
    rows[0][2]["horizon"] = 30.0
    m = metrics(build(rows))
    assert m["ceo_hours"] == pytest.approx(12.0 + 2.0 * 9.0 / 7.0, rel=1e-15)
    assert m["ceo_load"] == pytest.approx((12.0 + 18.0 / 7.0) / (4.0 * 30.0 / 7.0), rel=1e-15)
    assert m["ceo_hours"] == fold(build(rows)).desk.worked_at(30.0)


# --------------------------------------------------------- by hand, the engine

OFF = {k: {"enabled": False} for k in Scenario().conflicts.kinds}
KINDS = ("custom_work", "poaching", "cross_initiative")  # each crosses 3 + 3 layers
SIDES = {k: (v.initiator, v.target) for k, v in Scenario().conflicts.kinds.items()}


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def three_kinds(lifetimes: tuple[float, float, float] = (1000.0, 1000.0, 1000.0)) -> Scenario:
    """Three conflict kinds, each raised once at day 50, escalated at 51 with 6 hours.

    No surfacing delay, negotiation always fails after a day (each kind crosses six
    layers: a sixth of a day per layer), nor climb, the CEO always settles; H = 4,
    c = 2 hours a week; the next conflicts would arrive at day 100 (each kind's
    interval per interface is 50 days times its interfaces).
    """
    shp = shape(Scenario())
    kinds = {
        k: {
            "enabled": True,
            "interarrival": det(50.0 * shp.interfaces(*SIDES[k])),
            "surfacing": det(0.0),
            "lifetime": det(life),
        }
        for k, life in zip(KINDS, lifetimes, strict=True)
    }
    return parse_scenario(
        {
            "horizon": 99.0,
            "ceo": {
                "hours_per_week": 4.0,
                "max_hours_per_week": 2.0,
                "hours": det(6.0),
                "success": 1.0,
            },
            "negotiation": {"success": 0.0, "duration": det(1.0 / 6.0), "climb": det(0.0)},
            "conflicts": {"kinds": {**OFF, **kinds}},
            "broker": {"enabled": False},
        }
    )


def ceo_events(sc: Scenario) -> list[tuple[str, float, int]]:
    log = simulate(sc, seed=1).log
    kinds = (ev.ConflictEscalated, ev.CeoReleased, ev.ConflictLapsed)
    return [(type(e).__name__, e.time, e.conflict) for e in log if isinstance(e, kinds)]


def test_the_desk_timer_decides_when_the_hours_run_out() -> None:
    """Escalated at 51: two decided 21 days on, at 72; the third 21 days later, at 93."""
    log = simulate(three_kinds(), seed=1).log
    escalated = [e for e in log if isinstance(e, ev.ConflictEscalated)]
    assert [(e.time, e.hours) for e in escalated] == [(51.0, 6.0)] * 3
    first, second, third = (e.conflict for e in escalated)
    released = {e.conflict: (e.time, e.settled) for e in log if isinstance(e, ev.CeoReleased)}
    assert released == {first: (72.0, True), second: (72.0, True), third: (93.0, True)}
    resolved = {e.conflict: (e.time, e.forum) for e in log if isinstance(e, ev.ConflictResolved)}
    assert resolved == {first: (72.0, "ceo"), second: (72.0, "ceo"), third: (93.0, "ceo")}
    m = metrics(log)
    assert m["ceo_hours"] == 18.0
    assert m["ceo_load"] == pytest.approx(18.0 / (4.0 * 99.0 / 7.0), rel=1e-15)


def test_a_lapse_on_the_desk_hands_its_hours_to_the_next() -> None:
    """The first kind lapses at 58 (raised 50, lifetime 8), a week after escalating.

    The CEO drops it then (CeoReleased, not settled); the second keeps its 2
    hours a week (decided at 72); the third gets the freed 2 from 58: 58 + 21 = 79.
    """
    log = simulate(three_kinds((8.0, 1000.0, 1000.0)), seed=1).log
    first, second, third = (e.conflict for e in log if isinstance(e, ev.ConflictEscalated))
    released = {e.conflict: (e.time, e.settled) for e in log if isinstance(e, ev.CeoReleased)}
    assert released == {first: (58.0, False), second: (72.0, True), third: (79.0, True)}
    lapse = next(e for e in log if isinstance(e, ev.ConflictLapsed))
    assert (lapse.conflict, lapse.time) == (first, 58.0)
    state = fold(log)
    assert state.desk.worked == 2.0 + 6.0 + 6.0 and state.desk.dropped == 4.0
    assert metrics(log)["ceo_hours"] == 14.0


def test_the_broker_briefing_halves_the_hours_at_half_weight() -> None:
    """A failed mediation at full credibility with ceo_briefing 0.5: 6 hours become 3.

    Alone on the desk at 2 hours a week, 3 hours take 7 · 3 / 2 = 10.5 days.
    """
    sc = parse_scenario(
        {
            "horizon": 99.0,
            "ceo": {"hours_per_week": 4.0, "max_hours_per_week": 2.0, "hours": det(6.0)},
            "conflicts": {
                "kinds": {
                    **OFF,
                    "custom_work": {
                        "enabled": True,
                        "interarrival": det(50.0 * 101.5),  # its 101.5 interfaces
                        "surfacing": det(0.0),
                        "lifetime": det(1000.0),
                    },
                }
            },
            "broker": {
                "enabled": True,
                "detection": det(100.0),
                "mediation": det(2.0),
                "success_base": 0.0,
                "success_credibility": 0.0,
                "initial_credibility": 1.0,
                "credibility_floor": 1.0,
                "credibility_loss": 0.0,
                "ceo_briefing": 0.5,
            },
        }
    )
    log = simulate(sc, seed=1).log
    (esc,) = [e for e in log if isinstance(e, ev.ConflictEscalated)]
    assert (esc.time, esc.hours) == (52.0, 3.0)
    (rel,) = [e for e in log if isinstance(e, ev.CeoReleased)]
    assert rel.time == 52.0 + 10.5
    without = simulate(sc, seed=1, broker=False).log
    assert [e.hours for e in without if isinstance(e, ev.ConflictEscalated)] == [6.0]


# ------------------------------------------------------- the log holds the desk


@pytest.mark.parametrize("broker", [True, False], ids=["broker", "no-broker"])
def test_the_fold_of_a_busy_desk_is_the_live_state_at_any_instant(broker: bool) -> None:
    """A CEO with little time (3 h a week, 1 per escalation): queues form and lapse."""
    sc = parse_scenario(
        {"horizon": 500.0, "ceo": {"hours_per_week": 3.0, "max_hours_per_week": 1.0}}
    )
    run = Run(sc.with_broker(broker), seed=3)
    times = np.sort(np.random.default_rng(11).uniform(0.0, 500.0, 25))
    snapshots = watched(run, times, lambda state, t: (t, state.snapshot(), conserved(state, t)))
    assert len(snapshots) == len(times)
    busy = 0
    for t, live, total in snapshots:
        folded = fold(run.log, until=t)
        assert folded.snapshot() == live, t
        assert total == pytest.approx(folded.desk.needed, rel=1e-12, abs=1e-9)
        waiting = live["ceo_waiting"]
        busy += waiting > 0
        assert live["ceo_engaged"] <= 3  # at most floor(3 / 1) get hours
    assert busy  # the case exercises a queue on the desk
    log = run.log
    lapses = {e.conflict for e in log if isinstance(e, ev.ConflictLapsed)}
    dropped = {e.conflict for e in log if isinstance(e, ev.CeoReleased) and not e.settled}
    assert lapses & dropped  # some escalations lapsed on the desk


def test_every_decision_comes_when_its_hours_run_out() -> None:
    """In a busy midsize run, every CeoReleased is at an instant the desk ran out, or a lapse."""
    sc = parse_scenario({"horizon": 700.0, "ceo": {"hours_per_week": 4.0}})
    log = simulate(sc, seed=2, broker=False).log
    lapsed_at = {e.conflict: e.time for e in log if isinstance(e, ev.ConflictLapsed)}
    state, releases = OrgState(), 0
    for e in log:
        if isinstance(e, ev.CeoReleased) and lapsed_at.get(e.conflict) != e.time:
            item = state.desk.items[e.conflict]
            assert item.rate > 0.0 and item.finish == e.time
            assert state.desk.remaining_at(e.conflict, e.time) == pytest.approx(0.0, abs=1e-9)
            releases += 1
        apply(state, e)
    assert releases
