"""Growth: a company that grows from what it ships (``growth.enabled``).

Without growth a company keeps its founding budget and shape, and a start-up stays
a start-up. With it, four mechanisms compound, none of them a growth rate typed in:

* **Value reinvested into budget** (:func:`reinvest`). At each quarter's start the
  base budget moves by ``growth.reinvest_share`` of the operating surplus of the
  quarter just ended: the change of the cash balance over it, which is the cash in
  from shipped value less payroll, hiring and the broker's cost (the cash flow of
  :mod:`orgsim.engine.state`). A deficit shrinks it. The base absorbs the value
  shipped, so the fixed-budget model's per-quarter ``budget.reinvest_share`` of
  shipped value is not added on top.
* **…and into headcount** (:func:`funded`). A department's head asks for its share
  of the headcount the quarter's budget funds: its people and open requisitions
  scaled by what the budget available to departments buys over what the company
  already pays for (with the founding headroom kept as slack), at most
  ``budget.max_growth`` more a quarter, or one person more for a department too
  small for that share to be a whole person (a 3-person Product asking for 3.75
  would, with its bias, be funded 3.9 people and never hire a fourth; the hiring
  quota has the same at-least-one rule). Hiring is then paced by the labour market
  as for any requisition: ``talent.max_hires_per_quarter`` of a department's staff
  opened a quarter, ``talent.time_to_hire`` to fill, ``talent.ramp_days`` to ramp.
* **Customers follow Sales** (:func:`follow_customers`). Support's customers are
  what Sales sold: the demand is ``support.demand`` per Sales person, re-read at
  each quarter's start from the Sales headcount, and it never falls (a salesperson
  who leaves takes no customers along, as at founding).
* **Structure follows size** (:func:`headcount_changed`, :func:`reorganise`). When a
  department's headcount crosses a team or layer boundary its teams and layers are
  re-derived by the founding rules (:mod:`orgsim.scenario.structure`) and recorded
  (``DepartmentReshaped``): a conflict then drags one team of the new size, and
  surfaces and climbs through the new layers. The PM organisation follows too
  (``PmOrganisationChanged``): Directors and line PMs from Product's headcount,
  coverage from the other departments' teams, neutrality from Product's share,
  and, while a broker is in office with ``broker.mediators = 0``, the VP PM plus
  the Directors as mediators (the mediator pool is resized), plus or minus what
  an intervention added or removed; mediators beyond the VP PM and the Directors
  are paid as hired ones. Conflict arrivals
  follow the live interfaces and the roadmaps the live line PMs, exactly
  (:mod:`orgsim.engine.pacing`).

The seed: VP PMs "are mostly found in the largest PM organizations", and "at
start-ups, cash burn is much more important than job title": size acts only
through structure, so whether a broker pays at 45 people or at 1,000 is the
model's answer, not a number typed per scenario.
"""

from __future__ import annotations

from orgsim.engine import events as ev
from orgsim.engine.context import RunContext
from orgsim.engine.pacing import repace
from orgsim.engine.state import cash_at
from orgsim.scenario.structure import interfaces, layers, organise, teams

#: The department whose headcount sizes the customer base (``run.SALES``).
SALES = "sales"


def grows(ctx: RunContext) -> bool:
    """Whether the run's company grows from what it ships."""
    return ctx.scenario.growth.enabled


def reinvest(ctx: RunContext, quarter: int) -> None:
    """Move the base budget by a share of the last quarter's operating surplus.

    Recorded at the start of every quarter but the first (the founding budget has
    no quarter behind it); the base never goes below the payroll
    (:func:`payroll_floor`).
    """
    state = ctx.state
    surplus = cash_at(state, ctx.env.now) - state.cash_at_quarter
    moved = state.base_budget + ctx.scenario.growth.reinvest_share * surplus
    base = max(moved, payroll_floor(ctx))
    ctx.record(ev.BudgetReinvested, quarter=quarter, surplus=surplus, base_budget=base)


#: Days in a month, for a runway in months.
DAYS_PER_MONTH = 365.0 / 12.0


def raise_funds(ctx: RunContext, quarter: int) -> None:
    """Investors fund traction: a round when the runway runs short, sized by revenue.

    At a quarter's start, when the cash would last fewer than
    ``growth.raise_below`` months at the burn of the moment, the company raises
    ``growth.round_multiple`` times its revenue run-rate (last quarter's cash in
    from what shipped, annualised), and plans to spend it over
    ``growth.spend_years``: the base budget rises by the round over that many
    quarters. A company that ships nothing raises nothing, and burns out ("at
    start-ups, cash burn is much more important than job title").
    """
    g, state = ctx.scenario.growth, ctx.state
    if g.raise_below <= 0.0 or g.round_multiple <= 0.0 or state.burn <= 0.0:
        return
    runway = cash_at(state, ctx.env.now) / state.burn / DAYS_PER_MONTH
    if runway >= g.raise_below:
        return
    shipped = state.value_shipped - state.value_at_quarter
    revenue = state.cash_share * shipped * 365.0 / ctx.scenario.budget.quarter_days
    amount = g.round_multiple * revenue
    if amount <= 0.0:
        return
    base = state.base_budget + amount / (4.0 * g.spend_years)
    ctx.record(
        ev.FundsRaised,
        quarter=quarter,
        amount=amount,
        revenue=revenue,
        runway=max(0.0, runway),
        base_budget=base,
    )


def payroll_floor(ctx: RunContext) -> float:
    """The least base budget: what the company pays its people a quarter, at the headroom.

    orgsim has no lay-offs, so a budget below the payroll is one nobody could
    spend: a loss moves the budget down only as far as the people it pays, and the
    rest of the loss is the cash's to bear (a company that keeps losing runs out
    of it and fails, "cash burn is much more important than job title").
    """
    return ctx.state.payroll * ctx.quarter_share * ctx.scenario.budget.headroom


def funded(ctx: RunContext, name: str) -> float:
    """The headcount a department's share of this quarter's budget funds.

    Its people and open requisitions ``h``, times the budget available to the
    departments over what the company's people and requisitions cost at its
    budget's headroom: ``h × available / (headroom × Σ salary × h × quarter)``.
    A company whose budget grew by a tenth funds a tenth more of each department.
    """
    state = ctx.state
    d = state.departments[name]
    have = d.staff + d.open_reqs
    cost = sum(x.salary * (x.staff + x.open_reqs) for x in state.departments.values())
    committed = cost * ctx.quarter_share * ctx.scenario.budget.headroom
    if committed <= 0.0:
        return float(have)
    return have * state.available / committed


def follow_customers(ctx: RunContext) -> None:
    """Support's customers follow the Sales headcount, and never fall (quarter start)."""
    sup = ctx.scenario.support
    deps = ctx.state.departments
    if SALES not in deps or sup.department not in deps:
        return
    d = deps[sup.department]
    if d.demand <= 0.0:
        return  # no customers were founded: nothing for Sales' hires to add to
    demand = sup.demand * deps[SALES].staff
    if demand > d.demand:
        ctx.record(ev.SupportDemandChanged, department=sup.department, demand=demand)


def headcount_changed(ctx: RunContext, *names: str) -> None:
    """Re-derive the departments' teams and layers, and the PM organisation, if they moved.

    Called when someone joins, leaves or moves (not for the founding staff, whom
    the founding shape already counts). Nothing happens without growth.
    """
    if not ctx.scenario.growth.enabled:
        return
    span = ctx.scenario.structure.span_of_control
    moved = False
    for name in names:
        d = ctx.state.departments[name]
        t, lay = teams(d.staff, span), layers(d.staff, span)
        if t != d.teams or lay != d.layers:
            ctx.record(ev.DepartmentReshaped, department=name, teams=t, layers=lay)
            moved = True
    if moved or ctx.scenario.broker.department in names:
        moved = reorganise(ctx) or moved
    if moved:
        repace(ctx)


def reorganise(ctx: RunContext) -> bool:
    """Re-derive the PM organisation from the live headcount; record it if it changed.

    Returns:
        Whether it changed (the caller re-paces the processes that read it).
    """
    sc, state = ctx.scenario, ctx.state
    b = sc.broker
    deps = state.departments
    pm = deps[b.department].staff if b.department in deps else 0
    others = sum(d.teams for n, d in deps.items() if n != b.department)
    total = sum(d.staff for d in deps.values())
    org = organise(
        pm,
        others,
        total,
        sc.structure.span_of_control,
        b.mediators,
        b.neutrality,
        b.neutrality_loss,
    )
    office = ctx.broker
    mediators, neutrality, salary = state.mediators, state.neutrality, state.broker_salary
    if office:
        neutrality = org.neutrality
        if b.mediators == 0:  # the VP PM and the Directors, and what interventions added
            mediators = max(1, state.mediators + org.directors - state.directors)
        hired = max(0, mediators - 1 - org.directors)
        salary = state.broker_pay * (1 + hired)
    new = (org.directors, org.line_pms, org.coverage, neutrality, mediators, salary)
    old = (
        state.directors,
        state.line_pms,
        state.coverage,
        state.neutrality,
        state.mediators,
        state.broker_salary,
    )
    if new == old:
        return False
    ctx.record(
        ev.PmOrganisationChanged,
        directors=org.directors,
        line_pms=org.line_pms,
        coverage=org.coverage,
        neutrality=neutrality,
        mediators=mediators,
        broker_salary=salary,
    )
    if office and mediators != ctx.mediators.capacity:
        ctx.mediators.resize(mediators)
    return True


def quarter_started(ctx: RunContext, quarter: int) -> None:
    """A growing company's quarter start: reinvest, follow the customers, reorganise.

    Before the quarter's ``QuarterStarted``, so its budget is the moved base.
    """
    if quarter > 0:
        reinvest(ctx, quarter)
        raise_funds(ctx, quarter)
    follow_customers(ctx)
    if reorganise(ctx):  # Product's share of the company drifted: its neutrality
        repace(ctx)


def live_line_pms(ctx: RunContext) -> int:
    """The line PMs writing the roadmaps now: the founding count, unless the company grows.

    Without growth the structure is the founding one for the whole run (a broker
    appointed mid-run reads the PM organisation of the day, but the roadmaps keep
    the founding pace, as they always did).
    """
    if ctx.scenario.growth.enabled and ctx.state.line_pms > 0:
        return ctx.state.line_pms
    return ctx.shape.line_pms


def live_interfaces(ctx: RunContext, a: str, b: str) -> float:
    """The live working interfaces between two departments (their live teams)."""
    deps = ctx.state.departments
    ta = deps[a].teams if a in deps else 0
    tb = deps[b].teams if b in deps else 0
    return interfaces(ctx.scenario.delivery.products, ta, tb)


__all__ = [
    "SALES",
    "follow_customers",
    "funded",
    "grows",
    "headcount_changed",
    "live_interfaces",
    "live_line_pms",
    "payroll_floor",
    "quarter_started",
    "raise_funds",
    "reinvest",
    "reorganise",
]
