"""Scenario objects to plain data and back: the one cattrs converter of the scenario layer.

The plain form (nested dicts, lists and scalars) is what TOML reads into, what the
validation walk merges, and what provenance hashes. Only the converter lives here,
so that :meth:`orgsim.scenario.schema.Scenario.to_dict` can use it without
reaching into the validating reader above the schema.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs
import cattrs

from orgsim.scenario.distributions import Dist

__all__ = ["structure", "unstructure"]

T = TypeVar("T")


def _make_converter() -> cattrs.Converter:
    """The converter between scenario objects and plain data.

    Unset distribution parameters are dropped when unstructuring, so the plain form
    of a distribution reads like the TOML a person would write (and TOML has no
    null to write them with).
    """
    converter = cattrs.Converter()

    def unstructure_dist(dist: Dist) -> dict[str, Any]:
        return {
            field.name: value
            for field in attrs.fields(Dist)
            if (value := getattr(dist, field.name)) is not None
        }

    converter.register_unstructure_hook(Dist, unstructure_dist)
    return converter


# Built once: cattrs compiles a hook per class on first use and keeps it. The
# converter is never changed after this line, so sharing it is safe.
_CONVERTER = _make_converter()


def unstructure(obj: Any) -> dict[str, Any]:
    """The plain-data (TOML/JSON-compatible) form of a scenario object.

    Used for provenance, hashing and writing a resolved scenario back out;
    ``parse_scenario(unstructure(s)) == s`` for every scenario ``s`` that
    :func:`~orgsim.scenario.loading.parse_scenario` can produce.

    Args:
        obj: A :class:`~orgsim.scenario.schema.Scenario`, any of its sections, or
            another attrs object made of plain fields (a sweep parameter).

    Returns:
        Nested dicts, lists and scalars; ``None`` distribution parameters omitted.

    Raises:
        TypeError: ``obj`` is not an attrs object, so it has no table form.
    """
    data = _CONVERTER.unstructure(obj)
    if not isinstance(data, dict):
        raise TypeError(f"unstructure() takes a scenario object, not {type(obj).__name__}")
    return data


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from plain data that the validation walk has already checked.

    Args:
        data: The merged plain tree (every value of the right type).
        cls: The attrs class to build, usually :class:`~orgsim.scenario.schema.Scenario`.

    Returns:
        The object; the classes' own validators run as it is built.
    """
    return _CONVERTER.structure(data, cls)
