"""default_batch and chunk_size: runs per chunk, by hand for each executor."""

from __future__ import annotations

import pytest

from orgsim.experiments import campaign
from orgsim.experiments.campaign import default_batch
from orgsim.experiments.executors import CHUNKS_PER_WORKER, MAX_CHUNK, chunk_size


def test_the_constants_are_four_chunks_a_worker_of_at_most_sixteen_runs() -> None:
    assert (CHUNKS_PER_WORKER, MAX_CHUNK) == (4, 16)


@pytest.mark.parametrize(
    ("n", "workers", "expected"),
    [
        (16, 2, 2),  # 16 runs / (2 workers x 4 chunks) = 2 a chunk: 8 chunks
        (17, 2, 3),  # 17 / 8 = 2.1, rounded up: 6 chunks, the last of 2
        (8, 2, 1),  # 8 / 8 = 1
        (3, 2, 1),  # fewer runs than chunks wanted: one a chunk
        (1000, 2, 16),  # 1000 / 8 = 125, capped at 16
        (128, 2, 16),  # 128 / 8 = 16: exactly the cap
        (129, 2, 16),  # 16.1 rounded up is 17, capped at 16
        (100, 4, 7),  # 100 / 16 = 6.25, rounded up
        (1, 1, 1),
    ],
)
def test_chunks_are_four_a_worker_at_most_sixteen_runs(n: int, workers: int, expected: int) -> None:
    assert chunk_size(n, workers) == expected


@pytest.mark.parametrize(("n", "workers"), [(0, 2), (10, 0), (-1, 2)])
def test_no_runs_or_no_workers_is_one_run_a_chunk(n: int, workers: int) -> None:
    assert chunk_size(n, workers) == 1


@pytest.mark.parametrize("executor", ["local", "dask"])
@pytest.mark.parametrize(("n", "jobs", "expected"), [(200, 2, 16), (40, 2, 5), (16, 2, 2)])
def test_local_and_dask_use_the_chunk_size(executor: str, n: int, jobs: int, expected: int) -> None:
    assert default_batch(n, executor, jobs) == expected


def test_without_jobs_the_workers_are_all_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaign, "default_jobs", lambda: 4)
    # 192 runs over 4 workers x 4 chunks = 12 a chunk
    assert default_batch(192, "local", None) == 12
    assert default_batch(192, "dask", None) == 12


@pytest.mark.parametrize(
    ("n", "executor", "jobs"),
    [(1000, "serial", 2), (0, "local", 2), (0, "dask", 2), (50, "local", 1)],
)
def test_serial_one_local_worker_or_no_runs_is_one_run_a_chunk(
    n: int, executor: str, jobs: int
) -> None:
    assert default_batch(n, executor, jobs) == 1
