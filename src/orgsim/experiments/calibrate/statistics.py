"""The summary statistics and the distance: what a run is compared to the company with.

A statistic is a metric of the catalogue, computed from the run's event log by
:func:`orgsim.metrics.projections.metrics` — the same function every report,
comparison and sweep uses — over the observation window, taken whole
(``per = "run"``) or as a rate per quarter of the window (``per = "quarter"``: the
window's sum divided by its quarters, ``days / quarter_days``).

The distance between a run and the company is the root mean square of the
statistics' errors, each in units of its measurement uncertainty::

    d(x, y) = sqrt( (1/k) · Σ_i ((x_i - y_i) / sd_i)² )

so ``d = 1`` reads "within one standard deviation on average", whatever the
statistics' units: pyabc's ``PNormDistance`` with ``p = 2`` and fixed weights
``1 / (sd_i · sqrt(k))``, except that a statistic the run cannot measure (a lead
time with no feature shipped: NaN) makes the distance infinite rather than NaN,
so that run is never accepted and never turns an adaptive threshold into NaN.
:class:`Distance` is that function as pyabc calls it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from orgsim.engine.log import EventLog
from orgsim.experiments.calibrate.observations import Observation
from orgsim.metrics.projections import metrics

__all__ = ["Distance", "distance", "statistics", "statistics_of_metrics", "weights"]


def statistics_of_metrics(
    measured: Mapping[str, float],
    observations: Sequence[Observation],
    days: float,
    quarter_days: float,
) -> dict[str, float]:
    """The observed statistics of a run, from its metrics (NaN where it has none)."""
    quarters = days / quarter_days
    out = {}
    for o in observations:
        value = float(measured.get(o.metric, math.nan))
        out[o.name] = value / quarters if o.per == "quarter" else value
    return out


def statistics(
    log: EventLog, observations: Sequence[Observation], days: float, quarter_days: float
) -> dict[str, float]:
    """The observed statistics of one run, computed from its event log's projections."""
    return statistics_of_metrics(metrics(log), observations, days, quarter_days)


def weights(observations: Sequence[Observation]) -> dict[str, float]:
    """Each statistic's weight in the distance: ``1 / (sd · sqrt(k))``."""
    k = len(observations)
    return {o.name: 1.0 / (o.sd * math.sqrt(k)) for o in observations}


def distance(
    x: Mapping[str, Any], y: Mapping[str, Any], observations: Sequence[Observation]
) -> float:
    """The distance between two sets of statistics (the formula above)."""
    w = weights(observations)
    errors = np.array([(float(x[k]) - float(y[k])) * w[k] for k in w], dtype=float)
    if not np.all(np.isfinite(errors)):
        return math.inf
    return float(np.sqrt(np.sum(errors**2)))


class Distance:
    """:func:`distance` as pyabc calls it, ``(simulated, observed) -> float``; picklable."""

    def __init__(self, observations: Sequence[Observation]) -> None:
        self.observations = tuple(observations)

    def __call__(self, x: Mapping[str, Any], y: Mapping[str, Any]) -> float:
        """The distance of simulated statistics ``x`` from the observed ``y``."""
        return distance(x, y, self.observations)
