"""default_batch: runs per submitted task, by hand for each executor."""

from __future__ import annotations

import pytest

from orgsim.experiments import campaign
from orgsim.experiments.campaign import default_batch


@pytest.mark.parametrize(
    ("n", "jobs", "expected"),
    [
        (200, 2, 4),  # 100 runs a worker // 16 = 6, capped at 4
        (128, 2, 4),  # 64 // 16 = 4: exactly the cap
        (96, 2, 3),  # 48 // 16 = 3
        (40, 2, 1),  # 20 // 16 = 1
        (20, 2, 1),  # 10 // 16 = 0, at least 1
    ],
)
def test_local_batches_a_sixteenth_of_each_workers_runs_at_most_four(
    n: int, jobs: int, expected: int
) -> None:
    assert default_batch(n, "local", jobs) == expected


@pytest.mark.parametrize(
    ("n", "jobs", "expected"),
    [
        (160, 2, 8),  # 80 runs a worker // 8 = 10, capped at 8
        (128, 2, 8),  # 64 // 8 = 8: exactly the cap
        (64, 2, 4),  # 32 // 8 = 4
        (10, 2, 1),  # 5 // 8 = 0, at least 1
    ],
)
def test_dask_batches_an_eighth_of_each_workers_runs_at_most_eight(
    n: int, jobs: int, expected: int
) -> None:
    assert default_batch(n, "dask", jobs) == expected


def test_without_jobs_the_workers_are_all_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaign, "default_jobs", lambda: 4)
    # 192 runs over 4 workers = 48 each: local 48 // 16 = 3, dask 48 // 8 = 6
    assert default_batch(192, "local", None) == 3
    assert default_batch(192, "dask", None) == 6


@pytest.mark.parametrize(("n", "executor"), [(1000, "serial"), (0, "local"), (0, "dask")])
def test_serial_or_no_runs_is_one_run_a_task(n: int, executor: str) -> None:
    assert default_batch(n, executor, 2) == 1
