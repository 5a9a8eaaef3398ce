"""tornado: a too-large run is refused by the scenario's name; progress sees every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments import tornado as tornado_module
from orgsim.experiments.tornado import tornado
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.uncertainty import uncertain_parameters
from orgsim.storage.results import RunRecord

HUGE = [
    f"departments.{d}.staff=100000"
    for d in ("engineering", "qa", "marketing", "sales", "support", "product")
] + ["horizon=36500", "budget.cash=1e12"]
"""600,000 people over a century: one run takes days (see test_limits.py)."""


def test_a_tornado_of_a_huge_run_names_the_scenario(tmp_path: Path) -> None:
    sc = load_scenario("midsize", HUGE)
    out = tmp_path / "t"
    with pytest.raises(ExperimentError) as info:
        tornado(sc, screen=2, runs=2, top=1, executor="serial", out=out)
    message = str(info.value)
    assert message.startswith("this tornado is too large: one run of midsize is ~"), message
    assert not out.exists()


def test_progress_is_called_once_for_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = parse_scenario({"name": "small", "horizon": 20.0})
    one = uncertain_parameters(sc)[:1]
    monkeypatch.setattr(tornado_module, "uncertain_parameters", lambda s: one)
    seen: list[RunRecord] = []
    result = tornado(
        sc, screen=2, runs=2, top=1, executor="serial", out=tmp_path / "t", progress=seen.append
    )
    # 3 points (base, low, high) x 2 replications x 2 arms = 12 runs, all at screening;
    # measuring at runs == screen reuses them
    assert len(seen) == 12 == result.ran
    assert sorted((r.point, r.replication, r.arm) for r in seen) == sorted(
        (p, rep, arm) for p in range(3) for rep in range(2) for arm in ("on", "off")
    )
