"""The report of an explore (``orgsim explore --report``, ``orgsim report OUT_DIR``).

Read from the explore's ``summary.json`` (:meth:`ExploreResult.to_dict`), so it
shows what the explore printed. The question is which policy to choose across
what is uncertain; the verdict says how often the focus policy beats the
reference, by how much, and which policy has the smallest worst-case regret.
Then the policies' table (P(beats) with its Wilson CI, the effect and its spread,
the regrets), the PRIM box (where the focus pays, as limits on the
uncertainties, with its coverage and density), PRIM's trade-off, the feature
scores, and each attribution waterfall made with ``--explain POINT``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orgsim.metrics.catalogue import label, metric
from orgsim.metrics.format import format_level, format_number
from orgsim.reporting.html import figures
from orgsim.reporting.html.common import has_plotly, provenance, static_charts, write
from orgsim.reporting.html.page import Cell, Page, cell, escape
from orgsim.reporting.html.sweep import load_summary

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["explore_report", "explore_verdict"]

_FILES = ("summary.json", "points.csv", "runs.csv", "runs.parquet", "results.sqlite")
_CHARTS = ("levers", "regret", "prim_tradeoff", "pairs", "features")


def explore_verdict(doc: Mapping[str, Any]) -> str:
    """How often the focus policy beats the reference, by how much, and the minimax one."""
    a = doc["analysis"]
    focus, ref, m = a["focus"], a["reference"], a["metric"]
    lever = a["levers"][focus]
    p, e = lever["p_beats"], lever["effect"]
    unit = metric(m).unit
    text = (
        f"{focus} beats {ref} on {label(m).lower()} at {p['k']} of {p['n']} points "
        f"({p['share']:.0%}, 95% CI {p['low']:.0%}–{p['high']:.0%}), by "
        f"{format_number(e['mean'], unit, signed=True)} on average (95% CI "
        f"{format_number(e['low'], unit, signed=True)} to "
        f"{format_number(e['high'], unit, signed=True)})"
    )
    regret = a.get("regret") or {}
    if regret.get("minimax"):
        tied = regret.get("minimax_tied") or [regret["minimax"]]
        who = " and ".join(tied)
        text += f"; {who} {'has' if len(tied) == 1 else 'share'} the smallest worst-case regret"
    return text + "."


def explore_report(out: Path, *, interactive: bool | None = None) -> Path:
    """Write ``out / report.html`` of the explore whose ``summary.json`` is in ``out``."""
    doc = load_summary(out)
    interactive = has_plotly() if interactive is None else interactive
    a, spec = doc["analysis"], doc["spec"]
    page = Page(f"orgsim — explore {doc['name']}", figures.plotly_js() if interactive else "")
    page.paragraph(
        f"Which policy should we choose when {len(a['uncertainties'])} things we are unsure "
        f"of ({', '.join(a['uncertainties'])}) may each be anywhere in their range? "
        f"Judged on {label(a['metric']).lower()}, against {a['reference']}.",
        "question",
    )
    page.paragraph(explore_verdict(doc), "verdict")
    page.heading("The policies", "levers")
    page.paragraph(
        f"Per policy over {a['points']} points × {a['replications']} replications: how often it "
        f"beats {a['reference']} (95% Wilson CI), its mean effect (95% CI) and spread (5th–95th "
        "percentile over the points), and its regret (how far it falls short of the best "
        "policy at a point: worst, 90th percentile, mean). Click a column to sort.",
        "note",
    )
    page.table(*_levers_table(doc), ident="levers-table", text_columns=1)
    page.heading("Where it pays: the PRIM box", "prim")
    _prim(page, doc, interactive)
    page.heading("Charts", "charts")
    if interactive:
        for i, fig in enumerate(_figures(doc)):
            page.raw(figures.embed(fig, f"explore-{i}"))
    else:
        static_charts(page, out, _CHARTS)
    _waterfalls(page, out)
    provenance(page, out / "results.sqlite", doc["experiment"])
    page.heading("Files", "files")
    page.files(out, list(_FILES))
    c = doc["counts"]
    lede = (
        f"{spec['design']} design: {c['points']} points × {c['levers']} policies × "
        f"{c['replications']} replications = {c['runs']:,} runs, root seed {spec['seed']}, "
        f"base scenario hash {spec['scenario_hash']}"
    )
    return write(page, out, lede)


def _levers_table(doc: Mapping[str, Any]) -> tuple[Sequence[str], list[tuple[list[Cell], str]]]:
    a = doc["analysis"]
    unit = metric(a["metric"]).unit
    regret = a.get("regret") or {}
    headers = (
        "Policy",
        f"Beats {a['reference']}",
        "Mean effect",
        "Spread (5th–95th)",
        "Worst regret",
        "90th-percentile regret",
        "Mean regret",
    )

    def money(x: Any, signed: bool = False) -> str:
        return format_number(None if x is None else float(x), unit, signed=signed)

    rows = []
    for lever in [lv["name"] for lv in doc["spec"]["levers"]]:
        found = a["levers"].get(lever)
        cells: list[Cell] = [cell(lever, css="text")]
        if found is None:  # the reference itself
            cells += [cell("reference", None), cell("–", math.nan), cell("–", None)]
        else:
            p, e = found["p_beats"], found["effect"]
            q = e.get("quantiles") or {}
            cells += [
                cell(f"{p['share']:.0%}", p["share"], f"{p['low']:.0%}–{p['high']:.0%}"),
                cell(
                    money(e["mean"], True),
                    e["mean"],
                    f"{money(e['low'], True)} to {money(e['high'], True)}",
                ),
                cell(f"{money(q.get('p5'), True)} to {money(q.get('p95'), True)}", None),
            ]
        for key in ("max", "p90", "mean"):
            value = (regret.get(key) or {}).get(lever)
            cells.append(cell(money(value), math.nan if value is None else float(value)))
        best = lever in (regret.get("minimax_tied") or [])
        rows.append((cells, "sig-better" if best else ""))
    return headers, rows


def _prim(page: Page, doc: Mapping[str, Any], interactive: bool) -> None:
    a = doc["analysis"]
    prim = a.get("prim")
    if not prim:
        page.paragraph(f"No PRIM box: {a.get('prim_reason') or 'not computed'}.")
        return
    page.paragraph(
        f"{a['focus']} pays at {prim['paying']} of {prim['points']} points. The box below holds "
        f"{prim['coverage']:.0%} of them (coverage) and {prim['density']:.0%} of the points "
        f"inside it pay (density), {prim['mass']:.0%} of all points; {prim['why']}."
    )
    rows = [
        (
            [
                cell(lim["name"], css="text"),
                cell(format_level(lim["low"]), lim["low"]),
                cell(format_level(lim["high"]), lim["high"]),
                cell(
                    f"{format_level(lim['observed_low'])} to {format_level(lim['observed_high'])}"
                ),
                cell("–" if lim.get("qp") is None else f"{lim['qp']:.3g}", lim.get("qp")),
            ],
            "",
        )
        for lim in prim["limits"]
    ]
    page.table(
        ("Uncertainty", "Box from", "Box to", "Range explored", "Quasi-p"),
        rows,
        ident="prim-table",
        text_columns=1,
    )
    if interactive:
        page.raw(figures.embed(_prim_box(prim), "prim-box"))


def _prim_box(prim: Mapping[str, Any]) -> go.Figure:
    """Each restricted uncertainty's box as a bar over its explored range (0–100%)."""
    import plotly.graph_objects as go

    names, lows, widths, hover = [], [], [], []
    for lim in prim["limits"]:
        span = lim["observed_high"] - lim["observed_low"]
        lo = (lim["low"] - lim["observed_low"]) / span if span else 0.0
        hi = (lim["high"] - lim["observed_low"]) / span if span else 1.0
        names.append(lim["name"])
        lows.append(100 * lo)
        widths.append(100 * (hi - lo))
        explored = f"{format_level(lim['observed_low'])} to {format_level(lim['observed_high'])}"
        hover.append(f"{format_level(lim['low'])} to {format_level(lim['high'])} ({explored})")
    fig = go.Figure(
        go.Bar(
            y=names,
            x=widths,
            base=lows,
            orientation="h",
            marker={"color": "rgba(0,114,178,0.35)", "line": {"color": "#0072B2", "width": 2}},
            customdata=hover,
            hovertemplate="%{y}: %{customdata}<extra></extra>",
        )
    )
    figures.house_layout(
        fig,
        "The PRIM box: where each restricted uncertainty must lie (share of its explored range)",
        legend=False,
        height=160 + 50 * len(names),
    )
    fig.update_xaxes(range=[0, 100], title="% of the range explored")
    fig.update_yaxes(automargin=True)
    return fig


def _figures(doc: Mapping[str, Any]) -> list[go.Figure]:
    import plotly.graph_objects as go

    a = doc["analysis"]
    figs = []
    prim = a.get("prim")
    if prim:
        steps = prim["trajectory"]
        fig = go.Figure(
            go.Scatter(
                x=[s["coverage"] for s in steps],
                y=[s["density"] for s in steps],
                mode="lines+markers",
                line={"color": "#0072B2"},
                marker={
                    "size": [14 if s["step"] == prim["chosen"] else 7 for s in steps],
                    "color": [
                        "#D55E00" if s["step"] == prim["chosen"] else "#0072B2" for s in steps
                    ],
                },
                customdata=[[s["step"], s["restricted"], s["n"], s["k"]] for s in steps],
                hovertemplate=(
                    "step %{customdata[0]}: coverage %{x:.0%}, density %{y:.0%}<br>"
                    "%{customdata[1]} uncertainties restricted, %{customdata[3]} of "
                    "%{customdata[2]} points pay<extra></extra>"
                ),
            )
        )
        fig.add_hline(y=prim["threshold"], line_dash="dot", line_color="#555555")
        figures.house_layout(
            fig,
            "PRIM's trade-off: each peeling step (larger, vermillion: the box chosen)",
            legend=False,
            height=420,
        )
        fig.update_xaxes(title="coverage (share of the paying points inside)", tickformat=".0%")
        fig.update_yaxes(title="density (share inside that pay)", tickformat=".0%")
        figs.append(fig)
    scores = (a.get("features") or {}).get("scores") or {}
    if scores:
        ranked = sorted(scores.items(), key=lambda kv: kv[1])
        fig = go.Figure(
            go.Bar(
                x=[v for _, v in ranked],
                y=[k for k, _ in ranked],
                orientation="h",
                marker={"color": "#0072B2"},
                hovertemplate="%{y}: %{x:.3f}<extra></extra>",
            )
        )
        figures.house_layout(
            fig,
            f"What drives {a['focus']}'s effect: extra-trees feature scores",
            legend=False,
            height=160 + 32 * len(ranked),
        )
        fig.update_yaxes(automargin=True)
        figs.append(fig)
    return figs


def _waterfalls(page: Page, out: Path) -> None:
    """Each attribution waterfall made in this folder by ``--explain POINT``."""
    found = sorted(out.glob("explain-*/attribution.svg"))
    page.heading("Where the effect comes from: attribution", "attribution")
    if not found:
        page.paragraph(
            "No point is attributed yet: orgsim explore FILE --explain POINT splits the "
            "broker's effect at a point into its channels (a waterfall), then rerun "
            "orgsim report.",
            "note",
        )
        return
    for svg in found:
        text = svg.read_text(encoding="utf-8")
        page.paragraph(f"Point {svg.parent.name.removeprefix('explain-')}:")
        svg_markup = text[text.find("<svg") :]
        page.raw(f'<div class="chart" data-chart="{escape(svg.parent.name)}">{svg_markup}</div>')
