"""The report in a real browser: Debian's headless Chromium, driven by Playwright.

The page is opened from disk (``file://``, as from an e-mail attachment) with the
network refused, and must draw every chart without a JavaScript error; the verdict
table must hold every metric and sort when a header is clicked. A screenshot of the
whole page is written as a test artifact (``$ORGSIM_ARTIFACTS``, by default
``out/test-artifacts/``) for a person to look at.

Playwright drives the system's ``chromium`` (``.ci/run`` installs Debian's package
when it is missing); ``playwright install`` is never called, since it downloads a
browser. Outside CI, a machine without chromium skips these tests; in CI (``CI``
set) a missing browser fails them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orgsim import api
from orgsim.experiments.compare import ComparisonResult

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# The flags that keep Chromium from reaching for the (closed) network at start.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def artifacts() -> Path:
    folder = Path(os.environ.get("ORGSIM_ARTIFACTS", ROOT / "out" / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's package)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> ComparisonResult:
    out = tmp_path_factory.mktemp("browser-compare")
    result = api.compare("startup", runs=4, jobs=1, executor="serial", out=out)
    api.report(out)
    return result


def open_page(browser: Any, report: Path) -> tuple[Any, list[str]]:
    """The report loaded offline, and every console error and page error it raised."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("http*://**", lambda route: (errors.append(route.request.url), route.abort()))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    return page, errors


def test_every_chart_is_drawn_without_an_error(browser: Any, compared: ComparisonResult) -> None:
    page, errors = open_page(browser, compared.out / "report.html")
    page.wait_for_function("document.querySelectorAll('div.chart .main-svg').length >= 4")
    drawn = page.eval_on_selector_all(
        "div.chart",
        """els => els.map(e => ({
            name: e.dataset.chart,
            traces: e.querySelectorAll('.main-svg .trace, .main-svg .point').length,
            height: e.getBoundingClientRect().height,
        }))""",
    )
    assert [d["name"] for d in drawn] == ["forest", "distributions", "trajectories", "funnel"]
    for d in drawn:
        assert d["traces"] > 0 and d["height"] > 200, d
    page.screenshot(path=str(artifacts() / "report-compare.png"), full_page=True)
    assert errors == []
    page.context.close()


def test_the_verdict_table_holds_every_metric_and_sorts(
    browser: Any, compared: ComparisonResult
) -> None:
    page, errors = open_page(browser, compared.out / "report.html")
    rows = page.locator("#verdict-table tbody tr")
    assert rows.count() == len(compared.table)
    verdict = page.locator("p.verdict").inner_text()
    assert "net value" in verdict and "paired runs" in verdict
    # sort by the difference's relative size, descending after two clicks
    header = page.locator("#verdict-table th", has_text="Relative")
    header.click()
    header.click()
    keys = page.eval_on_selector_all(
        "#verdict-table tbody tr",
        "rows => rows.map(r => r.cells[5].getAttribute('data-v'))",
    )
    numbers = [float(k) for k in keys if k not in (None, "")]
    assert numbers == sorted(numbers, reverse=True) and len(numbers) > 20
    assert all(k == "" for k in keys[len(numbers) :])  # missing values sort last
    assert errors == []
    page.context.close()


def test_the_static_report_shows_the_svg_charts(browser: Any, compared: ComparisonResult) -> None:
    api.report(compared.out, interactive=False)
    page, errors = open_page(browser, compared.out / "report.html")
    sizes = page.eval_on_selector_all(
        "div.chart > svg", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert len(sizes) == 4 and min(sizes) > 200
    page.screenshot(path=str(artifacts() / "report-compare-static.png"), full_page=True)
    assert errors == []
    page.context.close()
    api.report(compared.out)  # leave the interactive one for the other tests
