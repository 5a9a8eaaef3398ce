"""Shared fixtures: a short midsize scenario and one cached pair of runs.

Property tests are derandomized by default so that CI is reproducible: the same
examples every run. To explore new ones, run with ``HYPOTHESIS_PROFILE=explore``.
"""

from __future__ import annotations

import os

import attrs
import pytest
from hypothesis import settings

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
