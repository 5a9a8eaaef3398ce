"""The Dask executor's loop, in process: a fake Client, LocalCluster and as_completed.

mutmut learns coverage in the test process, and a real LocalCluster runs its chunks
in worker processes (and is slow). These fakes run each chunk inline when its future's
result is asked for, so what the loop sends, yields and closes can be checked exactly.
"""

from __future__ import annotations

import logging
import re
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import pytest

from builders import a_task
from orgsim.experiments import cluster
from orgsim.experiments.cluster import run_on_dask
from orgsim.experiments.tasks import Task
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.results import RunRecord

SCENARIO = parse_scenario({"horizon": 30.0})


def tasks(n: int) -> list[Task]:
    return [a_task(rep, SCENARIO) for rep in range(n)]


def fake_batch(chunk: Sequence[Task]) -> list[RunRecord]:
    """A record per task, its replication as its only metric (no simulation)."""
    return [RunRecord(**t.identity(), metrics={"rep": float(t.replication)}) for t in chunk]


class FakeFuture:
    def __init__(self, key: str, fn: Callable[..., Any], chunk: Sequence[Task]) -> None:
        self.key = key
        self.fn = fn
        self.chunk = chunk
        self.released = False

    def result(self) -> Any:
        return self.fn(self.chunk)

    def release(self) -> None:
        self.released = True

    def done(self) -> bool:
        return True


class FakeClient:
    made: ClassVar[list[FakeClient]] = []
    drop = 0  # futures map() leaves out, from the end (a misbehaving client)

    def __init__(self, target: Any, timeout: str | None = None) -> None:
        self.target = target
        self.timeout = timeout
        self.closed = False
        self.mapped: dict[str, Any] = {}
        self.futures: list[FakeFuture] = []
        FakeClient.made.append(self)

    def map(
        self, fn: Callable[..., Any], chunks: list[list[Task]], *, key: list[str], pure: bool
    ) -> list[FakeFuture]:
        self.mapped = {"fn": fn, "key": key, "pure": pure}
        self.futures = [FakeFuture(k, fn, c) for k, c in zip(key, chunks, strict=True)]
        return self.futures[: len(self.futures) - self.drop]

    def cancel(self, futures: list[FakeFuture]) -> None:
        raise AssertionError("every fake future is done")

    def close(self) -> None:
        self.closed = True


class FakeCluster:
    made: ClassVar[list[FakeCluster]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.closed = False
        FakeCluster.made.append(self)

    def close(self) -> None:
        self.closed = True


def last_first(futures: Iterable[FakeFuture]) -> list[FakeFuture]:
    """Completion order: the last chunk finishes first."""
    return list(futures)[::-1]


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="orgsim")  # not verbose: Dask is silenced
    monkeypatch.setattr(FakeClient, "made", [])
    monkeypatch.setattr(FakeCluster, "made", [])
    monkeypatch.setattr(cluster, "execute_batch", fake_batch)
    distributed = types.ModuleType("distributed")
    distributed.Client = FakeClient  # type: ignore[attr-defined]
    distributed.LocalCluster = FakeCluster  # type: ignore[attr-defined]
    distributed.as_completed = last_first  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "distributed", distributed)


@pytest.mark.usefixtures("fakes")
def test_a_local_cluster_of_jobs_workers_runs_every_chunk_and_closes() -> None:
    work = tasks(3)
    chunks = [work[:2], [], work[2:]]  # the empty chunk is not sent
    yielded = list(run_on_dask(chunks, jobs=3))

    (made,) = FakeCluster.made
    assert made.kwargs == {
        "n_workers": 3,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": ":0",  # a free port: None still binds 8787
        "silence_logs": logging.CRITICAL,  # orgsim is not verbose
    }
    (client,) = FakeClient.made
    assert client.target is made
    assert client.mapped["fn"] is fake_batch and client.mapped["pure"] is False
    keys = client.mapped["key"]
    assert len(keys) == 2 and all(re.fullmatch(r"orgsim-[0-9a-f]{8}-[01]", k) for k in keys)
    assert keys[0][:-2] == keys[1][:-2]  # one run id, then the chunk's index
    # completion order (the last chunk first), each chunk's records whole
    assert [[r.replication for r in records] for records in yielded] == [[2], [0, 1]]
    assert all(f.released for f in client.futures)
    assert client.closed and made.closed


@pytest.mark.usefixtures("fakes")
def test_a_scheduler_address_makes_no_local_cluster() -> None:
    records = [r for chunk in run_on_dask([tasks(1)], scheduler="tcp://h:8786") for r in chunk]
    assert FakeCluster.made == []
    (client,) = FakeClient.made
    assert (client.target, client.timeout) == ("tcp://h:8786", "20.0s")
    assert [r.replication for r in records] == [0]
    assert client.closed


@pytest.mark.usefixtures("fakes")
def test_no_work_starts_nothing() -> None:
    assert list(run_on_dask([[], []], jobs=2)) == []
    assert FakeClient.made == [] and FakeCluster.made == []


@pytest.mark.usefixtures("fakes")
def test_a_client_that_drops_a_chunk_is_an_error_not_a_lost_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each future is matched to its chunk (to name the runs of a chunk that fails);
    # fewer futures than chunks would silently lose the last chunk's runs.
    monkeypatch.setattr(FakeClient, "drop", 1)
    work = tasks(2)
    with pytest.raises(ValueError, match="zip"):
        list(cluster._run([work[:1], work[1:]], None, 2, 20.0, FakeClient, FakeCluster, last_first))
    (client,) = FakeClient.made
    assert client.closed and FakeCluster.made[0].closed
