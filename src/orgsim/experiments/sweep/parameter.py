"""One swept parameter: its values and design space, and reading it from ``[[parameters]]``.

A parameter is a dotted path of the scenario (or the sweep-level ``scale``) with
either listed levels or a ``low``/``high`` range. Its type is inferred from the
base scenario's value at that path when the file does not state it, so
``levels = [2, 4]`` on an integer field is an integer parameter.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from orgsim.experiments.sweep.checks import Check, unknown_parameter
from orgsim.scenario.paths import MISSING, leaves
from orgsim.scenario.problems import describe, expected, not_one_of, unknown_key

__all__ = ["DEFAULT_STEPS", "SCALE", "TYPES", "Parameter", "parse_parameters"]

TYPES = ("int", "float", "choice")
SCALE = "scale"
DEFAULT_STEPS = 5
_PARAM_KEYS = ("path", "levels", "low", "high", "type", "steps")


@attrs.frozen(kw_only=True)
class Parameter:
    """One swept parameter.

    Attributes:
        path: Dotted path in the scenario (``conflicts.intensity``) or ``scale``.
        type: ``int``, ``float`` or ``choice``.
        levels: Explicit values (grid levels; the values a sampled design picks
            among, uniformly). Empty for a ``low``/``high`` range.
        low: Lower end of a range (inclusive).
        high: Upper end of a range (inclusive).
        steps: Grid designs: evenly spaced levels from ``low`` to ``high``.
    """

    path: str
    type: str
    levels: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    steps: int = DEFAULT_STEPS

    @property
    def discrete(self) -> bool:
        """Whether the parameter takes listed levels rather than a range."""
        return bool(self.levels)

    def grid_levels(self) -> tuple[Any, ...]:
        """The values a grid design takes, in order.

        An integer range with at least as many steps as integers takes every integer
        from ``low`` to ``high`` (the rounded steps cover them all): made directly,
        not by rounding ``steps`` floats, so ``steps = 1000000000`` on ``1..4`` costs
        four values.
        """
        if self.discrete:
            return self.levels
        assert self.low is not None and self.high is not None
        if self.type == "int" and self.steps >= int(self.high) - int(self.low) + 1:
            return tuple(range(int(self.low), int(self.high) + 1))
        raw = np.linspace(self.low, self.high, self.steps)
        if self.type == "int":
            return tuple(dict.fromkeys(round(float(v)) for v in raw))
        return tuple(float(round(v, 10)) for v in raw)

    def bounds(self) -> tuple[float, float]:
        """The parameter's interval in design space (what SALib and LHS sample).

        A float range is itself; an integer range widens by half a step on each
        side so that every integer gets an equal share; listed levels are indices
        ``[0, n)``.
        """
        if self.discrete:
            return 0.0, float(len(self.levels))
        assert self.low is not None and self.high is not None
        if self.type == "int":
            return self.low - 0.5, self.high + 0.5
        return float(self.low), float(self.high)

    def value(self, x: float) -> Any:
        """The parameter value at design coordinate ``x`` (inside :meth:`bounds`)."""
        if self.discrete:
            i = min(max(math.floor(x), 0), len(self.levels) - 1)
            return self.levels[i]
        assert self.low is not None and self.high is not None
        if self.type == "int":
            return int(min(max(math.floor(x + 0.5), self.low), self.high))
        return float(min(max(x, self.low), self.high))

    def coordinate(self, value: Any) -> float:
        """Design coordinate of a grid level (its index + 0.5 for listed levels)."""
        if self.discrete:
            return float(self.levels.index(value)) + 0.5
        return float(value)

    def extremes(self) -> list[tuple[str, Any]]:
        """``(where, value)`` pairs to validate: both ends, or every level."""
        if self.discrete:
            return [(f"levels.{i}", v) for i, v in enumerate(self.levels)]
        return [("low", self.low), ("high", self.high)]


# ------------------------------------------------------------------ reading


def parse_parameters(
    c: Check, raw: Any, tree: dict[str, Any] | None, design: str, paired_sweep: bool
) -> list[tuple[int, Parameter]]:
    """Check the ``[[parameters]]`` array: the usable ones, with their positions.

    Args:
        c: The pass collecting the sweep file's problems.
        raw: The array as read (``MISSING`` when the file has none).
        tree: The base scenario's plain tree, to check paths and infer types
            against; None when the base could not be read (paths go unchecked).
        design: The sweep's design (only grids use ``steps``).
        paired_sweep: Whether the sweep switches the broker itself.

    Returns:
        ``(index in the array, parameter)`` for every entry without a problem.
    """
    if raw is MISSING or (isinstance(raw, list) and not raw):
        c.add("parameters", "no parameters: a sweep needs at least one [[parameters]] entry")
        return []
    if not isinstance(raw, list):
        c.add("parameters", expected("an array of tables ([[parameters]])", raw))
        return []
    paths = leaves(tree) if tree is not None else {}
    known = sorted(paths)
    out: list[tuple[int, Parameter]] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        where = f"parameters.{i}"
        if not isinstance(entry, Mapping):
            c.add(where, expected("a table", entry))
            continue
        for key in entry:
            if key not in _PARAM_KEYS:
                c.add(f"{where}.{key}", unknown_key(str(key), _PARAM_KEYS))
        param = _parameter(c, entry, where, paths, known, design, paired_sweep, tree is None)
        if param is None:
            continue
        if param.path in seen:
            c.add(
                f"{where}.path", f"'{param.path}' is already swept by parameters.{seen[param.path]}"
            )
            continue
        seen[param.path] = i
        out.append((i, param))
    return out


def _parameter(
    c: Check,
    entry: Mapping[str, Any],
    where: str,
    paths: Mapping[str, Any],
    known: Sequence[str],
    design: str,
    paired_sweep: bool,
    no_tree: bool,
) -> Parameter | None:
    """Check one ``[[parameters]]`` table; None when it cannot be used."""
    n_before = len(c.problems)
    path, leaf = _path(c, entry, where, paths, known, no_tree)
    if path == "broker.enabled" and paired_sweep:
        c.add(
            f"{where}.path",
            "a paired sweep switches the broker on and off itself; "
            "set paired = false to sweep 'broker.enabled'",
        )
    ptype = _given_type(c, entry, where)
    leaf_kind = _kind_of(leaf)
    _check_type_fits(c, where, path, ptype, leaf_kind)

    levels: tuple[Any, ...] = ()
    low = high = None
    steps = DEFAULT_STEPS
    has_levels = "levels" in entry
    has_range = "low" in entry or "high" in entry
    if has_levels and has_range:
        c.add(where, "give either levels or low/high, not both")
    elif not has_levels and not has_range:
        c.add(where, "give the values to sweep: levels = [...], or low and high")
    elif has_levels:
        levels, ptype = _levels(c, entry, where, path, ptype, leaf_kind)
    else:
        low, high, ptype = _range(c, entry, where, path, ptype, leaf_kind)
        if "steps" in entry:
            if design != "grid":
                c.add(f"{where}.steps", f"only grid designs use steps (this one is {design})")
            else:
                steps = c.integer(entry, "steps", f"{where}.steps", DEFAULT_STEPS, ge=2)
    if len(c.problems) > n_before or ptype is None or not path:
        return None
    return Parameter(path=path, type=ptype, levels=levels, low=low, high=high, steps=steps)


def _path(
    c: Check,
    entry: Mapping[str, Any],
    where: str,
    paths: Mapping[str, Any],
    known: Sequence[str],
    no_tree: bool,
) -> tuple[str, Any]:
    """The parameter's path (empty when unusable) and the base scenario's value there."""
    path = entry.get("path")
    if path is None:
        c.add(f"{where}.path", "missing: the dotted path of the parameter to vary")
        return "", None
    if not isinstance(path, str):
        c.add(f"{where}.path", expected("a string", path))
        return "", None
    if path == SCALE:
        return path, 1.0
    if no_tree or path in paths:
        return path, paths.get(path)
    prefix = path + "."
    below = [k for k in known if k.startswith(prefix)]
    if below:
        c.add(
            f"{where}.path",
            f"'{path}' is a table, not one parameter; sweep one of its fields: "
            + ", ".join(below[:6])
            + (", ..." if len(below) > 6 else ""),
        )
    else:
        c.add(f"{where}.path", unknown_parameter(path, [*known, SCALE]))
    return path, None


def _given_type(c: Check, entry: Mapping[str, Any], where: str) -> str | None:
    """The ``type`` the entry states, or None when it states none (or a bad one)."""
    given = entry.get("type")
    if given is None:
        return None
    if not isinstance(given, str) or given not in TYPES:
        c.add(f"{where}.type", not_one_of(given, TYPES, quote=repr))
        return None
    return given


def _check_type_fits(
    c: Check, where: str, path: str, ptype: str | None, leaf_kind: str | None
) -> None:
    """A stated type must suit the value the base scenario holds at the path."""
    if ptype is None or leaf_kind is None:
        return
    if ptype == "float" and leaf_kind == "int":
        c.add(f"{where}.type", f"'{path}' takes integers; use type = \"int\"")
    elif ptype in ("int", "float") and leaf_kind in ("bool", "str"):
        c.add(
            f"{where}.type",
            f"'{path}' takes a {leaf_kind}, not numbers; use type = \"choice\" with levels",
        )


def _numbers_once(c: Check, where: str, values: list[float], at: list[int]) -> list[float]:
    """``values`` without repeats, each repeat reported where ``at`` says it was listed."""
    once: list[float] = []
    for v, j in zip(values, at, strict=True):
        if v in once:
            c.add(f"{where}.levels.{j}", f"{v!r} is listed twice")
        else:
            once.append(v)
    return once


def _levels(
    c: Check,
    entry: Mapping[str, Any],
    where: str,
    path: str,
    ptype: str | None,
    leaf_kind: str | None,
) -> tuple[tuple[Any, ...], str]:
    """The listed levels that are usable, and the type (inferred when not stated)."""
    raw = entry["levels"]
    ok: list[Any] = []
    at: list[int] = []  # where in ``raw`` each usable level stands
    if not isinstance(raw, list) or not raw:
        c.add(f"{where}.levels", expected("a non-empty array", raw))
    else:
        for j, v in enumerate(raw):
            if isinstance(v, (Mapping, list)):
                c.add(f"{where}.levels.{j}", expected("a single value", v))
            elif ptype == "int" and (isinstance(v, bool) or not isinstance(v, numbers.Integral)):
                c.add(f"{where}.levels.{j}", expected("an integer", v))
            elif ptype == "float" and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
                c.add(f"{where}.levels.{j}", expected("a number", v))
            elif v in ok and type(v) is type(ok[ok.index(v)]):
                c.add(f"{where}.levels.{j}", f"{v!r} is listed twice")
            else:
                ok.append(float(v) if ptype == "float" else v)
                at.append(j)
    if "steps" in entry:
        c.add(f"{where}.steps", "steps spreads a low/high range; remove it with levels")
    if ptype is None:
        numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in ok)
        if numeric and leaf_kind in ("int", "float"):
            ptype = leaf_kind
        elif numeric and path == SCALE:
            ptype = "float"
        else:
            ptype = "choice"
        if ptype == "float":  # numbers now: 1 and 1.0 are one level
            ok = _numbers_once(c, where, [float(v) for v in ok], at)
    levels = tuple(ok)
    if path == SCALE:
        for j, v in enumerate(levels):
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                c.add(f"{where}.levels.{j}", f"scale takes numbers, got {describe(v)}")
            elif v <= 0:
                c.add(f"{where}.levels.{j}", f"scale must be > 0, got {v!r}")
    assert ptype is not None
    return levels, ptype


def _range(
    c: Check,
    entry: Mapping[str, Any],
    where: str,
    path: str,
    ptype: str | None,
    leaf_kind: str | None,
) -> tuple[float | None, float | None, str | None]:
    """The ``low`` and ``high`` ends (None when unusable), and the type."""
    if ptype == "choice":
        c.add(f"{where}.type", "a choice takes levels = [...], not low/high")
    if ptype is None:
        ptype = leaf_kind if leaf_kind in ("int", "float") else None
        if ptype is None and leaf_kind is not None:
            c.add(
                f"{where}.low", f"'{path}' takes a {leaf_kind}: list its values with levels = [...]"
            )
    ends: dict[str, float | None] = {"low": None, "high": None}
    for key in ends:
        if key not in entry:
            c.add(f"{where}.{key}", "missing: a range needs both low and high")
            continue
        value = entry[key]
        if ptype == "int" and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
            c.add(f"{where}.{key}", expected('an integer (type = "int")', value))
            continue
        number = c.number(value, f"{where}.{key}")
        if number is not None:
            ends[key] = int(value) if ptype == "int" else number
    low, high = ends["low"], ends["high"]
    if low is not None and high is not None and not low < high:
        c.add(f"{where}.high", f"must be > low ({low!r}), got {high!r}")
    if path == SCALE and low is not None and low <= 0:
        c.add(f"{where}.low", f"scale must be > 0, got {low!r}")
    return low, high, ptype


def _kind_of(value: Any) -> str | None:
    """The kind of a scenario value, as a parameter type sees it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"
