"""Values of :mod:`orgsim.metrics.columns`' step-function helpers and ``share``, called directly.

A step function is ``(t, n)``: ``n[i]`` holds on ``[t[i], t[i+1])``, ``t[-1]`` is the
end and ``n[-1]`` repeats the last level. :func:`integral` is ``Σ n[i] (t[i+1] - t[i])``
over ``[0, end]``; :func:`level_at` is the level holding at each instant, a change at
that very instant included; :func:`share` is ``part / whole``, NaN for a zero whole.
"""

from __future__ import annotations

import math

import numpy as np

from orgsim.metrics.columns import integral, level_at, share, steps

#: 1 on [0, 2), 3 on [2, 5]: the end 5 repeats the last level.
STEPS = (np.array([0.0, 2.0, 5.0]), np.array([1, 3, 3], dtype=np.int64))


def test_the_integral_of_two_steps() -> None:
    # 1 * (2 - 0) + 3 * (5 - 2) = 11: the repeated last level adds no width
    assert integral(STEPS) == 11.0
    assert isinstance(integral(STEPS), float)


def test_the_integral_of_a_step_function_from_changes() -> None:
    # +1, +1 at 1 and -1 at 3, to 5: 0 on [0, 1), 2 on [1, 3), 1 on [3, 5]:
    # 0 * 1 + 2 * 2 + 1 * 2 = 6
    st = steps(np.array([1.0, 1.0, 3.0]), np.array([1, 1, -1]), 5.0)
    assert integral(st) == 6.0


def test_the_integral_of_a_constant_and_of_an_empty_window() -> None:
    # level 4 on [0, 3]: t (0, 3), n (4, 4): 4 * 3 = 12; a window ending at 0: nothing
    assert integral((np.array([0.0, 3.0]), np.array([4, 4]))) == 12.0
    assert integral((np.array([0.0]), np.array([0]))) == 0.0


def test_the_level_at_instants_counts_a_change_at_that_instant() -> None:
    # 1 before 2, 3 from 2 on (2 itself included), and at the end 5
    at = np.array([0.0, 1.9, 2.0, 4.9, 5.0])
    levels = level_at(STEPS, at)
    assert levels.tolist() == [1, 1, 3, 3, 3]


def test_the_level_just_before_a_change_is_the_old_level() -> None:
    at = np.array([np.nextafter(2.0, 0.0), np.nextafter(2.0, 3.0)])
    assert level_at(STEPS, at).tolist() == [1, 3]


def test_share_is_the_ratio() -> None:
    assert share(1.0, 4.0) == 0.25
    assert share(0.0, 4.0) == 0.0  # a zero part is a real 0, not NaN
    assert share(3.0, -2.0) == -1.5


def test_share_of_a_zero_whole_is_nan() -> None:
    assert math.isnan(share(1.0, 0.0))
    assert math.isnan(share(0.0, 0.0))
