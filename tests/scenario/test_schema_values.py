"""The schema's helpers: param(), which fields a conflict kind uses, with_broker, digest."""

from __future__ import annotations

import hashlib
import json

import attrs

from orgsim.scenario.convert import unstructure
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Growth, Scenario, Structure, param
from orgsim.scenario.uncertainty import uncertain_parameters

# ------------------------------------------------------------------ param()


def test_param_holds_a_plain_default_with_its_doc_and_limits() -> None:
    c = attrs.make_class("C", {"x": param(3, "three of them", ge=0, le=9)})
    field = attrs.fields(c).x
    assert dict(field.metadata) == {"doc": "three of them", "ge": 0, "le": 9}
    assert field.default == 3
    assert c().x == 3


def test_param_without_a_doc_has_an_empty_one() -> None:
    c = attrs.make_class("C", {"x": param(1.5)})
    assert dict(attrs.fields(c).x.metadata) == {"doc": ""}
    assert c().x == 1.5


def test_a_mutable_default_is_a_fresh_deep_copy_per_instance() -> None:
    default = {"a": [1, 2]}
    c = attrs.make_class("C", {"x": param(default, "a table", ge=1)})
    assert dict(attrs.fields(c).x.metadata) == {"doc": "a table", "ge": 1}
    first, second = c(), c()
    assert first.x == second.x == {"a": [1, 2]}
    # neither the table nor the list inside it is shared, with each other or the default
    assert first.x is not second.x and first.x is not default
    assert first.x["a"] is not second.x["a"] and first.x["a"] is not default["a"]
    first.x["a"].append(3)
    assert second.x == {"a": [1, 2]} and default == {"a": [1, 2]}


def test_an_attrs_default_is_copied_per_instance() -> None:
    default = Structure(span_of_control=5.0)
    c = attrs.make_class("C", {"x": param(default, "span")})
    one = c()
    assert one.x == Structure(span_of_control=5.0)
    assert one.x is not default and one.x is not c().x
    assert dict(attrs.fields(c).x.metadata) == {"doc": "span"}


# ------------------------------------------------------------- ConflictKind.uses


def test_a_doc_with_two_colons_still_names_its_effect() -> None:
    # incident_cost: "extra_work: what one privacy incident costs ... (IBM 2024: $4.88M)"
    sc = Scenario()
    assert sc.conflicts.kinds["custom_work"].uses("incident_cost")  # extra_work
    assert not sc.conflicts.kinds["poaching"].uses("incident_cost")  # transfer
    assert not sc.conflicts.kinds["budget_dispute"].uses("incident_cost")  # budget
    paths = {u.path for u in uncertain_parameters(sc)}
    assert "conflicts.kinds.custom_work.incident_cost" in paths
    assert "conflicts.kinds.poaching.incident_cost" not in paths


def test_uses_by_effect() -> None:
    kinds = Scenario().conflicts.kinds
    transfer, budget = kinds["poaching"], kinds["budget_dispute"]
    # "transfer: ..." only for transfers; "(budget: unused)" for all but budget
    assert transfer.uses("transfer_count") and not budget.uses("transfer_count")
    assert transfer.uses("interarrival") and not budget.uses("interarrival")
    # undocumented-by-effect fields matter to every kind
    assert transfer.uses("severity") and budget.uses("severity")


# ------------------------------------------------------------------ with_broker


def test_with_broker_switches_only_the_broker() -> None:
    sc = parse_scenario({"broker": {"mediators": 3}, "seed": 9})
    off = sc.with_broker(False)
    assert off == attrs.evolve(sc, broker=attrs.evolve(sc.broker, enabled=False))
    assert off.broker.enabled is False and off.broker.mediators == 3 and off.seed == 9
    assert sc.broker.enabled is True  # the original is untouched
    on = off.with_broker(True)
    assert on == sc and on.broker.enabled is True


# ------------------------------------------------------------------ digest


def expected_digest(sc: Scenario) -> str:
    """The documented digest: sha256 of the compact, key-sorted JSON, 16 hex digits.

    Sections new since scenarios were first stored are left out while they hold
    their defaults (``growth``, ``interventions``), so that older scenarios keep
    their digests.
    """
    data = unstructure(sc)
    if sc.growth == Growth():
        del data["growth"]
    if not sc.interventions:
        del data["interventions"]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_digest_is_the_sha256_of_the_sorted_compact_json() -> None:
    sc = Scenario()
    d = sc.digest()
    assert d == expected_digest(sc)
    assert len(d) == 16 and set(d) <= set("0123456789abcdef")
    assert Scenario().digest() == d  # stable: same scenario, same digest


def test_digest_ignores_the_order_a_file_lists_departments_in() -> None:
    sc = Scenario()
    reordered = attrs.evolve(sc, departments=dict(reversed(sc.departments.items())))
    assert list(reordered.departments) != list(sc.departments)
    assert reordered == sc
    assert reordered.digest() == sc.digest()


def test_digest_changes_with_any_value() -> None:
    sc = Scenario()
    assert attrs.evolve(sc, seed=2).digest() != sc.digest()
    assert sc.with_broker(False).digest() != sc.digest()
    assert parse_scenario({"departments": {"qa": {"staff": 41}}}).digest() != sc.digest()
