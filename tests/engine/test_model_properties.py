"""Any valid scenario simulates: the log is ordered, replays exactly, and measures."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from orgsim.engine import events as ev
from orgsim.engine.log import replay
from orgsim.engine.run import simulate
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import parse_scenario
from strategies import valid_scenario_data


def affordable(data: dict[str, Any]) -> dict[str, Any]:
    """Keep a generated scenario's size small enough to run in milliseconds."""
    data = dict(data)
    data["horizon"] = 30.0
    delivery = dict(data.get("delivery", {}))
    delivery["products"] = min(delivery.get("products", 1), 2)
    delivery["initial_features"] = min(delivery.get("initial_features", 3), 3)
    data["delivery"] = delivery
    budget = dict(data.get("budget", {}))
    budget["quarter_days"] = max(budget.get("quarter_days", 91.25), 15.0)
    data["budget"] = budget
    return data


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(valid_scenario_data())
def test_every_valid_scenario_simulates_and_replays(data: dict[str, Any]) -> None:
    scenario = parse_scenario(affordable(data))
    for broker in (True, False):
        run = simulate(scenario, seed=3, broker=broker)
        log = run.log
        assert [e.seq for e in log] == list(range(len(log)))
        assert all(a.time <= b.time for a, b in itertools.pairwise(log))
        if run.state.failed:  # out of cash: the run ends at that instant
            assert isinstance(log[-2], ev.CompanyFailed)
            assert log[-1].time == log[-2].time < scenario.horizon
        else:
            assert log[-1].time == scenario.horizon
        assert replay(log).state.snapshot() == run.state.snapshot()
        assert all(d.staff >= 0 for d in run.state.departments.values())
        measured = metrics(log)
        assert all(isinstance(v, float) for v in measured.values())
        assert not any(math.isinf(v) for v in measured.values())


def test_a_subnormal_cap_on_one_escalations_ceo_hours_runs() -> None:
    """The example hypothesis found: 1 hour a week, at most 2.2e-311 to one escalation.

    ``1.0 // 2.225073858507e-311`` is inf, which ``int()`` refused (OverflowError at
    the founding event); the desk now gives every escalation it could hold the
    cap, as a finite quotient would, and the run replays.
    """
    data = affordable({"ceo": {"hours_per_week": 1.0, "max_hours_per_week": 2.225073858507e-311}})
    scenario = parse_scenario(data)
    for broker in (True, False):
        run = simulate(scenario, seed=3, broker=broker)
        assert run.log[-1].time == scenario.horizon or run.state.failed
        assert replay(run.log).state.snapshot() == run.state.snapshot()
        assert run.state.desk.marginal == 0.0 and run.state.desk.full == 2**62
