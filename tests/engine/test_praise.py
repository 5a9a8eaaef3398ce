"""Credibility built between conflicts: praise in public, issues raised in private.

Seed: "You've built up peer credibility with lots of 'Jesse in QA is doing a
terrific job' and the occasional 'Gordon is creating problems in Marketing that we
need to solve.' You ... praise in public, and privately raise issues with
department heads."
"""

from __future__ import annotations

import pytest

import orgsim
from orgsim.engine import events as ev
from orgsim.engine.events import encode
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import fold
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario


def praising(gain: float = 0.1, horizon: float = 25.0) -> Scenario:
    """No conflicts, no market shifts: only decay and praise move credibility."""
    return parse_scenario(
        {
            "horizon": horizon,
            "conflicts": {"intensity": 0.0},
            "market": {"shift_interarrival": {"kind": "deterministic", "mean": 1e9}},
            "broker": {
                "praise_interarrival": {"kind": "deterministic", "mean": 10.0},
                "praise_gain": gain,
                "initial_credibility": 0.5,
                "credibility_floor": 0.2,
                "credibility_halflife": 180.0,
            },
        }
    )


def decayed(c: float, days: float) -> float:
    return 0.2 + (c - 0.2) * 0.5 ** (days / 180.0)


def test_each_act_gains_a_share_of_the_gap_and_credibility_decays_between() -> None:
    """Acts at 10 and 20: c ← c(t) + g (1 − c(t)), decaying toward 0.2 in between."""
    run = simulate(praising(), seed=1, broker=True)
    acts = [e for e in run.log if isinstance(e, ev.BrokerPraised)]
    assert [e.time for e in acts] == [10.0, 20.0]
    c10 = decayed(0.5, 10.0)
    first = c10 + 0.1 * (1.0 - c10)
    c20 = decayed(first, 10.0)
    second = c20 + 0.1 * (1.0 - c20)
    assert acts[0].credibility == pytest.approx(first, rel=1e-12)
    assert acts[1].credibility == pytest.approx(second, rel=1e-12)
    assert run.state.credibility_at(25.0) == pytest.approx(decayed(second, 5.0), rel=1e-12)
    m = metrics(run.log)
    assert m["praises"] == 2.0
    assert m["credibility_end"] == pytest.approx(decayed(second, 5.0), rel=1e-12)
    # between the acts the folded state decays exactly as the live one did
    assert fold(run.log, until=15.0).credibility_at(15.0) == pytest.approx(
        decayed(first, 5.0), rel=1e-12
    )


def test_the_word_goes_to_every_department_but_the_brokers_own() -> None:
    run = simulate(praising(horizon=2005.0), seed=2, broker=True)
    named = [e.department for e in run.log if isinstance(e, ev.BrokerPraised)]
    assert len(named) == 200
    assert set(named) == {"engineering", "marketing", "qa", "sales", "support"}
    for dept in set(named):  # uniform: 40 each on average, sd about 5.7
        assert abs(named.count(dept) - 40) < 25


@pytest.mark.parametrize("broker", [True, False])
def test_fold_of_the_log_is_the_live_state(broker: bool) -> None:
    run = simulate(orgsim.load_scenario("midsize"), seed=3, broker=broker)
    assert any(isinstance(e, ev.BrokerPraised) for e in run.log) is broker
    assert fold(run.log).snapshot() == run.state.snapshot()


def test_without_gain_nothing_is_praised_and_no_other_draw_moves() -> None:
    sc = orgsim.load_scenario("midsize")
    off = parse_scenario({**sc.to_dict(), "broker": {**sc.to_dict()["broker"], "praise_gain": 0}})
    on_run, off_run = simulate(sc, seed=5, broker=True), simulate(off, seed=5, broker=True)
    assert not any(isinstance(e, ev.BrokerPraised) for e in off_run.log)

    def world(run: Run) -> list[tuple[float, str, float]]:
        # what no decision changes: the exogenous conflicts and market shifts
        return [
            (e.time, e.kind, e.severity)
            for e in run.log
            if isinstance(e, ev.ConflictRaised) and e.kind != "budget_dispute"
        ] + [(e.time, "shift", e.epoch) for e in run.log if isinstance(e, ev.MarketShifted)]

    assert world(on_run) == world(off_run)
    # and the company without a broker never sees the broker's praise parameters:
    # the same log but for the scenario's hash in RunStarted
    plain = [simulate(x, seed=5, broker=False).log for x in (sc, off)]
    assert [encode(e) for e in plain[0][1:]] == [encode(e) for e in plain[1][1:]]
