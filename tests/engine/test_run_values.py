"""Values of one replication's founding facts and of :func:`orgsim.engine.run.simulate`.

A tiny company: two engineers and one product manager, no conflicts, a 30-day
horizon; its scenario is named ``tiny-run`` and carries seed 7.
"""

from __future__ import annotations

import gc
from typing import Any

from orgsim.engine import events as ev
from orgsim.engine.rng import Streams
from orgsim.engine.run import Run, simulate
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario

OFF = {k: {"enabled": False} for k in Scenario().conflicts.kinds}


def tiny(broker: bool = False) -> Scenario:
    departments: dict[str, Any] = {n: {"enabled": False} for n in Scenario().departments}
    departments["engineering"] = {"staff": 2, "salary": 365.0, "attrition": 0.0}
    departments["product"] = {"staff": 1, "salary": 365.0, "attrition": 0.0}
    return parse_scenario(
        {
            "name": "tiny-run",
            "seed": 7,
            "horizon": 30.0,
            "departments": departments,
            "delivery": {
                "products": 1,
                "initial_features": 0,
                "stages": [
                    {
                        "name": "build",
                        "department": "engineering",
                        "effort": {"kind": "deterministic", "mean": 40.0},
                    }
                ],
            },
            "talent": {"skill_cv": 0.0},  # equal skills: a hire draws its resilience only
            "conflicts": {"intensity": 0.0, "kinds": OFF},
            "broker": {"enabled": broker},
        }
    )


def started(run: Run) -> ev.RunStarted:
    first = run.log[0]
    assert isinstance(first, ev.RunStarted)
    return first


def test_run_started_names_the_scenario_and_its_horizon() -> None:
    run = simulate(tiny(), seed=3, replication=2)
    first = started(run)
    assert first.scenario == "tiny-run"
    assert first.horizon == 30.0
    assert (first.seed, first.replication, first.broker) == (3, 2, False)
    assert first.scenario_hash == tiny().digest()


def test_simulate_without_a_seed_uses_the_scenarios() -> None:
    run = simulate(tiny())
    assert run.seed == 7
    assert started(run).seed == 7
    assert (run.streams.seed, run.streams.replication) == (7, 0)
    # the founding staff's draws come from the scenario seed's streams
    hired = [e for e in run.log if isinstance(e, ev.EmployeeHired) and e.department == "product"]
    rng = Streams(7, 0)["staff.product"]
    assert [e.resilience for e in hired] == [float(rng.standard_exponential())]


def test_simulate_with_broker_true_switches_a_broker_off_scenario_on() -> None:
    sc = tiny(broker=False)
    run = simulate(sc, broker=True)
    assert run.broker is True
    assert run.scenario.broker.enabled is True
    assert started(run).broker is True
    assert sum(isinstance(e, ev.BrokerAppointed) for e in run.log) == 1
    assert sc.broker.enabled is False  # the caller's scenario is left as it was


def test_simulate_with_broker_false_switches_a_broker_on_scenario_off() -> None:
    run = simulate(tiny(broker=True), broker=False)
    assert (run.broker, run.scenario.broker.enabled, started(run).broker) == (False, False, False)
    assert not any(isinstance(e, ev.BrokerAppointed) for e in run.log)


def test_the_cyclic_collector_is_back_on_after_a_run() -> None:
    was = gc.isenabled()
    gc.enable()
    try:
        run = Run(tiny(), seed=1)
        run.execute()
        assert gc.isenabled() is True
        assert isinstance(run.log[len(run.log) - 1], ev.RunEnded)
    finally:
        if not was:
            gc.disable()


def test_a_run_started_with_the_collector_off_leaves_it_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        Run(tiny(), seed=1).execute()
        assert gc.isenabled() is False
    finally:
        if was:
            gc.enable()
