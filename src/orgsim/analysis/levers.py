"""How each lever (policy) of an explore ensemble fares: beating the reference, and regret.

An explore ensemble runs every lever (``no-broker``, ``vp-alone``, ...) at every
point of a sample of the uncertainties, R replications each, with common random
numbers: replication *r* of every lever at a point draws from the same streams.
The outcome of one lever is therefore an array of shape ``(n points, R)``, NaN
where a run failed. Two questions are answered here, with numpy alone so they are
always available and checkable by hand:

* **Does a lever beat the reference, and by how much?** At each point the paired
  effect is the lever's mean minus the reference's mean over the replications
  *both* completed (CRN pairs; a replication either lost is dropped from both, as
  :func:`orgsim.analysis.stats.paired` does). The lever beats the reference at a
  point when that effect is positive (``better="higher"``) or negative
  (``"lower"``); a tie does not beat. The share of points where it beats is a
  binomial proportion, given a Wilson score interval (Wilson 1927; the interval
  statsmodels' ``proportion_confint(method="wilson")`` gives, computed here with
  scipy's normal quantile so that it needs no optional package). The effect over
  points gets a Student-t CI of its mean (the points are a sample of the
  uncertainty space) and its 5/25/50/75/95 % quantiles (numpy's linear rule).
* **How much does a lever regret?** Regret at a point is the gap between the best
  lever's mean outcome there and this lever's (Savage 1951; the robust decision
  making of Lempert, Popper and Bankes 2003): 0 for the best lever, never
  negative. Each lever's mean is over its own completed replications; a point
  where any lever completed none is left out of every lever's regret, and counted.
  A lever's regret is summarised by its maximum (the minimax-regret criterion),
  its 90th percentile (a criterion that forgives the worst tenth of the space) and
  its mean.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
from numpy.typing import NDArray

from orgsim.analysis.stats import Estimate, mean_ci

__all__ = [
    "BETTER",
    "QUANTILES",
    "LeverSummary",
    "Proportion",
    "Regret",
    "lever_summary",
    "paired_effects",
    "point_means",
    "regret",
    "wilson",
]

BETTER = ("higher", "lower")
QUANTILES = (5, 25, 50, 75, 95)  # percent; the effect's spread over the points
REGRET_PERCENTILE = 90
# Two regrets (or maxima) this close are a tie: the same numbers summed in another
# order differ in the last bits, and a lever must not win by rounding.
_TIE_RTOL = 1e-9


def _check_better(better: str) -> None:
    if better not in BETTER:
        raise ValueError(f"better must be 'higher' or 'lower', got {better!r}")


def _as_2d(values: object, what: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{what} must have shape (points, replications), got {arr.shape}")
    return arr


@attrs.frozen
class Proportion:
    """A share ``k / n`` with its Wilson score interval.

    Attributes:
        k: Successes (points where the lever beats the reference).
        n: Trials (points with a paired effect).
        share: ``k / n`` (NaN when ``n`` is 0).
        low: Lower bound of the Wilson interval (NaN when ``n`` is 0).
        high: Upper bound.
        level: Two-sided confidence level.
    """

    k: int
    n: int
    share: float
    low: float
    high: float
    level: float


def wilson(k: int, n: int, level: float = 0.95) -> Proportion:
    """The Wilson score interval of ``k`` successes in ``n`` trials.

    With ``z`` the two-sided normal quantile and ``p = k / n``, the bounds are
    ``(p + z²/2n ± z·sqrt(p(1 − p)/n + z²/4n²)) / (1 + z²/n)``. Unlike the normal
    (Wald) interval it stays inside [0, 1] and does not collapse to a point at
    ``k = 0`` or ``k = n``, which is where a lever that always (or never) pays sits.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level!r}")
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k!r}, n={n!r}")
    if n == 0:
        nan = float("nan")
        return Proportion(0, 0, nan, nan, nan, level)
    from scipy.stats import norm  # scipy is a core dependency; imported when used

    z = float(norm.ppf(0.5 + level / 2.0))
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4 * n * n)) / denom
    return Proportion(k, n, p, max(0.0, centre - half), min(1.0, centre + half), level)


def point_means(values: object) -> NDArray[np.float64]:
    """Each point's mean over its completed replications (NaN where none completed)."""
    arr = _as_2d(values, "outcome")
    done = ~np.isnan(arr)
    counts = done.sum(axis=1)
    sums = np.where(done, arr, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def paired_effects(lever: object, reference: object) -> NDArray[np.float64]:
    """Per point, the lever's mean minus the reference's over the replications both completed.

    Args:
        lever: Outcome of the lever, shape ``(n, R)``; NaN marks a failed run.
        reference: Outcome of the reference, same shape (replication *r* of both
            shares its random streams).

    Returns:
        Shape ``(n,)``; NaN at a point where no replication completed in both.
    """
    a, b = _as_2d(lever, "lever outcome"), _as_2d(reference, "reference outcome")
    if a.shape != b.shape:
        raise ValueError(f"paired outcomes must have the same shape, got {a.shape} and {b.shape}")
    both = ~(np.isnan(a) | np.isnan(b))
    return point_means(np.where(both, a - b, np.nan))


@attrs.frozen
class LeverSummary:
    """How one lever compares with the reference over the ensemble.

    Attributes:
        lever: The lever's name.
        reference: The reference lever's name.
        p_beats: Share of points where the lever's paired effect is better than
            zero in the outcome's direction, with its Wilson interval.
        effect: Mean paired effect over the points (lever − reference, in the
            outcome's unit), with its Student-t CI.
        quantiles: Percent (5, 25, 50, 75, 95) to that quantile of the effect
            over the points.
        effect_by_point: Shape ``(n,)``: the paired effect at each point, NaN
            where no replication completed in both levers.
        points: Points with a paired effect (``p_beats.n``).
        ties: Points where the effect is exactly zero (counted as not beating).
    """

    lever: str
    reference: str
    p_beats: Proportion
    effect: Estimate
    quantiles: dict[int, float] = attrs.field(eq=False)
    effect_by_point: NDArray[np.float64] = attrs.field(eq=False, repr=False)
    points: int
    ties: int


def lever_summary(
    lever: object,
    reference: object,
    *,
    name: str = "lever",
    reference_name: str = "reference",
    better: str = "higher",
    level: float = 0.95,
) -> LeverSummary:
    """Compare one lever's outcome with the reference's, point by paired point.

    Args:
        lever: Outcome of the lever, shape ``(n, R)``, NaN for a failed run.
        reference: Outcome of the reference lever, same shape.
        name: The lever's name, for the summary.
        reference_name: The reference's name.
        better: ``"higher"`` or ``"lower"``: which direction of the outcome is good.
        level: Confidence level of both intervals.

    Returns:
        The summary (see :class:`LeverSummary`).
    """
    _check_better(better)
    effects = paired_effects(lever, reference)
    used = effects[~np.isnan(effects)]
    sign = 1.0 if better == "higher" else -1.0
    beats = int(np.count_nonzero(sign * used > 0))
    if used.size:
        found = np.percentile(used, QUANTILES)
        quantiles = {q: float(v) for q, v in zip(QUANTILES, found, strict=True)}
    else:
        quantiles = dict.fromkeys(QUANTILES, float("nan"))
    return LeverSummary(
        lever=name,
        reference=reference_name,
        p_beats=wilson(beats, int(used.size), level),
        effect=mean_ci(used, level),
        quantiles=quantiles,
        effect_by_point=effects,
        points=int(used.size),
        ties=int(np.count_nonzero(used == 0)),
    )


@attrs.frozen
class Regret:
    """The regret of every lever over the points where every lever has a value.

    Attributes:
        levers: Lever names, in the order given.
        by_point: Lever to its regret at each kept point, shape ``(kept,)``.
        kept: Indices (into the ensemble's points) of the points kept.
        dropped: Points left out because some lever completed no replication there.
        max: Lever to its largest regret.
        p90: Lever to the 90th percentile of its regret (numpy's linear rule).
        mean: Lever to its mean regret.
        minimax: The lever with the smallest maximum regret (the first in lever
            order if several tie; all of them are in ``minimax_tied``).
        minimax_tied: Every lever whose maximum regret ties the smallest.
        min_p90: The lever with the smallest 90th-percentile regret (first of
            ``min_p90_tied``).
        min_p90_tied: Every lever whose 90th percentile ties the smallest.
        better: The outcome's direction.
    """

    levers: tuple[str, ...]
    by_point: dict[str, NDArray[np.float64]] = attrs.field(eq=False, repr=False)
    kept: NDArray[np.int64] = attrs.field(eq=False, repr=False)
    dropped: int
    max: dict[str, float]
    p90: dict[str, float]
    mean: dict[str, float]
    minimax: str | None
    minimax_tied: tuple[str, ...]
    min_p90: str | None
    min_p90_tied: tuple[str, ...]
    better: str


def _argmin_tied(levers: Sequence[str], values: Mapping[str, float]) -> tuple[str, ...]:
    finite = [v for v in values.values() if math.isfinite(v)]
    if not finite:
        return ()
    best = min(finite)
    return tuple(
        lever
        for lever in levers
        if math.isfinite(values[lever])
        and math.isclose(values[lever], best, rel_tol=_TIE_RTOL, abs_tol=1e-12)
    )


def regret(outcome: Mapping[str, object], *, better: str = "higher") -> Regret:
    """Each lever's regret at each point: the best lever's mean there minus its own.

    Args:
        outcome: Lever name to its outcome, shape ``(n, R)`` (the same for every
            lever), NaN for a failed run. Every lever counts, the reference too.
        better: ``"higher"`` (regret = best mean − own mean) or ``"lower"``
            (regret = own mean − best, i.e. smallest, mean).

    Returns:
        The regrets and their summaries. With no point kept, every summary is NaN
        and no lever is named.

    Raises:
        ValueError: On an unknown direction, no lever, or shapes that differ.
    """
    _check_better(better)
    if not outcome:
        raise ValueError("regret needs at least one lever")
    levers = tuple(outcome)
    shapes = {_as_2d(outcome[lever], lever).shape for lever in levers}
    if len(shapes) > 1:
        raise ValueError(f"every lever's outcome must have the same shape, got {sorted(shapes)}")
    means = np.vstack([point_means(outcome[lever]) for lever in levers])  # (levers, n)
    ok = ~np.isnan(means).any(axis=0)
    kept = np.flatnonzero(ok).astype(np.int64)
    m = means[:, ok]
    if better == "higher":
        gaps = m.max(axis=0, initial=-np.inf) - m
    else:
        gaps = m - m.min(axis=0, initial=np.inf)
    by_point = {lever: gaps[i] for i, lever in enumerate(levers)}
    nan = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mx = {lv: float(g.max()) if g.size else nan for lv, g in by_point.items()}
        p90 = {
            lv: float(np.percentile(g, REGRET_PERCENTILE)) if g.size else nan
            for lv, g in by_point.items()
        }
        mean = {lv: float(g.mean()) if g.size else nan for lv, g in by_point.items()}
    minimax_tied = _argmin_tied(levers, mx)
    p90_tied = _argmin_tied(levers, p90)
    return Regret(
        levers=levers,
        by_point=by_point,
        kept=kept,
        dropped=int(np.count_nonzero(~ok)),
        max=mx,
        p90=p90,
        mean=mean,
        minimax=minimax_tied[0] if minimax_tied else None,
        minimax_tied=minimax_tied,
        min_p90=p90_tied[0] if p90_tied else None,
        min_p90_tied=p90_tied,
        better=better,
    )
