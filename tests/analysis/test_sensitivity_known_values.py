"""Values of :mod:`orgsim.analysis.sensitivity` on cases whose answer is known.

- :func:`sobol_sample` without second order is Saltelli's layout: per base point ``i``
  of a scrambled Sobol' sequence in ``2 D`` dimensions (first ``D`` columns: A, last
  ``D``: B), the rows ``A_i``, ``AB_i^1`` .. ``AB_i^D`` (A with column ``j`` from B),
  ``B_i``, scaled to the bounds: ``N (D + 2)`` rows.
- :func:`delta_indices` of ``y = x1`` on a 10 x 10 grid: ``x1`` explains everything
  (S1 = 1, delta = 1) and ``x2`` nothing (0, 0). The estimators are biased on 100
  points; the tolerances below say by how much, and why.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import qmc

from orgsim.analysis.sensitivity import delta_indices, sobol_sample

PROBLEM = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 10.0], [-1.0, 1.0]]}


def scaled(u: np.ndarray) -> np.ndarray:
    lo = np.array([0.0, -1.0])
    hi = np.array([10.0, 1.0])
    return u * (hi - lo) + lo


@pytest.mark.parametrize("seed", [3, 11])
def test_the_saltelli_layout_of_two_base_points_in_two_dimensions(seed: int) -> None:
    # N = 2, D = 2: 2 * (2 + 2) = 8 rows (12 would be the second-order layout)
    x = sobol_sample(PROBLEM, 2, seed=seed)
    assert x.shape == (8, 2)
    base = qmc.Sobol(d=4, scramble=True, seed=seed).random(2)
    for i, (a1, a2, b1, b2) in enumerate(base):
        block = x[4 * i : 4 * i + 4]
        expected = scaled(np.array([[a1, a2], [b1, a2], [a1, b2], [b1, b2]]))  # A, AB1, AB2, B
        assert block == pytest.approx(expected, rel=1e-12, abs=1e-15)
    # each AB_j row differs from its A row in column j only
    for i in range(2):
        a, ab1, ab2, b = x[4 * i : 4 * i + 4]
        assert (ab1[1], ab2[0]) == (a[1], a[0])
        assert (ab1[0], ab2[1]) == (b[0], b[1])


#: A 10 x 10 grid on [0, 1]^2, rows ordered by x1 then x2.
GRID = np.array([(a, b) for a in np.linspace(0, 1, 10) for b in np.linspace(0, 1, 10)])
UNIT = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}


@pytest.mark.parametrize("column", [0, 1], ids=["y=x1", "y=x2"])
def test_delta_and_s1_of_an_output_that_is_one_input(column: int) -> None:
    """S1: SALib estimates it on a bootstrap resample of the 100 points split by rank
    into M = 4 equal classes of the parameter (M = ceil(100 ** (2 / (7 + tanh(2.8))))).
    For y = x with x uniform, the class means explain ``1 - 1 / M**2 = 0.9375`` of the
    variance, not 1: that is the estimator's bias. Around it, the resample moves S1 by
    about its S1_conf (0.02 here): within 0.03 of 0.9375. The null parameter's S1 is
    its (positive) bias, 3 / 99 = 0.03 on average for 4 classes of noise, more on a grid
    whose ties split by row order: below 0.1.

    delta: true value 1 for the determining parameter (the conditional density is a
    point mass), but the kernel density estimate on 100 points smears it: SALib gives
    0.5 to 0.65 over seeds; above 0.5. The null parameter's delta is its small bias,
    below 0.1, and never negative beyond the bias correction's noise.
    """
    y = GRID[:, column]
    ind = delta_indices(UNIT, GRID, y, seed=0)
    other = 1 - column
    s1, delta = ind.values["S1"], ind.values["delta"]
    assert s1[column] == pytest.approx(1.0 - 1.0 / 16.0, abs=0.03)
    assert 0.0 <= s1[other] < 0.1
    assert delta[column] > 0.5
    assert -0.05 < delta[other] < 0.1
    assert delta[column] - delta[other] > 0.4
    assert ind.names == ("x1", "x2")
