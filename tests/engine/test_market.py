"""Strategy drift: market shifts, roadmaps that follow them late or sooner, and the loss.

Seed: "Are you missing key segments, or being outflanked by new competitors, or
stuck in an old business model?"; "You bring in your line PMs as subject matter
experts ... Your try to keep strategy relevant." The hand cases use deterministic
durations so that every instant and value is computed by hand.
"""

from __future__ import annotations

import math

import pytest

import orgsim
from orgsim.engine import events as ev
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import fold
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario


def det(mean: float) -> dict:
    return {"kind": "deterministic", "mean": mean}


def one_product(**market: object) -> Scenario:
    """One product, one 400-person-day stage at a team cap of 8: 50 days a feature.

    Features are planned at days 55, 110, 165; the market shifts at day 100 (and
    200, after the horizon); nothing is late, nothing drags. Feature arrivals are per
    line PM (orgsim 0.3): the default Product of 25 at span 7 has floor(25 / 8) = 3
    Directors and 22 line PMs, so a product's interval is ``feature_interarrival ×
    products / line_pms``; one PM's 55 × 22 = 1210 days gives the product 1210 / 22
    = 55 days, exactly (``1210 * (1 / 22) == 55.0`` in floats).
    """
    return parse_scenario(
        {
            "horizon": 195.0,
            "delivery": {
                "products": 1,
                "initial_features": 0,
                "feature_interarrival": det(55.0 * 22),
                "stages": [{"name": "build", "department": "engineering", "effort": det(400.0)}],
                "value": det(100.0),
                "due_in": det(10_000.0),
            },
            "talent": {"skill_cv": 0.0},
            "conflicts": {"intensity": 0.0},
            "market": {
                "shift_interarrival": det(100.0),
                "shift_loss": 0.25,
                "notice": det(20.0),
                "broker_notice": det(5.0),
                "realign_days": det(3.0),
                **market,
            },
        }
    )


def shipped(run: Run) -> list[tuple[float, float, float]]:
    return [(e.time, e.value, e.misaligned) for e in run.log if isinstance(e, ev.FeatureShipped)]


def test_without_the_broker_the_roadmap_follows_when_the_numbers_show_it() -> None:
    """Shift at 100, the roadmap follows at 120 (notice 20).

    F0 planned at 55 (epoch 0) ships at 105, after the shift: 100 × (1 − 0.25) = 75.
    F1 planned at 110, before the roadmap followed (epoch 0), ships at 160: 75 too.
    """
    run = simulate(one_product(), seed=1, broker=False)
    assert shipped(run) == [(105.0, 75.0, 25.0), (160.0, 75.0, 25.0)]
    realigned = [e for e in run.log if isinstance(e, ev.RoadmapRealigned)]
    assert [(e.time, e.epoch, e.channel) for e in realigned] == [(120.0, 1, "surfaced")]
    assert run.state.value_shipped == 150.0 and run.state.value_misaligned == 50.0
    m = metrics(run.log)
    assert m["market_shifts"] == 1.0
    assert m["misaligned_value_lost"] == 50.0
    assert m["realign_time_p50"] == 20.0


def test_with_the_broker_the_roadmap_follows_sooner_and_later_features_keep_their_value() -> None:
    """The broker notices at 105, takes a mediator for 3 days: realigned at 108.

    F0 (planned 55) still ships for the old segment: 75. F1, planned at 110 after
    the realignment (epoch 1), realises its full 100. The loudest department's
    numbers at 120 change nothing.
    """
    run = simulate(one_product(), seed=1, broker=True)
    assert shipped(run) == [(105.0, 75.0, 25.0), (160.0, 100.0, 0.0)]
    started = [e.time for e in run.log if isinstance(e, ev.RealignmentStarted)]
    realigned = [e for e in run.log if isinstance(e, ev.RoadmapRealigned)]
    assert started == [105.0]
    assert [(e.time, e.epoch, e.channel) for e in realigned] == [(108.0, 1, "broker")]
    planned = {e.feature: e.epoch for e in run.log if isinstance(e, ev.FeaturePlanned)}
    assert planned == {0: 0, 1: 1, 2: 1}
    assert run.state.realigning == 0
    assert metrics(run.log)["realign_time_p50"] == 8.0


def test_a_busy_mediator_makes_the_broker_realign_later() -> None:
    """One mediator, on a conflict from day 100 to 130; the market shifts at 100.

    The conflict arrives at 95, the broker detects it at 100 and mediates it for
    30 days. It notices the shift at 110, waits for the mediator until 130, and
    realigns by 134 (4 days); the loudest department would have at 600.

    Since orgsim 0.3 arrivals, detection and surfacing follow the structure; the
    inputs are chosen so the instants stay the ones above. One product, Sales' 95
    and Engineering's 200 at span 7 make 14 and 29 teams: 1 × 14 × 29 = 406
    interfaces, so one interface's 95 × 406 = 38570 days arrive at 38570 / 406 = 95
    (and next at 190, after the horizon). Detection is per team a line PM covers:
    70 teams of the other departments (29 + 6 + 8 + 14 + 13) over 22 line PMs (25
    Product staff less floor(25 / 8) = 3 Directors) is 35 / 11, so 11 / 7 days a
    team take 5 days. Surfacing, 500 days a layer × (3 + 3) layers, stays far off.
    """
    kinds = {k: {"enabled": k == "custom_work"} for k in Scenario().conflicts.kinds}
    kinds["custom_work"].update(
        interarrival=det(95.0 * 406), surfacing=det(500.0), lifetime=det(1000.0)
    )
    sc = parse_scenario(
        {
            "horizon": 150.0,
            "delivery": {"products": 1},
            "conflicts": {"kinds": kinds},
            "broker": {"mediators": 1, "detection": det(11.0 / 7.0), "mediation": det(30.0)},
            "market": {
                "shift_interarrival": det(100.0),
                "notice": det(500.0),
                "broker_notice": det(10.0),
                "realign_days": det(4.0),
            },
        }
    )
    run = simulate(sc, seed=3, broker=True)
    mediated = [e.time for e in run.log if isinstance(e, ev.MediationStarted)]
    started = [e.time for e in run.log if isinstance(e, ev.RealignmentStarted)]
    realigned = [(e.time, e.channel) for e in run.log if isinstance(e, ev.RoadmapRealigned)]
    assert mediated == [100.0]
    assert started == [130.0]
    assert realigned == [(134.0, "broker")]
    assert metrics(run.log)["realign_time_p50"] == 34.0


@pytest.mark.parametrize("broker", [True, False])
def test_fold_of_the_log_is_the_live_state(broker: bool) -> None:
    run = simulate(orgsim.load_scenario("midsize"), seed=2, broker=broker)
    assert any(isinstance(e, ev.MarketShifted) for e in run.log)
    assert fold(run.log).snapshot() == run.state.snapshot()
    cut = 500.0
    live = fold(run.log, until=cut)
    assert live.market_epoch == {
        p: max(
            e.epoch
            for e in run.log
            if isinstance(e, ev.MarketShifted) and e.product == p and e.time <= cut
        )
        for p in live.market_epoch
    }
    # every shipped value is the stamped feature's, less lateness and misalignment
    assert run.state.value_misaligned == pytest.approx(metrics(run.log)["misaligned_value_lost"])


def test_both_arms_see_the_same_market() -> None:
    sc = orgsim.load_scenario("midsize")
    arms = [simulate(sc, seed=4, broker=b) for b in (True, False)]
    shifts = [
        [(e.time, e.product, e.epoch) for e in run.log if isinstance(e, ev.MarketShifted)]
        for run in arms
    ]
    assert shifts[0] == shifts[1] and len(shifts[0]) > 4
    # the broker's roadmaps follow sooner
    with_broker, without = (metrics(run.log)["realign_time_p50"] for run in arms)
    assert with_broker < without


def test_switched_off_the_new_mechanisms_leave_the_previous_model() -> None:
    """No shifts, no praise, no reorganisations: the pins of the model before them.

    The values are those of main just before market drift, praise and
    reorganisation battles were merged (b674255, orgsim 0.3's structure model:
    midsize, seed 1, one year, no overrides), and this tree with the three
    switched off gives them to the last bit; re-pin them from the commit before
    the next mechanism when another change moves the model.
    """
    off = [
        "market.shift_interarrival.mean=1e12",
        "broker.praise_gain=0",
        "conflicts.kinds.reorganisation.enabled=false",
        "horizon=365",
    ]
    before = {
        True: (2370, 131601.15413836652, 52818.56367781451),
        False: (2256, 122670.60464157817, 44264.7806363877),
    }
    for broker, (events, value, net) in before.items():
        r = orgsim.run_scenario("midsize", seed=1, broker=broker, overrides=off)
        assert len(r.log) == events
        assert r.metrics["value_shipped"] == pytest.approx(value, rel=1e-12)
        assert r.metrics["net_value"] == pytest.approx(net, rel=1e-12)
        assert r.metrics["market_shifts"] == 0.0
        assert r.metrics["praises"] == 0.0 if broker else math.isnan(r.metrics["praises"])
