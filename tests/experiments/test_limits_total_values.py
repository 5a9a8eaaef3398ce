"""limits.check at the total-time limit: exactly MAX_TOTAL_SECONDS passes, a hair over does not."""

from __future__ import annotations

import math

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments import limits
from orgsim.experiments.limits import MAX_TOTAL_SECONDS, Estimate, RunEstimate


def total(seconds: float) -> Estimate:
    # two small runs (one event, one second each: far below every per-run limit, no
    # memory), with the command's total time set directly to ``seconds``
    run = RunEstimate(events=1.0, seconds=1.0, memory=0.0, record=0.0)
    return Estimate(what="this comparison", runs=2, points=1, run=run, seconds=seconds, memory=0.0)


def test_a_total_of_exactly_the_limit_is_not_refused() -> None:
    found = total(MAX_TOTAL_SECONDS)  # 24 h = 86400 s exactly: "past a limit" is strict
    assert found.seconds == 86_400.0
    assert limits.check(found) is found


def test_a_total_just_past_the_limit_is_refused_with_its_numbers() -> None:
    found = total(math.nextafter(MAX_TOTAL_SECONDS, math.inf))
    with pytest.raises(ExperimentError) as info:
        limits.check(found)
    assert str(info.value) == (
        "this comparison is too large: ~24.0 h of runs on one core (limit 24.0 h); "
        "pass --allow-large to run it anyway (see docs/cli.md, Limits)"
    )
