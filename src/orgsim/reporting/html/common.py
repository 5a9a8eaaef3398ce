"""What every report shares: its file, provenance, static charts, the scenario as TOML.

A report is one HTML file, ``OUT_DIR/report.html``, written beside the results it
reads (:mod:`orgsim.reporting.html.page` says why it is self-contained). Every
report opens with the question and the verdict, one sentence each; then the
numbers as a sortable table, the charts, the provenance (versions, command, seed,
scenario hash, the resolved scenario as TOML) and links to the files.

With plotly installed (the ``report`` extra) the charts are interactive; without
it the page embeds the SVG charts the experiment already drew into ``OUT_DIR``, so
a report never needs more than what was installed to run the experiment.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomli_w

from orgsim.errors import OrgsimError
from orgsim.reporting.html.page import Page, escape
from orgsim.storage.results import ResultsDB

__all__ = [
    "REPORT",
    "REPORTED_KINDS",
    "experiment_kind",
    "has_plotly",
    "provenance",
    "static_charts",
    "toml_text",
    "write",
]

#: The report's file name in the output folder.
REPORT = "report.html"


def has_plotly() -> bool:
    """Whether the interactive charts can be drawn (plotly, the ``report`` extra)."""
    return importlib.util.find_spec("plotly") is not None


def toml_text(data: Mapping[str, Any]) -> str:
    """Plain data as TOML; a null (a NaN in JSON) has no TOML form and is left out."""
    return tomli_w.dumps(_without_nulls(data))


def _without_nulls(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out[key] = _without_nulls(value)
        elif isinstance(value, list):
            out[key] = [
                _without_nulls(v) if isinstance(v, Mapping) else v for v in value if v is not None
            ]
        elif value is not None:
            out[key] = value
    return out


def write(page: Page, out: Path, lede: str) -> Path:
    """Write the page as ``out / report.html``; a disk that refuses it is the user's error."""
    try:
        return page.write(out / REPORT, lede)
    except OSError as exc:
        raise OrgsimError(f"cannot write the report to {out / REPORT}: {exc}") from None


def static_charts(page: Page, out: Path, names: Sequence[str], *, note: bool = True) -> None:
    """The SVG charts already in the folder, inline (the report without plotly).

    ``note``: say that these are the static charts and how to get interactive ones.
    """
    found = [n for n in names if (out / f"{n}.svg").is_file()]
    if note:
        page.paragraph(
            "Static charts (install the report extra, pip install 'orgsim[report]', for "
            "interactive ones).",
            "note",
        )
    if not found:
        page.paragraph("No charts were drawn for this experiment (run it without --no-charts).")
    for name in found:
        svg = (out / f"{name}.svg").read_text(encoding="utf-8")
        start = svg.find("<svg")
        page.raw(f'<div class="chart" data-chart="{escape(name)}">{svg[start:]}</div>')


# ------------------------------------------------------------------ provenance


def provenance(page: Page, db: Path, experiment: str) -> None:
    """Who made the results, with what, from what: the newest record of ``experiment``."""
    page.heading("Provenance", "provenance")
    with ResultsDB(db) as store:
        records = [p for p in store.provenance() if p["experiment"] == experiment or not experiment]
    if not records:
        page.paragraph("No provenance is recorded for these results.")
        return
    p = records[-1]
    page.facts(
        {
            "command": p["command"],
            "made": p["created"],
            "experiment": p["experiment"],
            "scenario hash": p["scenario_hash"],
            "seed": p["settings"].get("seed", "–"),
            "settings": ", ".join(f"{k} = {v}" for k, v in sorted(p["settings"].items())),
            "versions": ", ".join(f"{k} {v}" for k, v in sorted(p["versions"].items())),
            "resumed or extended": f"{len(records) - 1} time(s)" if len(records) > 1 else "no",
        }
    )
    page.collapsible("The resolved scenario (TOML)", toml_text(p["scenario"]))


# ------------------------------------------------------------------ any folder


#: The experiments whose folder a report can be made of, newest first wins.
REPORTED_KINDS = ("compare", "sweep", "explore")


def experiment_kind(out: Path) -> str:
    """What the newest experiment in ``out/results.sqlite`` is: compare, sweep or explore.

    Raises:
        OrgsimError: No results database there, or none of those kinds in it.
    """
    db = out / "results.sqlite"
    if not db.is_file():
        raise OrgsimError(
            f"no results database in {out} (expected {db}); give the --out folder of "
            "orgsim compare, sweep or explore"
        )
    with ResultsDB(db) as store:
        kinds = [p["kind"] for p in store.provenance() if p["kind"] in REPORTED_KINDS]
    if not kinds:
        raise OrgsimError(f"{db} holds no comparison, sweep or explore to report")
    return kinds[-1]
