"""The HTML report: what it says matches the results database, it needs no network,
it falls back to the SVG charts without plotly, and bad folders get one clear line.

The browser check (every chart drawn, no JavaScript error, the table sorts) is in
``test_report_browser.py``; this file reads the page as text and as parsed HTML.
"""

from __future__ import annotations

import math
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import CLI, OneLineError
from orgsim import api
from orgsim.experiments.compare import ComparisonResult, load_comparison
from orgsim.experiments.runner import resolve
from orgsim.metrics.catalogue import label, metric
from orgsim.metrics.format import INLINE_UNITS, format_number
from orgsim.reporting.html import figures
from orgsim.reporting.html.common import toml_text
from orgsim.reporting.html.compare import metric_table, question, verdict
from orgsim.reporting.html.figures import figure_json
from orgsim.storage.results import ResultsDB

RUNS = 4


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts (a cell's CI kept apart)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.sorts: dict[str, list[list[str | None]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._sort_row: list[str | None] = []
        self._cell: list[str] | None = None
        self._in_ci = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id") or ""
            self.tables[self._table], self.sorts[self._table] = [], []
        elif tag == "tr" and self._table is not None:
            self._row, self._sort_row = [], []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._sort_row.append(a.get("data-v"))
        elif tag == "span" and a.get("class") == "ci":
            self._in_ci = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._in_ci = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self.sorts[self._table].append(self._sort_row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._in_ci:
            self._cell.append(data)


def parse(path: Path) -> Tables:
    t = Tables()
    t.feed(path.read_text(encoding="utf-8"))
    return t


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> ComparisonResult:
    out = tmp_path_factory.mktemp("compare")
    return api.compare("startup", runs=RUNS, jobs=1, executor="serial", out=out)


@pytest.fixture(scope="module")
def report(compared: ComparisonResult) -> Path:
    return api.report(compared.out)


def test_the_table_shows_the_means_stored_in_the_database(
    compared: ComparisonResult, report: Path
) -> None:
    """Each arm's mean in the report is the mean of the runs stored, metric by metric."""
    with ResultsDB(compared.db) as db:
        records = [
            r for r in db.records() if r.status == "ok" and r.experiment.startswith("compare")
        ]
    by_arm = {
        arm: sorted((r for r in records if r.arm == arm), key=lambda r: r.replication)
        for arm in ("on", "off")
    }
    assert len(by_arm["on"]) == len(by_arm["off"]) == RUNS
    rows = {r[1]: r for r in parse(report).tables["verdict-table"][1:]}
    assert len(rows) == len(compared.table)
    checked = 0
    for name in compared.table:
        unit = metric(name).unit
        shown_unit = unit if unit in INLINE_UNITS else ""
        row = rows[label(name)]
        values = {
            arm: np.array([r.metrics.get(name, math.nan) for r in by_arm[arm]], dtype=float)
            for arm in ("on", "off")
        }
        if metric(name).broker_only:  # without a broker it measures nothing: on alone
            assert row[3] == "–", name
            pairs = np.isfinite(values["on"])
        else:  # a pair with a value missing in either arm is dropped from both
            pairs = np.isfinite(values["on"]) & np.isfinite(values["off"])
        for col, arm in ((2, "on"), (3, "off")):
            if not pairs.any() or (arm == "off" and metric(name).broker_only):
                continue
            expected = format_number(float(values[arm][pairs].mean()), shown_unit)
            assert row[col] == expected, (name, arm)
            checked += 1
    assert checked > 2 * 40  # nearly every metric has both arms


def test_the_verdict_is_the_net_value_comparison(compared: ComparisonResult, report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    c = compared.table["net_value"]
    assert verdict(compared) in text.replace("&#x27;", "'")
    assert format_number(c.diff.mean, "k$", signed=True) in verdict(compared)
    assert (
        "significant after Holm over" in verdict(compared)
    ) == c.significant or not c.significant
    assert question(compared).startswith("Does a neutral VP of Product Management")
    assert "startup" in question(compared)


def test_significance_column_reads_the_adjusted_p(compared: ComparisonResult) -> None:
    headers, rows = metric_table(compared.table)
    assert headers[-1] == "Significant" and headers[-2] == "p (adjusted)"
    for (name, c), (cells, css) in zip(compared.table.items(), rows, strict=True):
        shown = cells[-1].text
        if not math.isfinite(c.p_adjusted):
            assert shown == "no test" and css == "", name  # no test, no mark
        else:
            assert shown == ("yes" if c.significant else "no"), name


def test_the_report_needs_no_network(report: Path) -> None:
    """Self-contained: no script, style or image is fetched; plotly.js is embedded once."""
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert not re.search(r"<link\b", text)
    markup = re.sub(r"<script>.*?</script>", "", text, flags=re.S)  # plotly.js names URLs
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup)
    assert text.count("plotly.js v") == 1  # the library's banner, once
    assert text.count('class="chart"') == 4  # forest, distributions, trajectories, funnel


def test_links_point_at_the_files_beside_it(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    for name in ("runs.csv", "runs.parquet", "results.sqlite", "forest.png"):
        assert f'href="{name}"' in text
        assert (report.parent / name).is_file()


def test_provenance_holds_the_command_seed_hash_and_scenario(
    compared: ComparisonResult, report: Path
) -> None:
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", report.read_text(encoding="utf-8")))
    assert facts["scenario hash"] == compared.scenario.digest()
    assert facts["seed"] == str(compared.seed)
    assert "orgsim" in facts["versions"] and "numpy" in facts["versions"]
    assert "correction = holm" in facts["settings"]
    assert "The resolved scenario (TOML)" in report.read_text(encoding="utf-8")


def test_the_scenario_is_written_back_as_toml_that_reads_the_same() -> None:
    data = resolve("midsize", ()).to_dict()
    back = tomllib.loads(toml_text(data))
    assert back["departments"] == data["departments"]
    assert back["horizon"] == data["horizon"]


def test_without_plotly_the_report_embeds_the_svg_charts(
    compared: ComparisonResult, tmp_path: Path
) -> None:
    page = api.report(compared.out, interactive=False)
    text = page.read_text(encoding="utf-8")
    assert "plotly.js v" not in text
    charts = re.findall(r'<div class="chart" data-chart="(\w+)"><svg', text)
    assert charts == ["forest", "distributions", "timeseries", "funnel"]
    assert "pip install 'orgsim[report]'" in text.replace("&#x27;", "'")


def test_a_report_rebuilt_from_the_folder_equals_the_run(compared: ComparisonResult) -> None:
    again = load_comparison(compared.out)
    assert again.runs == compared.runs and again.seed == compared.seed
    for name, c in compared.table.items():
        d = again.table[name]
        assert (d.diff.mean == c.diff.mean) or (math.isnan(d.diff.mean) and math.isnan(c.diff.mean))
        assert d.significant == c.significant


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no results database in"),
        (
            lambda p: ResultsDB(p / "results.sqlite").close(),
            "holds no comparison, sweep or explore",
        ),
    ],
)
def test_a_folder_without_an_experiment_is_one_clear_line(
    tmp_path: Path, cli: CLI, one_line_error: OneLineError, make: Any, message: str
) -> None:
    make(tmp_path)
    assert message in one_line_error(cli(["report", str(tmp_path)]))


def test_a_sweep_report_shows_each_point(tmp_path: Path, cli: CLI) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(
        'name = "tiny"\nbase = "startup"\ndesign = "grid"\nreplications = 2\npaired = true\n'
        'seed = 3\nmetrics = ["net_value", "value_shipped"]\n[overrides]\nhorizon = 120.0\n'
        '[[parameters]]\npath = "conflicts.intensity"\nlevels = [0.5, 2.0]\n'
        '[[parameters]]\npath = "scale"\nlevels = [0.5, 1.0]\n'
    )
    out = tmp_path / "out"
    assert cli(["sweep", str(spec), "--out", str(out), "--jobs", "1", "--report"]) == 0
    page = out / "report.html"
    tables = parse(page).tables["points-table"]
    assert tables[0][:4] == ["Point", "conflicts.intensity", "scale", "Runs"]
    assert len(tables) == 1 + 4 and all(r[3] == "2" for r in tables[1:])
    text = page.read_text(encoding="utf-8")
    assert text.count('class="chart"') == 2 + 2  # a heatmap per metric, a curve per parameter
    assert "Where does the broker pay off as conflicts.intensity and scale vary?" in text


def test_an_explore_report_shows_the_policies_and_the_box(tmp_path: Path, cli: CLI) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(
        'name = "tiny"\nbase = "startup"\npoints = 8\nreplications = 1\nseed = 5\n'
        'metrics = ["net_value"]\n[overrides]\nhorizon = 120.0\n'
        '[[uncertainties]]\npath = "conflicts.drag"\n'
        '[levers.no-broker]\n"broker.enabled" = false\n[levers.vp]\n"broker.mediators" = 1\n'
    )
    out = tmp_path / "out"
    assert cli(["explore", str(spec), "--out", str(out), "--jobs", "1", "--report"]) == 0
    page = out / "report.html"
    levers = parse(page).tables["levers-table"]
    assert [r[0] for r in levers[1:]] == ["no-broker", "vp"]
    assert levers[1][1] == "reference"
    text = page.read_text(encoding="utf-8")
    assert "Where it pays: the PRIM box" in text
    assert "beats no-broker on net value at" in text


def test_the_forest_plots_each_metric_once_in_the_class_its_test_gives(
    compared: ComparisonResult,
) -> None:
    pytest.importorskip("plotly")
    fig = figure_json(figures.forest(compared.table))
    placed = {y: t["name"] for t in fig["data"] for y in t["y"]}
    plotted = [y for t in fig["data"] for y in t["y"]]
    assert len(plotted) == len(set(plotted))  # once each
    for name, c in compared.table.items():
        if not math.isfinite(c.relative):
            assert label(name) not in placed  # nothing to plot (broker only, or mean 0)
            continue
        kind = placed[label(name)]
        if not c.significant:
            assert kind == "not significant", name
        elif not c.better:
            assert kind == ("higher with broker" if c.diff.mean > 0 else "lower with broker")
        else:
            good = (c.diff.mean > 0) == (c.better == "higher")
            assert kind == ("with broker better" if good else "with broker worse"), name
