"""Reading scenarios: TOML files, bundled names and ``--set`` overrides, checked in one pass.

A scenario file states only what differs from the defaults in
:mod:`orgsim.scenario`, so reading one is a merge: the user's tables are laid over
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
* A :class:`~orgsim.distributions.Dist` table that states ``kind`` replaces the
  default distribution whole, since parameters of another kind mean nothing for the
  new one. One without ``kind`` (``--set delivery.value.mean=500``) tunes the
  default distribution's parameters and keeps its kind.

Only :class:`~orgsim.errors.ScenarioError` leaves :func:`parse_scenario` and
:func:`load_scenario`, whatever the input.
"""

from __future__ import annotations

import copy
import difflib
import enum
import logging
import math
import numbers
import operator
import os
import re
import reprlib
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import cattrs

from orgsim.errors import Problem, ScenarioError
from orgsim.scenario.distributions import Dist
from orgsim.scenario.schema import Scenario

__all__ = [
    "apply_overrides",
    "bundled_scenarios",
    "load_scenario",
    "parse_scenario",
    "unstructure",
]

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ plain data


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


_CONVERTER = _make_converter()


def unstructure(obj: Any) -> dict[str, Any]:
    """The plain-data (TOML/JSON-compatible) form of a scenario object.

    Used for provenance, hashing and writing a resolved scenario back out;
    ``parse_scenario(unstructure(s)) == s`` for every scenario ``s`` that
    :func:`parse_scenario` can produce.

    Args:
        obj: A :class:`~orgsim.scenario.Scenario` or any of its sections.

    Returns:
        Nested dicts, lists and scalars; ``None`` distribution parameters omitted.

    Raises:
        TypeError: ``obj`` is not an attrs object, so it has no table form.
    """
    data = _CONVERTER.unstructure(obj)
    if not isinstance(data, dict):
        raise TypeError(f"unstructure() takes a scenario object, not {type(obj).__name__}")
    return data


# ------------------------------------------------------------------ schema


class _Kind(enum.Enum):
    """What a type hint asks of a value, for the validation walk."""

    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STR = "str"
    CLASS = "class"
    DICT = "dict"
    LIST = "list"


class _Missing(enum.Enum):
    """Marks a value that is absent: the class default then applies."""

    MISSING = enum.auto()


_MISSING = _Missing.MISSING

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


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


# ------------------------------------------------------------------ messages

_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlong = 40
_REPR.maxlevel = 3
_REPR.maxdict = 4
_REPR.maxlist = 4
_REPR.maxtuple = 4


def _describe(value: object) -> str:
    """Name a value's TOML type and quote it (shortened), for 'got ...' messages."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, numbers.Integral):
        return f"integer {_REPR.repr(value)}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        return f"string {_REPR.repr(value)}"
    if isinstance(value, Mapping):
        return f"table {_REPR.repr(dict(value))}"
    if isinstance(value, (list, tuple)):
        return f"array {_REPR.repr(list(value))}"
    if value is None:
        return "nothing (None)"
    if isinstance(value, (datetime, date, time)):
        return f"date/time {value.isoformat()}"
    return f"{type(value).__name__} {_REPR.repr(value)}"


def _unknown_key(key: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return f"unknown key (valid keys: {', '.join(valid)})"


_LIMITS: tuple[tuple[str, Callable[[Any, Any], bool], str], ...] = (
    ("ge", operator.ge, ">="),
    ("gt", operator.gt, ">"),
    ("le", operator.le, "<="),
    ("lt", operator.lt, "<"),
)


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
            self.type_error(path, f"expected a table, got {_describe(value)}")
            return out
        fields = _fields(cls)
        for key, item in value.items():
            if not isinstance(key, str):
                self.problem(path, f"keys must be strings, got {_describe(key)}")
                continue
            sub = _join(path, key)
            if key not in fields:
                self.problem(sub, _unknown_key(key, list(fields)))
                continue
            field, shape = fields[key]
            resolved = self.value(shape, field.metadata, item, base.get(key, _MISSING), sub)
            if resolved is _MISSING:
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

        On a type problem the default is returned (or ``_MISSING`` if there is none)
        so that the rest of the tree can still be walked and checked.
        """
        if value is None and shape.optional:
            return _MISSING
        kind = shape.kind
        if kind is _Kind.CLASS:
            return self.table(shape.arg, value, self._class_base(shape.arg, value, default), path)
        if kind is _Kind.DICT:
            return self._dict(shape.arg, value, default, path)
        if kind is _Kind.LIST:
            return self._list(shape.arg, value, default, path)
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
            self.type_error(path, f"expected a table, got {_describe(value)}")
            return default
        item_shape = _shape(item_hint)
        out = dict(base)
        for key, item in value.items():
            if not isinstance(key, str):
                self.problem(path, f"keys must be strings, got {_describe(key)}")
                continue
            entry_default = base.get(key, _MISSING)
            if entry_default is _MISSING and item_shape.kind is _Kind.CLASS:
                entry_default = _class_defaults(item_shape.arg)
            resolved = self.value(item_shape, {}, item, entry_default, _join(path, key))
            if resolved is _MISSING:
                out.pop(key, None)
            else:
                out[key] = resolved
        return out

    def _list(self, item_hint: Any, value: object, default: Any, path: str) -> Any:
        if not isinstance(value, (list, tuple)):
            self.type_error(path, f"expected an array, got {_describe(value)}")
            return default
        item_shape = _shape(item_hint)
        item_default: Any = _MISSING
        if item_shape.kind is _Kind.CLASS:
            item_default = _class_defaults(item_shape.arg)
        out = []
        for i, item in enumerate(value):
            resolved = self.value(item_shape, {}, item, item_default, _join(path, i))
            if resolved is not _MISSING:
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
                self.type_error(path, f"expected a boolean (true or false), got {_describe(value)}")
                return default
            return value
        if kind is _Kind.STR:
            if not isinstance(value, str):
                self.type_error(path, f"expected a string, got {_describe(value)}")
                return default
            self._choices(meta, value, path)
            return value
        if kind is _Kind.INT:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                self.type_error(path, f"expected an integer, got {_describe(value)}")
                return default
            number: int | float = int(value)
        else:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                self.type_error(path, f"expected a number, got {_describe(value)}")
                return default
            try:
                number = float(value)
            except (OverflowError, ValueError, TypeError):
                self.type_error(path, f"expected a float-sized number, got {_describe(value)}")
                return default
            if not math.isfinite(number):
                self.problem(path, f"must be a finite number, got {_describe(value)}")
                return number
        self._limits(meta, number, value, path)
        return number

    def _limits(self, meta: Mapping[str, Any], number: float, given: object, path: str) -> None:
        """Range checks; the message quotes the value as the user wrote it."""
        for key, holds, word in _LIMITS:
            if key in meta and not holds(number, meta[key]):
                self.problem(path, f"must be {word} {meta[key]!r}, got {_REPR.repr(given)}")

    def _choices(self, meta: Mapping[str, Any], text: str, path: str) -> None:
        choices = meta.get("choices")
        if choices is None or text in choices:
            return
        message = f"must be one of {', '.join(choices)}; got {_REPR.repr(text)}"
        close = difflib.get_close_matches(text, choices, n=1)
        if close:
            message += f" (did you mean '{close[0]}'?)"
        self.problem(path, message)

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
            sub = _join(path, field.name)
            if isinstance(child, dict):
                for key, item in child.items():
                    self.run_checks(item, _join(sub, key))
            elif isinstance(child, list):
                for i, item in enumerate(child):
                    self.run_checks(item, _join(sub, i))
            else:
                self.run_checks(child, sub)
        check = getattr(obj, "check", None)
        if callable(check) and self.clean(path):
            for where, message in check():
                self.problem(_join(path, where) if where else path, message)


# ------------------------------------------------------------------ overrides


def _parse_override_value(text: str) -> Any:
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


def _walk_defaults(defaults: Any, keys: Sequence[str | int]) -> Any:
    """The plain default at ``keys`` under ``defaults``, or ``_MISSING``."""
    node = defaults
    for key in keys:
        if isinstance(node, Mapping):
            node = node.get(key, _MISSING)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return _MISSING
    return node


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
            [Problem("", f"expected a table at the top level, got {_describe(data)}")]
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


def _apply_one(root: dict[str, Any], text: object, defaults: Mapping[str, Any] | None) -> None:
    if not isinstance(text, str):
        raise _OverrideError("expected a string 'dotted.path=value'")
    path_text, equals, value_text = text.partition("=")
    if not equals:
        raise _OverrideError("expected 'dotted.path=value'")
    parts = [p.strip() for p in path_text.split(".")]
    if not path_text.strip() or any(not p for p in parts):
        raise _OverrideError("empty key in the path; expected 'dotted.path=value'")
    value = _parse_override_value(value_text)

    node: dict[str, Any] | list[Any] = root
    walked: list[str | int] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        key: str | int
        if isinstance(node, list):
            if not part.isdigit():
                raise _OverrideError(f"'{_dotted(walked)}' is an array; {part!r} is not an index")
            key = int(part)
            if key > len(node):
                raise _OverrideError(
                    f"index {key} is past the end of '{_dotted(walked)}' ({len(node)} items)"
                )
        else:
            key = part
        walked.append(key)
        if last:
            _put(node, key, value)
            return
        child = _get(node, key)
        if child is _MISSING and defaults is not None:
            fallback = _walk_defaults(defaults, walked)
            if isinstance(fallback, list):
                child = copy.deepcopy(fallback)
        if child is _MISSING:
            child = {}
        elif isinstance(child, Mapping):
            child = dict(child)
        elif isinstance(child, (list, tuple)):
            child = list(child)
        else:
            raise _OverrideError(f"'{_dotted(walked)}' holds {_describe(child)}, not a table")
        _put(node, key, child)
        node = child


def _dotted(keys: Sequence[str | int]) -> str:
    return ".".join(map(str, keys))


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


def _get(node: dict[str, Any] | list[Any], key: str | int) -> Any:
    if isinstance(node, list):
        assert isinstance(key, int)
        return node[key] if key < len(node) else _MISSING
    return node.get(typing.cast(str, key), _MISSING)


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
            [Problem("", f"expected a table at the top level, got {_describe(data)}")],
            source=source,
        )
    defaults = _scenario_defaults()
    if overrides:
        data = apply_overrides(data, overrides, defaults=defaults)
    walk = _Walk()
    tree = walk.table(Scenario, data, defaults, "")
    scenario = _CONVERTER.structure(tree, Scenario)
    walk.run_checks(scenario)
    if walk.problems:
        raise ScenarioError(walk.problems, source=source)
    return scenario


# ------------------------------------------------------------------ files

_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def _toml_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int, int, str]:
    """Line, column and bare message of a TOML syntax error.

    Python 3.11's ``TOMLDecodeError`` has no position attributes, only a
    ``(at line X, column Y)`` or ``(at end of document)`` suffix on its message.
    """
    message = str(exc)
    match = _POSITION.search(message)
    if match:
        return int(match[1]), int(match[2]), message[: match.start()]
    match = _AT_END.search(message)
    if match:
        lines = text.split("\n")
        return len(lines), len(lines[-1]) + 1, message[: match.start()]
    return 1, 1, message


def _read_toml(file: Path) -> dict[str, Any]:
    source = str(file)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem("", f"no such scenario file: {source}")]) from None
    except IsADirectoryError:
        raise ScenarioError(
            [Problem("", "is a directory, not a scenario file")], source=source
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScenarioError([Problem("", f"cannot read: {reason}")], source=source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = Problem("", f"not UTF-8 text (bad byte at offset {exc.start})")
        raise ScenarioError([problem], source=source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column, message = _toml_position(exc, text)
        raise ScenarioError([Problem("", message)], source=f"{source}:{line}:{column}") from None


def bundled_scenarios() -> dict[str, Path]:
    """Scenarios shipped inside the package, by name, sorted by name.

    They let ``orgsim run midsize`` work from any directory. Returns ``{}`` when the
    package ships none.
    """
    try:
        root = resources.files("orgsim") / "data" / "scenarios"
        if not root.is_dir():
            return {}
        entries = [e for e in root.iterdir() if e.is_file() and e.name.endswith(".toml")]
    except (OSError, ModuleNotFoundError):
        return {}
    found = {e.name.removesuffix(".toml"): Path(str(e)) for e in entries}
    return dict(sorted(found.items()))


def _locate(path: str | os.PathLike[str]) -> Path:
    """The file to read: ``path`` itself, or the bundled scenario of that name."""
    file = Path(path)
    if file.suffix or file.exists():
        return file
    bundled = bundled_scenarios()
    if os.fspath(path) in bundled:
        return bundled[os.fspath(path)]
    known = ", ".join(bundled) or "none"
    raise ScenarioError(
        [
            Problem(
                "",
                f"no such scenario file: {os.fspath(path)} "
                f"(nor a bundled scenario of that name; bundled: {known})",
            )
        ]
    )


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
    file = _locate(path)
    data = _read_toml(file)
    # Name the overrides in the message: a bad value may come from --set, not the file.
    source = f"{file} with --set {', '.join(overrides)}" if overrides else str(file)
    scenario = parse_scenario(data, source=source, overrides=overrides)
    logger.debug("loaded scenario %r from %s (%d overrides)", scenario.name, file, len(overrides))
    return scenario
