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
blue for the arm with the broker, vermillion for the arm without. The arms differ
in more than hue: the broker-off arm is drawn dashed, its bands hatched with a
dashed outline where the broker arm's are filled with a solid one, so two
overlapping bands stay two and the charts survive greyscale printing.
Departments take the Okabe-Ito colours without yellow (too faint on white), each
with its own marker.

Names and units come from the metric catalogue (:func:`axis_label`), and amounts
of k$ are ticked in dollars the way the terminal writes them (:func:`value_axis`):
``$35M``, ``$900k``, shares as percentages; so no axis says "k$".
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
    "ARM_HATCHES",
    "ARM_LABELS",
    "ARM_STYLES",
    "BLUE",
    "DEPT_COLOURS",
    "DEPT_MARKERS",
    "OUTCOME_COLOURS",
    "RED",
    "SERIES_HATCHES",
    "SERIES_STYLES",
    "TICKED_UNITS",
    "Chart",
    "PathLike",
    "axes",
    "axis_label",
    "band_style",
    "clipped",
    "compact_axis",
    "compact_tick",
    "dept_colour",
    "dept_marker",
    "figure",
    "grid",
    "integer_axis",
    "money_axis",
    "no_data",
    "param_label",
    "percent_axis",
    "percent_tick",
    "save",
    "style",
    "unit_suffix",
    "value_axis",
    "value_text",
]

BLUE, RED = "#0072B2", "#D55E00"
ARM_COLOURS = {"on": BLUE, "off": RED}
ARM_LABELS = {"on": "with broker", "off": "without broker"}
ARM_STYLES = {"on": "-", "off": "--"}
#: How each arm's 10-90 % band is drawn: filled or hatched, outlined in its line style.
ARM_HATCHES = {"on": "", "off": "////"}
# Okabe-Ito without its yellow, which is too faint for a line on white.
# The stronger colours first: orange and sky blue, the lightest left, come last.
DEPT_COLOURS = ("#009E73", RED, "#CC79A7", BLUE, "#000000", "#E69F00", "#56B4E9")
DEPT_MARKERS = ("o", "s", "^", "v", "D", "P", "X")
#: Per series of a chart with several (a sweep's ``by`` levels): its line style
#: and its band's hatch, so overlapping bands stay apart without their colours.
SERIES_STYLES = ("-", "--", "-.", ":")
SERIES_HATCHES = ("", "////", "\\\\\\\\", "xxxx")
#: Units an axis does not name: money and shares are in the tick labels, counts bare.
TICKED_UNITS = ("k$", "share", "count")
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


def unit_suffix(unit: str) -> str:
    """`` (days)`` after an axis's text; nothing for the units the ticks write.

    Amounts of k$ are ticked in dollars and shares in percent by
    :func:`value_axis`, and a count needs no unit, as in the terminal's tables.
    """
    return f" ({unit})" if unit and unit not in TICKED_UNITS else ""


def axis_label(name: str, unit: str = "") -> str:
    """A metric's (or series') catalogue label with the unit its axis is drawn in.

    ``axis_label("lead_time_p50", "days")`` is ``"Lead time (median), days"``,
    ``axis_label("headcount.eng", "people")`` is ``"Headcount: eng (people)"``
    and ``axis_label("value_shipped", "k$")`` is ``"Value shipped"``: its ticks
    are in dollars (see :func:`unit_suffix`).
    """
    text, suffix = label(name), unit_suffix(unit)
    if suffix and text.endswith(")"):  # "Lead time (median), days", not "(median) (days)"
        return f"{text}, {unit}"
    return text + suffix


def param_label(path: str) -> str:
    """Axis label of a swept parameter (its dotted path; ``scale`` explained)."""
    if path == "scale":
        return "company size (× base scenario)"
    return path


def band_style(colour: str, hatch: str = "", linestyle: str = "-") -> dict[str, Any]:
    """``fill_between`` keywords of a band: filled when not hatched, outlined always.

    A filled band is a light tint with a solid outline; a hatched one has no fill,
    only its hatch and an outline in ``linestyle``, so where two bands overlap the
    tint shows through the hatch and both edges stay visible.
    """
    return {
        "facecolor": "none" if hatch else colour + "30",
        "edgecolor": colour + ("80" if hatch else "B0"),
        "hatch": hatch,
        "linestyle": linestyle,
        "linewidth": 0.8,
    }


def dept_colour(i: int) -> str:
    """Colour of the ``i``-th department (cycles after seven; see :func:`dept_marker`)."""
    return DEPT_COLOURS[i % len(DEPT_COLOURS)]


def dept_marker(i: int) -> str:
    """Marker of the ``i``-th department, so departments differ without colour too.

    The markers shift by one every time the colours come round, so the first 49
    departments each have their own pair of colour and marker.
    """
    n = len(DEPT_COLOURS)
    return DEPT_MARKERS[(i + i // n) % len(DEPT_MARKERS)]


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


def clipped(fig: Figure) -> list[str]:
    """The legends and texts of a drawn figure that reach outside the image.

    Lays the figure out as :func:`save` wrote it and returns the text of every
    legend (its entries) and text (titles, notes, annotations) whose extent is
    not inside the figure, so a chart can say in its ``data`` that nothing was
    cut off, and a test can hold it to that.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    box = fig.bbox
    artists = [*fig.get_children(), *(a for ax in fig.axes for a in ax.get_children())]
    out: list[str] = []
    for artist in artists:
        if not artist.get_visible():
            continue
        if isinstance(artist, Legend):
            name = "legend: " + ", ".join(t.get_text() for t in artist.get_texts())
        elif isinstance(artist, Text) and artist.get_text():
            name = artist.get_text()
        else:
            continue
        extent = artist.get_window_extent(renderer)
        inside = extent.x0 >= box.x0 - 1 and extent.y0 >= box.y0 - 1
        if not (inside and extent.x1 <= box.x1 + 1 and extent.y1 <= box.y1 + 1):
            out.append(name)
    return out


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
    """Tick labels like 20k and 1.5M instead of 20000 and 1500000; 12.5 below 1000."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: compact_tick(v)))


def compact_tick(value: float) -> str:
    """A tick's text: compact from 1000 (``20k``, ``1.5M``), as it is below (``12.5``)."""
    if abs(value) >= 1000:
        return format_number(value, style="compact")
    return "0" if abs(value) < 1e-12 else f"{value:.6g}"  # no "-0" nor "5.55e-17"


def money_axis(axis: Any, ticks: int = 6) -> None:
    """At most ``ticks`` tick labels in dollars (the values are k$): $0, $200k, $1.5M."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, style="money")))


def percent_axis(axis: Any) -> None:
    """Tick labels of a share in percent, as the tables write shares: 0.25 reads 25%."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: percent_tick(v)))


def percent_tick(share: float) -> str:
    """A share's tick in percent with the digits it needs: ``95%``, ``97.5%``, ``0%``."""
    return f"{compact_tick(100.0 * share)}%"


def value_axis(axis: Any, unit: str) -> None:
    """Ticks in the unit's own writing: dollars for k$ ($35M), percent for a share, else compact.

    With :func:`axis_label` (which then names no unit) an axis reads as the
    terminal's tables write the same metric.
    """
    if unit == "k$":
        money_axis(axis)
    elif unit == "share":
        percent_axis(axis)
    else:
        compact_axis(axis)


def value_text(value: float, unit: str) -> str:
    """A value as its axis writes it: ``$510M`` for k$, ``25.0%`` for a share, else ``20k``."""
    if unit == "k$":
        return format_number(value, style="money")
    if unit == "share":
        return format_number(value, "share")
    return format_number(value, style="compact")


def integer_axis(axis: Any, values: Sequence[Any]) -> None:
    """Integer ticks for a parameter that only takes integers."""
    from matplotlib.ticker import MaxNLocator

    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        axis.set_major_locator(MaxNLocator(integer=True))
