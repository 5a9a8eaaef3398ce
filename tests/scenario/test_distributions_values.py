"""Each draw equals numpy's own draw from the same seed with the documented parameters.

Every distribution is built inside the test that uses it (not in a parametrize list
or at import), so the constructor runs under the test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orgsim.scenario.distributions import (
    Dist,
    deterministic,
    exponential,
    gamma,
    lognormal,
    uniform,
)

SEED = 20240611


def rngs() -> tuple[np.random.Generator, np.random.Generator]:
    """Two generators in the same state: one for the Dist, one for numpy's reference."""
    return np.random.default_rng(SEED), np.random.default_rng(SEED)


def test_exponential_is_numpys_with_the_mean_as_scale() -> None:
    mine, ref = rngs()
    d = exponential(20.0)
    assert d == Dist(kind="exponential", mean=20.0)
    assert [d.draw(mine) for _ in range(3)] == [float(ref.exponential(20.0)) for _ in range(3)]


def test_an_exponential_below_one_is_still_drawn() -> None:
    mine, ref = rngs()
    assert exponential(0.5).draw(mine) == float(ref.exponential(0.5))


def test_a_zero_mean_exponential_is_zero_and_draws_nothing() -> None:
    mine, ref = rngs()
    assert exponential(0.0).draw(mine) == 0.0
    # the stream did not move: the next draw is the reference's first
    assert mine.random() == ref.random()


def test_deterministic_is_its_value_and_draws_nothing() -> None:
    mine, ref = rngs()
    d = deterministic(7.5)
    assert (d.kind, d.mean, d.cv, d.low, d.high) == ("deterministic", 7.5, None, None, None)
    assert d.check() == []
    assert d.draw(mine) == 7.5
    assert d.expected == 7.5
    assert mine.random() == ref.random()


def test_uniform_is_numpys_on_low_high() -> None:
    mine, ref = rngs()
    d = uniform(10.0, 30.0)
    assert d == Dist(kind="uniform", low=10.0, high=30.0)
    assert d.draw(mine) == float(ref.uniform(10.0, 30.0))
    assert d.expected == 20.0  # (10 + 30) / 2


def test_lognormal_from_mean_and_cv() -> None:
    mine, ref = rngs()
    # mean 45, cv 0.6: sigma^2 = ln(1 + 0.36) = ln 1.36, mu = ln 45 - sigma^2 / 2
    sigma2 = math.log(1.36)
    mu, sigma = math.log(45.0) - sigma2 / 2.0, math.sqrt(sigma2)
    d = lognormal(45.0, 0.6)
    assert d == Dist(kind="lognormal", mean=45.0, cv=0.6)
    assert d.draw(mine) == pytest.approx(float(ref.lognormal(mu, sigma)), rel=1e-12)


def test_a_lognormal_of_mean_one_is_drawn_too() -> None:
    mine, ref = rngs()
    # mean 1, cv 0.5: sigma^2 = ln 1.25, mu = 0 - ln(1.25) / 2
    sigma2 = math.log(1.25)
    expected = float(ref.lognormal(-sigma2 / 2.0, math.sqrt(sigma2)))
    assert lognormal(1.0, 0.5).draw(mine) == pytest.approx(expected, rel=1e-12)
    assert expected != 1.0


def test_gamma_from_mean_and_cv() -> None:
    mine, ref = rngs()
    # mean 12, cv 0.5: shape 1 / 0.25 = 4, scale 12 / 4 = 3
    d = gamma(12.0, 0.5)
    assert d == Dist(kind="gamma", mean=12.0, cv=0.5)
    assert d.draw(mine) == pytest.approx(float(ref.gamma(4.0, 3.0)), rel=1e-12)


def test_an_incomplete_distribution_cannot_be_drawn() -> None:
    # check() reports these; draw() refuses them rather than invent a parameter
    rng = np.random.default_rng(SEED)
    with pytest.raises(AssertionError):
        Dist(kind="uniform", high=5.0).draw(rng)
    with pytest.raises(AssertionError):
        Dist(kind="lognormal", mean=5.0).draw(rng)
