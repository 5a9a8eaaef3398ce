"""``explore --explain POINT``: the broker's effect at one point, split into its channels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import CLI
from orgsim import api
from orgsim.errors import ExperimentError
from orgsim.experiments.explore.design import design_points, point_seed
from orgsim.experiments.explore.explain import explained_scenario
from orgsim.experiments.explore.spec import parse_explore

TINY = {
    "name": "tiny",
    "base": "startup",
    "points": 4,
    "replications": 2,
    "seed": 5,
    "metrics": ["net_value"],
    "overrides": {"horizon": 120.0},
    "uncertainties": [
        {"path": "conflicts.drag"},
        {"path": "scale", "low": 0.5, "high": 2.0, "distribution": "log-uniform"},
    ],
    "levers": {"no-broker": {"broker.enabled": False}, "vp": {"broker.mediators": 1}},
}


def test_the_point_is_the_designs_with_its_own_seed() -> None:
    spec = parse_explore(TINY)
    points = design_points(spec)
    scenario, seed, values = explained_scenario(spec, 2)
    assert values == points[2].values
    assert seed == point_seed(spec, 2)
    assert scenario.broker.enabled and scenario.broker.mediators == 1
    drag = values["conflicts.drag"]
    assert scenario.conflicts.drag == pytest.approx(drag)


def test_a_bad_point_and_a_lever_without_broker_are_one_message() -> None:
    spec = parse_explore(TINY)
    with pytest.raises(ExperimentError) as err:
        explained_scenario(spec, 4, "no-broker")
    text = str(err.value)
    assert "--explain must be a point of the ensemble, 0 to 3; got 4" in text
    assert "lever 'no-broker' has no broker" in text
    with pytest.raises(ExperimentError, match="no lever 'vp2'; the levers are no-broker, vp"):
        explained_scenario(spec, 0, "vp2")


def test_the_full_broker_is_the_ensembles_effect_run_for_run(tmp_path: Path) -> None:
    """The attribution's total at a point is the explore's paired effect there, exactly."""
    spec = parse_explore(TINY)
    ensemble = api.explore(spec, executor="serial", out=tmp_path / "ex", charts=False)
    point = 1
    found = api.explain_point(
        spec, point, runs=2, executor="serial", out=tmp_path / "ex", charts=False
    )
    assert found.out == tmp_path / "ex" / f"explain-{point}"
    effect = ensemble.outcomes["vp"][point] - ensemble.outcomes["no-broker"][point]
    assert np.array_equal(found.values[-1], effect)
    assert np.all(found.values[0] == 0.0)  # every channel off: the no-broker run
    assert found.shapley.sum(axis=0) == pytest.approx(effect, abs=1e-6)
    # the ensemble's own database still holds only the ensemble: resume works
    again = api.explore(spec, executor="serial", out=tmp_path / "ex", resume=True, charts=False)
    assert again.ran == 0


def test_cli_explain_prints_the_attribution_and_json(
    tmp_path: Path, cli: CLI, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "tiny.toml"
    file.write_text(
        """
name = "tiny"
base = "startup"
points = 4
replications = 2
seed = 5
[overrides]
horizon = 120.0
[[uncertainties]]
path = "conflicts.drag"
[levers.no-broker]
"broker.enabled" = false
[levers.vp]
"broker.mediators" = 1
"""
    )
    out = tmp_path / "out"
    args = ["explore", str(file), "--out", str(out), "--explain", "3", "--explain-runs", "2"]
    assert cli([*args, "--json", "--executor", "serial", "--no-charts"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "channels" in json.dumps(doc)
    assert (out / "explain-3" / "results.sqlite").exists()
    assert cli(["explore", str(file), "--out", str(out), "--explain-runs", "2"]) == 2
    err = capsys.readouterr().err
    assert "--explain-lever and --explain-runs need --explain POINT" in err
    assert "Traceback" not in err
