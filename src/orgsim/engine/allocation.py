"""How power and budget are split: political weight and the CEO's water-filling.

Pure functions of the departments' numbers, with no simulation clock or randomness:
the budget cycle uses both to allocate, and a conflict settled by power uses the
weight to say which side prevails.
"""

from __future__ import annotations

from collections.abc import Mapping

from orgsim.engine.state import EPS, Dept


def political_weight(departments: Mapping[str, Dept], budget_share: float) -> dict[str, float]:
    """Weight per department: a mix of its budget share and its staff share.

    Args:
        departments: The live departments.
        budget_share: Weight of the budget share in the mix (``budget.weight_budget_share``);
            the staff share gets the rest.

    Returns:
        The weight of every department, in the departments' order. With no budget
        allocated yet, the budget share falls back to the staff share.
    """
    total_staff = sum(d.staff for d in departments.values()) or 1
    total_budget = sum(max(0.0, d.allocated) for d in departments.values())
    out = {}
    for name, d in departments.items():
        staff_share = d.staff / total_staff
        budget = max(0.0, d.allocated) / total_budget if total_budget > 0 else staff_share
        out[name] = budget_share * budget + (1.0 - budget_share) * staff_share
    return out


def water_fill(total: float, caps: dict[str, float], pull: dict[str, float]) -> dict[str, float]:
    """Split ``total`` in proportion to ``pull``, never giving anyone more than its cap.

    What a capped department cannot take is shared among the others, again by pull.
    The result sums to ``min(total, sum(caps))``.
    """
    alloc = dict.fromkeys(caps, 0.0)
    active = [k for k in caps if caps[k] > 0]
    remaining = total
    while active and remaining > EPS:
        wsum = sum(pull[k] for k in active)
        if wsum <= 0:
            wsum = float(len(active))
            share = {k: remaining / wsum for k in active}
        else:
            share = {k: remaining * pull[k] / wsum for k in active}
        full = [k for k in active if alloc[k] + share[k] >= caps[k] - EPS]
        if not full:
            for k in active:
                alloc[k] += share[k]
            break
        for k in full:
            remaining -= caps[k] - alloc[k]
            alloc[k] = caps[k]
            active.remove(k)
    return alloc
