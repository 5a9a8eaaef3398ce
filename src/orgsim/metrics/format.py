"""The one number formatter: how every table, verdict and chart writes a number.

Numbers reach people in four places, each with its own needs, so
:func:`format_number` has one *style* per place rather than each place having
its own formatter:

* ``"table"`` (terminal tables): few decimals, thousands separated, and the
  metric's unit: a share as a percentage, k$ as money (``$343.8M``), other
  units after the number (``54.1 days``), counts bare.
* ``"precise"`` (verdict sentences, chart annotations): three significant
  digits, large values as grouped integers, never ``e+04``.
* ``"compact"`` (chart cells and tick labels): ``20k``, ``1.5M``.
* ``"money"`` (chart ticks of an amount in k$): ``$35M``, ``$1.5M``, ``$900k``,
  ``$0``: the table's dollars without its fixed decimal, so a tick reads as the
  terminal writes the amount and an axis needs no "k$".
* ``"percent"`` (a value already in percent): ``15%``, ``2.5%``.
* ``"plain"`` (parameter levels): four significant digits.

Missing values (None or NaN) are written as ``missing``, an en dash by default.
"""

from __future__ import annotations

import math
from typing import Any, Literal

__all__ = ["INLINE_UNITS", "Style", "format_level", "format_number"]

Style = Literal["table", "precise", "compact", "money", "percent", "plain"]

#: Units the table style writes into the number itself (``98.8%``, ``$1.6M``)
#: rather than after it: a table that names units in its row labels still keeps
#: these with the value.
INLINE_UNITS = ("share", "k$")


def format_number(
    value: float | None,
    unit: str = "",
    *,
    style: Style = "table",
    signed: bool = False,
    missing: str = "–",
) -> str:
    """A number as people read it, in one of the styles above.

    Args:
        value: The number; None or NaN is missing.
        unit: The metric's unit (table style only: the other styles write bare
            numbers, whose unit an axis label or legend names).
        style: ``"table"``, ``"precise"``, ``"compact"``, ``"money"`` (the
            value in k$), ``"percent"`` or ``"plain"``.
        signed: Whether a non-negative number gets a ``+``.
        missing: The text of a missing value.

    Returns:
        The text.

    Raises:
        ValueError: If a unit is given with a style other than ``"table"``.
    """
    if unit and style != "table":
        raise ValueError(f"only the table style writes units, not the {style!r} style")
    if value is None or math.isnan(value):
        return missing
    text = _table(float(value), unit) if style == "table" else _STYLES[style](float(value))
    return f"+{text}" if signed and not text.startswith("-") else text


def format_level(value: Any) -> str:
    """A parameter's level: a float in the plain style, anything else as it prints."""
    if isinstance(value, float):
        return format_number(value, style="plain")
    return str(value)


def _table(x: float, unit: str) -> str:
    if unit == "share":
        return f"{x:.1%}"
    if unit == "k$":
        sign = "-" if x < 0 else ""
        if abs(x) >= 1000:
            return f"{sign}${abs(x) / 1000:,.1f}M"
        return f"{sign}${abs(x):,.0f}k"
    magnitude = abs(x)
    if magnitude >= 100 or x.is_integer():
        text = f"{x:,.0f}"
    elif magnitude >= 10:
        text = f"{x:,.1f}"
    else:
        text = f"{x:,.2f}"
    return f"{text} {unit}" if unit and unit != "count" else text


def _precise(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) >= 1e-4 or x == 0 else f"{x:.2e}"


def _compact(x: float) -> str:
    magnitude = abs(x)
    if magnitude >= 1e6:
        return f"{x / 1e6:.1f}M"
    if magnitude >= 1e4:
        return f"{x / 1e3:.0f}k"
    if magnitude >= 1e3:
        return f"{x / 1e3:.1f}k"
    if magnitude >= 10:
        return f"{x:.0f}"
    return f"{x:.2g}"


def _money(x: float) -> str:
    """An amount of k$ in dollars, with as many digits as it needs (three at most)."""
    sign, magnitude = ("-" if x < 0 else ""), abs(x)
    if magnitude == 0:
        return "$0"
    scale, suffix = (1e6, "B") if magnitude >= 1e6 else (1e3, "M") if magnitude >= 1e3 else (1, "k")
    return f"{sign}${_digits(magnitude / scale)}{suffix}"


def _digits(x: float) -> str:
    """``35``, ``1.5``, ``0.25``: three significant digits, trailing zeros dropped."""
    decimals = 0 if x >= 100 else 1 if x >= 10 else 2
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _percent(x: float) -> str:
    return f"{x:.0f}%" if abs(x) >= 10 else f"{x:.1f}%"


def _plain(x: float) -> str:
    return f"{x:.4g}"


_STYLES = {
    "precise": _precise,
    "compact": _compact,
    "money": _money,
    "percent": _percent,
    "plain": _plain,
}


def format_count(n: float) -> str:
    """A large count as people read it: 42.9 million, 4.0 billion, 12,345."""
    if n >= 1e9:
        return f"{n / 1e9:.1f} billion"
    if n >= 1e6:
        return f"{n / 1e6:.1f} million"
    return f"{n:,.0f}"


def format_duration(seconds: float) -> str:
    """A duration in the largest unit that reads well: 18 years, 3 days, 9.4 h.

    Each unit starts at two of it (two years, two days), so a count is never a
    singular "1 years" or "1 days": a year and a half reads 548 days.
    """
    if seconds >= 86400 * 365 * 2:
        return f"{seconds / (86400 * 365):,.0f} years"
    if seconds >= 86400 * 2:
        return f"{seconds / 86400:,.0f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.1f} s"


def format_bytes(n: float) -> str:
    """A size in binary units: 84.6 TiB, 10.0 GiB, 512 MiB."""
    if n >= 1024**4:
        return f"{n / 1024**4:,.1f} TiB"
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GiB"
    return f"{n / 1024**2:.0f} MiB"
