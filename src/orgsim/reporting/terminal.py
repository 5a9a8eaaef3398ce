"""Terminal reports: run summaries, comparison, sweep and sensitivity tables, with rich.

Reports read metrics (projections of the log), never live simulation objects, and
name and format every metric as the catalogue (:mod:`orgsim.metrics.catalogue`)
says.

How a comparison table fits the console (:func:`comparison_table`; ``compare`` and
``fork`` print it). Names are never abbreviated or cut: a metric's label (with its
unit) wraps at spaces only, and numbers never wrap. The table takes the first of
two layouts that fits the console's width (its ``COLUMNS`` when not a terminal,
else 80):

* one line per metric, each value followed by its CI, a relative column, when the
  metric column can still be :data:`NAME_MIN` (24) characters wide (about 120
  columns);
* stacked otherwise (80 and 100 columns): each CI on the line under its value (a
  bootstrap interval's bounds on two lines), the relative difference in brackets
  after the difference, headers split into words, lighter rules. Below about 75
  columns it may still be cut.

What a cell shows, so that no mark is without meaning: ``–`` for no value (never
with a ±); the value alone when its CI has no width (the same in every
replication, like the broker's cost) or there is none; ``±<0.01`` when the
half-width rounds to nothing at the precision shown (below the last digit). A
difference is coloured (``*`` in a sweep) and has a p only when it was tested and
varies across the replications (:func:`marked_significant`, :func:`p_text`).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from rich import box
from rich.columns import Columns
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from orgsim.analysis.stats import (
    BOOTSTRAP_RESAMPLES,
    CORRECTION_NAMES,
    Comparison,
    Estimate,
    format_p,
)
from orgsim.engine import events as ev
from orgsim.experiments.sweep.aggregate import broker_return
from orgsim.metrics.catalogue import GROUP_TITLES, GROUPS, METRICS, Metric, label, metric
from orgsim.metrics.format import INLINE_UNITS, format_level, format_number

if TYPE_CHECKING:
    from orgsim.analysis.optimum import Optimum
    from orgsim.analysis.sensitivity import Sensitivity
    from orgsim.engine.state import OrgState
    from orgsim.experiments.compare import ComparisonResult, PrecisionCheck
    from orgsim.experiments.patterns import PatternCheck
    from orgsim.experiments.runner import RunResult
    from orgsim.experiments.sweep.aggregate import PointResult
    from orgsim.experiments.sweep.run import SweepResult
    from orgsim.experiments.tornado import TornadoResult
    from orgsim.storage.eventstore import RunInfo


def report_console(off_terminal: int | None = None) -> Console:
    """The console a report prints to: the terminal's width, else ``COLUMNS``, else a default.

    Off a terminal (a pipe, a file) rich assumes 80 columns unless ``COLUMNS`` says
    otherwise; a report that reads better wider passes ``off_terminal`` for when
    ``COLUMNS`` is not set, and ``COLUMNS=80`` still gets 80.
    """
    console = Console()
    if off_terminal is None or console.is_terminal or os.environ.get("COLUMNS"):
        return console
    return Console(width=off_terminal)


def print_run_summary(result: RunResult, console: Console | None = None) -> None:
    """Print one run's summary: delivery, conflicts, organisation, economics."""
    console = console or Console()
    sc = result.scenario
    state = result.state
    arm = "with the VP PM broker" if result.broker else "without a broker"
    fired = [e for e in result.log if isinstance(e, ev.InterventionFired)]
    if not result.broker and state.broker:
        day = next(e.time for e in result.log if isinstance(e, ev.BrokerAppointed))
        arm = f"with a VP PM appointed on day {day:,.0f}"
    staff = sum(d.staff for d in state.departments.values())
    # A company that ran out of cash ended its run then, not at the horizon.
    span = (
        f"ran out of cash on day {state.time:,.0f} of {sc.horizon:g}"
        if state.time < sc.horizon
        else f"{sc.horizon:g} days"
    )
    console.print(
        f"[bold]{sc.name}[/bold] {arm} — seed {result.seed}, {span}, {staff:,} staff at the end"
    )
    console.print(
        f"{len(result.log):,} events in {result.elapsed:.2f} s · log sha256 "
        f"{result.log.digest()[:12]}"
        + (f" · stored as run {result.run_id} in {result.db}" if result.db else "")
    )
    for e in fired:
        console.print(f"  day {e.time:,.1f}: {e.name} fired ({e.trigger})")
    m = result.metrics
    tables = []
    for group, title in GROUP_TITLES.items():
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        table.add_column("metric", style="cyan")
        table.add_column("value", justify="right")
        for entry in METRICS:
            if entry.group == group and entry.name in m:
                table.add_row(entry.label, entry.format(m[entry.name]))
        if group == "organisation":
            for name in state.departments:
                key = f"headcount_end.{name}"
                if key in m:
                    table.add_row(f"  {name}", metric(key).format(m[key]))
        tables.append(table)
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


def print_comparison(result: ComparisonResult, console: Console | None = None) -> None:
    """The comparison table (every metric) and one verdict line per headline metric."""
    console = console or Console()
    sc = result.scenario
    console.print(
        f"[bold]{sc.name}[/bold]: {result.runs} paired replications (seed {result.seed}), "
        "broker on vs off, common random numbers"
    )
    p_head = {"holm": "p (Holm)", "bh": "p (BH)"}.get(result.correction, "p")
    console.print(comparison_table(result.table, width=console.width, p_head=p_head, ci=result.ci))
    console.print(statistics_note(result))
    console.print("[bold]Verdict[/bold] (headline metrics, paired 95% CIs):")
    for name, c in result.headline.items():
        console.print(f"  {metric(name).label}: {c.verdict}")
    roi = result.broker_roi()
    if not math.isnan(roi):
        broker_cost = metric("broker_cost").format(float(result.on["broker_cost"].mean()))
        console.print(
            f"  Broker return: {roi:+.2f} k$ of net value per k$ of broker cost "
            f"(broker cost {broker_cost} per run)"
        )
    ratio = result.table["value_shipped"].crn_variance_ratio
    if math.isfinite(ratio):
        console.print(
            f"Common random numbers cut the variance of the value-shipped difference "
            f"{ratio:.1f}x against independent sampling."
        )
    if result.precision is not None:
        console.print(precision_text(result.precision, result.runs))
    console.print(f"Results: {result.db}; charts and tables in {result.out}/")


def statistics_note(result: ComparisonResult) -> str:
    """What the table's CIs are and what its colours and p column mean.

    ``Significance (colour): Holm-adjusted p < 0.05 over 38 metrics ...``: the
    correction and the family it ran over, and that the CIs are not adjusted.
    """
    level = next((c.level for c in result.table.values()), 0.95)
    alpha = f"{1.0 - level:.2g}"
    if result.ci == "bootstrap":
        cis = (
            f"{level:.0%} BCa bootstrap CIs ({BOOTSTRAP_RESAMPLES} resamples of the "
            f"replications, seeded by {result.seed})"
        )
    else:
        cis = f"{level:.0%} Student-t CIs"
    if result.correction == "none":
        judged = f"paired t-test p < {alpha} per metric, not corrected for multiplicity"
    else:
        name = CORRECTION_NAMES[result.correction]
        judged = (
            f"paired t-test p adjusted by {name} over {result.family} metrics "
            f"(those with a paired test), p < {alpha}"
        )
    return (
        f"Significance (colour, p column): {judged}. ± and the verdicts' intervals are "
        f"unadjusted {cis}, each metric on its own, so a CI may exclude 0 while the "
        "adjusted p does not. No ±: the same in every replication; p –: no test (a "
        "metric with the broker only, or a difference the same in every replication)."
    )


#: The narrowest the metric column may be before the one-line layout gives way
#: to the stacked one (see the module docstring).
NAME_MIN = 24


def comparison_table(
    table: Mapping[str, Comparison],
    *,
    width: int,
    arms: Sequence[tuple[str, str]] = (("with broker", "on"), ("without", "off")),
    wins: str = "broker wins",
    relative: bool = True,
    p_head: str = "p",
    ci: str = "t",
) -> Table:
    """Every metric, grouped as the catalogue groups them: arms, difference, wins, p.

    The one-line layout when it fits ``width`` with the metric column at least
    :data:`NAME_MIN` wide, else the stacked one (each CI under its value, the
    relative difference in the difference cell); either way the numbers never
    wrap and a metric's name wraps at spaces only.

    Args:
        table: The comparisons by metric name, in the order rows should follow
            within their group.
        width: The columns the table may take (the console's width).
        arms: Per arm column, its header and the :class:`Comparison` attribute it
            shows (``"on"`` or ``"off"``).
        wins: The win-rate column's header.
        relative: Whether to show the relative difference.
        p_head: The p column's header (``p (Holm)`` when adjusted).
        ci: ``"t"`` or ``"bootstrap"``: how the CIs were made, for the headers.
    """
    ordered = sorted(table.items(), key=lambda kv: GROUPS.index(metric(kv[0]).group))
    spec = _Layout(arms=arms, wins=wins, relative=relative, p_head=p_head, ci=ci)
    wide = _build(ordered, spec, stacked=False)
    if _fit(wide, width, NAME_MIN):
        return wide
    stacked = _build(ordered, spec, stacked=True)
    _fit(stacked, width, _longest_word(stacked))
    return stacked


@attrs.frozen
class _Layout:
    arms: Sequence[tuple[str, str]]
    wins: str
    relative: bool
    p_head: str
    ci: str


def _build(ordered: Sequence[tuple[str, Comparison]], spec: _Layout, stacked: bool) -> Table:
    """The table in one layout; :func:`_fit` sets its metric column's width."""
    ci = "95% CI" if spec.ci == "t" else "95% boot. CI"
    ci_head = f"\n({ci})" if not stacked else ""
    table = Table(
        header_style="bold",
        box=box.SIMPLE_HEAD if stacked else box.HEAVY_HEAD,
        pad_edge=not stacked,
        collapse_padding=stacked,
    )
    table.add_column("metric", style="cyan")
    for head, _attr in spec.arms:
        head = head.replace(" ", "\n") if stacked else head
        table.add_column(head + ci_head, justify="right", no_wrap=True)
    diff_head = "difference" + ("\n(relative)" if stacked and spec.relative else ci_head)
    table.add_column(diff_head, justify="right", no_wrap=True)
    if spec.relative and not stacked:
        table.add_column("relative", justify="right", no_wrap=True)
    table.add_column(spec.wins.replace(" ", "\n"), justify="right", no_wrap=True)
    p_head = spec.p_head.replace(" ", "\n") if stacked else spec.p_head
    table.add_column(p_head, justify="right", no_wrap=True)
    blank = [""] * (len(table.columns) - 1)
    last_group = None
    for name, c in ordered:
        group = metric(name).group
        if group != last_group:
            if last_group is not None:
                table.add_section()
            table.add_row(f"[bold]{GROUP_TITLES[group]}[/bold]", *blank)
            last_group = group
        table.add_row(*_row_cells(name, c, spec, stacked))
    return table


def _fit(table: Table, width: int, least: int) -> bool:
    """Give the metric column the width the numbers leave; whether that is ``least``.

    The numbers keep their full width (they never wrap); the metric column takes
    what is left of ``width``, at most its longest name and at least ``least``.
    """
    console = Console(width=max(width, 1000))
    name = table.columns[0]
    name.width = 1
    others = Measurement.get(console, console.options, table).maximum - 1
    name.width = None
    longest = Measurement.get(console, console.options, table).maximum - others
    name.width = max(least, min(longest, width - others))
    return width - others >= least


def _longest_word(table: Table) -> int:
    """The longest word of the metric column: it is never split."""
    words = (
        w for cell in table.columns[0].cells for w in Text.from_markup(str(cell)).plain.split()
    )
    return max((len(w) for w in words), default=1)


def _row_cells(name: str, c: Comparison, spec: _Layout, stacked: bool) -> list[str]:
    """One metric's cells; units other than shares and money go in its label.

    A broker-only metric shows the broker arm alone; every other cell is ``–``.
    """
    entry = metric(name)
    unit = entry.unit
    shown = unit if unit in INLINE_UNITS else ""
    label = entry.label + (f" ({unit})" if unit and not shown else "")
    cells = [label]
    cells += [with_ci(getattr(c, attr), shown, stacked=stacked) for _, attr in spec.arms]
    diff = with_ci(c.diff, shown, signed=True, stacked=stacked)
    rel = format_number(c.relative, "share", signed=True)
    if stacked and spec.relative and not math.isnan(c.relative):
        first, _, rest = diff.partition("\n")
        diff = f"{first} ({rel})" + (f"\n{rest}" if rest else "")
    style = ""
    if marked_significant(c) and c.better:
        style = "green" if c.outcome == "better" else "red"
    cells.append(f"[{style}]{diff}[/{style}]" if style else diff)
    if spec.relative and not stacked:
        cells.append(rel)
    cells.append("–" if math.isnan(c.win_rate) else f"{c.win_rate:.0%}")
    cells.append(p_text(c))
    return cells


def marked_significant(c: Comparison) -> bool:
    """Whether a table marks the difference significant (colour, ``*``).

    Only a difference with a test (a p-value) that varies across the replications:
    a constant difference (the broker's cost) needs no test and gets no mark.
    """
    return c.significant and not math.isnan(c.p_adjusted) and c.diff.sd > 0


def p_text(c: Comparison) -> str:
    """The p cell: the adjusted p, or ``–`` with no test or a constant difference."""
    return format_p(c.p_adjusted) if c.diff.sd > 0 else "–"


def with_ci(e: Estimate, unit: str, signed: bool = False, *, stacked: bool = False) -> str:
    """A cell: ``mean ±half-width``, ``mean [low, high]``, the mean alone, or ``–``.

    ``–`` when there is no value (the arm without a broker, for a metric that
    exists with the broker only); the mean alone when there is no spread estimate
    or the interval has no width (the value was the same in every replication). A
    half-width that rounds to nothing at the table's precision reads ``±<0.01``.
    A bootstrap interval need not be symmetric, so it shows both bounds. Stacked,
    the interval goes on the next line (a bootstrap one on the next two).
    """
    if math.isnan(e.mean):
        return "–"
    mean = format_number(e.mean, unit, signed=signed)
    if not e.high > e.low:  # NaN (no spread estimate) or no width
        return mean
    sep = "\n" if stacked else " "
    if e.method == "bootstrap":
        low, high = (format_number(v, unit, signed=signed) for v in (e.low, e.high))
        return f"{mean}{sep}[{low},{sep}{high}]"
    return f"{mean}{sep}±{_half_width(e.half_width, unit)}"


def _half_width(half: float, unit: str) -> str:
    """A half-width at the table's precision; ``<0.01`` (the last digit) if it rounds to 0."""
    return _nonzero(format_number(half, unit))


def _nonzero(text: str) -> str:
    """A positive width written as all zeros reads ``<`` its last digit: ``0.00`` -> ``<0.01``."""
    if any(ch in "123456789" for ch in text):
        return text
    at = text.rfind("0")
    return "<" + text[:at] + "1" + text[at + 1 :]


def precision_share(value: float) -> str:
    """An achieved relative half-width as reports write it: ``±12.3%``."""
    if math.isnan(value):
        return "undefined (fewer than 2 values)"
    if math.isinf(value):
        return "unbounded (mean 0)"
    return f"±{value:.1%}"


def precision_text(check: PrecisionCheck, runs: int) -> str:
    """One paragraph: whether the precision target was met, and by which metrics not.

    A missed metric reads ``Net value ±12.3% (with broker ±8.1%, without ±12.3%)``:
    its achieved 95% CI half-width, as a share of its mean, in the worse arm and
    in each arm, against the target.
    """
    target = f"±{check.target:.1%}"
    if check.met:
        return (
            f"[bold]Precision[/bold] target {target} reached: every headline metric's "
            f"{check.level:.0%} CI is within {target} of its mean in both arms "
            f"after {runs} paired replications."
        )
    missed = []
    for name, worst in check.missed.items():
        arms = ", ".join(
            f"{'with broker' if arm == 'on' else 'without'} "
            f"{precision_share(check.by_arm[arm][name])}"
            for arm in ("on", "off")
            if name in check.by_arm.get(arm, {})
        )
        missed.append(f"{metric(name).label} {precision_share(worst)} ({arms})")
    return (
        f"[bold red]Precision target {target} NOT reached after {runs} paired "
        f"replications (the cap, --max-runs {check.max_runs})[/bold red]; {len(missed)} of "
        f"{len(check.achieved)} headline metrics missed it ({check.level:.0%} CI "
        f"half-width / |mean|, in the worse arm): " + "; ".join(missed) + "."
    )


# ---------------------------------------------------------------- stored logs


def print_runs(runs: Sequence[RunInfo], console: Console | None = None) -> None:
    """The runs of an event store, one line each (and what each fork was forked from)."""
    console = console or Console()
    table = Table(header_style="bold")
    forks = any(r.fork is not None for r in runs)
    columns = ("run", "scenario", "seed", "rep", "broker", "events", "created", "digest")
    for col in (*columns, "fork of") if forks else columns:
        table.add_column(col, justify="right" if col in ("run", "seed", "events") else "left")
    for r in runs:
        origin = []
        if forks:  # run 1 @ day 400, for a fork; nothing for a run that is not one
            origin = [f"run {r.fork.parent_run} @ day {r.fork.fork_at:g}" if r.fork else ""]
        table.add_row(
            str(r.run_id),
            r.scenario,
            str(r.seed),
            str(r.replication),
            "on" if r.broker else "off",
            f"{r.events:,}",
            r.created,
            r.digest[:12],
            *origin,
        )
    console.print(table)


def print_state(state: OrgState, at: float, console: Console | None = None) -> None:
    """The state of a company rebuilt from its log at one time.

    The log's last event may come before ``at``: work queued and credibility are
    read at ``at`` itself, the flows run on from that event at its rates.
    """
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
            f"{state.backlog(name, at):,.0f}",
            f"{d.severity:.2f}",
        )
    console.print(table)
    console.print("Features by stage: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    open_ = sum(1 for _ in state.open_conflicts())
    value = metric("value_shipped").format(state.value_shipped)
    console.print(
        f"Open conflicts: {open_}; value shipped so far: {value}"
        + (f"; broker credibility {state.credibility_at(at):.2f}" if state.broker else "")
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
    returns = [broker_return(pr) if spec.paired else {} for pr in result.points[:max_rows]]
    for stack in (0, 1, 2):  # the first layout that fits: see _sweep_table
        table = _sweep_table(result, returns, stack)
        if natural_width(table) <= console.width:
            break
    console.print(table)
    if len(result.points) > max_rows:
        console.print(f"… {len(result.points) - max_rows} more points in {result.out}/points.csv")
    if spec.paired:
        console.print(
            "Δ: broker effect, with − without, % of the without-broker mean [95% CI, "
            f"unadjusted]; * paired t-test p < 0.05 after Benjamini–Hochberg over the "
            f"{len(result.points)} points, per metric (false discovery rate 5%)"
            + ("; return: net value gained per k$ of broker cost [95% CI]" if any(returns) else "")
        )
    if result.optimum is not None:
        optimum_table(result.optimum, spec.names[0], console)
    if result.sensitivity is not None:
        sensitivity_table(result.sensitivity, console)
    console.print(
        f"results: {result.db}  tables: {result.out}/points.csv, runs.csv"
        + (f"  charts: {len(result.charts)} in {result.out}" if result.charts else "")
    )


def _sweep_table(result: SweepResult, returns: Sequence[dict[str, float]], stack: int) -> Table:
    """The per-point table in one of three layouts, by ``stack``.

    Each CI follows its effect (0), goes under it (1), or has its bounds on two
    lines under it (2), with lighter rules when stacked. Headers wrap to their
    column: a metric's label at spaces, a parameter's path after its dots; the
    cells never wrap.
    """
    spec = result.spec
    rows = []
    for pr, ret in zip(result.points[: len(returns)], returns, strict=True):
        cells = [str(pr.point)] + [format_level(pr.params[n]) for n in spec.names]
        cells.append(str(pr.runs))
        cells += [_sweep_cell(pr, m, spec.paired, stack) for m in spec.metrics]
        if any(returns):
            cells.append(_return_cell(ret, stack))
        rows.append(cells)
    heads = ["#", *spec.names, "runs"]
    heads += [f"Δ {label(m)}" if spec.paired else label(m) for m in spec.metrics]
    heads += ["return"] if any(returns) else []
    table = Table(
        show_edge=False,
        header_style="bold",
        box=box.SIMPLE_HEAD if stack else box.HEAVY_HEAD,
        collapse_padding=bool(stack),
    )
    for i, head in enumerate(heads):
        column = [Text.from_markup(r[i]).plain for r in rows]
        widest = max((len(line) for cell in column for line in cell.split("\n")), default=1)
        sep = "." if 0 < i <= len(spec.names) else " "
        table.add_column(wrap_at(head, widest, sep), justify="right", no_wrap=True)
    for cells in rows:
        table.add_row(*cells)
    return table


def wrap_at(head: str, width: int, sep: str) -> str:
    """A name broken into lines of at most ``width`` after each ``sep``, where needed.

    A part longer than ``width`` stays whole: names are never cut.
    """
    words = [w + sep for w in head.split(sep)]
    words[-1] = words[-1][: -len(sep)]
    lines = [""]
    for word in words:
        if lines[-1] and len((lines[-1] + word).rstrip()) > width:
            lines.append("")
        lines[-1] += word
    return "\n".join(line.rstrip() for line in lines)


def natural_width(table: Table) -> int:
    """The width a table takes when nothing in it wraps."""
    console = Console(width=1000)
    return Measurement.get(console, console.options, table).maximum


def _return_cell(ret: dict[str, float], stack: int = 0) -> str:
    """The broker's return at a point with its CI, or a dash where it has no cost."""
    if not ret:
        return "–"
    low, mid, high = (ret[f"broker_return{k}"] for k in ("_low", "", "_high"))
    if not high > low:  # no CI, or one of no width: the same return in every replication
        return _ratio(mid)
    return f"{_ratio(mid)}{_STACK[stack][0]}[{_ratio(low)},{_STACK[stack][1]}{_ratio(high)}]"


#: Per stacking level, what goes between a value and its CI, and between the bounds.
_STACK = ((" ", " "), ("\n", " "), ("\n", "\n"))


def _ratio(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"


def _sweep_cell(pr: PointResult, name: str, paired: bool, stack: int = 0) -> str:
    """A point's broker effect on one metric (paired), or the metric's mean.

    ``*`` marks a significant effect (:func:`marked_significant`); a CI of no
    width is left out.
    """
    entry = metric(name)
    if not paired:
        arm = next(iter(pr.arms), None)
        e = pr.arms[arm][name] if arm else None
        return "–" if e is None else entry.format(e.mean)
    c = pr.effect.get(name)
    if c is None or math.isnan(c.diff.mean):
        return "–"
    if math.isnan(c.relative):
        text = entry.format(c.diff.mean)
    else:
        text = format_number(c.relative, "share", signed=True)
    if c.relative_high > c.relative_low:
        between, bounds = _STACK[stack]
        text += f"{between}[{100 * c.relative_low:+.0f},{bounds}{100 * c.relative_high:+.0f}]"
    significant = marked_significant(c)
    style = {"better": "green", "worse": "red"}.get(c.outcome, "") if significant else ""
    mark = "*" if significant else " "
    return f"[{style}]{text}{mark}[/{style}]" if style else text + mark


def optimum_table(opt: Optimum, parameter: str, console: Any) -> None:
    """The best level of a one-parameter sweep, with what missing it costs.

    A line names the best level with its effect's 95% CI; then per candidate (the
    levels, then the reference arm) its effect, its shortfall from the best (both
    ±95% CI) and P(best). Candidates indistinguishable from the best (shortfall CI containing 0) are
    marked ``≈``, the best ``◀ best``.
    """
    m = metric(opt.metric)
    best = opt.winner
    if best.reference:
        line = (
            f"no level of {parameter} beats the reference ({opt.reference_label}): "
            f"best is the reference, P(best) {best.p_best:.0%}"
        )
    else:
        line = (
            f"best {parameter} = {format_level(best.level)}: {m.label} effect "
            f"{_effect_text(m, best.effect)}, P(best) {best.p_best:.0%}"
        )
    console.print(f"[bold]Optimum of {m.label}[/bold] ({opt.better} is better) — {line}")
    unit = m.unit if m.unit in INLINE_UNITS else ""
    heading = f" ({m.unit})" if m.unit and not unit else ""
    table = Table(show_edge=False, header_style="bold")
    table.add_column(parameter, justify="right")
    table.add_column(f"effect{heading}", justify="right")
    table.add_column(f"shortfall{heading}", justify="right")
    table.add_column("P(best)", justify="right")
    table.add_column("", justify="left")
    for i, c in enumerate(opt.candidates):
        name = opt.reference_label if c.reference else format_level(c.level)
        mark = "◀ best" if i == opt.best else ("≈" if c.indistinguishable else "")
        effect = "0 (reference)" if c.reference else with_ci(c.effect, unit, signed=True)
        short = "–" if i == opt.best else with_ci(c.shortfall, unit, signed=True)
        table.add_row(name, effect, short, f"{c.p_best:.0%}", mark)
    console.print(table)
    console.print(
        f"effect: with − without broker ±95% CI; shortfall: this choice − the best, per "
        f"replication "
        f"({opt.method} CI{'' if opt.paired else ': crn = point, the levels are not paired'}); "
        f"≈: shortfall CI contains 0 (unadjusted); P(best): bootstrap over replications "
        f"({opt.n_resamples:,} resamples)"
    )


# ---------------------------------------------------------------- sensitivity

_INDEX_HEADS = {"sobol": ("S1", "ST"), "morris": ("mu*", "sigma"), "delta": ("delta", "S1")}


def sensitivity_table(
    sens: Sensitivity, console: Any, outputs: Sequence[str] | None = None
) -> None:
    """A long table: per output and parameter, the main indices with CIs.

    Args:
        sens: The sweep's sensitivity indices.
        console: A rich console.
        outputs: Outputs to show (default: the broker effects, ``*.effect``,
            when there are any, else every output).
    """
    if outputs is None:
        effects = [o for o in sens.indices if o.endswith(".effect")]
        outputs = effects or list(sens.indices)
    if any(o in sens.indices for o in outputs):
        _indices_table(sens, console, outputs)
    hidden = [o for o in sens.indices if o not in outputs]
    if hidden:
        console.print(f"also analysed (see summary.json): {', '.join(hidden)}")
    # one line per reason, not per output: a small design skips them all alike
    reasons: dict[str, list[str]] = {}
    for output, why in sens.skipped.items():
        reasons.setdefault(why, []).append(output)
    for why, names in reasons.items():
        console.print(f"not analysed ({why}): {', '.join(names)}")


def _indices_table(sens: Sensitivity, console: Any, outputs: Sequence[str]) -> None:
    """The indices of the outputs analysed, with the delta method's caveat."""
    table = Table(
        title=f"{sens.method.capitalize()} sensitivity (± is the 95% CI half-width)",
        title_justify="left",
        show_edge=False,
        header_style="bold",
    )
    table.add_column("output")
    table.add_column("parameter")
    for head in _INDEX_HEADS.get(sens.method, _INDEX_HEADS["delta"]):
        table.add_column(head, justify="right")
    for output in outputs:
        if output not in sens.indices:
            continue
        v = sens.indices[output].values
        for i, name in enumerate(sens.names):
            table.add_row(output if i == 0 else "", name, *_index_cells(sens.method, v, i))
    console.print(table)
    if sens.method == "delta" and sens.points < 50:
        console.print(f"delta from {sens.points} design points: the CIs are wide, read the ranking")


def _index_cells(method: str, v: Any, i: int) -> list[str]:
    """The two index cells of parameter ``i``, each with its CI half-width."""
    if method == "sobol":
        return [_index(v["S1"][i], v["S1_conf"][i]), _index(v["ST"][i], v["ST_conf"][i])]
    if method == "delta":
        return [_index(v["delta"][i], v["delta_conf"][i]), _index(v["S1"][i], v["S1_conf"][i])]
    return [_index(v["mu_star"][i], v["mu_star_conf"][i], ".3g", ".2g"), f"{v['sigma'][i]:.3g}"]


def _index(value: float, conf: float, fmt: str = ".2f", conf_fmt: str = ".2f") -> str:
    """``0.41 ± 0.05``; the index alone when its CI is missing or of no width."""
    text = format(value, fmt)
    if not conf > 0:
        return text
    return f"{text} ± {_nonzero(format(conf, conf_fmt))}"


def print_tornado(result: TornadoResult, console: Console | None = None) -> None:
    """The broker's effect at both ends of each influential parameter's range."""
    console = console or Console()
    m = metric(result.metric)
    console.print(
        f"[bold]{result.scenario.name}[/bold]: the broker's effect on {m.label} "
        f"(on − off, paired, seed {result.seed}) across plausible ranges; "
        f"{len(result.screened)} parameters screened with {result.screen} replications, "
        f"the {len(result.rows)} with the largest swing measured with {result.runs}"
    )
    console.print(f"  At the base: {_effect_text(m, result.base)}")
    table = Table(show_edge=False, header_style="bold")
    for col in ("parameter", "value [range]", "effect at low", "effect at high", "verdict"):
        table.add_column(col, justify="left" if col in ("parameter", "verdict") else "right")
    for r in result.rows:
        u = r.parameter
        table.add_row(
            u.path,
            f"{u.value:g} [{u.low:g}, {u.high:g}]",
            _effect_text(m, r.low),
            _effect_text(m, r.high),
            r.verdict,
        )
    console.print(table)
    console.print(
        "verdict, with a clear effect at the base (95% CI clear of 0): holds (clear, same "
        "sign at both ends), flips (clear, other sign at an end), weakens (not clear at an "
        "end); without one: the ends whose effect is clear, and its sign, or unclear"
    )
    console.print(f"Results: {result.db}")


def _effect_text(m: Metric, e: Estimate) -> str:
    """``+1.4M (−0.2M to +2.9M)``: a paired effect with its 95% CI (none of no width)."""
    if not e.high > e.low:
        return m.format(e.mean, signed=True)
    low, high = m.format(e.low, signed=True), m.format(e.high, signed=True)
    return f"{m.format(e.mean, signed=True)} ({low} to {high})"


def print_patterns(checks: Sequence[PatternCheck], console: Console | None = None) -> None:
    """Each stylised fact, its status and the figures it was judged on."""
    console = console or Console()
    for c in checks:
        colour = {"reproduced": "green", "not reproduced": "red"}.get(c.status, "yellow")
        console.print(f"[bold]{c.pattern.key}[/bold]: [{colour}]{c.status}[/{colour}]")
        console.print(f"  {c.pattern.claim} ({c.pattern.source})")
        if c.reason:
            console.print(f"  {c.reason}")
        figures = "; ".join(f"{name} {_plain(e)}" for name, e in c.figures.items())
        console.print(f"  {figures}")


def _plain(e: Estimate) -> str:
    """``0.13 (0.12 to 0.14)``: a mean with its 95% CI, three significant digits."""

    def sig(x: float) -> str:
        return format_number(x, style="precise")

    if not e.high > e.low:  # no CI, or one of no width
        return sig(e.mean)
    return f"{sig(e.mean)} ({sig(e.low)} to {sig(e.high)})"
