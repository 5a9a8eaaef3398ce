"""Uncertain parameters: their sources and notes, and replacing values inside lists."""

from __future__ import annotations

import attrs

from orgsim.scenario.distributions import lognormal, uniform
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario
from orgsim.scenario.uncertainty import Uncertain, uncertain_parameters


def by_path(sc: Scenario) -> dict[str, Uncertain]:
    return {u.path: u for u in uncertain_parameters(sc)}


def test_an_entry_carries_its_source_and_note() -> None:
    u = by_path(Scenario())
    assert u["talent.time_to_hire"] == Uncertain(
        path="talent.time_to_hire",
        value=45.0,
        low=30.0,
        high=60.0,
        integer=False,
        distribution=True,
        source="shrm-2016",
        note="42 days to fill; engineering 49, sales 38",
    )
    # an assumed constant with no note
    assert u["budget.headroom"] == Uncertain(
        path="budget.headroom", value=1.04, low=1.0, high=1.15, source="assumed", note=""
    )


def test_apply_inside_the_stage_list_changes_that_stage_only() -> None:
    sc = Scenario()
    build = by_path(sc)["delivery.stages.1.effort"]
    changed = build.apply(sc, 300.0)
    old = sc.delivery.stages
    # spec, build (mean 260 -> 300, cv 0.6 kept), test, launch
    assert changed.delivery.stages == [
        old[0],
        attrs.evolve(old[1], effort=lognormal(300.0, 0.6)),
        old[2],
        old[3],
    ]
    assert sc.delivery.stages[1].effort == lognormal(260.0, 0.6)  # the original is untouched


def test_apply_to_the_first_and_last_stage() -> None:
    sc = Scenario()
    u = by_path(sc)
    old = sc.delivery.stages
    first = u["delivery.stages.0.effort"].apply(sc, 50.0).delivery.stages
    assert first == [attrs.evolve(old[0], effort=lognormal(50.0, 0.5)), *old[1:]]
    last = u["delivery.stages.3.effort"].apply(sc, 70.0).delivery.stages
    assert last == [*old[:3], attrs.evolve(old[3], effort=lognormal(70.0, 0.5))]


def test_a_uniform_of_zero_width_at_zero_stays_at_zero() -> None:
    sc = parse_scenario({"delivery": {"due_in": {"kind": "uniform", "low": 0, "high": 0}}})
    due = by_path(sc)["delivery.due_in"]
    assert (due.value, due.low, due.high) == (0.0, 0.0, 0.0)  # x2/3 to x1.5 of 0
    # nothing to scale: mean 0 has no factor to a new mean, the range stays 0..0
    assert due.apply(sc, 10.0).delivery.due_in == uniform(0.0, 0.0)


def test_apply_scales_a_uniform_to_the_new_mean() -> None:
    sc = parse_scenario({"delivery": {"due_in": {"kind": "uniform", "low": 100, "high": 300}}})
    # mean 200 -> 100: factor 0.5, exact in binary
    assert by_path(sc)["delivery.due_in"].apply(sc, 100.0).delivery.due_in == uniform(50.0, 150.0)
