"""check_sweep's largest run: the base run grown by each parameter's largest end.

Each test compares the estimate check_sweep makes with the estimate of the one run it
must have taken as the largest (estimate_run, whose formula has its own tests): the
base's run times the largest end's ratio to it is that end's own run.
"""

from __future__ import annotations

from typing import Any

import pytest

from orgsim.experiments import limits
from orgsim.experiments.sweep.spec import parse_sweep, point_tree
from orgsim.scenario.convert import unstructure
from orgsim.scenario.loading import parse_scenario

PATH = "conflicts.intensity"


def spec_of(levels: list[float], **overrides: Any) -> Any:
    return parse_sweep(
        {
            "base": "midsize",
            "replications": 2,
            "overrides": {"horizon": 100.0, **overrides},
            "parameters": [{"path": PATH, "levels": levels}],
        }
    )


def run_at(spec: Any, values: dict[str, Any], scale: float = 1.0) -> limits.RunEstimate:
    tree = unstructure(spec.scenario)
    return limits.estimate_run(parse_scenario(point_tree(tree, values, scale)))


def test_a_short_base_run_is_grown_by_the_largest_end() -> None:
    spec = spec_of([0.5, 2.0])
    base = limits.estimate_run(spec.scenario)
    high = run_at(spec, {PATH: 2.0})
    # a short run: well under a second, and more conflicts make it longer
    assert 0 < base.seconds < 1 and high.events > base.events
    found = limits.check_sweep(spec)
    # base x (high / base) = high, to rounding
    assert found.run.events == pytest.approx(high.events, rel=1e-12)
    assert found.run.seconds == pytest.approx(high.seconds, rel=1e-12)
    assert found.run.memory == pytest.approx(high.memory, rel=1e-12)
    assert found.runs == 8  # 2 points x 2 arms x 2 replications


def test_ends_that_shrink_the_run_leave_the_base_and_a_fixed_scale_resizes_it() -> None:
    spec = spec_of([0.5, 0.8], scale=2.0)
    scaled = run_at(spec, {}, scale=2.0)
    unscaled = limits.estimate_run(spec.scenario)
    assert scaled.events > unscaled.events  # twice the company
    # both ends have fewer conflicts than the base (intensity 1): no growth
    assert all(run_at(spec, {PATH: v}, 2.0).events < scaled.events for v in (0.5, 0.8))
    found = limits.check_sweep(spec)
    assert found.run.events == pytest.approx(scaled.events, rel=1e-12)
    assert found.run.seconds == pytest.approx(scaled.seconds, rel=1e-12)


def test_many_listed_levels_are_estimated_at_an_even_sample_and_the_last() -> None:
    # 25 levels: step 25 / 20 = 1.25, so indices int(1.25 i) for i < 20 and the last:
    # 0 1 2 3 5 6 7 8 10 ... 23, 24; index 4 is skipped. Put the largest level there.
    levels = [k / 10 for k in range(1, 26)]
    levels[4] = 5.0
    spec = spec_of(levels)
    last = run_at(spec, {PATH: 2.5})
    skipped = run_at(spec, {PATH: 5.0})
    assert skipped.events > last.events > limits.estimate_run(spec.scenario).events
    found = limits.check_sweep(spec)
    assert found.run.events == pytest.approx(last.events, rel=1e-12)
    assert found.points == 25
