"""The ``scale`` pseudo-parameter: one factor that resizes a company consistently."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def _scale_time(dist: dict[str, Any], factor: float) -> None:
    """Multiply a plain distribution's durations by ``factor``."""
    if dist.get("kind") == "uniform":
        for key in ("low", "high"):
            if key in dist:
                dist[key] = dist[key] * factor
    elif "mean" in dist:
        dist["mean"] = dist["mean"] * factor


def apply_scale(tree: dict[str, Any], factor: float) -> dict[str, Any]:
    """Scale a company's size by ``factor`` in a plain scenario tree (in place).

    Everything that grows with a company grows in proportion, everything that
    stays one of a kind stays:

    * every department's staff (rounded, at least 1 where there was anyone);
    * the number of products (rounded, at least 1), and each product's feature
      arrival interval and initial roadmap adjusted so that the company's total
      feature arrival rate and initial backlog scale exactly by ``factor``;
    * the arrival rate of every arriving conflict kind (their intervals divided
      by ``factor``), while each conflict's drag on a department is divided by
      ``factor``: a conflict touches a smaller share of a larger department, so
      conflict exposure per person stays the same;
    * not the CEO (one person, ``ceo.slots``), nor the broker's mediators, nor
      budget disputes (one per underfunded department, whatever its size);
    * the founding cash (``budget.cash``), so that a resized company starts with
      the same months of payroll on hand.

    Returns:
        ``tree``, for chaining.
    """
    if factor == 1:
        return tree
    for dept in tree["departments"].values():
        if dept["staff"] > 0:
            dept["staff"] = max(1, round(dept["staff"] * factor))
    dl = tree["delivery"]
    products = dl["products"]
    scaled = max(1, round(products * factor))
    dl["products"] = scaled
    per_product = products * factor / scaled  # features per product, relative
    _scale_time(dl["feature_interarrival"], 1.0 / per_product)
    dl["initial_features"] = max(0, round(dl["initial_features"] * per_product))
    conflicts = tree["conflicts"]
    for kind in conflicts["kinds"].values():
        if kind.get("effect") != "budget":
            _scale_time(kind["interarrival"], 1.0 / factor)
    conflicts["drag"] = conflicts["drag"] / factor
    budget = tree.get("budget")
    if budget is not None and "cash" in budget:
        budget["cash"] = budget["cash"] * factor
    return tree
