"""One uncertainty of an explore file: its range and distribution, read from ``[[uncertainties]]``.

An uncertainty is a number the company cannot pin down: a behavioural constant
(``conflicts.drag``), whose range defaults to its documented plausible range
(:func:`orgsim.scenario.uncertainty.uncertain_parameters`), any other numeric
parameter of the scenario with a range given, or the ``scale`` of the company
(as in sweeps, :func:`orgsim.experiments.sweep.scale.apply_scale`). Each is sampled
on the unit interval by the design and mapped through its distribution's inverse
CDF, so a Latin hypercube stays stratified in probability, whatever the shape.

The distributions are few and fully defined by their keys:

* ``uniform`` (default) on ``[low, high]``;
* ``log-uniform`` on ``[low, high]``, ``low > 0``: as likely to be in 1-2 as in 2-4
  (sizes, rates spanning orders of magnitude);
* ``triangular`` on ``[low, high]`` peaking at ``mode``;
* ``normal`` with ``mean`` and ``sd``, truncated to ``[low, high]``.

Integer parameters take the nearest integer; a uniform or log-uniform integer range
is widened by half a step at each end first, so that every integer of it gets an
equal share (as a sweep's integer range does).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from orgsim.experiments.sweep.checks import Check, unknown_parameter
from orgsim.experiments.sweep.parameter import SCALE
from orgsim.scenario.paths import MISSING
from orgsim.scenario.problems import expected, unknown_key
from orgsim.scenario.uncertainty import Uncertain

__all__ = ["DISTRIBUTIONS", "Uncertainty", "parse_uncertainties"]

DISTRIBUTIONS = ("uniform", "log-uniform", "triangular", "normal")
_KEYS = ("path", "low", "high", "distribution", "mode", "mean", "sd")
_SHAPE_KEYS = {"mode": "triangular", "mean": "normal", "sd": "normal"}


@attrs.frozen(kw_only=True)
class Uncertainty:
    """One uncertain number and how it is distributed.

    Attributes:
        path: Dotted path in the scenario, or ``scale``.
        low: Lowest value sampled.
        high: Highest value sampled.
        distribution: One of :data:`DISTRIBUTIONS`.
        mode: Peak of a triangular distribution.
        mean: Mean of a normal distribution (before truncation).
        sd: Standard deviation of a normal distribution (before truncation).
        integer: Whether the parameter takes whole numbers.
        source: Where the range comes from: a key of
            :data:`~orgsim.scenario.grounding.SOURCES` (or ``assumed``) for a
            documented range, ``given`` when the file states both ends.
        target: How a value is put into a scenario (None for ``scale``); a
            distribution-valued parameter is set by its mean.
    """

    path: str
    low: float
    high: float
    distribution: str = "uniform"
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    integer: bool = False
    source: str = "given"
    target: Uncertain | None = attrs.field(default=None, eq=False, repr=False)

    def values(self, unit: np.ndarray) -> np.ndarray:
        """The values at unit-interval coordinates ``unit`` (the inverse CDF).

        Args:
            unit: Probabilities in ``[0, 1]`` (clipped there).

        Returns:
            Floats, or whole numbers (as floats) for an integer parameter, in
            ``[low, high]``.
        """
        u = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
        low, high = self.low, self.high
        if self.integer and self.distribution in ("uniform", "log-uniform"):
            low, high = low - 0.5, high + 0.5
        if self.distribution == "uniform":
            x = low + u * (high - low)
        elif self.distribution == "log-uniform":
            x = np.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        elif self.distribution == "triangular":
            from scipy import stats

            assert self.mode is not None
            c = (self.mode - low) / (high - low)
            x = stats.triang.ppf(u, c, loc=low, scale=high - low)
        else:
            from scipy import stats

            assert self.mean is not None and self.sd is not None
            a, b = (low - self.mean) / self.sd, (high - self.mean) / self.sd
            x = stats.truncnorm.ppf(u, a, b, loc=self.mean, scale=self.sd)
        if self.integer:
            x = np.floor(x + 0.5)
        return np.clip(np.asarray(x, dtype=float), self.low, self.high)

    def unit(self, values: np.ndarray) -> np.ndarray:
        """The unit-interval coordinates of ``values`` (the CDF: :meth:`values` undone).

        A design that does not sample the unit cube (draws from a posterior) still
        gives the sensitivity analysis coordinates on the same scale.
        """
        x = np.asarray(values, dtype=float)
        low, high = self.low, self.high
        if self.integer and self.distribution in ("uniform", "log-uniform"):
            low, high = low - 0.5, high + 0.5
        if self.distribution == "uniform":
            u = (x - low) / (high - low)
        elif self.distribution == "log-uniform":
            u = (np.log(x) - math.log(low)) / (math.log(high) - math.log(low))
        elif self.distribution == "triangular":
            from scipy import stats

            assert self.mode is not None
            u = stats.triang.cdf(x, (self.mode - low) / (high - low), loc=low, scale=high - low)
        else:
            from scipy import stats

            assert self.mean is not None and self.sd is not None
            a, b = (low - self.mean) / self.sd, (high - self.mean) / self.sd
            u = stats.truncnorm.cdf(x, a, b, loc=self.mean, scale=self.sd)
        return np.clip(np.asarray(u, dtype=float), 0.0, 1.0)

    def value(self, unit: float) -> float | int:
        """The value at one unit-interval coordinate (an ``int`` for integer parameters)."""
        x = float(self.values(np.array([unit]))[0])
        return int(x) if self.integer else x

    def extremes(self) -> list[tuple[str, float | int]]:
        """``(where, value)`` pairs to validate: both ends of the range."""
        if self.integer:
            return [("low", int(self.low)), ("high", int(self.high))]
        return [("low", self.low), ("high", self.high)]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for provenance, the digest and JSON)."""
        out: dict[str, Any] = {
            "path": self.path,
            "low": self.low,
            "high": self.high,
            "distribution": self.distribution,
            "integer": self.integer,
            "source": self.source,
        }
        for key in ("mode", "mean", "sd"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


# ------------------------------------------------------------------ reading


def parse_uncertainties(
    c: Check,
    raw: Any,
    leaves: Mapping[str, Any] | None,
    documented: Mapping[str, Uncertain],
    fixed: Mapping[str, str],
) -> list[tuple[int, Uncertainty]]:
    """Check the ``[[uncertainties]]`` array: the usable ones, with their positions.

    Args:
        c: The pass collecting the file's problems.
        raw: The array as read (``MISSING`` when the file has none).
        leaves: The base scenario's leaves by dotted path; None when the base
            could not be read (paths then go unchecked, ranges must be given).
        documented: The base's behavioural constants by path, with their
            documented plausible ranges.
        fixed: Paths something else sets (a lever, the overrides), mapped to
            what sets them; an uncertainty may not vary them too.

    Returns:
        ``(index in the array, uncertainty)`` for every entry without a problem.
    """
    if raw is MISSING or (isinstance(raw, list) and not raw):
        c.add("uncertainties", "none: explore needs at least one [[uncertainties]] entry")
        return []
    if not isinstance(raw, list):
        c.add("uncertainties", expected("an array of tables ([[uncertainties]])", raw))
        return []
    known = sorted({*(leaves or {}), *documented, SCALE})
    out: list[tuple[int, Uncertainty]] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        where = f"uncertainties.{i}"
        if not isinstance(entry, Mapping):
            c.add(where, expected("a table", entry))
            continue
        for key in entry:
            if key not in _KEYS:
                c.add(f"{where}.{key}", unknown_key(str(key), _KEYS))
        path = entry.get("path")
        if isinstance(path, str) and path in seen:
            c.add(f"{where}.path", f"'{path}' is already uncertainties.{seen[path]}")
            continue
        if isinstance(path, str):
            seen[path] = i
        found = _uncertainty(c, entry, where, leaves, documented, known, fixed)
        if found is not None:
            out.append((i, found))
    return out


def _overlaps(path: str, other: str) -> bool:
    """Whether setting one dotted path sets (part of) the other."""
    return path == other or path.startswith(other + ".") or other.startswith(path + ".")


def _target(
    c: Check,
    path: str,
    where: str,
    leaves: Mapping[str, Any] | None,
    documented: Mapping[str, Uncertain],
    known: Sequence[str],
) -> tuple[bool, Uncertain | None]:
    """Whether the path is usable, and its documented constant (None if undocumented).

    A path with no documented range must still be a number of the scenario (or a
    distribution, set by its mean); its range is then the file's to give.
    """
    if path in documented:
        return True, documented[path]
    if leaves is None:
        return True, None
    if path in leaves:
        value = leaves[path]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            c.add(
                f"{where}.path",
                f"'{path}' takes a {type(value).__name__}, not a number: "
                "set it in a lever or in [overrides]",
            )
            return False, None
        return True, None
    below = [k for k in leaves if k.startswith(path + ".")]
    if f"{path}.kind" in leaves:
        c.add(
            f"{where}.path",
            f"'{path}' is a distribution the base does not use as a behavioural constant "
            "(a structural input, or of a disabled entry): set it in a lever or [overrides]",
        )
    elif below:
        c.add(
            f"{where}.path",
            f"'{path}' is a table, not one parameter; use one of its fields: "
            + ", ".join(below[:6])
            + (", ..." if len(below) > 6 else ""),
        )
    else:
        c.add(f"{where}.path", unknown_parameter(path, known))
    return False, None


def _uncertainty(
    c: Check,
    entry: Mapping[str, Any],
    where: str,
    leaves: Mapping[str, Any] | None,
    documented: Mapping[str, Uncertain],
    known: Sequence[str],
    fixed: Mapping[str, str],
) -> Uncertainty | None:
    """Check one ``[[uncertainties]]`` table; None when it cannot be used."""
    n_before = len(c.problems)
    path = entry.get("path", MISSING)
    if path is MISSING:
        c.add(f"{where}.path", "missing: the dotted path of the uncertain parameter")
        return None
    if not isinstance(path, str):
        c.add(f"{where}.path", expected("a string", path))
        return None
    doc: Uncertain | None = None
    if path != SCALE:
        ok, doc = _target(c, path, where, leaves, documented, known)
        if not ok:
            return None
    for other, by in fixed.items():
        if _overlaps(path, other):
            c.add(
                f"{where}.path",
                f"'{path}' is set by {by} ('{other}'): a parameter is either fixed or "
                "uncertain; remove one of them",
            )
            break
    integer = _is_integer(path, doc, leaves)
    low, high = _range(c, entry, where, path, doc, integer)
    distribution = c.choice(
        entry, "distribution", f"{where}.distribution", "uniform", DISTRIBUTIONS
    )
    shape = _shape(c, entry, where, distribution, low, high, integer)
    if len(c.problems) > n_before or low is None or high is None:
        return None
    given = "low" in entry and "high" in entry
    target = doc
    if path != SCALE and target is None:
        base = (leaves or {}).get(path, 0.0)
        target = Uncertain(
            path=path,
            value=float(base) if isinstance(base, numbers.Real) else 0.0,
            low=low,
            high=high,
            integer=integer,
        )
    return Uncertainty(
        path=path,
        low=low,
        high=high,
        distribution=distribution,
        integer=integer,
        source="given" if given or doc is None else doc.source,
        target=target,
        **shape,
    )


def _is_integer(path: str, doc: Uncertain | None, leaves: Mapping[str, Any] | None) -> bool:
    """Whether the parameter takes whole numbers (its schema type, as the base holds it)."""
    if doc is not None:
        return doc.integer
    value = (leaves or {}).get(path)
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _range(
    c: Check,
    entry: Mapping[str, Any],
    where: str,
    path: str,
    doc: Uncertain | None,
    integer: bool,
) -> tuple[float | None, float | None]:
    """The range's ends: as given, else the documented range's; None when unusable."""
    ends: dict[str, float | None] = {"low": None, "high": None}
    for key in ends:
        if key not in entry:
            if doc is not None:
                ends[key] = getattr(doc, key)
            elif path == SCALE:
                c.add(f"{where}.{key}", "missing: scale has no default range; give low and high")
            else:
                c.add(
                    f"{where}.{key}",
                    f"missing: '{path}' has no documented plausible range; give low and high",
                )
            continue
        number = c.number(entry[key], f"{where}.{key}")
        if number is None:
            continue
        if integer and not number.is_integer():
            c.add(f"{where}.{key}", f"'{path}' takes integers, got {entry[key]!r}")
            continue
        ends[key] = number
    low, high = ends["low"], ends["high"]
    if low is not None and high is not None and not low < high:
        why = "" if "low" in entry and "high" in entry else " (the documented range is empty)"
        c.add(f"{where}.high", f"must be > low ({low!r}), got {high!r}: an empty range{why}")
        return None, None
    if path == SCALE and low is not None and low <= 0:
        c.add(f"{where}.low", f"scale must be > 0, got {low!r}")
        return None, None
    return low, high


def _shape(
    c: Check,
    entry: Mapping[str, Any],
    where: str,
    distribution: str,
    low: float | None,
    high: float | None,
    integer: bool,
) -> dict[str, float | None]:
    """The distribution's own parameters (``mode``; ``mean`` and ``sd``), checked."""
    for key, owner in _SHAPE_KEYS.items():
        if key in entry and distribution != owner:
            c.add(
                f"{where}.{key}",
                f"only a {owner} distribution takes {key} (this is {distribution})",
            )
    shape: dict[str, float | None] = {"mode": None, "mean": None, "sd": None}
    if distribution == "log-uniform" and low is not None and (low - (0.5 if integer else 0)) <= 0:
        c.add(f"{where}.low", f"a log-uniform range needs low > 0, got {low!r}")
    wanted = {"triangular": ("mode",), "normal": ("mean", "sd")}.get(distribution, ())
    for key in wanted:
        if key not in entry:
            c.add(f"{where}.{key}", f"missing: a {distribution} distribution needs {key}")
            continue
        shape[key] = c.number(entry[key], f"{where}.{key}")
    inside = low is not None and high is not None
    for key in ("mode", "mean"):
        v = shape[key]
        if v is not None and inside and not low <= v <= high:  # type: ignore[operator]
            c.add(f"{where}.{key}", f"must be within [low, high] = [{low!r}, {high!r}], got {v!r}")
    sd = shape["sd"]
    if sd is not None and sd <= 0:
        c.add(f"{where}.sd", f"must be > 0, got {sd!r}")
    return shape
