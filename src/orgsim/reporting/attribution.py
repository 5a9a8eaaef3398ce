"""An attribution as a terminal table and as plain data (``orgsim compare --explain``).

The table has one row per channel of the broker: its Shapley value (mean and
95% CI, k$ of net value), its share of the total, and the two simpler views, the
channel switched on alone and switched off from the full broker; then the total
paired difference, ``v(∅)`` (0 when the streams are separate), the interaction
remainder and the check that the Shapley values add up to the total. A second
table splits the same total into the terms of net value: where the money shows up.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from orgsim.analysis.stats import Estimate
from orgsim.experiments.attribution import AttributionResult
from orgsim.metrics.catalogue import metric
from orgsim.metrics.format import format_number
from orgsim.reporting.terminal import with_ci
from orgsim.storage.results import json_safe

__all__ = ["accounting_table", "attribution_json", "attribution_table", "print_attribution"]


def _money(e: Estimate, ci: bool = True) -> str:
    """``+1.2M ±0.4M`` in k$ (the catalogue's money format), or the mean alone.

    The ± follows the comparison table's rules (:func:`~orgsim.reporting.terminal.with_ci`):
    none on a missing value or a CI of no width.
    """
    if not ci:
        return format_number(e.mean, "k$", signed=True)
    return with_ci(e, "k$", signed=True)


def _coloured(e: Estimate, text: str) -> str:
    """Green for a gain whose CI is clear of 0, red for such a loss.

    A CI of no width (the same in every replication) is not coloured: no test.
    """
    if not e.high > e.low:
        return text
    if e.low > 0:
        return f"[green]{text}[/green]"
    if e.high < 0:
        return f"[red]{text}[/red]"
    return text


def attribution_table(result: AttributionResult) -> Table:
    """Channels, Shapley value ± CI, share, alone and one-at-a-time effects, total."""
    table = Table(header_style="bold", show_edge=False)
    table.add_column("channel", style="cyan")
    table.add_column("Shapley (95% CI)", justify="right")
    table.add_column("share", justify="right")
    table.add_column("alone", justify="right")
    table.add_column("switched off", justify="right")
    for row in result.rows:
        table.add_row(
            row.channel,
            _coloured(row.shapley, _money(row.shapley)),
            format_number(row.share, "share", signed=True),
            _money(row.alone, ci=False),
            _money(row.one_at_a_time, ci=False),
        )
    table.add_section()
    table.add_row(
        "[bold]total[/bold] (on − off)",
        _coloured(result.total, _money(result.total)),
        format_number(1.0 if result.total.mean else math.nan, "share"),
        "",
        "",
    )
    table.add_row("interaction", _money(result.interaction), "", "", "")
    exact = bool((result.values[0] == 0.0).all())
    empty = "0, every replication" if exact else _money(result.empty)
    table.add_row("v(∅) (no channel − off)", empty, "", "", "")
    return table


def accounting_table(result: AttributionResult) -> Table:
    """The paired net-value difference split into value shipped and each cost."""
    table = Table(header_style="bold", show_edge=False)
    table.add_column("net value term", style="cyan")
    table.add_column("on − off (95% CI)", justify="right")
    for term in result.accounting:
        sign = "+" if term.sign > 0 else "−"
        table.add_row(f"{sign} Δ {metric(term.metric).label}", _money(term.effect))
    table.add_section()
    table.add_row("[bold]= Δ net value[/bold]", _money(result.total))
    return table


def print_attribution(result: AttributionResult, console: Console | None = None) -> None:
    """The attribution table, the accounting split and what they rest on."""
    console = console or Console()
    k = len(result.channels)
    console.print(
        f"[bold]Where the broker's effect on net value comes from[/bold]: {result.runs} "
        f"replications (seed {result.seed}) of each of the {2**k} coalitions of its "
        f"{k} channels and of the run without it, common random numbers"
    )
    console.print(attribution_table(result))
    if (result.values[0] == 0.0).all():
        adds = "Shapley values add up to the total (efficiency, with v(∅) = 0"
    else:  # a broker draw shared with another stream: say so rather than hide it
        adds = (
            f"v(∅) = {_money(result.empty)} is not 0: Shapley values add up to the total "
            "less it (efficiency"
        )
    console.print(
        f"{adds}; largest gap over replications {result.efficiency_gap:.1e} k$). "
        "alone: the channel on by itself; switched "
        "off: what the full broker loses without it; interaction: the total less the "
        "sum of the switched-off effects."
    )
    console.print(accounting_table(result))
    console.print(f"Attribution runs: {result.db}")


def _estimate(e: Estimate) -> dict[str, Any]:
    return {"mean": e.mean, "low": e.low, "high": e.high, "half_width": e.half_width, "n": e.n}


def attribution_json(result: AttributionResult) -> dict[str, Any]:
    """The attribution as plain data (k$ of net value; NaN as null).

    ``channels`` per channel: its mechanism, ``shapley``, ``alone`` and
    ``one_at_a_time`` estimates and ``share``; ``total``, ``empty`` (v(∅)),
    ``interaction``, ``efficiency_gap``; ``accounting`` per net-value term its sign
    and estimate, and ``accounting_gap``.
    """
    return json_safe(
        {
            "scenario": result.scenario.name,
            "seed": result.seed,
            "runs": result.runs,
            "db": str(result.db),
            "unit": "k$ of net_value",
            "channels": {
                row.channel: {
                    "mechanism": row.mechanism,
                    "shapley": _estimate(row.shapley),
                    "share": row.share,
                    "alone": _estimate(row.alone),
                    "one_at_a_time": _estimate(row.one_at_a_time),
                }
                for row in result.rows
            },
            "total": _estimate(result.total),
            "empty": _estimate(result.empty),
            "interaction": _estimate(result.interaction),
            "efficiency_gap": result.efficiency_gap,
            "accounting": {
                term.metric: {"sign": term.sign, **_estimate(term.effect)}
                for term in result.accounting
            },
            "accounting_gap": result.accounting_gap,
            "charts": [str(p) for chart in result.charts for p in chart.paths],
        }
    )
