"""Campaign.start: how many failed runs it forgets, to be run again."""

from __future__ import annotations

from pathlib import Path

from orgsim.experiments.campaign import Campaign
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.results import ResultsDB, RunRecord

SHORT = {"horizon": 30.0, "seed": 5}


def record(experiment: str, replication: int, status: str) -> RunRecord:
    return RunRecord(
        experiment=experiment,
        scenario_hash="h",
        point=0,
        arm="on",
        replication=replication,
        seed=5,
        status=status,
        error="boom" if status == "failed" else "",
    )


def fill(db: ResultsDB) -> None:
    # experiment "e": replications 0 and 2 failed, 1 ok; "other": one failure of its own
    for rep, status in ((0, "failed"), (1, "ok"), (2, "failed")):
        db.commit(record("e", rep, status))
    db.commit(record("other", 0, "failed"))


def start(db: ResultsDB, *, retry_failures: bool) -> Campaign:
    return Campaign.start(
        db,
        experiment="e",
        kind="compare",
        scenario=parse_scenario(SHORT),
        settings={"runs": 2},
        command=["orgsim", "compare"],
        retry_failures=retry_failures,
    )


def test_start_counts_the_failed_runs_it_forgets(tmp_path: Path) -> None:
    with ResultsDB(tmp_path / "results.sqlite") as db:
        fill(db)
        campaign = start(db, retry_failures=True)
        # the two failures of "e" (replications 0 and 2) are forgotten, not other's
        assert campaign.retried == 2
        assert db.keys("e", status=None) == {"e/0/on/1/5"}
        assert db.keys("other", status=None) == {"other/0/on/0/5"}


def test_start_without_retrying_forgets_nothing_and_counts_zero(tmp_path: Path) -> None:
    with ResultsDB(tmp_path / "results.sqlite") as db:
        fill(db)
        campaign = start(db, retry_failures=False)
        assert campaign.retried == 0
        assert db.keys("e", status=None) == {"e/0/on/0/5", "e/0/on/1/5", "e/0/on/2/5"}


def test_a_fresh_database_has_nothing_to_retry(tmp_path: Path) -> None:
    with ResultsDB(tmp_path / "results.sqlite") as db:
        campaign = start(db, retry_failures=True)
        assert campaign.retried == 0
        assert (campaign.experiment, campaign.label, campaign.ran) == ("e", "e", 0)
