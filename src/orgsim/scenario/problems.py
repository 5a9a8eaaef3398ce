"""How a problem in an input file is worded: one vocabulary for scenario and sweep files.

A user who mistypes a key in a scenario and a parameter path in a sweep should read
the same kind of sentence for both: the bad value named by its TOML type and quoted
(shortened when long), the nearest valid name offered as "did you mean", and a
broken limit stated with the limit. These functions only word messages; collecting
them into :class:`~orgsim.errors.Problem` lists is the caller's business.
"""

from __future__ import annotations

import difflib
import numbers
import operator
import reprlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

__all__ = [
    "LIMITS",
    "describe",
    "expected",
    "limit_problems",
    "nearest",
    "not_one_of",
    "shorten",
    "unknown",
    "unknown_key",
]


def _make_repr() -> reprlib.Repr:
    """A ``repr`` that keeps a quoted value to about one line of a message."""
    short = reprlib.Repr()
    short.maxstring = 60
    short.maxother = 60
    short.maxlong = 40
    short.maxlevel = 3
    short.maxdict = 4
    short.maxlist = 4
    short.maxtuple = 4
    return short


# Configured once above and only read afterwards.
_REPR = _make_repr()

LIMITS: tuple[tuple[str, Callable[[Any, Any], bool], str], ...] = (
    ("ge", operator.ge, ">="),
    ("gt", operator.gt, ">"),
    ("le", operator.le, "<="),
    ("lt", operator.lt, "<"),
)
"""Range limits a schema field's metadata may state: key, test, and the word for it."""


def shorten(value: object) -> str:
    """``repr(value)``, cut short (with ``...``) when it would swamp the message."""
    return _REPR.repr(value)


def describe(value: object) -> str:
    """Name a value's TOML type and quote it (shortened), for 'got ...' messages."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, numbers.Integral):
        return f"integer {shorten(value)}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        return f"string {shorten(value)}"
    if isinstance(value, Mapping):
        return f"table {shorten(dict(value))}"
    if isinstance(value, (list, tuple)):
        return f"array {shorten(list(value))}"
    if value is None:
        return "nothing (None)"
    if isinstance(value, (datetime, date, time)):
        return f"date/time {value.isoformat()}"
    return f"{type(value).__name__} {shorten(value)}"


def expected(what: str, value: object) -> str:
    """A wrong-type message: ``expected an integer, got string 'x'``.

    Args:
        what: What the value should have been, with its article (``a table``).
        value: What was given.
    """
    return f"expected {what}, got {describe(value)}"


def nearest(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate closest to ``word`` if any is close enough to be a typo of it."""
    close = difflib.get_close_matches(word, candidates, n=1)
    return close[0] if close else None


def unknown_key(key: str, valid: Sequence[str]) -> str:
    """A key a table does not have: the nearest valid key, else all of them."""
    close = nearest(key, valid)
    if close:
        return f"unknown key; did you mean '{close}'?"
    return f"unknown key (valid keys: {', '.join(valid)})"


def unknown(what: str, name: str, known: Sequence[str], *, see: str) -> str:
    """A name from a long list that is not on it (a parameter path, a metric).

    The list is too long to print, so without a near match the message says where
    to look instead.

    Args:
        what: What kind of name it is (``parameter``).
        name: The name given.
        known: Every valid name.
        see: Where the valid names are documented.
    """
    close = nearest(name, known)
    if close:
        return f"unknown {what} '{name}'; did you mean '{close}'?"
    return f"unknown {what} '{name}' (see {see})"


def not_one_of(
    value: object, choices: Sequence[str], *, quote: Callable[[object], str] = shorten
) -> str:
    """A value outside its allowed choices, with the nearest choice when there is one.

    Args:
        value: The value given (any type: a number where a word was due is also
            outside the choices).
        choices: The allowed values.
        quote: How the value is shown; scenario files shorten long values.
    """
    message = f"must be one of {', '.join(choices)}; got {quote(value)}"
    close = nearest(str(value), choices)
    if close:
        message += f" (did you mean '{close}'?)"
    return message


def limit_problems(limits: Mapping[str, Any], number: float, shown: str) -> list[str]:
    """Every limit in ``limits`` (``ge``, ``gt``, ``le``, ``lt``) that ``number`` breaks.

    Args:
        limits: The limits that apply (a field's metadata; other keys are ignored).
        number: The value to test.
        shown: The value as the message quotes it: as the user wrote it, which
            can differ from ``number`` (an integer read as a float).

    Returns:
        One ``must be >= 0, got -1`` message per broken limit; empty when all hold.
    """
    return [
        f"must be {word} {limits[key]!r}, got {shown}"
        for key, holds, word in LIMITS
        if key in limits and not holds(number, limits[key])
    ]
