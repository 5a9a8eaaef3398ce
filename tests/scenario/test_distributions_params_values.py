"""Dist's numpy parameters (``_a``, ``_b``, ``_fixed``) after construction, by closed formula.

lognormal: sigma^2 = ln(1 + cv^2), _a = mu = ln(mean) - sigma^2 / 2, _b = sigma.
gamma: _a = shape = 1 / cv^2, _b = scale = mean * cv^2 (= mean / shape).
``_fixed``: the draw is the mean itself, because cv^2 underflows to 0 or the gamma's
shape overflows / scale underflows. test_bad_inputs.py pins lognormal(45, 0.6) and
gamma(45, 0.5); these are the edges.
"""

from __future__ import annotations

import numpy as np
import pytest

from orgsim.scenario.distributions import Dist, gamma, lognormal

SEED = 7


def params(d: Dist) -> tuple[float, float, bool]:
    return (d._a, d._b, d._fixed)


def test_a_gamma_with_a_scale_below_one_is_drawn() -> None:
    # mean 2, cv 0.5: shape 1 / 0.25 = 4, scale 2 / 4 = 0.5 (all exact in binary)
    d = gamma(2.0, 0.5)
    assert params(d) == (4.0, 0.5, False)
    mine, ref = np.random.default_rng(SEED), np.random.default_rng(SEED)
    assert d.draw(mine) == float(ref.gamma(4.0, 0.5))


def test_a_gamma_whose_scale_underflows_is_fixed_at_its_mean() -> None:
    # mean 5e-324 (the smallest subnormal), cv 0.5: shape 4, scale 5e-324 / 4 rounds to 0.0;
    # numpy's gamma with scale 0 would give 0, not the mean, so the mean itself is drawn.
    d = gamma(5e-324, 0.5)
    assert params(d) == (4.0, 0.0, True)
    mine, ref = np.random.default_rng(SEED), np.random.default_rng(SEED)
    assert d.draw(mine) == 5e-324
    assert mine.random() == ref.random()  # a fixed draw takes nothing from the stream


def test_a_gamma_of_mean_1e_320_and_a_small_cv_is_fixed() -> None:
    # cv 0.01: shape 1 / 1e-4 ~ 1e4, scale 1e-320 / 1e4 = 1e-324 < half the smallest
    # subnormal (2.5e-324), so it rounds to 0.0
    d = gamma(1e-320, 0.01)
    assert d._b == 0.0
    assert d._fixed is True
    assert d.draw(np.random.default_rng(SEED)) == 1e-320


def test_a_gamma_whose_shape_overflows_is_fixed_at_its_mean() -> None:
    # cv 1e-160: cv^2 = 1e-320 (subnormal, not 0), shape 1 / 1e-320 = inf
    d = gamma(3.0, 1e-160)
    assert d._a == float("inf")
    assert d._fixed is True
    assert d.draw(np.random.default_rng(SEED)) == 3.0


def test_a_cv_whose_square_underflows_fixes_both_kinds_and_sets_no_parameters() -> None:
    # cv 1e-200: cv^2 = 1e-400 underflows to 0.0
    assert params(lognormal(5.0, 1e-200)) == (0.0, 0.0, True)
    assert params(gamma(5.0, 1e-200)) == (0.0, 0.0, True)


def test_an_invalid_dist_builds_quietly_with_zero_parameters() -> None:
    # mean <= 0 or cv <= 0 has no numpy parameters (ln of a negative mean); the
    # validation walk builds these before it reports them, so they must build.
    for d in (
        lognormal(-5.0, 0.5),
        gamma(-5.0, 0.5),
        gamma(5.0, -2.0),
        Dist(kind="lognormal", mean=5.0),
    ):
        assert params(d) == (0.0, 0.0, False)
        assert d._fixed is False


def test_a_draw_asked_of_an_invalid_dist_uses_the_zero_parameters() -> None:
    # The walk refuses these before any run; drawn anyway, they give numpy's value for
    # (0, 0): lognormal exp(0 + 0 * z) = 1.0 exactly, gamma of shape 0 = 0.0.
    rng = np.random.default_rng(SEED)
    assert lognormal(-5.0, 0.5).draw(rng) == 1.0
    assert gamma(-5.0, 0.5).draw(rng) == 0.0


@pytest.mark.parametrize(
    ("dist", "complete"),
    [
        (Dist(kind="gamma", mean=2.0, cv=0.5), True),
        (Dist(kind="uniform", low=1.0, high=3.0), True),
        (Dist(kind="uniform"), False),  # needs low and high
        (Dist(kind="uniform", low=3.0, high=1.0), False),  # high below low
        (Dist(kind="exponential", mean=1.0, cv=0.5), False),  # takes no cv
        (Dist(kind="weibull", mean=1.0), False),  # no such kind
    ],
)
def test_a_dist_is_complete_when_its_kind_is_known_and_its_parameters_fit(
    dist: Dist, complete: bool
) -> None:
    assert dist.complete is complete
