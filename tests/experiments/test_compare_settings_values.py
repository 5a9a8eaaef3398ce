"""compare: the precision bounds, the settings it stores, and how it asks for its runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments.campaign import Campaign
from orgsim.experiments.compare import compare
from orgsim.experiments.tasks import Task
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.results import ResultsDB, RunRecord

SHORT = {"horizon": 30.0, "seed": 5}


@pytest.mark.parametrize(("precision", "shown"), [(0, "0"), (0.0, "0.0"), (1, "1")])
def test_a_precision_at_either_bound_is_refused_before_anything_is_written(
    tmp_path: Path, precision: float, shown: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(ExperimentError) as info:
        compare(
            parse_scenario(SHORT),
            runs=2,
            max_runs=2,
            precision=precision,
            executor="serial",
            out=out,
        )
    assert str(info.value) == f"--precision must be between 0 and 1, got {shown}"
    assert not out.exists()


def test_the_stored_settings_are_runs_seed_precision_executor_and_statistics(
    tmp_path: Path,
) -> None:
    result = compare(
        parse_scenario(SHORT),
        runs=2,
        seed=7,
        executor="serial",
        out=tmp_path,
        command=["x"],
        correction="bh",
    )
    with ResultsDB(result.db) as db:
        (prov,) = db.provenance()
    assert prov["kind"] == "compare"
    assert prov["settings"] == {
        "runs": 2,
        "seed": 7,
        "precision": None,
        "executor": "serial",
        "correction": "bh",  # a report made later judges as the run did
        "ci": "t",
    }


def test_each_round_asks_for_its_runs_with_the_jobs_given_and_the_default_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    real = Campaign.run

    def spy(self: Campaign, tasks: Sequence[Task], **kwargs: Any) -> list[RunRecord]:
        calls.append({"tasks": len(tasks), **kwargs})
        return real(self, tasks, **kwargs)

    monkeypatch.setattr(Campaign, "run", spy)
    result = compare(parse_scenario(SHORT), runs=2, jobs=3, executor="serial", out=tmp_path)
    # no precision target: one round of 2 replications x 2 arms = 4 tasks
    # no batch: the campaign sizes the chunks from the runs and the workers
    assert calls == [{"tasks": 4, "executor": "serial", "jobs": 3}]
    assert result.runs == 2
