"""The attribution experiment end to end: a start-up's half year, two replications.

Each replication runs the 64 coalitions of the broker's six channels and the run
without the broker (130 runs, ~6 s on one core, shared by every test here).
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import attrs
import numpy as np
import pytest
from rich.console import Console

from orgsim.analysis.stats import mean_ci
from orgsim.engine.context import CHANNELS
from orgsim.errors import ExperimentError
from orgsim.experiments import compare as comparison
from orgsim.experiments.attribution import (
    ACCOUNTING,
    AttributionResult,
    attribute,
    attribution_runs,
    check_runs,
    plan,
)
from orgsim.experiments.limits import check_attribution
from orgsim.experiments.runner import resolve
from orgsim.reporting.attribution import attribution_json, print_attribution
from orgsim.storage.results import ResultsDB

SETTINGS = ["horizon=180"]
FULL = 2 ** len(CHANNELS) - 1


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("attribution")


@pytest.fixture(scope="module")
def result(out: Path) -> AttributionResult:
    return attribute("startup", runs=2, seed=3, executor="serial", out=out, overrides=SETTINGS)


@pytest.mark.slow
def test_every_coalition_ran_and_no_channel_is_no_broker(result: AttributionResult) -> None:
    assert result.ran == attribution_runs(2) == 130
    assert (result.runs, result.replications, result.failed) == (2, (0, 1), [])
    assert result.values.shape == (64, 2)
    # the broker acting through nothing is, run for run, no broker at all: exactly 0
    assert result.values[0].tolist() == [0.0, 0.0]
    assert (result.empty.mean, result.empty.half_width) == (0.0, 0.0)
    assert result.value(()).mean == 0.0
    # and the channels do something in this company
    assert np.count_nonzero(result.values[1:]) > 0


@pytest.mark.slow
def test_the_shapley_values_add_up_to_the_paired_difference(result: AttributionResult) -> None:
    # efficiency with v(empty) = 0: per replication, the sum is the total exactly
    # but for rounding
    per_rep = result.shapley.sum(axis=0)
    np.testing.assert_allclose(per_rep, result.values[FULL], rtol=0, atol=1e-9)
    assert result.efficiency_gap < 1e-9
    assert sum(r.shapley.mean for r in result.rows) == pytest.approx(result.total.mean, abs=1e-9)
    assert result.shapley_sum == pytest.approx(result.total.mean, abs=1e-9)
    assert result.total.contains(result.shapley_sum)
    shares = sum(r.share for r in result.rows)
    assert shares == pytest.approx(1.0, rel=1e-9)
    assert [r.channel for r in result.rows] == list(CHANNELS)


@pytest.mark.slow
def test_the_views_are_the_coalitions_values(result: AttributionResult) -> None:
    v = result.values
    for i, row in enumerate(result.rows):
        bit = 1 << i
        assert row.alone.mean == pytest.approx(float(np.mean(v[bit] - v[0])), abs=1e-9)
        drop = v[FULL] - v[FULL & ~bit]
        assert row.one_at_a_time.mean == pytest.approx(float(np.mean(drop)), abs=1e-9)
    oat = sum(r.one_at_a_time.mean for r in result.rows)
    assert result.interaction.mean == pytest.approx(result.total.mean - oat, abs=1e-6)
    assert result.value(CHANNELS).mean == result.total.mean
    assert result.value(["cost"]).mean == pytest.approx(float(np.mean(v[1])), abs=1e-12)
    with pytest.raises(ExperimentError, match="salary"):
        result.value(["salary"])


@pytest.mark.slow
def test_the_accounting_split_adds_up_to_the_net_value_difference(
    result: AttributionResult,
) -> None:
    assert [(t.metric, t.sign) for t in result.accounting] == list(ACCOUNTING)
    parts = sum(t.effect.mean for t in result.accounting)
    assert parts == pytest.approx(result.total.mean, abs=1e-6)
    assert result.accounting_gap < 1e-6
    broker = next(t for t in result.accounting if t.metric == "broker_cost")
    # the VP PM's 300 k$ a year (a start-up's Product has no Directors, no hires),
    # charged day by day up to the end at day 180, the same in every replication
    assert broker.effect.mean == pytest.approx(-300.0 * 180 / 365, rel=1e-12)
    assert broker.effect.sd == pytest.approx(0.0, abs=1e-9)


@pytest.mark.slow
def test_the_full_coalition_is_the_comparisons_broker_arm(
    result: AttributionResult, tmp_path: Path
) -> None:
    compared = comparison.compare(
        "startup", runs=2, seed=3, executor="serial", out=tmp_path, overrides=SETTINGS
    )
    diff = compared.on["net_value"] - compared.off["net_value"]
    assert diff.tolist() == result.values[FULL].tolist()


@pytest.mark.slow
def test_a_second_call_resumes_from_the_database(result: AttributionResult, out: Path) -> None:
    again = attribute(
        "startup", runs=2, seed=3, executor="local", jobs=2, out=out, overrides=SETTINGS
    )
    assert again.ran == 0
    assert again.values.tolist() == result.values.tolist()
    with ResultsDB(out / "results.sqlite") as db:
        sc = resolve("startup", SETTINGS)
        assert len(db.keys(f"attribution:startup:{sc.digest()}:3")) == 130


@pytest.mark.slow
def test_the_waterfall_steps_from_zero_to_the_total(
    result: AttributionResult, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    from orgsim.reporting.charts.attribution import waterfall

    chart = waterfall(result, tmp_path)
    assert [p.name for p in chart.paths] == ["attribution.png", "attribution.svg"]
    steps = chart.data["steps"]
    assert [s["channel"] for s in steps] == list(CHANNELS)
    assert steps[0]["start"] == 0.0
    for before, after in itertools.pairwise(steps):
        assert after["start"] == before["end"]
    assert steps[-1]["end"] == pytest.approx(chart.data["total"]["mean"], abs=1e-9)
    assert [t["metric"] for t in chart.data["accounting"]] == [m for m, _ in ACCOUNTING]


@pytest.mark.slow
def test_the_table_and_the_document(result: AttributionResult) -> None:
    console = Console(record=True, width=120)
    print_attribution(result, console)
    text = console.export_text()
    for channel in CHANNELS:
        assert re.search(rf"^\s*{channel}\s", text, re.MULTILINE), channel
    assert "Shapley values add up to the total (efficiency, with v(∅) = 0" in text
    assert "0, every replication" in text
    # were a broker draw shared with another stream, the report would say so
    shared = result.values.copy()
    shared[0, 0] = 5.0
    console = Console(record=True, width=120)
    print_attribution(attrs.evolve(result, values=shared, empty=mean_ci(shared[0])), console)
    text = console.export_text()
    assert "v(∅) = +$2k ±" in text
    assert "is not 0: Shapley values add up to the total less it" in text
    doc = attribution_json(result)
    json.dumps(doc, allow_nan=False)  # plain JSON: NaN as null
    assert doc["channels"]["cost"]["shapley"]["mean"] == result.rows[0].shapley.mean
    assert doc["empty"]["mean"] == 0.0
    assert set(doc["accounting"]) == {m for m, _ in ACCOUNTING}


def test_bad_replications_are_refused_before_anything_runs(tmp_path: Path) -> None:
    for bad in (0, 1, "x", True, 2.5):
        with pytest.raises(ExperimentError, match="--explain-runs must be an integer >= 2"):
            check_runs(bad)
        with pytest.raises(ExperimentError, match="--explain-runs"):
            plan("startup", runs=bad)
    with pytest.raises(ExperimentError, match="runs must be an integer >= 2, got 1"):
        attribute("startup", runs=1, out=tmp_path / "never")
    assert not (tmp_path / "never").exists()
    assert plan("startup") == 10  # the default


def test_a_huge_attribution_is_refused_with_its_numbers() -> None:
    sc = resolve("startup")
    with pytest.raises(ExperimentError, match="this attribution is too large: 130,000 runs"):
        check_attribution(sc, runs=2000, channels=6)
    assert check_attribution(sc, runs=2, channels=6).runs == 130
