"""Reading scenarios: plain data, files and ``--set`` overrides, checked in one pass.

A scenario file states only what differs from the defaults in
:mod:`orgsim.scenario.schema`, so reading one is a merge: the user's tables are laid over
the defaults, field by field, before anything is built. The merge is also the
validation walk. It goes over ``attrs.fields()`` of each class, guided by the type
hints and the limits in each field's metadata, and collects every problem it meets
instead of stopping at the first, because a user editing a file wants to fix it once,
not once per error. Nothing is coerced: TOML values are unambiguous, so a value of
the wrong type is a mistake worth reporting, not a conversion to guess at.

Merge rules:

* Nested attrs classes (``[delivery]``) merge field by field.
* ``dict[str, X]`` fields (``[departments.*]``, ``[conflicts.kinds.*]``): each
  entry merges over the default entry of that name, or over ``X()`` for a new name.
  An entry cannot be removed, only switched off with ``enabled = false``.
* ``list[X]`` fields (``[[delivery.stages]]``): the user's list replaces the
  default list whole; each element merges over ``X()``.
* A :class:`~orgsim.scenario.distributions.Dist` table that states ``kind`` replaces the
  default distribution whole, since parameters of another kind mean nothing for the
  new one. One without ``kind`` (``--set delivery.value.mean=500``) tunes the
  default distribution's parameters and keeps its kind.

Only :class:`~orgsim.errors.ScenarioError` leaves :func:`parse_scenario` and
:func:`load_scenario`, whatever the input.

The pieces this module stands on each live in their own: the converter to and
from plain data (:mod:`~orgsim.scenario.convert`), the wording of problems
(:mod:`~orgsim.scenario.problems`), dotted paths and overrides
(:mod:`~orgsim.scenario.paths`) and reading files (:mod:`~orgsim.scenario.files`).
"""

from __future__ import annotations

import enum
import logging
import math
import numbers
import os
import types
import typing
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import attrs

from orgsim.errors import Problem, ScenarioError
from orgsim.scenario.convert import structure, unstructure
from orgsim.scenario.distributions import Dist
from orgsim.scenario.files import locate_scenario, read_toml
from orgsim.scenario.interventions import fixed_reason
from orgsim.scenario.paths import MISSING, apply_overrides, apply_values, join
from orgsim.scenario.problems import (
    describe,
    expected,
    limit_problems,
    not_one_of,
    shorten,
    unknown_key,
)
from orgsim.scenario.schema import Scenario

__all__ = ["check_interventions", "load_scenario", "parse_scenario", "with_values"]

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ type hints


class _Kind(enum.Enum):
    """What a type hint asks of a value, for the validation walk."""

    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STR = "str"
    CLASS = "class"
    DICT = "dict"
    LIST = "list"
    ANY = "any"  # plain data checked elsewhere (an intervention's ``set`` values)


_SCALARS: dict[Any, _Kind] = {
    bool: _Kind.BOOL,
    int: _Kind.INT,
    float: _Kind.FLOAT,
    str: _Kind.STR,
}


@attrs.frozen
class _Shape:
    """A classified type hint.

    Attributes:
        kind: What the value must be.
        arg: The attrs class (``CLASS``) or the element hint (``DICT``, ``LIST``).
        optional: ``None``/absence is accepted (``float | None``).
    """

    kind: _Kind
    arg: Any = None
    optional: bool = False


@cache
def _shape(hint: Any) -> _Shape:
    """Classify a field's type hint; anything unsupported is a bug in the schema."""
    optional = False
    if hint is Any:
        return _Shape(_Kind.ANY)
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union in scenario schema: {hint!r}")
        hint, optional = args[0], True
        origin = typing.get_origin(hint)
    if hint in _SCALARS:
        return _Shape(_SCALARS[hint], optional=optional)
    if origin is dict:
        key, value = typing.get_args(hint)
        if key is not str:
            raise TypeError(f"scenario tables need string keys: {hint!r}")
        return _Shape(_Kind.DICT, value, optional)
    if origin is list:
        (item,) = typing.get_args(hint)
        return _Shape(_Kind.LIST, item, optional)
    if isinstance(hint, type) and attrs.has(hint):
        return _Shape(_Kind.CLASS, hint, optional)
    raise TypeError(f"unsupported type in scenario schema: {hint!r}")


@cache
def _fields(cls: type) -> dict[str, tuple[attrs.Attribute[Any], _Shape]]:
    """Each field of an attrs class with its classified (resolved) type hint.

    ``typing.get_type_hints`` resolves the string annotations that
    ``from __future__ import annotations`` leaves behind.
    """
    hints = typing.get_type_hints(cls)
    return {f.name: (f, _shape(hints[f.name])) for f in attrs.fields(cls)}


@cache
def _class_defaults(cls: type) -> dict[str, Any]:
    """Plain form of ``cls()``: what a new table entry or list element starts from.

    Cached and shared: callers copy before changing it.
    """
    return unstructure(cls())


# ------------------------------------------------------------------ the walk


class _Walk:
    """One validation pass: the merged plain tree is built while problems pile up.

    Type problems are kept apart (``type_errors``): a mistyped value is replaced by
    its default so the walk and the build can go on, but a cross-field check over
    an object that holds such a stand-in would judge a value the user never wrote,
    so those checks are skipped (see :meth:`clean`).
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.type_errors: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def type_error(self, path: str, message: str) -> None:
        self.problem(path, message)
        self.type_errors.append(path)

    def clean(self, path: str) -> bool:
        """Whether no value at or under ``path`` was mistyped."""
        if not path:
            return not self.type_errors
        prefix = path + "."
        return not any(t == path or t.startswith(prefix) for t in self.type_errors)

    # -- tables

    def table(self, cls: type, value: object, base: Mapping[str, Any], path: str) -> dict[str, Any]:
        """Merge a user table over ``base`` (plain defaults of ``cls``), field by field."""
        out = dict(base)
        if not isinstance(value, Mapping):
            self.type_error(path, expected("a table", value))
            return out
        fields = _fields(cls)
        for key, item in value.items():
            if not isinstance(key, str):
                self.problem(path, f"keys must be strings, got {describe(key)}")
                continue
            sub = join(path, key)
            if key not in fields:
                self.problem(sub, unknown_key(key, list(fields)))
                continue
            field, shape = fields[key]
            resolved = self.value(shape, field.metadata, item, base.get(key, MISSING), sub)
            if resolved is MISSING:
                out.pop(key, None)
            else:
                out[key] = resolved
        return out

    def value(
        self,
        shape: _Shape,
        meta: Mapping[str, Any],
        value: object,
        default: Any,
        path: str,
    ) -> Any:
        """Validate one user value against its shape; returns the merged plain value.

        On a type problem the default is returned (or ``MISSING`` if there is none)
        so that the rest of the tree can still be walked and checked.
        """
        if value is None and shape.optional:
            return MISSING
        kind = shape.kind
        if kind is _Kind.CLASS:
            return self.table(shape.arg, value, self._class_base(shape.arg, value, default), path)
        if kind is _Kind.DICT:
            return self._dict(shape.arg, value, default, path)
        if kind is _Kind.LIST:
            return self._list(shape.arg, value, default, path)
        if kind is _Kind.ANY:
            return value
        return self._scalar(kind, meta, value, default, path)

    @staticmethod
    def _class_base(cls: type, value: object, default: Any) -> Mapping[str, Any]:
        """What a user table for ``cls`` merges over.

        A distribution that names its ``kind`` starts from scratch: merging the
        parameters of a default lognormal into a user's uniform would only produce
        "uniform takes low, high, not 'mean'" for a value the user never wrote.
        """
        if not isinstance(default, Mapping):
            return _class_defaults(cls)
        if cls is Dist and isinstance(value, Mapping) and "kind" in value:
            return _class_defaults(cls)
        return typing.cast(Mapping[str, Any], default)

    def _dict(self, item_hint: Any, value: object, default: Any, path: str) -> Any:
        base: Mapping[str, Any] = default if isinstance(default, Mapping) else {}
        if not isinstance(value, Mapping):
            self.type_error(path, expected("a table", value))
            return default
        item_shape = _shape(item_hint)
        out = dict(base)
        for key, item in value.items():
            if not isinstance(key, str):
                self.problem(path, f"keys must be strings, got {describe(key)}")
                continue
            entry_default = base.get(key, MISSING)
            if entry_default is MISSING and item_shape.kind is _Kind.CLASS:
                entry_default = _class_defaults(item_shape.arg)
            resolved = self.value(item_shape, {}, item, entry_default, join(path, key))
            if resolved is MISSING:
                out.pop(key, None)
            else:
                out[key] = resolved
        return out

    def _list(self, item_hint: Any, value: object, default: Any, path: str) -> Any:
        if not isinstance(value, (list, tuple)):
            self.type_error(path, expected("an array", value))
            return default
        item_shape = _shape(item_hint)
        item_default: Any = MISSING
        if item_shape.kind is _Kind.CLASS:
            item_default = _class_defaults(item_shape.arg)
        out = []
        for i, item in enumerate(value):
            resolved = self.value(item_shape, {}, item, item_default, join(path, i))
            if resolved is not MISSING:
                out.append(resolved)
        return out

    # -- scalars

    def _scalar(
        self,
        kind: _Kind,
        meta: Mapping[str, Any],
        value: object,
        default: Any,
        path: str,
    ) -> Any:
        if kind is _Kind.BOOL:
            if not isinstance(value, bool):
                self.type_error(path, expected("a boolean (true or false)", value))
                return default
            return value
        if kind is _Kind.STR:
            if not isinstance(value, str):
                self.type_error(path, expected("a string", value))
                return default
            self._choices(meta, value, path)
            return value
        if kind is _Kind.INT:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                self.type_error(path, expected("an integer", value))
                return default
            number: int | float = int(value)
        else:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                self.type_error(path, expected("a number", value))
                return default
            try:
                number = float(value)
            except (OverflowError, ValueError, TypeError):
                self.type_error(path, expected("a float-sized number", value))
                return default
            if not math.isfinite(number):
                self.problem(path, f"must be a finite number, got {describe(value)}")
                return number
        # The message quotes the value as the user wrote it (an integer for a float).
        for message in limit_problems(meta, number, shorten(value)):
            self.problem(path, message)
        return number

    def _choices(self, meta: Mapping[str, Any], text: str, path: str) -> None:
        choices = meta.get("choices")
        if choices is not None and text not in choices:
            self.problem(path, not_one_of(text, choices))

    # -- cross-field checks

    def run_checks(self, obj: Any, path: str = "") -> None:
        """Call ``check()`` on every object in the tree that defines it.

        Children first, so problems come out roughly deepest-first and the
        scenario's cross-references last. Objects holding a mistyped value are
        skipped (their stand-in default would be judged instead).
        """
        if not attrs.has(type(obj)):
            return
        for field in attrs.fields(type(obj)):
            child = getattr(obj, field.name)
            sub = join(path, field.name)
            if isinstance(child, dict):
                for key, item in child.items():
                    self.run_checks(item, join(sub, key))
            elif isinstance(child, list):
                for i, item in enumerate(child):
                    self.run_checks(item, join(sub, i))
            else:
                self.run_checks(child, sub)
        check = getattr(obj, "check", None)
        if callable(check) and self.clean(path):
            for where, message in check():
                self.problem(join(path, where) if where else path, message)


# ------------------------------------------------------------------ parsing


@cache
def _scenario_defaults() -> dict[str, Any]:
    return _class_defaults(Scenario)


def parse_scenario(
    data: Mapping[str, Any], *, source: str = "", overrides: Sequence[str] = ()
) -> Scenario:
    """Build a scenario from plain data merged over the defaults, checking everything.

    Every problem (unknown key, wrong type, out of range, bad cross-reference) is
    collected in one pass and raised together, so one run tells the user all that
    is wrong.

    Args:
        data: The scenario as plain data (parsed TOML); only what differs from the
            defaults needs to be there.
        source: Where ``data`` came from, for the error message.
        overrides: ``dotted.path=value`` strings applied to ``data`` first.

    Returns:
        The resolved scenario.

    Raises:
        ScenarioError: Anything at all is wrong with the input; it carries all
            problems found. No other exception escapes, whatever ``data`` holds.
    """
    try:
        return _parse(data, source, overrides)
    except ScenarioError as exc:
        if source and not exc.source:
            raise ScenarioError(exc.problems, source=source) from None
        raise
    except Exception as exc:  # the promise: only ScenarioError escapes
        # Reaching here means a gap in the walk above; the traceback is logged for
        # the bug report while the user still gets the one documented exception.
        logger.exception("unexpected failure while reading scenario %s", source or "<data>")
        problem = Problem("", f"cannot read the scenario ({type(exc).__name__}: {exc})")
        raise ScenarioError([problem], source=source) from exc


def _parse(data: object, source: str, overrides: Sequence[str]) -> Scenario:
    if not isinstance(data, Mapping):
        raise ScenarioError(
            [Problem("", expected("a table at the top level", data))],
            source=source,
        )
    defaults = _scenario_defaults()
    if overrides:
        data = apply_overrides(data, overrides, defaults=defaults)
    walk = _Walk()
    tree = walk.table(Scenario, data, defaults, "")
    try:
        scenario = structure(tree, Scenario)
    except Exception:
        # A class refused a value the walk has already reported: report the walk's
        # problems, which name the path; with none, the caller's catch-all logs a gap.
        if walk.problems:
            raise ScenarioError(walk.problems, source=source) from None
        raise
    walk.run_checks(scenario)
    if walk.clean("interventions"):
        _check_sets(walk, tree, scenario)
    if walk.problems:
        raise ScenarioError(walk.problems, source=source)
    return scenario


def _check_sets(walk: _Walk, tree: Mapping[str, Any], scenario: Scenario) -> None:
    """Check every intervention's ``set`` values as the scenario they would make.

    Each value is laid over the scenario and the result walked and checked like a
    file, so a value is refused for the very reasons a file's would be (type,
    range, cross-reference), named by the intervention's path. Parameters that
    cannot change mid-run were refused by the scenario's own check already.
    """
    base = {k: v for k, v in tree.items() if k != "interventions"}
    for i, iv in enumerate(scenario.interventions):
        for path, value in iv.set.items():
            where = f"interventions.{i}.set.{path}"
            if fixed_reason(path):
                continue
            try:
                data = apply_values(base, {path: value}, defaults=_scenario_defaults())
            except ScenarioError as exc:
                walk.problems.extend(Problem(where, p.message) for p in exc.problems)
                continue
            sub = _Walk()
            built = sub.table(Scenario, data, _scenario_defaults(), "")
            if not sub.problems:
                sub.run_checks(structure(built, Scenario))
            for p in sub.problems:
                message = p.message if p.path == path else f"{p.path}: {p.message}"
                walk.problem(where, message)


def check_interventions(scenario: Scenario, interventions: Sequence[Any]) -> None:
    """Check interventions added to a scenario (a fork's) as if the file had them.

    They are numbered after the scenario's own, as the run numbers them.

    Raises:
        ScenarioError: Every problem of theirs, by ``interventions.<n>`` path.
    """
    data = scenario.to_dict()
    data["interventions"] = [
        *(unstructure(iv) for iv in scenario.interventions),
        *(unstructure(iv) for iv in interventions),
    ]
    parse_scenario(data, source="the added interventions")


def with_values(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """The scenario with parameters changed (an intervention firing), checked.

    Its interventions stay as they are: a change never adds or removes one.

    Raises:
        ScenarioError: A value is refused (an intervention's values are checked
            when its scenario is read, so a run never meets one).
    """
    data = {k: v for k, v in scenario.to_dict().items() if k != "interventions"}
    changed = parse_scenario(apply_values(data, values, defaults=_scenario_defaults()))
    return attrs.evolve(changed, interventions=scenario.interventions)


def load_scenario(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Scenario:
    """Read, merge and check a scenario file (or a bundled scenario by name).

    Args:
        path: A TOML file, or the bare name of a bundled scenario (no suffix, and
            no file of that name here).
        overrides: ``dotted.path=value`` strings (the CLI's ``--set``), applied
            over the file's contents.

    Returns:
        The resolved scenario.

    Raises:
        ScenarioError: The file is missing, unreadable or malformed
            (``FILE:LINE:COL: message``), or its contents are invalid; all content
            problems are reported together.
    """
    file = locate_scenario(path)
    data = read_toml(file)
    # Name the overrides in the message: a bad value may come from --set, not the file.
    source = f"{file} with --set {', '.join(overrides)}" if overrides else str(file)
    scenario = parse_scenario(data, source=source, overrides=overrides)
    logger.debug("loaded scenario %r from %s (%d overrides)", scenario.name, file, len(overrides))
    return scenario
