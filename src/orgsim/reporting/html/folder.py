"""A report of whatever experiment an output folder holds (``orgsim report OUT_DIR``)."""

from __future__ import annotations

from pathlib import Path

from orgsim.experiments.compare import load_comparison
from orgsim.reporting.html.common import experiment_kind
from orgsim.reporting.html.compare import comparison_report
from orgsim.reporting.html.explore import explore_report
from orgsim.reporting.html.sweep import sweep_report

__all__ = ["report"]


def report(out: str | Path, *, interactive: bool | None = None) -> Path:
    """Write ``out/report.html`` of the newest compare, sweep or explore in ``out``.

    A comparison is rebuilt from its results database (its table made again from
    the stored runs); a sweep or an explore is read from its ``summary.json``.

    Args:
        out: The experiment's output folder (its ``--out``).
        interactive: plotly charts (default: when plotly is installed), else the
            folder's SVG charts.

    Returns:
        The report's path.

    Raises:
        OrgsimError: The folder holds no experiment to report, or cannot be written.
    """
    folder = Path(out)
    kind = experiment_kind(folder)
    if kind == "compare":
        return comparison_report(load_comparison(folder), interactive=interactive)
    if kind == "sweep":
        return sweep_report(folder, interactive=interactive)
    return explore_report(folder, interactive=interactive)
