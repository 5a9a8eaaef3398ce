"""More values of orgsim.analysis.sensitivity: the exact JSON form of a Sensitivity."""

from __future__ import annotations

import numpy as np

from orgsim.analysis.sensitivity import Indices, Sensitivity


def test_sensitivity_to_dict_has_exact_keys_and_values() -> None:
    # one output "y" over parameters a, b; S1 of b NaN -> None in JSON
    ind = Indices("y", "sobol", ("a", "b"), {"S1": np.array([0.25, np.nan])})
    s = Sensitivity("sobol", ("a", "b"), {"y": ind}, {"z": "NaN in 3 runs"}, seed=7, points=12)
    assert s.to_dict() == {
        "method": "sobol",
        "seed": 7,
        "points": 12,
        "outputs": {"y": {"a": {"S1": 0.25}, "b": {"S1": None}}},
        "skipped": {"z": "NaN in 3 runs"},
    }
