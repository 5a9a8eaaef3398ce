"""Tests for orgsim.reporting.charts: files are written, the data behind each chart is exact."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from orgsim.analysis.stats import compare_table
from orgsim.metrics.catalogue import label
from orgsim.metrics.format import format_number
from orgsim.reporting.charts.common import (
    ARM_COLOURS,
    ARM_HATCHES,
    ARM_STYLES,
    DEPT_COLOURS,
    Chart,
    axis_label,
    dept_colour,
    dept_marker,
    param_label,
    value_axis,
    value_text,
)
from orgsim.reporting.charts.compare import distributions, forest_plot, funnel, time_series
from orgsim.reporting.charts.summaries import (
    forest_rows,
    funnel_bars,
    funnel_stages,
    series_label,
    series_unit,
)

UNITS = {
    "value_shipped": "k$",
    "lead_time_p50": "days",
    "ceo_hours": "hours",
    "open_conflicts": "count",
    "headcount": "people",
    "budget_share": "share",
}


def _assert_written(chart: Chart, out: Path, name: str) -> None:
    assert chart.name == name
    assert chart.paths == (out / f"{name}.png", out / f"{name}.svg")
    assert chart.png == out / f"{name}.png" and chart.svg == out / f"{name}.svg"
    for p in chart.paths:
        assert p.is_file() and p.stat().st_size > 0
    assert chart.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = chart.svg.read_text()
    assert svg.startswith("<?xml") and "<svg" in svg


def test_axis_labels_are_the_catalogue_labels_with_the_unit() -> None:
    # money and shares are written by the ticks ($35M, 95%), counts bare: no "(k$)"
    assert axis_label("value_shipped", "k$") == "Value shipped"
    assert axis_label("on_time_rate", "share") == "On time rate"
    assert axis_label("conflicts_raised", "count") == "Conflicts raised"
    assert axis_label("lead_time_p50", "days") == "Lead time (median), days"
    assert axis_label("ceo_hours", "hours") == "CEO hours (hours)"
    assert axis_label("budget_hhi") == "Budget HHI"
    assert axis_label("wip") == "WIP"
    assert axis_label("headcount.engineering", "people") == "Headcount: engineering (people)"
    assert param_label("scale") == "company size (× base scenario)"
    assert param_label("conflicts.intensity") == "conflicts.intensity"


def _tick(unit: str, value: float) -> str:
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    value_axis(ax.yaxis, unit)
    return str(ax.yaxis.get_major_formatter()(value, 0))


def test_ticks_write_money_and_shares_as_the_terminal_does() -> None:
    assert [_tick("k$", v) for v in (35_000.0, 37_500.0, 900.0, 0.0, -20_000.0)] == [
        "$35M",
        "$37.5M",
        "$900k",
        "$0",
        "-$20M",
    ]
    assert format_number(35_000.0, "k$") == "$35.0M"  # the terminal: the same dollars
    assert [_tick("share", v) for v in (0.95, 0.975, 0.0, 0.07)] == ["95%", "97.5%", "0%", "7%"]
    assert [_tick("days", v) for v in (12.5, 20_000.0, 0.30000000000000004, 1e-17)] == [
        "12.5",
        "20k",
        "0.3",
        "0",
    ]
    assert value_text(88_099.0, "k$") == "$88.1M" and value_text(0.25, "share") == "25.0%"


def test_palette_is_okabe_ito_without_yellow() -> None:
    assert ARM_COLOURS == {"on": "#0072B2", "off": "#D55E00"}
    assert ARM_STYLES["on"] != ARM_STYLES["off"] and ARM_HATCHES["on"] != ARM_HATCHES["off"]
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(DEPT_COLOURS) == (okabe_ito - {"#F0E442"}) | {"#000000"}
    assert len(set(DEPT_COLOURS)) == len(DEPT_COLOURS) == 7
    assert dept_colour(0) == dept_colour(len(DEPT_COLOURS))
    # every department has a marker; the first 49 a distinct pair of colour and marker
    pairs = {(dept_colour(i), dept_marker(i)) for i in range(49)}
    assert len(pairs) == 49 and all(dept_marker(i) for i in range(49))


def test_importing_orgsim_charts_does_not_import_matplotlib() -> None:
    code = (
        "import sys, orgsim, orgsim.analysis.stats, orgsim.reporting.charts.compare, "
        "orgsim.reporting.charts.sweep; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- forest -----------------------------------------------------------------------


def _samples() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    common = rng.normal(0.0, 1.0, (12, 3))
    off = {
        "value_shipped": 1000.0 + 100.0 * common[:, 0],
        "lead_time_p50": 60.0 + 5.0 * common[:, 1],
        "ceo_hours": np.zeros(12),
        "on_time_rate": 0.6 + 0.05 * common[:, 2],
    }
    on = {
        "value_shipped": off["value_shipped"] + 100.0 + rng.normal(0.0, 10.0, 12),
        "lead_time_p50": off["lead_time_p50"] + 5.0 + rng.normal(0.0, 1.0, 12),
        "ceo_hours": rng.poisson(2.0, 12).astype(float),
        "on_time_rate": off["on_time_rate"] + rng.normal(0.0, 0.05, 12),
    }
    on["on_time_rate"][3] = np.nan  # dropped in the distribution panel
    return on, off


def test_forest_plot(tmp_path: Path) -> None:
    on, off = _samples()
    better = {"value_shipped": "higher", "lead_time_p50": "lower", "ceo_hours": "lower"}
    table = compare_table(on, off, better)
    chart = forest_plot(table, UNITS, tmp_path)
    _assert_written(chart, tmp_path, "forest")

    rows = chart.data["rows"]
    assert [r["metric"] for r in rows] == ["value_shipped", "lead_time_p50", "on_time_rate"]
    for r in rows:
        c = table[r["metric"]]
        assert r["relative_pct"] == c.relative * 100
        assert r["low_pct"] == c.relative_low * 100
        assert r["high_pct"] == c.relative_high * 100
        assert r["diff"] == c.diff.mean
        assert r["outcome"] == c.outcome
        assert r["label"] == label(r["metric"])
    assert chart.data["skipped"] == ["ceo_hours"]  # off mean is 0: relative is NaN
    assert chart.data["level"] == 0.95
    # the subtitle names the correction and its family: the metrics with a paired test
    tested = sum(1 for c in table.values() if c.p_value == c.p_value)
    assert table["value_shipped"].family == tested == 4
    assert chart.data["significance"] == "paired t-test p < 0.05 after Holm over 4 metrics"
    none = compare_table(on, off, better, correction="none")
    none = forest_plot(none, UNITS, tmp_path, name="forest-none")
    assert none.data["significance"] == "paired t-test p < 0.05, not corrected for multiplicity"
    assert [r["outcome"] for r in rows[:2]] == ["better", "worse"]
    # the Δ column as the terminal writes it, aligned in the monospace column
    assert rows[0]["unit"] == "k$"
    assert rows[0]["text"].endswith(f"Δ {format_number(rows[0]['diff'], 'k$', signed=True)}")
    assert "k$" not in rows[0]["text"] and rows[0]["text"].split("Δ ")[1].startswith("+$")
    assert rows[1]["text"].endswith(" days") and rows[2]["text"].endswith("%")
    assert len({r["text"].index("Δ") for r in rows}) == 1
    assert chart.data["clipped"] == []


def test_forest_plot_all_skipped(tmp_path: Path) -> None:
    table = compare_table({"x": np.ones(3)}, {"x": np.zeros(3)}, {"x": "higher"})
    chart = forest_plot(table, {}, tmp_path / "nested", name="empty")
    _assert_written(chart, tmp_path / "nested", "empty")
    assert chart.data["rows"] == []
    assert chart.data["skipped"] == ["x"]


def test_broker_only_metrics_are_not_plotted(tmp_path: Path) -> None:
    # Issue 9 #9: a metric that exists with the broker only has no difference to draw
    # in the forest plot and no box without the broker (its placeholder 0 is no value).
    on = {"value_shipped": np.array([10.0, 11.0, 12.0]), "mediation_wait_p50": np.ones(3)}
    on["detected_by_broker_share"] = np.array([0.7, 0.8, 0.9])
    off = {"value_shipped": np.array([9.0, 10.0, 11.5]), "mediation_wait_p50": np.full(3, np.nan)}
    off["detected_by_broker_share"] = np.zeros(3)
    table = compare_table(
        on, off, {}, broker_only={"mediation_wait_p50", "detected_by_broker_share"}
    )
    chart = forest_plot(table, {}, tmp_path)
    assert [r["metric"] for r in chart.data["rows"]] == ["value_shipped"]
    assert chart.data["skipped"] == chart.data["broker_only"]
    assert chart.data["broker_only"] == ["mediation_wait_p50", "detected_by_broker_share"]
    dist = distributions(on, off, ["detected_by_broker_share"], {}, tmp_path)
    panel = dist.data["panels"]["detected_by_broker_share"]
    assert panel["off"]["values"].size == 0 and math.isnan(panel["off"]["mean"])
    np.testing.assert_array_equal(panel["on"]["values"], on["detected_by_broker_share"])


# --- distributions ----------------------------------------------------------------


def test_distributions(tmp_path: Path) -> None:
    on, off = _samples()
    metrics = ["value_shipped", "on_time_rate", "lead_time_p50"]
    chart = distributions(on, off, metrics, UNITS, tmp_path)
    _assert_written(chart, tmp_path, "distributions")
    assert chart.data["metrics"] == metrics
    panels = chart.data["panels"]
    assert list(panels) == metrics
    assert panels["value_shipped"]["label"] == "Value shipped"  # its ticks are dollars
    assert panels["lead_time_p50"]["label"] == "Lead time (median), days"  # the catalogue's
    assert [panels[m]["unit"] for m in metrics] == ["k$", "share", "days"]
    assert chart.data["clipped"] == []
    for m in metrics:
        for arm, src in (("on", on), ("off", off)):
            v = src[m][~np.isnan(src[m])]
            got = panels[m][arm]
            np.testing.assert_array_equal(got["values"], v)
            assert got["mean"] == pytest.approx(np.mean(v))
            assert got["median"] == pytest.approx(np.median(v))
            assert (got["q1"], got["q3"]) == pytest.approx(tuple(np.percentile(v, [25, 75])))
    assert panels["on_time_rate"]["on"]["values"].size == 11


def test_distributions_all_nan_panel(tmp_path: Path) -> None:
    chart = distributions(
        {"a": np.array([np.nan, np.nan])}, {"a": np.array([1.0, 2.0])}, ["a"], {}, tmp_path
    )
    assert chart.data["panels"]["a"]["on"]["values"].size == 0
    assert math.isnan(chart.data["panels"]["a"]["on"]["mean"])
    assert chart.data["panels"]["a"]["off"]["mean"] == 1.5


# --- time series ------------------------------------------------------------------


def _quarterly(shift: float, runs: int = 9, quarters: int = 6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(int(shift * 10))
    t = np.arange(quarters)
    out = {
        "value_shipped": 50.0 + (10.0 + shift) * t + rng.normal(0.0, 5.0, (runs, quarters)),
        "open_conflicts": rng.poisson(4.0 + shift, (runs, quarters)).astype(float),
        "headcount": 100.0 + 2.0 * t + rng.normal(0.0, 2.0, (runs, quarters)),
    }
    for i, dept in enumerate(["eng", "sales", "ops"]):
        out[f"headcount.{dept}"] = 30.0 + i * 5.0 + rng.normal(0.0, 1.0, (runs, quarters))
        out[f"budget_share.{dept}"] = (0.5 - 0.1 * i) + rng.normal(0.0, 0.01, (runs, quarters))
    return out


def test_time_series(tmp_path: Path) -> None:
    q_on, q_off = _quarterly(1.0), _quarterly(0.0)
    series = ["value_shipped", "open_conflicts", "headcount", "headcount.*", "budget_share"]
    chart = time_series(q_on, q_off, series, UNITS, tmp_path)
    _assert_written(chart, tmp_path, "timeseries")
    panels = chart.data["panels"]
    assert list(panels) == series
    for s in ["value_shipped", "open_conflicts", "headcount"]:
        assert panels[s]["kind"] == "series"
        for arm, src in (("on", q_on), ("off", q_off)):
            band = panels[s][arm]
            np.testing.assert_array_equal(band["quarter"], np.arange(1, 7))
            np.testing.assert_allclose(band["median"], np.median(src[s], axis=0))
            np.testing.assert_allclose(band["p10"], np.percentile(src[s], 10, axis=0))
            np.testing.assert_allclose(band["p90"], np.percentile(src[s], 90, axis=0))
    assert panels["value_shipped"]["label"] == "Value shipped per quarter"
    assert panels["value_shipped"]["unit"] == "k$"
    assert chart.data["clipped"] == []

    for s, base in (("headcount.*", "headcount"), ("budget_share", "budget_share")):
        fam = panels[s]
        assert fam["kind"] == "family"
        assert list(fam["depts"]) == ["eng", "sales", "ops"]
        for dept, arms in fam["depts"].items():
            for arm, src in (("on", q_on), ("off", q_off)):
                np.testing.assert_allclose(
                    arms[arm]["median"], np.median(src[f"{base}.{dept}"], axis=0)
                )
    assert panels["budget_share"]["label"] == "Budget share"  # ticked in percent
    assert panels["budget_share"]["unit"] == "share"
    assert panels["headcount.*"]["label"] == "Headcount (people)"


def test_series_take_the_catalogue_units_of_the_metrics_they_chart() -> None:
    from orgsim.metrics.catalogue import UNITS as CATALOGUE

    assert series_label("wip", CATALOGUE) == "WIP (features)"  # the unit of wip_mean
    assert series_label("headcount", CATALOGUE) == "Headcount (people)"
    assert series_label("headcount.*", CATALOGUE) == "Headcount (people)"
    assert series_label("open_conflicts", CATALOGUE) == "Open conflicts"  # a count
    assert series_unit("open_conflicts", CATALOGUE) == "count"
    assert series_unit("budget_share.eng", CATALOGUE) == "share"
    assert series_label("conflicts_raised", CATALOGUE) == "Conflicts raised per quarter"
    assert series_unit("nothing_known", CATALOGUE) == ""


def test_time_series_nan_quarters_and_unknown_series(tmp_path: Path) -> None:
    q_on, q_off = _quarterly(1.0), _quarterly(0.0)
    q_on["value_shipped"][:, -1] = np.nan  # a quarter nobody reached
    chart = time_series(q_on, q_off, ["value_shipped"], UNITS, tmp_path, name="ts")
    med = chart.data["panels"]["value_shipped"]["on"]["median"]
    assert math.isnan(med[-1]) and np.all(np.isfinite(med[:-1]))
    with pytest.raises(KeyError, match="nothing"):
        time_series(q_on, q_off, ["nothing"], UNITS, tmp_path)


# --- funnel -----------------------------------------------------------------------


def _funnel_arms() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    # per run: negotiation + mediation + CEO = resolved, resolved + lapsed + open = raised
    f_on = {
        "open": np.array([1, 0, 2, 1]),
        "raised": np.array([20, 22, 18, 20]),
        "detected": np.array([18, 20, 17, 19]),
        "resolved": np.array([15, 16, 14, 15]),
        "escalated": np.array([4, 3, 3, 4]),
        "lapsed": np.array([4, 6, 2, 4]),
        "resolved_negotiation": np.array([3, 4, 2, 3]),
        "resolved_mediation": np.array([10, 10, 10, 10]),
        "resolved_ceo": np.array([2, 2, 2, 2]),
    }
    f_off = {
        "raised": np.array([21, 20, 19, 20]),
        "detected": np.array([10, 12, 9, 9]),
        "resolved": np.array([6, 7, 5, 6]),
        "escalated": np.array([5, 4, 4, 3]),
        "lapsed": np.array([12, 11, 10, 11]),
        "open": np.array([3, 2, 4, 3]),
        "resolved_negotiation": np.array([4, 4, 3, 5]),
        "resolved_mediation": np.array([0, 0, 0, 0]),
        "resolved_ceo": np.array([2, 3, 2, 1]),
    }
    return f_on, f_off


def test_funnel(tmp_path: Path) -> None:
    f_on, f_off = _funnel_arms()
    chart = funnel(f_on, f_off, tmp_path)
    _assert_written(chart, tmp_path, "funnel")
    outcomes = ["resolved_negotiation", "resolved_mediation", "resolved_ceo", "lapsed", "open"]
    stages = ["raised", "detected", *outcomes]
    assert chart.data["stages"] == stages and chart.data["split"] is True
    np.testing.assert_allclose(chart.data["on"], [20, 18.5, 3, 10, 2, 4, 1])
    np.testing.assert_allclose(chart.data["off"], [20, 10, 4, 0, 2, 11, 3])
    # the outcomes are a partition of raised: their shares sum to 100% in each arm
    for arm in ("on", "off"):
        assert chart.data["shares"][arm][2:].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(chart.data["shares"]["on"], [1, 0.925, 0.15, 0.5, 0.1, 0.2, 0.05])
    assert chart.data["labels"]["on"][:3] == ["20.0", "18.5 (92.5%)", "3.0 (15.0%)"]
    assert chart.data["labels"]["off"][3] == "0.0 (0.0%)"
    # escalation overlaps the outcomes: counted in the subtitle, not a bar
    assert "escalated" not in stages
    assert chart.data["escalated"] == {"on": 3.5, "off": 4.0}
    assert chart.data["clipped"] == []


def test_funnel_stages_label_each_bar_for_every_report() -> None:
    fs = funnel_stages(*_funnel_arms())
    assert [st.label for st in fs.stages] == [
        "Raised",
        "Detected",
        "Resolved in negotiation",
        "Resolved by the broker",
        "Resolved by the CEO",
        "Lapsed",
        "Still open",
    ]
    assert [st.part for st in fs.stages] == ["funnel"] * 2 + ["outcome"] * 5
    assert fs.stages[4].mean == {"on": 2.0, "off": 2.0}
    assert fs.stages[4].share == {"on": 0.1, "off": 0.1}
    keys, means, texts = funnel_bars(*_funnel_arms())  # the older form of the same
    assert keys == [st.key for st in fs.stages]
    np.testing.assert_allclose(means["off"], [st.mean["off"] for st in fs.stages])
    assert texts["on"] == [st.text["on"] for st in fs.stages]


def test_funnel_of_records_without_forums_shows_resolved_unsplit(tmp_path: Path) -> None:
    f_on, f_off = _funnel_arms()
    old = {k: v for k, v in f_off.items() if not k.startswith("resolved_")}
    chart = funnel(f_on, old, tmp_path)  # one arm stored before the forums were counted
    assert chart.data["split"] is False
    assert chart.data["stages"] == ["raised", "detected", "resolved", "lapsed", "open"]
    np.testing.assert_allclose(chart.data["on"], [20, 18.5, 15, 4, 1])
    np.testing.assert_allclose(chart.data["shares"]["off"][2:], [0.3, 0.55, 0.15])
    assert chart.data["shares"]["off"][2:].sum() == pytest.approx(1.0)


def test_funnel_missing_stages(tmp_path: Path) -> None:
    chart = funnel(
        {"raised": np.array([4.0, 6.0]), "reopened": np.array([1.0, 1.0])},
        {"raised": np.array([5.0, 5.0]), "detected": np.array([2.0, 4.0])},
        tmp_path,
    )
    assert chart.data["stages"] == ["raised", "detected", "resolved", "lapsed", "open"]
    np.testing.assert_allclose(chart.data["on"], [5.0, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_allclose(chart.data["off"], [5.0, 3.0, np.nan, np.nan, np.nan])
    assert chart.data["labels"]["on"][1] == "n/a"
    assert chart.data["labels"]["off"][1] == "3.0 (60.0%)"


def test_svg_is_reproducible(tmp_path: Path) -> None:
    f = {"raised": np.array([3.0, 4.0]), "detected": np.array([1.0, 2.0])}
    a = funnel(f, f, tmp_path / "a")
    b = funnel(f, f, tmp_path / "b")
    assert a.svg.read_bytes() == b.svg.read_bytes()


def test_forest_plot_without_interval(tmp_path: Path) -> None:
    # one pair: the relative difference exists but its interval does not
    table = compare_table({"x": np.array([3.0])}, {"x": np.array([2.0])}, {"x": "higher"})
    chart = forest_plot(table, {"x": "k$"}, tmp_path)
    (row,) = chart.data["rows"]
    assert row["relative_pct"] == 50.0
    assert math.isnan(row["low_pct"]) and math.isnan(row["high_pct"])
    assert row["outcome"] == "unclear"
    assert row["text"] == "+50.0%   Δ +$1k"


def test_forest_row_of_a_constant_difference_has_no_interval(tmp_path: Path) -> None:
    # the same +1 in every pair (a fixed cost): an interval of zero width means nothing
    on, off = np.array([3.0, 4.0, 5.0]), np.array([2.0, 3.0, 4.0])
    table = compare_table({"x": on}, {"x": off}, {"x": "higher"})
    (row,) = forest_rows(table, {"x": "k$"})[0]
    assert row["low_pct"] == row["high_pct"] == row["relative_pct"] == pytest.approx(100 / 3)
    assert row["text"] == "+33.3%   Δ +$1k"
