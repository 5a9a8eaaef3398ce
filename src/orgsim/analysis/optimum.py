"""The best level of one swept parameter, how sure that is, and what missing it costs.

A paired sweep of one parameter measures, at every level, the broker's paired
effect on a metric (with − without broker) in each replication. Three questions
follow, answered here with numpy and scipy alone, for any such sweep:

* **Which level is best?** The one whose mean effect is highest in the metric's
  good direction (``better="higher"`` or ``"lower"``). The reference arm, the
  runs without the broker, is a candidate too: its effect is 0 by definition, so
  when no level beats 0 the best choice is the reference, and it is reported as
  such. A level must *beat* the reference strictly; a tie goes to the reference,
  and a tie between levels to the first.
* **How sure is that?** The best level's effect has a Student-t 95% CI; every
  candidate gets the probability that it is the best, by a bootstrap over the
  replications: resample the replications with replacement (with common random
  numbers, the same replications for every level at once, so the levels keep the
  luck they share), take each level's mean, and count how often each candidate
  wins (the same rule, ties to the reference first). The resamples come from a
  generator seeded by the caller, so the shares are reproducible. This is the
  sampling distribution of the arg-max, the usual frequentist "probability of being
  best"; with few replications and close levels it favours the observed winner
  (the winner's curse), so read it beside the shortfall CIs, not instead of them.
* **What does missing it cost?** A level's **shortfall** is, per replication,
  ``effect_level − effect_best``, in the metric's unit: at most 0 on average for a
  higher-is-better metric, at least 0 for a lower-is-better one, 0 for the best
  itself. Its mean gets a 95% CI. With common random numbers across the design
  (a sweep's default ``crn = "design"``), replication *r* of every level shares
  its random streams, so the shortfall is a paired quantity: a t-CI of the mean of
  the per-replication differences, over the replications both levels completed.
  Without them (``crn = "point"``, a seed per point) the levels are independent
  samples and the CI is Welch's unpaired t interval (Welch 1947), with
  Welch–Satterthwaite degrees of freedom; the reference, an exact 0, adds no
  variance. The levels whose shortfall CI contains 0 are **indistinguishable from
  the best** (the best itself always is). The CIs are not adjusted for the number
  of levels: each says how far one level is from the best on its own (a joint
  statement would be Hsu's multiple comparisons with the best, whose intervals are
  wider), so with many levels a level may fall outside the set by luck.

NaN marks a replication without a value (a failed run, or a metric undefined
there) and is dropped; a level without any value is never the best.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from orgsim.analysis.stats import BOOTSTRAP_RESAMPLES, Estimate, mean_ci

__all__ = [
    "BETTER",
    "REFERENCE",
    "Candidate",
    "Optimum",
    "find_optimum",
    "welch_difference",
]

BETTER = ("higher", "lower")

#: How the reference arm is named when the caller does not say.
REFERENCE = "without broker"

# a key mixed into the caller's seed, so the bootstrap's generator is its own stream
_BOOTSTRAP_STREAM = 0x0B57
# resamples drawn at a time: bounds the memory of a chunk (resamples x replications)
_CHUNK = 1000

_NAN = float("nan")


@attrs.frozen(kw_only=True)
class Candidate:
    """One candidate choice: a level of the parameter, or the reference arm.

    Attributes:
        level: The parameter's level (None for the reference).
        reference: Whether this is the reference arm (effect 0 by definition).
        effect: The mean paired effect with its 95% t-CI (the reference: exactly 0).
        shortfall: ``effect − effect of the best`` with its 95% CI (paired t, or
            Welch when the levels are not paired); 0 for the best itself.
        p_best: Share of bootstrap resamples in which this candidate is the best.
        indistinguishable: Whether the shortfall's CI contains 0 (the best is).
    """

    level: Any
    reference: bool = False
    effect: Estimate
    shortfall: Estimate
    p_best: float
    indistinguishable: bool


@attrs.frozen(kw_only=True)
class Optimum:
    """The best level of a one-parameter sweep, with its CI and the cost of missing it.

    Attributes:
        better: ``higher`` or ``lower``: the metric's good direction.
        paired: Whether the levels share their replications' random numbers
            (shortfalls are paired t-CIs) or not (Welch CIs).
        level: Confidence level of every interval.
        candidates: The levels in the order given, then the reference arm.
        best: Index of the best candidate in ``candidates`` (the last one, the
            reference, when no level beats it).
        reference_label: How the reference arm is named (``without broker``,
            ``never appointed``).
        n_resamples: Bootstrap resamples behind ``p_best``.
        metric: The metric judged (a label only; empty if not given).
    """

    better: str
    paired: bool
    level: float = 0.95
    candidates: tuple[Candidate, ...]
    best: int
    reference_label: str = REFERENCE
    n_resamples: int = BOOTSTRAP_RESAMPLES
    metric: str = ""

    @property
    def levels(self) -> tuple[Candidate, ...]:
        """The candidates that are levels of the parameter (the reference left out)."""
        return self.candidates[:-1]

    @property
    def reference(self) -> Candidate:
        """The reference arm's candidate."""
        return self.candidates[-1]

    @property
    def winner(self) -> Candidate:
        """The best candidate."""
        return self.candidates[self.best]

    @property
    def reference_is_best(self) -> bool:
        """Whether no level beats the reference arm."""
        return self.winner.reference

    @property
    def indistinguishable(self) -> tuple[Candidate, ...]:
        """The candidates whose shortfall CI contains 0, the best first."""
        rest = [c for i, c in enumerate(self.candidates) if c.indistinguishable and i != self.best]
        return (self.winner, *rest)

    @property
    def method(self) -> str:
        """How the shortfall CIs were made, in words."""
        return "paired t" if self.paired else "Welch (unpaired) t"


def _check(better: str, level: float, n_resamples: int) -> None:
    if better not in BETTER:
        raise ValueError(f"better must be 'higher' or 'lower', got {better!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be an integer >= 1, got {n_resamples!r}")


def _as_table(effects: ArrayLike, n_levels: int) -> NDArray[np.float64]:
    arr = np.asarray(effects, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"effects must have shape (levels, replications), got {arr.shape}")
    if arr.shape[0] != n_levels:
        raise ValueError(f"effects has {arr.shape[0]} rows for {n_levels} levels")
    if n_levels == 0:
        raise ValueError("there must be at least one level")
    return arr


def _zero(n: int) -> Estimate:
    """The reference's effect: exactly 0 in every replication."""
    return Estimate(0.0, 0.0, 0.0, 0.0, n, 0.0)


def welch_difference(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> Estimate:
    """Mean of ``a`` minus mean of ``b``, two independent samples, with Welch's t-CI.

    The standard error is ``sqrt(v_a + v_b)`` with ``v = s²/n`` and the degrees of
    freedom Welch–Satterthwaite's, ``(v_a + v_b)² / (v_a²/(n_a − 1) + v_b²/(n_b − 1))``.
    NaNs are dropped.

    Returns:
        The difference; ``n`` is the smaller sample's size, ``sd`` NaN (no one
        sample's spread describes it) and the method ``"welch"``. The bounds are
        NaN when a sample has fewer than two values, and equal the mean when
        neither sample varies.
    """
    x, y = _clean(a), _clean(b)
    if x.size == 0 or y.size == 0:
        return Estimate(_NAN, _NAN, _NAN, _NAN, 0, _NAN, "welch")
    return _welch((x, y), float(np.mean(x) - np.mean(y)), min(x.size, y.size), level)


def _clean(values: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[~np.isnan(arr)]


def _welch(samples: Sequence[NDArray[np.float64]], mean: float, n: int, level: float) -> Estimate:
    """Welch's interval around ``mean`` from the samples whose spread it carries.

    A side that is an exact constant (the reference's 0) is simply not among
    ``samples``: it has no variance to add.
    """
    parts = []
    for s in samples:
        if s.size < 2:
            return Estimate(mean, _NAN, _NAN, _NAN, n, _NAN, "welch")
        v = float(np.var(s, ddof=1)) / s.size
        if v > 0:
            parts.append((v, s.size - 1))
    if not parts:
        return Estimate(mean, mean, mean, 0.0, n, _NAN, "welch")
    total = sum(v for v, _ in parts)
    df = total**2 / sum(v**2 / k for v, k in parts)
    from scipy import stats as sps  # imported lazily: orgsim must import without it

    half = float(sps.t.ppf(0.5 + level / 2.0, df)) * math.sqrt(total)
    return Estimate(mean, mean - half, mean + half, half, n, _NAN, "welch")


def _means(effects: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each level's mean over its own values; NaN for a level without any."""
    finite = ~np.isnan(effects)
    counts = finite.sum(axis=1)
    sums = np.where(finite, effects, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _pick(means: NDArray[np.float64], sign: float) -> NDArray[np.intp]:
    """Index of the best candidate per column of ``means`` (levels × draws).

    Row 0 is the reference (0), then the levels in order; NaN never wins, and
    ``argmax`` takes the first of equal values, so ties go to the reference, then
    to the earlier level.
    """
    scored = np.where(np.isnan(means), -np.inf, sign * means)
    scored = np.vstack([np.zeros((1, scored.shape[1])), scored])
    return np.argmax(scored, axis=0)


def _p_best(
    effects: NDArray[np.float64], sign: float, paired: bool, seed: int, n_resamples: int
) -> NDArray[np.float64]:
    """Bootstrap share of resamples each candidate wins, the reference first.

    A joint resample is drawn as the number of times each replication is picked
    (multinomial, n picks of n equally likely replications: the same law as
    drawing n with replacement), so the means of every level over every resample
    are one matrix product, NaNs weighing nothing.
    """
    n_levels, n_reps = effects.shape
    wins = np.zeros(n_levels + 1, dtype=np.int64)
    rng = np.random.default_rng([_BOOTSTRAP_STREAM, seed])
    finite = ~np.isnan(effects)
    values, present = np.where(finite, effects, 0.0), finite.astype(np.float64)
    # unpaired: each level is its own sample, its values resampled on their own
    rows = [] if paired else [effects[i][finite[i]] for i in range(n_levels)]
    done = 0
    while done < n_resamples:
        b = min(_CHUNK, n_resamples - done)
        means = np.full((n_levels, b), np.nan)
        if paired:  # the same replications for every level: the shared luck stays
            picks = rng.multinomial(n_reps, np.full(n_reps, 1.0 / n_reps), size=b).T
            sums, counts = values @ picks, present @ picks  # (levels, b)
            np.divide(sums, counts, out=means, where=counts > 0)
        else:
            for i, row in enumerate(rows):
                if row.size:
                    means[i] = row[rng.integers(0, row.size, size=(b, row.size))].mean(axis=1)
        wins += np.bincount(_pick(means, sign), minlength=n_levels + 1)
        done += b
    return wins / n_resamples


def find_optimum(
    levels: Sequence[Any],
    effects: ArrayLike,
    better: str,
    *,
    paired: bool = True,
    level: float = 0.95,
    seed: int = 0,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    reference: str = REFERENCE,
    metric: str = "",
) -> Optimum:
    """The best level, its effect's CI, each candidate's P(best) and shortfall.

    Args:
        levels: The parameter's levels, in the order to report them.
        effects: Shape (levels, replications): per level the paired effect
            (with − without broker) of each replication, NaN where there is none.
            With ``paired``, column *r* of every row is replication *r*.
        better: ``"higher"`` or ``"lower"``: which way the metric is better.
        paired: Whether the levels share the replications' random numbers
            (a sweep's ``crn = "design"``): paired shortfall CIs and a joint
            bootstrap; else Welch CIs and a bootstrap per level.
        level: Confidence level.
        seed: Seeds the bootstrap (same seed, same shares).
        n_resamples: Bootstrap resamples.
        reference: How the reference arm is named.
        metric: The metric's name, carried as a label.

    Returns:
        The optimum; see :class:`Optimum`.

    Raises:
        ValueError: ``better`` is not a direction, ``level`` is not in (0, 1), or
            ``effects`` does not have one row per level.
    """
    _check(better, level, n_resamples)
    table = _as_table(effects, len(levels))
    sign = 1.0 if better == "higher" else -1.0
    n_levels, n_reps = table.shape
    means = _means(table)
    best_row = int(_pick(means[:, None], sign)[0]) - 1  # -1: the reference
    effect = [mean_ci(row, level) for row in table]
    best_values = table[best_row] if best_row >= 0 else np.zeros(n_reps)
    rows = [*table, np.zeros(n_reps)]
    shortfall = []
    for i, row in enumerate(rows):
        if i == best_row or (best_row < 0 and i == n_levels):
            shortfall.append(_zero(int(np.sum(~np.isnan(row)))))
        elif paired:
            shortfall.append(mean_ci(row - best_values, level))
        else:
            # the reference is an exact 0: no sample, no variance
            mine = row if i < n_levels else None
            theirs = table[best_row] if best_row >= 0 else None
            shortfall.append(_welch_vs(mine, theirs, level))
    p = _p_best(table, sign, paired, seed, n_resamples)
    p_levels, p_ref = p[1:], float(p[0])
    candidates = [
        Candidate(
            level=levels[i],
            effect=effect[i],
            shortfall=shortfall[i],
            p_best=float(p_levels[i]),
            indistinguishable=shortfall[i].contains(0.0),
        )
        for i in range(n_levels)
    ]
    candidates.append(
        Candidate(
            level=None,
            reference=True,
            effect=_zero(n_reps),
            shortfall=shortfall[n_levels],
            p_best=p_ref,
            indistinguishable=shortfall[n_levels].contains(0.0),
        )
    )
    return Optimum(
        better=better,
        paired=paired,
        level=level,
        candidates=tuple(candidates),
        best=best_row if best_row >= 0 else n_levels,
        reference_label=reference,
        n_resamples=n_resamples,
        metric=metric,
    )


def _welch_vs(
    mine: NDArray[np.float64] | None, theirs: NDArray[np.float64] | None, level: float
) -> Estimate:
    """Welch's difference ``mine − theirs``; None is the reference's exact 0."""
    if mine is None:
        assert theirs is not None
        values = _clean(theirs)
        mean = -float(np.mean(values)) if values.size else _NAN
        return _welch((values,), mean, int(values.size), level)
    values = _clean(mine)
    if theirs is None:
        mean = float(np.mean(values)) if values.size else _NAN
        return _welch((values,), mean, int(values.size), level)
    return welch_difference(values, theirs, level)
