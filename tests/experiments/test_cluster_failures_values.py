"""The Dask executor's failures: Dask missing, and a chunk the cluster could not run."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from builders import a_task
from orgsim.errors import ExperimentError
from orgsim.experiments import cluster
from orgsim.experiments.cluster import run_on_dask
from orgsim.experiments.tasks import Task
from orgsim.scenario.loading import parse_scenario

SCENARIO = parse_scenario({"horizon": 30.0})


def test_without_dask_the_executor_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    with pytest.raises(ExperimentError) as info:
        list(run_on_dask([[a_task(0, SCENARIO)]], jobs=1))
    assert str(info.value) == (
        "the dask executor needs dask.distributed: pip install 'orgsim[dask]'"
    )


class DeadFuture:
    """A chunk whose worker died for good: its result raises."""

    def __init__(self, key: str) -> None:
        self.key = key

    def result(self) -> Any:
        raise RuntimeError("worker died")

    def release(self) -> None:
        pass

    def done(self) -> bool:
        return True


class Client:
    def __init__(self, target: Any, timeout: str | None = None) -> None:
        self.closed = False

    def map(
        self, fn: Callable[..., Any], chunks: list[list[Task]], *, key: list[str], pure: bool
    ) -> list[DeadFuture]:
        return [DeadFuture(k) for k in key]

    def close(self) -> None:
        self.closed = True


def in_order(futures: Sequence[DeadFuture]) -> list[DeadFuture]:
    return list(futures)


def test_a_chunk_the_cluster_cannot_run_comes_back_as_failed_records_naming_why() -> None:
    chunk = [a_task(0, SCENARIO), a_task(1, SCENARIO)]
    (records,) = list(cluster._run([chunk], "tcp://h:8786", None, 20.0, Client, None, in_order))
    assert [(r.replication, r.status) for r in records] == [(0, "failed"), (1, "failed")]
    assert [r.key for r in records] == [t.key for t in chunk]
    for r in records:
        first, *_, last = r.error.splitlines()
        assert first == "the cluster could not run this task: RuntimeError: worker died"
        assert last == "RuntimeError: worker died"  # then the traceback
        assert r.error.count("Traceback (most recent call last):") == 1
