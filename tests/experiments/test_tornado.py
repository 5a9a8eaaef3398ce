"""The tornado of the broker's verdict: verdicts by hand, a small real analysis, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from orgsim.analysis.stats import Estimate, mean_ci
from orgsim.errors import ExperimentError
from orgsim.experiments.runner import resolve
from orgsim.experiments.tornado import tornado, tornado_runs, verdict
from orgsim.reporting.documents import tornado_json
from orgsim.scenario.uncertainty import uncertain_parameters
from orgsim.storage.results import ResultsDB


def est(low: float, high: float) -> Estimate:
    """An estimate with this CI (its mean the midpoint)."""
    return Estimate((low + high) / 2, low, high, (high - low) / 2, 10, 1.0)


POS, NEG, ZERO = est(1.0, 3.0), est(-3.0, -1.0), est(-1.0, 1.0)


@pytest.mark.parametrize(
    ("base", "low", "high", "expected"),
    [
        (POS, POS, POS, "holds"),
        (POS, POS, NEG, "flips"),
        (NEG, POS, NEG, "flips"),
        (POS, ZERO, POS, "weakens"),
        (ZERO, ZERO, ZERO, "unclear"),
        (ZERO, NEG, NEG, "- at both"),
        (ZERO, ZERO, POS, "+ at high"),
        (ZERO, NEG, POS, "- at low, + at high"),
    ],
)
def test_the_verdict_at_the_ends(
    base: Estimate, low: Estimate, high: Estimate, expected: str
) -> None:
    assert verdict(base, low, high) == expected


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("tornado")
    sc = resolve("startup", ["horizon=120"])
    result = tornado(sc, screen=2, runs=3, top=2, executor="serial", out=out)
    return out, result


@pytest.mark.slow
def test_a_small_analysis_measures_the_largest_swings(small: tuple[Path, object]) -> None:
    _, result = small
    sc = result.scenario  # type: ignore[attr-defined]
    params = uncertain_parameters(sc)
    assert len(result.screened) == len(params)  # type: ignore[attr-defined]
    rows = result.rows  # type: ignore[attr-defined]
    assert len(rows) == 2 and result.base.n == 3  # type: ignore[attr-defined]
    assert all(r.low.n == r.high.n == 3 for r in rows)
    assert rows[0].swing >= rows[1].swing
    # the measured ones are the two largest screening swings
    swings = [s for _, s in result.screened]  # type: ignore[attr-defined]
    assert swings == sorted(swings, key=lambda s: -s if math.isfinite(s) else math.inf)
    assert {r.parameter.path for r in rows} == {u.path for u, _ in result.screened[:2]}  # type: ignore[attr-defined]
    # every run of the plan was made once, both arms of each replication
    assert result.ran == tornado_runs(sc, screen=2, runs=3, top=2)  # type: ignore[attr-defined]


def test_the_base_effect_is_the_paired_difference_of_the_runs(small: tuple[Path, object]) -> None:
    out, result = small
    with ResultsDB(out / "results.sqlite") as db:
        records = [r for r in db.records() if r.point == 0]
    on = {r.replication: r.metrics["net_value"] for r in records if r.arm == "on"}
    off = {r.replication: r.metrics["net_value"] for r in records if r.arm == "off"}
    diff = np.array([on[i] - off[i] for i in sorted(on)])
    expected = mean_ci(diff)
    assert result.base.mean == pytest.approx(expected.mean)  # type: ignore[attr-defined]
    assert result.base.low == pytest.approx(expected.low)  # type: ignore[attr-defined]


def test_a_second_call_resumes_and_gives_the_same_answer(small: tuple[Path, object]) -> None:
    out, result = small
    again = tornado(result.scenario, screen=2, runs=3, top=2, executor="serial", out=out)  # type: ignore[attr-defined]
    assert again.ran == 0
    assert tornado_json(again) == tornado_json(result)  # type: ignore[arg-type]


def test_the_json_document(small: tuple[Path, object]) -> None:
    _, result = small
    doc = json.loads(json.dumps(tornado_json(result)))  # type: ignore[arg-type]
    assert doc["metric"] == "net_value" and doc["runs"] == 3 and doc["screen"] == 2
    row = doc["rows"][0]
    assert {"parameter", "value", "low", "high", "source", "effect_low", "effect_high"} <= set(row)
    assert row["low"] <= row["value"] <= row["high"]


def test_the_diagram_plots_the_measured_effects(small: tuple[Path, object], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from orgsim.reporting.charts.tornado import tornado_chart

    _, result = small
    chart = tornado_chart(result, tmp_path)  # type: ignore[arg-type]
    rows = chart.data["rows"]
    assert [r["path"] for r in rows] == [r.parameter.path for r in result.rows]  # type: ignore[attr-defined]
    first = result.rows[0]  # type: ignore[attr-defined]
    assert rows[0]["effect_low"] == first.low.mean and rows[0]["ci_high"] == (
        first.high.low,
        first.high.high,
    )
    assert chart.data["base"]["mean"] == result.base.mean  # type: ignore[attr-defined]
    assert chart.png.stat().st_size > 0


def test_bad_input_is_refused_before_anything_runs(tmp_path: Path) -> None:
    sc = resolve("startup", ["horizon=60"])
    for kwargs, match in (
        ({"metric": "nope"}, "unknown metric 'nope'"),
        ({"screen": 1}, "--screen must be an integer >= 2"),
        ({"runs": 2, "screen": 3}, r"--runs \(2\) must be at least --screen \(3\)"),
        ({"top": 0}, "--top must be an integer >= 1"),
        ({"executor": "cloud"}, "unknown executor"),
    ):
        with pytest.raises(ExperimentError, match=match):
            tornado(sc, out=tmp_path / "x", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_the_command_line(cli, one_line_error, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    argv = ["tornado", "startup", "--set", "horizon=60", "--screen", "2", "--runs", "2"]
    assert cli([*argv, "--top", "1", "--out", str(tmp_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["rows"]) == 1 and doc["base"]["n"] == 2
    assert json.loads((tmp_path / "tornado.json").read_text()) == doc
    assert (tmp_path / "tornado.png").stat().st_size > 0 and (tmp_path / "tornado.svg").exists()
    line = one_line_error(cli([*argv, "--metric", "nope", "--out", str(tmp_path / "y")]))
    assert "unknown metric 'nope'" in line
