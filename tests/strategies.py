"""Hypothesis strategies for scenario data, driven by the schema in orgsim.scenario.

Two families:

* ``valid_scenario_data()``: plain data that should load, built from each field's
  type hint and range metadata, so new fields are covered without editing this file.
* ``scenario_junk()``: anything a TOML file (or a careless caller) could hand over:
  valid keys with junk values, junk keys, junk at the top level.
"""

from __future__ import annotations

import math
import typing
from typing import Any

import attrs
from hypothesis import strategies as st

from orgsim.scenario.distributions import KINDS, Dist
from orgsim.scenario.interventions import Intervention
from orgsim.scenario.schema import (
    Broker,
    ConflictKind,
    Delivery,
    Department,
    Market,
    Scenario,
    Stage,
)

# Fields whose random values would break cross-references the round trip does not
# care about (a disabled department still named by a stage, a conflict with itself).
# Fields whose valid values depend on other fields (Scenario.check): kept at their
# defaults here; the cross-field checks have their own tests.
_HELD_FIXED = {
    (Department, "enabled"),
    (Department, "staff"),
    (Delivery, "feature_interarrival"),
    (ConflictKind, "interarrival"),
    (Market, "shift_interarrival"),
    (Broker, "praise_interarrival"),
}
_REFERENCE_FIELDS = {"initiator", "target", "department"}

_FLOAT_CAP = 1e6
_INT_CAP = 10**6


def _all_field_names() -> list[str]:
    """Every field name anywhere in the schema, to make junk that looks plausible."""
    seen: set[type] = set()
    names: set[str] = set()
    todo: list[type] = [Scenario]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for name, hint in typing.get_type_hints(cls).items():
            names.add(name)
            for arg in (hint, *typing.get_args(hint)):
                if isinstance(arg, type) and attrs.has(arg):
                    todo.append(arg)
    return sorted(names)


FIELD_NAMES = _all_field_names()


# ------------------------------------------------------------------ valid data


def _number_bounds(meta: dict[str, Any], cap: float) -> dict[str, Any]:
    low = meta.get("ge", meta.get("gt", -cap))
    high = meta.get("le", meta.get("lt", cap))
    return {
        "min_value": low,
        "max_value": high,
        "exclude_min": "gt" in meta,
        "exclude_max": "lt" in meta,
    }


def _valid_int(meta: dict[str, Any]) -> st.SearchStrategy[int]:
    low = meta["ge"] if "ge" in meta else meta["gt"] + 1 if "gt" in meta else -_INT_CAP
    high = meta["le"] if "le" in meta else meta["lt"] - 1 if "lt" in meta else _INT_CAP
    return st.integers(min_value=math.ceil(low), max_value=math.floor(high))


def _valid_float(meta: dict[str, Any]) -> st.SearchStrategy[float | int]:
    bounds = _number_bounds(meta, _FLOAT_CAP)
    floats = st.floats(allow_nan=False, allow_infinity=False, **bounds)
    # TOML's `mean = 30` is an integer; it must load as a float.
    low, high = bounds["min_value"], bounds["max_value"]
    ints = st.integers(
        min_value=math.floor(low) + 1 if bounds["exclude_min"] else math.ceil(low),
        max_value=math.ceil(high) - 1 if bounds["exclude_max"] else math.floor(high),
    )
    return floats | ints


_nonneg = st.floats(min_value=0.0, max_value=_FLOAT_CAP, allow_nan=False)
_cv = st.floats(min_value=0.01, max_value=10.0, allow_nan=False)


@st.composite
def valid_dist(draw: st.DrawFn) -> dict[str, Any]:
    """A distribution table that passes ``Dist.check``; it always names its kind."""
    kind = draw(st.sampled_from(KINDS))
    if kind == "uniform":
        low, high = sorted((draw(_nonneg), draw(_nonneg)))
        return {"kind": kind, "low": low, "high": high}
    if kind in ("exponential", "deterministic"):
        return {"kind": kind, "mean": draw(_nonneg)}
    return {"kind": kind, "mean": draw(_nonneg), "cv": draw(_cv)}


_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)


def _valid_for(owner: type, name: str, hint: Any, meta: dict[str, Any]) -> st.SearchStrategy[Any]:
    if hint is bool:
        return st.booleans()
    if hint is int:
        return _valid_int(meta)
    if hint is float:
        return _valid_float(meta)
    if hint is str:
        if "choices" in meta:
            return st.sampled_from(meta["choices"])
        return st.text(max_size=12)
    if hint is Dist:
        return valid_dist()
    if hint == float | None:
        return st.none() | _valid_float(meta)
    if hint == int | None:
        return st.none() | _valid_int(meta)
    origin = typing.get_origin(hint)
    if origin is dict and typing.get_args(hint)[1] is Any:  # an intervention's ``set``
        return st.fixed_dictionaries({"budget.power_exponent": st.floats(0.0, 5.0)})
    if origin is dict:
        (item,) = typing.get_args(hint)[1:]
        existing = getattr(owner(), name)  # the default entries
        updates = st.fixed_dictionaries({}, optional={k: valid_table(item) for k in existing})
        new = st.dictionaries(_name.map(lambda n: "new_" + n), valid_table(item), max_size=2)
        return st.tuples(updates, new).map(lambda pair: {**pair[0], **pair[1]})
    if origin is list and typing.get_args(hint)[0] is Stage:
        return st.lists(valid_table(Stage, name_required=True), min_size=1, max_size=4).filter(
            lambda stages: len({s["name"] for s in stages}) == len(stages)
        )
    if origin is list and typing.get_args(hint)[0] is Intervention:
        # a parameter change at a day or a headcount: valid whatever else the
        # scenario says (an appointment needs the broker off at founding)
        trigger = st.one_of(
            st.fixed_dictionaries({"day": st.floats(0.0, 5000.0)}),
            st.fixed_dictionaries({"headcount": st.integers(1, 10_000)}),
        )
        change = st.fixed_dictionaries(
            {"set": st.fixed_dictionaries({"budget.power_exponent": st.floats(0.0, 5.0)})}
        )
        return st.lists(st.tuples(trigger, change).map(lambda p: {**p[0], **p[1]}), max_size=2)
    if isinstance(hint, type) and attrs.has(hint):
        return valid_table(hint)
    raise TypeError(f"no strategy for {owner.__name__}.{name}: {hint!r}")


def valid_table(cls: type, *, name_required: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """A partial table for ``cls``: any subset of its fields, each valid on its own."""
    hints = typing.get_type_hints(cls)
    optional: dict[str, st.SearchStrategy[Any]] = {}
    required: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        if (cls, field.name) in _HELD_FIXED or field.name in _REFERENCE_FIELDS:
            continue
        strategy = _valid_for(cls, field.name, hints[field.name], dict(field.metadata))
        if name_required and field.name == "name":
            required[field.name] = strategy
        else:
            optional[field.name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def valid_scenario_data() -> st.SearchStrategy[dict[str, Any]]:
    """Scenario data that loads: every value in range, cross-references intact."""
    return valid_table(Scenario)


# ------------------------------------------------------------------ junk

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from([*KINDS, "yes", "no", "engineering", "nope", ""]),
    st.datetimes(),
    st.dates(),
    st.times(),
)
_junk_keys = st.one_of(
    st.sampled_from(FIELD_NAMES),
    st.text(max_size=6),
    st.integers(min_value=-3, max_value=3),
    st.none(),
)

junk = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(_junk_keys, children, max_size=4),
    ),
    max_leaves=12,
)


def _guided(cls: type, depth: int = 0) -> st.SearchStrategy[dict[Any, Any]]:
    """A table with the right keys for ``cls`` holding valid values, junk or both."""
    hints = typing.get_type_hints(cls)
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        hint = hints[field.name]
        choices: list[st.SearchStrategy[Any]] = [
            junk,
            _valid_for(cls, field.name, hint, dict(field.metadata)),
        ]
        args = typing.get_args(hint)
        nested = [a for a in (hint, *args) if isinstance(a, type) and attrs.has(a)]
        if nested and depth < 3:
            inner = _guided(nested[0], depth + 1)
            choices.append(inner)
            choices.append(st.dictionaries(_name, inner, max_size=2))
            choices.append(st.lists(inner, max_size=3))
        optional[field.name] = st.one_of(*choices)
    guided = st.fixed_dictionaries({}, optional=optional)
    extra = st.dictionaries(_junk_keys, junk, max_size=2)
    return st.tuples(guided, extra).map(lambda pair: {**pair[1], **pair[0]})


def scenario_junk() -> st.SearchStrategy[Any]:
    """Anything at all, mostly shaped like a scenario so the walk goes deep."""
    return st.one_of(_guided(Scenario), junk, valid_scenario_data())


__all__ = [
    "FIELD_NAMES",
    "junk",
    "scenario_junk",
    "valid_dist",
    "valid_scenario_data",
    "valid_table",
]
