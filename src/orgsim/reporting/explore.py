"""The terminal report of an explore: which policy pays, how often, where, and on what.

One screen where it can be: a header (base, points x levers x replications, time),
then (1) per lever the probability it beats the reference and its effect, (2) the
regret table with the minimax-regret lever marked, (3) the PRIM box saying where
the focus lever pays, or why there is none, and (4) what drives its effect
(feature scores, the design's sensitivity indices, CART's leaves). Every number is
read from the analysis (:class:`~orgsim.analysis.discovery.EnsembleAnalysis`); its
JSON is ``summary.json`` (:meth:`ExploreResult.to_dict`), which ``--json`` prints.
docs/explore.md says how to read each part, docs/discovery.md how it is computed.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from orgsim.analysis.discovery import EnsembleAnalysis
from orgsim.analysis.levers import LeverSummary
from orgsim.experiments.explore.run import ExploreResult
from orgsim.metrics.catalogue import UNITS
from orgsim.metrics.format import format_duration, format_level, format_number
from orgsim.reporting.terminal import natural_width, report_console

__all__ = ["explore_json", "print_explore", "print_posterior_verdict"]

TOP_FEATURES = 5
"""Uncertainties shown by their feature score (the rest are in summary.json)."""
SIGNIFICANT_QP = 0.05
"""A PRIM limit with a larger quasi-p-value could be chance (Bryant and Lempert 2010)."""
REPORT_WIDTH = 110
"""Columns of the report off a terminal (a file, a pipe) when ``COLUMNS`` is not set."""
TOP_LEAVES = 3
"""CART leaves shown (the most paying first)."""


def explore_json(result: ExploreResult) -> dict[str, Any]:
    """The document ``summary.json`` holds and ``orgsim explore --json`` prints."""
    return result.to_dict()


def print_explore(result: ExploreResult, console: Console | None = None) -> None:
    """Print the explore's answers (see the module docstring)."""
    console = console or report_console(REPORT_WIDTH)
    spec, analysis = result.spec, result.analysis
    unit = UNITS.get(spec.metric, "")
    console.print(
        f"[bold]explore {spec.name}[/bold] — base {_base(spec.base, spec.scenario.name)}: "
        f"{spec.size()} points × "
        f"{len(spec.levers)} levers × {spec.replications} replications = "
        f"{spec.runs():,} runs ({result.ran:,} made now) in {format_duration(result.elapsed)}"
    )
    console.print(
        f"judged on {spec.metric} ({unit}, {spec.better} is better) against "
        f"[bold]{spec.reference}[/bold]; {len(spec.uncertainties)} uncertainties: "
        + ", ".join(spec.names)
    )
    for title, table in (
        _levers_table(analysis, unit, console.width),
        _regret_table(analysis, unit),
    ):
        console.print(title)
        console.print(table)
    for line in prim_lines(analysis):
        console.print(line)
    for line in driver_lines(analysis):
        console.print(line)
    tail = f"results: {result.db}  tables: {result.out}/points.csv, runs.csv, summary.json"
    if result.charts:
        tail += f"  charts: {len(result.charts)} in {result.out}"
    console.print(tail)


def _base(written: str, name: str) -> str:
    """The base as its scenario's name, with the file it came from when it differs."""
    return name if written in (name, "") else f"{name} ({written})"


def _money(value: float, unit: str, signed: bool = False) -> str:
    return format_number(value, unit, signed=signed)


def _share(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.0%}"


def _levers_table(analysis: EnsembleAnalysis, unit: str, width: int) -> tuple[str, Table]:
    """(1) Per lever: P(beats the reference), the mean effect and its quantiles.

    When a row does not fit ``width``, each CI goes on the line under its value.
    """
    level = f"{analysis.level:.0%}"
    title = (
        f"(1) each lever against {analysis.reference} over the points "
        f"(P(beats) [{level} CI]; effect = lever − {analysis.reference}: mean ± {level} CI "
        "half-width, and its quantiles over the points; * the focus lever)"
    )
    for stacked in (False, True):
        table = Table(show_edge=False, header_style="bold")
        table.add_column("lever", no_wrap=True)
        table.add_column("P(beats)", justify="right", no_wrap=True)
        table.add_column("mean effect", justify="right", no_wrap=True)
        for q in ("5%", "median", "95%"):
            table.add_column(q, justify="right", no_wrap=True)
        for name, s in analysis.levers.items():
            lever = name + (" *" if name == analysis.focus else "")
            table.add_row(lever, *_lever_cells(s, unit, "\n" if stacked else " "))
        if natural_width(table) <= width:
            break
    return title, table


def _lever_cells(s: LeverSummary, unit: str, sep: str = " ") -> list[str]:
    p, e = s.p_beats, s.effect
    beats = f"{_share(p.share)}{sep}[{_share(p.low).rstrip('%')}–{_share(p.high)}]"
    # a Student-t interval is symmetric: the mean and its half-width say it all; an
    # interval of no width (the same effect at every point) gets no ±
    effect = _money(e.mean, unit, True)
    if e.high > e.low:
        effect += f"{sep}± {_money((e.high - e.low) / 2, unit)}"
    qs = [s.quantiles.get(q, math.nan) for q in (5, 50, 95)]
    return [beats, effect, *(_money(v, unit, True) for v in qs)]


def _regret_table(analysis: EnsembleAnalysis, unit: str) -> tuple[str, Table]:
    """(2) Per lever: its regret's maximum, 90th percentile and mean; minimax marked."""
    r = analysis.regret
    dropped = f"; {r.dropped} point(s) without every lever left out" if r.dropped else ""
    title = f"(2) regret: how far each lever falls short of the best one at a point{dropped}"
    table = Table(show_edge=False, header_style="bold")
    table.add_column("lever", no_wrap=True)
    for head in ("max", "p90", "mean"):
        table.add_column(head, justify="right")
    table.add_column("")
    for name in r.levers:
        mark = ""
        if name in r.minimax_tied:
            mark = "◀ minimax regret" + (" (tied)" if len(r.minimax_tied) > 1 else "")
        table.add_row(
            name,
            _money(r.max[name], unit),
            _money(r.p90[name], unit),
            _money(r.mean[name], unit),
            mark,
        )
    return title, table


def _interval(low: float, high: float) -> str:
    return f"[{format_level(float(low))}, {format_level(float(high))}]"


def prim_lines(analysis: EnsembleAnalysis) -> list[str]:
    """(3) Where the focus lever pays: the PRIM box, one line per restricted uncertainty."""
    focus = analysis.focus
    prim = analysis.prim
    if prim is None:
        return [
            f"(3) where {focus} pays: no PRIM box ({analysis.prim_reason or 'no reason given'})"
        ]
    head = (
        f"(3) {focus} pays against {analysis.reference} at {prim.paying} of {prim.points} "
        f"points; PRIM box (density {prim.density:.2f}, coverage {prim.coverage:.2f}, "
        f"{prim.mass:.0%} of the points)"
    )
    if not prim.limits:
        return [head + ": the whole ensemble, no uncertainty restricted", f"    {prim.why}"]
    lines = [head + " when:"]
    for box in prim.limits:
        qp = f" (qp {box.qp:.2g})" if math.isfinite(box.qp) else ""
        lines.append(f"    {box.name} in {_interval(box.low, box.high)}{qp}")
    lines.append(f"    ({prim.why})")
    if all(not box.qp < SIGNIFICANT_QP for box in prim.limits):
        lines.append(
            f"    no limit has a quasi-p-value below {SIGNIFICANT_QP}: the box may be luck, "
            "lean on P(beats) instead"
        )
    return lines


def driver_lines(analysis: EnsembleAnalysis) -> list[str]:
    """(4) What drives the focus effect: feature scores, indices, CART's leaves."""
    lines: list[str] = []
    f = analysis.features
    if f is None:
        lines.append(f"(4) feature scores: none ({analysis.features_reason or 'no reason given'})")
    else:
        top = ", ".join(
            f"{n} {s:.2f}" for n, s in list(zip(f.names, f.scores, strict=True))[:TOP_FEATURES]
        )
        fit = f"; out-of-bag R² {f.oob_r2:.2f}" if math.isfinite(f.oob_r2) else ""
        lines.append(f"(4) what drives {analysis.focus}'s effect (extra-trees scores{fit}): {top}")
    sens = analysis.sensitivity
    if sens is not None:
        output = f"{analysis.focus}.effect"
        if output in sens.indices:
            lines.append(
                "    " + _indices_text(sens.method, sens.names, sens.indices[output].values)
            )
        elif output in sens.skipped:
            lines.append(f"    {sens.method} indices: not computed ({sens.skipped[output]})")
    cart = analysis.cart
    if cart is None:
        lines.append(f"    CART: none ({analysis.cart_reason or 'no reason given'})")
    else:
        lines.append(
            f"    CART (depth ≤ {cart.depth}, {cart.accuracy:.0%} of points classified right):"
        )
        for leaf in cart.leaves[:TOP_LEAVES]:
            rule = " and ".join(
                f"{n} in {_interval(lo, hi)}" for n, (lo, hi) in leaf.limits.items()
            )
            lines.append(f"      pays at {leaf.paying}/{leaf.n} points when {rule or 'always'}")
    return lines


def _indices_text(method: str, names: tuple[str, ...], values: dict[str, Any]) -> str:
    """The design's indices of the focus effect on one line, largest first."""
    key = {"sobol": "ST", "delta": "delta"}.get(method, "mu_star")
    pairs = sorted(
        ((n, float(values[key][i])) for i, n in enumerate(names)),
        key=lambda item: -item[1] if math.isfinite(item[1]) else math.inf,
    )
    label = {"sobol": "Sobol total-order", "delta": "delta"}.get(method, method)
    shown = ", ".join(f"{n} {v:.2f}" for n, v in pairs[:TOP_FEATURES])
    return f"{label} indices: {shown}"


def print_posterior_verdict(result: ExploreResult, console: Console | None = None) -> None:
    """The decision under a calibration's posterior, in two sentences (compare --posterior)."""
    console = console or Console()
    analysis, spec = result.analysis, result.spec
    s = analysis.levers[spec.focus]
    unit = UNITS.get(spec.metric, "")
    p, e = s.p_beats, s.effect
    console.print(
        f"[bold]At this company[/bold] (the posterior in {spec.posterior}, {s.points} draws × "
        f"{spec.replications} paired replications): the broker pays on {spec.metric} with "
        f"probability [bold]{_share(p.share)}[/bold] ({analysis.level:.0%} CI "
        f"{_share(p.low)}–{_share(p.high)})."
    )
    q5, q50, q95 = (s.quantiles.get(q, math.nan) for q in (5, 50, 95))
    console.print(
        f"Effect (broker − no broker): mean {_money(e.mean, unit, True)} "
        f"({analysis.level:.0%} CI {_money(e.low, unit, True)} to {_money(e.high, unit, True)}); "
        f"over the posterior draws median {_money(q50, unit, True)}, 90% of draws from "
        f"{_money(q5, unit, True)} to {_money(q95, unit, True)}."
    )
