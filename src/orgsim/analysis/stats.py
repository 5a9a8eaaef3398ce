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

scipy is imported only when a t quantile is first needed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Iterable, Mapping

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from orgsim.metrics.catalogue import DIRECTIONS
from orgsim.metrics.format import format_number

__all__ = [
    "Comparison",
    "Estimate",
    "compare_table",
    "mean_ci",
    "paired",
    "precision_reached",
    "relative_half_width",
    "replications_needed",
    "with_broker_only",
]

_NAN = float("nan")


@functools.lru_cache(maxsize=4096)
def _t(level: float, df: int) -> float:
    """Two-sided Student-t quantile: P(|T_df| <= q) = level."""
    from scipy import stats as sps  # imported lazily: orgsim must import without it

    return float(sps.t.ppf(0.5 + level / 2.0, df))


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level!r}")


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
    """A sample mean with its two-sided Student-t confidence interval.

    Attributes:
        mean: Sample mean of the non-NaN values (NaN when there are none).
        low: Lower confidence bound (NaN when ``n < 2``).
        high: Upper confidence bound (NaN when ``n < 2``).
        half_width: ``t * sd / sqrt(n)`` (NaN when ``n < 2``).
        n: Number of non-NaN values.
        sd: Sample standard deviation, ``ddof=1`` (NaN when ``n < 2``).
    """

    mean: float
    low: float
    high: float
    half_width: float
    n: int
    sd: float

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside the closed interval (False if undefined)."""
        return bool(self.low <= value <= self.high)

    def per(self, unit: float) -> Estimate:
        """The estimate in multiples of a constant (a return per k$ of cost).

        All NaN when ``unit`` is not positive: a ratio to nothing is undefined.
        """
        if not unit > 0:
            return Estimate(_NAN, _NAN, _NAN, _NAN, self.n, _NAN)
        return Estimate(
            self.mean / unit,
            self.low / unit,
            self.high / unit,
            self.half_width / unit,
            self.n,
            self.sd / unit,
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


def mean_ci(x: ArrayLike, level: float = 0.95) -> Estimate:
    """Mean of ``x`` with a Student-t confidence interval; NaNs are dropped.

    Args:
        x: One value per replication.
        level: Two-sided confidence level.

    Returns:
        The estimate; with fewer than two non-NaN values its bounds are NaN.
    """
    _check_level(level)
    arr = _as_1d(x)
    return _estimate(arr[~np.isnan(arr)], level)


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
        significant: Whether the confidence interval of the difference excludes 0.
        verdict: One human sentence, such as
            ``"broker better: +12.3% (95% CI +8.1% to +16.5%)"``.
        better: The metric's preferred direction, ``"higher"``, ``"lower"`` or ``""``.
        level: The confidence level used.
        broker_only: Whether the metric exists with the broker only: then ``on``
            holds every broker-arm value and ``off``, ``diff`` and the rest are
            empty (NaN, n = 0), see :func:`with_broker_only`.
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


def _level_text(level: float) -> str:
    return f"{100.0 * level:g}% CI"


def _verdict(
    significant: bool,
    diff: Estimate,
    relative: float,
    rel_low: float,
    rel_high: float,
    better: str,
    level: float,
) -> str:
    if diff.n < 2 or math.isnan(diff.half_width):
        return f"not enough data (n={diff.n} pairs)"
    if diff.sd == 0 and diff.mean == 0:
        return f"no difference (identical in all {diff.n} pairs)"
    ci = _level_text(level)
    if math.isnan(relative):
        # The off arm averages 0: a relative change is meaningless, report absolute.
        point, low, high = (
            format_number(v, style="precise", signed=True) for v in (diff.mean, diff.low, diff.high)
        )
    else:
        point, low, high = (
            format_number(v, "share", signed=True) for v in (relative, rel_low, rel_high)
        )
    if not significant:
        return f"no clear difference ({ci} {low} to {high})"
    return f"broker {_outcome(True, diff.mean, better)}: {point} ({ci} {low} to {high})"


def paired(
    on: ArrayLike, off: ArrayLike, level: float = 0.95, better: str = "higher"
) -> Comparison:
    """Compare paired replications of one metric.

    Args:
        on: One value per replication with the broker.
        off: One value per replication without the broker, in the same order
            (replication *i* of both arms shares random streams).
        level: Two-sided confidence level.
        better: ``"higher"``, ``"lower"`` or ``""`` (no preferred direction).

    Returns:
        The comparison. Pairs where either value is NaN are dropped from everything.

    Raises:
        ValueError: If the arms differ in length, or ``better``/``level`` is invalid.
    """
    _check_level(level)
    _check_better(better)
    a, b = _as_1d(on, "on"), _as_1d(off, "off")
    if a.shape != b.shape:
        raise ValueError(
            f"paired samples must have the same length, got {a.size} (on) and {b.size} (off)"
        )
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    d = a - b
    est_on, est_off, est_diff = _estimate(a, level), _estimate(b, level), _estimate(d, level)

    scale = abs(est_off.mean)
    if scale > 0 and not math.isnan(scale):
        relative = est_diff.mean / scale
        rel_low, rel_high = est_diff.low / scale, est_diff.high / scale
    else:
        relative = rel_low = rel_high = _NAN
    significant = bool(est_diff.low > 0 or est_diff.high < 0)  # False when NaN
    verdict = _verdict(significant, est_diff, relative, rel_low, rel_high, better, level)
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
    )


_EMPTY = Estimate(_NAN, _NAN, _NAN, _NAN, 0, _NAN)

#: The verdict of a metric that exists with the broker only starts with this.
BROKER_ONLY_VERDICT = "exists with the broker only"


def with_broker_only(on: ArrayLike, level: float = 0.95, better: str = "") -> Comparison:
    """The comparison of a metric that exists with the broker only.

    Without a broker such a metric has no value (a mediator's queue that is not
    there), so there is nothing to pair: the comparison is the broker arm's mean
    and CI over all its non-NaN replications, and the arm without, the difference,
    the relative effect, the win rate and the CRN ratio are empty (NaN, n = 0).

    Args:
        on: One value per replication with the broker.
        level: Two-sided confidence level.
        better: The metric's preferred direction (kept for reference; no verdict
            of better or worse is given).

    Returns:
        The comparison, ``broker_only`` set, its verdict starting
        ``"exists with the broker only: "``.
    """
    _check_better(better)
    est = mean_ci(on, level)
    if est.n == 0:
        text = "no data (n=0)"
    elif est.n < 2:
        text = f"{format_number(est.mean, style='precise')} (n={est.n})"
    else:
        mean, low, high = (format_number(v, style="precise") for v in (est.mean, est.low, est.high))
        text = f"{mean} ({_level_text(level)} {low} to {high})"
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
    )


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
) -> dict[str, Comparison]:
    """Paired comparisons of every metric of ``on``, in the key order of ``on``.

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

    Returns:
        Metric name to :class:`Comparison`.

    Raises:
        KeyError: If a metric of ``on`` is missing from ``off``.
    """
    out: dict[str, Comparison] = {}
    for name, values in on.items():
        if name in broker_only:
            out[name] = with_broker_only(values, level=level, better=better.get(name, ""))
            continue
        if name not in off:
            raise KeyError(f"metric {name!r} is missing from the broker-off samples")
        out[name] = paired(values, off[name], level=level, better=better.get(name, ""))
    return out


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
