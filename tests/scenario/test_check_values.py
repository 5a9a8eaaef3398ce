"""Scenario.check: every cross-field problem, its exact dotted path and message (issue 12).

Each test builds the smallest scenario that trips one check and a neighbour that does
not. ``base()`` is a one-department company ("product" does everything) with no
conflict kinds, which ``check()`` accepts: every test below changes one thing of it.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from orgsim.errors import ScenarioError
from orgsim.scenario.distributions import Dist
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import ConflictKind, Department, Scenario, Stage

NOT_POSITIVE = "must be > 0 for an arrival process"


def base(**changes: Any) -> Scenario:
    s = Scenario()
    s = attrs.evolve(
        s,
        departments={"product": Department()},
        delivery=attrs.evolve(s.delivery, stages=[Stage(name="spec", department="product")]),
        conflicts=attrs.evolve(s.conflicts, kinds={}),
        broker=attrs.evolve(s.broker, department="product"),
        support=attrs.evolve(s.support, department="product"),
    )
    return attrs.evolve(s, **changes)


def with_stages(s: Scenario, *stages: Stage) -> Scenario:
    return attrs.evolve(s, delivery=attrs.evolve(s.delivery, stages=list(stages)))


def with_kinds(s: Scenario, **kinds: ConflictKind) -> Scenario:
    return attrs.evolve(s, conflicts=attrs.evolve(s.conflicts, kinds=kinds))


def exp(mean: float) -> Dist:
    return Dist(kind="exponential", mean=mean)


def test_the_base_and_the_default_scenario_pass() -> None:
    assert base().check() == []
    assert Scenario().check() == []


# ------------------------------------------------------------------ departments


def test_no_enabled_department() -> None:
    # product disabled; support still names a department that exists (disabled is fine),
    # the broker is off, but the stage's department is no longer enabled.
    s = base(
        departments={"product": Department(enabled=False)},
        broker=attrs.evolve(Scenario().broker, enabled=False, department="product"),
    )
    assert s.check() == [
        ("departments", "at least one department must be enabled"),
        (
            "delivery.stages.0.department",
            "'product' is not an enabled department (enabled: none)",
        ),
    ]


def test_a_stage_in_an_unknown_department_lists_the_enabled_ones() -> None:
    s = base(departments={"product": Department(), "qa": Department()})
    s = with_stages(s, Stage(name="spec", department="product"), Stage(name="t", department="ops"))
    # the enabled list is sorted and comma-separated
    assert s.check() == [
        (
            "delivery.stages.1.department",
            "'ops' is not an enabled department (enabled: product, qa)",
        )
    ]


def test_a_stage_in_a_disabled_department() -> None:
    s = base(departments={"product": Department(), "qa": Department(enabled=False)})
    s = with_stages(s, Stage(name="test", department="qa"))
    assert s.check() == [
        ("delivery.stages.0.department", "'qa' is not an enabled department (enabled: product)")
    ]


# ------------------------------------------------------------------ stages


def test_no_stage() -> None:
    assert with_stages(base()).check() == [("delivery.stages", "at least one stage is needed")]


def test_repeated_stage_names_list_them_all() -> None:
    s = with_stages(
        base(),
        Stage(name="spec", department="product"),
        Stage(name="build", department="product"),
        Stage(name="spec", department="product"),
    )
    assert s.check() == [("delivery.stages", "stage names repeat: ['spec', 'build', 'spec']")]
    # the neighbour: distinct names pass
    s2 = with_stages(
        base(),
        Stage(name="spec", department="product"),
        Stage(name="build", department="product"),
    )
    assert s2.check() == []


def test_a_stage_in_a_department_with_no_staff() -> None:
    # staff 0 is the boundary (>= 1 needed); staff 1 passes.
    s = base(departments={"product": Department(staff=0)})
    assert s.check() == [("departments.product.staff", "must be >= 1: it does stage 'spec'")]
    assert base(departments={"product": Department(staff=1)}).check() == []


def test_no_staff_is_named_once_per_stage() -> None:
    s = base(departments={"product": Department(staff=0)})
    s = with_stages(
        s, Stage(name="spec", department="product"), Stage(name="build", department="product")
    )
    assert s.check() == [
        ("departments.product.staff", "must be >= 1: it does stage 'spec'"),
        ("departments.product.staff", "must be >= 1: it does stage 'build'"),
    ]


def test_no_staff_in_a_disabled_department_is_only_the_disabled_problem() -> None:
    s = base(departments={"product": Department(), "qa": Department(enabled=False, staff=0)})
    s = with_stages(s, Stage(name="test", department="qa"))
    assert s.check() == [
        ("delivery.stages.0.department", "'qa' is not an enabled department (enabled: product)")
    ]


# ------------------------------------------------------------------ conflicts

TWO = {"product": Department(), "qa": Department()}


def kind(**changes: Any) -> ConflictKind:
    return ConflictKind(**{"initiator": "product", "target": "qa", **changes})


def test_a_valid_conflict_kind_passes() -> None:
    assert with_kinds(base(departments=TWO), k=kind()).check() == []


@pytest.mark.parametrize("side", ["initiator", "target"])
def test_a_conflict_side_in_an_unknown_department(side: str) -> None:
    s = with_kinds(base(departments=TWO), k=kind(**{side: "ops"}))
    assert s.check() == [
        (f"conflicts.kinds.k.{side}", "'ops' is not an enabled department (enabled: product, qa)")
    ]


def test_both_conflict_sides_unknown_are_both_named() -> None:
    s = with_kinds(base(departments=TWO), k=kind(initiator="ops", target="hr"))
    assert s.check() == [
        (
            "conflicts.kinds.k.initiator",
            "'ops' is not an enabled department (enabled: product, qa)",
        ),
        ("conflicts.kinds.k.target", "'hr' is not an enabled department (enabled: product, qa)"),
    ]


def test_a_conflict_with_itself() -> None:
    s = with_kinds(base(departments=TWO), k=kind(target="product"))
    assert s.check() == [("conflicts.kinds.k.target", "must differ from the initiator")]


def test_a_disabled_conflict_kind_is_not_judged() -> None:
    s = with_kinds(
        base(departments=TWO),
        k=kind(enabled=False, initiator="ops", target="ops", interarrival=exp(0.0)),
    )
    assert s.check() == []


def test_a_budget_dispute_is_not_judged_on_its_sides_or_arrivals() -> None:
    s = with_kinds(
        base(departments=TWO),
        k=kind(effect="budget", initiator="ops", target="ops", interarrival=exp(0.0)),
    )
    assert s.check() == []


def test_a_conflict_kind_with_no_arrivals() -> None:
    s = with_kinds(base(departments=TWO), k=kind(interarrival=exp(0.0)))
    assert s.check() == [("conflicts.kinds.k.interarrival.mean", "must be > 0 for arrivals")]
    # the smallest positive mean passes
    assert with_kinds(base(departments=TWO), k=kind(interarrival=exp(1e-9))).check() == []


def test_every_conflict_kind_is_judged() -> None:
    s = with_kinds(
        base(departments=TWO),
        a=kind(target="product"),
        b=kind(interarrival=exp(0.0)),
        c=kind(initiator="ops"),
    )
    assert s.check() == [
        ("conflicts.kinds.a.target", "must differ from the initiator"),
        (
            "conflicts.kinds.c.initiator",
            "'ops' is not an enabled department (enabled: product, qa)",
        ),
        ("conflicts.kinds.b.interarrival.mean", "must be > 0 for arrivals"),
    ]


# ------------------------------------------------------------------ arrivals


def test_features_with_no_arrivals() -> None:
    s = base()
    s = attrs.evolve(s, delivery=attrs.evolve(s.delivery, feature_interarrival=exp(0.0)))
    assert s.check() == [("delivery.feature_interarrival.mean", NOT_POSITIVE)]
    s = attrs.evolve(s, delivery=attrs.evolve(s.delivery, feature_interarrival=exp(1e-9)))
    assert s.check() == []


def test_market_shifts_with_no_arrivals() -> None:
    s = base()
    s = attrs.evolve(s, market=attrs.evolve(s.market, shift_interarrival=exp(0.0)))
    assert s.check() == [("market.shift_interarrival.mean", NOT_POSITIVE)]
    s = attrs.evolve(s, market=attrs.evolve(s.market, shift_interarrival=exp(1e-9)))
    assert s.check() == []


def test_praise_with_no_arrivals_only_while_it_has_a_gain() -> None:
    s = base()
    s = attrs.evolve(
        s, broker=attrs.evolve(s.broker, praise_gain=0.02, praise_interarrival=exp(0.0))
    )
    assert s.check() == [("broker.praise_interarrival.mean", "must be > 0 while praise_gain > 0")]
    # gain 0 is the boundary: no praise, so no arrival process to judge
    s0 = attrs.evolve(s, broker=attrs.evolve(s.broker, praise_gain=0.0))
    assert s0.check() == []
    s1 = attrs.evolve(s, broker=attrs.evolve(s.broker, praise_interarrival=exp(1e-9)))
    assert s1.check() == []


# ------------------------------------------------------------------ broker and support


def test_the_broker_in_an_unknown_department() -> None:
    s = base()
    s = attrs.evolve(s, broker=attrs.evolve(s.broker, department="pm"))
    assert s.check() == [
        ("broker.department", "'pm' is not an enabled department (enabled: product)")
    ]
    # switched off, the broker's department is not judged
    assert s.with_broker(False).check() == []


def test_the_broker_in_a_disabled_department() -> None:
    s = base(departments={"product": Department(), "pm": Department(enabled=False)})
    s = attrs.evolve(s, broker=attrs.evolve(s.broker, department="pm"))
    assert s.check() == [
        ("broker.department", "'pm' is not an enabled department (enabled: product)")
    ]


def test_support_in_an_unknown_department() -> None:
    s = base()
    s = attrs.evolve(s, support=attrs.evolve(s.support, department="help"))
    assert s.check() == [
        ("support.department", "'help' is not an enabled department (enabled: product)")
    ]


def test_support_in_a_disabled_department_is_no_problem() -> None:
    s = base(departments={"product": Department(), "help": Department(enabled=False)})
    s = attrs.evolve(s, support=attrs.evolve(s.support, department="help"))
    assert s.check() == []


# ------------------------------------------------------------------ one pass


def test_every_problem_is_named_in_one_pass() -> None:
    s = base(departments={"product": Department(staff=0), "qa": Department()})
    s = with_stages(
        s,
        Stage(name="spec", department="product"),
        Stage(name="spec", department="ops"),
    )
    s = with_kinds(s, k=kind(target="product", interarrival=exp(0.0)))
    s = attrs.evolve(
        s,
        delivery=attrs.evolve(s.delivery, feature_interarrival=exp(0.0)),
        market=attrs.evolve(s.market, shift_interarrival=exp(0.0)),
        broker=attrs.evolve(s.broker, department="pm", praise_interarrival=exp(0.0)),
        support=attrs.evolve(s.support, department="help"),
    )
    enabled = "(enabled: product, qa)"
    assert s.check() == [
        ("delivery.stages.1.department", f"'ops' is not an enabled department {enabled}"),
        ("delivery.stages", "stage names repeat: ['spec', 'spec']"),
        ("conflicts.kinds.k.target", "must differ from the initiator"),
        ("delivery.feature_interarrival.mean", NOT_POSITIVE),
        ("conflicts.kinds.k.interarrival.mean", "must be > 0 for arrivals"),
        ("departments.product.staff", "must be >= 1: it does stage 'spec'"),
        ("market.shift_interarrival.mean", NOT_POSITIVE),
        ("broker.praise_interarrival.mean", "must be > 0 while praise_gain > 0"),
        ("broker.department", f"'pm' is not an enabled department {enabled}"),
        ("support.department", f"'help' is not an enabled department {enabled}"),
    ]


def test_parse_scenario_reports_the_checks_with_their_paths() -> None:
    # Through the loader: every department disabled, from a file's point of view.
    data = {"departments": {n: {"enabled": False} for n in Scenario().departments}}
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    found = [(p.path, p.message) for p in info.value.problems]
    assert ("departments", "at least one department must be enabled") in found
    assert (
        "delivery.stages.0.department",
        "'product' is not an enabled department (enabled: none)",
    ) in found
