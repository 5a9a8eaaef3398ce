"""Charts of an experiment: forest plot, distributions, time series, conflict funnel.

Every function draws one figure, writes it as PNG (150 dpi) and SVG into ``out_dir``
and returns a :class:`Chart` holding the written paths and the exact numbers that
were plotted, so tests (and notebooks) can check the data behind a chart instead
of its pixels.

matplotlib is an optional dependency (the ``charts`` extra) and is imported only
inside these functions, never when :mod:`orgsim` is imported. Figures are built
with the object-oriented :class:`matplotlib.figure.Figure` API, not pyplot: that
renders headless (Agg for PNG, the SVG backend for SVG) without touching the
global backend a notebook user may have chosen, and leaves no figure registered
with pyplot to leak memory in long sweeps.

Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies:
blue for the arm with the broker, orange for the arm without, the remaining
colours for departments. The broker-off arm is also drawn dashed, so the charts
survive greyscale printing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from orgsim.analysis.stats import Comparison, format_number

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ARM_COLOURS",
    "ARM_LABELS",
    "DEPT_COLOURS",
    "OUTCOME_COLOURS",
    "Chart",
    "dept_colour",
    "dept_marker",
    "distributions",
    "forest_plot",
    "funnel",
    "label",
    "time_series",
]

ARM_COLOURS = {"on": "#0072B2", "off": "#E69F00"}
ARM_LABELS = {"on": "with broker", "off": "without broker"}
ARM_STYLES = {"on": "-", "off": "--"}
# Yellow last: it is the hardest to see on white.
DEPT_COLOURS = ("#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
OUTCOME_COLOURS = {
    "better": "#009E73",
    "worse": "#D55E00",
    "higher": "#CC79A7",
    "lower": "#56B4E9",
    "unclear": "#7F7F7F",
}
_OUTCOME_MARKERS = {"better": "o", "worse": "s", "higher": "D", "lower": "D", "unclear": "o"}
_OUTCOME_TEXT = {
    "better": "broker better",
    "worse": "broker worse",
    "higher": "higher with broker",
    "lower": "lower with broker",
    "unclear": "not significant",
}
FUNNEL_STAGES = ("raised", "detected", "resolved", "escalated", "lapsed", "open")
_STAGE_TEXT = {"open": "still open"}

_ACRONYMS = {"ceo": "CEO", "wip": "WIP", "vp": "VP", "pm": "PM", "hr": "HR", "qa": "QA"}

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


def label(name: str, unit: str = "") -> str:
    """Axis label from a metric name and unit.

    ``label("value_shipped", "k$")`` is ``"Value shipped (k$)"``,
    ``label("lead_time_p50", "days")`` is ``"Lead time p50 (days)"`` and
    ``label("headcount.eng", "people")`` is ``"Headcount: eng (people)"``.
    """
    head, _, tail = name.partition(".")
    words = [_ACRONYMS.get(w, w) for w in head.split("_") if w]
    text = " ".join(words)
    text = text[:1].upper() + text[1:]
    if tail:
        text = f"{text}: {tail}"
    return f"{text} ({unit})" if unit else text


def dept_colour(i: int) -> str:
    """Colour of the ``i``-th department (cycles after six; see :func:`dept_marker`)."""
    return DEPT_COLOURS[i % len(DEPT_COLOURS)]


def dept_marker(i: int) -> str:
    """Marker of the ``i``-th department: none for the first six, then o, s, ^, ..."""
    return ("", "o", "s", "^", "v", "P")[(i // len(DEPT_COLOURS)) % 6]


# --- plumbing ---------------------------------------------------------------------


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib as mpl

    with mpl.rc_context(cast(Any, _RC)):  # typed keys are a Literal union
        yield


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(fig: Figure, out_dir: PathLike, name: str) -> tuple[Path, ...]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{name}.png", out / f"{name}.svg"
    # Provenance in the files themselves; no date, so the same data gives the same bytes.
    from orgsim._version import __version__

    fig.savefig(png, dpi=150, facecolor="white", metadata={"Software": f"orgsim {__version__}"})
    fig.savefig(svg, facecolor="white", metadata={"Date": None, "Creator": f"orgsim {__version__}"})
    return (png, svg)


def _values(x: ArrayLike) -> NDArray[np.float64]:
    """1-D float array without NaNs."""
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    return arr[~np.isnan(arr)]


def _grid(n: int, max_cols: int) -> tuple[int, int]:
    cols = max(1, min(max_cols, n))
    return math.ceil(max(n, 1) / cols), cols


def _axes(fig: Figure, n: int, max_cols: int) -> list[Axes]:
    rows, cols = _grid(n, max_cols)
    grid = fig.subplots(rows, cols, squeeze=False)
    flat: list[Axes] = list(grid.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return flat[:n]


def _thousands(ax: Axes, *arrays: ArrayLike) -> None:
    """Group digits on the y axis (``200,000``) when the values reach 10,000."""
    from matplotlib.ticker import StrMethodFormatter

    finite = [np.asarray(a, dtype=np.float64) for a in arrays]
    peak = max((float(np.nanmax(np.abs(a))) for a in finite if np.isfinite(a).any()), default=0.0)
    if peak >= 10_000:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _no_data(ax: Axes, text: str = "no data") -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#555555")


# --- forest plot ------------------------------------------------------------------


def forest_plot(
    comparisons: Mapping[str, Comparison],
    units: Mapping[str, str],
    out_dir: PathLike,
    name: str = "forest",
) -> Chart:
    """Relative paired difference (broker on − off) of every metric, with its CI.

    One row per metric, top to bottom in the order given; the marker's colour and
    shape say whether the broker is significantly better, worse, or neither (for
    metrics without a preferred direction: higher or lower). Metrics whose relative
    difference is undefined (broker-off mean 0) are left out and listed.

    Args:
        comparisons: Metric name to :class:`orgsim.stats.Comparison`.
        units: Metric name to unit, used for the absolute difference annotated on
            the right of each row.
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["rows"]`` is a list of dicts (top to bottom) with keys
        ``metric``, ``label``, ``relative_pct``, ``low_pct``, ``high_pct`` (the
        comparison's relative values x 100), ``outcome``, ``diff``, ``unit``,
        ``text``; ``data["skipped"]`` lists the metrics left out; ``data["level"]``
        is the confidence level.
    """
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    level = 0.95
    for i, (metric, c) in enumerate(comparisons.items()):
        if i == 0:
            level = c.level
        if math.isnan(c.relative):
            skipped.append(metric)
            continue
        unit = units.get(metric, "")
        rel, low, high = 100.0 * c.relative, 100.0 * c.relative_low, 100.0 * c.relative_high
        ci = "" if math.isnan(low) else f" [{low:+.1f}, {high:+.1f}]"
        delta = f"Δ {format_number(c.diff.mean)}" + (f" {unit}" if unit else "")
        rows.append(
            {
                "metric": metric,
                "label": label(metric),
                "relative_pct": rel,
                "low_pct": low,
                "high_pct": high,
                "outcome": c.outcome,
                "diff": c.diff.mean,
                "unit": unit,
                "text": f"{rel:+.1f}%{ci}   {delta}",
            }
        )

    with _style():
        from matplotlib.lines import Line2D

        fig = _figure(9.0, 1.6 + 0.42 * max(len(rows), 2))
        ax = fig.subplots()
        ax.axvline(0.0, color="#000000", lw=1.0, zorder=1)
        ypos = np.arange(len(rows))[::-1]
        for y, row in zip(ypos, rows, strict=True):
            outcome = row["outcome"]
            colour = OUTCOME_COLOURS[outcome]
            x, low, high = row["relative_pct"], row["low_pct"], row["high_pct"]
            xerr = None if math.isnan(low) else [[x - low], [high - x]]
            ax.errorbar(
                [x],
                [y],
                xerr=xerr,
                fmt=_OUTCOME_MARKERS[outcome],
                color=colour,
                ecolor=colour,
                mfc="white" if outcome == "unclear" else colour,
                ms=7,
                elinewidth=2,
                capsize=4,
                zorder=3,
            )
            ax.annotate(
                row["text"],
                xy=(1.02, y),
                xycoords=ax.get_yaxis_transform(),
                va="center",
                ha="left",
                fontsize=9,
                family="monospace",
            )
        ax.set_yticks(ypos, [r["label"] for r in rows])
        ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("Relative difference, with − without broker (% of without-broker mean)")
        ax.set_title(f"Effect of the broker: paired difference with {100 * level:g}% CI")
        if not rows:
            _no_data(ax, "no metric with a defined relative difference")
        present = [o for o in OUTCOME_COLOURS if any(r["outcome"] == o for r in rows)]
        handles = [
            Line2D(
                [],
                [],
                ls="",
                marker=_OUTCOME_MARKERS[o],
                color=OUTCOME_COLOURS[o],
                mfc="white" if o == "unclear" else OUTCOME_COLOURS[o],
                ms=7,
                label=_OUTCOME_TEXT[o],
            )
            for o in present
        ]
        if skipped:  # a text-only legend entry, so it never collides with the legend
            names = ", ".join(label(m) for m in skipped)
            handles.append(
                Line2D([], [], ls="", label=f"not shown (without-broker mean 0): {names}")
            )
        if handles:
            fig.legend(
                handles=handles, loc="outside lower center", ncol=len(handles), frameon=False
            )
        paths = _save(fig, out_dir, name)
    return Chart(name, paths, {"rows": rows, "skipped": skipped, "level": level})


# --- distributions ----------------------------------------------------------------


def _summary(v: NDArray[np.float64]) -> dict[str, Any]:
    if v.size == 0:
        return {"values": v, "mean": math.nan, "median": math.nan, "q1": math.nan, "q3": math.nan}
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {
        "values": v,
        "mean": float(np.mean(v)),
        "median": float(med),
        "q1": float(q1),
        "q3": float(q3),
    }


def distributions(
    on: Mapping[str, ArrayLike],
    off: Mapping[str, ArrayLike],
    metrics: Sequence[str],
    units: Mapping[str, str],
    out_dir: PathLike,
    name: str = "distributions",
) -> Chart:
    """Small multiples of each metric's distribution over replications, per arm.

    Each panel shows a box (quartiles, whiskers at 1.5 IQR) with every replication
    as a jittered point on top and the mean as a white diamond.

    Args:
        on: Metric name to one value per replication, with the broker.
        off: The same without the broker.
        metrics: Metrics to draw, one panel each, in this order.
        units: Metric name to unit, for the y axis labels.
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["panels"][metric]`` holds ``label`` and, for ``"on"`` and
        ``"off"``, a dict of ``values`` (NaNs dropped), ``mean``, ``median``, ``q1``,
        ``q3``; ``data["metrics"]`` is the panel order.
    """
    panels: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        panels[metric] = {
            "label": label(metric, units.get(metric, "")),
            "on": _summary(_values(on[metric])),
            "off": _summary(_values(off[metric])),
        }

    with _style():
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        rows, cols = _grid(len(metrics), 4)
        fig = _figure(3.1 * cols + 0.4, 3.0 * rows + 0.7)
        axes = _axes(fig, len(metrics), 4)
        jitter = np.random.default_rng(0)
        for ax, metric in zip(axes, metrics, strict=True):
            panel = panels[metric]
            for pos, arm in ((1, "on"), (2, "off")):
                v = panel[arm]["values"]
                if v.size == 0:
                    continue
                colour = ARM_COLOURS[arm]
                ax.boxplot(
                    [v],
                    positions=[pos],
                    widths=0.55,
                    showfliers=False,
                    patch_artist=True,
                    medianprops={"color": colour, "lw": 2},
                    whiskerprops={"color": colour},
                    capprops={"color": colour},
                    boxprops={"edgecolor": colour, "facecolor": colour + "40"},
                )
                x = pos + jitter.uniform(-0.17, 0.17, v.size)
                ax.scatter(x, v, s=9, color=colour, alpha=0.55, lw=0, zorder=3)
                ax.scatter(
                    [pos],
                    [panel[arm]["mean"]],
                    marker="D",
                    s=30,
                    color="white",
                    edgecolor="#000000",
                    lw=1,
                    zorder=4,
                )
            if panel["on"]["values"].size + panel["off"]["values"].size == 0:
                _no_data(ax)
            _thousands(ax, panel["on"]["values"], panel["off"]["values"])
            ax.set_xticks([1, 2], [ARM_LABELS["on"], ARM_LABELS["off"]])
            ax.set_xlim(0.4, 2.6)
            ax.grid(axis="x", visible=False)
            ax.set_ylabel(panel["label"])
            ax.set_title(label(metric))
        handles = [
            Patch(
                facecolor=ARM_COLOURS["on"] + "40",
                edgecolor=ARM_COLOURS["on"],
                label=ARM_LABELS["on"],
            ),
            Patch(
                facecolor=ARM_COLOURS["off"] + "40",
                edgecolor=ARM_COLOURS["off"],
                label=ARM_LABELS["off"],
            ),
            Line2D([], [], ls="", marker="D", color="white", mec="#000000", label="mean"),
        ]
        fig.suptitle("Distribution over replications")
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        paths = _save(fig, out_dir, name)
    return Chart(name, paths, {"metrics": list(metrics), "panels": panels})


# --- time series ------------------------------------------------------------------


def _runs(x: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2:
        raise ValueError(f"quarterly series must be runs x quarters, got shape {arr.shape}")
    return arr


def _band(x: ArrayLike) -> dict[str, NDArray[np.float64]]:
    arr = _runs(x)
    quarters = np.arange(1, arr.shape[1] + 1)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN quarters
            median = np.nanmedian(arr, axis=0)
            p10, p90 = np.nanpercentile(arr, [10, 90], axis=0)
    return {"quarter": quarters, "median": median, "p10": p10, "p90": p90}


def _family_members(series: str, keys: Sequence[str]) -> tuple[str, list[str]] | None:
    """``(base, members)`` when ``series`` names a ``base.<dept>`` family, else None."""
    if series.endswith(".*"):
        base = series[:-2]
    elif series not in keys:
        base = series
    else:
        return None
    members = [k for k in keys if k.startswith(base + ".")]
    if not members:
        raise KeyError(f"no quarterly series {series!r} (nor any '{base}.<dept>')")
    return base, members


def time_series(
    quarterly_on: Mapping[str, ArrayLike],
    quarterly_off: Mapping[str, ArrayLike],
    series: Sequence[str],
    units: Mapping[str, str],
    out_dir: PathLike,
    name: str = "timeseries",
) -> Chart:
    """Quarter-by-quarter trajectories of both arms, one panel per series.

    A plain series (``"value_shipped"``) gets, per arm, the median over runs and a
    10-90 % band. A family of per-department series is named ``"headcount.*"``
    (or by its base alone, ``"budget_share"``, when no plain series has that name);
    its panel has one median line per department and arm, in the department's
    colour, solid with the broker and dashed without.

    Args:
        quarterly_on: Series name to an array of runs x quarters, with the broker.
        quarterly_off: The same without the broker.
        series: Panels to draw, in this order.
        units: Series name (or family base) to unit, for the y axis labels.
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["panels"][s]`` for each requested series ``s`` is either
        ``{"kind": "series", "label", "on": band, "off": band}`` with ``band`` a dict
        of ``quarter`` (1-based), ``median``, ``p10`` and ``p90`` arrays (NaN-aware
        percentiles over runs, per quarter), or ``{"kind": "family", "label",
        "depts": {dept: {"on": band, "off": band}}}`` (only the medians are drawn).
    """
    keys = list(quarterly_on) + [k for k in quarterly_off if k not in quarterly_on]
    panels: dict[str, dict[str, Any]] = {}
    for s in series:
        fam = _family_members(s, keys)
        if fam is None:
            unit = units.get(s, "")
            panels[s] = {
                "kind": "series",
                "label": label(s, unit),
                "on": _band(quarterly_on[s]),
                "off": _band(quarterly_off[s]),
            }
        else:
            base, members = fam
            unit = units.get(s) or units.get(base) or units.get(members[0], "")
            depts: dict[str, dict[str, Any]] = {}
            for key in members:
                depts[key[len(base) + 1 :]] = {
                    arm: _band(src[key])
                    for arm, src in (("on", quarterly_on), ("off", quarterly_off))
                    if key in src
                }
            panels[s] = {"kind": "family", "label": label(base, unit), "depts": depts}

    with _style():
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
        from matplotlib.ticker import MaxNLocator

        rows, cols = _grid(len(series), 2)
        fig = _figure(6.0 * cols, 3.4 * rows + 0.8)
        axes = _axes(fig, len(series), 2)
        for ax, s in zip(axes, series, strict=True):
            panel = panels[s]
            if panel["kind"] == "series":
                for arm in ("on", "off"):
                    b = panel[arm]
                    colour = ARM_COLOURS[arm]
                    ax.fill_between(b["quarter"], b["p10"], b["p90"], color=colour, alpha=0.2, lw=0)
                    ax.plot(b["quarter"], b["median"], color=colour, ls=ARM_STYLES[arm], lw=2)
                ax.set_title(label(s))
                _thousands(ax, *(panel[a][k] for a in ("on", "off") for k in ("p10", "p90")))
            else:
                base = s[:-2] if s.endswith(".*") else s
                dept_handles = []
                for i, (dept, arms) in enumerate(panel["depts"].items()):
                    colour, marker = dept_colour(i), dept_marker(i)
                    for arm, b in arms.items():
                        ax.plot(
                            b["quarter"],
                            b["median"],
                            color=colour,
                            ls=ARM_STYLES[arm],
                            lw=1.8,
                            marker=marker,
                            ms=4,
                        )
                    dept_handles.append(
                        Line2D([], [], color=colour, lw=2, marker=marker, ms=4, label=dept)
                    )
                style_handles = [
                    Line2D([], [], color="#555555", ls=ARM_STYLES[a], lw=1.8, label=ARM_LABELS[a])
                    for a in ("on", "off")
                ]
                ax.legend(
                    handles=dept_handles + style_handles,
                    loc="upper left",
                    bbox_to_anchor=(1.0, 1.0),
                    frameon=False,
                    title="department",
                    title_fontsize=9,
                )
                ax.set_title(f"{label(base)} by department (median)")
            ax.set_xlabel("quarter")
            ax.set_ylabel(panel["label"])
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        handles = [
            (
                Patch(facecolor=ARM_COLOURS[a], alpha=0.2),
                Line2D([], [], color=ARM_COLOURS[a], ls=ARM_STYLES[a], lw=2),
            )
            for a in ("on", "off")
        ]
        fig.suptitle("Quarterly trajectories: median over runs, band 10th-90th percentile")
        fig.legend(
            handles=handles,
            labels=[ARM_LABELS["on"], ARM_LABELS["off"]],
            loc="outside lower center",
            ncol=2,
            frameon=False,
        )
        paths = _save(fig, out_dir, name)
    return Chart(name, paths, {"series": list(series), "panels": panels})


# --- funnel -----------------------------------------------------------------------


def funnel(
    funnel_on: Mapping[str, ArrayLike],
    funnel_off: Mapping[str, ArrayLike],
    out_dir: PathLike,
    name: str = "funnel",
) -> Chart:
    """Conflict funnel: mean count per run at each stage, grouped bars per arm.

    Stages run top to bottom raised, detected, resolved, escalated, lapsed, open
    (those present in either arm), then any other keys in input order. Each bar is
    annotated with its mean and, below "raised", its share of the raised count.

    Args:
        funnel_on: Stage to one count per run, with the broker.
        funnel_off: The same without the broker.
        out_dir: Directory to write ``{name}.png`` and ``{name}.svg`` into.
        name: File stem.

    Returns:
        The chart; ``data["stages"]`` is the stage order, ``data["on"]`` and
        ``data["off"]`` the mean counts per stage (NaN for a stage absent from that
        arm), ``data["labels"]`` the annotation text per arm.
    """
    keys = list(funnel_on) + [k for k in funnel_off if k not in funnel_on]
    stages = [s for s in FUNNEL_STAGES if s in keys] + [k for k in keys if k not in FUNNEL_STAGES]
    means: dict[str, NDArray[np.float64]] = {}
    texts: dict[str, list[str]] = {}
    for arm, src in (("on", funnel_on), ("off", funnel_off)):
        m = np.array(
            [
                float(np.mean(v)) if s in src and (v := _values(src[s])).size else math.nan
                for s in stages
            ]
        )
        means[arm] = m
        raised = float(m[stages.index("raised")]) if "raised" in stages else math.nan
        arm_text = []
        for s, value in zip(stages, m, strict=True):
            if math.isnan(value):
                arm_text.append("n/a")
            elif s != "raised" and raised > 0:
                arm_text.append(f"{value:.1f} ({value / raised:.0%})")
            else:
                arm_text.append(f"{value:.1f}")
        texts[arm] = arm_text

    with _style():
        fig = _figure(8.5, 1.4 + 0.75 * max(len(stages), 2))
        ax = fig.subplots()
        y = np.arange(len(stages))
        h = 0.38
        for offset, arm in ((-h / 2, "on"), (h / 2, "off")):
            m = means[arm]
            bars = ax.barh(
                y + offset,
                np.nan_to_num(m),
                height=h,
                color=ARM_COLOURS[arm],
                edgecolor="white",
                hatch="" if arm == "on" else "//",
                label=ARM_LABELS[arm],
            )
            ax.bar_label(bars, labels=texts[arm], padding=3, fontsize=9)
        if "detected" in stages and stages.index("detected") + 1 < len(stages):
            ax.axhline(stages.index("detected") + 0.5, color="#999999", lw=0.8, ls=":")
        ax.set_yticks(y, [_STAGE_TEXT.get(s, s).capitalize() for s in stages])
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        finite = np.concatenate([means["on"], means["off"]])
        finite = finite[np.isfinite(finite)]
        top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        ax.set_xlim(0, top * 1.3)
        ax.set_xlabel("Conflicts per run (mean count)")
        ax.set_title("Conflict funnel: raised → detected → outcome")
        ax.legend(loc="lower right", frameon=False)
        paths = _save(fig, out_dir, name)
    return Chart(
        name,
        paths,
        {"stages": stages, "on": means["on"], "off": means["off"], "labels": texts},
    )
