"""The posterior a calibration found: weighted particles, their credible intervals, their checks.

ABC-SMC's last generation is a weighted sample of the posterior: ``n`` particles,
each a value of every fitted constant, with importance weights summing to one.
:class:`Posterior` holds it (``posterior.csv`` in the calibration's folder) with
the priors it came from; :meth:`Posterior.summary` gives each constant's weighted
mean, standard deviation and equal-tailed 90% credible interval (weighted
quantiles, pyabc's ``weighted_quantile``) and how much the data narrowed it
(``1 - posterior sd / prior sd``); :meth:`Posterior.draw` resamples parameter
sets by weight, for a predictive check or a decision under the posterior.

:func:`predictive_check` puts each observed statistic against the statistics of
fresh runs at posterior draws (the posterior predictive distribution): its
percentile there, and a warning when the observation lies outside what the model
produced under the priors (no parameter in the ranges makes the company look like
that: the model lacks a mechanism, or a range is too narrow) or in the outer 5% of
the posterior predictive (the fitted model rarely reproduces it).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.experiments.calibrate.observations import Observation
from orgsim.experiments.explore.uncertainties import Uncertainty

__all__ = [
    "CREDIBLE",
    "ParameterSummary",
    "Posterior",
    "PredictiveCheck",
    "parameter_key",
    "predictive_check",
    "read_statistics",
    "write_statistics",
]

CREDIBLE = 0.90
"""The credible level of the intervals reported."""

_TAIL = 0.05
"""A statistic observed in either outer 5% of its posterior predictive is flagged."""


def parameter_key(path: str) -> str:
    """A fitted parameter's name in pyabc's history: its dotted path, dots as ``__``."""
    return path.replace(".", "__")


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    from pyabc.weighted_statistics import weighted_quantile

    return float(weighted_quantile(x, w, alpha=q))


def _prior_sd(u: Uncertainty) -> float:
    """The prior's standard deviation, over 20,000 evenly spaced quantiles of it."""
    grid = (np.arange(20_000) + 0.5) / 20_000
    return float(np.std(u.values(grid)))


@attrs.frozen(kw_only=True)
class ParameterSummary:
    """One fitted constant's posterior.

    Attributes:
        path: Its dotted path.
        prior_low: The prior's lowest value.
        prior_high: The prior's highest value.
        mean: Weighted posterior mean.
        sd: Weighted posterior standard deviation.
        low: Lower end of the 90% credible interval (weighted 5% quantile).
        median: Weighted median.
        high: Upper end (weighted 95% quantile).
        shrinkage: ``1 - sd / prior sd``: 0 when the data say nothing, toward 1 as
            they pin it down.
        truth: The known true value, when the observations were simulated.
    """

    path: str
    prior_low: float
    prior_high: float
    mean: float
    sd: float
    low: float
    median: float
    high: float
    shrinkage: float
    truth: float | None = None

    @property
    def covers(self) -> bool | None:
        """Whether the 90% interval holds the true value (None when it is not known)."""
        return None if self.truth is None else self.low <= self.truth <= self.high

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {**attrs.asdict(self), "covers": self.covers}


@attrs.frozen(kw_only=True)
class Posterior:
    """Weighted particles over the fitted constants.

    Attributes:
        fit: The fitted constants and their priors, in column order.
        values: ``(n, d)`` particle values.
        weights: ``(n,)`` importance weights, summing to 1.
    """

    fit: tuple[Uncertainty, ...]
    values: np.ndarray = attrs.field(eq=False, repr=False)
    weights: np.ndarray = attrs.field(eq=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """The fitted constants' paths."""
        return tuple(u.path for u in self.fit)

    def column(self, path: str) -> np.ndarray:
        """One constant's particle values."""
        return self.values[:, self.names.index(path)]

    def summary(self, truth: Mapping[str, float] | None = None) -> list[ParameterSummary]:
        """Each constant's posterior mean, sd, 90% interval and shrinkage."""
        w = self.weights
        out = []
        for j, u in enumerate(self.fit):
            x = self.values[:, j]
            mean = float(np.sum(w * x))
            sd = float(math.sqrt(max(np.sum(w * (x - mean) ** 2), 0.0)))
            prior_sd = _prior_sd(u)
            out.append(
                ParameterSummary(
                    path=u.path,
                    prior_low=u.low,
                    prior_high=u.high,
                    mean=mean,
                    sd=sd,
                    low=_weighted_quantile(x, w, _TAIL),
                    median=_weighted_quantile(x, w, 0.5),
                    high=_weighted_quantile(x, w, 1 - _TAIL),
                    shrinkage=1.0 - sd / prior_sd if prior_sd > 0 else math.nan,
                    truth=None if truth is None else truth.get(u.path),
                )
            )
        return out

    def draw(self, k: int, seed: int) -> list[dict[str, float]]:
        """``k`` parameter sets resampled by weight (with replacement), reproducibly."""
        rng = np.random.default_rng(seed)
        rows = rng.choice(len(self.weights), size=k, replace=True, p=self.weights)
        return [{path: float(self.values[i, j]) for j, path in enumerate(self.names)} for i in rows]

    def write(self, path: Path) -> None:
        """``posterior.csv``: a column per constant, then ``weight``."""
        with path.open("w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow([*self.names, "weight"])
            for row, w in zip(self.values.tolist(), self.weights.tolist(), strict=True):
                out.writerow([repr(v) for v in row] + [repr(w)])

    @classmethod
    def read(cls, path: Path, fit: Sequence[Uncertainty]) -> Posterior:
        """A posterior written by :meth:`write`, with the priors its columns name."""
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], rows[1:]
        order = [header.index(u.path) for u in fit]
        values = np.array([[float(r[i]) for i in order] for r in body], dtype=float)
        weights = np.array([float(r[header.index("weight")]) for r in body], dtype=float)
        return cls(fit=tuple(fit), values=values, weights=weights / weights.sum())

    @classmethod
    def from_history(cls, history: Any, fit: Sequence[Uncertainty]) -> Posterior:
        """The last generation of a pyabc history."""
        frame, w = history.get_distribution(m=0)
        values = np.column_stack([frame[parameter_key(u.path)].to_numpy(float) for u in fit])
        weights = np.asarray(w, dtype=float)
        return cls(fit=tuple(fit), values=values, weights=weights / weights.sum())


@attrs.frozen(kw_only=True)
class PredictiveCheck:
    """One observed statistic against the model's predictive distributions.

    Attributes:
        name: The statistic.
        observed: Its observed value.
        sd: Its measurement uncertainty.
        median: Posterior predictive median.
        low: Posterior predictive 5% quantile.
        high: Posterior predictive 95% quantile.
        percentile: Share of posterior predictive runs below the observed value
            (ties count half), as a percentage.
        prior_low: Lowest value the prior predictive runs produced.
        prior_high: Highest value they produced.
        runs: Posterior predictive runs that measured it.
        warning: Why the observation does not sit well in the model, or "".
    """

    name: str
    observed: float
    sd: float
    median: float
    low: float
    high: float
    percentile: float
    prior_low: float
    prior_high: float
    runs: int
    warning: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return attrs.asdict(self)


def _range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if finite.size else (math.nan, math.nan)


def predictive_check(
    observations: Sequence[Observation],
    predictive: Mapping[str, np.ndarray],
    prior: Mapping[str, np.ndarray],
) -> list[PredictiveCheck]:
    """Each statistic's place in the posterior predictive, with a warning where it fits badly.

    Args:
        observations: The observed statistics.
        predictive: Per statistic, its values in runs at posterior draws.
        prior: Per statistic, its values in runs at prior draws.
    """
    out = []
    for o in observations:
        y = np.asarray(predictive.get(o.name, np.zeros(0)), dtype=float)
        y = y[np.isfinite(y)]
        lo, hi = _range(np.asarray(prior.get(o.name, np.zeros(0)), dtype=float))
        if y.size:
            below = float(np.sum(y < o.value) + 0.5 * np.sum(y == o.value))
            percentile = 100.0 * below / y.size
            median, low, high = (float(np.quantile(y, q)) for q in (0.5, _TAIL, 1 - _TAIL))
        else:
            percentile = median = low = high = math.nan
        warning = ""
        if math.isfinite(lo) and not lo - o.sd <= o.value <= hi + o.sd:
            warning = (
                f"observed {o.value:g} lies outside what the model produced under the priors "
                f"({lo:.3g} to {hi:.3g} over {len(prior.get(o.name, []))} runs): no parameter "
                "in the ranges makes the company look like this (a missing mechanism, or a "
                "range too narrow)"
            )
        elif not y.size:
            warning = "no posterior predictive run measured it"
        elif not _TAIL * 100 <= percentile <= (1 - _TAIL) * 100:
            warning = (
                f"the calibrated model rarely produces it: the {percentile:.0f}th percentile of "
                "its posterior predictive runs"
            )
        out.append(
            PredictiveCheck(
                name=o.name,
                observed=o.value,
                sd=o.sd,
                median=median,
                low=low,
                high=high,
                percentile=percentile,
                prior_low=lo,
                prior_high=hi,
                runs=int(y.size),
                warning=warning,
            )
        )
    return out


def write_statistics(path: Path, rows: Sequence[Mapping[str, float]], names: Sequence[str]) -> None:
    """A CSV of runs' statistics, one row per run (the predictive samples)."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(list(names))
        for row in rows:
            out.writerow([repr(float(row.get(n, math.nan))) for n in names])


def read_statistics(path: Path) -> dict[str, np.ndarray]:
    """Per statistic, its values over the rows of a CSV :func:`write_statistics` wrote."""
    if not path.is_file():
        return {}
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    return {
        name: np.array([float(r[i]) for r in body], dtype=float) for i, name in enumerate(header)
    }
