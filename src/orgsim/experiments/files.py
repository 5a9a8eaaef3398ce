"""What every experiment file shares: its name, its base scenario and its ``[overrides]``.

A sweep file and an explore file differ in what they vary (parameters over a design,
uncertainties under levers), not in how they name themselves, find their base
scenario or fix settings over it. These checks are that common part, each adding
its problems to the file's :class:`~orgsim.experiments.sweep.checks.Check` so the
whole file is still reported in one pass.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orgsim.errors import Problem, ScenarioError
from orgsim.experiments.sweep.checks import (
    Check,
    flatten_overrides,
    scenario_problems,
    unknown_parameter,
)
from orgsim.experiments.sweep.parameter import SCALE
from orgsim.scenario.loading import load_scenario
from orgsim.scenario.paths import get_path, leaves, set_path
from orgsim.scenario.problems import expected, unknown_key
from orgsim.scenario.schema import Scenario

__all__ = [
    "check_power_of_two",
    "file_name",
    "open_check",
    "read_base",
    "read_overrides",
    "sourced",
]


def open_check(data: object, keys: Sequence[str]) -> tuple[Check, Mapping[str, Any]]:
    """A file's check, begun: the file must be a table, and every key one of ``keys``.

    Returns:
        The check, and the file's table.

    Raises:
        ScenarioError: The file is not a table (nothing else can be checked).
    """
    if not isinstance(data, Mapping):
        raise ScenarioError([Problem("", expected("a table", data))])
    c = Check()
    for key in data:
        if key not in keys:
            c.add(str(key), unknown_key(str(key), keys))
    return c, data


@contextmanager
def sourced(source: str) -> Iterator[None]:
    """Name the file in a :class:`ScenarioError` raised inside, when it names none."""
    try:
        yield
    except ScenarioError as exc:
        if source and not exc.source:
            raise ScenarioError(exc.problems, source=source) from None
        raise


def check_power_of_two(c: Check, points: object) -> None:
    """A Sobol design's ``points`` is Saltelli's N, which must be a power of 2."""
    if isinstance(points, int) and points >= 2 and points & (points - 1):
        lower = 1 << (points.bit_length() - 1)
        c.add(
            "points",
            f"a Sobol design needs a power of 2 (Saltelli's N), got {points}; "
            f"try {lower} or {lower * 2}",
        )


def file_name(c: Check, data: Mapping[str, Any], source: str, default: str) -> str:
    """The file's ``name`` (it names the output folder): the file's stem by default."""
    fallback = Path(source).stem if source else default
    name = c.string(data, "name", "name", fallback) or fallback
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        c.add("name", f"use letters, digits, '-', '_' or '.' (it names a folder); got {name!r}")
        name = fallback
    return name


def read_base(
    c: Check, data: Mapping[str, Any], base_dir: Path | None, kind: str
) -> tuple[str, Scenario | None]:
    """The base scenario as written, and as read (None when it cannot be read).

    Args:
        c: The file's check.
        data: The file's table.
        base_dir: The folder a relative ``base`` path is resolved against (the
            file's); None for plain data (bundled names still work).
        kind: What the file is, for messages (``sweep``, ``explore file``).
    """
    hint = f"name the base scenario (a file relative to the {kind}, or midsize)"
    if "base" not in data:
        c.add("base", f"missing: {hint}")
        return "", None
    if isinstance(data["base"], str) and not data["base"].strip():
        c.add("base", f"empty: {hint}")
        return "", None
    base = c.string(data, "base", "base", "")
    if not base:
        return base, None
    try:
        if base_dir is not None and Path(base).suffix:
            candidate = base_dir / base
            if not candidate.exists():
                raise ScenarioError(
                    [Problem("", f"no such scenario file: {candidate} (relative to the {kind})")]
                )
            return base, load_scenario(candidate)
        return base, load_scenario(base)
    except ScenarioError as exc:
        # Each of the base's problems under "base", prefixed with the base file
        # (when it has one), not its whole message: that would repeat the path.
        head = f"{exc.source}: " if exc.source else ""
        for problem in exc.problems:
            c.add("base", f"{head}{problem}")
        return base, None


def read_overrides(
    c: Check, data: Mapping[str, Any], base_tree: dict[str, Any] | None
) -> tuple[dict[str, Any], float, dict[str, Any] | None]:
    """The ``[overrides]`` by dotted path, the fixed scale, and the overridden tree.

    Only paths the base scenario has can be overridden: no new keys, no typos.

    Returns:
        The overrides (``scale`` included), the scale they fix (1 by default),
        and the base tree with them applied: None when the base could not be
        read or the overrides do not make a valid scenario.
    """
    raw = data.get("overrides", {})
    if not isinstance(raw, Mapping):
        c.add("overrides", expected("a table", raw))
        raw = {}
    overrides = flatten_overrides(raw)
    fixed_scale = 1.0
    if SCALE in overrides:
        value = c.number(overrides[SCALE], f"overrides.{SCALE}")
        if value is not None and value <= 0:
            c.add(f"overrides.{SCALE}", f"must be > 0, got {overrides[SCALE]!r}")
        elif value is not None:
            fixed_scale = value
    if base_tree is None:
        return overrides, fixed_scale, None
    tree = copy.deepcopy(base_tree)
    known = sorted(leaves(tree))
    applied = True
    for path, value in overrides.items():
        if path == SCALE:
            continue
        try:
            get_path(tree, path)
            set_path(tree, path, copy.deepcopy(value))
        except (KeyError, ValueError, IndexError, TypeError):
            applied = False
            c.add(f"overrides.{path}", unknown_parameter(path, [*known, SCALE]))
    if not applied:
        return overrides, fixed_scale, None
    problems = scenario_problems(tree)
    for p in problems:
        c.add(f"overrides.{p.path}" if p.path else "overrides", p.message)
    return overrides, fixed_scale, None if problems else tree
