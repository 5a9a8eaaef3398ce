"""Shared fixtures: a short midsize scenario and one cached pair of runs.

Property tests are derandomized by default so that CI is reproducible: the same
examples every run. To explore new ones, run with ``HYPOTHESIS_PROFILE=explore``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pytest
from hypothesis import settings

from orgsim.cli import main
from orgsim.engine.run import Run, simulate
from orgsim.scenario.schema import Scenario

settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def short_scenario() -> Scenario:
    """The midsize company over 400 days: four full quarters and a partial fifth."""
    return attrs.evolve(Scenario(), horizon=400.0)


@pytest.fixture(scope="session")
def run_pair(short_scenario: Scenario) -> dict[bool, Run]:
    """Both arms of the short scenario with seed 3, keyed by ``broker``."""
    return {arm: simulate(short_scenario, seed=3, broker=arm) for arm in (True, False)}


# ------------------------------------------------------------------ the CLI

CLI = Callable[[list[str]], int]
OneLineError = Callable[[int], str]


@pytest.fixture
def cli() -> CLI:
    """``orgsim.cli.main`` as a test calls it: the exit status, also when argparse exits."""

    def call(argv: list[str]) -> int:
        try:
            return main(argv)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            return int(exc.code or 0)

    return call


@pytest.fixture
def one_line_error(capsys: pytest.CaptureFixture[str]) -> OneLineError:
    """Check that a command failed as a user should see it: exit 2, one line, no traceback."""

    def check(rc: int) -> str:
        err = capsys.readouterr().err
        assert rc == 2, err
        assert "Traceback" not in err
        lines = err.splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("orgsim: error: ")
        return lines[0]

    return check


def watched(run: Run, times: Sequence[float], look: Callable[[Any, float], Any]) -> list[Any]:
    """Set a run up, look at its live state at each of ``times``, and run it to the end.

    ``look(state, t)`` is called at each instant (sorted ascending) while the run
    goes; a run that stops early (its company failed) gives fewer looks. The
    fold-equals-live tests compare these with the log folded at the same instants.
    """
    seen: list[Any] = []

    def watch() -> Any:
        for t in times:
            yield run.env.timeout(t - run.env.now)
            seen.append(look(run.state, float(t)))

    run.setup()
    run.env.process(watch())
    run.env.run(until=run.scenario.horizon)
    return seen
