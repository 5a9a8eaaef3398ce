"""default_jobs: the cores this process may use, read from a machine set by hand."""

from __future__ import annotations

import pytest

from orgsim.experiments import tasks
from orgsim.experiments.tasks import default_jobs


def test_on_linux_the_jobs_are_the_cores_of_the_affinity_mask(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # three cores allowed (of eight on the machine): the mask wins
    monkeypatch.setattr(tasks.os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: 8)
    assert default_jobs() == 3


def test_an_empty_affinity_mask_is_still_one_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks.os, "sched_getaffinity", lambda pid: set(), raising=False)
    assert default_jobs() == 1


@pytest.mark.parametrize(("cpus", "expected"), [(6, 6), (None, 1), (0, 1)])
def test_without_an_affinity_mask_the_jobs_are_the_cpu_count(
    monkeypatch: pytest.MonkeyPatch, cpus: int | None, expected: int
) -> None:
    # not on Linux: os has no sched_getaffinity; an unknown count (None) is one core
    monkeypatch.delattr(tasks.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: cpus)
    assert default_jobs() == expected
