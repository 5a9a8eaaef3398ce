"""point_scenarios: an invalid point's error names the sweep file it came from."""

from __future__ import annotations

import pytest

from orgsim.errors import ScenarioError
from orgsim.experiments.sweep.design import Point, point_scenarios
from orgsim.experiments.sweep.spec import parse_sweep


def test_a_bad_points_error_carries_the_sweeps_source() -> None:
    spec = parse_sweep(
        {
            "base": "startup",
            "replications": 2,
            "parameters": [{"path": "conflicts.intensity", "levels": [0.5, 2.0]}],
        },
        source="s.toml",
    )
    bad = [Point(index=3, values={"conflicts.intensity": -1.0}, x=(0.0,))]
    with pytest.raises(ScenarioError) as info:
        point_scenarios(spec, bad)
    assert info.value.source == "s.toml"
    assert str(info.value).startswith("s.toml: points.3: (conflicts.intensity=-1.0) ")
