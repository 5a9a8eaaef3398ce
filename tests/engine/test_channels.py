"""The broker's channels (:data:`orgsim.engine.context.CHANNELS`): each switch, by hand.

A channel off leaves the broker in office (its draws, its mediators, its
credibility) but its mechanism does nothing. Each switch is checked where one can
say what must change: the first budget quarter of a two-department company (cost
and budget, by hand), and the events of a start-up's year (conflicts, the CEO's
briefing, the market, praise), against the full broker, which must show what the
switch removes (so none of these tests can pass by the mechanism never acting).
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.context import CHANNELS, check_channels
from orgsim.engine.events import payload
from orgsim.engine.run import Run, simulate
from orgsim.errors import ExperimentError
from orgsim.experiments.runner import resolve
from orgsim.metrics.projections import metrics, reference_metrics
from orgsim.scenario.schema import Scenario

QUIET = {"skill_cv": 0.0, "max_hires_per_quarter": 0.0}


def without(*names: str) -> frozenset[str]:
    """Every channel but ``names``."""
    return frozenset(CHANNELS) - set(names)


def cycle_company(broker: bool) -> Scenario:
    """Engineering 3 x 100 k$ (bias 0.2), Product 1 x 825 k$ (bias 0.4), as in
    tests/engine/test_budget_values.py: a base budget of 281.25 k$ a quarter, half of
    shipped value reinvested, power exponent 2; the broker's salary 605 k$, full
    budget neutrality, credibility 0.5 at day 0, no praise before the horizon."""
    departments = {
        "engineering": {"staff": 3, "salary": 100.0, "bias": 0.2, "attrition": 0.0},
        "product": {"staff": 1, "salary": 825.0, "bias": 0.4, "attrition": 0.0},
    }
    b: dict[str, Any] = {"enabled": False}
    if broker:
        b = {
            "enabled": True,
            "salary": 605.0,
            "budget_neutrality": 1.0,
            "initial_credibility": 0.5,
            "praise_interarrival": {"kind": "deterministic", "mean": 1e6},
        }
    return one_stage_company(
        departments,
        horizon=300.0,
        talent=QUIET,
        budget={"headroom": 1.0, "reinvest_share": 0.5, "power_exponent": 2.0},
        broker=b,
    )


def first_quarter(
    sc: Scenario, channels: frozenset[str] | None = None
) -> tuple[Run, ev.QuarterStarted, dict[str, ev.BudgetAllocated]]:
    """The first budget cycle (day 0), after a feature worth 40 k$ shipped at day 0."""
    run = Run(sc, seed=1, channels=channels)
    run.setup()
    run.record(
        ev.FeaturePlanned,
        feature=run.next_id("feature"),
        product=0,
        efforts=(1.0,),
        value=40.0,
        due=100.0,
        epoch=0,
    )
    run.record(ev.FeatureShipped, feature=0, value=40.0, late_days=0.0, misaligned=0.0)
    run.env.run(until=1.0)
    (quarter,) = [e for e in run.log if isinstance(e, ev.QuarterStarted)]
    allocated = {e.department: e for e in run.log if isinstance(e, ev.BudgetAllocated)}
    return run, quarter, allocated


# ------------------------------------------------------------ cost and budget


def test_cost_off_frees_the_salary_for_the_budget_and_takes_no_product_time() -> None:
    # With cost: available = 281.25 + 0.5 x 40 - 605 x 0.25 = 150 (test_budget_values).
    # Without: the salary feeds back, 281.25 + 20 - 0 = 301.25. The neutral read
    # still acts (budget on): requests 82.5 and 247.5 with equal pulls 61.875, so
    # 150.625 each, Engineering capped at 82.5 and Product the rest, 218.75.
    run, quarter, alloc = first_quarter(cycle_company(broker=True), without("cost"))
    assert quarter.broker_cost == 0.0
    assert quarter.available == 301.25
    assert alloc["engineering"].allocated == pytest.approx(82.5, rel=1e-12)
    assert alloc["product"].allocated == pytest.approx(218.75, rel=1e-12)
    formed = {e.department: e.overhead for e in run.log if isinstance(e, ev.DepartmentFormed)}
    assert formed == {"engineering": 0.0, "product": 0.0}
    full, *_ = first_quarter(cycle_company(broker=True))
    formed_full = {e.department: e.overhead for e in full.log if isinstance(e, ev.DepartmentFormed)}
    assert formed_full == {"engineering": 0.0, "product": 0.05}  # Broker.pm_overhead


def test_budget_off_allocates_by_bias_and_power_out_of_what_the_broker_leaves() -> None:
    # available 150 (cost on); neutral 0, gamma 2: requests 90 and 288.75, pulls
    # 90 x 0.75^2 = 50.625 and 288.75 x 0.25^2 = 18.046875. Engineering's share
    # 150 x 50.625 / 68.671875 = 110.58 passes its cap 90: it gets 90, Product 60.
    _, quarter, alloc = first_quarter(cycle_company(broker=True), without("budget"))
    assert quarter.available == pytest.approx(150.0, rel=1e-12)
    assert alloc["engineering"].request == pytest.approx(90.0, rel=1e-12)
    assert alloc["product"].request == pytest.approx(288.75, rel=1e-12)
    assert alloc["engineering"].allocated == pytest.approx(90.0, rel=1e-12)
    assert alloc["product"].allocated == pytest.approx(60.0, rel=1e-12)


def allocations(log: Any) -> list[dict[str, Any]]:
    return [{"time": e.time, **payload(e)} for e in log if isinstance(e, ev.BudgetAllocated)]


def test_without_cost_and_budget_every_allocation_is_the_one_without_the_broker() -> None:
    # no conflicts in this company: what the budget sees differs only by the two
    # channels, so with both off every quarter allocates as without the broker
    broker = simulate(cycle_company(broker=True), seed=1, channels=without("cost", "budget"))
    alone = simulate(cycle_company(broker=False), seed=1)
    assert len(allocations(alone.log)) == 2 * 4  # quarters at 0, 91.25, 182.5, 273.75
    assert allocations(broker.log) == allocations(alone.log)
    full = simulate(cycle_company(broker=True), seed=1)
    assert allocations(full.log) != allocations(alone.log)


# ------------------------------------------------------- a start-up's year


@pytest.fixture(scope="module")
def startup() -> Scenario:
    return resolve("startup", ["horizon=365"])


@pytest.fixture(scope="module")
def full(startup: Scenario) -> Run:
    return simulate(startup, seed=1, broker=True)


def events(run: Run, cls: type[ev.Event]) -> list[Any]:
    return [e for e in run.log if isinstance(e, cls)]


def test_conflicts_off_detects_and_mediates_nothing(startup: Scenario, full: Run) -> None:
    assert any(e.channel == "broker" for e in events(full, ev.ConflictDetected))
    assert events(full, ev.MediationQueued)
    run = simulate(startup, seed=1, broker=True, channels=without("conflicts"))
    assert {e.channel for e in events(run, ev.ConflictDetected)} == {"surfaced"}
    assert events(run, ev.MediationQueued) == events(run, ev.MediationFailed) == []
    assert {e.forum for e in events(run, ev.ConflictResolved)} <= {"negotiation", "ceo"}


def test_ceo_off_briefs_the_ceo_with_nothing(startup: Scenario, full: Run) -> None:
    assert all(e.briefing > 0 for e in events(full, ev.MediationFailed))
    run = simulate(startup, seed=1, broker=True, channels=without("ceo"))
    failed = events(run, ev.MediationFailed)
    assert failed and all(e.briefing == 0.0 for e in failed)


def test_market_off_realigns_no_roadmap_for_the_broker(startup: Scenario, full: Run) -> None:
    assert any(e.channel == "broker" for e in events(full, ev.RoadmapRealigned))
    run = simulate(startup, seed=1, broker=True, channels=without("market"))
    assert events(run, ev.RealignmentStarted) == []
    assert {e.channel for e in events(run, ev.RoadmapRealigned)} <= {"surfaced"}
    # the market itself moves as it does in every arm (its own stream)
    shifts = [(e.time, e.product) for e in events(run, ev.MarketShifted)]
    assert shifts and shifts == [(e.time, e.product) for e in events(full, ev.MarketShifted)]


def test_praise_off_praises_nobody(startup: Scenario, full: Run) -> None:
    assert events(full, ev.BrokerPraised)
    run = simulate(startup, seed=1, broker=True, channels=without("praise"))
    assert events(run, ev.BrokerPraised) == []


# ---------------------------------------------- every channel off, or all on


#: Events the broker's arm records of its own, whatever its channels.
OWN = (ev.BrokerAppointed, ev.BrokerChannelsLimited)


def comparable(run: Run) -> list[tuple[str, float, dict[str, Any]]]:
    """The log without the broker's own events, and ``RunStarted`` without its arm
    (nor the digest of the scenario, whose ``broker.enabled`` is the arm)."""
    out = []
    for e in run.log:
        if isinstance(e, OWN):
            continue
        fields = payload(e)
        if isinstance(e, ev.RunStarted):
            fields.pop("broker")
            fields.pop("scenario_hash")
        out.append((type(e).__name__, e.time, fields))
    return out


@pytest.mark.parametrize(("name", "horizon"), [("startup", 730), ("midsize", 365)])
def test_no_channel_is_no_broker_event_for_event(name: str, horizon: int) -> None:
    # Not true by construction: the broker is in office, draws from its streams,
    # holds mediators and credibility; only its mechanisms are off. Every other
    # event (and so every metric but the broker's own) must be the other arm's.
    sc = resolve(name, [f"horizon={horizon}"])
    for rep in range(2):
        none = simulate(sc, seed=1, replication=rep, broker=True, channels=())
        off = simulate(sc, seed=1, replication=rep, broker=False)
        assert comparable(none) == comparable(off)
        assert metrics(none.log)["net_value"] == metrics(off.log)["net_value"]
        assert events(none, ev.BrokerAppointed)  # the broker was there


def test_all_channels_named_is_the_default_run_byte_for_byte(startup: Scenario, full: Run) -> None:
    named = simulate(startup, seed=1, broker=True, channels=list(reversed(CHANNELS)))
    assert named.log.digest() == full.log.digest()
    assert events(full, ev.BrokerChannelsLimited) == []
    assert full.state.channels is None


def test_a_limited_run_says_so_in_its_log_and_still_measures(startup: Scenario) -> None:
    run = simulate(startup, seed=1, broker=True, channels={"praise", "cost"})
    kinds = [type(e) for e in run.log]
    at = kinds.index(ev.BrokerChannelsLimited)
    assert kinds[at - 1] is ev.BrokerAppointed
    (limited,) = events(run, ev.BrokerChannelsLimited)
    assert limited.channels == ("cost", "praise")  # in the channels' order
    assert run.state.channels == ("cost", "praise")
    assert metrics(run.log) == pytest.approx(reference_metrics(list(run.log)), nan_ok=True)


def test_channels_are_ignored_without_the_broker(startup: Scenario) -> None:
    plain = simulate(startup, seed=1, broker=False)
    named = simulate(startup, seed=1, broker=False, channels=("cost",))
    assert named.log.digest() == plain.log.digest()


def test_unknown_channels_are_refused_all_at_once() -> None:
    with pytest.raises(ExperimentError, match="'salary', 'neutrality'; the channels are cost"):
        check_channels(["cost", "salary", "neutrality"])
    with pytest.raises(ExperimentError, match="a collection of channel names"):
        check_channels("cost")
    assert check_channels(None) == frozenset(CHANNELS)
    assert check_channels(()) == frozenset()
