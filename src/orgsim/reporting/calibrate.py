"""The terminal report of a calibration: the generations, the posterior, the predictive check.

One line per generation while it runs (:func:`generation_line`); at the end, the
posterior of each fitted constant against its prior (mean, 90% credible interval,
how much the data narrowed it, and the true value with whether the interval
holds it when the observations were simulated), then each observed statistic
against its posterior predictive distribution, with the warnings of
:func:`orgsim.experiments.calibrate.posterior.predictive_check`. ``--json`` prints
``calibration.json`` instead (:meth:`CalibrationResult.to_dict`).
"""

from __future__ import annotations

import math

from rich import box
from rich.console import Console, JustifyMethod
from rich.table import Table

from orgsim.experiments.calibrate.fit import Generation
from orgsim.experiments.calibrate.run import CalibrationResult
from orgsim.metrics.format import format_count, format_duration
from orgsim.reporting.explore import REPORT_WIDTH
from orgsim.reporting.terminal import natural_width, report_console, wrap_at

__all__ = ["generation_line", "print_calibration"]


def _g(x: float | None) -> str:
    """A number in 3 significant figures, or a dash."""
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.3g}"


def generation_line(g: Generation) -> str:
    """One generation as progress: threshold, acceptance, effective sample size, time."""
    took = f", {format_duration(g.elapsed)}" if math.isfinite(g.elapsed) else ""
    return (
        f"generation {g.t}: threshold {g.epsilon:.3g}, acceptance {g.acceptance:.0%} "
        f"({format_count(g.simulations)} simulations), ESS {g.ess:.0f} of {g.accepted}{took}"
    )


def print_calibration(result: CalibrationResult, console: Console | None = None) -> None:
    """Print a calibration's answers (see the module docstring)."""
    console = console or report_console(REPORT_WIDTH)
    o, st = result.observed, result.stopped
    last = st.generations[-1] if st.generations else None
    console.print(
        f"[bold]calibrate {o.name}[/bold]: {len(o.fit)} constants to {len(o.observations)} "
        f"statistics over {o.days:g} days; {len(st.generations)} generations, "
        f"{format_count(st.simulations)} simulations in {format_duration(result.elapsed)}"
        + (" (resumed)" if result.resumed else "")
    )
    if last is not None:
        console.print(
            f"stopped: {st.reason}; last threshold {last.epsilon:.3g} (RMS error in "
            "measurement standard deviations)"
        )
    console.print(_posterior_table(result, console.width))
    console.print(_check_table(result))
    for warning in result.warnings:
        console.print(f"[yellow]warning[/yellow]: {warning}")
    console.print(f"posterior, history and charts in {result.out}")


def _posterior_table(result: CalibrationResult, width: int) -> Table:
    """The posterior of each constant, fitted to ``width`` with nothing cut.

    When a row is too wide, a parameter's path wraps after its dots; if that is
    not enough, the headers split into words and the rules get lighter.
    """
    longest = max((len(s.path) for s in result.summary), default=0)
    for compact in (False, True):
        table = _posterior_rows(result, None, compact)
        excess = natural_width(table) - width
        if excess <= 0:
            return table
        table = _posterior_rows(result, longest - excess, compact)
        if natural_width(table) <= width:
            break
    return table


def _posterior_rows(result: CalibrationResult, path_width: int | None, compact: bool) -> Table:
    known = any(s.truth is not None for s in result.summary)
    table = Table(
        title="Posterior (90% credible intervals)",
        title_justify="left",
        box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD,
        collapse_padding=compact,
    )
    heads = ["Parameter", "Prior", "Mean", "90% interval", "Narrowed"]
    heads += ["True", "Inside"] if known else []
    for i, head in enumerate(heads):
        justify: JustifyMethod = "left" if i == 0 else "center" if head == "Inside" else "right"
        shown = head.replace(" ", "\n") if compact else head
        table.add_column(shown, justify=justify, no_wrap=True)
    for s in result.summary:
        row = [
            s.path if path_width is None else wrap_at(s.path, path_width, "."),
            f"{_g(s.prior_low)}–{_g(s.prior_high)}",
            _g(s.mean),
            f"{_g(s.low)}–{_g(s.high)}",
            f"{s.shrinkage:.0%}" if math.isfinite(s.shrinkage) else "–",
        ]
        if known:
            covers = s.covers
            row += [_g(s.truth), "–" if covers is None else ("yes" if covers else "[red]no[/red]")]
        table.add_row(*row)
    return table


def _check_table(result: CalibrationResult) -> Table:
    table = Table(title="Posterior predictive check", title_justify="left")
    table.add_column("Statistic", no_wrap=True)
    table.add_column("Observed", justify="right")
    table.add_column("Predicted (90%)", justify="right")
    table.add_column("Percentile", justify="right")
    for c in result.checks:
        table.add_row(
            c.name,
            f"{_g(c.observed)} ± {_g(c.sd)}" if c.sd > 0 else _g(c.observed),
            f"{_g(c.median)} ({_g(c.low)}–{_g(c.high)})",
            f"{c.percentile:.0f}" if math.isfinite(c.percentile) else "–",
        )
    return table
