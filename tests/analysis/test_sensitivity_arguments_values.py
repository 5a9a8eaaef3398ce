"""What the SALib wrappers pass on: seeds, levels, resamples, names, precision, output.

Each test pins one argument of ``delta_indices`` or ``analyse`` by its value: the CI
half-widths of a bootstrap scale exactly with the normal quantile of the level (the same
seed draws the same resamples); a seed of 0, which SALib itself ignores (``if seed:``), is
still the seed of NumPy's global state; a Morris design on 4 levels has a step of
Delta = 4 / (2 * 3) = 2/3, so a linear y = 2 a + b has mu* = (2, 1) exactly; ``analyse``
gives each output the indices of a direct call with the same arguments.
SALib's delta is slow (a few kernel density fits per bin and resample), so its tests use
2 resamples on a 5 x 4 grid; the default of 200 resamples is checked with a spy.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from scipy.stats import norm

from orgsim.analysis import sensitivity

pytest.importorskip("SALib")

UNIT = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
#: the 50 % half-width over the 95 % one: 0.674490 / 1.959964 = 0.344134
CONF_RATIO = float(norm.ppf(0.75) / norm.ppf(0.975))


def _grid(n1: int, n2: int) -> np.ndarray:
    return np.array([(a, b) for a in np.linspace(0, 1, n1) for b in np.linspace(0, 1, n2)])


def _same(found: sensitivity.Indices, expected: sensitivity.Indices) -> None:
    assert set(found.values) == set(expected.values)
    for key, value in expected.values.items():
        assert found.values[key].dtype == np.float64, key
        assert np.array_equal(found.values[key], value, equal_nan=True), key


# ------------------------------------------------------------------ delta_indices


def test_delta_puts_the_formatter_it_found_back() -> None:
    # SALib >= 1.5 sets warnings.formatwarning to its own; whatever the caller had (here a
    # function of ours, so the check does not depend on what earlier tests left) comes back
    def mine(*args: Any, **kwargs: Any) -> str:
        return "mine\n"

    previous = warnings.formatwarning
    warnings.formatwarning = mine
    try:
        x = _grid(5, 4)
        sensitivity.delta_indices(UNIT, x, x[:, 0] + 0.5 * x[:, 1], seed=3, num_resamples=2)
        assert warnings.formatwarning is mine
    finally:
        warnings.formatwarning = previous


def test_delta_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # SALib's print_to_console would print a table of the indices to stdout
    x = _grid(5, 4)
    sensitivity.delta_indices(UNIT, x, x[:, 0] + 0.5 * x[:, 1], seed=3, num_resamples=2)
    assert capsys.readouterr().out == ""


def test_delta_with_seed_0_is_seeded_too() -> None:
    # SALib skips its own seeding for seed 0 (``if seed:``); the wrapper's np.random.seed(0)
    # is then what makes the bootstrap reproducible: the same numbers as SALib run on a
    # global state seeded with 0, whatever state the caller left
    from SALib.analyze import delta

    x = _grid(5, 4)
    y = x[:, 0] ** 2 + 0.5 * x[:, 1]
    np.random.seed(0)
    with warnings.catch_warnings(record=True), np.errstate(all="ignore"):
        fmt = warnings.formatwarning
        direct = delta.analyze(dict(UNIT), x, y, num_resamples=2, seed=0)
        warnings.formatwarning = fmt
    for state in (5, 6):
        np.random.seed(state)
        ind = sensitivity.delta_indices(UNIT, x, y, seed=0, num_resamples=2)
        assert np.array_equal(ind.values["delta"], direct["delta_raw"]), state
        assert np.array_equal(ind.values["delta_conf"], direct["delta_raw_conf"]), state
        assert np.array_equal(ind.values["S1"], direct["S1"]), state
        assert np.array_equal(ind.values["S1_conf"], direct["S1_conf"]), state


def test_delta_conf_is_at_the_level_asked_for() -> None:
    # same seed, same resamples: the 50 % half-widths are the 95 % ones times
    # z(0.75) / z(0.975); the point estimates do not change; the level is recorded
    x = _grid(5, 4)
    y = x[:, 0] ** 2 + 0.5 * x[:, 1]
    wide = sensitivity.delta_indices(UNIT, x, y, seed=3, num_resamples=2)
    half = sensitivity.delta_indices(UNIT, x, y, seed=3, num_resamples=2, conf_level=0.5)
    assert (wide.conf_level, half.conf_level) == (0.95, 0.5)
    assert np.all(wide.values["delta_conf"] > 0) and np.all(wide.values["S1_conf"] > 0)
    for key in ("delta_conf", "S1_conf"):
        assert half.values[key] == pytest.approx(CONF_RATIO * wide.values[key], rel=1e-12), key
    for key in ("delta", "S1"):
        assert np.array_equal(half.values[key], wide.values[key]), key


def test_delta_computes_outputs_in_double_precision() -> None:
    # float32 outputs give the indices of the same numbers in float64 (SALib would
    # otherwise take means and variances in float32: S1 moves in the 7th digit)
    x = _grid(5, 4)
    y32 = (x[:, 0] ** 2 + 0.5 * x[:, 1]).astype(np.float32)
    low = sensitivity.delta_indices(UNIT, x, y32, seed=3, num_resamples=2)
    high = sensitivity.delta_indices(UNIT, x, y32.astype(np.float64), seed=3, num_resamples=2)
    _same(low, high)


def test_delta_bins_the_design_in_double_precision() -> None:
    # a = 0, 0.1, ..., 1 stored as float32, b = 0 or 1 (22 points): SALib's bin edges are
    # a linspace of the column's dtype, so in float32 the points 0.3, 0.6, 0.7 ... fall on
    # edges (and into other bins) that in float64 they miss; the wrapper analyses the
    # float64 values of the same numbers
    x32 = np.array([(a, b) for a in np.linspace(0, 1, 11) for b in (0.0, 1.0)], dtype=np.float32)
    x64 = x32.astype(np.float64)
    y = x64[:, 0] ** 2 + 0.5 * x64[:, 1]
    low = sensitivity.delta_indices(UNIT, x32, y, seed=3, num_resamples=2)
    high = sensitivity.delta_indices(UNIT, x64, y, seed=3, num_resamples=2)
    assert np.all(np.isfinite(high.values["delta"]))
    _same(low, high)


# ------------------------------------------------------------------ analyse


def test_analyse_delta_gives_each_output_the_direct_analysis() -> None:
    x = _grid(5, 4)  # 20 points: DELTA_MIN_POINTS
    y = x[:, 0] ** 2 + 0.5 * x[:, 1]
    sens = sensitivity.analyse(
        UNIT, x, {"net.effect": y}, method="delta", seed=3, delta_resamples=2
    )
    assert (sens.method, sens.names, sens.seed, sens.points) == ("delta", ("a", "b"), 3, 20)
    assert sens.skipped == {}
    assert list(sens.indices) == ["net.effect"]
    found = sens.indices["net.effect"]
    assert (found.output, found.method, found.names) == ("net.effect", "delta", ("a", "b"))
    direct = sensitivity.delta_indices(UNIT, x, y, seed=3, output="net.effect", num_resamples=2)
    _same(found, direct)
    assert np.all(np.isfinite(found.values["delta_conf"]))


def test_analyse_delta_defaults_to_200_resamples(monkeypatch: pytest.MonkeyPatch) -> None:
    # 200 real resamples take seconds: a spy records what the analysis is asked for
    calls: list[dict[str, Any]] = []

    def spy(problem: Any, x: Any, y: Any, **kwargs: Any) -> sensitivity.Indices:
        calls.append(kwargs)
        values = {k: np.array([0.5, 0.25]) for k in sensitivity.DELTA_KEYS}
        return sensitivity.Indices(kwargs["output"], "delta", ("a", "b"), values)

    monkeypatch.setattr(sensitivity, "delta_indices", spy)
    x = _grid(5, 4)
    sens = sensitivity.analyse(UNIT, x, {"y": x[:, 0]}, method="delta", seed=3)
    assert sensitivity.DELTA_RESAMPLES == 200
    assert calls == [{"seed": 3, "output": "y", "num_resamples": 200}]
    assert sens.indices["y"].output == "y"
    calls.clear()
    sensitivity.analyse(UNIT, x, {"y": x[:, 0]}, method="delta", seed=3, delta_resamples=7)
    assert calls == [{"seed": 3, "output": "y", "num_resamples": 7}]


def test_analyse_sobol_names_each_output() -> None:
    x = sensitivity.sobol_sample(UNIT, 8, seed=1)
    sens = sensitivity.analyse(
        UNIT, x, {"first": x[:, 0], "second": x[:, 1]}, method="sobol", seed=7
    )
    assert list(sens.indices) == ["first", "second"]
    for name, column in (("first", 0), ("second", 1)):
        found = sens.indices[name]
        assert (found.output, found.method) == (name, "sobol")
        _same(found, sensitivity.sobol_indices(UNIT, x[:, column], seed=7, output=name))


def test_analyse_morris_defaults_to_four_levels() -> None:
    # y = 2 a + b on a 4-level design: each step is Delta = 2/3, each effect 2 (a) or 1
    # (b); analysed on 5 levels (Delta 5/8) they would be 16/15 of that
    x = sensitivity.morris_sample(UNIT, 4, seed=2)
    sens = sensitivity.analyse(UNIT, x, {"net": 2 * x[:, 0] + x[:, 1]}, method="morris", seed=5)
    found = sens.indices["net"]
    assert (found.output, found.method, sens.points) == ("net", "morris", 12)
    assert found.values["mu_star"] == pytest.approx([2.0, 1.0], rel=1e-12)
    assert found.values["mu"] == pytest.approx([2.0, 1.0], rel=1e-12)
    assert found.values["sigma"] == pytest.approx([0.0, 0.0], abs=1e-12)


def test_analyse_counts_a_missing_value_given_as_none() -> None:
    # a point whose runs failed may come as None in a plain list: it is a missing value
    x = sensitivity.sobol_sample(UNIT, 2, seed=1)  # 8 rows
    values = [0.5, None, 0.25, 1.0, None, 0.75, 0.5, 0.125]
    sens = sensitivity.analyse(UNIT, x, {"y": values}, method="sobol", seed=7)
    assert sens.indices == {}
    assert sens.skipped == {"y": "2 point(s) without a value (failed runs?)"}
