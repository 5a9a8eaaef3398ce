"""Configurable probability distributions for every duration and arrival process.

A scenario never hard-codes a duration: each one is a :class:`Dist`, written in TOML
as an inline table, for example ``{ kind = "lognormal", mean = 45, cv = 0.6 }``.
Lognormal and gamma are parametrised by mean and coefficient of variation because
that is how people state durations ("about 45 days, give or take 60%"), not by the
underlying mu/sigma or shape/scale.
"""

from __future__ import annotations

import math
from typing import ClassVar

import attrs
import numpy as np

KINDS = ("exponential", "deterministic", "uniform", "lognormal", "gamma")

# Parameters each kind needs; the others must be left unset.
_NEEDS: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "deterministic": ("mean",),
    "uniform": ("low", "high"),
    "lognormal": ("mean", "cv"),
    "gamma": ("mean", "cv"),
}


@attrs.frozen(kw_only=True, slots=False)
class Dist:
    """A non-negative distribution, sampled from one named random stream.

    Attributes:
        kind: One of ``exponential``, ``deterministic``, ``uniform``, ``lognormal``,
            ``gamma``.
        mean: Mean (all kinds but ``uniform``); for ``deterministic`` the value.
        cv: Coefficient of variation, standard deviation / mean (lognormal, gamma).
        low: Lower bound (uniform).
        high: Upper bound (uniform).
    """

    kind: str = attrs.field(default="exponential", metadata={"choices": KINDS})
    mean: float | None = attrs.field(default=None, metadata={"ge": 0.0})
    cv: float | None = attrs.field(default=None, metadata={"gt": 0.0, "le": 10.0})
    low: float | None = attrs.field(default=None, metadata={"ge": 0.0})
    high: float | None = attrs.field(default=None, metadata={"ge": 0.0})

    # Class-level defaults, shadowed per instance by __attrs_post_init__.
    _a: ClassVar[float] = 0.0
    _b: ClassVar[float] = 0.0
    _fixed: ClassVar[bool] = False

    def __attrs_post_init__(self) -> None:
        # The numpy call's parameters, computed once for the hot path. Kept in the
        # instance dict (the class is not slotted) so they are no attrs field: not
        # a scenario key, not hashed, not compared.
        # Only valid parameters are turned into numpy's: the validation walk builds
        # the object before it reports out-of-range ones (a negative lognormal mean
        # has no logarithm), so anything else must build quietly and be refused there.
        a = b = 0.0
        fixed = False
        if _positive(self.mean) and _positive(self.cv):
            assert self.mean is not None and self.cv is not None
            cv2 = self.cv * self.cv
            if cv2 == 0.0:
                fixed = True  # a cv so small its square underflows: the mean itself
            elif self.kind == "lognormal":
                sigma2 = math.log1p(cv2)
                a, b = math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2)
            elif self.kind == "gamma":
                a = 1.0 / cv2
                b = self.mean / a
                fixed = not (math.isfinite(a) and b > 0.0)
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_b", b)
        object.__setattr__(self, "_fixed", fixed)

    def check(self) -> list[tuple[str, str]]:
        """Cross-field problems as ``(field, message)`` pairs; empty when valid."""
        if self.kind not in _NEEDS:
            return []  # the choice check reports it
        needs = _NEEDS[self.kind]
        out: list[tuple[str, str]] = []
        for name in ("mean", "cv", "low", "high"):
            value = getattr(self, name)
            if name in needs and value is None:
                out.append((name, f"{self.kind} distribution needs '{name}'"))
            elif name not in needs and value is not None:
                out.append(
                    (name, f"{self.kind} distribution takes {', '.join(needs)}, not '{name}'")
                )
        if (
            self.kind == "uniform"
            and self.low is not None
            and self.high is not None
            and self.high < self.low
        ):
            out.append(("high", f"high ({self.high}) must be >= low ({self.low})"))
        return out

    @property
    def complete(self) -> bool:
        """Whether its kind is known and it has every parameter that kind needs.

        Only then has it a mean (:attr:`expected`): a scenario's checks of arrival
        rates skip an incomplete one, whose own check says what is missing.
        """
        return self.kind in _NEEDS and not self.check()

    @property
    def expected(self) -> float:
        """The distribution's mean (used for sizing and by documentation)."""
        if self.kind == "uniform":
            assert self.low is not None and self.high is not None
            return (self.low + self.high) / 2.0
        assert self.mean is not None
        return self.mean

    def draw(self, rng: np.random.Generator) -> float:
        """Draw one value from ``rng``.

        Common random numbers do not rest on this method: callers draw every value
        an entity may need from that entity's own stream, in a fixed order.

        Lognormal and uniform draws are numpy's own formulas on its standard draw,
        ``exp(mu + sigma z)`` and ``low + (high - low) u``: the same number to the
        bit, without the argument checks that make numpy's scalar call slow.
        """
        kind = self.kind
        if kind == "lognormal" and self._b > 0.0:  # the commonest, first
            return math.exp(self._a + self._b * rng.standard_normal())
        if kind == "exponential":
            assert self.mean is not None
            return float(rng.exponential(self.mean)) if self.mean > 0 else 0.0
        if kind == "deterministic":
            assert self.mean is not None
            return self.mean
        if kind == "uniform":
            assert self.low is not None and self.high is not None
            return self.low + (self.high - self.low) * rng.random()
        assert self.mean is not None and self.cv is not None
        if self.mean == 0 or self._fixed:
            return float(self.mean)
        if kind == "lognormal":
            return float(rng.lognormal(self._a, self._b))
        return float(rng.gamma(self._a, self._b))


def _positive(value: float | None) -> bool:
    """Whether a parameter is set, finite and above 0 (NaN is not)."""
    return value is not None and 0.0 < value < math.inf


def exponential(mean: float) -> Dist:
    """An exponential distribution with the given mean."""
    return Dist(kind="exponential", mean=mean)


def deterministic(value: float) -> Dist:
    """A constant."""
    return Dist(kind="deterministic", mean=value)


def uniform(low: float, high: float) -> Dist:
    """A uniform distribution on ``[low, high]``."""
    return Dist(kind="uniform", low=low, high=high)


def lognormal(mean: float, cv: float) -> Dist:
    """A lognormal distribution with the given mean and coefficient of variation."""
    return Dist(kind="lognormal", mean=mean, cv=cv)


def gamma(mean: float, cv: float) -> Dist:
    """A gamma distribution with the given mean and coefficient of variation."""
    return Dist(kind="gamma", mean=mean, cv=cv)
