"""The ``scale`` pseudo-parameter: one factor that resizes a company consistently."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def apply_scale(tree: dict[str, Any], factor: float) -> dict[str, Any]:
    """Scale a company's size by ``factor`` in a plain scenario tree (in place).

    Only the structure's inputs change: every department's staff (the PM
    organisation's with them; rounded, at least 1 where there was anyone) and the
    number of products (rounded, at least 1). Everything that size changes follows
    from those through the organisation's shape (:mod:`orgsim.scenario.structure`):
    teams and layers, the interfaces conflicts arise on, the Directors who mediate
    (the broker stays one VP PM), the line PMs who write the roadmaps and spot
    conflicts, the share of a department a conflict drags. Behavioural constants,
    the span of control, the CEO and budget disputes (one per underfunded
    department) stay as they are; so do mediators a scenario sets explicitly
    (``broker.mediators`` > 0). The founding cash (``budget.cash``) scales with
    the company, so that a resized company starts with the same months of payroll.

    Returns:
        ``tree``, for chaining.
    """
    if factor == 1:
        return tree
    for dept in tree["departments"].values():
        if dept["staff"] > 0:
            dept["staff"] = max(1, round(dept["staff"] * factor))
    dl = tree["delivery"]
    dl["products"] = max(1, round(dl["products"] * factor))
    budget = tree.get("budget")
    if budget is not None and "cash" in budget:
        budget["cash"] = budget["cash"] * factor
    logger.debug("scaled company by %g", factor)
    return tree
