"""Run-size limits: designs counted before they are built, runs estimated before they start.

The runaway cases run the CLI in a subprocess with its address space capped
(``RLIMIT_AS``) and a timeout, so a regression fails the test instead of eating the
machine's memory.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from orgsim.engine.run import simulate
from orgsim.errors import ExperimentError
from orgsim.experiments import compare as comparison
from orgsim.experiments import limits
from orgsim.experiments.sweep.design import design_points, design_size, sweep_runs
from orgsim.experiments.sweep.spec import parse_sweep
from orgsim.scenario.loading import load_scenario

AS_LIMIT = 2 * 1024**3
"""Address-space cap of the runaway subprocesses: a regression dies of MemoryError."""


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def orgsim(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m orgsim ARGV`` with ~2 GB of address space and 120 s at most."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "orgsim", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_capped,
    )


def write_sweep(tmp_path: Path, body: str, name: str = "big.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'base = "midsize"\nreplications = 2\n{body}')
    return path


RANGE = '[[parameters]]\npath = "conflicts.intensity"\nlow = 0.5\nhigh = 2.0\n'
TWO = RANGE + '[[parameters]]\npath = "broker.mediators"\nlow = 1\nhigh = 6\n'


def refused(proc: subprocess.CompletedProcess[str]) -> str:
    """Exit 2 with one orgsim error line and no traceback; that line."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("orgsim: error: ")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


# ------------------------------------------------------------------ runaway designs


@pytest.mark.parametrize(
    ("body", "count"),
    [
        ('design = "lhs"\npoints = 1000000000\n' + RANGE, "1,000,000,000 design points"),
        (RANGE + "steps = 1000000000\n", "1,000,000,000 design points"),
        ('design = "sobol"\npoints = 1073741824\n' + TWO, "4,294,967,296 design points"),
        ('design = "morris"\npoints = 1000000000\n' + TWO, "3,000,000,000 design points"),
    ],
    ids=["lhs", "grid", "sobol", "morris"],
)
def test_runaway_design_is_refused_with_its_count(tmp_path: Path, body: str, count: str) -> None:
    # Before: lhs reached 23.5 GB in 43 s, the grid 8 GB in 30 s (MemoryError here).
    file = write_sweep(tmp_path, body)
    line = refused(orgsim("sweep", str(file), "--executor", "serial", cwd=tmp_path))
    assert count in line
    assert "--allow-large" in line
    assert not (tmp_path / "out").exists()  # nothing written before the inputs are good


def test_a_grid_of_many_steps_on_a_short_integer_range_is_small(tmp_path: Path) -> None:
    """An integer range has at most high - low + 1 levels, however many steps."""
    spec = parse_sweep(
        {
            "base": "midsize",
            "parameters": [{"path": "broker.mediators", "low": 1, "high": 4, "steps": 10**9}],
        }
    )
    assert design_size(spec) == 4
    tracemalloc.start()
    points = design_points(spec)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [p.values["broker.mediators"] for p in points] == [1, 2, 3, 4]
    assert peak < 10 * 1024**2


def test_a_billion_points_parse_cheaply() -> None:
    """Parsing allocates nothing per point: the design is only counted."""
    tracemalloc.start()
    specs = [
        parse_sweep({"base": "midsize", "design": "lhs", "points": 10**9, "parameters": p})
        for p in ([{"path": "conflicts.intensity", "low": 0.5, "high": 2.0}],)
    ]
    specs.append(
        parse_sweep(
            {
                "base": "midsize",
                "parameters": [
                    {"path": "conflicts.intensity", "low": 0.5, "high": 2.0, "steps": 10**9}
                ],
            }
        )
    )
    sizes = [design_size(s) for s in specs]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sizes == [10**9, 10**9]
    assert peak < 50 * 1024**2


@pytest.mark.parametrize(
    "data",
    [
        {"design": "lhs", "points": 7},
        {"design": "sobol", "points": 4},
        {"design": "morris", "points": 3},
        {"design": "grid"},
    ],
    ids=["lhs", "sobol", "morris", "grid"],
)
def test_design_size_counts_what_is_built(data: dict[str, Any]) -> None:
    params: list[dict[str, Any]] = [
        {"path": "conflicts.intensity", "low": 0.5, "high": 2.0},
        {"path": "broker.mediators", "low": 1, "high": 3},
        {"path": "broker.enabled", "levels": [True, False]},
    ]
    if data["design"] == "grid":
        params[0]["steps"] = 3
        params[1]["steps"] = 7  # more steps than integers: 3 levels
    spec = parse_sweep({"base": "midsize", "paired": False, **data, "parameters": params})
    points = design_points(spec)
    assert design_size(spec) == len(points)
    assert sweep_runs(spec) == len(points) * spec.replications


def test_limits_are_checked_before_anything_is_built() -> None:
    spec = parse_sweep(
        {
            "base": "midsize",
            "design": "lhs",
            "points": 10**9,
            "parameters": [{"path": "conflicts.intensity", "low": 0.5, "high": 2.0}],
        }
    )
    with pytest.raises(ExperimentError) as info:
        limits.check_sweep(spec)
    message = str(info.value)
    assert "1,000,000,000 design points (limit 10,000)" in message
    assert "20,000,000,000 runs (limit 100,000)" in message
    assert "TiB of memory (limit 2.0 GiB)" in message
    assert limits.check_sweep(spec, allow_large=True).points == 10**9


def test_allow_large_lets_a_moderately_large_sweep_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the limit lowered to 2 points, a 4-point sweep is refused, then confirmed."""
    monkeypatch.setattr(limits, "MAX_POINTS", 2)
    file = write_sweep(
        tmp_path,
        "[overrides]\nhorizon = 120.0\n"
        '[[parameters]]\npath = "conflicts.intensity"\nlevels = [0.5, 1.0, 2.0, 4.0]\n',
    )
    out = tmp_path / "out"
    argv = ["sweep", str(file), "--executor", "serial", "--out", str(out), "--no-charts"]
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert "4 design points (limit 2)" in err and "--allow-large" in err
    assert not out.exists()
    assert cli([*argv, "--allow-large", "--json"]) == 0
    assert (out / "points.csv").read_text().count("\n") == 5


# ------------------------------------------------------------------ compare's --runs


def test_compare_with_a_billion_runs_is_refused(tmp_path: Path) -> None:
    line = refused(orgsim("compare", "startup", "--runs", "1000000000", "--out", "o", cwd=tmp_path))
    assert "2,000,000,000 runs (limit 100,000)" in line
    assert "--allow-large" in line
    assert not (tmp_path / "o").exists()


def test_compare_with_a_huge_cap_is_refused(tmp_path: Path) -> None:
    line = refused(
        orgsim("compare", "startup", "--precision", "0.05", "--max-runs", "10000000", cwd=tmp_path)
    )
    assert "20,000,000 runs (limit 100,000)" in line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-runs", "-5"], "--max-runs must be an integer >= 2, got -5"),
        (["--max-runs", "1"], "--max-runs must be an integer >= 2, got 1"),
        (
            ["--runs", "30", "--max-runs", "10", "--precision", "0.1"],
            "--max-runs (10) is below --runs (30)",
        ),
        (["--runs", "30", "--max-runs", "10"], "--max-runs (10) is below --runs (30)"),
    ],
)
def test_bad_max_runs_is_refused(
    tmp_path: Path, cli: Any, one_line_error: Any, argv: list[str], message: str
) -> None:
    # Before: -5 was accepted, and a cap below --runs silently raised to it.
    out = tmp_path / "o"
    line = one_line_error(cli(["compare", "startup", "--out", str(out), *argv]))
    assert message in line
    assert not out.exists()


def test_max_runs_defaults_to_at_least_runs(
    monkeypatch: pytest.MonkeyPatch, cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --max-runs, the cap is 1000 or --runs, whichever is larger."""
    seen: dict[str, Any] = {}

    def fake(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        raise ExperimentError("stop here")

    monkeypatch.setattr(comparison, "check_compare", fake)
    assert cli(["compare", "startup", "--runs", "1500", "--precision", "0.1"]) == 2
    assert seen["max_runs"] == 1500
    assert cli(["compare", "startup", "--runs", "10"]) == 2
    assert seen["max_runs"] == 1000
    assert capsys.readouterr().err.count("orgsim: error: stop here") == 2


# ------------------------------------------------------------------ one huge run

HUGE = [
    f"--set=departments.{d}.staff=100000"
    for d in ("engineering", "qa", "marketing", "sales", "support", "product")
] + ["--set=horizon=36500", "--set=budget.cash=1e12"]
"""600,000 people over a century, with the cash to pay them (without it they fail in a day)."""


def test_a_run_that_would_take_hours_is_refused_up_front(tmp_path: Path) -> None:
    # Before: `orgsim run` sat silent, building a log of tens of millions of events.
    line = refused(orgsim("run", "midsize", *HUGE, "--db", "", cwd=tmp_path))
    assert "one run of midsize" in line
    assert "events" in line and "--allow-large" in line
    # it names its time in a unit of hours or more (conflicts grow with team pairs: years)
    assert re.search(r"~[\d.,]+ (h|days|years) and", line), line


def test_compare_and_sweep_estimate_their_runs_too(tmp_path: Path) -> None:
    line = refused(orgsim("compare", "midsize", *HUGE, "--runs", "2", cwd=tmp_path))
    assert "one run of midsize" in line
    file = write_sweep(
        tmp_path,
        "[overrides]\nhorizon = 36500.0\n"
        + "".join(
            f"departments.{d}.staff = 100000\n"
            for d in ("engineering", "qa", "marketing", "sales", "support", "product")
        )
        + '[[parameters]]\npath = "conflicts.intensity"\nlevels = [0.5, 1.0]\n',
    )
    line = refused(orgsim("sweep", str(file), cwd=tmp_path))
    assert "one run of" in line and "events" in line


def test_the_estimate_follows_the_bundled_scenarios() -> None:
    """Expected events within ~10% of both arms' mean over seeds; time an upper-ish guide.

    The startup runs out of cash in most runs, from day ~350 to never by seed, so its
    mean is over six seeds (each run takes ~20 ms); midsize lives on, and each of its
    runs is within 25% too.
    """
    for name, seeds in (("startup", range(1, 7)), ("midsize", range(1, 3))):
        sc = load_scenario(name)
        runs = [len(simulate(sc, seed=s, broker=b).log) for s in seeds for b in (True, False)]
        estimate = limits.estimate_run(sc)
        mean = sum(runs) / len(runs)
        assert 0.88 < estimate.events / mean < 1.12, (name, estimate.events, runs)
        if name == "midsize":
            for measured in runs:
                assert 0.75 < estimate.events / measured < 1.25, (name, estimate.events, runs)
        assert 0 < estimate.seconds < 5
        assert estimate.memory > 0
    # the runway is part of it: with the cash to live on, the startup runs longer
    rich = limits.estimate_run(load_scenario("startup", ["budget.cash=1e9"]))
    assert rich.events > 1.2 * limits.estimate_run(load_scenario("startup")).events
