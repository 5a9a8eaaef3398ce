"""How a conflict ends, whichever forum ends it: negotiation, mediation or the CEO.

A conflict carries the :class:`ConflictDraws` made when it was raised into every
forum it reaches. A forum that does not take the company's side lets power decide
(:func:`power_winner`); :func:`settle` records the resolution and carries out what
the winner's way means (a budget transfer, or undoing the initiator's move). This
module sits below both :mod:`~orgsim.engine.conflicts` (negotiation, the CEO) and
:mod:`~orgsim.engine.broker` (mediation), which both settle conflicts.
"""

from __future__ import annotations

import math

import attrs

from orgsim.engine import events as ev
from orgsim.engine.allocation import political_weight
from orgsim.engine.context import RunContext
from orgsim.engine.talent import rebalance, transfer
from orgsim.scenario.schema import ConflictKind


@attrs.frozen(kw_only=True)
class ConflictDraws:
    """Every random quantity a conflict may need, drawn when it is raised."""

    severity: float
    company_side: str
    effort: float
    surfacing: float
    lifetime: float
    negotiation_days: float
    negotiation_success: float
    negotiation_winner: float
    ceo_hours: float
    ceo_success: float
    ceo_insight: float
    ceo_winner: float
    climb: float = 0.0  # days per layer a failed negotiation takes to reach the CEO
    # the broker's, drawn only when the broker exists (its own stream)
    detection: float = math.inf
    mediation_days: float = 0.0
    mediation_success: float = 1.0
    mediation_neutral: float = 1.0
    mediation_winner: float = 1.0


def is_closed(ctx: RunContext, cid: int) -> bool:
    """Whether a conflict has been resolved or has lapsed."""
    return ctx.state.conflicts[cid].closed >= 0


def power_winner(ctx: RunContext, cid: int, u: float, exponent: float) -> str:
    """Which side prevails by political weight alone, given a uniform draw.

    Returns:
        ``"initiator"`` with probability ``w_i^e / (w_i^e + w_t^e)`` (one half when
        both weights vanish), else ``"target"``.
    """
    c = ctx.state.conflicts[cid]
    w = political_weight(ctx.state.departments, ctx.scenario.budget.weight_budget_share)
    a, b = w[c.initiator] ** exponent, w[c.target] ** exponent
    p = a / (a + b) if a + b > 0 else 0.5
    return "initiator" if u < p else "target"


def settle(ctx: RunContext, cid: int, kind: ConflictKind, forum: str, side: str) -> None:
    """Record the resolution and carry out what the winning side's way means.

    - The initiator prevails in a budget dispute: part of its funding gap moves to
      it from the target's surplus, and both rebalance their requisitions.
    - The target prevails: the initiator's move is undone (extra work not yet done
      is descoped, poached people still with the initiator go back).
    """
    c = ctx.state.conflicts[cid]
    ctx.record(
        ev.ConflictResolved,
        conflict=cid,
        forum=forum,
        winner=c.initiator if side == "initiator" else c.target,
        company_interest=side == c.company_side,
    )
    if side == "initiator":
        if kind.effect == "budget":
            src, dst = ctx.state.departments[c.target], ctx.state.departments[c.initiator]
            gap = max(0.0, dst.need - dst.allocated)
            amount = min(kind.transfer_share * gap, max(0.0, src.allocated - src.need))
            if amount > 0:
                ctx.record(
                    ev.BudgetTransferred,
                    source=c.target,
                    destination=c.initiator,
                    amount=amount,
                    conflict=cid,
                )
                rebalance(ctx, c.target)
                rebalance(ctx, c.initiator)
        return
    if kind.effect == "extra_work":
        if c.work >= 0 and not ctx.state.work[c.work].done:
            ctx.record(ev.ExtraWorkDescoped, work=c.work)
    elif kind.effect == "transfer":
        for emp in c.moved:
            person = ctx.state.employees.get(emp)
            if person is not None and person.department == c.initiator:
                transfer(ctx, emp, c.initiator, c.target, cid)
        rebalance(ctx, c.initiator)
        rebalance(ctx, c.target)
