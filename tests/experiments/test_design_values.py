"""Value tests of sweep designs, seeds, tasks and the scale factor, counted by hand."""

from __future__ import annotations

import copy
from typing import Any

import attrs
import numpy as np
import pytest

from orgsim.errors import ScenarioError
from orgsim.experiments.sweep.design import (
    Point,
    build_tasks,
    design_matrix,
    design_points,
    design_size,
    iter_grid,
    level_count,
    point_scenarios,
    point_seed,
    sweep_runs,
)
from orgsim.experiments.sweep.parameter import Parameter
from orgsim.experiments.sweep.scale import apply_scale
from orgsim.experiments.sweep.spec import SweepSpec, parse_sweep
from orgsim.scenario.convert import unstructure

INTENSITY = {"path": "conflicts.intensity", "levels": [0.5, 2.0]}
MEDIATORS = {"path": "broker.mediators", "levels": [1, 3]}


def spec(parameters: list[dict[str, Any]] | None = None, **extra: Any) -> SweepSpec:
    data: dict[str, Any] = {
        "base": "midsize",
        "replications": 2,
        "parameters": parameters or [INTENSITY, MEDIATORS],
        "seed": 11,
    }
    data.update(extra)
    return parse_sweep(data)


# ------------------------------------------------------------------ level counts and sizes


@pytest.mark.parametrize(
    ("param", "count"),
    [
        (Parameter(path="x", type="choice", levels=("a", "b", "c")), 3),
        (Parameter(path="x", type="float", low=0.0, high=1.0, steps=7), 7),
        # integers 1..4 are 4 values: fewer steps give the steps, more give 4
        (Parameter(path="x", type="int", low=1, high=4, steps=3), 3),
        (Parameter(path="x", type="int", low=1, high=4, steps=4), 4),
        (Parameter(path="x", type="int", low=1, high=4, steps=5), 4),
        (Parameter(path="x", type="int", low=2, high=2, steps=5), 1),
    ],
)
def test_level_count_matches_the_grid_levels(param: Parameter, count: int) -> None:
    assert level_count(param) == count == len(param.grid_levels())


def test_design_sizes_by_design() -> None:
    grid = spec([INTENSITY, {"path": "broker.mediators", "type": "int", "low": 1, "high": 3}])
    # 2 listed levels x integers 1..3 (5 steps, 3 integers) = 6
    assert design_size(grid) == 6 == len(design_points(grid))
    # 2 arms x 2 replications x 6 points
    assert sweep_runs(grid) == 24
    three = [INTENSITY, MEDIATORS, {"path": "ceo.insight", "low": 0.2, "high": 0.8}]
    assert design_size(spec(three, design="lhs", points=5)) == 5
    assert design_size(spec(three, design="sobol", points=4)) == 4 * (3 + 2)
    assert design_size(spec(three, design="morris", points=4)) == 4 * (3 + 1)
    morris = spec(three, design="morris", points=2)
    assert len(design_points(morris)) == 2 * 4 == design_size(morris)
    # an unpaired sweep runs one arm
    assert sweep_runs(spec(paired=False)) == 4 * 2 * 1


# ------------------------------------------------------------------ grid points


def test_a_2x2_grid_varies_the_first_parameter_slowest() -> None:
    points = design_points(spec())
    assert [p.index for p in points] == [0, 1, 2, 3]
    assert [p.values for p in points] == [
        {"conflicts.intensity": 0.5, "broker.mediators": 1},
        {"conflicts.intensity": 0.5, "broker.mediators": 3},
        {"conflicts.intensity": 2.0, "broker.mediators": 1},
        {"conflicts.intensity": 2.0, "broker.mediators": 3},
    ]
    # listed levels sit at the middle of their cell: index + 0.5
    assert [p.x for p in points] == [(0.5, 0.5), (0.5, 1.5), (1.5, 0.5), (1.5, 1.5)]
    assert list(iter_grid(spec())) == points
    assert design_matrix(points).tolist() == [[0.5, 0.5], [0.5, 1.5], [1.5, 0.5], [1.5, 1.5]]


def test_a_range_grid_uses_its_values_as_coordinates() -> None:
    # 0.5 to 2.0 in 4 steps: 0.5, 1.0, 1.5, 2.0
    s = spec([{"path": "conflicts.intensity", "low": 0.5, "high": 2.0, "steps": 4}])
    points = design_points(s)
    assert [p.values["conflicts.intensity"] for p in points] == [0.5, 1.0, 1.5, 2.0]
    assert [p.x for p in points] == [(0.5,), (1.0,), (1.5,), (2.0,)]


def test_design_matrix_of_no_points_and_of_given_points() -> None:
    pts = [Point(index=0, values={}, x=(1.0, 2.0)), Point(index=1, values={}, x=(3.0, 4.0))]
    m = design_matrix(pts)
    assert m.dtype == float and m.shape == (2, 2) and m.tolist() == [[1.0, 2.0], [3.0, 4.0]]


# ------------------------------------------------------------------ sampled points


def test_lhs_points_map_their_coordinates_to_values() -> None:
    s = spec(
        [
            {"path": "broker.mediators", "type": "int", "low": 1, "high": 3},
            {"path": "conflicts.intensity", "low": 0.5, "high": 2.0},
        ],
        design="lhs",
        points=6,
    )
    points = design_points(s)
    assert [p.index for p in points] == list(range(6))
    for p in points:
        m, c = p.x
        # integers widen by half a step: [0.5, 3.5); the value is the nearest integer
        assert 0.5 <= m <= 3.5 and p.values["broker.mediators"] == int(np.floor(m + 0.5))
        assert 0.5 <= c <= 2.0 and p.values["conflicts.intensity"] == c
    # a Latin hypercube: each sixth of [0.5, 3.5) holds one point
    assert sorted(int((p.x[0] - 0.5) / 3.0 * 6) for p in points) == list(range(6))


# ------------------------------------------------------------------ seeds


def test_point_seeds_are_shared_by_default_and_derived_per_point_otherwise() -> None:
    shared = spec()
    assert [point_seed(shared, i) for i in range(3)] == [11, 11, 11]
    own = spec(crn="point")
    expected = [int(np.random.SeedSequence([11, i]).generate_state(1)[0]) for i in range(3)]
    assert [point_seed(own, i) for i in range(3)] == expected
    assert len(set(expected)) == 3


# ------------------------------------------------------------------ tasks


def test_tasks_run_in_point_arm_replication_order() -> None:
    s = spec()
    points = design_points(s)
    scenarios = point_scenarios(s, points)
    tasks = build_tasks(s, points, scenarios)
    # 4 points x 2 arms x 2 replications
    assert [(t.point, t.arm, t.replication) for t in tasks] == [
        (p, a, r) for p in range(4) for a in ("on", "off") for r in range(2)
    ]
    assert all(t.experiment == s.experiment for t in tasks)
    assert [t.params for t in tasks[::4]] == [p.values for p in points]
    assert [t.scenario_hash for t in tasks[::4]] == [sc.digest() for sc in scenarios]
    assert all(t.scenario is scenarios[t.point] for t in tasks)
    assert {t.seed for t in tasks} == {11}
    assert not any(t.keep_events for t in tasks)
    # each point's scenario carries its values
    assert [(sc.conflicts.intensity, sc.broker.mediators) for sc in scenarios] == [
        (0.5, 1),
        (0.5, 3),
        (2.0, 1),
        (2.0, 3),
    ]


def test_tasks_of_per_point_seeds() -> None:
    s = spec(crn="point")
    points = design_points(s)
    tasks = build_tasks(s, points, point_scenarios(s, points))
    assert [t.seed for t in tasks[::4]] == [point_seed(s, i) for i in range(4)]


@pytest.mark.parametrize(
    ("keep", "kept"),
    [
        ("all", [True, True, True]),
        (2, [True, True, False]),
        (1, [True, False, False]),
        (0, [False, False, False]),
        (None, [False, False, False]),
    ],
)
def test_keep_events_keeps_the_first_k_replications(keep: Any, kept: list[bool]) -> None:
    s = spec([INTENSITY], replications=3)
    points = design_points(s)[:1]
    tasks = build_tasks(s, points, point_scenarios(s, points), keep_events=keep)
    assert [t.keep_events for t in tasks] == kept + kept  # the on arm, then the off arm


def test_an_unpaired_sweep_runs_the_arm_of_each_points_scenario() -> None:
    # broker.enabled swept: the point without a broker runs "off", the other "on"
    s = spec([{"path": "broker.enabled", "levels": [False, True]}], paired=False)
    points = design_points(s)
    tasks = build_tasks(s, points, point_scenarios(s, points))
    assert [(t.point, t.arm, t.replication) for t in tasks] == [
        (0, "off", 0),
        (0, "off", 1),
        (1, "on", 0),
        (1, "on", 1),
    ]


def test_point_scenarios_apply_the_sweeps_scale() -> None:
    s = spec([INTENSITY], overrides={"scale": 2.0})
    base = s.scenario
    scenarios = point_scenarios(s, design_points(s))
    for sc in scenarios:
        for name, dept in base.departments.items():
            staff = dept.staff
            assert sc.departments[name].staff == (max(1, round(staff * 2.0)) if staff else 0)


def test_a_bad_point_is_named_with_its_values() -> None:
    s = spec([INTENSITY])
    bad = [Point(index=5, values={"conflicts.intensity": -1.0}, x=(0.0,))]
    with pytest.raises(ScenarioError) as info:
        point_scenarios(s, bad)
    text = [str(p) for p in info.value.problems]
    assert text and all(t.startswith("points.5") for t in text)
    assert "(conflicts.intensity=-1.0)" in text[0]


# ------------------------------------------------------------------ scale


def tree(**depts: int) -> dict[str, Any]:
    return {
        "departments": {name: {"staff": n} for name, n in depts.items()},
        "delivery": {"products": 3},
        "budget": {"cash": 1000.0},
    }


def test_scale_one_returns_the_tree_untouched() -> None:
    t = tree(eng=7, qa=0)
    before = copy.deepcopy(t)
    assert apply_scale(t, 1) is t and t == before
    assert apply_scale(t, 1.0) == before


def test_scale_rounds_staff_and_products_and_scales_the_cash() -> None:
    # staff 7 x 1.5 = 10.5 -> 10 (round half to even), 3 x 1.5 = 4.5 -> 4, 0 stays 0,
    # 1 x 1.5 = 1.5 -> 2; products 3 x 1.5 = 4.5 -> 4; cash 1000 x 1.5 = 1500
    t = tree(eng=7, qa=3, empty=0, one=1)
    out = apply_scale(t, 1.5)
    assert out is t
    assert {k: v["staff"] for k, v in out["departments"].items()} == {
        "eng": 10,
        "qa": 4,
        "empty": 0,
        "one": 2,
    }
    assert out["delivery"]["products"] == 4
    assert out["budget"]["cash"] == 1500.0


def test_scale_keeps_at_least_one_where_there_was_anyone() -> None:
    # 1 x 0.1 = 0.1 -> 0, kept at 1; 7 x 0.1 = 0.7 -> 1; products 3 x 0.1 = 0.3 -> 1
    out = apply_scale(tree(one=1, eng=7, empty=0), 0.1)
    assert {k: v["staff"] for k, v in out["departments"].items()} == {
        "one": 1,
        "eng": 1,
        "empty": 0,
    }
    assert out["delivery"]["products"] == 1
    assert out["budget"]["cash"] == pytest.approx(100.0, rel=1e-12)


def test_scale_without_a_budget_or_its_cash() -> None:
    no_budget = {"departments": {"eng": {"staff": 4}}, "delivery": {"products": 2}}
    assert apply_scale(no_budget, 2.0) == {
        "departments": {"eng": {"staff": 8}},
        "delivery": {"products": 4},
    }
    no_cash = {**tree(eng=4), "budget": {"headroom": 1.04}}
    assert apply_scale(no_cash, 2.0)["budget"] == {"headroom": 1.04}


def test_the_scale_of_the_bundled_scenario_through_a_point() -> None:
    s = spec([{"path": "scale", "levels": [0.5, 1.0]}])
    base = unstructure(s.scenario)
    small, same = point_scenarios(s, design_points(s))
    eng = base["departments"]["engineering"]["staff"]
    assert small.departments["engineering"].staff == max(1, round(eng * 0.5))
    assert same.departments["engineering"].staff == eng
    assert attrs.asdict(same) == attrs.asdict(s.scenario)
