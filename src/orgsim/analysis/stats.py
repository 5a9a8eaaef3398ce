"""Confidence intervals and paired comparisons of the broker-on and broker-off arms.

Every experiment runs the same replications twice: replication *i* of the arm with
the broker ("on") and replication *i* of the arm without ("off") draw from the same
random streams (common random numbers, CRN). The right comparison is therefore
*paired*: the difference on − off is computed per replication and its mean gets a
Student-t confidence interval. Because the two arms share their luck, that
difference is far less noisy than two independent samples would be;
:attr:`Comparison.crn_variance_ratio` reports by how much.

Conventions:

* NaN marks "no value in this replication" (say, a median lead time when nothing
  shipped) and is dropped, never propagated; ``n`` counts what is left. In a paired
  comparison a replication is dropped from both arms when either arm is NaN, so the
  arm means, the difference and the relative difference all describe the same
  replications.
* ``better`` is ``"higher"``, ``"lower"`` or ``""`` (no preferred direction), as in
  the metric catalogue, :mod:`orgsim.metrics.catalogue`.
* Fewer than two values give NaN bounds: there is no spread to estimate.
* A metric that exists with the broker only (the catalogue's ``broker_only``, e.g. a
  mediator's queue) has no value without it: the run's NaN or placeholder 0 measures
  nothing. Its comparison (:func:`with_broker_only`) is the broker arm's estimate
  alone, over all its replications, with no without-broker value and no paired
  difference, relative effect, win rate or verdict of better or worse. Runs keep the
  values their projections compute; only the comparison gives them this meaning.

Tests and families (docs/statistics.md says the same for users):

* Each paired comparison carries the two-sided **paired t-test** p-value of "the
  mean difference is 0", the test that matches its t CI: ``p < 1 − level`` exactly
  when the t CI of the difference excludes 0. A metric identical in every pair, or
  with fewer than two pairs, has no test (NaN p-value), nor does a broker-only one.
* Shown together, many tests at 5% each call some differences "significant" by
  luck. :func:`compare_table` therefore adjusts the p-values of its metrics as one
  family (:data:`CORRECTIONS`: Holm by default, which controls the chance of any
  false verdict; Benjamini–Hochberg, which controls the expected share of false
  ones, is what a sweep uses over its design points), and a difference is called
  significant only when its *adjusted* p-value is below ``1 − level``. The CIs are
  not adjusted: they describe each metric's effect on its own.
* A CI is Student-t by default, or a BCa bootstrap (:data:`CI_METHODS`) for skewed
  metrics: replications are resampled (pairs together), the statistic is the mean,
  and the resamples come from a generator seeded by the caller, so the interval is
  reproducible. The verdict's test stays the paired t-test either way.

scipy is imported only when a t quantile or a bootstrap is first needed, statsmodels
only when a family is adjusted.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Collection, Iterable, Mapping
from typing import TypeVar

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from orgsim.metrics.catalogue import DIRECTIONS
from orgsim.metrics.format import format_number

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "CI_METHODS",
    "CORRECTIONS",
    "CORRECTION_NAMES",
    "Comparison",
    "Estimate",
    "adjust",
    "adjust_family",
    "check_ci",
    "check_correction",
    "compare_table",
    "format_p",
    "mean_ci",
    "paired",
    "paired_p_value",
    "precision_reached",
    "relative_half_width",
    "replications_needed",
    "with_broker_only",
]

_NAN = float("nan")

#: Multiple-comparison corrections: ``holm`` (Holm's step-down, family-wise error),
#: ``bh`` (Benjamini–Hochberg, false discovery rate) and ``none``.
CORRECTIONS = ("holm", "bh", "none")

#: Confidence intervals: ``t`` (Student t) and ``bootstrap`` (BCa, pairs resampled).
CI_METHODS = ("t", "bootstrap")

#: Bootstrap resamples by default. At least 1000 are advised for the end points of
#: an interval (Efron & Tibshirani 1993, An Introduction to the Bootstrap); 9999,
#: the customary (B + 1 = 10^4) choice, keeps the bounds' Monte-Carlo noise small
#: and costs about 10 ms for an interval of 30 replications.
BOOTSTRAP_RESAMPLES = 9999

#: Names used in verdicts and captions.
CORRECTION_NAMES = {"holm": "Holm", "bh": "Benjamini–Hochberg", "none": "no correction"}

# statsmodels' names of the corrections
_METHODS = {"holm": "holm", "bh": "fdr_bh"}

# a key mixed into the caller's seed, so a bootstrap's generator is its own stream
_BOOTSTRAP_STREAM = 0xB007

_K = TypeVar("_K")


@functools.lru_cache(maxsize=4096)
def _t(level: float, df: int) -> float:
    """Two-sided Student-t quantile: P(|T_df| <= q) = level."""
    from scipy import stats as sps  # imported lazily: orgsim must import without it

    return float(sps.t.ppf(0.5 + level / 2.0, df))


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level!r}")


def check_correction(correction: str) -> None:
    """Refuse a correction that is not one of :data:`CORRECTIONS`."""
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS!r}, got {correction!r}")


def check_ci(ci: str) -> None:
    """Refuse a confidence-interval method that is not one of :data:`CI_METHODS`."""
    if ci not in CI_METHODS:
        raise ValueError(f"ci must be one of {CI_METHODS!r}, got {ci!r}")


def _check_resamples(n_resamples: int) -> None:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}")


def _check_better(better: str) -> None:
    if better not in DIRECTIONS:
        raise ValueError(f"better must be one of {DIRECTIONS!r}, got {better!r}")


def _as_1d(x: ArrayLike, what: str = "x") -> NDArray[np.float64]:
    arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
    return arr


@attrs.frozen
class Estimate:
    """A sample mean with its two-sided confidence interval (Student t by default).

    Attributes:
        mean: Sample mean of the non-NaN values (NaN when there are none).
        low: Lower confidence bound (NaN when ``n < 2``).
        high: Upper confidence bound (NaN when ``n < 2``).
        half_width: ``t * sd / sqrt(n)`` (NaN when ``n < 2``); for a bootstrap
            interval, which need not be symmetric, ``(high - low) / 2``.
        n: Number of non-NaN values.
        sd: Sample standard deviation, ``ddof=1`` (NaN when ``n < 2``).
        method: How the interval was made: ``"t"`` or ``"bootstrap"`` (BCa).
    """

    mean: float
    low: float
    high: float
    half_width: float
    n: int
    sd: float
    method: str = "t"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside the closed interval (False if undefined)."""
        return bool(self.low <= value <= self.high)

    def per(self, unit: float) -> Estimate:
        """The estimate in multiples of a constant (a return per k$ of cost).

        All NaN when ``unit`` is not positive: a ratio to nothing is undefined.
        """
        if not unit > 0:
            return Estimate(_NAN, _NAN, _NAN, _NAN, self.n, _NAN, self.method)
        return Estimate(
            self.mean / unit,
            self.low / unit,
            self.high / unit,
            self.half_width / unit,
            self.n,
            self.sd / unit,
            self.method,
        )


def _estimate(values: NDArray[np.float64], level: float) -> Estimate:
    """Estimate from values already free of NaN."""
    n = int(values.size)
    if n == 0:
        return Estimate(_NAN, _NAN, _NAN, _NAN, 0, _NAN)
    mean = float(np.mean(values))
    if n < 2:
        return Estimate(mean, _NAN, _NAN, _NAN, n, _NAN)
    sd = float(np.std(values, ddof=1))
    half = _t(level, n - 1) * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, half, n, sd)


def _bootstrap_estimate(
    values: NDArray[np.float64], level: float, seed: int, n_resamples: int
) -> Estimate:
    """The mean of values free of NaN with a BCa bootstrap interval.

    The generator is made afresh from ``seed`` for every call, so estimates of the
    same number of values (the two arms and the difference of one comparison, or
    every metric of a table) resample the same replications: pairs stay pairs.
    Values all equal have no spread to resample: the interval is the mean itself,
    as the t interval is then.
    """
    n = int(values.size)
    if n == 0:
        return Estimate(_NAN, _NAN, _NAN, _NAN, 0, _NAN, "bootstrap")
    mean = float(np.mean(values))
    if n < 2:
        return Estimate(mean, _NAN, _NAN, _NAN, n, _NAN, "bootstrap")
    sd = float(np.std(values, ddof=1))
    if sd == 0:
        return Estimate(mean, mean, mean, 0.0, n, sd, "bootstrap")
    from scipy import stats as sps  # imported lazily: orgsim must import without it

    rng = np.random.default_rng([_BOOTSTRAP_STREAM, seed])
    with warnings.catch_warnings():
        # a degenerate resample distribution gives NaN bounds, which mean "undefined" here
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sps.bootstrap(
            (values,),
            np.mean,
            n_resamples=n_resamples,
            confidence_level=level,
            method="BCa",
            vectorized=True,
            rng=rng,
        )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return Estimate(mean, low, high, (high - low) / 2.0, n, sd, "bootstrap")


def _interval(
    values: NDArray[np.float64], level: float, ci: str, seed: int, n_resamples: int
) -> Estimate:
    if ci == "bootstrap":
        return _bootstrap_estimate(values, level, seed, n_resamples)
    return _estimate(values, level)


def mean_ci(
    x: ArrayLike,
    level: float = 0.95,
    *,
    ci: str = "t",
    seed: int = 0,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
) -> Estimate:
    """Mean of ``x`` with a confidence interval; NaNs are dropped.

    Args:
        x: One value per replication.
        level: Two-sided confidence level.
        ci: ``"t"`` (Student t, the default) or ``"bootstrap"`` (BCa).
        seed: Seeds the bootstrap's resampling (same seed, same interval); unused
            by the t interval.
        n_resamples: Bootstrap resamples.

    Returns:
        The estimate; with fewer than two non-NaN values its bounds are NaN.
    """
    _check_level(level)
    check_ci(ci)
    _check_resamples(n_resamples)
    arr = _as_1d(x)
    return _interval(arr[~np.isnan(arr)], level, ci, seed, n_resamples)


def paired_p_value(d: ArrayLike) -> float:
    """Two-sided p-value of the paired t-test that the mean difference is 0.

    The test that matches the t interval: ``p < 1 - level`` exactly when the
    ``level`` t CI of the mean of ``d`` excludes 0 (both use ``|mean| / (sd /
    sqrt(n))`` against Student t with ``n - 1`` degrees of freedom), and the same
    number as ``scipy.stats.ttest_rel(on, off).pvalue`` for ``d = on - off``.

    Args:
        d: The paired differences, one per replication (NaNs are dropped).

    Returns:
        The p-value; 0 for differences all equal and non-zero (certain), NaN with
        fewer than two differences or differences all 0 (no test: nothing varies).
    """
    arr = _as_1d(d, "d")
    arr = arr[~np.isnan(arr)]
    n = int(arr.size)
    if n < 2:
        return _NAN
    mean = float(np.mean(arr))
    sd = float(np.std(arr, ddof=1))
    if sd == 0:
        return _NAN if mean == 0 else 0.0
    from scipy import stats as sps  # imported lazily: orgsim must import without it

    t = abs(mean) / (sd / math.sqrt(n))
    return float(2.0 * sps.t.sf(t, n - 1))


@attrs.frozen
class Comparison:
    """Paired comparison of one metric between the broker-on and broker-off arms.

    Attributes:
        on: Estimate for the arm with the broker (over the complete pairs).
        off: Estimate for the arm without the broker (over the complete pairs).
        diff: Estimate of the paired difference on − off.
        relative: ``diff.mean / |off.mean|`` (NaN when ``off.mean`` is 0 or NaN).
        relative_low: ``diff.low / |off.mean|``.
        relative_high: ``diff.high / |off.mean|``.
        win_rate: Share of pairs in which the broker arm did better (ties count one
            half); NaN when ``better`` is ``""`` or there are no pairs.
        crn_variance_ratio: ``(Var(on) + Var(off)) / Var(on − off)``: the variance
            of the difference had the arms been sampled independently, over the one
            actually obtained with common random numbers. Above 1 means CRN helped.
            NaN when ``Var(on − off)`` is 0 or there are fewer than two pairs.
        significant: Whether the difference is significant at ``1 − level``: its
            p-value, adjusted over its family (``correction``), is below it. With no
            correction that is the same as "the t CI of the difference excludes 0",
            and is computed so.
        verdict: One human sentence, such as
            ``"broker better: +12.3% (95% CI +8.1% to +16.5%)"``.
        better: The metric's preferred direction, ``"higher"``, ``"lower"`` or ``""``.
        level: The confidence level used.
        broker_only: Whether the metric exists with the broker only: then ``on``
            holds every broker-arm value and ``off``, ``diff`` and the rest are
            empty (NaN, n = 0), see :func:`with_broker_only`.
        p_value: Two-sided paired t-test p-value of "no mean difference"
            (:func:`paired_p_value`); NaN when there is no test.
        p_adjusted: The p-value adjusted over the family (equal to ``p_value``
            with no correction or outside any family).
        correction: The correction applied, one of :data:`CORRECTIONS`.
        family: How many tests the family held (0: not adjusted with any).
        ci: How the CIs were made, one of :data:`CI_METHODS`.
    """

    on: Estimate
    off: Estimate
    diff: Estimate
    relative: float
    relative_low: float
    relative_high: float
    win_rate: float
    crn_variance_ratio: float
    significant: bool
    verdict: str
    better: str = "higher"
    level: float = 0.95
    broker_only: bool = False
    p_value: float = _NAN
    p_adjusted: float = _NAN
    correction: str = "none"
    family: int = 0
    ci: str = "t"

    @property
    def outcome(self) -> str:
        """``"better"``, ``"worse"``, ``"higher"``, ``"lower"`` or ``"unclear"``.

        ``"higher"``/``"lower"`` are used for metrics without a preferred direction;
        ``"unclear"`` whenever the difference is not significant.
        """
        return _outcome(self.significant, self.diff.mean, self.better)


def _outcome(significant: bool, diff_mean: float, better: str) -> str:
    if not significant:
        return "unclear"
    higher = diff_mean > 0
    if better == "higher":
        return "better" if higher else "worse"
    if better == "lower":
        return "worse" if higher else "better"
    return "higher" if higher else "lower"


def _level_text(level: float, ci: str = "t") -> str:
    return f"{100.0 * level:g}% {'bootstrap ' if ci == 'bootstrap' else ''}CI"


def format_p(p: float) -> str:
    """A p-value as tables print it: ``0.031``, ``<0.001``, or ``–`` (no test)."""
    if math.isnan(p):
        return "–"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def _verdict(
    significant: bool,
    diff: Estimate,
    relative: float,
    rel_low: float,
    rel_high: float,
    better: str,
    level: float,
    ci_method: str = "t",
    lost: str = "",
) -> str:
    """The sentence; ``lost`` names the correction that took significance away."""
    if diff.n < 2 or math.isnan(diff.half_width):
        return f"not enough data (n={diff.n} pairs)"
    if diff.sd == 0 and diff.mean == 0:
        return f"no difference (identical in all {diff.n} pairs)"
    ci = _level_text(level, ci_method)
    if math.isnan(relative):
        # The off arm averages 0: a relative change is meaningless, report absolute.
        point, low, high = (
            format_number(v, style="precise", signed=True) for v in (diff.mean, diff.low, diff.high)
        )
    else:
        point, low, high = (
            format_number(v, "share", signed=True) for v in (relative, rel_low, rel_high)
        )
    if lost:
        return f"no clear difference after {lost} ({ci} {low} to {high})"
    if not significant:
        return f"no clear difference ({ci} {low} to {high})"
    return f"broker {_outcome(True, diff.mean, better)}: {point} ({ci} {low} to {high})"


def paired(
    on: ArrayLike,
    off: ArrayLike,
    level: float = 0.95,
    better: str = "higher",
    *,
    ci: str = "t",
    seed: int = 0,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
) -> Comparison:
    """Compare paired replications of one metric.

    One comparison on its own is not corrected for multiplicity: its verdict is
    that of the paired t-test at ``1 − level``. :func:`compare_table` and
    :func:`adjust_family` adjust a family of them.

    Args:
        on: One value per replication with the broker.
        off: One value per replication without the broker, in the same order
            (replication *i* of both arms shares random streams).
        level: Two-sided confidence level.
        better: ``"higher"``, ``"lower"`` or ``""`` (no preferred direction).
        ci: ``"t"`` (the default) or ``"bootstrap"``: BCa intervals of both arms
            and of the mean difference, from the same resamples of the pairs. The
            verdict's test is the paired t-test either way.
        seed: Seeds the bootstrap (same seed, same intervals).
        n_resamples: Bootstrap resamples.

    Returns:
        The comparison. Pairs where either value is NaN are dropped from everything.

    Raises:
        ValueError: If the arms differ in length, or ``better``/``level``/``ci`` is
            invalid.
    """
    _check_level(level)
    _check_better(better)
    check_ci(ci)
    _check_resamples(n_resamples)
    a, b = _as_1d(on, "on"), _as_1d(off, "off")
    if a.shape != b.shape:
        raise ValueError(
            f"paired samples must have the same length, got {a.size} (on) and {b.size} (off)"
        )
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    d = a - b
    t_diff = _estimate(d, level)
    # the test is the t interval's: significant when it excludes 0 (False when NaN)
    significant = bool(t_diff.low > 0 or t_diff.high < 0)
    if ci == "t":
        est_on, est_off, est_diff = _estimate(a, level), _estimate(b, level), t_diff
    else:
        est_on, est_off, est_diff = (
            _bootstrap_estimate(v, level, seed, n_resamples) for v in (a, b, d)
        )

    scale = abs(est_off.mean)
    if scale > 0 and not math.isnan(scale):
        relative = est_diff.mean / scale
        rel_low, rel_high = est_diff.low / scale, est_diff.high / scale
    else:
        relative = rel_low = rel_high = _NAN
    verdict = _verdict(significant, est_diff, relative, rel_low, rel_high, better, level, ci)
    p = paired_p_value(d)
    return Comparison(
        on=est_on,
        off=est_off,
        diff=est_diff,
        relative=relative,
        relative_low=rel_low,
        relative_high=rel_high,
        win_rate=_win_rate(d, better),
        crn_variance_ratio=_crn_ratio(a, b, d),
        significant=significant,
        verdict=verdict,
        better=better,
        level=level,
        p_value=p,
        p_adjusted=p,
        ci=ci,
    )


_EMPTY = Estimate(_NAN, _NAN, _NAN, _NAN, 0, _NAN)

#: The verdict of a metric that exists with the broker only starts with this.
BROKER_ONLY_VERDICT = "exists with the broker only"


def with_broker_only(
    on: ArrayLike,
    level: float = 0.95,
    better: str = "",
    *,
    ci: str = "t",
    seed: int = 0,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
) -> Comparison:
    """The comparison of a metric that exists with the broker only.

    Without a broker such a metric has no value (a mediator's queue that is not
    there), so there is nothing to pair: the comparison is the broker arm's mean
    and CI over all its non-NaN replications, and the arm without, the difference,
    the relative effect, the win rate and the CRN ratio are empty (NaN, n = 0).
    There is no test either (NaN p-values), so it belongs to no family.

    Args:
        on: One value per replication with the broker.
        level: Two-sided confidence level.
        better: The metric's preferred direction (kept for reference; no verdict
            of better or worse is given).
        ci: ``"t"`` or ``"bootstrap"``, as for :func:`mean_ci`.
        seed: Seeds the bootstrap.
        n_resamples: Bootstrap resamples.

    Returns:
        The comparison, ``broker_only`` set, its verdict starting
        ``"exists with the broker only: "``.
    """
    _check_better(better)
    est = mean_ci(on, level, ci=ci, seed=seed, n_resamples=n_resamples)
    if est.n == 0:
        text = "no data (n=0)"
    elif est.n < 2:
        text = f"{format_number(est.mean, style='precise')} (n={est.n})"
    else:
        mean, low, high = (format_number(v, style="precise") for v in (est.mean, est.low, est.high))
        text = f"{mean} ({_level_text(level, ci)} {low} to {high})"
    return Comparison(
        on=est,
        off=_EMPTY,
        diff=_EMPTY,
        relative=_NAN,
        relative_low=_NAN,
        relative_high=_NAN,
        win_rate=_NAN,
        crn_variance_ratio=_NAN,
        significant=False,
        verdict=f"{BROKER_ONLY_VERDICT}: {text}",
        better=better,
        level=level,
        broker_only=True,
        ci=ci,
    )


def adjust(p_values: ArrayLike, correction: str) -> NDArray[np.float64]:
    """p-values adjusted for multiplicity over one family; NaN entries are no test.

    ``holm``: Holm's (1979) step-down adjustment, which controls the family-wise
    error rate (the chance of *any* false "significant") under any dependence
    between the tests: sorted ascending, ``p_(i)`` becomes the running maximum of
    ``(m - i + 1) * p_(i)``, capped at 1. ``bh``: Benjamini & Hochberg's (1995)
    step-up adjustment, which controls the false discovery rate (the expected
    share of false ones among those called significant) for independent or
    positively dependent tests: ``p_(i)`` becomes the running minimum, from the
    largest down, of ``m * p_(i) / i``. ``none`` returns them as they are. Both
    adjustments are statsmodels' ``multipletests`` (``holm``, ``fdr_bh``).

    Args:
        p_values: The family's p-values; NaN marks a member without a test, which
            is left NaN and does not count in the family's size ``m``.
        correction: One of :data:`CORRECTIONS`.

    Returns:
        The adjusted p-values, in the order given.

    Raises:
        ValueError: An unknown correction, or a p-value outside [0, 1].
    """
    check_correction(correction)
    p = _as_1d(p_values, "p_values").copy()
    tested = ~np.isnan(p)
    if np.any((p[tested] < 0) | (p[tested] > 1)):
        raise ValueError(f"p-values must be in [0, 1], got {p[tested].tolist()!r}")
    if correction == "none" or not tested.any():
        return p
    from statsmodels.stats.multitest import multipletests  # heavy: imported on first use

    _, corrected, _, _ = multipletests(p[tested], alpha=0.05, method=_METHODS[correction])
    p[tested] = np.minimum(np.asarray(corrected, dtype=np.float64), 1.0)
    return p


def adjust_family(
    comparisons: Mapping[_K, Comparison], correction: str, members: str = "metrics"
) -> dict[_K, Comparison]:
    """The comparisons with their p-values adjusted as one family, verdicts redone.

    The family is the comparisons that have a test (a finite ``p_value``: not
    broker-only, at least two pairs, not identical in every pair); ``family`` is
    its size. A comparison stays significant only if it was (its t CI excludes 0)
    and its adjusted p-value is below ``1 − level``; one that loses its
    significance says so: ``"no clear difference after Holm over 38 metrics (95%
    CI ...)"``. With ``none`` only ``correction`` and ``family`` are recorded, so
    the verdicts are exactly those of the comparisons alone.

    Args:
        comparisons: Key (a metric, a design point) to its comparison.
        correction: One of :data:`CORRECTIONS`.
        members: What the family's members are, for the verdicts ("metrics",
            "design points").

    Returns:
        Key to adjusted comparison, in the order given.
    """
    keys = list(comparisons)
    raw = np.array([comparisons[k].p_value for k in keys], dtype=np.float64)
    adjusted = adjust(raw, correction)
    m = int(np.count_nonzero(~np.isnan(raw)))
    out: dict[_K, Comparison] = {}
    for k, p_adj in zip(keys, adjusted, strict=True):
        c = comparisons[k]
        tested = not math.isnan(c.p_value)
        if correction == "none" or not tested:
            out[k] = attrs.evolve(c, correction=correction, family=m if tested else 0)
            continue
        significant = c.significant and bool(p_adj < 1.0 - c.level)
        lost = (
            f"{CORRECTION_NAMES[correction]} over {m} {members}"
            if c.significant and not significant
            else ""
        )
        verdict = _verdict(
            significant,
            c.diff,
            c.relative,
            c.relative_low,
            c.relative_high,
            c.better,
            c.level,
            c.ci,
            lost,
        )
        out[k] = attrs.evolve(
            c,
            significant=significant,
            verdict=verdict,
            p_adjusted=float(p_adj),
            correction=correction,
            family=m,
        )
    return out


def _win_rate(d: NDArray[np.float64], better: str) -> float:
    """Share of pairs the broker arm won (ties count one half)."""
    if better == "" or d.size == 0:
        return _NAN
    wins = d > 0 if better == "higher" else d < 0
    return float((np.count_nonzero(wins) + 0.5 * np.count_nonzero(d == 0)) / d.size)


def _crn_ratio(a: NDArray[np.float64], b: NDArray[np.float64], d: NDArray[np.float64]) -> float:
    """Variance of the difference sampled independently over the one with CRN."""
    if d.size < 2:
        return _NAN
    var_d = float(np.var(d, ddof=1))
    var_sum = float(np.var(a, ddof=1) + np.var(b, ddof=1))
    return var_sum / var_d if var_d > 0 else _NAN


def compare_table(
    on: Mapping[str, ArrayLike],
    off: Mapping[str, ArrayLike],
    better: Mapping[str, str],
    level: float = 0.95,
    broker_only: Collection[str] = (),
    *,
    correction: str = "holm",
    ci: str = "t",
    seed: int = 0,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, Comparison]:
    """Paired comparisons of every metric of ``on``, in the key order of ``on``.

    The metrics form one family: their p-values are adjusted together
    (:func:`adjust_family`, Holm by default), so that a table of forty metrics
    does not call two of them significant by luck alone.

    Args:
        on: Metric name to one value per replication, broker on.
        off: The same for broker off; must hold every key of ``on`` but those of
            ``broker_only``.
        better: Metric name to preferred direction; a missing name means ``""``.
        level: Two-sided confidence level.
        broker_only: Metrics that exist with the broker only (the catalogue's
            :data:`~orgsim.metrics.catalogue.BROKER_ONLY`): compared by
            :func:`with_broker_only`, whatever ``off`` holds for them. The caller
            names them, as it names ``better``: which metrics these are is the
            catalogue's knowledge, what they mean statistically is decided here.
        correction: ``holm`` (default), ``bh`` or ``none``.
        ci: ``t`` (default) or ``bootstrap``, see :func:`paired`.
        seed: Seeds the bootstraps (every metric resamples the same replications).
        n_resamples: Bootstrap resamples.

    Returns:
        Metric name to :class:`Comparison`.

    Raises:
        KeyError: If a metric of ``on`` is missing from ``off``.
        ValueError: An unknown correction or CI method.
    """
    check_correction(correction)
    check_ci(ci)
    out: dict[str, Comparison] = {}
    for name, values in on.items():
        direction = better.get(name, "")
        if name in broker_only:
            out[name] = with_broker_only(
                values, level, direction, ci=ci, seed=seed, n_resamples=n_resamples
            )
            continue
        if name not in off:
            raise KeyError(f"metric {name!r} is missing from the broker-off samples")
        out[name] = paired(
            values, off[name], level, direction, ci=ci, seed=seed, n_resamples=n_resamples
        )
    return adjust_family(out, correction)


def replications_needed(x: ArrayLike, rel_precision: float = 0.05, level: float = 0.95) -> int:
    """Replications for a CI half-width of at most ``rel_precision * |mean|``.

    The pilot sample ``x`` supplies the standard deviation and mean; the answer is
    the smallest ``n >= 2`` with ``t(n-1) * sd / sqrt(n) <= rel_precision * |mean|``,
    which is the fixed point of ``n = ceil((t(n-1) * sd / (rel * |mean|))**2)``.

    Args:
        x: Pilot values, one per replication (NaNs are dropped).
        rel_precision: Target half-width as a fraction of the mean's magnitude.
        level: Two-sided confidence level.

    Returns:
        The number of replications, at least 2.

    Raises:
        ValueError: With fewer than two pilot values, a non-positive
            ``rel_precision``, or a zero mean with non-zero spread (no relative
            precision can be reached).
    """
    _check_level(level)
    if not rel_precision > 0:
        raise ValueError(f"rel_precision must be positive, got {rel_precision!r}")
    est = mean_ci(x, level)
    if est.n < 2:
        raise ValueError(f"need at least two non-NaN pilot values, got {est.n}")
    if est.sd == 0:
        return 2
    target = rel_precision * abs(est.mean)
    if target == 0:
        raise ValueError("the pilot mean is 0: a relative precision cannot be reached")

    def ok(n: int) -> bool:
        return _t(level, n - 1) * est.sd / math.sqrt(n) <= target

    # t(n-1) > z, so the normal-theory size is a lower bound; step up from there.
    z = _t(level, 10**9)
    n = max(2, math.ceil((z * est.sd / target) ** 2))
    while n > 2 and ok(n - 1):  # guard against rounding in the lower bound
        n -= 1
    while not ok(n):
        n += 1
    return n


def relative_half_width(x: ArrayLike, level: float = 0.95) -> float:
    """The CI half-width of the mean of ``x`` as a share of the mean's magnitude.

    What a precision target (``--precision``) is judged by, so a report can say by
    how much a metric missed it.

    Args:
        x: One value per replication (NaNs are dropped).
        level: Two-sided confidence level.

    Returns:
        ``half_width / |mean|``; 0 for values all 0 (exact), ``inf`` for a mean of
        0 with spread (no relative precision can be reached), NaN with fewer than
        two non-NaN values.
    """
    est = mean_ci(x, level)
    if est.n < 2:
        return _NAN
    scale = abs(est.mean)
    if scale == 0:
        return 0.0 if est.half_width == 0 else math.inf
    return est.half_width / scale


def precision_reached(
    samples: Mapping[str, ArrayLike],
    metrics: Iterable[str],
    rel_precision: float = 0.05,
    level: float = 0.95,
) -> bool:
    """Whether every listed metric's CI half-width is within ``rel_precision * |mean|``.

    A metric whose mean is 0 counts as reached only when its half-width is 0; a
    metric with fewer than two non-NaN values is never reached.

    Args:
        samples: Metric name to one value per replication.
        metrics: The metrics that must be precise enough.
        rel_precision: Target half-width as a fraction of the mean's magnitude.
        level: Two-sided confidence level.

    Returns:
        True when all of them are.

    Raises:
        KeyError: If a metric is missing from ``samples``.
    """
    # ``not <=`` also catches NaN: fewer than two values never reach a target
    return all(relative_half_width(samples[name], level) <= rel_precision for name in metrics)
