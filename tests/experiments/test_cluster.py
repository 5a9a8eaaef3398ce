"""The Dask executor: same records as the serial one; a retried task writes no duplicate."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments.cluster import _failed, run_on_dask
from orgsim.experiments.sweep.design import build_tasks, design_points, point_scenarios
from orgsim.experiments.sweep.run import sweep
from orgsim.experiments.sweep.spec import parse_sweep
from orgsim.storage.results import ResultsDB, RunRecord

# Processes and clusters: part of the default run, left out of mutation runs.
pytestmark = pytest.mark.slow

pytest.importorskip("distributed")

SPEC = {
    "name": "dask-check",
    "base": "midsize",
    "replications": 2,
    "seed": 9,
    "metrics": ["value_shipped"],
    "overrides": {"horizon": 200.0},
    "parameters": [{"path": "conflicts.intensity", "levels": [0.5, 2.0]}],
}


def metrics_by_key(records: list[RunRecord]) -> dict[str, dict[str, float | None]]:
    return {
        r.key: {k: (None if math.isnan(v) else v) for k, v in r.metrics.items()} for r in records
    }


def test_dask_local_cluster_gives_the_serial_records(tmp_path: Path) -> None:
    spec = parse_sweep(SPEC)
    serial = sweep(spec, executor="serial", out=tmp_path / "serial")
    dask = sweep(spec, executor="dask", jobs=2, out=tmp_path / "dask", batch=3)
    assert len(dask.records) == 8 and dask.failed == []
    assert metrics_by_key(dask.records) == metrics_by_key(serial.records)
    assert dask.table == serial.table

    # a chunk the cluster runs twice (a worker died, the task was retried) is
    # delivered twice; the database keeps one record per key
    points = design_points(spec)
    tasks = build_tasks(spec, points, point_scenarios(spec, points))
    chunks = [tasks[:3], tasks[3:], tasks[:3]]
    with ResultsDB(tmp_path / "retried.sqlite") as db:
        written = [db.commit(r) for records in run_on_dask(chunks, jobs=2) for r in records]
        stored = db.records()
    assert sum(written) == len(tasks) and len(written) == len(tasks) + 3
    assert metrics_by_key(stored) == metrics_by_key(serial.records)


def test_a_chunk_the_cluster_lost_becomes_failed_records() -> None:
    spec = parse_sweep(SPEC)
    points = design_points(spec)
    tasks = build_tasks(spec, points, point_scenarios(spec, points))[:2]
    records = _failed(tasks, "KilledWorker: worker died three times")
    assert [r.key for r in records] == [t.key for t in tasks]
    assert all(r.status == "failed" and "KilledWorker" in r.error for r in records)
    assert records[0].params == {"conflicts.intensity": 0.5}


def test_an_unreachable_scheduler_is_a_clear_error() -> None:
    spec = parse_sweep(SPEC)
    points = design_points(spec)
    tasks = build_tasks(spec, points, point_scenarios(spec, points))[:1]
    with pytest.raises(ExperimentError, match="cannot reach the Dask scheduler"):
        list(run_on_dask([tasks], scheduler="tcp://127.0.0.1:9", timeout=1.0))
