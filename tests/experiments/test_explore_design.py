"""The ensemble's design: stratified samples, distributions mapped by hand, seeds, tasks."""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pytest

from orgsim.errors import ScenarioError
from orgsim.experiments.explore.design import (
    build_tasks,
    design_points,
    point_scenarios,
    point_seed,
    uncertainty_columns,
    unit_sample,
)
from orgsim.experiments.explore.spec import parse_explore, point_scenario
from orgsim.experiments.explore.uncertainties import Uncertainty

SPEC: dict[str, Any] = {
    "name": "design",
    "base": "startup",
    "points": 8,
    "replications": 3,
    "seed": 11,
    "overrides": {"horizon": 120.0},
    "uncertainties": [
        {"path": "conflicts.drag"},
        {"path": "scale", "low": 0.5, "high": 4.0, "distribution": "log-uniform"},
        {"path": "conflicts.kinds.poaching.transfer_count", "low": 1, "high": 4},
        {"path": "broker.mediation"},
    ],
    "levers": {"off": {"broker.enabled": False}, "vp": {"broker.mediators": 1}},
}


def test_lhs_puts_one_point_in_each_stratum_of_every_column() -> None:
    spec = parse_explore(SPEC)
    unit = unit_sample(spec)
    assert unit.shape == (8, 4)
    for j in range(4):
        assert sorted(np.floor(unit[:, j] * 8).astype(int)) == list(range(8))


def test_the_design_is_the_same_for_the_same_seed_and_not_for_another() -> None:
    a = unit_sample(parse_explore(SPEC))
    assert np.array_equal(a, unit_sample(parse_explore(SPEC)))
    assert not np.array_equal(a, unit_sample(parse_explore({**SPEC, "seed": 12})))


def test_sobol_takes_n_times_d_plus_2_points() -> None:
    spec = parse_explore({**SPEC, "design": "sobol", "points": 4})
    assert spec.size() == 4 * (4 + 2)
    points = design_points(spec)
    assert len(points) == 24 and [p.index for p in points] == list(range(24))
    assert spec.runs() == 24 * 2 * 3


def test_uniform_maps_linearly() -> None:
    u = Uncertainty(path="x", low=2.0, high=6.0)
    assert u.values(np.array([0.0, 0.25, 1.0])).tolist() == [2.0, 3.0, 6.0]


def test_log_uniform_maps_by_hand() -> None:
    # log10 of the value is uniform on [0, 2]: the middle is 10, a quarter is 10 ** 0.5
    u = Uncertainty(path="x", low=1.0, high=100.0, distribution="log-uniform")
    got = u.values(np.array([0.0, 0.25, 0.5, 1.0]))
    assert got == pytest.approx([1.0, math.sqrt(10.0), 10.0, 100.0], rel=1e-12)


def test_triangular_maps_by_hand() -> None:
    # on [0, 10] with mode 2: F(x) = x^2 / 20 below the mode, 1 - (10 - x)^2 / 80 above
    u = Uncertainty(path="x", low=0.0, high=10.0, distribution="triangular", mode=2.0)
    got = u.values(np.array([0.05, 0.2, 0.6]))
    assert got == pytest.approx([1.0, 2.0, 10.0 - math.sqrt(32.0)], rel=1e-9)


def test_truncated_normal_maps_by_hand() -> None:
    # N(0, 1) truncated to [-1, 1]: F(x) = (Phi(x) - Phi(-1)) / (Phi(1) - Phi(-1))
    def phi(x: float) -> float:
        return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

    u = Uncertainty(path="x", low=-1.0, high=1.0, distribution="normal", mean=0.0, sd=1.0)
    at = (phi(0.5) - phi(-1.0)) / (phi(1.0) - phi(-1.0))
    got = u.values(np.array([0.0, 0.5, at, 1.0]))
    assert got == pytest.approx([-1.0, 0.0, 0.5, 1.0], abs=1e-9)


def test_integers_round_and_each_gets_an_equal_share() -> None:
    # widened to [0.5, 4.5]: a quarter of the unit interval per integer
    u = Uncertainty(path="x", low=1.0, high=4.0, integer=True)
    got = u.values(np.array([0.0, 0.2499, 0.25, 0.5, 0.7499, 0.75, 1.0]))
    assert got.tolist() == [1.0, 1.0, 2.0, 3.0, 3.0, 4.0, 4.0]
    assert u.value(0.6) == 3 and isinstance(u.value(0.6), int)


def test_integer_triangular_rounds_to_the_nearest() -> None:
    u = Uncertainty(path="x", low=0.0, high=10.0, distribution="triangular", mode=2.0, integer=True)
    assert u.values(np.array([0.05, 0.6])).tolist() == [1.0, 4.0]  # 1.0 and 4.34


def test_points_carry_their_values_and_integers_stay_integers() -> None:
    spec = parse_explore(SPEC)
    points = design_points(spec)
    unit = unit_sample(spec)
    for p, row in zip(points, unit, strict=True):
        assert p.unit == tuple(row)
        assert isinstance(p.values["conflicts.kinds.poaching.transfer_count"], int)
        assert 0.1 <= p.values["conflicts.drag"] <= 1.0
        assert p.values["conflicts.drag"] == pytest.approx(0.1 + 0.9 * row[0])
        assert p.values["scale"] == pytest.approx(0.5 * 8.0 ** row[1])
    x = uncertainty_columns(spec, points)
    assert list(x) == list(spec.names) and x["scale"].shape == (8,)


def test_a_point_scenario_is_the_lever_then_the_values_then_the_scale() -> None:
    spec = parse_explore(SPEC)
    vp = spec.lever("vp")
    values = {
        "conflicts.drag": 0.7,
        "scale": 2.0,
        "conflicts.kinds.poaching.transfer_count": 3,
        "broker.mediation": 15.0,
    }
    sc = point_scenario(vp, spec.uncertainties, values)
    base = spec.scenario
    assert sc.broker.mediators == 1 and sc.broker.enabled
    assert sc.conflicts.drag == 0.7
    assert sc.conflicts.kinds["poaching"].transfer_count == 3
    assert sc.broker.mediation.expected == pytest.approx(15.0)
    assert sc.broker.mediation.kind == base.broker.mediation.kind  # rescaled, same shape
    assert sc.departments["engineering"].staff == 2 * base.departments["engineering"].staff
    assert sc.budget.cash == pytest.approx(2 * base.budget.cash)
    assert sc.horizon == 120.0


def test_every_lever_at_a_point_shares_its_seed_and_replications() -> None:
    spec = parse_explore(SPEC)
    points = design_points(spec)
    tasks = build_tasks(spec, points, point_scenarios(spec, points))
    assert len(tasks) == 8 * 2 * 3
    seeds = {t.point: t.seed for t in tasks}
    for t in tasks:
        assert t.seed == seeds[t.point]
        assert t.seed == int(np.random.SeedSequence([11, t.point]).generate_state(1)[0])
        assert t.broker is (t.arm == "vp")
        assert t.params == points[t.point].values
    assert len(set(seeds.values())) == 8  # luck differs across points
    assert point_seed(spec, 3) == seeds[3]
    keys = [(t.point, t.arm, t.replication) for t in tasks]
    assert keys[:6] == [
        (0, "off", 0),
        (0, "off", 1),
        (0, "off", 2),
        (0, "vp", 0),
        (0, "vp", 1),
        (0, "vp", 2),
    ]
    assert len({t.key for t in tasks}) == len(tasks)


def test_a_point_that_makes_a_bad_scenario_names_point_lever_and_values() -> None:
    spec = parse_explore(SPEC)
    points = design_points(spec)
    bad = [attrs.evolve(points[0], values={**points[0].values, "conflicts.drag": -1.0})]
    with pytest.raises(ScenarioError) as info:
        point_scenarios(spec, bad)
    first = info.value.problems[0]
    assert first.path == "points.0"
    assert first.message.startswith("lever 'off' at (conflicts.drag=-1, scale=")
    assert first.message.endswith("conflicts.drag: must be >= 0.0, got -1.0")
    assert len(info.value.problems) == 2  # under both levers
