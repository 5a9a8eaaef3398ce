"""Sweeps: the sweep file's checks, designs, scale, resume, failure isolation, table."""

from __future__ import annotations

import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from orgsim import api
from orgsim.analysis.stats import paired
from orgsim.cli import main
from orgsim.engine.run import Run
from orgsim.errors import ExperimentError, ScenarioError
from orgsim.experiments import tasks as task_module
from orgsim.experiments.executors import run_tasks
from orgsim.experiments.sweep.design import (
    build_tasks,
    design_points,
    design_size,
    point_scenarios,
    point_seed,
    sweep_runs,
)
from orgsim.experiments.sweep.parameter import Parameter
from orgsim.experiments.sweep.run import sweep
from orgsim.experiments.sweep.scale import apply_scale
from orgsim.experiments.sweep.spec import SweepSpec, load_sweep, parse_sweep
from orgsim.scenario.convert import unstructure
from orgsim.scenario.files import bundled_sweeps
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.schema import Scenario
from orgsim.scenario.structure import shape
from orgsim.storage.results import ResultsDB, RunRecord

ROOT = Path(__file__).resolve().parents[2]

SMALL = """
name = "small"
base = "midsize"
replications = 3
metrics = ["value_shipped", "net_value"]
seed = 5

[overrides]
horizon = 200.0

[[parameters]]
path = "conflicts.intensity"
levels = [0.5, 2.0]

[[parameters]]
path = "broker.mediators"
levels = [1, 3]
"""


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_sweep(data, source="s.toml")
    return [str(p) for p in info.value.problems]


def base(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "base": "midsize",
        "replications": 2,
        "parameters": [{"path": "conflicts.intensity", "low": 0.5, "high": 2.0}],
    }
    data.update(extra)
    return data


def fail_runs(
    monkeypatch: pytest.MonkeyPatch, spec: SweepSpec, marks: list[tuple[int, str, int]]
) -> None:
    """Make the runs at ``(point, arm, replication)`` raise inside their task, as a bug would.

    The simulation the tasks call is replaced (forked local workers inherit it): a
    run is recognised by its point's scenario, its arm and its replication.
    """
    points = design_points(spec)
    scenarios = point_scenarios(spec, points)
    doomed = {(scenarios[p].digest(), arm == "on", rep) for p, arm, rep in marks}
    real = task_module.simulate

    def simulate(
        scenario: Scenario, *, seed: int, replication: int, broker: bool, **more: Any
    ) -> Run:
        if (scenario.digest(), broker, replication) in doomed:
            raise RuntimeError("this run was told to fail (failure-isolation check)")
        return real(scenario, seed=seed, replication=replication, broker=broker, **more)

    monkeypatch.setattr(task_module, "simulate", simulate)


def metrics_by_key(records: list[RunRecord]) -> dict[str, dict[str, float]]:
    """Per run key, the metrics with NaN made comparable."""
    return {
        r.key: {k: (None if math.isnan(v) else v) for k, v in r.metrics.items()} for r in records
    }


# ------------------------------------------------------------------ the sweep file


def test_a_valid_sweep_file_resolves_its_parameters(tmp_path: Path) -> None:
    spec = load_sweep(write(tmp_path, SMALL))
    assert spec.name == "small" and spec.design == "grid" and spec.seed == 5
    assert spec.names == ("conflicts.intensity", "broker.mediators")
    assert [p.type for p in spec.parameters] == ["float", "int"]
    assert spec.scenario.horizon == 200.0
    assert spec.arms == ("on", "off") and design_size(spec) == 4 and sweep_runs(spec) == 4 * 3 * 2
    assert spec.experiment.startswith("sweep:small:")


def test_no_parameters_are_refused() -> None:
    assert problems(base(parameters=[])) == [
        "parameters: no parameters: a sweep needs at least one [[parameters]] entry"
    ]
    assert "parameters: no parameters" in problems({"base": "midsize"})[0]


def test_a_bad_range_is_refused_with_its_path() -> None:
    data = base(parameters=[{"path": "conflicts.intensity", "low": 2.0, "high": 2.0}])
    assert problems(data) == ["parameters.0.high: must be > low (2.0), got 2.0"]


def test_an_unknown_path_gets_a_suggestion() -> None:
    data = base(
        parameters=[
            {"path": "broker.mediators", "levels": [1, 2]},
            {"path": "conflicts.intensty", "levels": [1.0, 2.0]},
        ]
    )
    assert problems(data) == [
        "parameters.1.path: unknown parameter 'conflicts.intensty'; "
        "did you mean 'conflicts.intensity'?"
    ]


def test_wrong_types_are_refused_not_coerced() -> None:
    data = base(
        replications="3",
        paired=1,
        parameters=[
            {"path": "broker.mediators", "type": "float", "low": 1.0, "high": 3.0},
            {"path": "broker.queue_limit", "type": "int", "low": 1.5, "high": 3},
            {"path": "conflicts.drag", "levels": "0.1"},
        ],
    )
    assert problems(data) == [
        "replications: expected an integer, got string '3'",
        "paired: expected a boolean (true or false), got integer 1",
        "parameters.0.type: 'broker.mediators' takes integers; use type = \"int\"",
        'parameters.1.low: expected an integer (type = "int"), got float 1.5',
        "parameters.2.levels: expected a non-empty array, got string '0.1'",
    ]


def test_every_problem_is_reported_in_one_pass() -> None:
    data = {
        "base": "midsize",
        "replicatons": 3,
        "design": "lhs",
        "metrics": ["net_valu"],
        "overrides": {"broker": {"salry": 1.0}},
        "parameters": [
            {"path": "delivery.value", "levels": [1.0]},
            {"path": "conflicts.intensity", "low": 0.1, "high": 200.0, "stepz": 3},
        ],
    }
    found = problems(data)
    assert found == [
        "replicatons: unknown key; did you mean 'replications'?",
        "points: a lhs design needs 'points'",
        "metrics.0: unknown metric 'net_valu'; did you mean 'net_value'?",
        "overrides.broker.salry: unknown parameter 'broker.salry'; did you mean 'broker.salary'?",
        "parameters.0.path: 'delivery.value' is a table, not one parameter; sweep one of its "
        "fields: delivery.value.cv, delivery.value.kind, delivery.value.mean",
        "parameters.1.stepz: unknown key; did you mean 'steps'?",
    ]


def test_extreme_levels_are_checked_through_the_scenario() -> None:
    data = base(parameters=[{"path": "conflicts.intensity", "low": 0.5, "high": 200.0}])
    assert problems(data) == [
        "parameters.0.high: conflicts.intensity = 200.0 gives conflicts.intensity: "
        "must be <= 100.0, got 200.0"
    ]
    # 0 mediators is valid (the VP PM and the Directors); fewer is not
    data = base(parameters=[{"path": "broker.mediators", "levels": [-1, 2]}])
    assert problems(data) == [
        "parameters.0.levels.0: broker.mediators = -1 gives broker.mediators: must be >= 0, got -1"
    ]


def test_more_refusals() -> None:
    assert problems(base(design="sobol", points=10)) == [
        "points: a Sobol design needs a power of 2 (Saltelli's N), got 10; try 8 or 16"
    ]
    assert problems(base(points=8)) == [
        "points: a grid takes every combination of levels; remove 'points'"
    ]
    assert problems(base(design="grd")) == [
        "design: must be one of grid, lhs, sobol, morris; got 'grd' (did you mean 'grid'?)"
    ]
    assert problems(base(replications=1)) == [
        "replications: must be >= 2, got 1 "
        "(a confidence interval needs at least two, as with compare --runs)"
    ]
    both = base(parameters=[{"path": "scale", "levels": [1.0], "low": 1.0, "high": 2.0}])
    assert problems(both) == ["parameters.0: give either levels or low/high, not both"]
    assert problems(base(parameters=[{"path": "scale", "levels": [0.0, 1.0]}])) == [
        "parameters.0.levels.0: scale must be > 0, got 0.0"
    ]
    enabled = base(parameters=[{"path": "broker.enabled", "levels": [True, False]}])
    assert problems(enabled)[0].startswith("parameters.0.path: a paired sweep switches")
    twice = base(
        parameters=[
            {"path": "broker.queue_limit", "levels": [1, 2]},
            {"path": "broker.queue_limit", "levels": [3]},
        ]
    )
    assert problems(twice) == [
        "parameters.1.path: 'broker.queue_limit' is already swept by parameters.0"
    ]
    assert problems(base(base="nosuch"))[0].startswith("base: no such scenario file: nosuch")


def test_cli_refuses_a_bad_sweep_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = SMALL.replace('"conflicts.intensity"', '"conflicts.intensty"')
    rc = main(["sweep", str(write(tmp_path, bad)), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"orgsim: error: {tmp_path / 'sweep.toml'}: parameters.0.path: unknown parameter "
        "'conflicts.intensty'; did you mean 'conflicts.intensity'?"
    ]
    assert not (tmp_path / "o").exists()


def test_bundled_sweeps_are_valid_and_modest() -> None:
    sweeps = bundled_sweeps()
    assert {"size-vs-conflict", "mediators-vs-conflict"} <= set(sweeps)
    for name in sweeps:
        spec = load_sweep(name)
        assert spec.paired and spec.design == "grid"
        assert sweep_runs(spec) <= 500, name
        point_scenarios(spec, design_points(spec))  # every point is a valid scenario
    assert load_sweep(ROOT / "scenarios" / "sweeps" / "size-vs-conflict.toml").names == (
        "conflicts.intensity",
        "scale",
    )


# ------------------------------------------------------------------ designs and seeds


def test_grid_order_and_levels() -> None:
    spec = parse_sweep(
        base(
            parameters=[
                {"path": "broker.mediators", "low": 1, "high": 4, "steps": 3},
                {"path": "negotiation.success", "low": 0.2, "high": 0.6, "steps": 3},
            ]
        )
    )
    points = design_points(spec)
    assert [tuple(p.values.values()) for p in points] == [
        (m, s) for m in (1, 2, 4) for s in (0.2, 0.4, 0.6)
    ]
    assert all(isinstance(p.values["broker.mediators"], int) for p in points)


def test_sampled_designs_are_seeded_and_in_range() -> None:
    data = base(
        design="lhs",
        points=12,
        seed=3,
        parameters=[
            {"path": "broker.mediators", "type": "int", "low": 1, "high": 4},
            {"path": "conflicts.intensity", "low": 0.5, "high": 2.0},
            {"path": "ceo.insight", "levels": [0.3, 0.9]},
        ],
    )
    first = design_points(parse_sweep(data))
    again = design_points(parse_sweep(data))
    other = design_points(parse_sweep({**data, "seed": 4}))
    assert [p.values for p in first] == [p.values for p in again]
    assert [p.values for p in first] != [p.values for p in other]
    assert len(first) == 12
    mediators = [p.values["broker.mediators"] for p in first]
    assert set(mediators) == {1, 2, 3, 4} and all(isinstance(m, int) for m in mediators)
    assert all(0.5 <= p.values["conflicts.intensity"] <= 2.0 for p in first)
    assert {p.values["ceo.insight"] for p in first} == {0.3, 0.9}
    # Latin hypercube: each twelfth of the intensity range holds exactly one point
    cells = sorted(int((p.values["conflicts.intensity"] - 0.5) / 1.5 * 12) for p in first)
    assert cells == list(range(12))
    sobol = parse_sweep({**data, "design": "sobol", "points": 4})
    assert len(design_points(sobol)) == 4 * (3 + 2) == design_size(sobol)


def test_seeds_give_common_random_numbers_across_arms_and_points() -> None:
    spec = parse_sweep(base(replications=2))
    points = design_points(spec)
    tasks = build_tasks(spec, points, point_scenarios(spec, points))
    assert {t.seed for t in tasks} == {spec.seed}
    assert [(t.point, t.arm, t.replication) for t in tasks[:4]] == [
        (0, "on", 0),
        (0, "on", 1),
        (0, "off", 0),
        (0, "off", 1),
    ]
    per_point = parse_sweep(base(replications=2, crn="point"))
    tasks = build_tasks(per_point, points, point_scenarios(per_point, points))
    for t in tasks:
        expected = int(np.random.SeedSequence([per_point.seed, t.point]).generate_state(1)[0])
        assert t.seed == point_seed(per_point, t.point) == expected
    assert len({t.seed for t in tasks}) == len(points)


def test_unpaired_sweeps_run_the_scenarios_own_arm() -> None:
    spec = parse_sweep(base(paired=False, overrides={"broker": {"enabled": False}}))
    points = design_points(spec)
    tasks = build_tasks(spec, points, point_scenarios(spec, points))
    assert spec.arms == ("off",) and {t.arm for t in tasks} == {"off"}


# ------------------------------------------------------------------ scale


def test_scale_grows_the_company_consistently() -> None:
    tree = unstructure(load_scenario("midsize"))
    doubled = apply_scale(unstructure(load_scenario("midsize")), 2.0)
    for name, dept in tree["departments"].items():
        assert doubled["departments"][name]["staff"] == 2 * dept["staff"]
    assert doubled["delivery"]["products"] == 2 * tree["delivery"]["products"]
    # the founding cash grows with the payroll: the same months of runway
    assert doubled["budget"]["cash"] == 2 * tree["budget"]["cash"]
    # only structure moves: every behavioural constant is the base's
    doubled["budget"]["cash"] = tree["budget"]["cash"]
    for section in ("conflicts", "ceo", "broker", "negotiation", "talent", "budget", "market"):
        assert doubled[section] == tree[section]
    assert doubled["delivery"]["feature_interarrival"] == tree["delivery"]["feature_interarrival"]
    # ... and the shape follows: twice the interfaces, the Directors with Product
    small, big = shape(parse_scenario(tree)), shape(parse_scenario(doubled))
    assert big.interfaces("sales", "engineering") == 2 * small.interfaces("sales", "engineering")
    assert (small.mediators, big.mediators) == (1 + 3, 1 + 6)  # 25 and 50 in Product


def test_scale_moves_the_roadmap_through_the_line_pms_when_products_round() -> None:
    """Features come per line PM: scaling Product scales the roadmap, however products round.

    At 0.3, midsize's 4 products round to 1 (not 1.2), but its 25-person PM organisation
    becomes 8 people: 1 Director and 7 line PMs (22 before), and the features a day
    follow the line PMs, not the products. The interfaces follow the teams on the one
    product; every behavioural constant is untouched.
    """
    tree = unstructure(load_scenario("midsize"))  # 4 products, 25 in Product
    small = apply_scale(unstructure(load_scenario("midsize")), 0.3)  # 1.2 -> 1 product
    assert small["delivery"]["products"] == 1
    assert small["departments"]["product"]["staff"] == 8  # round(7.5)
    assert small["delivery"]["feature_interarrival"] == tree["delivery"]["feature_interarrival"]
    base_shape, small_shape = shape(parse_scenario(tree)), shape(parse_scenario(small))
    assert (base_shape.line_pms, base_shape.directors) == (22, 3)
    assert (small_shape.line_pms, small_shape.directors) == (7, 1)
    mean = tree["delivery"]["feature_interarrival"]["mean"]
    rate = {n: s.line_pms / mean for n, s in (("base", base_shape), ("small", small_shape))}
    assert rate["small"] == pytest.approx(7 / 22 * rate["base"])  # not 1/4 with the products
    # one product: every team pair of Sales (14 -> 4 teams) and Engineering (29 -> 9) meets;
    # before, 4 products x (29 / 4) x (14 / 4)
    assert small_shape.teams["sales"] == 4 and small_shape.teams["engineering"] == 9
    assert small_shape.interfaces("sales", "engineering") == 4 * 9
    assert base_shape.interfaces("sales", "engineering") == pytest.approx(4 * 29 / 4 * 14 / 4)
    assert small_shape.mediators == 1 + 1
    assert apply_scale(unstructure(load_scenario("midsize")), 1.0) == tree


# ------------------------------------------------------------------ running


@pytest.fixture(scope="module")
def small_result(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("small")
    return api.sweep(write(folder, SMALL), executor="serial", out=folder / "out", charts=True)


def test_the_table_holds_paired_effects_of_the_stored_runs(small_result: Any) -> None:
    result = small_result
    assert len(result.records) == 24 and result.failed == [] and result.ran == 24
    assert [row["point"] for row in result.table] == [0, 1, 2, 3]
    alone = []
    for row, pr in zip(result.table, result.points, strict=True):
        runs = [r for r in result.records if r.point == pr.point]
        on = [r.metrics["value_shipped"] for r in runs if r.arm == "on"]
        off = [r.metrics["value_shipped"] for r in runs if r.arm == "off"]
        c = paired(on, off)
        alone.append(c)
        assert row["value_shipped.on"] == pytest.approx(np.mean(on))
        assert row["value_shipped.off"] == pytest.approx(np.mean(off))
        assert row["value_shipped.diff"] == pytest.approx(c.diff.mean)
        assert row["value_shipped.diff_low"] == pytest.approx(c.diff.low)
        assert row["value_shipped.rel"] == pytest.approx(c.relative)
        assert row["value_shipped.p"] == pytest.approx(sps.ttest_rel(on, off).pvalue)
        assert row["runs"] == 3
        assert {row["conflicts.intensity"], row["broker.mediators"]} == set(pr.params.values())
    # significance is Benjamini-Hochberg's over the four points, not each point's own
    _, bh, _, _ = multipletests([c.p_value for c in alone], method="fdr_bh")
    for row, c, p_bh in zip(result.table, alone, bh, strict=True):
        assert row["value_shipped.p_bh"] == pytest.approx(p_bh)
        assert row["value_shipped.significant"] == (c.significant and p_bh < 0.05)
    # records come back in canonical order whatever the completion order
    keys = [(r.point, r.arm, r.replication) for r in result.records]
    assert keys == sorted(keys)


def test_exports_and_summary(small_result: Any) -> None:
    import pyarrow.parquet as pq

    out = small_result.out
    table = pq.read_table(out / "points.parquet").to_pylist()
    assert [row["value_shipped.diff"] for row in table] == pytest.approx(
        [row["value_shipped.diff"] for row in small_result.table]
    )
    header = (out / "points.csv").read_text().splitlines()[0].split(",")
    assert header[:5] == ["point", "conflicts.intensity", "broker.mediators", "runs", "failed"]
    assert len((out / "runs.csv").read_text().splitlines()) == 25
    summary = json.loads((out / "summary.json").read_text())
    assert summary["runs"] == 24 and len(summary["points"]) == 4
    assert summary["experiment"] == small_result.spec.experiment


def test_heatmap_and_curves_plot_the_table(small_result: Any) -> None:
    charts = {c.name: c for c in small_result.charts}
    assert set(charts) == {"heatmap", "effect-conflicts_intensity", "effect-broker_mediators"}
    heat = charts["heatmap"]
    assert heat.png.exists() and heat.svg.exists()
    assert heat.data["kind"] == "grid"
    assert heat.data["x_levels"] == [0.5, 2.0] and heat.data["y_levels"] == [1, 3]
    panel = heat.data["panels"]["value_shipped"]
    for row in small_result.table:
        i = heat.data["y_levels"].index(row["broker.mediators"])
        j = heat.data["x_levels"].index(row["conflicts.intensity"])
        rel, diff = row["value_shipped.rel"], row["value_shipped.diff"]
        assert panel["values"][i, j] == pytest.approx(100 * rel if panel["relative"] else diff)
        assert bool(panel["significant"][i, j]) == row["value_shipped.significant"]
    curve = charts["effect-conflicts_intensity"].data["panels"]["value_shipped"]
    assert [s["by"] for s in curve["series"]] == [1, 3]
    one = curve["series"][0]
    row = next(
        r
        for r in small_result.table
        if r["broker.mediators"] == 1 and r["conflicts.intensity"] == 2.0
    )
    shown = 100 * row["value_shipped.rel"] if curve["relative"] else row["value_shipped.diff"]
    assert one["value"][1] == pytest.approx(shown)


def test_an_existing_sweep_needs_resume(
    small_result: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ExperimentError, match="use --resume"):
        sweep(small_result.spec, executor="serial", out=small_result.out)
    rc = main(["sweep", small_result.spec.source, "--out", str(small_result.out), "--no-charts"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 1 and "--resume" in err and "--out" in err
    again = sweep(small_result.spec, executor="serial", out=small_result.out, resume=True)
    assert again.ran == 0
    assert metrics_by_key(again.records) == metrics_by_key(small_result.records)
    assert again.table == small_result.table


def test_another_sweep_in_the_same_folder_is_refused(small_result: Any, tmp_path: Path) -> None:
    other = parse_sweep(base(replications=3))
    with pytest.raises(ExperimentError, match="another experiment"):
        sweep(other, executor="serial", out=small_result.out, resume=True)


@pytest.mark.slow
def test_shuffled_submission_and_two_workers_give_the_same_runs(
    small_result: Any, tmp_path: Path
) -> None:
    spec = small_result.spec
    points = design_points(spec)
    tasks = build_tasks(spec, points, point_scenarios(spec, points))
    random.Random(1).shuffle(tasks)
    shuffled = run_tasks(tasks, executor="serial")
    assert metrics_by_key(shuffled) == metrics_by_key(small_result.records)
    local = sweep(spec, executor="local", jobs=2, out=tmp_path / "local")
    assert metrics_by_key(local.records) == metrics_by_key(small_result.records)
    assert local.table == small_result.table


def test_keep_events_keeps_the_first_k_replications(tmp_path: Path) -> None:
    spec = parse_sweep(
        {
            **base(replications=3, overrides={"horizon": 60.0}),
            "parameters": [{"path": "broker.queue_limit", "levels": [1]}],
        }
    )
    result = sweep(spec, executor="serial", out=tmp_path / "k", keep_events=2)
    with ResultsDB(result.db) as db:
        kept = {r.key: db.log(r.key) for r in result.records}
    assert {k for k, v in kept.items() if v is not None} == {
        r.key for r in result.records if r.replication < 2
    }
    for r in result.records:
        log = kept[r.key]
        assert log is None or len(log) == r.events
    with pytest.raises(ExperimentError, match="keep-events"):
        sweep(spec, executor="serial", out=tmp_path / "k2", keep_events="some")


@pytest.mark.slow
def test_a_failing_run_is_recorded_and_the_rest_complete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    file = write(tmp_path, SMALL)
    fail_runs(monkeypatch, load_sweep(file), [(1, "off", 2)])
    rc = main(["sweep", str(file), "--executor", "serial", "--out", str(tmp_path / "o"), "--json"])
    captured = capsys.readouterr()
    assert rc == 1
    key = f"{load_sweep(file).experiment}/1/off/2/5"
    assert captured.err.splitlines()[-1].startswith(f"orgsim: error: 1 run(s) failed: {key};")
    doc = json.loads(captured.out)
    assert doc["failed"] == [key] and doc["runs"] == 24
    with ResultsDB(tmp_path / "o" / "results.sqlite") as db:
        records = db.records()
    failed = [r for r in records if r.status == "failed"]
    assert [r.key for r in failed] == [key]
    assert "RuntimeError: this run was told to fail" in failed[0].error
    assert "Traceback" in failed[0].error
    assert failed[0].params == {"conflicts.intensity": 0.5, "broker.mediators": 3}
    assert failed[0].seed == 5
    assert sum(r.status == "ok" for r in records) == 23
    # the point keeps its two complete pairs; the others all three
    assert [row["runs"] for row in doc["points"]] == [3, 2, 3, 3]
    # resumed without the fault, the failed run is retried and the sweep completes
    monkeypatch.undo()
    resumed = sweep(file, executor="serial", out=tmp_path / "o", resume=True)
    assert resumed.ran == 1 and resumed.failed == []
    assert [row["runs"] for row in resumed.table] == [3, 3, 3, 3]


@pytest.mark.slow
def test_failures_in_forked_workers_are_isolated_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = load_sweep(write(tmp_path, SMALL))
    fail_runs(monkeypatch, spec, [(0, "on", 1), (3, "off", 0)])
    result = sweep(spec, executor="local", jobs=2, out=tmp_path / "o")
    assert result.failed == [f"{spec.experiment}/0/on/1/5", f"{spec.experiment}/3/off/0/5"]
    assert [row["runs"] for row in result.table] == [2, 3, 3, 2]
    assert sum(r.status == "ok" for r in result.records) == 22


def test_the_experiment_writes_tables_and_the_api_charts_and_summary(
    small_result: Any, tmp_path: Path
) -> None:
    bare = sweep(small_result.spec, executor="serial", out=tmp_path / "bare")
    assert bare.charts == [] and bare.table == small_result.table
    written = sorted(p.name for p in bare.out.iterdir())
    assert written == ["points.csv", "points.parquet", "results.sqlite", "runs.csv", "runs.parquet"]
    assert {p.name for p in small_result.out.glob("*.png")} == {
        f"{c.name}.png" for c in small_result.charts
    }
    assert (small_result.out / "summary.json").is_file()


def test_the_same_record_committed_twice_is_stored_once(small_result: Any, tmp_path: Path) -> None:
    record = small_result.records[0]
    with ResultsDB(tmp_path / "dup.sqlite") as db:
        assert db.commit(record) is True
        assert db.commit(record) is False  # a retried task: INSERT OR IGNORE on the key
        assert [r.key for r in db.records()] == [record.key]


# ------------------------------------------------------------------ kill and resume

RESUMABLE = """
name = "resumable"
base = "midsize"
replications = 4
metrics = ["value_shipped"]
seed = 11

[overrides]
horizon = 300.0

[[parameters]]
path = "conflicts.intensity"
levels = [0.5, 1.0, 2.0, 3.0]
"""


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_a_killed_sweep_resumes_to_the_same_table(tmp_path: Path) -> None:
    file = write(tmp_path, RESUMABLE)
    out = tmp_path / "killed"
    db = out / "results.sqlite"
    cmd = [sys.executable, "-m", "orgsim", "sweep", str(file), "--out", str(out), "--no-charts"]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen(
        [*cmd, "--executor", "serial"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    try:
        while _count(db) < 5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    committed = _count(db)
    total = 4 * 4 * 2
    assert 5 <= committed < total, "the sweep was not interrupted mid-way"

    resumed = subprocess.run(
        [*cmd, "--resume", "--executor", "local", "--jobs", "2", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    doc = json.loads(resumed.stdout)
    assert doc["runs"] == total and doc["ran"] == total - committed

    whole = api.sweep(file, executor="serial", out=tmp_path / "whole", charts=False)
    with ResultsDB(db) as store:
        records = store.records()
    assert len(records) == total and len({r.key for r in records}) == total
    assert metrics_by_key(records) == metrics_by_key(whole.records)
    assert doc["points"] == json.loads((tmp_path / "whole" / "summary.json").read_text())["points"]


@pytest.mark.slow
def test_sigterm_stops_the_sweep_cleanly(tmp_path: Path) -> None:
    file = write(tmp_path, RESUMABLE)
    out = tmp_path / "term"
    db = out / "results.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "orgsim", "sweep", str(file), "--out", str(out), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while _count(db) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the sweep finished before SIGTERM arrived")
    assert proc.returncode == 143, err  # 128 + SIGTERM; Ctrl-C stays 130
    assert "interrupted; everything already committed is kept" in err
    assert "Traceback" not in err
    kept = _count(db)
    assert kept >= 3
    with ResultsDB(db) as store:  # the database is whole and readable
        assert len(store.records()) == kept


def test_parameter_value_mapping() -> None:
    p = Parameter(path="x", type="int", low=1, high=3)
    assert p.bounds() == (0.5, 3.5)
    assert [p.value(v) for v in (0.5, 1.49, 1.5, 3.49, 3.5)] == [1, 1, 2, 3, 3]
    q = Parameter(path="y", type="choice", levels=("a", "b"))
    assert q.bounds() == (0.0, 2.0) and [q.value(v) for v in (0.0, 0.99, 1.0, 2.0)] == [
        "a",
        "a",
        "b",
        "b",
    ]


def test_an_unpaired_sweep_reports_levels(tmp_path: Path) -> None:
    spec = parse_sweep(
        {
            "name": "levels",
            "base": "startup",
            "paired": False,
            "replications": 2,
            "metrics": ["value_shipped"],
            "overrides": {"horizon": 120.0},
            "parameters": [
                {"path": "broker.enabled", "levels": [True, False]},
                {"path": "broker.queue_limit", "levels": [1, 2]},
            ],
        }
    )
    result = api.sweep(spec, executor="serial", out=tmp_path / "u")
    assert [{r.arm for r in result.records if r.point == p} for p in range(4)] == [
        {"on"},
        {"on"},
        {"off"},
        {"off"},
    ]
    for row, pr in zip(result.table, result.points, strict=True):
        values = [r.metrics["value_shipped"] for r in result.records if r.point == pr.point]
        assert row["value_shipped.mean"] == pytest.approx(np.mean(values))
        assert "value_shipped.diff" not in row
    heat = next(c for c in result.charts if c.name == "heatmap")
    panel = heat.data["panels"]["value_shipped"]
    assert panel["relative"] is False
    assert heat.data["x_levels"] == [True, False] and heat.data["y_levels"] == [1, 2]
    assert panel["values"][0, 0] == pytest.approx(result.table[0]["value_shipped.mean"])


def test_broker_only_metrics_have_no_effect_in_a_sweep(tmp_path: Path) -> None:
    """The broker's detection share exists with the broker only: no effect, no off arm."""
    spec = parse_sweep(
        {
            "name": "broker-only",
            "base": "startup",
            "replications": 2,
            "seed": 4,
            "metrics": ["detected_by_broker_share", "net_value"],
            "overrides": {"horizon": 200.0},
            "parameters": [{"path": "conflicts.intensity", "levels": [1.0, 2.0]}],
        }
    )
    result = sweep(spec, executor="serial", out=tmp_path / "out")
    for point in result.points:
        share = point.effect["detected_by_broker_share"]
        assert share.broker_only and not share.significant
        assert math.isnan(share.diff.mean)
        on = [
            r.metrics["detected_by_broker_share"]
            for r in result.records
            if r.point == point.point and r.arm == "on"
        ]
        assert point.arms["on"]["detected_by_broker_share"].mean == pytest.approx(np.mean(on))
        assert point.arms["off"]["detected_by_broker_share"].n == 0
        assert not point.effect["net_value"].broker_only
    rows = result.table
    assert all(math.isnan(row["detected_by_broker_share.off"]) for row in rows)
    assert all(not math.isnan(row["detected_by_broker_share.on"]) for row in rows)
