"""Every number of the schema is grounded or marked uncertain, with a range.

The grounding table (:mod:`orgsim.scenario.grounding`) is checked against the
schema it describes, written independently of it: every numeric and distribution
field of every scenario class has an entry, ranges lie inside what validation
accepts and contain the defaults and the bundled scenarios' values, and every
cited source exists. :mod:`orgsim.scenario.uncertainty` is checked by hand.
"""

from __future__ import annotations

import typing

import attrs
import pytest

from orgsim.experiments.runner import load_scenario
from orgsim.scenario import schema
from orgsim.scenario.convert import unstructure
from orgsim.scenario.distributions import Dist, gamma
from orgsim.scenario.grounding import (
    ASSUMED,
    GROUNDINGS,
    SOURCES,
    grounding_of,
    plausible,
    relative,
)
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario
from orgsim.scenario.uncertainty import uncertain_parameters

CLASSES = [
    schema.Scenario,
    schema.Department,
    schema.Stage,
    schema.Delivery,
    schema.Market,
    schema.Budget,
    schema.Talent,
    schema.ConflictKind,
    schema.Conflicts,
    schema.Negotiation,
    schema.Ceo,
    schema.Broker,
    schema.Structure,
    schema.Support,
    schema.Growth,
]


def numbers(cls: type) -> list[attrs.Attribute]:  # type: ignore[type-arg]
    """The fields of a schema class that hold a number or a distribution."""
    hints = typing.get_type_hints(cls)
    return [f for f in attrs.fields(cls) if hints[f.name] in (int, float, Dist)]


def test_the_schema_classes_are_all_listed() -> None:
    found = {
        obj
        for obj in vars(schema).values()
        if isinstance(obj, type) and attrs.has(obj) and obj.__module__ == schema.__name__
    }
    assert found == set(CLASSES)


def test_every_number_is_grounded_and_no_entry_is_stale() -> None:
    wanted = {f"{cls.__name__}.{f.name}" for cls in CLASSES for f in numbers(cls)}
    assert wanted - set(GROUNDINGS) == set(), "numbers with no grounding"
    assert set(GROUNDINGS) - wanted == set(), "groundings of no such number"


@pytest.mark.parametrize("key", sorted(GROUNDINGS))
def test_a_range_fits_what_validation_accepts(key: str) -> None:
    g = GROUNDINGS[key]
    if g.structural:
        return
    assert g.source == ASSUMED or g.source in SOURCES, g.source
    cls_name, name = key.split(".")
    field = attrs.fields_dict(getattr(schema, cls_name))[name]
    if g.relative:
        assert g.low <= 1.0 <= g.high
        return
    limits = field.metadata
    assert g.low <= g.high
    assert g.low >= limits.get("ge", limits.get("gt", -float("inf")))
    assert g.high <= limits.get("le", limits.get("lt", float("inf")))


@pytest.mark.parametrize("name", ["default", "startup", "midsize", "enterprise"])
def test_defaults_and_bundled_values_are_plausible(name: str) -> None:
    sc = Scenario() if name == "default" else load_scenario(name)
    outside = [
        (u.path, u.value, u.low, u.high)
        for u in uncertain_parameters(sc)
        if not u.low - 1e-12 <= u.value <= u.high + 1e-12
    ]
    assert outside == []


def test_the_constructors_refuse_ranges_that_say_nothing() -> None:
    with pytest.raises(ValueError, match="empty"):
        plausible(2.0, 1.0)
    with pytest.raises(ValueError, match="contain"):
        relative(1.2, 2.0)
    assert plausible(0.1, 0.5).bounds(123.0) == (0.1, 0.5)
    assert relative(0.5, 2.0).bounds(30.0) == (15.0, 60.0)
    assert plausible(0.1, 0.5).describe() == "0.1 to 0.5"
    assert relative(0.5, 2.0).describe() == "×0.5 to ×2"


# ------------------------------------------------------------------ uncertainty


def test_the_list_leaves_out_structure_and_what_an_entry_does_not_use() -> None:
    paths = {u.path for u in uncertain_parameters(Scenario())}
    assert "conflicts.drag" in paths and "talent.time_to_hire" in paths
    assert "departments.qa.bias" in paths and "delivery.stages.1.effort" in paths
    assert "departments.qa.staff" not in paths and "horizon" not in paths
    assert "broker.mediators" not in paths and "ceo.hours_per_week" in paths
    # custom_work imposes extra work: no transfer count; budget disputes have no arrivals
    assert "conflicts.kinds.custom_work.effort" in paths
    assert "conflicts.kinds.custom_work.transfer_count" not in paths
    assert "conflicts.kinds.poaching.transfer_count" in paths
    assert "conflicts.kinds.budget_dispute.interarrival" not in paths
    off = parse_scenario(
        {
            "departments": {"support": {"enabled": False}},
            "conflicts": {"kinds": {"poaching": {"enabled": False}}},
        }
    )
    left = {u.path for u in uncertain_parameters(off)}
    gone = ("departments.support.", "conflicts.kinds.poaching.")
    assert not any(p.startswith(gone) for p in left)


def test_a_value_is_resolved_against_the_scenario() -> None:
    u = {x.path: x for x in uncertain_parameters(Scenario())}
    hire = u["talent.time_to_hire"]
    assert (hire.value, hire.low, hire.high, hire.distribution) == (45.0, 30.0, 60.0, True)
    build = u["delivery.stages.1.effort"]  # ×0.5 to ×2 of the build's mean 260
    assert (build.value, build.low, build.high) == (260.0, 130.0, 520.0)
    assert u["conflicts.kinds.poaching.transfer_count"].integer


def test_apply_sets_one_value_and_keeps_the_rest() -> None:
    sc = Scenario()
    u = {x.path: x for x in uncertain_parameters(sc)}
    hire = u["talent.time_to_hire"].apply(sc, 30.0)
    assert hire.talent.time_to_hire == gamma(30.0, 0.5)  # same kind and cv, new mean
    due = u["delivery.due_in"].apply(sc, 240.0)  # uniform 90..270 scaled by 240/180
    assert (due.delivery.due_in.low, due.delivery.due_in.high) == pytest.approx((120.0, 360.0))
    bias = u["departments.qa.bias"].apply(sc, 0.5)
    assert bias.departments["qa"].bias == 0.5
    assert bias.departments["sales"].bias == sc.departments["sales"].bias
    moved = u["conflicts.kinds.poaching.transfer_count"].apply(sc, 3.6)
    assert moved.conflicts.kinds["poaching"].transfer_count == 4
    assert sc == Scenario()  # nothing shared, nothing changed in place
    for changed in (hire, due, bias, moved):
        assert parse_scenario(unstructure(changed)) == changed  # still a valid scenario


def test_grounding_of_knows_the_classes() -> None:
    assert grounding_of(schema.Conflicts, "drag") is GROUNDINGS["Conflicts.drag"]
    assert grounding_of(schema.Conflicts, "kinds") is None
    assert grounding_of(schema.Department, "staff").structural  # type: ignore[union-attr]
