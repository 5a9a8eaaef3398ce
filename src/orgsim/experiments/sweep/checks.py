"""The one-pass check of a sweep file: problems pile up with their dotted paths, nothing stops.

A sweep file is read like a scenario file: every problem is collected, so the user
fixes the file once. The messages use the scenario layer's vocabulary
(:mod:`orgsim.scenario.problems`), so a mistyped key or value reads the same in a
sweep as in a scenario.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from orgsim.errors import Problem, ScenarioError
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.problems import expected, limit_problems, not_one_of, unknown

__all__ = ["Check", "flatten_overrides", "scenario_problems", "unknown_parameter"]

PARAMETER_DOCS = "docs/model.md for the dotted parameter paths"
"""Where a user finds the dotted paths a sweep can vary or fix."""


class Check:
    """One validation pass over a sweep table: problems pile up, nothing stops.

    Each reader takes the table, the key, the dotted path to report problems at and
    a default, and returns the value to go on with: the default when the given
    value is unusable, so that the rest of the file is still checked.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        """Record one problem at a dotted path of the sweep file."""
        self.problems.append(Problem(path, message))

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        default: Any,
        ge: int,
        *,
        le: int | None = None,
        why: str = "",
    ) -> Any:
        """An integer from ``ge`` to ``le``, or ``default`` when absent or not an integer.

        Args:
            data: The table holding the value.
            key: Its key in ``data``.
            path: Its dotted path in the file, for the message.
            default: The value to go on with when it is absent or not an integer.
            ge: The least value allowed.
            le: The greatest value allowed, if any.
            why: Why the limits are what they are, added to a broken limit's
                message when the reason is not obvious (``a confidence interval
                needs at least two``).
        """
        value = data.get(key, default)
        if key not in data:
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            self.add(path, expected("an integer", value))
            return default
        limits = {"ge": ge} if le is None else {"ge": ge, "le": le}
        for message in limit_problems(limits, int(value), str(value)):
            self.add(path, f"{message} ({why})" if why else message)
        return int(value)

    def number(self, value: Any, path: str) -> float | None:
        """A finite number as a float, or None (with a problem) when it is not one."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            self.add(path, expected("a number", value))
            return None
        if not math.isfinite(float(value)):
            self.add(path, f"must be a finite number, got {value!r}")
            return None
        return float(value)

    def string(self, data: Mapping[str, Any], key: str, path: str, default: str) -> str:
        """A string, or ``default`` when absent or not a string."""
        value = data.get(key, default)
        if not isinstance(value, str):
            self.add(path, expected("a string", value))
            return default
        return value

    def boolean(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        """A boolean, or ``default`` when absent or not a boolean."""
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(path, expected("a boolean (true or false)", value))
            return default
        return value

    def choice(
        self, data: Mapping[str, Any], key: str, path: str, default: str, choices: Sequence[str]
    ) -> str:
        """One of ``choices``, or ``default`` when absent or not among them."""
        value = self.string(data, key, path, default)
        if value not in choices:
            self.add(path, not_one_of(value, choices, quote=repr))
            return default
        return value


def unknown_parameter(path: str, known: Sequence[str]) -> str:
    """A dotted path the scenario does not have, with the nearest one it does."""
    return unknown("parameter", path, known, see=PARAMETER_DOCS)


def flatten_overrides(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten an ``[overrides]`` table to dotted paths.

    Nested tables (TOML dotted keys) flatten; a table that names a distribution
    ``kind`` stays whole, since it replaces the distribution.
    """
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and "kind" not in value:
            out.update(flatten_overrides(value, path))
        else:
            out[path] = value
    return out


def scenario_problems(tree: Mapping[str, Any]) -> list[Problem]:
    """What :func:`~orgsim.scenario.loading.parse_scenario` finds wrong with a plain tree.

    Returns:
        The problems; empty when the tree is a valid scenario.
    """
    try:
        parse_scenario(tree)
    except ScenarioError as exc:
        return list(exc.problems)
    return []
