"""The report of a comparison (``orgsim compare --report``) and of forks (``orgsim fork``).

Both answer "what does the broker (or the change) do, metric by metric": the
question and verdict in a sentence each, every metric with each arm's mean and
CI, the paired difference and its CI and the corrected significance (sortable),
then the charts: a forest plot, the per-run distributions, the quarterly
trajectories and the conflict funnel (the forks: the forest plot and the forks).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from orgsim.analysis.stats import Comparison, format_p
from orgsim.errors import OrgsimError
from orgsim.experiments.compare import ComparisonResult
from orgsim.experiments.fork import ForkComparison
from orgsim.experiments.samples import SERIES, arm_arrays
from orgsim.metrics.catalogue import GROUP_TITLES, HEADLINE, label, metric
from orgsim.metrics.format import INLINE_UNITS, format_number
from orgsim.reporting.charts import summaries
from orgsim.reporting.html import figures
from orgsim.reporting.html.common import has_plotly, provenance, static_charts, write
from orgsim.reporting.html.page import Cell, Page, cell

logger = logging.getLogger(__name__)

__all__ = ["comparison_report", "fork_report", "metric_table", "question", "verdict"]

#: The data files a comparison leaves beside its report.
_COMPARE_FILES = ("runs.csv", "runs.parquet", "results.sqlite")

#: The static charts a comparison draws (the report's fallback without plotly).
_COMPARE_CHARTS = ("forest", "distributions", "timeseries", "funnel", "attribution")


# ------------------------------------------------------------------ comparison


def question(result: ComparisonResult) -> str:
    """The question a comparison answers, in one sentence."""
    sc = result.scenario
    staff = sum(sc.departments[n].staff for n in sc.active_departments)
    return (
        f"Does a neutral VP of Product Management (the broker) pay off at {sc.name}, "
        f"a company of {staff:,} staff, over {sc.horizon:,.0f} days?"
    )


def verdict(result: ComparisonResult) -> str:
    """The answer in one sentence, read off the net value's paired comparison."""
    c = result.table["net_value"]
    diff = format_number(c.diff.mean, "k$", signed=True)
    low, high = (format_number(x, "k$", signed=True) for x in (c.diff.low, c.diff.high))
    judged = _judged(result)
    runs = f"{result.runs} paired runs"
    if not c.significant:
        return (
            f"No clear difference: with the broker net value differs by {diff} per run "
            f"(95% CI {low} to {high}), not significant {judged}, in {runs}."
        )
    answer = "Yes" if c.diff.mean > 0 else "No"
    way = "higher" if c.diff.mean > 0 else "lower"
    wins = (
        ""
        if not math.isfinite(c.win_rate)
        else f"; the broker did better in {c.win_rate:.0%} of the pairs"
    )
    return (
        f"{answer}: with the broker net value is {diff} per run {way} "
        f"(95% CI {low} to {high}), significant {judged}, over {runs}{wins}."
    )


def _judged(result: ComparisonResult) -> str:
    if result.correction == "none":
        return "at p < 0.05 (no correction)"
    name = {"holm": "Holm", "bh": "Benjamini–Hochberg"}.get(result.correction, result.correction)
    return f"after {name} over {result.family} metrics"


def comparison_report(result: ComparisonResult, *, interactive: bool | None = None) -> Path:
    """Write ``result.out / report.html`` for a comparison and return its path.

    Args:
        result: The comparison (from :func:`orgsim.api.compare` or rebuilt by
            :func:`orgsim.experiments.compare.load_comparison`).
        interactive: Whether to draw plotly charts (default: when plotly is
            installed); False embeds the static SVG charts.
    """
    interactive = has_plotly() if interactive is None else interactive
    page = Page(
        f"orgsim — {result.scenario.name}: with and without the broker",
        plotly_js=figures.plotly_js() if interactive else "",
    )
    page.paragraph(question(result), "question")
    page.paragraph(verdict(result), "verdict")
    page.heading("Every metric", "table")
    page.paragraph(_table_note(result), "note")
    page.table(*metric_table(result.table), ident="verdict-table", text_columns=2)
    page.heading("Charts", "charts")
    if interactive:
        _comparison_figures(page, result)
        if (result.out / "attribution.svg").is_file():  # compare --explain's waterfall
            page.heading("Where the effect comes from: attribution", "attribution")
            static_charts(page, result.out, ["attribution"], note=False)
    else:
        static_charts(page, result.out, _COMPARE_CHARTS)
    provenance(page, result.db, result.records[0].experiment if result.records else "")
    page.heading("Files", "files")
    page.files(result.out, [*_COMPARE_FILES, *(f"{c}.png" for c in _COMPARE_CHARTS)])
    lede = (
        f"{result.runs} paired replications, root seed {result.seed}, "
        f"scenario {result.scenario.name} ({result.scenario.digest()})"
    )
    return write(page, result.out, lede)


def _table_note(result: ComparisonResult) -> str:
    return (
        f"Means per run over {result.runs} paired replications, each with its 95% "
        f"{'BCa bootstrap' if result.ci == 'bootstrap' else 'Student-t'} confidence interval "
        "(unadjusted); the difference is paired (with − without the broker, on common "
        f"random numbers). Significant: paired t-test p {_judged(result)}, below 0.05. "
        "Click a column to sort."
    )


def metric_table(
    table: Mapping[str, Comparison], arms: tuple[str, str] = ("With broker", "Without broker")
) -> tuple[Sequence[str], list[tuple[list[Cell], str]]]:
    """The headers and rows of a paired table: every metric, its arms, the difference."""
    headers = (
        "Group",
        "Metric",
        *arms,
        "Difference",
        "Relative",
        f"{arms[0]} better in",
        "p (adjusted)",
        "Significant",
    )
    rows = []
    for name, c in table.items():
        m = metric(name)
        rows.append((_row(name, c, m.unit, GROUP_TITLES[m.group]), _row_class(c)))
    return headers, rows


def _row(name: str, c: Comparison, unit: str, group: str) -> list[Cell]:
    def est(e: Any, signed: bool = False) -> Cell:
        def fmt(x: float) -> str:  # the unit is named under the metric, money and shares kept
            return format_number(x, unit if unit in INLINE_UNITS else "", signed=signed)

        shown = fmt(e.mean)
        ci = "" if not (e.high > e.low) else (f"{fmt(e.low)} to {fmt(e.high)}")
        return cell(shown, e.mean, ci)

    tested = math.isfinite(c.p_adjusted)
    sig = "yes" if tested and c.significant else "no" if tested else "no test"
    return [
        cell(group, css="text"),
        cell(label(name), extra=_unit_text(unit), css="text"),
        est(c.on),
        est(c.off),
        est(c.diff, signed=True),
        cell(
            format_number(100 * c.relative, style="percent", signed=True)
            if math.isfinite(c.relative)
            else "–",
            c.relative,
        ),
        cell("–" if not math.isfinite(c.win_rate) else f"{c.win_rate:.0%}", c.win_rate),
        cell(format_p(c.p_adjusted) if tested else "–", c.p_adjusted),
        Cell(sig, css="sig"),
    ]


def _unit_text(unit: str) -> str:
    return {"k$": "US$", "share": "share", "count": "count"}.get(unit, unit)


def _row_class(c: Comparison) -> str:
    return {"better": "sig-better", "worse": "sig-worse"}.get(c.outcome, "")


def _comparison_figures(page: Page, result: ComparisonResult) -> None:
    records = result.records
    q_on, q_off = arm_arrays(records, "on", "quarterly"), arm_arrays(records, "off", "quarterly")
    totals = [s for s in SERIES if not s.endswith("*")]
    stages = summaries.funnel_stages(
        arm_arrays(records, "on", "funnel"), arm_arrays(records, "off", "funnel")
    )
    made: list[tuple[str, Callable[[], Any]]] = [
        ("forest", lambda: figures.forest(result.table)),
        ("distributions", lambda: figures.distributions(result.on, result.off, list(HEADLINE))),
        ("trajectories", lambda: figures.trajectories(q_on, q_off, totals)),
        ("funnel", lambda: figures.funnel(stages)),
    ]
    for ident, make in made:
        page.raw(figures.embed(make(), ident))


# ------------------------------------------------------------------ forks


def fork_report(
    results: Sequence[ForkComparison], out: Path, *, interactive: bool | None = None
) -> Path:
    """Write ``out / report.html`` for forks paired with their parents, and return it.

    One section per group of forks (one change at one day): the question is what
    the change does from its day on; the verdict reads the net value's paired
    comparison of forks and parents (on the same random numbers after the fork),
    the table every metric; the forest plot needs two pairs.
    """
    interactive = has_plotly() if interactive is None else interactive
    if not results:
        raise OrgsimError("no forks to report")
    store = results[0].store
    page = Page(
        f"orgsim — forks in {store.name}",
        plotly_js=figures.plotly_js() if interactive and any(r.table for r in results) else "",
    )
    for i, result in enumerate(results):
        _fork_section(page, result, i, interactive)
    page.heading("Files", "files")
    page.files(out, [store.name] if store.parent.resolve() == out.resolve() else [])
    pairs = sum(r.pairs for r in results)
    return write(page, out, f"{pairs} fork(s) in {len(results)} group(s), event store {store}")


def _fork_section(page: Page, result: ForkComparison, i: int, interactive: bool) -> None:
    change = "; ".join(f"{k} {', '.join(v)}" for k, v in result.changes.items() if v) or "none"
    page.heading(f"Day {result.at:g}: {change}", f"group-{i}")
    page.paragraph(
        f"What does the change ({change}) do to a company from day {result.at:g} on, "
        "against the same company left as it was?",
        "question",
    )
    page.paragraph(_fork_verdict(result), "verdict")
    if result.table:
        page.table(
            *metric_table(result.table, ("Fork", "Parent")),
            ident=f"verdict-table-{i}",
            text_columns=2,
        )
        if interactive:
            page.raw(figures.embed(figures.forest(result.table, ("fork", "parent")), f"forest-{i}"))
    rows = [
        (
            [
                cell(str(f.parent.run_id), css="text"),
                cell(str(f.run_id), css="text"),
                cell(str(f.parent.seed), float(f.parent.seed)),
                cell(str(f.origin.prefix_events), float(f.origin.prefix_events)),
                cell(f.digest[:16], css="text"),
                cell(format_number(f.metrics.get("net_value"), "k$"), f.metrics.get("net_value")),
                cell(
                    format_number(f.parent_metrics.get("net_value"), "k$"),
                    f.parent_metrics.get("net_value"),
                ),
            ],
            "",
        )
        for f in result.forks
    ]
    page.table(
        (
            "Parent run",
            "Fork run",
            "Seed",
            "Shared events",
            "Fork log digest",
            "Net value",
            "Parent's net value",
        ),
        rows,
        ident=f"forks-{i}",
        text_columns=2,
    )


def _fork_verdict(result: ForkComparison) -> str:
    c = result.table.get("net_value")
    if c is None:
        return (
            f"{result.pairs} fork: a paired comparison needs two pairs or more, so no "
            "verdict (the forks are listed below)."
        )
    diff = format_number(c.diff.mean, "k$", signed=True)
    low, high = (format_number(x, "k$", signed=True) for x in (c.diff.low, c.diff.high))
    way = "raises" if c.diff.mean > 0 else "lowers"
    if not c.significant:
        return (
            f"No clear difference: net value moves by {diff} per run (95% CI {low} to {high}), "
            f"not significant over {result.pairs} pairs."
        )
    return (
        f"The change {way} net value by {diff} per run (95% CI {low} to {high}), "
        f"significant over {result.pairs} pairs."
    )
