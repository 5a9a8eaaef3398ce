"""Campaign.run: what it hands the executor, and the records it reads back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from builders import a_task
from orgsim.experiments import campaign
from orgsim.experiments.campaign import Campaign
from orgsim.experiments.tasks import Task
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.results import ResultsDB, RunRecord

SCENARIO = parse_scenario({"horizon": 30.0, "seed": 1})


def test_run_passes_the_scheduler_jobs_and_batch_to_the_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run_tasks(
        tasks: Sequence[Task], *, on_records: Callable[[list[RunRecord]], None], **kwargs: Any
    ) -> None:
        calls.append({"keys": [t.key for t in tasks], **kwargs})
        # no simulation: one stored record per task, all arriving together
        on_records(
            [RunRecord(**t.identity(), metrics={"rep": float(t.replication)}) for t in tasks]
        )

    monkeypatch.setattr(campaign, "run_tasks", fake_run_tasks)
    tasks = [a_task(rep, SCENARIO) for rep in range(2)]
    with ResultsDB(tmp_path / "results.sqlite") as db:
        camp = Campaign.start(
            db,
            experiment="x",
            kind="compare",
            scenario=SCENARIO,
            settings={},
            command=["orgsim"],
        )
        records = camp.run(tasks, executor="dask", jobs=2, scheduler="tcp://h:8786", batch=3)
    assert calls == [
        {
            "keys": ["x/0/on/0/1", "x/0/on/1/1"],
            "executor": "dask",
            "jobs": 2,
            "scheduler": "tcp://h:8786",
            "batch": 3,
            "pool": None,  # kept local workers are for the local executor only
        }
    ]
    assert [r.metrics["rep"] for r in records] == [0.0, 1.0]
    assert camp.ran == 2
    assert camp.commits == 1  # the two records arrived together: one transaction
