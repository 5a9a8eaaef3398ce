"""Terminal reports: the run summary and (later) comparison tables, with rich.

Reports read metrics (projections of the log), never live simulation objects.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from orgsim.projections import METRICS

if TYPE_CHECKING:
    from orgsim.runner import RunResult

GROUP_TITLES = {
    "delivery": "Delivery",
    "conflict": "Conflicts",
    "organisation": "Organisation",
    "economics": "Economics",
}


def fmt(value: float, unit: str = "") -> str:
    """A number as people read it: thousands separated, few decimals, units."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "k$":
        if abs(value) >= 1000:
            return f"${value / 1000:,.1f}M"
        return f"${value:,.0f}k"
    magnitude = abs(value)
    if magnitude >= 100 or float(value).is_integer():
        text = f"{value:,.0f}"
    elif magnitude >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return f"{text} {unit}" if unit and unit not in ("count",) else text


def label(name: str) -> str:
    """A metric's name as a row label."""
    return name.replace("_", " ").replace("p50", "(median)").replace("p90", "(p90)").capitalize()


def print_run_summary(result: RunResult, console: Console | None = None) -> None:
    """Print one run's summary: delivery, conflicts, organisation, economics."""
    console = console or Console()
    sc = result.scenario
    state = result.state
    arm = "with the VP PM broker" if result.broker else "without a broker"
    staff = sum(d.staff for d in state.departments.values())
    console.print(
        f"[bold]{sc.name}[/bold] {arm} — seed {result.seed}, {sc.horizon:g} days, "
        f"{staff:,} staff at the end"
    )
    console.print(
        f"{len(result.log):,} events in {result.elapsed:.2f} s · log sha256 "
        f"{result.log.digest()[:12]}"
        + (f" · stored as run {result.run_id} in {result.db}" if result.db else "")
    )
    m = result.metrics
    tables = []
    for group, title in GROUP_TITLES.items():
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        table.add_column("metric", style="cyan")
        table.add_column("value", justify="right")
        for metric in METRICS:
            if metric.group == group and metric.name in m:
                table.add_row(label(metric.name), fmt(m[metric.name], metric.unit))
        if group == "organisation":
            for name in state.departments:
                key = f"headcount_end.{name}"
                if key in m:
                    table.add_row(f"  {name}", fmt(m[key], "people"))
        tables.append(table)
    from rich.columns import Columns

    console.print(Columns(tables, padding=(1, 4)))
