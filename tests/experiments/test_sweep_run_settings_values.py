"""sweep: where it writes by default, how it asks for its runs, what it logs and refuses."""

from __future__ import annotations

import errno
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import ExperimentError, StoreError
from orgsim.experiments.campaign import Campaign
from orgsim.experiments.sweep import run as sweep_run
from orgsim.experiments.sweep.run import sweep
from orgsim.experiments.sweep.spec import SweepSpec, parse_sweep
from orgsim.experiments.tasks import Task
from orgsim.storage.results import RunRecord


def tiny() -> SweepSpec:
    # 2 grid points x 2 replications x 2 arms = 8 runs of 30 days
    return parse_sweep(
        {
            "name": "tiny",
            "base": "startup",
            "replications": 2,
            "seed": 3,
            "metrics": ["net_value"],
            "overrides": {"horizon": 30.0},
            "parameters": [{"path": "broker.mediators", "levels": [1, 2]}],
        }
    )


@pytest.fixture
def no_indices(monkeypatch: pytest.MonkeyPatch) -> None:
    """No sensitivity analysis (two points have none worth the time)."""
    monkeypatch.setattr(sweep_run, "_sensitivity", lambda spec, points, results: None)


@pytest.mark.usefixtures("no_indices")
def test_without_out_the_sweep_writes_to_out_sweep_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = sweep(tiny(), executor="serial")
    assert result.out == Path("out") / "sweep-tiny"
    assert result.db == Path("out") / "sweep-tiny" / "results.sqlite"
    assert (tmp_path / "out" / "sweep-tiny" / "points.csv").is_file()
    assert len(result.records) == 8


@pytest.mark.usefixtures("no_indices")
def test_the_batch_given_is_the_batch_asked_for_and_the_log_names_the_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[dict[str, Any]] = []
    real = Campaign.run

    def spy(self: Campaign, tasks: Sequence[Task], **kwargs: Any) -> list[RunRecord]:
        calls.append({"tasks": len(tasks), **kwargs})
        return real(self, tasks, **kwargs)

    monkeypatch.setattr(Campaign, "run", spy)
    with caplog.at_level(logging.INFO, logger="orgsim"):
        sweep(tiny(), executor="serial", jobs=2, batch=3, out=tmp_path / "o")
    assert calls == [{"tasks": 8, "executor": "serial", "jobs": 2, "scheduler": None, "batch": 3}]
    # the campaign's label: the sweep's name and its point count
    assert "sweep tiny: 2 points, 8 runs, 8 to do" in caplog.messages


def test_the_limits_count_every_worker_given_by_jobs(tmp_path: Path) -> None:
    # One run of 30 days holds well under 1 MB of log; a hundred thousand workers
    # each holding one are past 2 GiB (serial: jobs is checked but runs no worker).
    spec = tiny()
    out = tmp_path / "o"
    with pytest.raises(ExperimentError) as info:
        sweep(spec, executor="serial", jobs=100_000, out=out)
    message = str(info.value)
    assert message.startswith("this sweep is too large: ~"), message
    assert message.endswith(
        " of memory (limit 2.0 GiB); pass --allow-large to run it anyway (see docs/cli.md, Limits)"
    ), message
    assert not out.exists()  # refused before anything is written
    assert sweep_run.check_sweep(spec, jobs=1).memory < 2 * 1024**3 / 1000  # one worker: fine


def records(n: int) -> list[RunRecord]:
    return [
        RunRecord(experiment="e", scenario_hash="h", point=0, arm="on", replication=i, seed=1)
        for i in range(n)
    ]


ROWS = [{"point": 0, "net_value.mean": 1.5}]


def test_a_points_table_that_cannot_be_written_says_the_runs_are_kept(tmp_path: Path) -> None:
    (tmp_path / "points.csv").mkdir()  # a folder where the table goes
    with pytest.raises(StoreError) as info:
        sweep_run._export(records(1), ROWS, tmp_path)
    message = str(info.value)
    assert message.startswith(f"cannot write {tmp_path / 'points.csv'}: "), message
    assert message.endswith(
        f"; every run is kept in {tmp_path / 'results.sqlite'}; rerun with --resume"
    ), message


def test_a_points_parquet_that_cannot_be_written_says_the_runs_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")

    real = pq.write_table

    def full(table: Any, where: Any, **kwargs: Any) -> None:
        # the file is opened by orgsim and handed over: its name says which table it is
        if Path(getattr(where, "name", where)).name != "points.parquet":
            return real(table, where, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(StoreError) as info:
        sweep_run._export(records(1), ROWS, tmp_path)
    assert str(info.value) == (
        f"cannot write {tmp_path / 'points.parquet'}: No space left on device; "
        f"every run is kept in {tmp_path / 'results.sqlite'}; rerun with --resume"
    )
    assert (tmp_path / "points.csv").read_bytes() == b"point,net_value.mean\r\n0,1.5\r\n"
