"""Size works through structure: each mechanism in its smallest hand-computed case.

Conflicts arrive on working interfaces, surface after climbing the layers between
their sides, take longer to negotiate and fail more often the more layers they
cross, climb those layers to the CEO when they fail; line PMs spot them as fast as
they cover few teams; a conflict drags one team's share of a department; roadmaps
grow with line PMs. Shapes are those of ``orgsim.scenario.structure``, worked out in
``tests/scenario/test_structure.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from orgsim.engine import events as ev
from orgsim.engine.run import simulate
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario
from orgsim.scenario.structure import shape

OFF = {k: {"enabled": False} for k in Scenario().conflicts.kinds}


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def custom_work(**kind: Any) -> dict[str, Any]:
    return {"kinds": {**OFF, "custom_work": {"enabled": True, **kind}}}


def of(log: Any, cls: type) -> list[Any]:
    return [e for e in log if isinstance(e, cls)]


def test_conflicts_arrive_on_every_interface() -> None:
    """101.5 sales-engineering interfaces, one conflict per interface per 1015 days.

    Deterministic intervals of 1015 / 101.5 = 10 days: conflicts at 10, 20, ... 100.
    """
    sc = parse_scenario(
        {
            "horizon": 105.0,
            "conflicts": custom_work(
                interarrival=det(1015.0), surfacing=det(1e6), lifetime=det(1e6)
            ),
        }
    )
    assert shape(sc).interfaces("sales", "engineering") == pytest.approx(101.5)
    raised = of(simulate(sc, seed=1, broker=False).log, ev.ConflictRaised)
    assert [e.time for e in raised] == pytest.approx([10.0 * k for k in range(1, 11)])


def test_doubling_the_company_doubles_the_interfaces_and_the_conflicts() -> None:
    """Staff and products doubled: teams per product stay, products double."""
    base = {"conflicts": custom_work(interarrival=det(1015.0), surfacing=det(1e6))}
    base["horizon"] = 105.0
    double = dict(base)
    double["departments"] = {n: {"staff": 2 * d.staff} for n, d in Scenario().departments.items()}
    double["delivery"] = {"products": 8}
    big = parse_scenario(double)
    # engineering 400/7 -> 58 teams, 7.25 a product; sales 190/7 -> 28, 3.5 a product
    assert shape(big).interfaces("sales", "engineering") == pytest.approx(203.0)
    raised = of(simulate(big, seed=1, broker=False).log, ev.ConflictRaised)
    assert len(raised) == 20  # every 5 days, from 5 to 100 (twice the base company)


def test_a_conflict_surfaces_after_climbing_both_sides_layers() -> None:
    """Sales (3 layers) against QA (2): 5 layers x 4 days = 20 days after it is raised."""
    sc = parse_scenario(
        {
            "horizon": 60.0,
            "conflicts": {
                "kinds": {
                    **OFF,
                    "schedule_clash": {
                        "enabled": True,
                        "initiator": "sales",
                        "interarrival": det(21 * 50.0),  # 21 interfaces: one at day 50
                        "surfacing": det(4.0),
                        "lifetime": det(1e6),
                    },
                }
            },
        }
    )
    shp = shape(sc)
    assert shp.interfaces("sales", "qa") == pytest.approx(4 * 3.5 * 1.5)  # 21
    log = simulate(sc, seed=1, broker=False).log
    raised = of(log, ev.ConflictRaised)
    detected = {e.conflict: e for e in of(log, ev.ConflictDetected)}
    assert raised
    for r in raised:
        if r.conflict in detected:
            assert detected[r.conflict].time == pytest.approx(r.time + 20.0)
            assert detected[r.conflict].channel == "surfaced"


def test_line_pms_spot_a_conflict_in_the_teams_they_cover() -> None:
    """Detection 2 days per team covered, 70/22 teams per line PM: 6.36 days."""
    sc = parse_scenario(
        {
            "horizon": 40.0,
            "broker": {"detection": det(2.0)},
            "conflicts": custom_work(interarrival=det(1015.0 * 3), surfacing=det(100.0)),
        }
    )
    log = simulate(sc, seed=1, broker=True).log
    (first, *_) = of(log, ev.ConflictRaised)
    (spotted, *_) = of(log, ev.ConflictDetected)
    assert first.time == pytest.approx(30.0)
    assert spotted.time == pytest.approx(30.0 + 2.0 * 70 / 22)
    assert spotted.channel == "broker"


def test_negotiation_and_the_climb_grow_with_the_layers_crossed() -> None:
    """Sales-engineering crosses 6 layers: negotiating takes 6 x 2 days, climbing 6 x 1.5.

    Raised at 10, surfaced at 10 (surfacing 0), negotiated until 22, failed (success
    0), and escalated at 22 + 9 = 31.
    """
    sc = parse_scenario(
        {
            "horizon": 15.0 + 20.0,
            "negotiation": {"success": 0.0, "duration": det(2.0), "climb": det(1.5)},
            "conflicts": custom_work(
                interarrival=det(1015.0), surfacing=det(0.0), lifetime=det(1e6)
            ),
        }
    )
    log = simulate(sc, seed=1, broker=False).log
    (failed, *_) = of(log, ev.NegotiationFailed)
    (escalated, *_) = of(log, ev.ConflictEscalated)
    assert failed.time == pytest.approx(22.0)
    assert escalated.time == pytest.approx(31.0)


def test_negotiation_success_falls_with_each_layer() -> None:
    """Success 0.9 per layer over 6 layers: 0.9**6 = 0.531 of negotiations settle.

    A conflict a day for 3000 days (interarrival 101.5 on 101.5 interfaces) would
    bury the midsize company in extra work and run it out of cash by day ~500
    (its 80 M$ is about a year of payroll), cutting the sample to ~500; the cash
    is not under test, so it is made unbounded (1e12 k$).
    """
    sc = parse_scenario(
        {
            "horizon": 3000.0,
            "budget": {"cash": 1e12},
            "negotiation": {"success": 0.9, "duration": det(1.0)},
            "conflicts": custom_work(
                interarrival=det(101.5), surfacing=det(0.0), lifetime=det(1e6)
            ),
        }
    )
    log = simulate(sc, seed=3, broker=False).log
    started = len(of(log, ev.NegotiationStarted))
    settled = sum(e.forum == "negotiation" for e in of(log, ev.ConflictResolved))
    assert started > 2500
    # binomial: sd of the share is sqrt(0.531 x 0.469 / 2999) = 0.009; 4 sd
    assert settled / started == pytest.approx(0.9**6, abs=0.037)


def test_a_conflict_drags_one_teams_share_of_a_department() -> None:
    """Engineering has 29 teams: a conflict of severity 1 costs it 0.5 / 29 of capacity."""
    sc = parse_scenario(
        {
            "horizon": 20.0,
            "conflicts": custom_work(
                interarrival=det(1015.0),
                surfacing=det(1e6),
                lifetime=det(1e6),
                severity=det(1.0),
                effort=det(1e6),
            ),
        }
    )
    run = simulate(sc, seed=1, broker=False)
    eng = run.state.departments["engineering"]
    assert eng.teams == 29 and eng.drag == pytest.approx(0.5 / 29)
    assert eng.severity == pytest.approx(1.0)  # the one conflict, raised at day 10


def test_roadmaps_grow_with_line_pms() -> None:
    """22 line PMs on 4 products, one feature per PM per 110 days: a product every 20 days."""
    sc = parse_scenario(
        {
            "horizon": 61.0,
            "delivery": {"initial_features": 0, "feature_interarrival": det(110.0)},
            "conflicts": {"intensity": 0.0},
        }
    )
    planned = of(simulate(sc, seed=1, broker=False).log, ev.FeaturePlanned)
    assert sorted(e.time for e in planned) == pytest.approx([20.0] * 4 + [40.0] * 4 + [60.0] * 4)
