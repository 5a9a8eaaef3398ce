"""The report's interactive charts, made with plotly (the ``report`` extra).

Each function takes plain data (numbers already computed by the experiment, names
and units from the metric catalogue) and returns a ``plotly.graph_objects.Figure``;
:func:`embed` turns one into the div and script the page holds. plotly is imported
inside the functions because it is optional: without it the report shows the
static SVG charts instead (:mod:`orgsim.reporting.html.build`).

The arms keep one look everywhere: with the broker Okabe–Ito blue and a solid
line, without it vermillion and a dashed line, so they stay apart in colour,
in grey print and for the colour-blind; a 10–90% band is a light fill with a
dotted outline in its arm's colour, so two overlapping bands stay two.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from orgsim.analysis.stats import Comparison
from orgsim.metrics.catalogue import UNITS, label, metric
from orgsim.metrics.format import format_number
from orgsim.reporting.charts import summaries
from orgsim.reporting.charts.common import axis_label
from orgsim.reporting.charts.summaries import FunnelSummary

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "ARMS",
    "DASHES",
    "PALETTE",
    "distributions",
    "embed",
    "forest",
    "funnel",
    "house_layout",
    "plotly_js",
    "trajectories",
]

#: Per arm: its name in legends, colour, band fill and line dash.
ARMS: Mapping[str, tuple[str, str, str, str]] = {
    "on": ("with broker", "#0072B2", "rgba(0,114,178,0.16)", "solid"),
    "off": ("without broker", "#D55E00", "rgba(213,94,0,0.14)", "dash"),
}

_GOOD, _BAD, _GREY = "#009E73", "#D55E00", "#8a8f99"

#: Okabe–Ito without its yellow (too pale on white), for lines of several groups;
#: each also gets its own dash, so lines stay apart without colour.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid")

_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "margin": {"l": 70, "r": 30, "t": 120, "b": 50},
    "title": {"y": 0.995, "yanchor": "top", "x": 0.01, "xanchor": "left", "pad": {"t": 8}},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
    "hoverlabel": {"namelength": -1},
}


def house_layout(
    fig: go.Figure,
    title: str,
    *,
    titled_panels: bool = False,
    legend: bool = True,
    **more: Any,
) -> None:
    """The house layout: title top left, legend under it, above the plot.

    ``titled_panels``: the figure's panels have titles of their own, which sit just
    above the plot area, so the legend goes a line higher. ``legend`` False: the
    figure has none (a heatmap), so the top margin only holds the title.
    """
    fig.update_layout(**_LAYOUT, **more)
    fig.update_layout(title_text=title)
    top = _LAYOUT["margin"]["t"] if legend else 60
    fig.update_layout(margin_t=top, showlegend=legend)
    if titled_panels and legend:
        area = float(more.get("height", 450)) - top - _LAYOUT["margin"]["b"]
        fig.update_layout(legend_y=1.0 + 34 / area)


def plotly_js() -> str:
    """plotly.js itself, to embed once in the page (about 4.7 MB, minified)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def embed(fig: go.Figure, ident: str) -> str:
    """The chart's div and the script that draws it, without plotly.js itself."""
    import plotly.io as pio

    markup = pio.to_html(
        fig,
        include_plotlyjs=False,
        full_html=False,
        div_id=ident,
        config={"displaylogo": False, "responsive": True},
    )
    return f'<div class="chart" data-chart="{ident}">{markup}</div>'


def forest(
    table: Mapping[str, Comparison], arms: tuple[str, str] = ("with broker", "without broker")
) -> go.Figure:
    """Each metric's paired difference relative to the arm without the broker, with its CI.

    Green: significantly better with the broker; vermillion: significantly worse;
    reddish purple / sky blue: significantly higher / lower where no direction is
    better (headcount, WIP); grey open: not significant (the static forest plot's
    key, colour-blind-safe Okabe–Ito). Hovering shows the difference in the
    metric's own unit, its CI and the adjusted p-value.
    """
    import plotly.graph_objects as go

    rows = [(n, c) for n, c in table.items() if math.isfinite(c.relative)]
    fig = go.Figure()
    for kind, name, colour, symbol in (
        ("better", f"{arms[0]} better", _GOOD, "circle"),
        ("worse", f"{arms[0]} worse", _BAD, "square"),
        ("higher", f"higher {arms[0]}", "#CC79A7", "diamond"),
        ("lower", f"lower {arms[0]}", "#56B4E9", "diamond"),
        ("unclear", "not significant", _GREY, "circle-open"),
    ):
        chosen = [(n, c) for n, c in rows if c.outcome == kind]
        if not chosen:
            continue
        fig.add_trace(
            go.Scatter(
                x=[100 * c.relative for _, c in chosen],
                y=[label(n) for n, _ in chosen],
                mode="markers",
                name=name,
                marker={"color": colour, "symbol": symbol, "size": 9},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [100 * (c.relative_high - c.relative) for _, c in chosen],
                    "arrayminus": [100 * (c.relative - c.relative_low) for _, c in chosen],
                    "color": colour,
                },
                customdata=[_forest_hover(n, c, arms) for n, c in chosen],
                hovertemplate="<b>%{y}</b><br>%{customdata}<extra></extra>",
            )
        )
    order = [label(n) for n, _ in rows]
    fig.add_vline(x=0, line_color="#333333", line_width=1)
    house_layout(
        fig,
        f"Paired difference, {arms[0]} − {arms[1]}, % of the mean {arms[1]}",
        height=max(420, 22 * len(rows) + 180),
    )
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1], automargin=True)
    fig.update_xaxes(title=f"{arms[0]} − {arms[1]} (% of the mean {arms[1]})")
    return fig


def _forest_hover(name: str, c: Comparison, arms: tuple[str, str]) -> str:
    unit = summaries.metric_unit(name, UNITS)

    def fmt(x: float, signed: bool = True) -> str:
        return format_number(x, unit, signed=signed)

    p = "no test" if not math.isfinite(c.p_adjusted) else f"{c.p_adjusted:.3g}"
    return (
        f"{100 * c.relative:+.1f}% (95% CI {100 * c.relative_low:+.1f}% to "
        f"{100 * c.relative_high:+.1f}%)<br>Δ {fmt(c.diff.mean)} ({fmt(c.diff.low)} to "
        f"{fmt(c.diff.high)})<br>{arms[0]} {fmt(c.on.mean, False)}, {arms[1]} "
        f"{fmt(c.off.mean, False)}<br>adjusted p = {p}"
    )


def distributions(
    on: Mapping[str, np.ndarray], off: Mapping[str, np.ndarray], names: Sequence[str]
) -> go.Figure:
    """Each headline metric's values per run in both arms: box, mean and every run."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = [n for n in names if n in on and n in off]
    cols = 2
    rows = max(1, math.ceil(len(names) / cols))
    titles = [axis_label(n, summaries.metric_unit(n, UNITS)) for n in names]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=0.08)
    for i, name in enumerate(names):
        r, c = divmod(i, cols)
        scale = 1e3 if metric(name).unit == "k$" else 1.0  # money axes in $
        for arm, values in (("on", on[name]), ("off", off[name])):
            text, colour, _fill, _dash = ARMS[arm]
            fig.add_trace(
                go.Box(
                    x=[text] * len(values),
                    y=np.asarray(values, dtype=float) * scale,
                    name=text,
                    legendgroup=arm,
                    showlegend=i == 0,
                    marker={"color": colour, "size": 4},
                    boxpoints="all",
                    jitter=0.4,
                    pointpos=0,
                    boxmean=True,
                    hovertemplate=f"{text}: %{{y:{_d3(scale)}}}<extra>{label(name)}</extra>",
                ),
                row=r + 1,
                col=c + 1,
            )
        unit = summaries.metric_unit(name, UNITS)
        if unit in ("k$", "share"):  # ticked as the terminal writes them: $35M, 96%
            fig.update_yaxes(tickformat="$~s" if unit == "k$" else ".0%", row=r + 1, col=c + 1)
    house_layout(
        fig, "Per-run values, each arm (box: quartiles; dashed: mean)", height=300 * rows + 140
    )
    return fig


def _d3(scale: float) -> str:
    """The hover format: money (scaled to $) as $1.23M, other numbers to 3 figures."""
    return "$.3~s" if scale != 1.0 else ",.3~r"


def trajectories(
    q_on: Mapping[str, np.ndarray], q_off: Mapping[str, np.ndarray], series: Sequence[str]
) -> go.Figure:
    """Quarterly median per arm with its 10–90% band, one panel per series.

    A legend click hides or shows an arm in every panel (each arm's traces share a
    legend group); the buttons show both arms or one.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = [s for s in series if s in q_on and s in q_off]
    cols = 2
    rows = max(1, math.ceil(len(names) / cols))
    titles = [summaries.series_label(n, UNITS) for n in names]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=0.12)
    arm_of: list[str] = []
    for i, name in enumerate(names):
        r, c = divmod(i, cols)
        money = summaries.series_unit(name, UNITS) == "k$"
        fmt = _d3(1e3 if money else 1.0)
        for arm, data in (("on", q_on[name]), ("off", q_off[name])):
            text, colour, fill, dash = ARMS[arm]
            values = np.asarray(data, dtype=float) * (1e3 if money else 1.0)
            quarters = list(range(1, values.shape[1] + 1))
            b = summaries.band(values)
            low, mid, high = b["p10"], b["median"], b["p90"]
            band = {"color": colour, "width": 1, "dash": "dot"}
            common = {
                "legendgroup": arm,
                "hoverinfo": "skip",
                "showlegend": False,
                "mode": "lines",
            }
            fig.add_trace(go.Scatter(x=quarters, y=high, line=band, **common), r + 1, c + 1)
            fig.add_trace(
                go.Scatter(x=quarters, y=low, line=band, fill="tonexty", fillcolor=fill, **common),
                r + 1,
                c + 1,
            )
            fig.add_trace(
                go.Scatter(
                    x=quarters,
                    y=mid,
                    name=text,
                    legendgroup=arm,
                    showlegend=i == 0,
                    mode="lines",
                    line={"color": colour, "width": 2.5, "dash": dash},
                    customdata=np.stack([low, high], axis=-1),
                    hovertemplate=(
                        f"{text}, quarter %{{x}}: median %{{y:{fmt}}} (10–90%: "
                        f"%{{customdata[0]:{fmt}}} to %{{customdata[1]:{fmt}}})<extra></extra>"
                    ),
                ),
                r + 1,
                c + 1,
            )
            arm_of += [arm] * 3
        if money:
            fig.update_yaxes(tickformat="$~s", row=r + 1, col=c + 1)
        fig.update_xaxes(title="quarter", row=r + 1, col=c + 1)
    buttons = [
        {"label": text, "method": "restyle", "args": [{"visible": [a in arms for a in arm_of]}]}
        for text, arms in (
            ("both arms", ("on", "off")),
            ("with broker", ("on",)),
            ("without broker", ("off",)),
        )
    ]
    house_layout(
        fig,
        "Quarterly trajectories: median over runs, band 10th–90th percentile",
        titled_panels=True,
        height=330 * rows + 160,
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 1,
                "xanchor": "right",
                "yanchor": "bottom",
                "buttons": buttons,
            }
        ],
    )
    fig.update_layout(updatemenus=[{"y": fig.layout.legend.y}])  # beside the legend
    return fig


def funnel(summary: FunnelSummary) -> go.Figure:
    """The conflict funnel: raised → detected, then the partition of the raised conflicts.

    Grouped bars per arm of the mean count per run; each outcome bar's share of the
    raised conflicts is written beside it (the outcomes sum to 100%). Escalation
    overlaps the outcomes (an escalated conflict is then resolved by the CEO, lapses
    or stays open), so it is said in the axis title, not drawn as a bar.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    names = [s.label for s in summary.stages]
    for arm in ("off", "on"):  # plotly stacks grouped horizontal bars upward
        text, colour, _fill, _dash = ARMS[arm]
        fig.add_trace(
            go.Bar(
                y=names,
                x=[s.mean[arm] for s in summary.stages],
                orientation="h",
                name=text,
                marker={"color": colour, "pattern": {"shape": "" if arm == "on" else "/"}},
                text=[s.text[arm] for s in summary.stages],
                textposition="outside",
                hovertemplate=f"{text}: %{{x:.1f}} per run<extra>%{{y}}</extra>",
            )
        )
    outcomes = next((i for i, s in enumerate(summary.stages) if s.part == "outcome"), 0)
    fig.add_hline(y=len(names) - outcomes - 0.5, line_dash="dot", line_color="#999999")
    escalated = ", ".join(
        f"{ARMS[a][0]} {summary.escalated[a]:.1f}" for a in ("on", "off") if a in summary.escalated
    )
    house_layout(
        fig,
        "Conflict funnel: raised → detected, then what became of each raised conflict",
        barmode="group",
        height=180 + 70 * len(names),
        legend_traceorder="reversed",
    )
    top = max((m for s in summary.stages for m in s.mean.values() if math.isfinite(m)), default=1)
    fig.update_xaxes(
        range=[0, 1.25 * top],
        title=f"conflicts per run (mean count); escalated to the CEO per run: {escalated}",
    )
    fig.update_yaxes(categoryorder="array", categoryarray=names[::-1], automargin=True)
    return fig


def figure_json(fig: go.Figure) -> Any:
    """The figure as plain data (tests read the plotted numbers from it)."""
    return json.loads(fig.to_json())
