"""Tests for orgsim.reporting.charts.explore: files written, the data behind each chart exact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("ema_workbench")
pytest.importorskip("sklearn")

from orgsim.analysis.discovery import EnsembleAnalysis, analyse_ensemble
from orgsim.reporting.charts.common import Chart
from orgsim.reporting.charts.explore import explore_charts, pairs_chart, prim_tradeoff_chart

NAMES = ("conflicts.intensity", "market.drift", "scale")


def ensemble(n: int, *, pays_everywhere: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """vp-alone pays (+5 k$) where conflicts.intensity > 0.5 and market.drift < 0.4."""
    rng = np.random.default_rng(21)
    data = rng.uniform(size=(n, 3))
    x = {name: data[:, j] for j, name in enumerate(NAMES)}
    base = 100.0 + rng.normal(size=(n, 2))
    inside = ((x["conflicts.intensity"] > 0.5) & (x["market.drift"] < 0.4))[:, None]
    gain = 1.0 if pays_everywhere else np.where(inside, 5.0, -5.0)
    outcome = {"no-broker": base, "vp-alone": base + gain, "vp-and-4": base + 0.5}
    outcome["vp-alone"][0, :] = np.nan  # a point without a focus effect
    return x, outcome


@pytest.fixture(scope="module")
def found() -> tuple[dict[str, Any], EnsembleAnalysis]:
    x, outcome = ensemble(300)
    return x, analyse_ensemble(
        x, outcome, reference="no-broker", focus="vp-alone", metric="net_value"
    )


@pytest.fixture(scope="module")
def drawn(
    found: tuple[dict[str, Any], EnsembleAnalysis], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[Chart]]:
    """Every chart drawn once (drawing is the slow part)."""
    x, a = found
    out = tmp_path_factory.mktemp("explore")
    return out, explore_charts(a, x, out)


def chart(drawn: tuple[Path, list[Chart]], name: str) -> Chart:
    return next(c for c in drawn[1] if c.name == name)


def test_explore_charts_writes_every_chart(drawn: tuple[Path, list[Chart]]) -> None:
    out, charts = drawn
    assert [c.name for c in charts] == ["levers", "regret", "prim_tradeoff", "pairs"]
    for c in charts:
        assert c.png.stat().st_size > 10_000 and c.svg.exists()
        assert c.paths == (out / f"{c.name}.png", out / f"{c.name}.svg")


def test_levers_chart_data_is_the_analysis(
    found: tuple[dict[str, Any], EnsembleAnalysis], drawn: tuple[Path, list[Chart]]
) -> None:
    _, a = found
    rows = {r["lever"]: r for r in chart(drawn, "levers").data["levers"]}
    assert set(rows) == {"vp-alone", "vp-and-4"}
    vp = a.levers["vp-alone"]
    assert rows["vp-alone"]["p_beats"] == vp.p_beats.share
    assert (rows["vp-alone"]["low"], rows["vp-alone"]["high"]) == (vp.p_beats.low, vp.p_beats.high)
    assert rows["vp-alone"]["points"] == 299  # point 0 has no vp-alone value
    assert rows["vp-and-4"]["p_beats"] == 1.0  # +0.5 everywhere
    assert rows["vp-and-4"]["p50"] == pytest.approx(0.5, rel=1e-12)


def test_regret_chart_marks_the_minimax_lever(drawn: tuple[Path, list[Chart]]) -> None:
    regret = chart(drawn, "regret")
    # vp-and-4 is 0.5 above no-broker everywhere and at most 4.5 below vp-alone:
    # its max regret is 4.5; vp-alone's is 5.5 (−5 vs +0.5), no-broker's 5.
    assert regret.data["minimax"] == "vp-and-4"
    maxima = {r["lever"]: r["max"] for r in regret.data["levers"]}
    assert maxima == {
        "no-broker": pytest.approx(5.0, rel=1e-9),
        "vp-alone": pytest.approx(5.5, rel=1e-9),
        "vp-and-4": pytest.approx(4.5, rel=1e-9),
    }
    assert (regret.data["points"], regret.data["dropped"]) == (299, 1)


def test_prim_chart_normalises_the_limits_to_the_sampled_range(
    found: tuple[dict[str, Any], EnsembleAnalysis], drawn: tuple[Path, list[Chart]]
) -> None:
    x, a = found
    tradeoff = chart(drawn, "prim_tradeoff")
    assert a.prim is not None
    assert len(tradeoff.data["trajectory"]) == len(a.prim.trajectory)
    assert tradeoff.data["chosen"] == a.prim.chosen
    rows = {r["name"]: r for r in tradeoff.data["limits"]}
    assert set(rows) == {"conflicts.intensity", "market.drift"}
    ci = rows["conflicts.intensity"]
    lo, hi = x["conflicts.intensity"][1:].min(), x["conflicts.intensity"][1:].max()
    assert ci["norm_low"] == pytest.approx((ci["low"] - lo) / (hi - lo), rel=1e-12)
    assert ci["low"] == pytest.approx(0.5, abs=0.05) and ci["norm_high"] == 1.0
    assert rows["market.drift"]["high"] == pytest.approx(0.4, abs=0.05)
    assert rows["market.drift"]["norm_low"] == 0.0


def test_pairs_chart_orders_by_scores_and_draws_the_box(
    found: tuple[dict[str, Any], EnsembleAnalysis], tmp_path: Path
) -> None:
    x, a = found
    assert a.features is not None and a.prim is not None
    pays = np.where(a.used, a.pays.astype(float), np.nan)
    pairs = pairs_chart(x, pays, a.features, tmp_path, top=2, prim=a.prim, focus="vp-alone")
    assert pairs.data["names"] == list(a.features.names[:2])
    assert set(pairs.data["names"]) == {"conflicts.intensity", "market.drift"}
    assert pairs.data["points"] == 299 and pairs.data["pays"] == int(a.pays.sum())
    ((panel, rect),) = pairs.data["boxes"].items()  # one lower-triangle panel for top=2
    limits = {b.name: b for b in a.prim.limits}
    xn, yn = panel.split(" | ")
    assert rect == (limits[xn].low, limits[xn].high, limits[yn].low, limits[yn].high)


def test_pairs_chart_takes_plain_names_and_no_box(tmp_path: Path) -> None:
    x, _ = ensemble(50)
    y = (x["scale"] > 0.5).astype(float)
    y[3] = np.nan  # a point without an effect is left out
    pairs = pairs_chart(x, y, ["scale", "nope", "market.drift"], tmp_path, top=3)
    assert pairs.data["names"] == ["scale", "market.drift"]  # unknown names skipped
    assert pairs.data["boxes"] == {} and pairs.data["points"] == 49
    assert pairs.png.exists()


def test_without_a_prim_box_the_chart_is_skipped(tmp_path: Path) -> None:
    x, outcome = ensemble(60, pays_everywhere=True)
    a = analyse_ensemble(x, outcome, reference="no-broker", focus="vp-alone", metric="net_value")
    assert a.prim is None and a.features is None
    assert prim_tradeoff_chart(a, tmp_path) is None
    charts = explore_charts(a, x, tmp_path)
    assert [c.name for c in charts] == ["levers", "regret", "pairs"]
    assert charts[-1].data["names"] == list(NAMES)  # no scores: the order given
    assert charts[-1].data["boxes"] == {}
    assert not (tmp_path / "prim_tradeoff.png").exists()
