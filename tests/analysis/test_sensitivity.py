"""Sensitivity analysis: seeded SALib designs and indices, on known functions and sweeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orgsim import api
from orgsim.analysis import sensitivity
from orgsim.experiments.sweep.design import Point, design_matrix, design_points, design_size
from orgsim.experiments.sweep.run import sweep
from orgsim.experiments.sweep.spec import SweepSpec, parse_sweep
from orgsim.reporting.documents import sweep_json

pytest.importorskip("SALib")

PROBLEM = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}


def analyse(
    spec: SweepSpec, points: list[Point], outputs: dict[str, np.ndarray]
) -> sensitivity.Sensitivity:
    """The indices of a sweep's outputs, as the sweep asks for them."""
    return sensitivity.analyse(
        spec.problem(),
        design_matrix(points),
        outputs,
        method=sensitivity.method_for(spec.design),
        seed=spec.seed,
        num_levels=spec.morris_levels,
    )


def test_sobol_sample_is_seeded() -> None:
    x = sensitivity.sobol_sample(PROBLEM, 16, seed=3)
    assert x.shape == (16 * (2 + 2), 2)
    assert np.array_equal(x, sensitivity.sobol_sample(PROBLEM, 16, seed=3))
    assert not np.array_equal(x, sensitivity.sobol_sample(PROBLEM, 16, seed=4))
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_morris_sample_is_seeded() -> None:
    x = sensitivity.morris_sample(PROBLEM, 6, num_levels=4, seed=3)
    assert x.shape == (6 * (2 + 1), 2)
    assert np.array_equal(x, sensitivity.morris_sample(PROBLEM, 6, num_levels=4, seed=3))
    assert set(np.round(x.ravel(), 9)) <= {0.0, round(1 / 3, 9), round(2 / 3, 9), 1.0}


def test_sobol_indices_of_a_linear_function() -> None:
    # y = a + 2b with a, b ~ U(0, 1): variances 1/12 and 4/12, so S1 = ST = 0.2, 0.8.
    x = sensitivity.sobol_sample(PROBLEM, 1024, seed=1)
    y = x[:, 0] + 2 * x[:, 1]
    ind = sensitivity.sobol_indices(PROBLEM, y, seed=7, output="y")
    assert ind.values["S1"] == pytest.approx([0.2, 0.8], abs=0.03)
    assert ind.values["ST"] == pytest.approx([0.2, 0.8], abs=0.03)
    assert np.all(ind.values["S1_conf"] > 0) and np.all(ind.values["S1_conf"] < 0.1)
    again = sensitivity.sobol_indices(PROBLEM, y, seed=7, output="y")
    for key in sensitivity.SOBOL_KEYS:
        assert np.array_equal(ind.values[key], again.values[key]), key
    assert ind.to_dict()["b"]["S1"] == pytest.approx(float(ind.values["S1"][1]))


def test_morris_indices_of_a_linear_function() -> None:
    x = sensitivity.morris_sample(PROBLEM, 10, num_levels=4, seed=2)
    y = 3 * x[:, 0] - x[:, 1]
    ind = sensitivity.morris_indices(PROBLEM, x, y, num_levels=4, seed=5)
    assert ind.values["mu"] == pytest.approx([3.0, -1.0])
    assert ind.values["mu_star"] == pytest.approx([3.0, 1.0])
    assert ind.values["sigma"] == pytest.approx([0.0, 0.0], abs=1e-9)


def _sobol_sweep(design: str, points: int) -> dict[str, Any]:
    return {
        "name": f"tiny-{design}",
        "base": "startup",
        "design": design,
        "points": points,
        "replications": 2,
        "seed": 4,
        "metrics": ["value_shipped"],
        "overrides": {"horizon": 150.0},
        "parameters": [
            {"path": "conflicts.intensity", "low": 0.5, "high": 3.0},
            {"path": "broker.mediators", "type": "int", "low": 1, "high": 2},
        ],
    }


@pytest.mark.parametrize(("design", "points"), [("sobol", 4), ("morris", 4)])
def test_a_sampled_sweep_has_reproducible_indices(tmp_path: Path, design: str, points: int) -> None:
    spec = parse_sweep(_sobol_sweep(design, points))
    n = points * (2 + 2) if design == "sobol" else points * (2 + 1)
    assert len(design_points(spec)) == n == design_size(spec)
    first = api.sweep(spec, executor="serial", out=tmp_path / "a")
    second = sweep(spec, executor="serial", out=tmp_path / "b")
    sens, again = first.sensitivity, second.sensitivity
    assert sens is not None and again is not None and sens.method == design
    assert set(sens.indices) | set(sens.skipped) == {
        "value_shipped.effect",
        "value_shipped.on",
        "value_shipped.off",
    }
    assert "value_shipped.on" in sens.indices
    for output, ind in sens.indices.items():
        for key, values in ind.values.items():
            assert np.array_equal(values, again.indices[output].values[key], equal_nan=True)
    # the outputs are the per-point means of the table
    on = [row["value_shipped.on"] for row in first.table]
    assert len(on) == n
    chart = next(c for c in first.charts if c.name == design)
    assert chart.png.exists()
    shown = chart.data["outputs"]
    assert shown == [o for o in ["value_shipped.effect"] if o in sens.indices]
    for output in shown:
        key = "S1" if design == "sobol" else "mu_star"
        assert np.array_equal(
            chart.data["panels"][output][key], sens.indices[output].values[key], equal_nan=True
        )
    assert sweep_json(first)["sensitivity"]["method"] == design


def test_sensitivity_skips_outputs_with_missing_points() -> None:
    spec = parse_sweep(_sobol_sweep("sobol", 4))
    points = design_points(spec)
    y = np.arange(len(points), dtype=float)
    y_missing = y.copy()
    y_missing[3] = np.nan
    sens = analyse(spec, points, {"good": y, "missing": y_missing, "flat": np.ones(len(points))})
    assert list(sens.indices) == ["good"]
    assert sens.skipped == {
        "missing": "1 point(s) without a value (failed runs?)",
        "flat": "the output does not vary over the design",
    }


# ------------------------------------------------------------------ delta (grid, LHS)


def _grid_x(n1: int, n2: int) -> np.ndarray:
    return np.array([(a, b) for a in np.linspace(0, 1, n1) for b in np.linspace(0, 1, n2)])


def test_delta_indices_are_seeded() -> None:
    x = _grid_x(5, 4)
    y = x[:, 0] ** 2 + 0.5 * x[:, 1]
    ind = sensitivity.delta_indices(PROBLEM, x, y, seed=3, num_resamples=40)
    assert ind.method == "delta" and set(ind.values) == set(sensitivity.DELTA_KEYS)
    again = sensitivity.delta_indices(PROBLEM, x, y, seed=3, num_resamples=40)
    for key in sensitivity.DELTA_KEYS:
        assert np.all(np.isfinite(ind.values[key])), key
        assert np.array_equal(ind.values[key], again.values[key]), key
    # SALib draws from NumPy's global state: it is left as it was
    np.random.seed(11)
    expected = np.random.random()
    np.random.seed(11)
    sensitivity.delta_indices(PROBLEM, x, y, seed=3, num_resamples=10)
    assert np.random.random() == expected


def test_delta_ranks_a_dominant_parameter_first() -> None:
    # y = 5 x1 + 0.1 x2 over a 10 x 10 grid: x1 decides the output, x2 barely moves it.
    x = _grid_x(10, 10)
    y = 5 * x[:, 0] + 0.1 * x[:, 1]
    ind = sensitivity.delta_indices(PROBLEM, x, y, seed=1, num_resamples=50)
    delta, s1 = ind.values["delta"], ind.values["S1"]
    assert delta[0] > delta[1] + 0.1
    assert s1[0] > 0.8 > 0.2 > s1[1]
    assert ind.to_dict()["a"]["delta"] == pytest.approx(float(delta[0]))


def _grid_sweep(levels: tuple[list[float], list[float]]) -> dict[str, Any]:
    return {
        "name": "tiny-grid",
        "base": "startup",
        "design": "grid",
        "replications": 2,
        "seed": 4,
        "metrics": ["value_shipped"],
        "overrides": {"horizon": 150.0},
        "parameters": [
            {"path": "conflicts.intensity", "levels": levels[0]},
            {"path": "scale", "levels": levels[1]},
        ],
    }


def test_delta_skips_outputs_of_too_small_or_flat_designs() -> None:
    small = parse_sweep(_grid_sweep(([0.5, 2.0, 4.0], [0.5, 1.0])))
    points = design_points(small)
    sens = analyse(small, points, {"y": np.arange(len(points), dtype=float)})
    assert sens.method == "delta" and not sens.indices
    assert sens.skipped == {
        "y": "too few design points for the delta measure (6, needs 20 or more)"
    }
    spec = parse_sweep(_grid_sweep(([0.25, 0.5, 1.0, 2.0, 4.0], [0.5, 0.75, 1.0, 1.5])))
    points = design_points(spec)
    sens = analyse(spec, points, {"flat": np.ones(len(points))})
    assert sens.skipped == {"flat": "the output does not vary over the design"}


@pytest.mark.slow
def test_a_grid_sweep_writes_the_delta_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sensitivity, "DELTA_RESAMPLES", 30)
    spec = parse_sweep(_grid_sweep(([0.25, 0.5, 1.0, 2.0, 4.0], [0.5, 0.75, 1.0, 1.5])))
    result = api.sweep(spec, executor="serial", out=tmp_path / "g")
    sens = result.sensitivity
    assert sens is not None and sens.method == "delta" and sens.points == 20
    assert set(sens.indices) | set(sens.skipped) == {
        "value_shipped.effect",
        "value_shipped.on",
        "value_shipped.off",
    }
    assert "value_shipped.on" in sens.indices
    chart = next(c for c in result.charts if c.name == "sensitivity-delta")
    assert chart.png.exists() and chart.svg.exists()
    assert chart.data["points"] == 20
    assert chart.data["outputs"] == [o for o in ["value_shipped.effect"] if o in sens.indices]
    for output in chart.data["outputs"]:
        for key in sensitivity.DELTA_KEYS:
            assert np.array_equal(
                chart.data["panels"][output][key], sens.indices[output].values[key], equal_nan=True
            )
    summary = sweep_json(result)["sensitivity"]
    assert summary["method"] == "delta" and summary["points"] == 20
    on = sens.indices["value_shipped.on"]
    assert summary["outputs"]["value_shipped.on"]["scale"]["delta"] == pytest.approx(
        float(on.values["delta"][1])
    )


def test_the_analysis_takes_arrays_and_names_the_problems_parameters() -> None:
    x = sensitivity.morris_sample(PROBLEM, 10, num_levels=4, seed=2)
    outputs = {"y": 3 * x[:, 0] - x[:, 1], "flat": np.ones(len(x))}
    sens = sensitivity.analyse(PROBLEM, x, outputs, method="morris", seed=5, num_levels=4)
    assert sens.method == "morris" and sens.names == ("a", "b") and sens.points == len(x)
    assert sens.seed == 5 and list(sens.indices) == ["y"]
    assert sens.indices["y"].values["mu_star"] == pytest.approx([3.0, 1.0])
    assert sens.skipped == {"flat": "the output does not vary over the design"}
