"""Dotted paths into plain scenario trees, and the ``--set dotted.path=value`` overrides.

A plain tree is what TOML reads into: tables (dicts), arrays (lists) and scalars.
A dotted path names one place in it (``delivery.stages.1.effort.mean``); a part
that is a number indexes an array. Scenario overrides (the CLI's ``--set``) and
sweep parameters both address a scenario this way, and both walk it through the
one step function here, so a path means the same thing to either.
"""

from __future__ import annotations

import copy
import enum
import tomllib
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from orgsim.errors import Problem, ScenarioError
from orgsim.scenario.problems import describe

__all__ = [
    "MISSING",
    "Missing",
    "apply_overrides",
    "apply_values",
    "dotted",
    "get_path",
    "is_index",
    "join",
    "leaves",
    "lookup",
    "parse_override_value",
    "set_path",
]


class Missing(enum.Enum):
    """Marks a value that is absent from a tree (``None`` can be a value)."""

    MISSING = enum.auto()


MISSING = Missing.MISSING


# ------------------------------------------------------------------ reading paths


def join(path: str, key: str | int) -> str:
    """The dotted path of ``key`` under ``path`` (``path`` empty at the top)."""
    return f"{path}.{key}" if path else str(key)


def dotted(keys: Sequence[str | int]) -> str:
    """The dotted path of a sequence of keys and indices."""
    return ".".join(map(str, keys))


def is_index(part: str) -> bool:
    """Whether a part of a dotted path is an array index: ASCII digits only.

    ``str.isdigit`` is not enough: it is true of ``"²"`` and other digits that
    ``int()`` cannot read.
    """
    return part.isascii() and part.isdigit()


def _step(node: Any, key: str | int) -> Any:
    """One step down a tree: a table's entry, an array's item (int key), or MISSING."""
    if isinstance(node, Mapping):
        return node.get(key, MISSING)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return MISSING


def lookup(tree: Any, keys: Sequence[str | int]) -> Any:
    """The value at ``keys`` (strings for tables, ints for arrays), or MISSING."""
    node = tree
    for key in keys:
        node = _step(node, key)
        if node is MISSING:
            return MISSING
    return node


def get_path(tree: Any, path: str) -> Any:
    """The value at a dotted path, or raise KeyError.

    Raises:
        KeyError: Nothing is there (also under an array, for a part that is no
            index, such as ``"²"``).
    """
    node = tree
    for part in path.split("."):
        key: str | int = int(part) if isinstance(node, list) and is_index(part) else part
        node = _step(node, key)
        if node is MISSING:
            raise KeyError(path)
    return node


def set_path(tree: Any, path: str, value: Any) -> None:
    """Set the value at an existing dotted path of a plain tree."""
    parts = path.split(".")
    parent = get_path(tree, ".".join(parts[:-1])) if len(parts) > 1 else tree
    last = parts[-1]
    if isinstance(parent, list):
        parent[int(last)] = value
    else:
        parent[last] = value


def leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Every scalar in a plain tree, by dotted path."""
    out: dict[str, Any] = {}
    items: Any
    if isinstance(tree, Mapping):
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return {prefix: tree}
    for key, value in items:
        out.update(leaves(value, join(prefix, key)))
    return out


# ------------------------------------------------------------------ overrides


def parse_override_value(text: str) -> Any:
    """A ``--set`` value as TOML, or the raw text when it is not valid TOML.

    The fallback lets ``--set name=foo`` work without shell-quoting TOML strings.
    """
    try:
        parsed = tomllib.loads("v = " + text)
    except tomllib.TOMLDecodeError:
        return text.strip()
    if list(parsed) != ["v"]:  # e.g. "1\nw = 2" smuggling in a second key
        return text.strip()
    return parsed["v"]


def apply_overrides(
    data: Mapping[str, Any],
    overrides: Sequence[str],
    *,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Apply ``dotted.path=value`` overrides (the CLI's ``--set``) to scenario data.

    The value is read as a TOML value (``3``, ``3.5``, ``true``, ``"x"``,
    ``{ kind = "exponential", mean = 3 }``), else taken as a plain string. Missing
    tables on the path are created. A number in the path indexes an array
    (``delivery.stages.1.effort.mean=300``); if the data lacks that array, it is
    first copied from ``defaults`` (when given), so a single stage of the default
    flow can be tuned without restating the whole list. The input is not modified.

    Args:
        data: The scenario data as read from TOML.
        overrides: ``path=value`` strings, applied in order (later ones win).
        defaults: Plain defaults (``unstructure(Scenario())``) to fill arrays from.

    Returns:
        A new mapping; tables on overridden paths are copies.

    Raises:
        ScenarioError: One or more overrides are malformed or cannot be applied;
            each problem names its override.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(
            [Problem("", f"expected a table at the top level, got {describe(data)}")]
        )
    if isinstance(overrides, str):  # a lone override, not a sequence of characters
        overrides = [overrides]
    result: dict[str, Any] = dict(data)
    problems: list[Problem] = []
    for text in overrides:
        try:
            _apply_one(result, text, defaults)
        except _OverrideError as exc:
            problems.append(Problem("", f"override {text!r}: {exc}"))
    if problems:
        raise ScenarioError(problems)
    return result


class _OverrideError(Exception):
    """One override cannot be applied (collected into a ScenarioError)."""


def apply_values(
    data: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Set already-parsed values at dotted paths of scenario data (an intervention's ``set``).

    The same walk as :func:`apply_overrides`, for values that are plain data
    already (read from TOML) rather than text to parse.

    Raises:
        ScenarioError: A path cannot be applied (each problem names its path).
    """
    result: dict[str, Any] = dict(data)
    problems: list[Problem] = []
    for path, value in values.items():
        try:
            _put_path(result, path, value, defaults)
        except _OverrideError as exc:
            problems.append(Problem(path, str(exc)))
    if problems:
        raise ScenarioError(problems)
    return result


def _apply_one(root: dict[str, Any], text: object, defaults: Mapping[str, Any] | None) -> None:
    if not isinstance(text, str):
        raise _OverrideError("expected a string 'dotted.path=value'")
    path_text, equals, value_text = text.partition("=")
    if not equals:
        raise _OverrideError("expected 'dotted.path=value'")
    _put_path(root, path_text, parse_override_value(value_text), defaults)


def _put_path(
    root: dict[str, Any], path_text: str, value: Any, defaults: Mapping[str, Any] | None
) -> None:
    """Put ``value`` at a dotted path, copying the tables and arrays on the way."""
    parts = [p.strip() for p in path_text.split(".")]
    if not path_text.strip() or any(not p for p in parts):
        raise _OverrideError("empty key in the path; expected 'dotted.path=value'")

    node: dict[str, Any] | list[Any] = root
    walked: list[str | int] = []
    for i, part in enumerate(parts):
        key = _key(node, part, walked)
        walked.append(key)
        if i == len(parts) - 1:
            _put(node, key, value)
            return
        child = _step(node, key)
        if child is MISSING and defaults is not None:
            fallback = lookup(defaults, walked)
            if isinstance(fallback, list):
                child = copy.deepcopy(fallback)
        if child is MISSING:
            child = {}
        elif isinstance(child, Mapping):
            child = dict(child)
        elif isinstance(child, (list, tuple)):
            child = list(child)
        else:
            raise _OverrideError(f"'{dotted(walked)}' holds {describe(child)}, not a table")
        _put(node, key, child)
        node = child


def _key(node: dict[str, Any] | list[Any], part: str, walked: Sequence[str | int]) -> str | int:
    """The key ``part`` stands for in ``node``: an index (up to one past the end) in an array."""
    if not isinstance(node, list):
        return part
    if not is_index(part):
        raise _OverrideError(f"'{dotted(walked)}' is an array; {part!r} is not an index")
    index = int(part)
    if index > len(node):
        raise _OverrideError(
            f"index {index} is past the end of '{dotted(walked)}' ({len(node)} items)"
        )
    return index


def _put(node: dict[str, Any] | list[Any], key: str | int, value: Any) -> None:
    """Set ``node[key]``; an index one past the end of an array appends."""
    if isinstance(node, list):
        assert isinstance(key, int)
        if key == len(node):
            node.append(value)
        else:
            node[key] = value
    else:
        node[typing.cast(str, key)] = value
