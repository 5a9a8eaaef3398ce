"""Interventions: triggers fire once, at the first instant they hold, and change only what follows.

The hand-checked case is a quiet ten-engineer company whose head plans to double
its staff in a year (``growth_target = 1``): at quarter 1 (day 91.25) it asks for
``10 × 2**0.25 = 11.89`` people, rounded to 12, so two requisitions open, and with
a deterministic 30-day time to hire both are filled at day 121.25, one after the
other. A ``headcount >= 11`` condition must fire right after the first of them,
once, and never again.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import pytest

from builders import one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.run import simulate
from orgsim.engine.state import fold
from orgsim.errors import ScenarioError
from orgsim.metrics import vectorised
from orgsim.metrics.projections import metrics as reference_metrics
from orgsim.scenario.interventions import Intervention, fixed_reason
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.schema import Scenario

Q = 91.25


def growing(**sections: Any) -> Scenario:
    """Ten engineers who plan to double in a year; nothing else happens."""
    return one_stage_company(
        {"engineering": {"staff": 10, "attrition": 0.0, "growth_target": 1.0}},
        horizon=150.0,
        budget={"headroom": 2.0, "reinvest_share": 0.0, "cash": 1e9},
        talent={
            "time_to_hire": {"kind": "deterministic", "mean": 30.0},
            "max_hires_per_quarter": 1.0,
        },
        **sections,
    )


def names(log: Any, *types: type[ev.Event]) -> list[tuple[str, float]]:
    return [(type(e).__name__, e.time) for e in log if isinstance(e, types)]


def test_the_hand_case_hires_two_at_day_121_25() -> None:
    run = simulate(growing())
    assert names(run.log, ev.RequisitionOpened) == [("RequisitionOpened", Q)] * 2
    assert names(run.log, ev.EmployeeHired)[10:] == [("EmployeeHired", Q + 30.0)] * 2


def test_a_condition_fires_once_right_after_the_event_that_made_it_hold() -> None:
    iv = {"headcount": 11, "times": 0, "set": {"talent.max_hires_per_quarter": 0.0}}
    run = simulate(growing(interventions=[iv]))
    log = list(run.log)
    fired = [e for e in log if isinstance(e, ev.InterventionFired)]
    assert len(fired) == 1  # 12 >= 11 still holds after the second hire: no second firing
    (f,) = fired
    assert (f.time, f.intervention, f.name, f.firing) == (Q + 30.0, 0, "intervention-0", 1)
    assert f.trigger == "headcount 11 >= 11"
    # right after the first hire of the instant, before the second
    kinds = [type(e).__name__ for e in log[f.seq - 1 : f.seq + 3]]
    assert kinds == ["EmployeeHired", "InterventionFired", "ParameterChanged", "EmployeeHired"]
    changed = log[f.seq + 1]
    assert isinstance(changed, ev.ParameterChanged)
    assert (changed.path, json.loads(changed.value)) == ("talent.max_hires_per_quarter", 0.0)
    assert run.state.parameters == {"talent.max_hires_per_quarter": "0.0"}
    assert run.state.firings == {0: 1}


def test_a_condition_that_holds_at_founding_fires_at_day_0() -> None:
    run = simulate(growing(interventions=[{"headcount": 5, "set": {"budget.max_growth": 0.1}}]))
    (f,) = [e for e in run.log if isinstance(e, ev.InterventionFired)]
    assert f.time == 0.0 and f.trigger == "headcount 10 >= 5"


def test_a_hiring_freeze_at_a_quarter_is_in_place_for_its_budget_cycle() -> None:
    freeze = {"quarter": 1, "set": {"talent.max_hires_per_quarter": 0.0}}
    run = simulate(growing(interventions=[freeze]))
    log = list(run.log)
    (f,) = [e for e in log if isinstance(e, ev.InterventionFired)]
    assert f.time == Q and f.trigger == "quarter 1"
    quarter1 = next(e for e in log if isinstance(e, ev.QuarterStarted) and e.quarter == 1)
    assert f.seq < quarter1.seq  # before the quarter's budget is set
    assert not names(log, ev.RequisitionOpened)


def test_an_intervention_at_day_t_leaves_the_log_before_t_as_it_was() -> None:
    sc = load_scenario("startup", ["horizon=500"])
    base = simulate(sc, seed=4)
    changed = simulate(
        sc, seed=4, interventions=[Intervention(day=200.0, set={"conflicts.intensity": 3.0})]
    )
    before = [e for e in base.log if e.time < 200.0]
    assert [e for e in changed.log if e.time < 200.0] == before
    assert list(changed.log) != list(base.log)
    assert fold(changed.log).snapshot() == changed.state.snapshot()


def test_no_intervention_changes_nothing() -> None:
    sc = load_scenario("startup", ["horizon=300"])
    assert simulate(sc, seed=2).log.digest() == simulate(sc, seed=2, interventions=()).log.digest()


@pytest.fixture(scope="module")
def appointed() -> tuple[Scenario, Any, Any]:
    """Midsize without a broker, and the same with the VP PM appointed at day 400."""
    sc = load_scenario("midsize", ["broker.enabled=false", "horizon=800"])
    later = parse_scenario(
        {**sc.to_dict(), "interventions": [{"day": 400.0, "appoint": True, "name": "vp"}]}
    )
    return later, simulate(sc, seed=5), simulate(later, seed=5)


def test_an_appointment_mid_run_takes_office_with_the_pm_organisation_of_that_day(
    appointed: tuple[Scenario, Any, Any],
) -> None:
    sc, base, run = appointed
    log = list(run.log)
    # the same log before day 400 but for RunStarted's scenario hash (the file differs)
    assert [e for e in log[1:] if e.time < 400.0] == [e for e in base.log[1:] if e.time < 400.0]
    at = [e for e in log if e.time == 400.0]
    assert [type(e).__name__ for e in at] == [
        "InterventionFired",
        "BrokerAppointed",
        "OverheadChanged",
        "BrokerCostCharged",
    ]
    fired, appointed_, overhead, charged = at
    assert isinstance(fired, ev.InterventionFired) and fired.name == "vp"
    assert fired.trigger == "day 400"
    assert isinstance(appointed_, ev.BrokerAppointed)
    product = fold(log, until=399.999).departments["product"].staff
    span = sc.structure.span_of_control
    assert appointed_.directors == math.floor(product / (span + 1) + 1e-9)
    assert appointed_.mediators == 1 + appointed_.directors
    assert isinstance(overhead, ev.OverheadChanged)
    assert (overhead.department, overhead.overhead) == ("product", sc.broker.pm_overhead)
    # her pay from day 400 to the end of quarter 4 (days 365 to 456.25), from cash
    assert isinstance(charged, ev.BrokerCostCharged)
    assert charged.cost == pytest.approx(sc.broker.salary * (5 * Q - 400.0) / 365.0, rel=1e-12)
    # from quarter 5 on, the budget carries her salary
    q5 = next(e for e in log if isinstance(e, ev.QuarterStarted) and e.quarter == 5)
    assert isinstance(q5, ev.QuarterStarted)
    assert q5.broker_cost == pytest.approx(sc.broker.salary * Q / 365.0, rel=1e-12)
    assert run.state.broker and run.state.mediators == appointed_.mediators
    assert any(isinstance(e, ev.MediationStarted) for e in log if e.time > 400.0)
    assert not any(isinstance(e, ev.MediationStarted) for e in log if e.time < 400.0)


def test_the_fold_and_the_projections_follow_an_appointment(
    appointed: tuple[Scenario, Any, Any],
) -> None:
    _, base, run = appointed
    assert fold(run.log).snapshot() == run.state.snapshot()
    got, ref = vectorised.metrics(run.log), reference_metrics(list(run.log))
    for name in ref:
        assert got[name] == ref[name] or (math.isnan(got[name]) and math.isnan(ref[name])), name
    charged = sum(e.cost for e in run.log if isinstance(e, ev.BrokerCostCharged))
    quarters = sum(e.broker_cost for e in run.log if isinstance(e, ev.QuarterStarted))
    end = run.log[-1].time
    last = [e for e in run.log if isinstance(e, ev.QuarterStarted)][-1]
    part = last.broker_cost * (1 - min(1.0, (end - last.time) / Q))
    assert got["broker_cost"] == pytest.approx(charged + quarters - part, rel=1e-9)
    assert reference_metrics(list(base.log))["broker_cost"] == 0.0


def test_the_arm_without_the_broker_never_appoints(appointed: tuple[Scenario, Any, Any]) -> None:
    sc, base, _ = appointed
    assert sc.with_broker(True) is sc  # the broker arm is the policy as written
    off = simulate(sc, seed=5, broker=False)
    assert not any(isinstance(e, (ev.BrokerAppointed, ev.InterventionFired)) for e in off.log)
    assert list(off.log)[1:] == list(base.log)[1:]  # only RunStarted's hash differs


def test_mediators_added_mid_run_are_paid_from_that_day() -> None:
    sc = load_scenario("midsize", ["horizon=300", "broker.salary=365"])
    run = simulate(sc, seed=1, interventions=[Intervention(day=100.0, mediators=2)])
    start = next(e for e in run.log if isinstance(e, ev.BrokerAppointed))
    changed = next(e for e in run.log if isinstance(e, ev.MediatorsChanged))
    assert changed.time == 100.0 and changed.mediators == start.mediators + 2
    assert changed.hired == start.hired + 2
    charged = next(e for e in run.log if isinstance(e, ev.BrokerCostCharged))
    # two hires at 365 k$ a year, from day 100 to the end of quarter 1 (day 182.5)
    assert charged.cost == pytest.approx(2 * 365.0 * (2 * Q - 100.0) / 365.0, rel=1e-12)
    assert run.state.broker_salary == pytest.approx(365.0 * (1 + changed.hired))
    assert fold(run.log).snapshot() == run.state.snapshot()


def test_a_conflict_condition_fires_at_each_rising_edge_up_to_times() -> None:
    sc = load_scenario("midsize", ["horizon=700"])
    iv = {"open_conflicts": 4, "times": 3, "set": {"negotiation.success": 0.9}}
    run = simulate(parse_scenario({**sc.to_dict(), "interventions": [iv]}), seed=3)
    fired = [e.time for e in run.log if isinstance(e, ev.InterventionFired)]
    # the oracle: open conflicts counted from the log, crossing 4 from below
    open_, below, edges = 0, True, []
    for e in run.log:
        if isinstance(e, ev.ConflictRaised):
            open_ += 1
        elif isinstance(e, (ev.ConflictResolved, ev.ConflictLapsed)):
            open_ -= 1
        else:
            continue
        if open_ >= 4 and below:
            edges.append(e.time)
        below = open_ < 4
    assert len(edges) >= 3
    assert fired == edges[:3]


def test_a_ceo_hours_condition_fires_as_the_first_busy_quarter_ends() -> None:
    sc = load_scenario("midsize", ["horizon=800", "broker.enabled=false"])
    iv = {"ceo_hours": 20.0, "set": {"ceo.success": 0.95}}
    run = simulate(parse_scenario({**sc.to_dict(), "interventions": [iv]}), seed=2)
    (f,) = [e for e in run.log if isinstance(e, ev.InterventionFired)]
    quarters = [e for e in run.log if isinstance(e, ev.QuarterStarted)]
    hours = []
    for a, b in itertools.pairwise(quarters):
        desk_a, desk_b = fold(run.log, until=a.time).desk, fold(run.log, until=b.time).desk
        hours.append((b.time, desk_b.worked_at(b.time) - desk_a.worked_at(a.time)))
    first = next(t for t, h in hours if h >= 20.0)
    assert f.time == first


def test_parameters_a_run_cannot_change_are_refused_by_name() -> None:
    assert "founding headcount" in fixed_reason("departments.sales.staff")
    assert "RunStarted" in fixed_reason("conflicts.drag")
    assert "appoint" in fixed_reason("broker.enabled")
    assert fixed_reason("departments.sales.bias") == ""
    assert fixed_reason("conflicts.kinds.poaching.interarrival.mean") == ""
    with pytest.raises(ScenarioError) as err:
        parse_scenario(
            {
                "interventions": [
                    {"day": 10.0, "set": {"conflicts.drag": 0.1, "budget.cash": 1.0}},
                    {"headcount": 10, "quarter": 2, "appoint": True},
                    {"day": -1.0},
                    {"open_conflicts": 3, "set": {"talent.time_to_hire.mean": -5}},
                ]
            }
        )
    text = str(err.value)
    for expected in (
        "interventions.0.set.conflicts.drag: cannot change during a run",
        "interventions.0.set.budget.cash: cannot change during a run",
        "interventions.1.quarter: only one trigger",
        "interventions.1.appoint: the broker is in office from founding",
        "interventions.2.day: must be >= 0.0",
        "interventions.2: does nothing",
        "interventions.3.set.talent.time_to_hire.mean",
    ):
        assert expected in text, (expected, text)


def test_a_parameter_change_reaches_the_state_it_is_kept_in() -> None:
    sc = load_scenario("startup", ["horizon=200"])
    changes = {"departments.sales.bias": 0.9, "departments.sales.attrition": 0.5}
    run = simulate(sc, seed=1, interventions=[Intervention(day=50.0, set=changes)])
    sales = run.state.departments["sales"]
    assert sales.bias == 0.9 and sales.attrition == 0.5
    assert sales.base_hazard == pytest.approx(-math.log(0.5) / 365.0)
    assert fold(run.log).snapshot() == run.state.snapshot()
    assert run.scenario.departments["sales"].bias == 0.9  # what later decisions read


def test_validate_says_how_the_broker_comes(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["validate", "scaleup"]) == 0
    assert "broker appointed by an intervention, 1 intervention," in capsys.readouterr().out
    assert cli(["validate", "midsize"]) == 0
    assert "broker on, hash" in capsys.readouterr().out
