"""A conflict's incident stream belongs to extra work with an incident risk, and only to it.

:func:`orgsim.engine.conflicts.raise_conflict` draws a move's privacy incident (two
draws from ``incident.<kind>``) only for a kind of effect ``extra_work`` whose
``incident_probability`` is above 0. A kind of another effect carrying a probability
(a field documented ``extra_work:``, so unused by it) draws nothing from that stream
and causes no incident, however certain the probability. The default company, no
conflicts arriving; one ``cross_initiative`` conflict (marketing against engineering)
raised by hand.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import KIND, kinds_off, one_conflict_scenario
from orgsim.engine import events as ev
from orgsim.engine.conflicts import raise_conflict
from orgsim.engine.run import Run
from orgsim.scenario.schema import Scenario


def scenario(**kind: Any) -> Scenario:
    kinds = kinds_off() | {KIND: {"enabled": True, **kind}}
    return one_conflict_scenario(horizon=30.0, conflicts={"intensity": 0.0, "kinds": kinds})


def raised(effect: str, probability: float) -> Run:
    """Raise one conflict of ``effect`` at 0, an incident (if any) due half a day later."""
    sc = scenario(
        effect=effect,
        incident_probability=probability,
        incident_delay={"kind": "deterministic", "mean": 0.5},
    )
    run = Run(sc, seed=1)
    run.setup()
    raise_conflict(run, KIND, sc.conflicts.kinds[KIND], "marketing", "engineering")
    run.env.run(until=sc.horizon)
    return run


@pytest.mark.parametrize("effect", ["transfer", "budget"])
def test_a_kind_of_another_effect_draws_no_incident_even_at_probability_1(effect: str) -> None:
    # probability 1 would make every draw an incident, at 0.5: there is none, and the
    # incident stream was never created (a stream exists from its first draw on)
    run = raised(effect, 1.0)
    assert [e for e in run.log if isinstance(e, ev.PrivacyIncident)] == []
    assert f"incident.{KIND}" not in run.streams.names
    assert f"conflict.{KIND}" in run.streams.names  # the conflict itself did draw


def test_extra_work_without_an_incident_risk_leaves_its_incident_stream_alone() -> None:
    # probability 0: nothing to draw for; the stream is not created
    run = raised("extra_work", 0.0)
    assert [e for e in run.log if isinstance(e, ev.PrivacyIncident)] == []
    assert f"incident.{KIND}" not in run.streams.names


def test_extra_work_with_an_incident_risk_draws_from_its_incident_stream() -> None:
    # the counterpart: extra work at probability 1 has its incident half a day on
    run = raised("extra_work", 1.0)
    assert [(e.conflict, e.time) for e in run.log if isinstance(e, ev.PrivacyIncident)] == [
        (0, 0.5)
    ]
    assert f"incident.{KIND}" in run.streams.names
