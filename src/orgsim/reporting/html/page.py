"""The report's page: one self-contained HTML file, its sections, tables and styles.

Everything the page needs is inside it (styles, the small script that sorts the
tables, and, when plotly is installed, plotly.js once), so it opens from a disk or
an e-mail attachment with no network. Links point at the files beside it in the
output folder (the CSV, Parquet and results database), by relative path, so the
folder can be moved or zipped whole.

This module knows nothing of experiments: :mod:`orgsim.reporting.html.build`
fills a :class:`Page` with sections; :mod:`orgsim.reporting.html.figures` makes
the interactive charts.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

__all__ = ["Cell", "Page", "cell", "escape"]

_STYLE = """
:root { --ink: #1d2330; --muted: #5b6475; --rule: #d9dde5; --good: #007a5a;
        --bad: #b34700; --accent: #0059a8; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px 28px 64px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 36px 0 8px; border-bottom: 1px solid var(--rule);
     padding-bottom: 4px; }
p.lede { color: var(--muted); margin: 0 0 18px; }
p.question { font-size: 1.1em; margin: 12px 0 4px; }
p.verdict { font-size: 1.15em; font-weight: 600; margin: 0 0 16px; padding: 10px 14px;
            border-left: 4px solid var(--accent); background: #f3f6fb; }
p.note { color: var(--muted); font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; font-size: 0.88em; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: right;
         vertical-align: top; white-space: nowrap; }
th { background: #f7f8fa; position: sticky; top: 0; cursor: pointer; user-select: none; }
th.sorted-asc::after { content: " \\25B2"; font-size: 0.7em; }
th.sorted-desc::after { content: " \\25BC"; font-size: 0.7em; }
td.text, th.text { text-align: left; white-space: normal; }
td .ci { color: var(--muted); font-size: 0.9em; display: block; }
tr.sig-better td.sig { color: var(--good); font-weight: 600; }
tr.sig-worse td.sig { color: var(--bad); font-weight: 600; }
.scroll { overflow-x: auto; max-height: 80vh; overflow-y: auto; }
.chart { margin: 8px 0 24px; min-height: 120px; }
.chart svg { max-width: 100%; height: auto; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
pre { background: #f7f8fa; padding: 10px; overflow: auto; font-size: 0.85em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
ul.files li { font-family: ui-monospace, monospace; }
"""

# Sorts a table by the clicked column: numbers by their data-v value (a missing
# value, data-v="", always last), text by its words.
_SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var asc = !th.classList.contains("sorted-asc");
      table.querySelectorAll("th").forEach(function (h) {
        h.classList.remove("sorted-asc", "sorted-desc");
      });
      th.classList.add(asc ? "sorted-asc" : "sorted-desc");
      function key(row) {
        var c = row.cells[col];
        var v = c.getAttribute("data-v");
        if (v === null) { return c.textContent.trim().toLowerCase(); }
        return v === "" ? null : parseFloat(v);
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null) { return y === null ? 0 : 1; }
        if (y === null) { return -1; }
        var order = x < y ? -1 : x > y ? 1 : 0;
        return asc ? order : -order;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def escape(text: object) -> str:
    """Text as HTML shows it, quotes included (it may sit in an attribute)."""
    return html.escape(str(text), quote=True)


@attrs.frozen
class Cell:
    """One table cell: what it shows, the number it sorts by, and its class.

    ``sort`` None makes the column sort by the cell's text; NaN sorts last.
    ``extra`` is shown under the main text, smaller (a confidence interval).
    """

    text: str
    sort: float | None = None
    extra: str = ""
    css: str = ""


def cell(text: str, sort: float | None = None, extra: str = "", css: str = "") -> Cell:
    """A :class:`Cell`; a shorthand, since tables are built of many."""
    return Cell(text, sort, extra, css)


def _cell_html(c: Cell) -> str:
    attrs_ = f' class="{escape(c.css)}"' if c.css else ""
    if c.sort is not None:
        value = "" if not math.isfinite(c.sort) else repr(float(c.sort))
        attrs_ += f' data-v="{value}"'
    extra = f'<span class="ci">{escape(c.extra)}</span>' if c.extra else ""
    return f"<td{attrs_}>{escape(c.text)}{extra}</td>"


@attrs.define
class Page:
    """A report page being written: a title, then sections in order.

    Attributes:
        title: The page's title (its ``<title>`` and first heading).
        plotly_js: plotly.js, embedded once in the page head; empty when the
            charts are static SVG.
    """

    title: str
    plotly_js: str = ""
    parts: list[str] = attrs.field(factory=list)

    def heading(self, text: str, anchor: str = "") -> None:
        """A section heading (``anchor``: its id, for links)."""
        ident = f' id="{escape(anchor)}"' if anchor else ""
        self.parts.append(f"<h2{ident}>{escape(text)}</h2>")

    def paragraph(self, text: str, css: str = "") -> None:
        """A paragraph of plain text."""
        cls = f' class="{escape(css)}"' if css else ""
        self.parts.append(f"<p{cls}>{escape(text)}</p>")

    def raw(self, markup: str) -> None:
        """Markup made elsewhere and already safe (a chart's div and script)."""
        self.parts.append(markup)

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[tuple[Sequence[Cell], str]],
        *,
        ident: str,
        text_columns: int = 1,
    ) -> None:
        """A sortable table: ``rows`` are (cells, the row's class).

        The first ``text_columns`` columns are left-aligned text; the rest numbers.
        """
        head = "".join(
            f'<th class="text">{escape(h)}</th>' if i < text_columns else f"<th>{escape(h)}</th>"
            for i, h in enumerate(headers)
        )
        body = "".join(
            f'<tr class="{escape(css)}">' + "".join(_cell_html(c) for c in cells) + "</tr>"
            for cells, css in rows
        )
        self.parts.append(
            f'<div class="scroll"><table class="sortable" id="{escape(ident)}">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )

    def facts(self, items: Mapping[str, object]) -> None:
        """A list of name: value facts (provenance)."""
        rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items.items())
        self.parts.append(f'<dl class="facts">{rows}</dl>')

    def collapsible(self, summary: str, text: str) -> None:
        """Preformatted text behind a click (the resolved scenario)."""
        self.parts.append(
            f"<details><summary>{escape(summary)}</summary><pre>{escape(text)}</pre></details>"
        )

    def files(self, out: Path, names: Sequence[str]) -> None:
        """Links to the files beside the report that exist, with their sizes."""
        found = [n for n in names if (out / n).is_file()]
        items = "".join(
            f'<li><a href="{escape(n)}">{escape(n)}</a> ({(out / n).stat().st_size:,} bytes)</li>'
            for n in found
        )
        self.parts.append(f'<ul class="files">{items}</ul>' if found else "<p>none</p>")

    def html(self, lede: str = "") -> str:
        """The whole page."""
        plotly = f"<script>{self.plotly_js}</script>" if self.plotly_js else ""
        intro = f'<p class="lede">{escape(lede)}</p>' if lede else ""
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(self.title)}</title><style>{_STYLE}</style>{plotly}</head>"
            f"<body><h1>{escape(self.title)}</h1>{intro}"
            + "\n".join(self.parts)
            + f"<script>{_SORT_SCRIPT}</script></body></html>\n"
        )

    def write(self, path: Path, lede: str = "") -> Path:
        """Write the page to ``path`` (UTF-8) and return it."""
        path.write_text(self.html(lede), encoding="utf-8")
        return path
