"""Terminal reports: the run summary and (later) comparison tables, with rich.

Reports read metrics (projections of the log), never live simulation objects.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from rich.console import Console
from rich.table import Table

from orgsim.analysis.stats import mean_ci
from orgsim.metrics.catalogue import METRICS, UNITS

if TYPE_CHECKING:
    from orgsim.engine.state import OrgState
    from orgsim.experiments.compare import ComparisonResult
    from orgsim.experiments.runner import RunResult
    from orgsim.experiments.sweep.run import SweepResult
    from orgsim.storage.eventstore import RunInfo

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
        sign = "-" if value < 0 else ""
        if abs(value) >= 1000:
            return f"{sign}${abs(value) / 1000:,.1f}M"
        return f"{sign}${abs(value):,.0f}k"
    magnitude = abs(value)
    if magnitude >= 100 or float(value).is_integer():
        text = f"{value:,.0f}"
    elif magnitude >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return f"{text} {unit}" if unit and unit != "count" else text


def label(name: str) -> str:
    """A metric's name as a row label."""
    text = name.replace("_", " ").replace("p50", "(median)").replace("p90", "(p90)")
    text = text.replace(".", ": ").capitalize()
    acronyms = {"ceo": "CEO", "wip": "WIP", "hhi": "HHI", "qa": "QA"}
    words = [acronyms.get(w.lower(), w) for w in text.split(" ")]
    text = " ".join(words)
    return text[0].upper() + text[1:]


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


# ------------------------------------------------------------------ comparisons


@contextlib.contextmanager
def progress_bar(total: int, enabled: bool = True) -> Iterator[Callable[[Any], None]]:
    """A progress bar over runs; silent when stderr is not a terminal.

    Yields a callback to call once per finished run. The total grows on its own
    when a precision target adds replications.
    """
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield lambda _record: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("runs", total=total)

        def tick(_record: Any) -> None:
            current = bar.tasks[0]
            if current.total is not None and current.completed + 1 > current.total:
                bar.update(task, total=current.completed + 1)
            bar.advance(task)

        yield tick


def _signed(value: float, unit: str) -> str:
    text = fmt(value, unit)
    return text if text.startswith("-") or text == "–" else f"+{text}"


def print_comparison(result: ComparisonResult, console: Console | None = None) -> None:
    """The comparison table (every metric) and one verdict line per headline metric."""
    console = console or Console()
    sc = result.scenario
    console.print(
        f"[bold]{sc.name}[/bold]: {result.runs} paired replications (seed {result.seed}), "
        "broker on vs off, common random numbers"
    )
    table = Table(show_lines=False, header_style="bold")
    table.add_column("metric", style="cyan")
    table.add_column("with broker (95% CI)", justify="right")
    table.add_column("without (95% CI)", justify="right")
    table.add_column("difference (95% CI)", justify="right")
    table.add_column("relative", justify="right")
    table.add_column("broker wins", justify="right")
    units = {m.name: m.unit for m in METRICS}
    group_of = {m.name: m.group for m in METRICS}
    ordered = sorted(
        result.table.items(),
        key=lambda kv: list(GROUP_TITLES).index(group_of.get(kv[0], "organisation")),
    )  # stable: keeps the metric order within each group
    last_group = None
    for name, c in ordered:
        group = group_of.get(name, "organisation")
        if group != last_group:
            table.add_row(f"[bold]{GROUP_TITLES[group]}[/bold]", "", "", "", "", "")
            last_group = group
        if c.on.n == 0 and name in result.on:
            # broker-only metrics (mediation wait, credibility): nothing to pair with
            c = attrs.evolve(c, on=mean_ci(result.on[name]))
        unit = units.get(name, "people")
        shown = unit if unit in ("share", "k$") else ""  # other units go in the label
        style = ""
        if c.significant and c.better:
            style = "green" if c.outcome == "better" else "red"
        rel = "–" if math.isnan(c.relative) else f"{c.relative:+.1%}"
        wins = "–" if math.isnan(c.win_rate) else f"{c.win_rate:.0%}"
        diff = f"{_signed(c.diff.mean, shown)} ±{fmt(c.diff.half_width, shown)}"
        name_cell = "  " + label(name) + (f" ({unit})" if unit and not shown else "")
        table.add_row(
            name_cell,
            f"{fmt(c.on.mean, shown)} ±{fmt(c.on.half_width, shown)}",
            f"{fmt(c.off.mean, shown)} ±{fmt(c.off.half_width, shown)}",
            f"[{style}]{diff}[/{style}]" if style else diff,
            rel,
            wins,
        )
    console.print(table)
    console.print("[bold]Verdict[/bold] (headline metrics, paired 95% CIs):")
    for name, c in result.headline.items():
        console.print(f"  {label(name)}: {c.verdict}")
    roi = result.broker_roi()
    if not math.isnan(roi):
        console.print(
            f"  Broker return: {roi:+.2f} k$ of net value per k$ of broker cost "
            f"(broker cost {fmt(float(result.on['broker_cost'].mean()), 'k$')} per run)"
        )
    ratio = result.table["value_shipped"].crn_variance_ratio
    if math.isfinite(ratio):
        console.print(
            f"Common random numbers cut the variance of the value-shipped difference "
            f"{ratio:.1f}x against independent sampling."
        )
    console.print(f"Results: {result.db}; charts and tables in {result.out}/")


# ---------------------------------------------------------------- stored logs


def print_runs(runs: Sequence[RunInfo], console: Console | None = None) -> None:
    """The runs of an event store, one line each."""
    console = console or Console()
    table = Table(header_style="bold")
    for col in ("run", "scenario", "seed", "rep", "broker", "events", "created", "digest"):
        table.add_column(col, justify="right" if col in ("run", "seed", "events") else "left")
    for r in runs:
        table.add_row(
            str(r.run_id),
            r.scenario,
            str(r.seed),
            str(r.replication),
            "on" if r.broker else "off",
            f"{r.events:,}",
            r.created,
            r.digest[:12],
        )
    console.print(table)


def print_state(state: OrgState, at: float, console: Console | None = None) -> None:
    """The state of a company rebuilt from its log at one time."""
    console = console or Console()
    console.print(f"[bold]{state.scenario}[/bold] at day {at:g} (replayed to seq {state.seq})")
    stages = [*state.stage_names, "shipped"]
    counts = dict.fromkeys(stages, 0)
    for f in state.features.values():
        counts[stages[f.stage]] += 1
    table = Table(header_style="bold", title="Departments", title_justify="left")
    for col in ("department", "staff", "open reqs", "queued work (person-days)", "severity"):
        table.add_column(col, justify="left" if col == "department" else "right")
    for name, d in state.departments.items():
        table.add_row(
            name,
            str(d.staff),
            str(d.open_reqs),
            f"{state.backlog(name):,.0f}",
            f"{d.severity:.2f}",
        )
    console.print(table)
    console.print("Features by stage: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    open_ = sum(1 for _ in state.open_conflicts())
    console.print(
        f"Open conflicts: {open_}; value shipped so far: {fmt(state.value_shipped, 'k$')}"
        + (f"; broker credibility {state.credibility:.2f}" if state.broker else "")
    )


def print_sweep(result: SweepResult, console: Any = None, max_rows: int = 40) -> None:
    """Print the per-point table (effects of the metrics of interest) and indices."""
    console = console or Console()
    spec = result.spec
    arms = "broker on vs off" if spec.paired else f"broker {spec.arms[0]}"
    console.print(
        f"[bold]sweep {spec.name}[/bold] — {spec.design}, {len(result.points)} points × "
        f"{spec.replications} replications ({arms}), {len(result.records)} runs stored, "
        f"{result.ran} made now in {result.elapsed:.1f} s"
    )
    table = Table(show_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    for name in spec.names:
        table.add_column(name, justify="right")
    table.add_column("runs", justify="right")
    for m in spec.metrics:
        table.add_column(f"Δ {m}" if spec.paired else m, justify="right")
    for pr in result.points[:max_rows]:
        cells = [str(pr.point)] + [_short(pr.params[n]) for n in spec.names] + [str(pr.runs)]
        for m in spec.metrics:
            if spec.paired:
                c = pr.effect.get(m)
                if c is None or math.isnan(c.diff.mean):
                    cells.append("–")
                    continue
                if math.isnan(c.relative):
                    text = fmt(c.diff.mean, UNITS.get(m, ""))
                else:
                    text = f"{100 * c.relative:+.1f}%"
                if not math.isnan(c.relative_low):
                    text += f" [{100 * c.relative_low:+.0f}, {100 * c.relative_high:+.0f}]"
                style = {"better": "green", "worse": "red"}.get(c.outcome, "")
                mark = "*" if c.significant else " "
                cells.append(f"[{style}]{text}{mark}[/{style}]" if style else text + mark)
            else:
                arm = next(iter(pr.arms), None)
                e = pr.arms[arm][m] if arm else None
                cells.append("–" if e is None else fmt(e.mean, UNITS.get(m, "")))
        table.add_row(*cells)
    console.print(table)
    if len(result.points) > max_rows:
        console.print(f"… {len(result.points) - max_rows} more points in {result.out}/points.csv")
    if spec.paired:
        console.print(
            "Δ: broker effect, with − without, % of the without-broker mean [95% CI]; "
            "* the CI excludes 0"
        )
    if result.sensitivity is not None:
        result.sensitivity.print(console)
    console.print(
        f"results: {result.db}  tables: {result.out}/points.csv, runs.csv"
        + (f"  charts: {len(result.charts)} in {result.out}" if result.charts else "")
    )


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
