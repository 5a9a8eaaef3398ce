"""What every chart shares: palette, labels, figure and file plumbing, :class:`Chart`.

Every chart function draws one figure, writes it as PNG (150 dpi) and SVG into an
output folder and returns a :class:`Chart` holding the written paths and the exact
numbers that were plotted, so tests (and notebooks) can check the data behind a
chart instead of its pixels.

matplotlib is an optional dependency (the ``charts`` extra) and is imported only
inside functions, never when :mod:`orgsim` is imported. Figures are built with the
object-oriented :class:`matplotlib.figure.Figure` API, not pyplot: that renders
headless (Agg for PNG, the SVG backend for SVG) without touching the global
backend a notebook user may have chosen, and leaves no figure registered with
pyplot to leak memory in long sweeps.

Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies:
blue for the arm with the broker, orange for the arm without, the remaining
colours for departments. The broker-off arm is also drawn dashed, so the charts
survive greyscale printing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from orgsim._version import __version__
from orgsim.metrics.catalogue import label
from orgsim.metrics.format import format_number

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ARM_COLOURS",
    "ARM_LABELS",
    "ARM_STYLES",
    "BLUE",
    "DEPT_COLOURS",
    "OUTCOME_COLOURS",
    "RED",
    "Chart",
    "PathLike",
    "axes",
    "axis_label",
    "compact_axis",
    "dept_colour",
    "dept_marker",
    "figure",
    "grid",
    "integer_axis",
    "no_data",
    "param_label",
    "save",
    "style",
]

BLUE, RED = "#0072B2", "#D55E00"
ARM_COLOURS = {"on": BLUE, "off": "#E69F00"}
ARM_LABELS = {"on": "with broker", "off": "without broker"}
ARM_STYLES = {"on": "-", "off": "--"}
# Yellow last: it is the hardest to see on white.
DEPT_COLOURS = ("#009E73", RED, "#CC79A7", "#56B4E9", "#000000", "#F0E442")
OUTCOME_COLOURS = {
    "better": "#009E73",
    "worse": RED,
    "higher": "#CC79A7",
    "lower": "#56B4E9",
    "unclear": "#7F7F7F",
}

_RC: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "svg.hashsalt": "orgsim",  # stable SVG ids: same data, same file
}

PathLike = str | os.PathLike[str]


@attrs.frozen
class Chart:
    """One written chart.

    Attributes:
        name: File stem, ``out_dir / f"{name}.png"`` and ``.svg``.
        paths: The written files, PNG first.
        data: The numbers plotted, chart-specific (documented per function).
    """

    name: str
    paths: tuple[Path, ...]
    data: dict[str, Any] = attrs.field(eq=False, hash=False)

    @property
    def png(self) -> Path:
        """Path of the PNG file."""
        return next(p for p in self.paths if p.suffix == ".png")

    @property
    def svg(self) -> Path:
        """Path of the SVG file."""
        return next(p for p in self.paths if p.suffix == ".svg")


# --- labels -----------------------------------------------------------------------


def axis_label(name: str, unit: str = "") -> str:
    """A metric's (or series') catalogue label with the unit its axis is drawn in.

    ``axis_label("value_shipped", "k$")`` is ``"Value shipped (k$)"`` and
    ``axis_label("headcount.eng", "people")`` is ``"Headcount: eng (people)"``.
    """
    text = label(name)
    return f"{text} ({unit})" if unit else text


def param_label(path: str) -> str:
    """Axis label of a swept parameter (its dotted path; ``scale`` explained)."""
    if path == "scale":
        return "company size (× base scenario)"
    return path


def dept_colour(i: int) -> str:
    """Colour of the ``i``-th department (cycles after six; see :func:`dept_marker`)."""
    return DEPT_COLOURS[i % len(DEPT_COLOURS)]


def dept_marker(i: int) -> str:
    """Marker of the ``i``-th department: none for the first six, then o, s, ^, ..."""
    return ("", "o", "s", "^", "v", "P")[(i // len(DEPT_COLOURS)) % 6]


# --- plumbing ---------------------------------------------------------------------


@contextmanager
def style() -> Iterator[None]:
    """The charts' matplotlib settings, for the figures drawn inside the block only."""
    import matplotlib as mpl

    with mpl.rc_context(cast(Any, _RC)):  # typed keys are a Literal union
        yield


def figure(width: float, height: float) -> Figure:
    """A new figure with constrained layout, not registered with pyplot."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save(fig: Figure, out_dir: PathLike, name: str) -> tuple[Path, ...]:
    """Write ``fig`` as ``{name}.png`` and ``{name}.svg`` into ``out_dir``; their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{name}.png", out / f"{name}.svg"
    # Provenance in the files themselves; no date, so the same data gives the same bytes.
    options: tuple[tuple[Path, dict[str, Any]], ...] = (
        (png, {"dpi": 150, "metadata": {"Software": f"orgsim {__version__}"}}),
        (svg, {"metadata": {"Date": None, "Creator": f"orgsim {__version__}"}}),
    )
    for path, kwargs in options:
        try:
            fig.savefig(path, facecolor="white", **kwargs)
        except OSError as exc:  # a full disk: say which file (a failed write names none)
            if exc.filename is None:
                exc.filename = str(path)
            raise
    return (png, svg)


def grid(n: int, max_cols: int) -> tuple[int, int]:
    """Rows and columns of a grid of ``n`` panels at most ``max_cols`` wide."""
    cols = max(1, min(max_cols, n))
    return math.ceil(max(n, 1) / cols), cols


def axes(fig: Figure, n: int, max_cols: int) -> list[Axes]:
    """``n`` panels on a :func:`grid`, row by row; the spare cells are hidden."""
    rows, cols = grid(n, max_cols)
    cells = fig.subplots(rows, cols, squeeze=False)
    flat: list[Axes] = list(cells.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return flat[:n]


def no_data(ax: Axes, text: str = "no data") -> None:
    """Say in the middle of an empty panel why it is empty."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#555555")


def compact_axis(axis: Any) -> None:
    """Tick labels like 20k and 1.5M instead of 20000 and 1500000."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, style="compact")))


def money_axis(axis: Any, ticks: int = 6) -> None:
    """At most ``ticks`` tick labels in dollars (the values are k$): $0, $200k, $1.5M."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=ticks))
    axis.set_major_formatter(
        FuncFormatter(lambda v, _pos: "$0" if v == 0 else format_number(v, "k$"))
    )


def value_axis(axis: Any, unit: str) -> None:
    """Ticks in dollars for an amount of k$ (a 100k tick of k$ reads as $100M), else compact."""
    if unit == "k$":
        money_axis(axis)
    else:
        compact_axis(axis)


def value_text(value: float, unit: str) -> str:
    """A value as its axis writes it: ``$510M`` for k$, ``20k`` otherwise."""
    return format_number(value, "k$") if unit == "k$" else format_number(value, style="compact")


def integer_axis(axis: Any, values: Sequence[Any]) -> None:
    """Integer ticks for a parameter that only takes integers."""
    from matplotlib.ticker import MaxNLocator

    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        axis.set_major_locator(MaxNLocator(integer=True))
