"""run_tasks: a local executor with one worker runs in this process, without a pool."""

from __future__ import annotations

from typing import Any

import pytest

from orgsim.experiments import executors
from orgsim.experiments.tasks import Task
from orgsim.scenario.loading import parse_scenario

SHORT = {"horizon": 30.0, "seed": 5}


def tasks() -> list[Task]:
    sc = parse_scenario(SHORT)
    return [
        Task(
            experiment="e",
            scenario=sc,
            scenario_hash=sc.digest(),
            point=0,
            arm=arm,
            replication=rep,
            seed=5,
        )
        for rep in range(2)
        for arm in ("on", "off")
    ]


def no_pool(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a process pool was started")


@pytest.mark.parametrize("jobs", [1, None])
def test_local_with_one_worker_starts_no_pool(
    monkeypatch: pytest.MonkeyPatch, jobs: int | None
) -> None:
    monkeypatch.setattr(executors, "ProcessPoolExecutor", no_pool)
    monkeypatch.setattr(executors, "default_jobs", lambda: 1)  # jobs=None: one core
    seen: list[str] = []
    todo = tasks()
    records = executors.run_tasks(
        todo, executor="local", jobs=jobs, on_record=lambda r: seen.append(r.key)
    )
    # serially, in task order: rep 0 on, rep 0 off, rep 1 on, rep 1 off
    keys = ["e/0/on/0/5", "e/0/off/0/5", "e/0/on/1/5", "e/0/off/1/5"]
    assert [r.key for r in records] == keys
    assert seen == keys
    assert [r.status for r in records] == ["ok"] * 4
