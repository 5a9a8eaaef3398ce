"""A sweep's optimum: the [optimum] key's checks, and the best level found from the stored runs.

The sweep-level tests run a tiny one-parameter sweep (the start-up company for 120
days, three levels, three replications) and recompute, from the runs in its
database alone, each level's per-replication paired effect, the best level and
every shortfall with its CI, against what the result, ``summary.json``, the
terminal and the chart say.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console
from scipy import stats as sps

from orgsim import api
from orgsim.errors import ScenarioError
from orgsim.experiments.sweep.aggregate import sweep_optimum
from orgsim.experiments.sweep.spec import DEFAULT_REFERENCE, parse_sweep
from orgsim.reporting.terminal import print_sweep
from orgsim.storage.results import ResultsDB

PATH = "conflicts.intensity"
LEVELS = [4.0, 0.25, 1.0]  # not in order: the optimum reports them sorted


def sweep_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "opt",
        "base": "startup",
        "replications": 3,
        "metrics": ["value_shipped", "net_value"],
        "seed": 4,
        "overrides": {"horizon": 120.0},
        "parameters": [{"path": PATH, "levels": list(LEVELS)}],
    }
    data.update(extra)
    return data


def problems(**extra: Any) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_sweep(sweep_data(**extra), source="s.toml")
    return [str(p) for p in info.value.problems]


# ------------------------------------------------------------------ the [optimum] key


def test_the_default_metric_is_the_first_of_interest_with_a_direction() -> None:
    spec = parse_sweep(sweep_data())
    assert spec.optimum == "value_shipped" and spec.reference == DEFAULT_REFERENCE
    # market_shifts has no better direction: skipped for the next one
    spec = parse_sweep(sweep_data(metrics=["market_shifts", "lead_time_p50"]))
    assert spec.optimum == "lead_time_p50"


def test_sweeps_without_an_optimum() -> None:
    two = [{"path": PATH, "levels": [0.5, 1.0]}, {"path": "scale", "levels": [0.5, 1.0]}]
    assert parse_sweep(sweep_data(parameters=two)).optimum == ""
    assert parse_sweep(sweep_data(paired=False)).optimum == ""
    assert parse_sweep(sweep_data(metrics=["market_shifts"])).optimum == ""
    spec = parse_sweep(sweep_data(parameters=two))
    assert sweep_optimum(spec, []) is None


def test_the_optimum_table_chooses_the_metric_and_names_the_reference() -> None:
    spec = parse_sweep(sweep_data(optimum={"metric": "net_value", "reference": "never"}))
    assert (spec.optimum, spec.reference) == ("net_value", "never")
    # any stored metric, not only the metrics of interest
    assert parse_sweep(sweep_data(optimum={"metric": "lead_time_p50"})).optimum == "lead_time_p50"


def test_every_problem_of_the_optimum_table_in_one_pass() -> None:
    two = [{"path": PATH, "levels": [0.5, 1.0]}, {"path": "scale", "levels": [0.5, 1.0]}]
    assert problems(optimum={"metric": "net_valeu", "referense": "x"}, parameters=two) == [
        "optimum.referense: unknown key; did you mean 'reference'?",
        "optimum: needs a sweep of exactly one parameter, this one varies 2",
        "optimum.metric: unknown metric 'net_valeu'; did you mean 'net_value'?",
    ]
    assert problems(optimum="net_value") == [
        "optimum: expected a table with 'metric' and/or 'reference', got string 'net_value'"
    ]
    assert problems(optimum={"metric": 3, "reference": " "}, paired=False) == [
        "optimum: needs a paired sweep (paired = true): the effect is with − without",
        "optimum.reference: must not be empty",
        "optimum.metric: expected a metric name, got integer 3",
    ]
    assert problems(optimum={"metric": "market_shifts"}) == [
        "optimum.metric: 'market_shifts' has no better direction: no level is best"
    ]
    assert problems(optimum={}, metrics=["market_shifts"]) == [
        "optimum.metric: no metric of interest has a good direction: name one"
    ]


def test_a_broker_only_metric_is_refused() -> None:
    from orgsim.metrics.catalogue import BETTER, BROKER_ONLY

    name = next(m for m in BROKER_ONLY if BETTER.get(m))
    assert problems(optimum={"metric": name}) == [
        f"optimum.metric: '{name}' exists with the broker only: it has no effect"
    ]


# ------------------------------------------------------------------ from the database


def stored_effects(db: Path, metric: str) -> dict[float, np.ndarray]:
    """Per level, on − off of ``metric`` by replication, read from the database alone."""
    with ResultsDB(db) as store:
        records = store.records()
    runs: dict[tuple[float, str, int], float] = {}
    for r in records:
        assert r.status == "ok"
        runs[(r.params[PATH], r.arm, r.replication)] = r.metrics[metric]
    out = {}
    for level in LEVELS:
        out[level] = np.array([runs[(level, "on", i)] - runs[(level, "off", i)] for i in range(3)])
    return out


def t_interval(d: np.ndarray) -> tuple[float, float]:
    half = sps.t.ppf(0.975, d.size - 1) * np.std(d, ddof=1) / math.sqrt(d.size)
    return float(d.mean() - half), float(d.mean() + half)


@pytest.fixture(scope="module")
def paired_sweep(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("optimum") / "out"
    data = sweep_data(optimum={"metric": "net_value", "reference": "never appointed"})
    return api.sweep(data, executor="serial", out=out)


@pytest.mark.slow
def test_the_optimum_matches_the_stored_runs(paired_sweep: Any) -> None:
    result = paired_sweep
    effects = stored_effects(result.db, "net_value")
    opt = result.optimum
    assert opt is not None and opt.metric == "net_value" and opt.paired
    assert [c.level for c in opt.levels] == sorted(LEVELS)
    means = {lv: float(d.mean()) for lv, d in effects.items()}
    top = max(means, key=lambda lv: means[lv])
    if means[top] > 0:
        assert opt.winner.level == top
        best = effects[top]
    else:
        assert opt.reference_is_best
        best = np.zeros(3)
    for c in opt.levels:
        d = effects[c.level]
        assert c.effect.mean == pytest.approx(d.mean())
        assert (c.effect.low, c.effect.high) == pytest.approx(t_interval(d))
        # the sweep's own paired effect at that point is the same estimate
        pr = next(p for p in result.points if p.params[PATH] == c.level)
        assert c.effect.mean == pytest.approx(pr.effect["net_value"].diff.mean)
        short = d - best
        assert c.shortfall.mean == pytest.approx(short.mean())
        if np.any(short != 0):
            assert (c.shortfall.low, c.shortfall.high) == pytest.approx(t_interval(short))
            assert c.indistinguishable == (c.shortfall.low <= 0 <= c.shortfall.high)
    assert opt.reference.shortfall.mean == pytest.approx(-best.mean())
    assert math.isclose(sum(c.p_best for c in opt.candidates), 1.0)


@pytest.mark.slow
def test_summary_json_terminal_and_chart_say_the_same(paired_sweep: Any) -> None:
    result = paired_sweep
    opt = result.optimum
    doc = json.loads((result.out / "summary.json").read_text())["optimum"]
    assert doc["metric"] == "net_value" and doc["parameter"] == PATH
    assert doc["reference"] == "never appointed" and doc["shortfall_ci"] == "paired t"
    assert [c["level"] for c in doc["candidates"]] == [*sorted(LEVELS), None]
    assert doc["candidates"][-1]["reference"] is True
    assert doc["best"]["level"] == opt.winner.level
    for c, row in zip(opt.candidates, doc["candidates"], strict=True):
        assert row["effect"]["mean"] == pytest.approx(c.effect.mean)
        assert row["shortfall"]["mean"] == pytest.approx(c.shortfall.mean)
        assert row["p_best"] == pytest.approx(c.p_best)
    assert doc["indistinguishable"][0] == doc["best"]["level"]
    # the chart: the numbers plotted are the optimum's
    chart = next(c for c in result.charts if c.name == "sweep-optimum")
    assert chart.png.exists() and chart.svg.exists()
    assert list(chart.data["effect"]["value"]) == [c.effect.mean for c in opt.levels]
    assert list(chart.data["shortfall"]["low"]) == [c.shortfall.low for c in opt.levels]
    assert chart.data["log_x"]  # 0.25 to 4 spans 16 times
    # the terminal: the line naming the best, and one row per candidate
    buf = io.StringIO()
    print_sweep(result, Console(file=buf, width=160, color_system=None))
    text = buf.getvalue()
    assert "Optimum of Net value (higher is better)" in text
    if opt.reference_is_best:
        assert "best is the reference" in text
    else:
        assert f"best {PATH} = {opt.winner.level:g}" in text
    assert "never appointed" in text and "◀ best" in text


@pytest.mark.slow
def test_crn_per_point_falls_back_to_welch(tmp_path: Path) -> None:
    data = sweep_data(crn="point", parameters=[{"path": PATH, "levels": [0.25, 4.0]}])
    result = api.sweep(data, executor="serial", out=tmp_path / "p", charts=False)
    opt = result.optimum
    assert opt is not None and not opt.paired and opt.method == "Welch (unpaired) t"
    with ResultsDB(result.db) as store:
        records = store.records()
    by = {
        lv: np.array(
            [
                next(
                    r.metrics["value_shipped"]
                    for r in records
                    if r.params[PATH] == lv and r.arm == arm and r.replication == i
                )
                for arm in ("on", "off")
                for i in range(3)
            ]
        ).reshape(2, 3)
        for lv in (0.25, 4.0)
    }
    d = {lv: v[0] - v[1] for lv, v in by.items()}
    for c in opt.levels:
        if c is opt.winner:
            continue
        if opt.reference_is_best:  # against an exact 0: the level's own t interval
            want = t_interval(d[c.level])
            assert c.shortfall.mean == pytest.approx(d[c.level].mean())
        else:
            ci = sps.ttest_ind(d[c.level], d[opt.winner.level], equal_var=False)
            want = tuple(ci.confidence_interval(0.95))
            diff = d[c.level].mean() - d[opt.winner.level].mean()
            assert c.shortfall.mean == pytest.approx(diff)
        assert (c.shortfall.low, c.shortfall.high) == pytest.approx(want)
    doc = json.loads((result.out / "summary.json").read_text())["optimum"]
    assert doc["paired"] is False and doc["shortfall_ci"] == "Welch (unpaired) t"
