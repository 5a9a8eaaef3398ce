"""Reports of forks: what was forked, that its prefix was verified, and what the change did.

``orgsim fork`` prints, per fork, the parent run, the fork day, the verified prefix
digest and the fork's run id, then the key metrics of parent and fork side by side
(one fork), or every metric's paired difference with its CI (two forks or more:
the fork plays the broker arm of a comparison, the parent the arm without).
:func:`fork_json` is the same as plain data. Metrics are named and formatted as the
catalogue says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from orgsim.analysis.stats import CORRECTION_NAMES, Comparison, Estimate
from orgsim.experiments.fork import ForkComparison, changes_text
from orgsim.metrics.catalogue import HEADLINE, metric
from orgsim.reporting.terminal import comparison_table
from orgsim.storage.results import json_safe

__all__ = ["fork_json", "print_fork", "print_forks"]


def print_fork(result: ForkComparison, console: Console | None = None) -> None:
    """The forks made (or found) and what the change did to their metrics."""
    console = console or Console()
    console.print(
        f"[bold]Fork at day {result.at:g}[/bold] of {result.pairs} run(s) in {result.store}: "
        f"{changes_text(result.changes)}"
    )
    for f in result.forks:
        same = " · the same log as its parent" if f.digest == f.parent.digest else ""
        console.print(
            f"  run {f.parent.run_id} ({f.parent.scenario}, seed {f.parent.seed}, rep "
            f"{f.parent.replication}) -> run {f.run_id}: prefix of "
            f"{f.origin.prefix_events:,} events before day {result.at:g} verified "
            f"(sha256 {f.origin.prefix_digest[:12]}), {f.events:,} events{same}"
        )
    if result.table:
        console.print(_paired_table(result, console.width))
        console.print(_note(result))
        for name in HEADLINE:
            c = result.table.get(name)
            if c is not None:
                console.print(f"  {metric(name).label}: {c.verdict}")
    elif result.forks:
        console.print(_pair_table(result))
        console.print("One pair has no confidence interval: fork more runs (--run all).")


def print_forks(results: Sequence[ForkComparison], console: Console | None = None) -> None:
    """Every comparison of the stored forks (``orgsim fork STORE --compare``)."""
    console = console or Console()
    for i, result in enumerate(results):
        if i:
            console.print()
        print_fork(result, console)


def _pair_table(result: ForkComparison) -> Table:
    """One fork: the headline metrics of parent and fork, and their difference."""
    f = result.forks[0]
    table = Table(header_style="bold")
    table.add_column("metric", style="cyan")
    table.add_column(f"run {f.parent.run_id} (parent)", justify="right")
    table.add_column(f"run {f.run_id} (fork)", justify="right")
    table.add_column("difference", justify="right")
    for name in HEADLINE:
        entry = metric(name)
        a, b = f.parent_metrics.get(name, math.nan), f.metrics.get(name, math.nan)
        diff = entry.format(b - a, signed=True)
        table.add_row(entry.label, entry.format(a), entry.format(b), diff)
    return table


def _paired_table(result: ForkComparison, width: int) -> Table:
    """Every metric: parents, forks and the paired difference, with CIs and adjusted p."""
    return comparison_table(
        result.table,
        width=width,
        arms=(("parents", "off"), ("forks", "on")),
        wins="fork better",
        relative=False,
        p_head={"holm": "p (Holm)", "bh": "p (BH)"}.get(result.correction, "p"),
        ci=result.ci,
    )


def _note(result: ForkComparison) -> str:
    level = next((c.level for c in result.table.values()), 0.95)
    if result.correction == "none":
        judged = f"paired t-test p < {1 - level:.2g} per metric, not corrected"
    else:
        family = max((c.family for c in result.table.values()), default=0)
        judged = (
            f"paired t-test p adjusted by {CORRECTION_NAMES[result.correction]} over "
            f"{family} metrics, p < {1 - level:.2g}"
        )
    return (
        f"{result.pairs} forks paired with their parents (the same random streams after "
        f"day {result.at:g}: common random numbers). Significance (colour): {judged}."
    )


def _estimate(e: Estimate) -> dict[str, Any]:
    return {"mean": e.mean, "low": e.low, "high": e.high, "n": e.n, "method": e.method}


def _row(c: Comparison) -> dict[str, Any]:
    return {
        "broker_only": c.broker_only,
        "parent": _estimate(c.off),
        "fork": _estimate(c.on),
        "diff": _estimate(c.diff),
        "relative": c.relative,
        "win_rate": c.win_rate,
        "p_value": c.p_value,
        "p_adjusted": c.p_adjusted,
        "significant": c.significant,
        "verdict": c.verdict,
    }


def fork_json(result: ForkComparison) -> dict[str, Any]:
    """The forks and their comparison as plain data (NaN as null).

    ``forks`` lists each fork with its parent, origin (prefix digest and events)
    and both runs' metrics; ``metrics`` the paired comparison of every metric
    (empty with fewer than two forks).
    """
    return json_safe(
        {
            "store": str(result.store),
            "at": result.at,
            "changes": result.changes,
            "pairs": result.pairs,
            "forks": [
                {
                    "parent_run": f.parent.run_id,
                    "run_id": f.run_id,
                    "scenario": f.parent.scenario,
                    "seed": f.parent.seed,
                    "replication": f.parent.replication,
                    "prefix_digest": f.origin.prefix_digest,
                    "prefix_events": f.origin.prefix_events,
                    "digest": f.digest,
                    "parent_digest": f.parent.digest,
                    "events": f.events,
                    "parent_metrics": f.parent_metrics,
                    "metrics": f.metrics,
                }
                for f in result.forks
            ],
            "statistics": {
                "ci": result.ci,
                "correction": result.correction,
                "test": "paired t-test",
            },
            "metrics": {name: _row(c) for name, c in result.table.items()},
        }
    )
