"""The behavioural constants of a scenario, with their plausible ranges.

:func:`uncertain_parameters` walks a scenario and lists every behavioural constant
it uses (structural inputs and the settings of disabled entries left out), with its
value, its plausible range resolved against that value, and the source of the
default (:mod:`orgsim.scenario.grounding`). It is what a sensitivity analysis or a
calibration explores: each :class:`Uncertain` can put a new value into a scenario
(:meth:`Uncertain.apply`), a distribution being rescaled to a new mean.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import attrs

from orgsim.scenario.distributions import Dist
from orgsim.scenario.grounding import Grounding, grounding_of
from orgsim.scenario.schema import ConflictKind, Scenario

__all__ = ["Uncertain", "uncertain_parameters"]


@attrs.frozen
class Uncertain:
    """One behavioural constant of one scenario.

    Attributes:
        path: Its dotted path (``talent.time_to_hire``, ``departments.qa.bias``).
        value: Its value in the scenario; a distribution's mean.
        low: Lowest plausible value.
        high: Highest plausible value.
        integer: Whether it takes whole numbers only.
        distribution: Whether it is a distribution (``value`` is then its mean).
        source: A key of :data:`~orgsim.scenario.grounding.SOURCES`, or ``assumed``.
        note: What the source says, or why the range is what it is.
    """

    path: str
    value: float
    low: float
    high: float
    integer: bool = False
    distribution: bool = False
    source: str = "assumed"
    note: str = ""

    def apply(self, scenario: Scenario, value: float) -> Scenario:
        """The scenario with this constant set to ``value`` (a distribution rescaled)."""
        return _replace(scenario, self.path.split("."), value)


def uncertain_parameters(scenario: Scenario) -> list[Uncertain]:
    """Every behavioural constant the scenario uses, in schema order.

    Leaves out structural inputs, disabled departments and conflict kinds, and the
    fields a conflict kind's effect does not use.
    """
    return list(_walk(scenario, ""))


def _walk(obj: Any, prefix: str) -> Iterator[Uncertain]:
    hints = typing.get_type_hints(type(obj))
    for field in attrs.fields(type(obj)):
        value = getattr(obj, field.name)
        path = f"{prefix}{field.name}"
        if isinstance(value, dict):
            for key, entry in value.items():
                if getattr(entry, "enabled", True):
                    yield from _walk(entry, f"{path}.{key}.")
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                yield from _walk(entry, f"{path}.{i}.")
        elif attrs.has(type(value)) and not isinstance(value, Dist):
            yield from _walk(value, f"{path}.")
        else:
            grounding = grounding_of(type(obj), field.name)
            if grounding is None or grounding.structural:
                continue
            if isinstance(obj, ConflictKind) and not obj.uses(field.name):
                continue
            yield _uncertain(path, value, grounding, hints[field.name] is int)


def _uncertain(path: str, value: Any, grounding: Grounding, integer: bool) -> Uncertain:
    number = value.expected if isinstance(value, Dist) else float(value)
    low, high = grounding.bounds(number)
    return Uncertain(
        path=path,
        value=number,
        low=low,
        high=high,
        integer=integer,
        distribution=isinstance(value, Dist),
        source=grounding.source,
        note=grounding.note,
    )


def _replace(obj: Any, parts: list[str], value: float) -> Any:
    """A copy of ``obj`` with the dotted path set (dicts and lists copied, not shared)."""
    head, rest = parts[0], parts[1:]
    if isinstance(obj, dict):
        return {**obj, head: _replace(obj[head], rest, value)}
    if isinstance(obj, list):
        i = int(head)
        return [*obj[:i], _replace(obj[i], rest, value), *obj[i + 1 :]]
    current = getattr(obj, head)
    if rest:
        return attrs.evolve(obj, **{head: _replace(current, rest, value)})
    if isinstance(current, Dist):
        return attrs.evolve(obj, **{head: _rescaled(current, value)})
    kind = type(current)
    return attrs.evolve(obj, **{head: kind(round(value)) if kind is int else float(value)})


def _rescaled(dist: Dist, mean: float) -> Dist:
    """A distribution of the same kind and shape with a new mean."""
    if dist.kind == "uniform":
        assert dist.low is not None and dist.high is not None
        factor = mean / dist.expected if dist.expected else 0.0
        return attrs.evolve(dist, low=dist.low * factor, high=dist.high * factor)
    return attrs.evolve(dist, mean=mean)
