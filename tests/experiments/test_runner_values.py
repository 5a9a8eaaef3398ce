"""run_scenario: the seed it reports, and what it stores with the run."""

from __future__ import annotations

import math
from pathlib import Path

from orgsim.experiments.runner import run_scenario
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.eventstore import EventStore

SHORT = {"horizon": 30.0, "seed": 5}


def test_the_result_carries_the_seed_given_or_the_scenarios() -> None:
    sc = parse_scenario(SHORT)
    assert run_scenario(sc, seed=7).seed == 7
    assert run_scenario(sc).seed == 5  # the scenario's own


def test_a_stored_run_keeps_its_scenario_and_provenance(tmp_path: Path) -> None:
    sc = parse_scenario(SHORT)
    db = tmp_path / "sub" / "runs.sqlite"  # its folder is made
    result = run_scenario(sc, seed=7, broker=False, db=db, command=["orgsim", "run", "x"])
    assert result.run_id is not None and result.db == db
    with EventStore(db, readonly=True) as store:
        info = store.run(result.run_id)
        saved = store.scenario(result.run_id)
    assert saved == result.scenario.to_dict()  # the resolved scenario, broker off
    assert saved is not None and saved["broker"]["enabled"] is False
    assert (info.seed, info.broker, info.events) == (7, False, len(result.log))
    meta = info.metadata
    assert sorted(meta) == ["command", "elapsed", "metrics", "versions"]
    assert meta["command"] == ["orgsim", "run", "x"]
    assert meta["elapsed"] == result.elapsed  # a float survives JSON exactly
    stored = meta["metrics"]
    assert sorted(stored) == sorted(result.metrics)
    # NaN (a quantile of nothing) is stored as NaN; every other value exactly
    assert all(
        math.isnan(v) if math.isnan(result.metrics[k]) else v == result.metrics[k]
        for k, v in stored.items()
    )
