"""Sensitivity analysis: seeded SALib designs and indices, on known functions and sweeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orgsim import sensitivity
from orgsim.sweep import design_points, parse_sweep, sweep

pytest.importorskip("SALib")

PROBLEM = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}


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
        "replications": 1,
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
    assert len(design_points(spec)) == n == spec.size
    first = sweep(spec, executor="serial", out=tmp_path / "a")
    second = sweep(spec, executor="serial", out=tmp_path / "b", charts=False)
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
    assert first.to_json()["sensitivity"]["method"] == design


def test_sensitivity_skips_outputs_with_missing_points() -> None:
    spec = parse_sweep(_sobol_sweep("sobol", 4))
    points = design_points(spec)
    y = np.arange(len(points), dtype=float)
    y_missing = y.copy()
    y_missing[3] = np.nan
    sens = sensitivity.analyse(
        spec, points, {"good": y, "missing": y_missing, "flat": np.ones(len(points))}
    )
    assert list(sens.indices) == ["good"]
    assert sens.skipped == {
        "missing": "1 point(s) without a value (failed runs?)",
        "flat": "the output does not vary over the design",
    }
