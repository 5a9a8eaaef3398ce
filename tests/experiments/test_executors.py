"""Executors: a worker that dies is reported clearly, and committed runs are kept."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments import executors
from orgsim.experiments.compare import compare as compare_experiment
from orgsim.experiments.executors import run_tasks
from orgsim.experiments.tasks import Task, execute_batch
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.results import RunRecord


def dying_batch(tasks: Sequence[Task]) -> list[RunRecord]:
    """Like execute_batch, but the process running replication 3 dies abruptly."""
    if any(t.replication == 3 for t in tasks):
        os._exit(9)
    return execute_batch(tasks)


def test_a_killed_worker_is_an_error_that_keeps_what_finished(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = parse_scenario({"horizon": 30.0})
    tasks = [
        Task(
            experiment="x",
            scenario=scenario,
            scenario_hash=scenario.digest(),
            point=0,
            arm="on",
            replication=rep,
            seed=1,
        )
        for rep in range(6)
    ]
    monkeypatch.setattr(executors, "execute_batch", dying_batch)
    committed: list[RunRecord] = []
    with pytest.raises(ExperimentError, match=r"worker process died.*--resume"):
        run_tasks(tasks, executor="local", jobs=2, on_record=committed.append)
    assert all(r.status == "ok" and r.replication != 3 for r in committed)


@pytest.mark.parametrize(
    ("executor", "jobs", "message"),
    [
        ("bogus", None, "unknown executor 'bogus'"),
        ("local", 0, "--jobs must be an integer >= 1, got 0"),
        ("local", True, "--jobs must be an integer >= 1, got True"),
    ],
)
def test_a_bad_executor_is_refused_before_anything_is_written(
    tmp_path: Path, executor: str, jobs: object, message: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(ExperimentError, match=re.escape(message)):
        compare_experiment("startup", runs=2, executor=executor, jobs=jobs, out=out)  # type: ignore[arg-type]
    assert not out.exists()
