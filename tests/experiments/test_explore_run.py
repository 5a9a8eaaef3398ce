"""Running an ensemble: common random numbers, executors agree, resume, failures, the tables."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orgsim.engine.run import Run
from orgsim.errors import ExperimentError
from orgsim.experiments import tasks as task_module
from orgsim.experiments.explore.design import design_points, point_scenarios
from orgsim.experiments.explore.run import explore, outcome_arrays
from orgsim.experiments.explore.spec import ExploreSpec, parse_explore
from orgsim.scenario.schema import Scenario
from orgsim.storage.results import ResultsDB, RunRecord

TINY: dict[str, Any] = {
    "name": "tiny",
    "base": "startup",
    "points": 5,
    "replications": 2,
    "seed": 7,
    "metrics": ["net_value", "value_shipped"],
    "overrides": {"horizon": 120.0},
    "uncertainties": [
        {"path": "conflicts.drag"},
        {"path": "scale", "low": 0.5, "high": 2.0, "distribution": "log-uniform"},
    ],
    "levers": {
        "no-broker": {"broker.enabled": False},
        "vp": {"broker.mediators": 1},
        "vp-3": {"broker.mediators": 3},
    },
}


def metrics_by_key(records: list[RunRecord]) -> dict[str, dict[str, float | None]]:
    return {
        r.key: {k: (None if math.isnan(v) else v) for k, v in r.metrics.items()} for r in records
    }


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return explore(TINY, executor="serial", out=tmp_path_factory.mktemp("serial") / "out")


def test_every_point_lever_and_replication_runs_once(serial: Any) -> None:
    assert serial.runs == 5 * 3 * 2 and serial.failed == [] and serial.ran == 30
    assert {r.arm for r in serial.records} == {"no-broker", "vp", "vp-3"}
    by_point: dict[int, set[int]] = {}
    for r in serial.records:
        by_point.setdefault(r.point, set()).add(r.seed)
    assert all(len(seeds) == 1 for seeds in by_point.values())  # one seed per point


def test_the_outcome_arrays_hold_each_run_in_its_cell(serial: Any) -> None:
    spec = serial.spec
    for r in serial.records:
        assert serial.outcomes[r.arm][r.point, r.replication] == r.metrics["net_value"]
    assert serial.outcomes["vp"].shape == (5, 2)
    again = outcome_arrays(spec, serial.records, "value_shipped")
    vp0 = [r for r in serial.records if r.arm == "vp" and r.point == 0 and r.replication == 1]
    assert again["vp"][0, 1] == vp0[0].metrics["value_shipped"]


def test_the_analysis_is_of_the_judged_metric_against_the_reference(serial: Any) -> None:
    a = serial.analysis
    assert a.reference == "no-broker" and a.focus == "vp" and set(a.levers) == {"vp", "vp-3"}
    expected = np.mean(serial.outcomes["vp"] - serial.outcomes["no-broker"], axis=1)
    assert a.levers["vp"].effect_by_point == pytest.approx(expected, rel=1e-12)
    assert a.levers["vp"].effect.mean == pytest.approx(float(expected.mean()), rel=1e-12)


def test_points_csv_has_one_row_per_point_with_means_effects_and_regret(serial: Any) -> None:
    with (serial.out / "points.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5
    head = list(rows[0])
    assert head[:4] == ["point", "seed", "conflicts.drag", "scale"]
    assert "vp.net_value" in head and "vp.value_shipped" in head
    assert "vp.effect" in head and "vp.regret" in head and "no-broker.regret" in head
    for i, row in enumerate(rows):
        means = {
            lever: float(np.mean(serial.outcomes[lever][i]))
            for lever in ("no-broker", "vp", "vp-3")
        }
        assert float(row["vp.net_value"]) == pytest.approx(means["vp"], rel=1e-12)
        assert float(row["vp.effect"]) == pytest.approx(means["vp"] - means["no-broker"], rel=1e-9)
        best = max(means.values())
        for lever, m in means.items():
            assert float(row[f"{lever}.regret"]) == pytest.approx(best - m, rel=1e-9, abs=1e-9)
        assert float(row["no-broker.effect"]) == 0.0
    assert (serial.out / "runs.csv").exists()


def test_summary_json_holds_the_counts_analysis_and_points(serial: Any) -> None:
    doc = json.loads((serial.out / "summary.json").read_text())
    assert doc["experiment"] == serial.spec.experiment
    assert doc["counts"] == {
        "points": 5,
        "levers": 3,
        "replications": 2,
        "runs": 30,
        "failed": 0,
        "ran": 30,
    }
    assert doc["failed"] == []
    assert doc["analysis"]["levers"]["vp"]["p_beats"]["share"] == pytest.approx(
        serial.analysis.levers["vp"].p_beats.share
    )
    assert len(doc["points"]) == 5
    assert set(doc["metrics"]) == {"net_value", "value_shipped"}
    assert doc["metrics"]["net_value"]["no-broker"]["effect"]["mean"] == 0.0


def test_two_levers_that_are_the_same_scenario_have_an_effect_of_exactly_zero(
    tmp_path: Path,
) -> None:
    same = {**TINY, "levers": {"a": {"broker.mediators": 1}, "b": {"broker.mediators": 1}}}
    result = explore(same, executor="serial", out=tmp_path / "out")
    assert np.array_equal(result.outcomes["a"], result.outcomes["b"])
    summary = result.analysis.levers["b"]
    assert np.all(summary.effect_by_point == 0.0)
    assert summary.p_beats.k == 0 and summary.ties == 5
    assert result.analysis.regret.max == {"a": 0.0, "b": 0.0}


def test_common_random_numbers_pair_the_levers_at_a_point(serial: Any) -> None:
    # replication r of every lever at a point: same seed, same replication number
    keyed = {(r.point, r.replication): set() for r in serial.records}
    for r in serial.records:
        keyed[(r.point, r.replication)].add((r.seed, r.replication))
    assert all(len(v) == 1 for v in keyed.values())


@pytest.mark.slow
def test_serial_local_and_dask_give_the_same_results(serial: Any, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    local = explore(TINY, executor="local", jobs=2, out=tmp_path / "local")
    dask = explore(TINY, executor="dask", jobs=2, out=tmp_path / "dask", batch=4)
    for other in (local, dask):
        assert metrics_by_key(other.records) == metrics_by_key(serial.records)
        assert other.table == serial.table
        assert other.analysis.to_dict() == serial.analysis.to_dict()


def test_a_folder_holding_the_ensemble_needs_resume(serial: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    explore(TINY, executor="serial", out=out)
    with pytest.raises(ExperimentError, match="already holds results of this ensemble; use"):
        explore(TINY, executor="serial", out=out)
    again = explore(TINY, executor="serial", out=out, resume=True)
    assert again.ran == 0 and again.table == serial.table
    with pytest.raises(ExperimentError, match="already holds the results of another experiment"):
        explore({**TINY, "seed": 8}, executor="serial", out=out, resume=True)


def test_more_replications_resume_on_the_runs_made(serial: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    explore(TINY, executor="serial", out=out)
    more = explore({**TINY, "replications": 3}, executor="serial", out=out, resume=True)
    assert more.ran == 15 and more.runs == 45
    assert np.array_equal(more.outcomes["vp"][:, :2], serial.outcomes["vp"])


def fail_runs(
    monkeypatch: pytest.MonkeyPatch, spec: ExploreSpec, marks: list[tuple[int, str, int]]
) -> None:
    """Make the runs at ``(point, lever, replication)`` raise inside their task, as a bug would."""
    points = design_points(spec)
    scenarios = point_scenarios(spec, points)
    doomed = {(scenarios[p][lever].digest(), rep) for p, lever, rep in marks}
    real = task_module.simulate

    def simulate(
        scenario: Scenario, *, seed: int, replication: int, broker: bool, **more: Any
    ) -> Run:
        if (scenario.digest(), replication) in doomed:
            raise RuntimeError("this run was told to fail (failure-isolation check)")
        return real(scenario, seed=seed, replication=replication, broker=broker, **more)

    monkeypatch.setattr(task_module, "simulate", simulate)


def test_a_failed_run_is_recorded_left_out_and_retried_on_resume(
    serial: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = parse_explore(TINY)
    fail_runs(monkeypatch, spec, [(2, "vp", 1)])
    out = tmp_path / "out"
    result = explore(spec, executor="serial", out=out)
    key = f"{spec.experiment}/2/vp/1/{_seed(result, 2)}"
    assert result.failed == [key]
    assert math.isnan(result.outcomes["vp"][2, 1])
    assert result.analysis.levers["vp"].effect_by_point[2] == pytest.approx(
        serial.outcomes["vp"][2, 0] - serial.outcomes["no-broker"][2, 0]
    )
    with ResultsDB(out / "results.sqlite") as db:
        failed = [r for r in db.records() if r.status == "failed"]
    assert "RuntimeError: this run was told to fail" in failed[0].error
    monkeypatch.undo()
    resumed = explore(spec, executor="serial", out=out, resume=True)
    assert resumed.ran == 1 and resumed.failed == [] and resumed.table == serial.table


def _seed(result: Any, point: int) -> int:
    return next(r.seed for r in result.records if r.point == point)
