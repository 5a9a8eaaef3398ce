"""compare when the runs fail: the message names the count and the first error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments import tasks
from orgsim.experiments.compare import compare, records_error
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.results import ResultsDB, RunRecord


def rec(replication: int, status: str = "ok", error: str = "") -> RunRecord:
    return RunRecord(
        experiment="e",
        scenario_hash="h",
        point=0,
        arm="on",
        replication=replication,
        seed=1,
        status=status,
        error=error,
    )


def test_records_error_is_the_first_failed_runs_error() -> None:
    records = [rec(0), rec(1, "failed", "first"), rec(2, "failed", "second")]
    assert records_error(records) == "first"


def test_records_error_is_empty_when_no_run_failed() -> None:
    assert records_error([rec(0), rec(1)]) == ""
    assert records_error([]) == ""


def test_a_comparison_whose_every_run_fails_names_the_count_and_the_first_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks, "simulate", broken)
    out = tmp_path / "out"
    with pytest.raises(ExperimentError) as info:
        compare(parse_scenario({"horizon": 30.0}), runs=2, executor="serial", out=out)
    db = out / "results.sqlite"
    # 2 replications x 2 arms = 4 runs, all failed; the last line of the first traceback
    assert str(info.value) == (
        "only 0 replication(s) completed in both arms; 4 run(s) failed, the first with "
        f"'RuntimeError: boom' (tracebacks in {db})"
    )
    with ResultsDB(db) as store:
        failed = [r for r in store.records() if r.status == "failed"]
    assert len(failed) == 4
    assert all(r.error.splitlines()[-1] == "RuntimeError: boom" for r in failed)
