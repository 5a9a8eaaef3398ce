"""Start-up cash: a balance, a burn and a runway; a company that runs out fails.

The seed: "at start-ups, cash burn is much more important than job title". Between
events the company spends at a constant burn (salaries / 365 a day, the broker's
quarterly cost spread over the quarter) and income comes in lumps (a share of the
value of what ships), so the instant the cash runs out is arithmetic. The smallest
cases are worked out by hand in their docstrings and asserted exactly; the rest
check that the failure stops the run at that instant, that the log holds the cash
(the fold at any instant is the live state), and that the cash changes nothing
else: a run that fails is, up to its failure, the run that did not.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from conftest import watched
from orgsim.engine import events as ev
from orgsim.engine.context import Proc
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import cash_at, fold
from orgsim.engine.talent import hire
from orgsim.experiments.runner import load_scenario
from orgsim.metrics.columns import DAYS_PER_MONTH
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario

OFF = {k: {"enabled": False} for k in Scenario().conflicts.kinds}


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def tiny(cash: float = 100.0, features: int = 0, hiring_cost: float = 5.0) -> Scenario:
    """Two engineers at 365 k$ a year (2 k$ a day), one 40 person-day feature worth 30.

    Nothing else moves: no conflicts, attrition, hiring or broker; the feature ships
    at day 40 / 2 = 20, on time, and all its value is cash.
    """
    departments: dict[str, Any] = {n: {"enabled": False} for n in Scenario().departments}
    departments["engineering"] = {"staff": 2, "salary": 365.0, "attrition": 0.0}
    return parse_scenario(
        {
            "horizon": 200.0,
            "departments": departments,
            "delivery": {
                "products": 1,
                "initial_features": features,
                "feature_interarrival": det(1e6),
                "due_in": det(1000.0),
                "value": det(30.0),
                "team_cap": 100.0,
                "stages": [{"name": "build", "department": "engineering", "effort": det(40.0)}],
            },
            "budget": {"cash": cash, "cash_share": 1.0},
            "talent": {"skill_cv": 0.0, "max_hires_per_quarter": 0.0, "hiring_cost": hiring_cost},
            "conflicts": {"intensity": 0.0, "kinds": OFF},
            "broker": {"enabled": False},
        }
    )


def failure(log: Any) -> float | None:
    """When the log's company failed, or None."""
    return next((e.time for e in log if isinstance(e, ev.CompanyFailed)), None)


# ------------------------------------------------------------ by hand


def test_two_people_burning_2_a_day_run_out_of_100_at_day_50() -> None:
    """100 k$ / (2 × 365 / 365 k$ a day) = day 50, absent any income."""
    run = simulate(tiny(), seed=1)
    assert failure(run.log) == 50.0
    m = metrics(run.log)
    assert (m["survived"], m["time_to_failure"]) == (0.0, 50.0)
    assert m["salary_cost"] == pytest.approx(100.0, abs=1e-12)
    assert m["cash_end"] == pytest.approx(0.0, abs=1e-12)
    assert m["runway_min"] == 0.0


def test_a_feature_shipped_at_day_20_bringing_30_moves_failure_to_day_65() -> None:
    """At day 20: 100 − 2·20 + 30 = 90 left, 90 / 2 = 45 more days: day 65."""
    run = simulate(tiny(features=1), seed=1)
    shipped = [e for e in run.log if isinstance(e, ev.FeatureShipped)]
    assert [(e.time, e.value) for e in shipped] == [(20.0, 30.0)]
    assert failure(run.log) == 65.0
    m = metrics(run.log)
    assert m["time_to_failure"] == 65.0
    assert m["cash_min"] == pytest.approx(0.0, abs=1e-12)  # the failure's instant


class HireAtDay10(Run):
    """The tiny company, plus one hire on a requisition at day 10."""

    def start(self) -> None:
        super().start()
        self.env.process(self.one_hire())

    def one_hire(self) -> Proc:
        yield self.env.timeout(10.0)
        req = self.next_id("requisition")
        self.record(ev.RequisitionOpened, requisition=req, department="engineering")
        hire(self, "engineering", req, ramped=False, rng=self.streams["test.hire"])


def test_a_hire_adds_its_cost_at_once_and_its_salary_from_its_instant() -> None:
    """Day 10: 100 − 2·10 − 5 (hiring) = 75 left at 3 k$ a day: 25 more days, day 35."""
    run = HireAtDay10(tiny(), seed=1)
    run.execute()
    assert failure(run.log) == 35.0
    m = metrics(run.log)
    assert m["time_to_failure"] == 35.0
    assert m["hiring_cost"] == 5.0
    assert m["salary_cost"] == pytest.approx(2 * 35.0 + 25.0, abs=1e-12)
    assert m["cash_end"] == pytest.approx(0.0, abs=1e-12)


def test_a_company_with_enough_cash_survives_and_its_metrics_say_so() -> None:
    """1000 − 2·200 + 30 = 630 at day 200; lowest at the end: 315 days of runway."""
    run = simulate(tiny(cash=1000.0, features=1), seed=1)
    assert failure(run.log) is None
    assert run.log[-1].time == 200.0
    m = metrics(run.log)
    assert (m["survived"], m["time_to_failure"]) == (1.0, 200.0)  # censored at 200
    assert m["cash_end"] == pytest.approx(630.0, rel=1e-12)
    assert m["cash_min"] == pytest.approx(630.0, rel=1e-12)
    assert m["runway_min"] == pytest.approx(315.0 / DAYS_PER_MONTH, rel=1e-12)
    assert cash_at(run.state, 200.0) == pytest.approx(630.0, rel=1e-12)


# ------------------------------------------------------- a real company


def starved() -> Scenario:
    """The bundled start-up with a quarter of its cash and 30% of value as cash: it runs out."""
    tree = load_scenario("startup").to_dict()
    return parse_scenario({**tree, "budget": {**tree["budget"], "cash": 2500.0, "cash_share": 0.3}})


@pytest.mark.parametrize("broker", [True, False], ids=["broker", "no-broker"])
def test_the_failure_stops_every_process_at_its_instant(broker: bool) -> None:
    run = simulate(starved(), seed=1, broker=broker)
    *_, failed, ended = run.log
    assert isinstance(failed, ev.CompanyFailed) and isinstance(ended, ev.RunEnded)
    assert ended.time == failed.time < run.scenario.horizon
    assert sum(isinstance(e, ev.RunEnded | ev.CompanyFailed) for e in run.log) == 2
    assert failed.cash <= 1e-6  # zero, or below when a hire's cost took it there
    m = metrics(run.log)
    assert (m["survived"], m["time_to_failure"]) == (0.0, failed.time)
    assert m["cash_end"] == pytest.approx(failed.cash, abs=1e-6)
    assert m["cash_min"] == pytest.approx(min(0.0, failed.cash), abs=1e-6)
    assert m["runway_min"] == 0.0
    # everything is measured over [0, failure]: cash in = cash out. The cash pays
    # salaries, hiring and the broker; Support's backlog cost and privacy incidents
    # are money lost in `cost` but not paid out of the cash (orgsim 0.3), so they
    # are what `cost` exceeds the cash paid out by.
    founded = next(e for e in run.log if isinstance(e, ev.BudgetFounded))
    paid = m["salary_cost"] + m["hiring_cost"] + m["broker_cost"]
    assert m["cost"] == pytest.approx(
        paid + m["support_backlog_cost"] + m["incident_cost"], rel=1e-12
    )
    assert founded.cash + founded.cash_share * m["value_shipped"] - paid == pytest.approx(
        m["cash_end"], abs=1e-6
    )


def test_a_run_that_fails_is_the_run_that_did_not_up_to_its_failure() -> None:
    """Cash draws nothing and decides nothing else: only the founding cash differs."""
    poor = simulate(starved(), seed=1).log
    sc = starved()
    rich = simulate(
        parse_scenario({**sc.to_dict(), "budget": {**sc.to_dict()["budget"], "cash": 1e9}}),
        seed=1,
    ).log
    assert failure(rich) is None
    n = len(poor) - 2
    for a, b in zip(poor[:n], rich[:n], strict=True):
        if isinstance(a, ev.BudgetFounded):
            assert (a.cash, b.cash) == (2500.0, 1e9)
        elif isinstance(a, ev.RunStarted):
            assert a.scenario_hash != b.scenario_hash
        else:
            assert a == b
    assert rich[n].time >= poor[n].time


@pytest.mark.parametrize("broker", [True, False], ids=["broker", "no-broker"])
def test_the_fold_at_any_time_is_the_live_cash_then(broker: bool) -> None:
    """Snapshots of the live state at 30 random instants equal the log folded there."""
    sc = starved().with_broker(broker)
    run = Run(sc, seed=3)
    times = np.sort(np.random.default_rng(11).uniform(0.0, sc.horizon, 30))
    snapshots = watched(run, times, lambda state, t: (t, state.snapshot(), cash_at(state, t)))
    end = run.env.now
    assert run.state.failed and end < sc.horizon
    assert snapshots and all(t <= end for t, _, _ in snapshots)
    for t, live, cash in snapshots:
        state = fold(run.log, until=t)
        assert state.snapshot() == live, t
        assert cash_at(state, t) == cash > 0.0


def test_the_cash_metrics_agree_with_the_state() -> None:
    """A start-up that survives: its end balance is its cash plus its net value.

    Under orgsim 0.3 the bundled start-up's 10 M$ no longer last three years (seed 2
    fails at day ~609), so it starts with 30 M$ here and survives with ~20 months
    of runway at its lowest. All value is cash (``cash_share`` 1), and the costs the
    cash does not pay (Support's backlog, privacy incidents) are added back.
    """
    tree = load_scenario("startup").to_dict()
    sc = parse_scenario({**tree, "budget": {**tree["budget"], "cash": 30_000.0}})
    run = simulate(sc, seed=2, broker=True)
    m = metrics(run.log)
    end = run.log[-1].time
    assert (m["survived"], end) == (1.0, sc.horizon)
    assert m["cash_end"] == pytest.approx(cash_at(run.state, end), rel=1e-9)
    unpaid = m["support_backlog_cost"] + m["incident_cost"]
    assert m["cash_end"] == pytest.approx(30_000.0 + m["net_value"] + unpaid, rel=1e-9)
    assert m["cash_min"] <= m["cash_end"]
    assert math.isfinite(m["runway_min"]) and m["runway_min"] > 0.0
