"""A tornado past the limits is refused by name, with its run count, before any output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments.tornado import tornado, tornado_runs
from orgsim.scenario.loading import load_scenario


def test_a_tornado_of_too_many_runs_is_refused_naming_this_tornado(tmp_path: Path) -> None:
    sc = load_scenario("startup")
    total = tornado_runs(sc, screen=2, runs=100_000, top=10)
    assert total > 100_000
    out = tmp_path / "t"
    with pytest.raises(ExperimentError) as info:
        tornado(sc, screen=2, runs=100_000, top=10, executor="serial", out=out)
    message = str(info.value)
    assert message.startswith(f"this tornado is too large: {total:,} runs (limit 100,000)"), message
    assert re.search(r"pass --allow-large to run it anyway", message)
    assert not out.exists()
