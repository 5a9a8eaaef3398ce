"""Distributions: the mean and spread they promise, and their edge cases."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    ("dist", "mean", "sd"),
    [
        (exponential(20.0), 20.0, 20.0),
        (deterministic(7.5), 7.5, 0.0),
        (uniform(10.0, 30.0), 20.0, 20.0 / np.sqrt(12.0)),
        (lognormal(45.0, 0.6), 45.0, 27.0),
        (gamma(12.0, 0.5), 12.0, 6.0),
    ],
)
def test_draws_have_the_promised_mean_and_spread(dist: Dist, mean: float, sd: float) -> None:
    rng = np.random.default_rng(7)
    x = np.array([dist.draw(rng) for _ in range(20_000)])
    assert dist.expected == pytest.approx(mean)
    assert x.mean() == pytest.approx(mean, rel=0.03)
    assert x.std() == pytest.approx(sd, rel=0.05, abs=1e-12)
    assert (x >= 0).all()


def test_a_vanishing_cv_gives_the_mean_and_zero_mean_gives_zero() -> None:
    rng = np.random.default_rng(1)
    assert gamma(5.0, 1e-200).draw(rng) == 5.0
    assert lognormal(5.0, 1e-200).draw(rng) == 5.0
    assert gamma(0.0, 0.5).draw(rng) == 0.0
    assert exponential(0.0).draw(rng) == 0.0


def test_kind_specific_parameters_are_checked() -> None:
    assert Dist(kind="uniform", low=1.0).check() == [("high", "uniform distribution needs 'high'")]
    assert ("low", "lognormal distribution takes mean, cv, not 'low'") in Dist(
        kind="lognormal", mean=1.0, cv=0.5, low=0.0
    ).check()
    assert Dist(kind="uniform", low=3.0, high=1.0).check() == [
        ("high", "high (1.0) must be >= low (3.0)")
    ]
