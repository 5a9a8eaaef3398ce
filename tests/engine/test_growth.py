"""Growth: the budget follows the business, the headcount the budget, the structure the headcount.

Hand-computed cases of each rule (orgsim.engine.growth) on a tiny company, then
the bundled scale-up checked for conservation and for what it does under the
default dynamics.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import attrs
import pytest

from orgsim.engine import events as ev
from orgsim.engine.context import Proc, RunContext
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import fold
from orgsim.engine.talent import hire
from orgsim.errors import ScenarioError
from orgsim.metrics import vectorised
from orgsim.metrics.projections import metrics as reference_metrics
from orgsim.scenario.grounding import grounding_of
from orgsim.scenario.interventions import Intervention
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.schema import Growth, Scenario
from orgsim.scenario.structure import layers, teams

OFF = {k: {"enabled": False} for k in Scenario().conflicts.kinds}


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def of(log: Any, cls: type) -> list[Any]:
    return [e for e in log if isinstance(e, cls)]


def tiny(value: float = 500.0, growth: bool = True, staff: int = 2) -> Scenario:
    """Engineers at 365 k$ a year (1 k$ a day each), one 40 person-day feature worth ``value``.

    No conflicts, attrition, hiring or broker; the feature ships at day 40 / 2 = 20,
    on time, and all its value is cash.
    """
    departments: dict[str, Any] = {n: {"enabled": False} for n in Scenario().departments}
    departments["engineering"] = {"staff": staff, "salary": 365.0, "attrition": 0.0}
    return parse_scenario(
        {
            "horizon": 200.0,
            "departments": departments,
            "delivery": {
                "products": 1,
                "initial_features": 1,
                "feature_interarrival": det(1e6),
                "due_in": det(1000.0),
                "value": det(value),
                "team_cap": 100.0,
                "stages": [{"name": "build", "department": "engineering", "effort": det(40.0)}],
            },
            "budget": {"cash": 1000.0, "cash_share": 1.0},
            "talent": {"skill_cv": 0.0, "max_hires_per_quarter": 0.0},
            "conflicts": {"intensity": 0.0, "kinds": OFF},
            "broker": {"enabled": False},
            "growth": {"enabled": growth},
        }
    )


# ------------------------------------------------------------------ the section


def test_growth_is_off_by_default_and_leaves_the_hash_alone() -> None:
    sc = Scenario()
    assert sc.growth == Growth() and not sc.growth.enabled
    grown = parse_scenario({"growth": {"enabled": True}})
    assert grown.digest() != sc.digest()
    # the default section is left out of the plain form and the hash: every old
    # scenario hashes as before
    data = sc.to_dict()
    assert "growth" not in data and "growth" in grown.to_dict()
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    assert sc.digest() == hashlib.sha256(text.encode()).hexdigest()[:16]


def test_a_bad_reinvest_share_is_refused_with_its_path() -> None:
    with pytest.raises(ScenarioError, match=r"growth\.reinvest_share"):
        parse_scenario({"growth": {"reinvest_share": 1.5}})


# ------------------------------------------------------- value into the budget


def test_one_quarters_surplus_moves_the_next_base_budget() -> None:
    """Payroll 730 k$ a year: base 730 x 0.25 x 1.04 = 189.8 a quarter.

    Quarter 1: the feature brought 500, payroll took 2 x 91.25 = 182.5, so the
    surplus is 317.5 and the base 189.8 + 0.5 x 317.5 = 348.55. Quarter 2: nothing
    shipped, surplus -182.5, base 348.55 - 91.25 = 257.3 (above the payroll floor).
    """
    run = simulate(tiny(500.0))
    moves = of(run.log, ev.BudgetReinvested)
    assert [m.quarter for m in moves] == [1, 2]
    assert moves[0].surplus == pytest.approx(317.5, abs=1e-9)
    assert moves[0].base_budget == pytest.approx(348.55, abs=1e-9)
    assert moves[1].surplus == pytest.approx(-182.5, abs=1e-9)
    assert moves[1].base_budget == pytest.approx(257.3, abs=1e-9)
    quarters = of(run.log, ev.QuarterStarted)
    assert [q.available for q in quarters] == pytest.approx([189.8, 348.55, 257.3])


def test_a_loss_moves_the_budget_down_only_to_the_payroll() -> None:
    """Value 30: surplus 30 - 182.5 = -152.5, 189.8 - 76.25 = 113.55 < the floor 189.8."""
    moves = of(simulate(tiny(30.0)).log, ev.BudgetReinvested)
    assert moves[0].surplus == pytest.approx(-152.5, abs=1e-9)
    assert moves[0].base_budget == pytest.approx(189.8, abs=1e-9)


def test_the_heads_ask_for_their_share_of_the_funded_growth() -> None:
    """Quarter 1 funds 2 x 348.55 / 189.8 = 3.67 engineers.

    At most max(2 x 1.25, 2 + 1) = 3 (one more person: 25% of two is not one):
    need 3 x 365 x 0.25 = 273.75 (without growth: 2 x 91.25 = 182.5).
    """
    needs = [a.need for a in of(simulate(tiny(500.0)).log, ev.BudgetAllocated)]
    assert needs[1] == pytest.approx(273.75)
    fixed = [a.need for a in of(simulate(tiny(500.0, growth=False)).log, ev.BudgetAllocated)]
    assert fixed[1] == pytest.approx(182.5)


def test_max_growth_caps_what_a_larger_department_asks_for() -> None:
    """Eight engineers: base 2,920 x 0.25 x 1.04 = 759.2; the feature (worth 2,000)
    ships at day 5, so quarter 1's surplus is 2,000 - 730 = 1,270 and its base
    759.2 + 635 = 1,394.2, funding 8 x 1,394.2 / 759.2 = 14.69 engineers; the cap
    max(8 x 1.25, 9) = 10 binds: need 10 x 91.25 = 912.5.
    """
    log = simulate(tiny(2000.0, staff=8)).log
    assert of(log, ev.BudgetReinvested)[0].base_budget == pytest.approx(1394.2)
    assert of(log, ev.BudgetAllocated)[1].need == pytest.approx(912.5)


def test_without_growth_no_growth_event_is_recorded() -> None:
    log = simulate(tiny(500.0, growth=False)).log
    growth_events = (
        ev.BudgetReinvested,
        ev.DepartmentReshaped,
        ev.PmOrganisationChanged,
        ev.SupportDemandChanged,
    )
    assert not [e for e in log if isinstance(e, growth_events)]


# ------------------------------------------------------- structure follows size


def _one_more(staff: int, growth: bool) -> Run:
    run = Run(tiny(growth=growth, staff=staff), 1)
    run.found()
    run.record(ev.RequisitionOpened, requisition=0, department="engineering")
    hire(run, "engineering", requisition=0, ramped=False, rng=run.streams["test"])
    return run


def test_crossing_a_team_boundary_reshapes_the_department() -> None:
    """Span 7: 7 engineers are one team in one layer; the 8th makes 2 teams, 2 layers."""
    run = _one_more(7, growth=True)
    shapes = of(run.log, ev.DepartmentReshaped)
    assert [(e.department, e.teams, e.layers) for e in shapes] == [("engineering", 2, 2)]
    d = run.state.departments["engineering"]
    assert (d.teams, d.layers) == (2, 2)
    assert d.drag == pytest.approx(run.scenario.conflicts.drag / 2)
    # no Product: no Directors, the one line PM covers both engineering teams
    (org,) = of(run.log, ev.PmOrganisationChanged)
    assert (org.directors, org.line_pms, org.coverage) == (0, 1, 2.0)
    assert (org.mediators, org.broker_salary) == (0, 0.0)  # no broker in office
    assert fold(run.log).snapshot() == run.state.snapshot()


def test_a_hire_within_a_team_reshapes_nothing() -> None:
    assert not of(_one_more(5, growth=True).log, ev.DepartmentReshaped)
    assert not of(_one_more(7, growth=False).log, ev.DepartmentReshaped)


# ------------------------------------------------------------- the scale-up


@pytest.fixture(scope="module")
def scaleup() -> dict[bool, Run]:
    sc = load_scenario("scaleup")
    return {arm: simulate(sc, seed=1, broker=arm) for arm in (False, True)}


def payroll_path(log: Any) -> list[tuple[float, float, type]]:
    """The payroll (k$ a year) after every hire or leaver, counted from the events."""
    pay: dict[int, float] = {}
    out = []
    for e in log:
        if isinstance(e, ev.EmployeeHired):
            pay[e.employee] = e.salary
        elif isinstance(e, ev.EmployeeLeft):
            pay.pop(e.employee)
        else:
            continue
        out.append((e.time, sum(pay.values()), type(e)))
    return out


@pytest.mark.parametrize("arm", [False, True], ids=["no-broker", "broker"])
def test_scaleup_payroll_stays_within_every_quarters_budget(
    scaleup: dict[bool, Run], arm: bool
) -> None:
    """At every quarter's start the payroll is within the budget allocated (no slack needed).

    The base budget never falls below the payroll at the founding headroom (1.04),
    and the departments' allocations add up to the budget available; within the
    quarter, hires fill only funded requisitions, so the payroll stays within the
    quarter's budget plus that headroom.
    """
    run = scaleup[arm]
    log = run.log
    qs = run.quarter_share
    quarters = of(log, ev.QuarterStarted)
    path = payroll_path(log)
    for q in quarters:
        allocated = sum(a.allocated for a in of(log, ev.BudgetAllocated) if a.quarter == q.quarter)
        assert allocated == pytest.approx(q.available)
        before = [p for t, p, _ in path if t <= q.time]
        payroll = before[-1] if before else 0.0
        assert payroll * qs <= q.available + 1e-9 + (q.broker_cost if arm else 0.0), q
    for q, nxt in zip(quarters, [*quarters[1:], None], strict=True):
        end = nxt.time if nxt is not None else float("inf")
        inside = [p for t, p, _ in path if q.time <= t < end]
        if inside:
            assert max(inside) * qs <= (q.available + q.broker_cost) * 1.04 + 1e-9


def test_scaleup_folds_to_its_live_state(scaleup: dict[bool, Run]) -> None:
    for run in scaleup.values():
        assert fold(run.log).snapshot() == run.state.snapshot()


def test_scaleup_under_the_defaults_does_not_scale(scaleup: dict[bool, Run]) -> None:
    """What the default dynamics give (docs/model.md, Growth): the start-up loses money.

    Its value shipped falls short of its payroll (its 3-person QA and Product are
    the bottleneck and the weakest claimants on the budget), so the base budget
    stays on the payroll floor, nobody is hired beyond replacements, and the cash
    runs out within its second or third year, as the fixed-budget start-up's does.
    """
    for run in scaleup.values():
        sizes = [p for _, p, _ in payroll_path(run.log)]
        assert of(run.log, ev.CompanyFailed)
        assert run.state.time < 3 * 365
        heads = [n for n in _headcounts(run.log)]
        assert max(heads) <= 50 and sizes


def _headcounts(log: Any) -> list[int]:
    n, out = 0, []
    for e in log:
        if isinstance(e, ev.EmployeeHired):
            n += 1
        elif isinstance(e, ev.EmployeeLeft):
            n -= 1
        out.append(n)
    return out


def test_a_profitable_scaleup_grows_and_reshapes_exactly() -> None:
    """With features worth far more (a what-if, not a default), the mechanism compounds.

    The budget grows from the surplus, the headcount follows within the labour
    market's pace, departments reshape and the PM organisation follows; the log
    folds to the live state and conflict arrivals and roadmaps kept their draws.
    """
    sc = load_scenario("scaleup", overrides=["delivery.value.mean=5000", "horizon=1095"])
    run = simulate(sc, seed=1, broker=False)
    log = run.log
    heads = _headcounts(log)
    assert heads[-1] > 2 * 45
    assert of(log, ev.DepartmentReshaped) and of(log, ev.PmOrganisationChanged)
    assert of(log, ev.SupportDemandChanged)
    bases = [m.base_budget for m in of(log, ev.BudgetReinvested)]
    assert bases[-1] > 3 * bases[0]
    assert fold(log).snapshot() == run.state.snapshot()
    for d in run.state.departments.values():
        assert (d.teams, d.layers) == (teams(d.staff, 7.0), layers(d.staff, 7.0))


def test_a_growing_pm_organisation_gives_the_broker_its_directors_as_mediators() -> None:
    """With a broker in office and broker.mediators = 0: the VP PM plus the live Directors."""
    sc = load_scenario(
        "scaleup",
        overrides=[
            "delivery.value.mean=5000",
            "horizon=1460",
            "broker.enabled=true",
            "interventions.0.enabled=false",
        ],
    )
    run = simulate(sc, seed=2)
    orgs = of(run.log, ev.PmOrganisationChanged)
    assert orgs and all(o.mediators == 1 + o.directors for o in orgs)
    assert all(o.broker_salary == sc.broker.salary for o in orgs)  # no hired mediators
    assert max(o.directors for o in orgs) >= 1
    assert run.mediators.capacity == run.state.mediators == orgs[-1].mediators
    assert fold(run.log).snapshot() == run.state.snapshot()


def test_resizing_the_mediators_admits_the_waiting_and_lets_the_busy_finish() -> None:
    """One mediator, three requests at day 0 for 10 days each.

    At day 5 the pool grows to 3: both waiting start at 5 and end at 15. At day 12
    it shrinks to 1: the two busy finish, and a fourth request made at 13 starts
    only when fewer than one is busy, at 15.
    """
    ctx = RunContext(tiny(), 1)  # no Product, no Directors: the VP PM alone
    env = ctx.env
    starts: list[float] = []

    def mediation(at: float) -> Proc:
        yield env.timeout(at)
        with ctx.mediators.request() as slot:
            yield slot
            starts.append(env.now)
            yield env.timeout(10.0)

    def resize() -> Proc:
        yield env.timeout(5.0)
        ctx.mediators.resize(3)
        yield env.timeout(7.0)
        ctx.mediators.resize(1)

    assert ctx.mediators.capacity == 1
    for at in (0.0, 0.0, 0.0, 13.0):
        env.process(mediation(at))
    env.process(resize())
    env.run()
    assert starts == [0.0, 5.0, 5.0, 15.0]


def _behaviour(obj: Any) -> Any:
    """A scenario tree without its structural inputs (and its name)."""
    if attrs.has(type(obj)):
        out = {}
        for f in attrs.fields(type(obj)):
            g = grounding_of(type(obj), f.name)
            if f.name in ("name", "description") or (g is not None and g.structural):
                continue
            out[f.name] = _behaviour(getattr(obj, f.name))
        return out
    if isinstance(obj, dict):
        return {k: _behaviour(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_behaviour(v) for v in obj]
    return obj


def test_scaleup_is_the_startup_with_growth_on_and_no_broker() -> None:
    """Only structure, growth, the broker's appointment policy differ: no constant tuned."""
    start, up = load_scenario("startup"), load_scenario("scaleup")
    assert up.growth.enabled and not up.broker.enabled
    (policy,) = up.interventions
    assert policy.appoint and policy.headcount == 100 and not policy.set
    up = attrs.evolve(up, interventions=[])
    assert 6 * 365 <= up.horizon <= 8 * 365
    assert sum(d.staff for d in up.departments.values()) == 45
    same = attrs.evolve(up, growth=Growth(), broker=attrs.evolve(up.broker, enabled=True))
    assert _behaviour(same) == _behaviour(start)
    assert same.departments == start.departments and same.delivery == start.delivery


def test_a_broker_appointed_at_a_headcount_follows_the_growing_pm_organisation() -> None:
    """The later sweep's case: growth on, the VP PM appointed when the company reaches 70.

    From the appointment on, the mediators are the VP PM plus the live Directors,
    plus the one an intervention added, and the log folds to the live state.
    """
    sc = load_scenario(
        "scaleup",
        overrides=[
            "delivery.value.mean=5000",
            "horizon=1460",
            "growth.reinvest_share=1",
            "interventions.0.headcount=70",
        ],
    )
    ivs = [Intervention(headcount=90, mediators=1)]
    run = simulate(sc, seed=3, interventions=ivs)
    (appointed,) = of(run.log, ev.BrokerAppointed)
    orgs = [o for o in of(run.log, ev.PmOrganisationChanged) if o.seq > appointed.seq]
    assert orgs and max(o.directors for o in orgs) >= 1  # Product grew past 8
    added = [e.time for e in of(run.log, ev.MediatorsChanged)]
    for o in orgs:
        extra = 1 if added and o.time >= added[0] else 0  # (never at the same instant)
        assert o.mediators == 1 + o.directors + extra
    assert run.mediators.capacity == run.state.mediators
    assert fold(run.log).snapshot() == run.state.snapshot()


def test_an_intervention_on_the_intensity_re_paces_the_arrivals_exactly() -> None:
    """Intensity x3 at day 200: the interval in progress runs its rest three times as fast.

    Compared with the same run without the change, every conflict kind's first
    arrival after day 200 is at ``200 + (t_old - 200) / 3``.
    """
    sc = load_scenario("midsize", overrides=["horizon=400"])
    before = simulate(sc, seed=4, broker=False)
    after = simulate(
        sc,
        seed=4,
        broker=False,
        interventions=[Intervention(day=200.0, set={"conflicts.intensity": 3.0})],
    )

    def first_after(log: Any, kind: str) -> float:
        return min(e.time for e in of(log, ev.ConflictRaised) if e.kind == kind and e.time > 200.0)

    kinds = {e.kind for e in of(before.log, ev.ConflictRaised) if e.time > 200.0}
    kinds &= {k for k, v in sc.conflicts.kinds.items() if v.effect != "budget"}
    assert kinds
    for kind in kinds:
        old = first_after(before.log, kind)
        # the first arrival after 200 in the old run was the interval in progress at 200
        assert first_after(after.log, kind) == pytest.approx(200.0 + (old - 200.0) / 3.0)


# ------------------------------------------------------------------ venture rounds


def _short_of_cash(value: float) -> Scenario:
    """:func:`tiny` with 300 k$ of founding cash: by quarter 1 its runway is short."""
    data = tiny(value).to_dict()
    data["budget"] = {**data["budget"], "cash": 300.0}
    return parse_scenario(data)


def test_a_short_runway_raises_a_round_sized_by_revenue() -> None:
    """At quarter 1 (day 91.25) the cash is 300 + 500 - 182.5 = 617.5 k$, 308.75 days
    at 2 k$ a day: 10.15 months, under 12. The quarter's 500 k$ is a run-rate of
    2,000 a year, so the round is 2 x 2,000 = 4,000; the base, 348.55 after the
    reinvestment, rises by 4,000 / (4 x 2) = 500 to 848.55. Quarter 2: the runway is
    long (4,435 k$), no round; the surplus -182.5 moves the base to 757.3.
    """
    run = simulate(_short_of_cash(500.0))
    (raised,) = of(run.log, ev.FundsRaised)
    assert (raised.time, raised.quarter) == (91.25, 1)
    assert raised.revenue == pytest.approx(2000.0)
    assert raised.amount == pytest.approx(4000.0)
    assert raised.runway == pytest.approx(308.75 / (365.0 / 12.0))
    assert raised.base_budget == pytest.approx(848.55)
    assert [q.available for q in of(run.log, ev.QuarterStarted)] == pytest.approx(
        [189.8, 848.55, 757.3]
    )
    assert fold(run.log).snapshot() == run.state.snapshot()
    got, ref = vectorised.metrics(run.log), reference_metrics(list(run.log))
    assert got["cash_end"] == ref["cash_end"]
    assert got["cash_end"] == pytest.approx(300.0 + 500.0 + 4000.0 - 2.0 * 200.0)


def test_a_company_that_ships_nothing_raises_nothing() -> None:
    assert not of(simulate(_short_of_cash(0.0)).log, ev.FundsRaised)


def test_no_round_without_growth_or_with_raise_below_zero() -> None:
    data = _short_of_cash(500.0).to_dict()
    data["growth"] = {**data["growth"], "raise_below": 0.0}
    assert not of(simulate(parse_scenario(data)).log, ev.FundsRaised)
    assert not of(simulate(tiny(500.0, growth=False)).log, ev.FundsRaised)
