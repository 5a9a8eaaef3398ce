"""Values of the SALib wrappers: indices of functions whose answer is known in closed form.

Sobol: for y = x1 the Saltelli estimators of x2 vanish exactly (swapping x2 into the
matrix A leaves every output unchanged), and those of x1 are 1 up to the quasi-Monte
Carlo error of a scrambled Sobol' design. Morris: an elementary effect is the output's
change over a step of Delta = p / (2 (p - 1)) of the unit range, divided by Delta, so a
linear y = c * x1 on [lo, hi] has every effect, mu and mu* equal to c * (hi - lo) and
sigma 0. Bootstrap half-widths are Z * sd of resampled estimates, so with the same seed
(the same resamples) they scale exactly with the normal quantile of the level.
Seeds are fixed; sample sizes are small so each test runs in well under a second
(SALib's delta is slower: a few kernel density fits per bin and resample).
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from typing import Any

import numpy as np
import pytest
from scipy.stats import norm

from orgsim.analysis import sensitivity

pytest.importorskip("SALib")

UNIT = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
WIDE = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 3.0], [0.0, 3.0]]}
REL = 1e-12
#: the 50 % half-width over the 95 % one: 0.674490 / 1.959964 = 0.344134
CONF_RATIO = float(norm.ppf(0.75) / norm.ppf(0.975))


def _grid(n1: int, n2: int) -> np.ndarray:
    return np.array([(a, b) for a in np.linspace(0, 1, n1) for b in np.linspace(0, 1, n2)])


# ------------------------------------------------------------------ available()


def test_available_asks_for_salib_by_its_import_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sensitivity.available() is True  # importorskip above: SALib is installed
    asked: list[Any] = []

    def missing(name: str, *args: Any) -> None:
        asked.append(name)
        return None

    monkeypatch.setattr(importlib.util, "find_spec", missing)
    assert sensitivity.available() is False
    assert asked == ["SALib"]


def test_method_for_each_design() -> None:
    assert sensitivity.method_for("sobol") == "sobol"
    assert sensitivity.method_for("morris") == "morris"
    assert sensitivity.method_for("grid") == "delta"
    assert sensitivity.method_for("lhs") == "delta"


# ------------------------------------------------------------------ samples


def test_morris_sample_default_is_a_four_level_grid() -> None:
    x = sensitivity.morris_sample(UNIT, 4, seed=3)
    assert x.shape == (4 * 3, 2)
    assert set(np.round(x.ravel(), 9)) <= {0.0, round(1 / 3, 9), round(2 / 3, 9), 1.0}
    assert np.array_equal(x, sensitivity.morris_sample(UNIT, 4, num_levels=4, seed=3))


def test_morris_sample_uses_the_levels_asked_for() -> None:
    # 6 levels on [0, 1]: multiples of 1/5, and each step is Delta = 6 / 10 = 0.6
    x = sensitivity.morris_sample(UNIT, 6, num_levels=6, seed=2)
    levels = set(np.round(x.ravel(), 9))
    assert levels <= {0.0, 0.2, 0.4, 0.6, 0.8, 1.0}
    assert levels - {0.0, 1.0, round(1 / 3, 9), round(2 / 3, 9)}  # not the 4-level grid
    steps = np.abs(np.diff(x.reshape(6, 3, 2), axis=1)).max(axis=2)
    assert steps == pytest.approx(np.full((6, 2), 0.6), rel=REL)


# ------------------------------------------------------------------ Sobol


def test_sobol_indices_of_y_equal_x1() -> None:
    # y = x1: S1 = ST = 1 for x1, 0 for x2. x2's estimators are exactly 0 (the outputs of
    # A with B's x2 are A's outputs). x1's differ from 1 by the QMC error of N = 256
    # scrambled Sobol' points, 1e-4 here; 0.01 leaves room and is still far from any
    # other answer.
    x = sensitivity.sobol_sample(UNIT, 256, seed=1)
    ind = sensitivity.sobol_indices(UNIT, x[:, 0], seed=7, num_resamples=100)
    assert ind.output == "y" and ind.method == "sobol" and ind.names == ("a", "b")
    assert ind.conf_level == 0.95
    assert ind.values["S1"] == pytest.approx([1.0, 0.0], abs=0.01)
    assert ind.values["ST"] == pytest.approx([1.0, 0.0], abs=0.01)
    assert ind.values["S1"][1] == 0.0 and ind.values["ST"][1] == 0.0
    assert ind.values["S1_conf"][1] == 0.0 and ind.values["ST_conf"][1] == 0.0
    # the bootstrap half-width covers the error it is meant to describe
    assert 0 < ind.values["S1_conf"][0] < 0.5


def test_sobol_conf_scales_with_the_level() -> None:
    x = sensitivity.sobol_sample(UNIT, 64, seed=1)
    y = x[:, 0] + 2 * x[:, 1]
    i95 = sensitivity.sobol_indices(UNIT, y, seed=7, num_resamples=50)
    i50 = sensitivity.sobol_indices(UNIT, y, seed=7, num_resamples=50, conf_level=0.5)
    assert i50.conf_level == 0.5
    for key in ("S1_conf", "ST_conf"):
        assert i50.values[key] == pytest.approx(CONF_RATIO * i95.values[key], rel=REL), key
    assert np.array_equal(i50.values["S1"], i95.values["S1"])


def test_sobol_resamples_default_to_1000_and_are_passed_on() -> None:
    from SALib.analyze import sobol

    x = sensitivity.sobol_sample(UNIT, 32, seed=1)
    y = x[:, 0] + 2 * x[:, 1]

    def salib(resamples: int) -> dict[str, Any]:
        return sobol.analyze(
            dict(UNIT), y, calc_second_order=False, num_resamples=resamples, seed=7
        )

    default = sensitivity.sobol_indices(UNIT, y, seed=7)
    fifty = sensitivity.sobol_indices(UNIT, y, seed=7, num_resamples=50)
    for key in sensitivity.SOBOL_KEYS:
        assert np.array_equal(default.values[key], salib(1000)[key]), key
        assert np.array_equal(fifty.values[key], salib(50)[key]), key
    assert not np.array_equal(default.values["S1_conf"], fifty.values["S1_conf"])


def test_sobol_computes_in_double_precision() -> None:
    # float32 outputs give the same indices as the same numbers in float64
    x = sensitivity.sobol_sample(UNIT, 16, seed=1)
    y32 = (x[:, 0] + 2 * x[:, 1]).astype(np.float32)
    low = sensitivity.sobol_indices(UNIT, y32, seed=7, num_resamples=20)
    high = sensitivity.sobol_indices(UNIT, y32.astype(np.float64), seed=7, num_resamples=20)
    for key in sensitivity.SOBOL_KEYS:
        assert low.values[key].dtype == np.float64
        assert np.array_equal(low.values[key], high.values[key]), key


def test_sobol_of_a_constant_output_ignores_the_callers_error_mode() -> None:
    # a constant output: no parameter explains any variance, all indices 0, even when the
    # caller made NumPy raise on 0 / 0 (the normalisation by sd = 0)
    x = sensitivity.sobol_sample(UNIT, 8, seed=1)
    with np.errstate(all="raise"):
        ind = sensitivity.sobol_indices(UNIT, np.ones(len(x)), seed=7, num_resamples=10)
    for key in sensitivity.SOBOL_KEYS:
        assert np.array_equal(ind.values[key], [0.0, 0.0]), key


def test_sobol_silences_numpy_runtime_warnings_only() -> None:
    x = sensitivity.sobol_sample(UNIT, 16, seed=1)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        # one resample: its sd (ddof=1) is undefined, NaN half-widths, a RuntimeWarning
        one = sensitivity.sobol_indices(UNIT, x[:, 0], seed=7, num_resamples=1)
    assert seen == []
    assert np.isnan(one.values["S1_conf"]).all() and np.isnan(one.values["ST_conf"]).all()
    # Outputs constant on the A and B rows (only the mixed rows vary): SALib's own
    # warning about constant values reaches the caller, and the indices are 0.
    n, d = 8, 2
    y = np.zeros(n * (d + 2))
    for k in range(n):
        y[k * (d + 2) + 1 : k * (d + 2) + 1 + d] = np.arange(1.0, d + 1.0) + k
    with pytest.warns(UserWarning, match="Constant values encountered"):
        flat = sensitivity.sobol_indices(UNIT, y, seed=7, num_resamples=10)
    assert np.array_equal(flat.values["S1"], [0.0, 0.0])


# ------------------------------------------------------------------ Morris


def test_morris_of_a_linear_function_on_a_wide_integer_range() -> None:
    # y = 3 x1 with x1, x2 integers on [0, 3], 4 levels (0, 1, 2, 3): a step is
    # Delta = 2/3 of the range, 2 units, so dy = 6 and the effect 6 / (2/3) = 9 = 3 * 3.
    x = np.rint(sensitivity.morris_sample(WIDE, 6, num_levels=4, seed=2)).astype(int)
    y = 3 * x[:, 0]
    ind = sensitivity.morris_indices(WIDE, x, y, num_levels=4, seed=5, num_resamples=20)
    assert ind.output == "y" and ind.method == "morris" and ind.names == ("a", "b")
    assert ind.conf_level == 0.95
    assert ind.values["mu"] == pytest.approx([9.0, 0.0], rel=REL)
    assert ind.values["mu_star"] == pytest.approx([9.0, 0.0], rel=REL)
    assert ind.values["sigma"] == pytest.approx([0.0, 0.0], abs=1e-12)
    assert ind.values["mu_star_conf"] == pytest.approx([0.0, 0.0], abs=1e-12)


def test_morris_divides_by_the_step_of_its_levels() -> None:
    # 6 levels: Delta = 0.6, dy = 3 * 0.6, effect 3 (on a 4-level Delta of 2/3: 2.7)
    x = sensitivity.morris_sample(UNIT, 6, num_levels=6, seed=2)
    ind = sensitivity.morris_indices(UNIT, x, 3 * x[:, 0], num_levels=6, seed=5, num_resamples=20)
    assert ind.values["mu_star"] == pytest.approx([3.0, 0.0], rel=1e-12, abs=1e-12)


def test_morris_conf_scales_with_the_level() -> None:
    x = sensitivity.morris_sample(UNIT, 6, num_levels=4, seed=2)
    y = 3 * x[:, 0] + x[:, 0] * x[:, 1]  # interaction: effects vary, mu* CI > 0
    i95 = sensitivity.morris_indices(UNIT, x, y, num_levels=4, seed=5, num_resamples=50)
    i50 = sensitivity.morris_indices(
        UNIT, x, y, num_levels=4, seed=5, num_resamples=50, conf_level=0.5
    )
    assert i50.conf_level == 0.5
    assert np.all(i95.values["mu_star_conf"] > 0)
    assert i50.values["mu_star_conf"] == pytest.approx(
        CONF_RATIO * i95.values["mu_star_conf"], rel=REL
    )


def test_morris_resamples_default_to_1000_and_are_passed_on() -> None:
    from SALib.analyze import morris

    x = sensitivity.morris_sample(UNIT, 6, num_levels=4, seed=2)
    y = 3 * x[:, 0] + x[:, 0] * x[:, 1]

    def salib(resamples: int) -> np.ndarray:
        res = morris.analyze(dict(UNIT), x, y, num_resamples=resamples, num_levels=4, seed=5)
        return np.asarray(res["mu_star_conf"], dtype=float)

    default = sensitivity.morris_indices(UNIT, x, y, num_levels=4, seed=5)
    fifty = sensitivity.morris_indices(UNIT, x, y, num_levels=4, seed=5, num_resamples=50)
    assert np.array_equal(default.values["mu_star_conf"], salib(1000))
    assert np.array_equal(fifty.values["mu_star_conf"], salib(50))


def test_morris_without_a_value_is_nan() -> None:
    # one missing output makes the effects of its trajectory unknown: NaN, not a fill value
    x = sensitivity.morris_sample(UNIT, 4, num_levels=4, seed=2)
    y = 3 * x[:, 0]
    y[0] = np.nan
    ind = sensitivity.morris_indices(UNIT, x, y, num_levels=4, seed=5, num_resamples=10)
    for key in sensitivity.MORRIS_KEYS:
        assert np.isnan(ind.values[key]).all(), key
    assert ind.to_dict()["a"]["mu_star"] is None


def test_morris_of_one_trajectory_ignores_the_callers_error_mode() -> None:
    # one trajectory: mu = mu* = [3, 0] (y = 3 x1), sigma (sd with ddof=1 of one effect)
    # undefined; neither a raised FloatingPointError nor a warning reaches the caller
    x = sensitivity.morris_sample(UNIT, 1, num_levels=4, seed=2)
    with warnings.catch_warnings(record=True) as seen, np.errstate(all="raise"):
        warnings.simplefilter("always")
        ind = sensitivity.morris_indices(UNIT, x, 3 * x[:, 0], num_levels=4, seed=5)
    assert seen == []
    assert ind.values["mu"] == pytest.approx([3.0, 0.0], rel=REL, abs=1e-12)
    assert ind.values["mu_star"] == pytest.approx([3.0, 0.0], rel=REL, abs=1e-12)
    assert np.isnan(ind.values["sigma"]).all()


# ------------------------------------------------------------------ delta


def test_delta_keeps_salibs_warnings_and_formatter_to_itself() -> None:
    # the 5 x 4 grid makes SALib warn (bins merged, raw and balanced delta apart) and
    # replace warnings.formatwarning; the caller sees neither
    x = _grid(5, 4)
    fmt = warnings.formatwarning
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ind = sensitivity.delta_indices(
            UNIT, x, x[:, 0] ** 2 + 0.5 * x[:, 1], seed=3, num_resamples=2
        )
    assert seen == []
    assert warnings.formatwarning is fmt
    assert ind.output == "y" and ind.method == "delta" and ind.names == ("a", "b")
    assert ind.conf_level == 0.95


def test_delta_ignores_the_callers_error_mode() -> None:
    # an output of order 1e154 overflows its variance; the numbers are those computed with
    # NumPy's default error handling whatever the caller set
    x = _grid(5, 4)
    y = 1e154 * x[:, 0] + x[:, 1]
    with np.errstate(all="raise"):
        strict = sensitivity.delta_indices(UNIT, x, y, seed=3, num_resamples=2)
    relaxed = sensitivity.delta_indices(UNIT, x, y, seed=3, num_resamples=2)
    for key in sensitivity.DELTA_KEYS:
        assert np.array_equal(strict.values[key], relaxed.values[key], equal_nan=True), key


def test_delta_reads_the_key_of_salib_before_1_5(monkeypatch: pytest.MonkeyPatch) -> None:
    # SALib < 1.5 returns "delta"/"delta_conf" (1.5+ "delta_raw"/"delta_raw_conf")
    from SALib.analyze import delta

    def old_analyze(problem: dict[str, Any], x: np.ndarray, y: np.ndarray, **kw: Any) -> Any:
        return {
            "delta": np.array([0.5, 0.25]),
            "delta_conf": np.array([0.1, 0.05]),
            "S1": np.array([0.75, 0.125]),
            "S1_conf": np.array([0.2, 0.1]),
        }

    monkeypatch.setattr(delta, "analyze", old_analyze)
    ind = sensitivity.delta_indices(UNIT, _grid(5, 4), np.arange(20.0), seed=1)
    assert np.array_equal(ind.values["delta"], [0.5, 0.25])
    assert np.array_equal(ind.values["delta_conf"], [0.1, 0.05])
    assert np.array_equal(ind.values["S1"], [0.75, 0.125])


def test_delta_restores_numpys_global_random_state() -> None:
    np.random.seed(11)
    before = np.random.get_state()
    expected = np.random.random(3)
    np.random.set_state(before)
    x = _grid(5, 4)
    sensitivity.delta_indices(UNIT, x, x[:, 0] + 0.5 * x[:, 1], seed=3, num_resamples=2)
    assert np.array_equal(np.random.random(3), expected)


# ------------------------------------------------------------------ _delta_or_why


def test_delta_or_why_at_exactly_the_minimum_is_the_delta_analysis() -> None:
    x = _grid(5, 4)  # 20 points = DELTA_MIN_POINTS
    y = x[:, 0] ** 2 + 0.5 * x[:, 1]
    found = sensitivity._delta_or_why(UNIT, x, y, seed=3, output="o", resamples=2)
    assert isinstance(found, sensitivity.Indices)
    direct = sensitivity.delta_indices(UNIT, x, y, seed=3, output="o", num_resamples=2)
    assert found.output == "o" and found.method == "delta" and found.names == ("a", "b")
    for key in sensitivity.DELTA_KEYS:
        assert np.all(np.isfinite(found.values[key])), key
        assert np.array_equal(found.values[key], direct.values[key]), key


def test_delta_or_why_below_the_minimum() -> None:
    x = _grid(5, 4)[:19]
    assert sensitivity._delta_or_why(UNIT, x, x[:, 0], seed=3, output="o", resamples=2) == (
        "too few design points for the delta measure (19, needs 20 or more)"
    )


def test_delta_or_why_of_a_failed_analysis() -> None:
    # a constant output has a singular density: SALib raises, the reason is kept
    found = sensitivity._delta_or_why(
        UNIT, _grid(5, 4), np.ones(20), seed=3, output="o", resamples=2
    )
    assert found == (
        "SALib's delta failed: ERROR [a]: Singular matrix - likely due to degenerate input"
        " or small sample size (N=20)"
    )


@pytest.mark.parametrize("error", [ValueError, RuntimeError, ZeroDivisionError])
def test_delta_or_why_names_the_error(monkeypatch: pytest.MonkeyPatch, error: type) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise error("no density")

    monkeypatch.setattr(sensitivity, "delta_indices", fail)
    found = sensitivity._delta_or_why(
        UNIT, _grid(5, 4), np.arange(20.0), seed=3, output="o", resamples=2
    )
    assert found == "SALib's delta failed: no density"


def test_delta_or_why_of_an_analysis_that_estimated_nothing() -> None:
    # both parameters constant over the design: SALib gives up on each, all NaN
    x = np.column_stack([np.zeros(20), np.ones(20)])
    found = sensitivity._delta_or_why(UNIT, x, np.arange(20.0), seed=1, output="o", resamples=2)
    assert found == "SALib's delta estimated nothing (too few or degenerate points)"


@pytest.mark.parametrize(
    ("delta", "s1"),
    [([math.nan, math.nan], [0.5, math.nan]), ([math.nan, 0.25], [math.nan, math.nan])],
)
def test_delta_or_why_keeps_a_partial_estimate(
    monkeypatch: pytest.MonkeyPatch, delta: list[float], s1: list[float]
) -> None:
    # one of delta or S1 estimated for one parameter is something: the indices are kept
    def partial(
        problem: Any, x: Any, y: Any, *, seed: int, output: str, num_resamples: int
    ) -> sensitivity.Indices:
        nan2 = np.full(2, np.nan)
        values = {"delta": np.array(delta), "delta_conf": nan2, "S1": np.array(s1), "S1_conf": nan2}
        return sensitivity.Indices(output, "delta", ("a", "b"), values)

    monkeypatch.setattr(sensitivity, "delta_indices", partial)
    found = sensitivity._delta_or_why(
        UNIT, _grid(5, 4), np.arange(20.0), seed=3, output="o", resamples=2
    )
    assert isinstance(found, sensitivity.Indices)
    assert found.output == "o"
    assert np.array_equal(found.values["delta"], delta, equal_nan=True)
    assert np.array_equal(found.values["S1"], s1, equal_nan=True)
