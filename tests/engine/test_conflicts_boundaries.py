"""Boundary draws of a conflict: a negotiation's success and a move's privacy incident.

A draw decides an outcome when it is strictly below its chance: a draw of exactly
the chance is the other outcome. The default company, no conflicts arriving; one
``cross_initiative`` conflict (marketing against engineering, 3 layers each) raised
or negotiated by hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from builders import KIND, conflict_draws, kinds_off, one_conflict_scenario, raise_by_hand
from orgsim.engine import events as ev
from orgsim.engine.conflicts import crossed, negotiation, raise_conflict
from orgsim.engine.context import Proc
from orgsim.engine.rng import Streams
from orgsim.engine.run import Run
from orgsim.scenario.schema import Scenario


def scenario(**kind: Any) -> Scenario:
    kinds = kinds_off() | {KIND: {"enabled": True, **kind}}
    return one_conflict_scenario(horizon=30.0, conflicts={"intensity": 0.0, "kinds": kinds})


def test_a_negotiation_draw_equal_to_its_chance_fails() -> None:
    # 6 layers crossed: the chance is 0.9 ** 6 = 0.531441; a draw of exactly it fails at
    # day 6 (one day of talks a layer), and the conflict climbs
    sc = scenario()
    run = Run(sc, seed=1)
    run.setup()
    raise_by_hand(run)
    layers = crossed(run, 0)
    chance = sc.negotiation.success**layers
    assert (layers, round(chance, 6)) == (6, 0.531441)
    d = conflict_draws(negotiation_success=chance, negotiation_winner=0.0)

    def talks(ctx: Run) -> Proc:
        return (yield from negotiation(ctx, 0, sc.conflicts.kinds[KIND], d))

    proc = run.env.process(talks(run))
    run.env.run(until=sc.horizon)
    assert proc.value is False
    assert [(type(e).__name__, e.time) for e in run.log if getattr(e, "conflict", None) == 0] == [
        ("ConflictRaised", 0.0),
        ("NegotiationStarted", 0.0),
        ("NegotiationFailed", 6.0),
    ]


def incidents(probability: float) -> list[tuple[int, float]]:
    """Raise one conflict at 0 whose incident, if any, happens half a day later."""
    sc = scenario(
        incident_probability=probability,
        incident_delay={"kind": "deterministic", "mean": 0.5},
    )
    run = Run(sc, seed=1)
    run.setup()
    raise_conflict(run, KIND, sc.conflicts.kinds[KIND], "marketing", "engineering")
    run.env.run(until=sc.horizon)
    return [(e.conflict, e.time) for e in run.log if isinstance(e, ev.PrivacyIncident)]


def test_an_incident_draw_equal_to_its_probability_causes_none() -> None:
    # the conflict's first draw from (seed 1, replication 0, "incident.cross_initiative")
    u = float(Streams(1, 0)[f"incident.{KIND}"].random())
    assert 0.0 < u < 1.0
    assert incidents(u) == []
    # a probability a hair above the draw: the move exposes data half a day later
    assert incidents(float(np.nextafter(u, 1.0))) == [(0, 0.5)]
