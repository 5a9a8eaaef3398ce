"""The report of a sweep (``orgsim sweep --report``, ``orgsim report OUT_DIR``).

Read from the sweep's ``summary.json`` (:func:`orgsim.reporting.documents.sweep_json`),
which holds every point's table row, so the report shows exactly what the sweep
printed and wrote. A paired sweep asks where the broker pays: the verdict counts
the points where its effect on the first metric is significantly good or bad
(after the sweep's own correction over the points); the heatmaps show each cell's
effect with its CI, n and adjusted p on hover, the effect curves the effect
against each parameter. An unpaired sweep shows the metrics' means instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orgsim.errors import OrgsimError
from orgsim.metrics.catalogue import BETTER, label, metric
from orgsim.metrics.format import format_level, format_number
from orgsim.reporting.html import figures
from orgsim.reporting.html.common import has_plotly, provenance, static_charts, write
from orgsim.reporting.html.page import Cell, Page, cell

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["load_summary", "sweep_report", "sweep_verdict"]

_FILES = (
    "summary.json",
    "points.csv",
    "points.parquet",
    "runs.csv",
    "runs.parquet",
    "results.sqlite",
)


def load_summary(out: Path) -> dict[str, Any]:
    """``out/summary.json``, which a sweep or an explore writes last.

    Raises:
        OrgsimError: It is missing (the experiment did not finish) or not JSON.
    """
    path = out / "summary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OrgsimError(
            f"no {path}: the experiment has not finished (rerun it with --resume)"
        ) from None
    except (OSError, ValueError) as exc:
        raise OrgsimError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise OrgsimError(f"{path} is not a summary of an experiment")
    return data


def _params(doc: Mapping[str, Any]) -> list[str]:
    return [p["path"] for p in doc["spec"]["parameters"]]


def _good(m: str, rel: float) -> bool:
    return rel < 0 if BETTER.get(m) == "lower" else rel > 0


def sweep_verdict(doc: Mapping[str, Any]) -> str:
    """Where the broker pays, in one sentence, for the first metric of a paired sweep."""
    spec, rows = doc["spec"], doc["points"]
    m = spec["metrics"][0]
    if not spec["paired"]:
        best = max(rows, key=lambda r: _num(r.get(f"{m}.mean")), default=None)
        if best is None:
            return "No point completed."
        return (
            f"{label(m)} is highest, {format_number(best[f'{m}.mean'], metric(m).unit)}, "
            f"at {_where(doc, best)} (means over {best['runs']} runs per point)."
        )
    sig = [r for r in rows if r.get(f"{m}.significant")]
    good = [r for r in sig if _good(m, _num(r[f"{m}.rel"]))]
    bad = [r for r in sig if not _good(m, _num(r[f"{m}.rel"]))]
    text = (
        f"The broker significantly improves {label(m).lower()} at {len(good)} of "
        f"{len(rows)} points and worsens it at {len(bad)}"
    )
    if good:
        top = max(good, key=lambda r: abs(_num(r[f"{m}.rel"])))
        text += f"; its largest gain, {100 * top[f'{m}.rel']:+.0f}%, is at {_where(doc, top)}"
    return text + f" (paired, {_correction(doc)})."


def _correction(doc: Mapping[str, Any]) -> str:
    return f"Benjamini–Hochberg over the {len(doc['points'])} points, per metric"


def _where(doc: Mapping[str, Any], row: Mapping[str, Any]) -> str:
    return ", ".join(f"{p} = {format_level(row[p])}" for p in _params(doc))


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def sweep_report(out: Path, *, interactive: bool | None = None) -> Path:
    """Write ``out / report.html`` of the sweep whose ``summary.json`` is in ``out``."""
    doc = load_summary(out)
    interactive = has_plotly() if interactive is None else interactive
    spec = doc["spec"]
    params = _params(doc)
    page = Page(f"orgsim — sweep {doc['name']}", figures.plotly_js() if interactive else "")
    asked = " and ".join(params)
    if spec["paired"]:
        page.paragraph(f"Where does the broker pay off as {asked} vary?", "question")
    else:
        page.paragraph(f"How do the metrics move as {asked} vary?", "question")
    page.paragraph(sweep_verdict(doc), "verdict")
    page.heading("Every point", "table")
    page.paragraph(_note(doc), "note")
    page.table(*_points_table(doc), ident="points-table", text_columns=1)
    page.heading("Charts", "charts")
    if interactive:
        for i, fig in enumerate(_figures(doc)):
            page.raw(figures.embed(fig, f"sweep-{i}"))
    else:
        names = ["heatmap", *(f"effect-{p.replace('.', '_')}" for p in params)]
        static_charts(
            page, out, [*names, "sensitivity-delta", "sensitivity-sobol", "sensitivity-morris"]
        )
    provenance(page, out / "results.sqlite", doc["experiment"])
    page.heading("Files", "files")
    page.files(out, list(_FILES))
    lede = (
        f"{spec['design']} design, {len(doc['points'])} points × {spec['replications']} "
        f"replications{' × 2 arms' if spec['paired'] else ''} = {doc['runs']:,} runs, "
        f"root seed {spec['seed']}, base scenario hash {spec['scenario_hash']}"
    )
    return write(page, out, lede)


def _note(doc: Mapping[str, Any]) -> str:
    if doc["spec"]["paired"]:
        return (
            "Per point: the broker's effect, with − without, as a share of the mean "
            "without the broker, under it its 95% CI (unadjusted); ✓ marks a paired "
            f"t-test significant after {_correction(doc)}. Click a column to sort."
        )
    return (
        "Per point: each metric's mean over the runs, under it its 95% CI. Click a column to sort."
    )


def _points_table(doc: Mapping[str, Any]) -> tuple[Sequence[str], list[tuple[list[Cell], str]]]:
    spec, params = doc["spec"], _params(doc)
    metrics = spec["metrics"]
    headers = ["Point", *params, "Runs", *(label(m) for m in metrics)]
    if spec["paired"]:
        headers.append("Broker return (k$ per k$)")
    rows = []
    for r in doc["points"]:
        cells = [cell(str(r["point"]), float(r["point"]))]
        cells += [
            cell(format_level(r[p]), _num(r[p]) if _is_number(r[p]) else None) for p in params
        ]
        cells.append(cell(str(r["runs"]), float(r["runs"])))
        for m in metrics:
            cells.append(_paired_cell(r, m) if spec["paired"] else _mean_cell(r, m))
        if spec["paired"]:
            ret = _num(r.get("broker_return"))
            ci = _span(r.get("broker_return_low"), r.get("broker_return_high"), "")
            cells.append(cell(format_number(ret, ""), ret, ci))
        rows.append((cells, ""))
    return headers, rows


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _span(low: Any, high: Any, unit: str, *, percent: bool = False) -> str:
    lo, hi = _num(low), _num(high)
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return ""
    if percent:
        return f"{100 * lo:+.0f}% to {100 * hi:+.0f}%"
    return f"{format_number(lo, unit)} to {format_number(hi, unit)}"


def _paired_cell(r: Mapping[str, Any], m: str) -> Cell:
    rel = _num(r.get(f"{m}.rel"))
    shown = "–" if not math.isfinite(rel) else f"{100 * rel:+.1f}%"
    if r.get(f"{m}.significant"):
        shown += " ✓"
    ci = _span(r.get(f"{m}.rel_low"), r.get(f"{m}.rel_high"), "", percent=True)
    return cell(shown, rel, ci)


def _mean_cell(r: Mapping[str, Any], m: str) -> Cell:
    unit = metric(m).unit
    mean = _num(r.get(f"{m}.mean"))
    return cell(format_number(mean, unit), mean, _span(r.get(f"{m}.low"), r.get(f"{m}.high"), unit))


def _figures(doc: Mapping[str, Any]) -> list[go.Figure]:
    spec, params = doc["spec"], _params(doc)
    figs = []
    if spec["design"] == "grid" and len(params) == 2:
        figs += [_heatmap(doc, m) for m in spec["metrics"]]
    figs += [_curves(doc, p) for p in params]
    return figs


def _value_key(doc: Mapping[str, Any], m: str) -> tuple[str, str, str, float]:
    """The row keys of the plotted value, its CI ends, and its scale to display."""
    if doc["spec"]["paired"]:
        return f"{m}.rel", f"{m}.rel_low", f"{m}.rel_high", 100.0
    return f"{m}.mean", f"{m}.low", f"{m}.high", 1.0


def _heatmap(doc: Mapping[str, Any], m: str) -> go.Figure:
    """One metric over the 2-parameter grid; hover: the effect, its CI, n and adjusted p."""
    import plotly.graph_objects as go

    px, py = _params(doc)
    rows = doc["points"]
    xs = sorted({r[px] for r in rows})
    ys = sorted({r[py] for r in rows})
    key, _low, _high, scale = _value_key(doc, m)
    z = [[math.nan] * len(xs) for _ in ys]
    hover = [[""] * len(xs) for _ in ys]
    for r in rows:
        i, j = ys.index(r[py]), xs.index(r[px])
        z[i][j] = scale * _num(r.get(key))
        hover[i][j] = _cell_hover(doc, r, m)
    paired = doc["spec"]["paired"]
    lower = BETTER.get(m) == "lower"
    fig = go.Figure(
        go.Heatmap(
            x=[format_level(x) for x in xs],
            y=[format_level(y) for y in ys],
            z=z,
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            colorscale="PuOr_r" if lower else "PuOr",
            zmid=0 if paired else None,
            colorbar={"title": "Δ %" if paired else metric(m).unit},
            texttemplate="%{z:+.0f}%" if paired else "%{z:.3~s}",
        )
    )
    title = (
        f"{label(m)}: the broker's effect, % of the mean without (purple: better with it)"
        if paired
        else f"{label(m)}: mean"
    )
    figures.house_layout(fig, title, legend=False, height=440)
    fig.update_xaxes(title=px, type="category")
    fig.update_yaxes(title=py, type="category")
    return fig


def _cell_hover(doc: Mapping[str, Any], r: Mapping[str, Any], m: str) -> str:
    where = "<br>".join(f"{p} = {format_level(r[p])}" for p in _params(doc))
    if doc["spec"]["paired"]:
        unit = metric(m).unit
        p = r.get(f"{m}.p_bh")
        ci = _span(r.get(f"{m}.rel_low"), r.get(f"{m}.rel_high"), "", percent=True) or "–"
        return (
            f"{where}<br>effect {100 * _num(r.get(f'{m}.rel')):+.1f}% (95% CI {ci})"
            f"<br>Δ {format_number(_num(r.get(f'{m}.diff')), unit, signed=True)}"
            f"<br>n = {r['runs']} paired runs, adjusted p = "
            f"{'–' if p is None else format(p, '.3g')}"
        )
    unit = metric(m).unit
    ci = _span(r.get(f"{m}.low"), r.get(f"{m}.high"), unit) or "–"
    return (
        f"{where}<br>mean {format_number(_num(r.get(f'{m}.mean')), unit)} "
        f"(95% CI {ci})<br>n = {r['runs']} runs"
    )


def _curves(doc: Mapping[str, Any], param: str) -> go.Figure:
    """Each metric's value against one parameter, a line per level of the others."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    spec, params = doc["spec"], _params(doc)
    others = [p for p in params if p != param]
    metrics = spec["metrics"]
    cols = 2
    rows_n = max(1, math.ceil(len(metrics) / cols))
    fig = make_subplots(rows=rows_n, cols=cols, subplot_titles=[label(m) for m in metrics])
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for r in doc["points"]:
        groups.setdefault(tuple(r[o] for o in others), []).append(r)
    for k, m in enumerate(metrics):
        key, low, high, scale = _value_key(doc, m)
        for g, (level, members) in enumerate(sorted(groups.items(), key=lambda kv: str(kv[0]))):
            members = sorted(members, key=lambda r: r[param])
            name = ", ".join(f"{o} = {format_level(v)}" for o, v in zip(others, level, strict=True))
            y = [scale * _num(r.get(key)) for r in members]
            fig.add_trace(
                go.Scatter(
                    x=[r[param] for r in members],
                    y=y,
                    mode="lines+markers",
                    name=name or label(m),
                    legendgroup=name,
                    showlegend=k == 0,
                    line={
                        "color": figures.PALETTE[g % len(figures.PALETTE)],
                        "dash": figures.DASHES[g % len(figures.DASHES)],
                    },
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": [
                            scale * _num(r.get(high)) - v for r, v in zip(members, y, strict=True)
                        ],
                        "arrayminus": [
                            v - scale * _num(r.get(low)) for r, v in zip(members, y, strict=True)
                        ],
                        "thickness": 1,
                    },
                    customdata=[_cell_hover(doc, r, m) for r in members],
                    hovertemplate="%{customdata}<extra></extra>",
                ),
                row=k // cols + 1,
                col=k % cols + 1,
            )
        fig.update_xaxes(title=param, row=k // cols + 1, col=k % cols + 1)
        if spec["paired"]:
            fig.add_hline(
                y=0, line_color="#555555", line_width=1, row=k // cols + 1, col=k % cols + 1
            )
    what = "the broker's effect (% of without), 95% CI" if spec["paired"] else "mean, 95% CI"
    figures.house_layout(
        fig, f"Against {param}: {what}", titled_panels=True, height=320 * rows_n + 160
    )
    if all(_is_number(r[param]) and r[param] > 0 for r in doc["points"]):
        levels = sorted({r[param] for r in doc["points"]})
        if levels[-1] / levels[0] >= 8:  # a wide range reads on a log axis, ticked at the levels
            fig.update_xaxes(
                type="log", tickvals=levels, ticktext=[format_level(v) for v in levels]
            )
    return fig
