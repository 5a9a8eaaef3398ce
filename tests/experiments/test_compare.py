"""Paired comparisons: executors agree, CRN helps, interruptions lose nothing, charts hold
the stored numbers, precision adds replications, bad input is refused in one line."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

import orgsim.reporting.terminal
from conftest import CLI, OneLineError
from orgsim import api
from orgsim.analysis.stats import Comparison, mean_ci
from orgsim.cli import main
from orgsim.errors import ExperimentError, ScenarioError
from orgsim.experiments.compare import ComparisonResult, PrecisionCheck, compare
from orgsim.metrics.catalogue import BROKER_ONLY, HEADLINE, METRICS
from orgsim.reporting.documents import comparison_json, dumps
from orgsim.storage.results import ResultsDB, RunRecord

SHORT = ["horizon=200"]


# ------------------------------------------------------------------ helpers


def _flat(value: Any) -> list[Any]:
    if isinstance(value, (tuple, list)):
        return [x for v in value for x in _flat(v)]
    return [value]


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def assert_same_comparison(a: Comparison, b: Comparison, name: str) -> None:
    fa, fb = _flat(attrs.astuple(a)), _flat(attrs.astuple(b))
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb, strict=True):
        assert same_value(x, y), f"{name}: {a} != {b}"


def assert_same_tables(a: dict[str, Comparison], b: dict[str, Comparison]) -> None:
    assert list(a) == list(b)
    for name in a:
        assert_same_comparison(a[name], b[name], name)


def assert_same_record(a: RunRecord, b: RunRecord) -> None:
    assert a.key == b.key
    assert (a.status, a.events, a.funnel) == (b.status, b.events, b.funnel)
    assert list(a.metrics) == list(b.metrics), a.key
    for k in a.metrics:
        assert same_value(a.metrics[k], b.metrics[k]), f"{a.key} {k}"
    assert list(a.quarterly) == list(b.quarterly)
    for k in a.quarterly:
        assert len(a.quarterly[k]) == len(b.quarterly[k])
        for x, y in zip(a.quarterly[k], b.quarterly[k], strict=True):
            assert same_value(x, y), f"{a.key} quarterly {k}"


def stored(path: Path) -> list[RunRecord]:
    with ResultsDB(path) as db:
        return db.records()


def row_count(path: Path) -> tuple[int, int]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM runs").fetchone()
    finally:
        con.close()


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> ComparisonResult:
    out = tmp_path_factory.mktemp("serial")
    return compare("midsize", runs=4, seed=5, executor="serial", overrides=SHORT, out=out)


@pytest.fixture(scope="module")
def parallel(tmp_path_factory: pytest.TempPathFactory) -> ComparisonResult:
    out = tmp_path_factory.mktemp("parallel")
    return api.compare(
        "midsize", runs=4, seed=5, executor="local", jobs=2, overrides=SHORT, out=out
    )


# ------------------------------------------------------------------ executors


@pytest.mark.slow
def test_serial_and_parallel_store_identical_runs(
    serial: ComparisonResult, parallel: ComparisonResult
) -> None:
    a, b = stored(serial.db), stored(parallel.db)
    assert len(a) == len(b) == 8
    assert [r.key for r in a] == [r.key for r in b]
    assert all(r.status == "ok" for r in a + b)
    for ra, rb in zip(a, b, strict=True):
        assert_same_record(ra, rb)
    # the result carries exactly what is stored
    for ra, rb in zip(serial.records, a, strict=True):
        assert_same_record(ra, rb)


def test_serial_and_parallel_give_identical_tables(
    serial: ComparisonResult, parallel: ComparisonResult
) -> None:
    assert serial.runs == parallel.runs == 4
    assert serial.failed == parallel.failed == []
    assert_same_tables(serial.table, parallel.table)
    for k in serial.on:
        np.testing.assert_array_equal(serial.on[k], parallel.on[k])
        np.testing.assert_array_equal(serial.off[k], parallel.off[k])
    assert same_value(serial.broker_roi(), parallel.broker_roi())


def test_table_is_the_paired_statistics_of_the_stored_runs(serial: ComparisonResult) -> None:
    names = [m.name for m in METRICS]
    assert list(serial.table)[: len(names)] == names
    extras = list(serial.table)[len(names) :]
    assert all(k.startswith(("headcount_end.", "utilisation.")) for k in extras)
    by = {(r.arm, r.replication): r for r in stored(serial.db)}
    on = np.array([by["on", i].metrics["value_shipped"] for i in range(4)])
    off = np.array([by["off", i].metrics["value_shipped"] for i in range(4)])
    c = serial.table["value_shipped"]
    assert c.on.mean == pytest.approx(on.mean())
    assert c.off.mean == pytest.approx(off.mean())
    assert c.diff.mean == pytest.approx((on - off).mean())
    assert c.diff.sd == pytest.approx(np.std(on - off, ddof=1))
    assert c.relative == pytest.approx((on - off).mean() / abs(off.mean()))
    assert c.win_rate == pytest.approx(np.mean(on > off) + 0.5 * np.mean(on == off))
    assert set(serial.headline) == set(HEADLINE)


# ------------------------------------------------------------------ common random numbers

CRN_CASES: dict[str, list[str]] = {
    # The start-up's budget politics starve its one-team QA of budget: its last
    # testers leave, at a different day in each arm, and from then on nothing ships,
    # so the arms' value diverges for a reason that is not the broker's (ratio ~1.7).
    # Without the political tilt both arms keep a QA and share their world.
    "startup": ["horizon=365", "budget.power_exponent=0"],
    "midsize": ["horizon=365"],
    "enterprise": ["horizon=200"],
}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", list(CRN_CASES))
def test_common_random_numbers_reduce_variance_of_the_difference(
    scenario: str, tmp_path: Path
) -> None:
    result = compare(
        scenario,
        runs=6,
        seed=1,
        jobs=2,
        overrides=CRN_CASES[scenario],
        out=tmp_path,
    )
    on, off = result.on["value_shipped"], result.off["value_shipped"]
    assert result.runs == 6 and on.size == off.size == 6
    expected = (np.var(on, ddof=1) + np.var(off, ddof=1)) / np.var(on - off, ddof=1)
    ratio = result.table["value_shipped"].crn_variance_ratio
    assert ratio == pytest.approx(expected)
    # Observed with seed 1 (orgsim 0.3): startup ~11.6, midsize ~2.1, enterprise ~4.8.
    assert ratio > 1.0, f"{scenario}: CRN variance ratio {ratio:.2f}"
    assert ratio > 2.0, f"{scenario}: CRN variance ratio {ratio:.2f} is not comfortably > 1"


# ------------------------------------------------------------------ interruption


def test_interrupted_comparison_keeps_committed_runs_and_resumes(tmp_path: Path) -> None:
    out, clean_out = tmp_path / "interrupted", tmp_path / "clean"
    committed: list[str] = []

    def stop_after_three(record: RunRecord) -> None:
        committed.append(record.key)
        if len(committed) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compare(
            "midsize",
            runs=3,
            executor="serial",
            overrides=SHORT,
            out=out,
            progress=stop_after_three,
        )
    db_path = out / "results.sqlite"
    assert row_count(db_path) == (3, 3)
    kept = stored(db_path)
    assert {r.key for r in kept} == set(committed)

    clean = compare("midsize", runs=3, executor="serial", overrides=SHORT, out=clean_out)
    clean_by_key = {r.key: r for r in clean.records}
    metric_names = {m.name for m in METRICS}
    for r in kept:
        assert r.status == "ok"
        assert metric_names <= set(r.metrics)
        assert r.metrics["value_shipped"] > 0 and math.isfinite(r.metrics["cost"])
        assert_same_record(r, clean_by_key[r.key])

    resumed_runs: list[str] = []
    resumed = compare(
        "midsize",
        runs=3,
        executor="serial",
        overrides=SHORT,
        out=out,
        progress=lambda r: resumed_runs.append(r.key),
    )
    assert len(resumed_runs) == 3  # only the missing runs were simulated
    assert not set(resumed_runs) & set(committed)
    assert row_count(db_path) == (6, 6)
    assert resumed.runs == 3
    assert_same_tables(resumed.table, clean.table)
    for a, b in zip(stored(db_path), clean.records, strict=True):
        assert_same_record(a, b)
    with ResultsDB(db_path) as db:
        assert len(db.provenance()) == 2  # one per invocation


def test_cli_interrupt_exits_130_and_keeps_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @contextlib.contextmanager
    def interrupting_bar(total: int, enabled: bool = True) -> Iterator[Any]:
        seen: list[Any] = []

        def tick(record: Any) -> None:
            seen.append(record)
            if len(seen) == 2:
                raise KeyboardInterrupt

        yield tick

    monkeypatch.setattr(orgsim.reporting.terminal, "progress_bar", interrupting_bar)
    out = tmp_path / "out"
    rc = main(
        [
            "compare",
            "midsize",
            "--runs",
            "3",
            "--executor",
            "serial",
            "--set",
            "horizon=150",
            "--out",
            str(out),
            "--no-charts",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 130
    assert "interrupted" in err and "Traceback" not in err
    assert row_count(out / "results.sqlite") == (2, 2)


# ------------------------------------------------------------------ charts


def test_charts_are_written(parallel: ComparisonResult) -> None:
    assert [c.name for c in parallel.charts] == ["forest", "distributions", "timeseries", "funnel"]
    for chart in parallel.charts:
        assert chart.png == parallel.out / f"{chart.name}.png"
        assert chart.svg == parallel.out / f"{chart.name}.svg"
        assert chart.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert chart.png.stat().st_size > 10_000
        assert "<svg" in chart.svg.read_text()[:2000]
    for name in ("results.sqlite", "runs.csv", "runs.parquet"):
        assert (parallel.out / name).is_file()


def _chart(result: ComparisonResult, name: str) -> Any:
    return next(c for c in result.charts if c.name == name)


def test_forest_rows_match_the_table(parallel: ComparisonResult) -> None:
    data = _chart(parallel, "forest").data
    rows = {row["metric"]: row for row in data["rows"]}
    table = parallel.table
    shown = [m for m in table if not math.isnan(table[m].relative)]
    assert [row["metric"] for row in data["rows"]] == shown
    assert data["skipped"] == [m for m in table if math.isnan(table[m].relative)]
    assert "value_shipped" in rows and "detected_by_broker_share" in data["skipped"]
    for name, row in rows.items():
        c = table[name]
        assert row["relative_pct"] == pytest.approx(100 * c.relative)
        if math.isnan(c.relative_low):
            assert math.isnan(row["low_pct"])
        else:
            assert row["low_pct"] == pytest.approx(100 * c.relative_low)
            assert row["high_pct"] == pytest.approx(100 * c.relative_high)
        assert row["diff"] == c.diff.mean
        assert row["outcome"] == c.outcome


def test_distribution_panels_hold_the_replications(parallel: ComparisonResult) -> None:
    data = _chart(parallel, "distributions").data
    assert data["metrics"] == list(HEADLINE)
    for name in HEADLINE:
        for arm, values in (("on", parallel.on[name]), ("off", parallel.off[name])):
            panel = data["panels"][name][arm]
            kept = values[~np.isnan(values)]
            np.testing.assert_array_equal(panel["values"], kept)
            assert panel["mean"] == pytest.approx(kept.mean())


def _quarterly(records: list[RunRecord], arm: str, key: str) -> np.ndarray:
    rows = [r.quarterly[key] for r in records if r.arm == arm and r.status == "ok"]
    return np.array(rows, dtype=float)


def test_time_series_medians_are_the_medians_of_stored_series(
    parallel: ComparisonResult,
) -> None:
    data = _chart(parallel, "timeseries").data
    records = stored(parallel.db)
    quarters = len(records[0].quarterly["value_shipped"])
    assert quarters == 3  # 200 days of 91-day quarters
    for series in ("value_shipped", "open_conflicts", "wip", "headcount"):
        panel = data["panels"][series]
        assert panel["kind"] == "series"
        for arm in ("on", "off"):
            runs = _quarterly(records, arm, series)
            assert runs.shape == (4, quarters)
            np.testing.assert_allclose(panel[arm]["median"], np.median(runs, axis=0))
            np.testing.assert_array_equal(panel[arm]["quarter"], np.arange(1, quarters + 1))
            assert np.all(panel[arm]["p10"] <= panel[arm]["median"])
            assert np.all(panel[arm]["median"] <= panel[arm]["p90"])
    family = data["panels"]["headcount.*"]
    assert family["kind"] == "family"
    depts = list(parallel.scenario.active_departments)
    assert list(family["depts"]) == depts
    for dept in depts:
        for arm in ("on", "off"):
            runs = _quarterly(records, arm, f"headcount.{dept}")
            np.testing.assert_allclose(family["depts"][dept][arm]["median"], np.median(runs, 0))
    shares = data["panels"]["budget_share.*"]["depts"]
    total = sum(shares[d]["on"]["median"] for d in depts)
    assert np.all((total > 0.8) & (total < 1.2))  # medians of shares roughly sum to 1


def test_funnel_means_are_the_means_of_stored_counts(parallel: ComparisonResult) -> None:
    data = _chart(parallel, "funnel").data
    records = stored(parallel.db)
    outcomes = ["resolved_negotiation", "resolved_mediation", "resolved_ceo", "lapsed", "open"]
    assert data["stages"] == ["raised", "detected", *outcomes]
    for arm in ("on", "off"):
        counts = [r.funnel for r in records if r.arm == arm]
        assert len(counts) == 4
        expected = [np.mean([c[s] for c in counts]) for s in data["stages"]]
        np.testing.assert_allclose(data[arm], expected)
        assert data["shares"][arm][2:].sum() == pytest.approx(1.0)  # a partition
        assert data["escalated"][arm] == np.mean([c["escalated"] for c in counts])
    raised = data["on"][0]
    assert raised == pytest.approx(parallel.table["conflicts_raised"].on.mean)


def test_the_experiment_draws_no_charts(serial: ComparisonResult) -> None:
    assert serial.charts == []
    assert not list(serial.out.glob("*.png")) and not list(serial.out.glob("*.svg"))
    assert (serial.out / "runs.csv").is_file() and (serial.out / "runs.parquet").is_file()


# ------------------------------------------------------------------ precision

# The precision loop's cases run midsize's year without market drift and
# reorganisation battles, whose rare large losses spread its net value. (They ran on
# the start-up before orgsim 0.3; its year's net value is now near 0 -- payroll
# against a few features -- and its open conflicts are counts of 0 to 2, where a
# relative precision of 60% takes hundreds of runs.) Measured worst half-width over
# the headline metrics: 4 runs 1.39, 6 runs 0.72, 8 runs 0.57.
PRECISE_SCENARIO = "midsize"
STEADY = ["market.shift_interarrival.mean=1e12", "conflicts.kinds.reorganisation.enabled=false"]
PRECISE = {"overrides": ["horizon=365", *STEADY], "executor": "serial"}


def _worst_half_width(result: ComparisonResult) -> float:
    worst = 0.0
    for name in HEADLINE:
        for arm in (result.on, result.off):
            est = mean_ci(arm[name])
            worst = max(worst, est.half_width / abs(est.mean))
    return worst


@pytest.mark.slow
def test_precision_adds_replications_until_reached(tmp_path: Path) -> None:
    result = compare(PRECISE_SCENARIO, runs=4, precision=0.6, max_runs=20, out=tmp_path, **PRECISE)
    assert 4 < result.runs < 20
    assert _worst_half_width(result) <= 0.6
    assert row_count(result.db) == (2 * result.runs, 2 * result.runs)
    first4 = compare(PRECISE_SCENARIO, runs=4, out=tmp_path / "four", **PRECISE)
    assert _worst_half_width(first4) > 0.6  # so the extra replications were needed


def test_loose_precision_keeps_the_initial_runs(tmp_path: Path) -> None:
    # six runs reach 0.72: a target of 0.8 is met without another replication
    result = compare(PRECISE_SCENARIO, runs=6, precision=0.8, max_runs=20, out=tmp_path, **PRECISE)
    assert result.runs == 6
    assert result.precision is not None and result.precision.met
    assert row_count(result.db) == (12, 12)


def test_tight_precision_stops_at_the_cap(tmp_path: Path) -> None:
    result = compare(PRECISE_SCENARIO, runs=3, precision=0.01, max_runs=6, out=tmp_path, **PRECISE)
    assert result.runs == 6
    assert _worst_half_width(result) > 0.01
    assert row_count(result.db) == (12, 12)
    # Issue 9 #8: the result says the target was missed, by which metrics, by how much.
    check = result.precision
    assert check is not None
    assert (check.target, check.max_runs, check.met) == (0.01, 6, False)
    assert list(check.achieved) == list(HEADLINE)
    for name in HEADLINE:
        arms = {
            arm: mean_ci(values[name]) for arm, values in (("on", result.on), ("off", result.off))
        }
        expected = {arm: e.half_width / abs(e.mean) for arm, e in arms.items()}
        assert check.by_arm["on"][name] == pytest.approx(expected["on"])
        assert check.by_arm["off"][name] == pytest.approx(expected["off"])
        assert check.achieved[name] == pytest.approx(max(expected.values()))
    assert max(check.achieved.values()) == pytest.approx(_worst_half_width(result))
    assert check.missed == {k: v for k, v in check.achieved.items() if v > 0.01}
    assert check.missed  # every headline metric is far from +-1% after 6 runs


def test_met_precision_is_reported(tmp_path: Path) -> None:
    result = compare(PRECISE_SCENARIO, runs=6, precision=0.6, max_runs=20, out=tmp_path, **PRECISE)
    assert result.precision is not None and result.precision.met
    assert result.precision.missed == {}
    assert all(v <= 0.6 for v in result.precision.achieved.values())


def test_without_precision_there_is_no_precision_check(serial: ComparisonResult) -> None:
    assert serial.precision is None


def test_undefined_precision_is_a_miss_and_null_in_json(serial: ComparisonResult) -> None:
    # fewer than two values (NaN) and a mean of 0 with spread (inf) never meet a target
    check = PrecisionCheck(
        target=0.05,
        max_runs=4,
        by_arm={
            "on": {"value_shipped": 0.01, "ceo_hours": math.inf},
            "off": {"value_shipped": math.nan, "ceo_hours": 0.02},
        },
        achieved={"value_shipped": math.nan, "ceo_hours": math.inf},
    )
    assert not check.met and list(check.missed) == ["value_shipped", "ceo_hours"]
    text = orgsim.reporting.terminal.precision_text(check, 4)
    assert (
        "Value shipped undefined (fewer than 2 values) (with broker ±1.0%, without undefined"
        in text
    )
    assert "CEO hours unbounded (mean 0)" in text
    doc = json.loads(dumps(comparison_json(attrs.evolve(serial, precision=check))))
    assert doc["precision"]["missed"] == {"value_shipped": None, "ceo_hours": None}
    assert doc["precision"]["by_arm"]["on"] == {"value_shipped": 0.01, "ceo_hours": None}


def _compare_cli(out: Path, *extra: str) -> list[str]:
    return [
        "compare",
        "startup",
        "--set",
        "horizon=150",
        "--executor",
        "serial",
        "--no-charts",
        "--out",
        str(out),
        *extra,
    ]


def test_cli_precision_cap_says_what_was_missed_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    argv = _compare_cli(tmp_path, "--runs", "2", "--precision", "0.01", "--max-runs", "3")
    rc = cli(argv)
    captured = capsys.readouterr()
    assert rc == 3
    assert "3 paired replications" in captured.out
    assert (
        "Precision target ±1.0% NOT reached after 3 paired replications (the cap, --max-runs 3)"
        in (captured.out)
    )
    assert "Value shipped ±" in captured.out and "Traceback" not in captured.err
    (line,) = captured.err.splitlines()
    assert line.startswith(
        "orgsim: error: --precision 0.01 not reached within the cap of 3 paired replications"
        " (--max-runs): "
    )
    assert "value_shipped" in line and "results.sqlite" in line

    rc = cli([*argv, "--json"])  # same --out: the runs are reused
    captured = capsys.readouterr()
    assert rc == 3
    doc = json.loads(captured.out)["precision"]
    assert (doc["target"], doc["max_runs"], doc["met"], doc["level"]) == (0.01, 3, False, 0.95)
    assert list(doc["achieved"]) == list(HEADLINE)
    assert set(doc["missed"]) <= set(HEADLINE) and "value_shipped" in doc["missed"]
    for name, worst in doc["achieved"].items():
        assert worst == pytest.approx(max(doc["by_arm"]["on"][name], doc["by_arm"]["off"][name]))
        assert (name in doc["missed"]) == (worst > 0.01)
    assert len(captured.err.splitlines()) == 1


def test_cli_met_precision_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    steady = [arg for path in STEADY for arg in ("--set", path)]
    argv = _compare_cli(tmp_path, "--runs", "6", "--precision", "0.6", "--max-runs", "20", *steady)
    argv[1], argv[3] = PRECISE_SCENARIO, "horizon=365"
    rc = cli([*argv, "--json"])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["precision"]["met"] is True and doc["precision"]["missed"] == {}
    assert rc == 0 and captured.err == ""
    assert json.loads(_json_without_precision(tmp_path, cli, capsys))["precision"] is None


def _json_without_precision(tmp_path: Path, cli: CLI, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli(_compare_cli(tmp_path / "plain", "--runs", "2", "--json")) == 0
    return capsys.readouterr().out


# ------------------------------------------------------------------ broker-only metrics


def test_the_catalogue_marks_the_broker_only_metrics() -> None:
    assert BROKER_ONLY == (
        "detected_by_broker_share",
        "mediation_wait_p50",
        "mediation_censored_share",
        "credibility_end",
        "praises",
    )
    assert [m.name for m in METRICS if m.broker_only] == list(BROKER_ONLY)


def test_broker_only_metrics_have_no_paired_difference(serial: ComparisonResult) -> None:
    for name in BROKER_ONLY:
        c = serial.table[name]
        assert c.broker_only
        assert c.on == mean_ci(serial.on[name]) and c.on.n >= 2, name
        assert c.off.n == 0 and math.isnan(c.off.mean)
        assert math.isnan(c.diff.mean) and math.isnan(c.relative) and math.isnan(c.win_rate)
        assert c.verdict.startswith("exists with the broker only: ")
    # the per-run values stay as the projections compute them (stored runs unchanged)
    assert np.all(serial.off["detected_by_broker_share"] == 0.0)
    assert np.all(np.isnan(serial.off["mediation_wait_p50"]))
    # a broker's cost is a cost of 0 without one: still a paired difference
    cost = serial.table["broker_cost"]
    assert not cost.broker_only and cost.off.mean == 0.0 and cost.diff.mean > 0


def test_cli_broker_only_metrics_in_json_and_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = _compare_cli(tmp_path, "--runs", "3")
    assert cli([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    records = stored(tmp_path / "results.sqlite")
    nulls = {"mean": None, "low": None, "high": None}
    for name in BROKER_ONLY:
        row = doc["metrics"][name]
        on = mean_ci([r.metrics[name] for r in records if r.arm == "on"])
        assert row["broker_only"] is True
        assert row["on"]["mean"] == pytest.approx(on.mean), name
        assert row["on"]["low"] == pytest.approx(on.low) and row["on"]["n"] == on.n
        assert row["off"] == {**nulls, "n": 0} and row["diff"] == {**nulls, "n": 0}
        assert (row["relative"], row["win_rate"], row["crn_variance_ratio"]) == (None,) * 3
        assert row["significant"] is False
        assert row["verdict"].startswith("exists with the broker only: ")
    assert doc["metrics"]["value_shipped"]["broker_only"] is False

    monkeypatch.setenv("COLUMNS", "250")
    assert cli(argv) == 0  # same --out: the runs are reused
    out = capsys.readouterr().out
    rows = {
        line.split("│")[1].strip(): line.split("│")[2:-1]
        for line in out.splitlines()
        if line.startswith("│")
    }
    for label in ("Detected by broker share", "Mediation wait (median) (days)", "Credibility end"):
        # the last cell is the Holm-adjusted p-value: none without a paired test
        on, off, diff, rel, wins, p = (cell.strip() for cell in rows[label])
        assert on != "–" and "±" in on, label
        assert (off, diff, rel, wins, p) == ("–", "–", "–", "–", "–"), label


# ------------------------------------------------------------------ bad input


def test_api_refuses_too_few_runs_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match=">= 2"):
        compare("midsize", runs=1, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ScenarioError, match="no such scenario"):
        compare("no-such-scenario", runs=2, out=tmp_path / "out")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--runs", "1"], "--runs must be an integer >= 2, got 1"),
        (["--runs", "0"], "--runs must be an integer >= 2"),
        (["--runs", "two"], "invalid int value"),
        (["--precision", "1.5"], "--precision must be between 0 and 1"),
        (["--jobs", "0"], "--jobs must be an integer >= 1"),
        (["--set", "horizn=50"], "did you mean 'horizon'"),
        (["--executor", "cloud"], "invalid choice"),
    ],
)
def test_cli_bad_settings(
    argv: list[str],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli: CLI,
    one_line_error: OneLineError,
) -> None:
    base = ["compare", "midsize", "--set", "horizon=50", "--no-charts", "--out", str(tmp_path)]
    line = one_line_error(cli(base + argv))
    assert expected in line


@pytest.mark.parametrize("scenario", ["no-such-scenario", "missing/file.toml"])
def test_cli_missing_scenario(
    scenario: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli: CLI,
    one_line_error: OneLineError,
) -> None:
    rc = cli(["compare", scenario, "--runs", "2", "--out", str(tmp_path / "out")])
    line = one_line_error(rc)
    assert f"no such scenario file: {scenario}" in line
    assert not (tmp_path / "out").exists()


def test_cli_out_under_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI, one_line_error: OneLineError
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    out = blocker / "out"
    rc = cli(["compare", "midsize", "--runs", "2", "--set", "horizon=50", "--out", str(out)])
    line = one_line_error(rc)
    assert f"cannot write to --out {out}" in line
    assert blocker.read_text() == ""


def test_cli_out_in_a_read_only_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI, one_line_error: OneLineError
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write into a mode 0o500 folder")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        rc = cli(["compare", "midsize", "--runs", "2", "--out", str(locked / "out")])
        line = one_line_error(rc)
        assert "cannot write to --out" in line
    finally:
        locked.chmod(0o700)


def test_cli_negative_seed_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI, one_line_error: OneLineError
) -> None:
    argv = ["compare", "midsize", "--runs", "2", "--seed", "-1", "--set", "horizon=50"]
    rc = cli([*argv, "--no-charts", "--executor", "serial", "--out", str(tmp_path)])
    one_line_error(rc)


def test_the_api_without_charts_is_the_experiment(serial: ComparisonResult, tmp_path: Path) -> None:
    bare = api.compare(
        "midsize", runs=4, seed=5, executor="serial", overrides=SHORT, out=tmp_path, charts=False
    )
    assert bare.charts == [] and not list(tmp_path.glob("*.png"))
    assert_same_tables(bare.table, serial.table)
