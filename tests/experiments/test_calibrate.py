"""Calibration: observations files, statistics from the log, recovery, resume, reproducibility.

The cases are small enough for CI: midsize over a few months, two or three
constants, populations of 20 to 40.
"""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pyabc")

from orgsim import api
from orgsim.engine.run import simulate
from orgsim.errors import ExperimentError, ScenarioError
from orgsim.experiments.calibrate.files import POSTERIOR, load_calibration
from orgsim.experiments.calibrate.observations import Observation, parse_observations
from orgsim.experiments.calibrate.sampler import Model, parameter_seed, with_parameters
from orgsim.experiments.calibrate.statistics import distance, statistics
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import load_scenario

DAYS = 150.0
TRUTH = {"talent.time_to_hire": 55.0, "conflicts.intensity": 1.6}
SPEC = (("time_to_hire", "run", 2.0), ("conflicts_raised", "quarter", 2.0))


@pytest.fixture(scope="module")
def midsize() -> Any:
    return load_scenario("midsize")


def _observed_values(midsize: Any, truth: dict[str, float], seed: int = 99) -> list[dict]:
    """Observations made by simulating the company at ``truth`` (what the example does)."""
    skeleton = parse_observations(
        {
            "days": DAYS,
            "observed": [{"metric": m, "per": p, "value": 0.0, "sd": sd} for m, p, sd in SPEC],
            "fit": [{"path": p} for p in truth],
        },
        midsize,
    )
    company = with_parameters(skeleton.scenario, skeleton.fit, truth)
    log = simulate(company, seed=seed, replication=0).log
    stats = statistics(log, skeleton.observations, DAYS, company.budget.quarter_days)
    return [
        {"metric": m, "per": p, "value": stats[o.name], "sd": sd}
        for (m, p, sd), o in zip(SPEC, skeleton.observations, strict=True)
    ]


def _write(path: Path, doc: dict[str, Any]) -> Path:
    """A TOML observations file (tomllib has no writer: the few shapes used here)."""
    lines = []
    for key in ("name", "days", "seed"):
        if key in doc:
            lines.append(f"{key} = {json.dumps(doc[key])}")
    if "abc" in doc:
        lines.append("[abc]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in doc["abc"].items()]
    if "truth" in doc:
        lines.append("[truth]")
        lines += [f'"{k}" = {v!r}' for k, v in doc["truth"].items()]
    for entry in doc["observed"]:
        lines.append("[[observed]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in entry.items()]
    for entry in doc.get("fit", []):
        lines.append("[[fit]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in entry.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _file(
    tmp: Path, midsize: Any, *, population: int = 30, generations: int = 3, **more: Any
) -> Path:
    doc = {
        "name": "small",
        "days": DAYS,
        "seed": 5,
        "observed": _observed_values(midsize, TRUTH),
        "fit": [{"path": p} for p in TRUTH],
        "abc": {"population": population, "generations": generations, "min_epsilon": 0.0},
        "truth": TRUTH,
        **more,
    }
    return _write(tmp / "observed.toml", doc)


# ------------------------------------------------------------------ the file


def test_bad_observations_are_all_reported_with_their_paths(midsize: Any) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_observations(
            {
                "days": 90,
                "structure": {"negotiation.success": 0.9, "departments.qa.staff": 10},
                "observed": [
                    {"metric": "attrition_rat", "value": 0.1, "sd": 0.01},
                    {"metric": "hires", "value": -3, "sd": 1},
                    {"metric": "on_time_rate", "value": 1.4, "sd": 0.1},
                    {"metric": "lead_time_p50", "value": 200, "sd": 10},
                    {"metric": "on_time_rate", "per": "quarter", "value": 0.5, "sd": 0},
                    {"metric": "escalations_per_quarter", "value": 3, "sd": 1},
                    {"metric": "conflicts_escalated_per_quarter", "value": 3, "sd": 1},
                    {"metric": "time_to_hire", "per": "quarter", "value": 40, "sd": 3},
                ],
                "fit": [{"path": "talent.time_to_hire", "low": -10, "high": 60}],
            },
            midsize,
        )
    text = str(info.value)
    for expected in (
        "structure.negotiation.success: is a behavioural constant",
        "observed.0.metric: unknown metric 'attrition_rat'; did you mean 'attrition_rate'?",
        "observed.1.value: hires is a count and cannot be negative, got -3",
        "observed.2.value: on_time_rate is a share from 0 to 1, got 1.4",
        "observed.3.value: lead_time_p50 of 200 days is longer than the 90-day window",
        "observed.4.sd: a measurement uncertainty must be > 0",
        "observed.4.per: 'on_time_rate' is not a sum over the window",
        "observed.5.metric: unknown metric 'escalations_per_quarter'",
        "observed.6.metric: unknown metric 'conflicts_escalated_per_quarter'; write metric = "
        "'conflicts_escalated' with per = 'quarter'",
        "observed.7.per: 'time_to_hire' is not a sum over the window",
        "fit.0.low: -10.0 is outside what the model accepts: talent.time_to_hire.mean: "
        "must be >= 0",
    ):
        assert expected in text, expected


def test_default_fit_is_every_behavioural_constant_but_the_brokers(midsize: Any) -> None:
    observed = parse_observations(
        {"observed": [{"metric": "attrition_rate", "value": 0.15, "sd": 0.02}]}, midsize
    )
    assert len(observed.fit) > 50
    assert not any(p.startswith("broker.") for p in observed.names)
    assert observed.scenario.horizon == 365.0 and not observed.scenario.broker.enabled


def test_the_cli_reports_a_bad_file_in_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('days = 100\n[[observed]]\nmetric = "on_time_rate"\nvalue = = 2\n')
    out = subprocess.run(
        [sys.executable, "-m", "orgsim", "calibrate", "midsize", str(bad)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert f"{bad}:4:" in out.stderr and "Traceback" not in out.stderr


# ------------------------------------------------------------------ statistics


def test_statistics_are_the_projections_of_the_runs_log(midsize: Any) -> None:
    observed = parse_observations(
        {
            "days": DAYS,
            "observed": [{"metric": m, "per": p, "value": 1.0, "sd": 1.0} for m, p, _ in SPEC],
            "fit": [{"path": p} for p in TRUTH],
        },
        midsize,
    )
    model = Model(
        scenario=observed.scenario, fit=observed.fit, observations=observed.observations, seed=3
    )
    got = model.run(TRUTH)
    sc = with_parameters(observed.scenario, observed.fit, TRUTH)
    assert sc.talent.time_to_hire.expected == 55.0  # type: ignore[union-attr]
    log = simulate(sc, seed=parameter_seed(3, list(TRUTH.values())), replication=0).log
    m = metrics(log)
    assert got["time_to_hire"] == m["time_to_hire"]
    # per quarter: the window's sum over its 150 / 91.25 quarters
    assert got["conflicts_raised_per_quarter"] == m["conflicts_raised"] / (150.0 / 91.25)
    assert (
        model({"talent__time_to_hire": 55.0, "conflicts__intensity": 1.6}) == got
    )  # pyabc's names: the same run


def test_distance_is_the_rms_error_in_measurement_sds() -> None:
    obs = [
        Observation(metric="time_to_hire", value=40.0, sd=2.0),
        Observation(metric="conflicts_raised", value=10.0, sd=5.0, per="quarter"),
    ]
    x = {"time_to_hire": 46.0, "conflicts_raised_per_quarter": 0.0}
    y = {"time_to_hire": 40.0, "conflicts_raised_per_quarter": 10.0}
    # errors of 3 and 2 sds: sqrt((9 + 4) / 2)
    assert distance(x, y, obs) == pytest.approx(math.sqrt(6.5), rel=1e-12)
    assert distance({**x, "time_to_hire": math.nan}, y, obs) == math.inf


# ------------------------------------------------------------------ calibration


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory, midsize: Any) -> Any:
    tmp = tmp_path_factory.mktemp("calibrated")
    return api.calibrate(
        "midsize", _file(tmp, midsize), out=tmp / "out", executor="local", jobs=2, charts=False
    )


def test_recovery_known_values_lie_in_the_90_percent_intervals(calibrated: Any) -> None:
    by_path = {s.path: s for s in calibrated.summary}
    for path, value in TRUTH.items():
        s = by_path[path]
        assert s.truth == value
        assert s.low <= value <= s.high, (path, s)
        assert s.shrinkage > 0.2, (path, s)  # the data narrowed it
    gens = calibrated.stopped.generations
    assert len(gens) == 3
    assert gens[0].epsilon > gens[-1].epsilon
    assert all(0 < g.acceptance <= 1 and 1 <= g.ess <= 30 for g in gens)
    doc = load_calibration(calibrated.out)
    assert doc["abc_id"] == calibrated.stopped.abc_id
    assert [c["name"] for c in doc["predictive_check"]] == [
        "time_to_hire",
        "conflicts_raised_per_quarter",
    ]
    assert all(5 <= c.percentile <= 95 for c in calibrated.checks), calibrated.checks


def test_uninformative_observations_leave_the_prior(tmp_path: Path, midsize: Any) -> None:
    observed = _observed_values(midsize, TRUTH)
    for entry in observed:
        entry["sd"] = 1e6
    doc = {
        "days": DAYS,
        "seed": 5,
        "observed": observed,
        "fit": [{"path": p} for p in TRUTH],
        "abc": {"population": 30, "generations": 2},  # min_epsilon 1: within the sds
    }
    result = api.calibrate(
        "midsize",
        _write(tmp_path / "o.toml", doc),
        out=tmp_path / "out",
        executor="local",
        jobs=2,
        charts=False,
    )
    for s in result.summary:
        # uniform priors: the 90% interval spans most of the range, sd about the prior's
        assert s.high - s.low > 0.6 * (s.prior_high - s.prior_low), s
        assert abs(s.shrinkage) < 0.35, s


def test_serial_local_and_dask_accept_the_same_particles(tmp_path: Path, midsize: Any) -> None:
    pytest.importorskip("distributed")
    file = _file(tmp_path, midsize, population=12, generations=2)
    posteriors = []
    for executor in ("serial", "local", "dask"):
        out = tmp_path / executor
        api.calibrate("midsize", file, out=out, executor=executor, jobs=2, charts=False)
        posteriors.append((out / POSTERIOR).read_text())
    assert posteriors[0] == posteriors[1] == posteriors[2]


def _generations(db: Path) -> int:
    if not db.exists():
        return 0
    import pyabc

    try:
        return int(pyabc.History(f"sqlite:///{db}", _id=1).max_t) + 1
    except Exception:  # the history is being written
        return 0


def test_resume_after_sigkill_keeps_the_finished_generations(tmp_path: Path, midsize: Any) -> None:
    file = _file(tmp_path, midsize, population=16, generations=4)
    whole = api.calibrate("midsize", file, out=tmp_path / "whole", executor="serial", charts=False)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orgsim",
            "calibrate",
            "midsize",
            str(file),
            "--out",
            str(out),
            "--executor",
            "local",
            "--jobs",
            "2",
            "--no-charts",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _generations(out / "abc.db") < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the calibration finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = _generations(out / "abc.db")
    assert 2 <= kept < 4
    with pytest.raises(ExperimentError, match="--resume"):
        api.calibrate("midsize", file, out=out, executor="serial", charts=False)
    resumed = api.calibrate("midsize", file, out=out, executor="serial", resume=True, charts=False)
    assert resumed.resumed
    assert [g.epsilon for g in resumed.stopped.generations] == [
        g.epsilon for g in whole.stopped.generations
    ]
    assert (out / POSTERIOR).read_text() == (tmp_path / "whole" / POSTERIOR).read_text()


def test_compare_posterior_prints_the_probability_the_broker_pays(
    calibrated: Any, tmp_path: Path
) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "orgsim",
            "compare",
            "midsize",
            "--posterior",
            str(calibrated.out),
            "--draws",
            "4",
            "--runs",
            "1",
            "--set",
            "horizon=200",
            "--out",
            str(tmp_path / "post"),
            "--no-charts",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr
    assert "the broker pays on net_value with probability" in out.stdout
    summary = json.loads((tmp_path / "post" / "summary.json").read_text())
    assert summary["counts"]["points"] == 4
    # the points are posterior particles: each drawn value is one of posterior.csv's
    particles = np.loadtxt(calibrated.out / POSTERIOR, delimiter=",", skiprows=1)
    assert particles.shape == (30, 3)
    with (tmp_path / "post" / "points.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    drawn = {float(r["talent.time_to_hire"]) for r in rows}
    assert len(rows) == 4 and drawn <= set(particles[:, 0].tolist())


def test_the_charts_plot_the_posterior_and_the_check(calibrated: Any, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from orgsim.reporting.charts.calibrate import calibration_charts

    marginals, pairs, check = calibration_charts(calibrated, tmp_path)
    assert all(p.stat().st_size > 10_000 for c in (marginals, pairs, check) for p in c.paths)
    for panel, s in zip(marginals.data["panels"], calibrated.summary, strict=True):
        widths = np.diff(panel["edges"])
        assert np.sum(panel["density"] * widths) == pytest.approx(1.0)
        assert np.sum(panel["prior"] * widths) == pytest.approx(1.0)
        assert panel["interval"] == (s.low, s.high) and panel["truth"] == s.truth
    assert pairs.data["paths"] == list(TRUTH)
    labels = [p["label"] for p in check.data["panels"]]
    assert labels == ["Time to hire (days)", "Conflicts raised (count per quarter)"]
    assert len(check.data["panels"][0]["posterior"]) == 30  # one run per posterior draw
