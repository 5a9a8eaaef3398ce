"""``orgsim explore``: bad files exit 2 with a clear message; a run prints its answers; resume."""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CLI, OneLineError
from orgsim import api
from orgsim.experiments.explore.spec import load_explore
from orgsim.reporting.explore import prim_lines
from orgsim.storage.results import RunRecord

TINY = """
name = "tiny"
base = "startup"
points = 4
replications = 2
seed = 5
metrics = ["net_value", "value_shipped"]

[overrides]
horizon = 120.0

[[uncertainties]]
path = "conflicts.drag"

[[uncertainties]]
path = "scale"
low = 0.5
high = 2.0
distribution = "log-uniform"

[levers.no-broker]
"broker.enabled" = false

[levers.vp]
"broker.mediators" = 1
"""


def write(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    file = tmp_path / name
    file.write_text(text)
    return file


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('path = "conflicts.drag"', 'path = "conflicts.dreg"'),
            "uncertainties.0.path: unknown parameter 'conflicts.dreg'; did you mean "
            "'conflicts.drag'?",
        ),
        (("low = 0.5", "low = 2.0"), "uncertainties.1.high: must be > low (2.0), got 2.0"),
        (
            ('"broker.mediators" = 1', '"broker.mediatrs" = 1'),
            "levers.vp.broker.mediatrs: unknown parameter 'broker.mediatrs'; did you mean "
            "'broker.mediators'?",
        ),
        (("points = 4", "points = 20000"), "this ensemble is too large: 20,000 design points"),
        (("points = 4", 'points = 4\nfocus = "no-broker"'), "focus: 'no-broker' is the reference"),
    ],
)
def test_a_bad_explore_file_is_one_line_and_exit_2(
    tmp_path: Path, cli: CLI, one_line_error: OneLineError, edit: tuple[str, str], message: str
) -> None:
    file = write(tmp_path, TINY.replace(*edit))
    line = one_line_error(cli(["explore", str(file), "--out", str(tmp_path / "out")]))
    assert message in line


def test_several_problems_are_one_message(
    tmp_path: Path, cli: CLI, capsys: pytest.CaptureFixture[str]
) -> None:
    text = TINY.replace('path = "conflicts.drag"', 'path = "conflicts.dreg"').replace(
        "replications = 2", "replications = 0\ncolour = 1"
    )
    file = write(tmp_path, text)
    assert cli(["explore", str(file)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == f"orgsim: error: {file}: 3 problems:"
    assert lines[1].startswith("  - colour: unknown key")
    assert lines[2].startswith("  - replications: must be >= 1, got 0")
    assert lines[3].startswith("  - uncertainties.0.path: unknown parameter 'conflicts.dreg'")


def test_a_syntax_error_names_file_line_and_column(
    tmp_path: Path, cli: CLI, one_line_error: OneLineError
) -> None:
    file = write(tmp_path, 'base = "startup"\npoints = \n')
    assert f"{file}:2:10" in one_line_error(cli(["explore", str(file)]))


def test_scheduler_needs_dask(tmp_path: Path, cli: CLI, one_line_error: OneLineError) -> None:
    file = write(tmp_path, TINY)
    line = one_line_error(
        cli(["explore", str(file), "--executor", "local", "--scheduler", "tcp://x:1"])
    )
    assert line == "orgsim: error: --scheduler needs --executor dask"


def test_explore_prints_its_answers_and_json_is_summary_json(
    tmp_path: Path, cli: CLI, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write(tmp_path, TINY)
    out = tmp_path / "out"
    argv = ["explore", str(file), "--executor", "serial", "--out", str(out), "--no-charts"]
    assert cli(argv) == 0
    text = capsys.readouterr().out
    assert "explore tiny — base startup: 4 points × 2 levers × 2 replications = 16 runs" in text
    assert "(1) each lever against no-broker" in text
    assert "(2) regret" in text and "minimax regret" in text
    assert "(3) " in text and "(4) " in text
    doc = json.loads((out / "summary.json").read_text())
    share = doc["analysis"]["levers"]["vp"]["p_beats"]["share"]
    assert f"{share:.0%} [" in text
    assert cli([*argv, "--resume", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["analysis"] == doc["analysis"] and printed["counts"]["ran"] == 0


def test_the_api_returns_the_analysis_the_terminal_and_summary_show(tmp_path: Path) -> None:
    spec = load_explore(write(tmp_path, TINY))
    result = api.explore(spec, executor="serial", out=tmp_path / "out", charts=False)
    doc = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert doc["analysis"] == result.to_dict()["analysis"]
    assert doc["elapsed_s"] == round(result.elapsed, 3)
    assert prim_lines(result.analysis)[0].startswith("(3) ")


# ------------------------------------------------------------------ a real SIGKILL

LONG = """
name = "killed"
base = "midsize"
points = 6
replications = 2
seed = 3
metrics = ["net_value"]

[overrides]
horizon = 300.0

[[uncertainties]]
path = "conflicts.intensity"

[levers.off]
"broker.enabled" = false

[levers.on]
"""


def _committed(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_an_explore_killed_mid_run_resumes_to_the_same_results(tmp_path: Path) -> None:
    file = write(tmp_path, LONG, "killed.toml")
    out = tmp_path / "out"
    db = out / "results.sqlite"
    cmd = [sys.executable, "-m", "orgsim", "explore", str(file), "--executor", "serial"]
    cmd += ["--out", str(out), "--no-charts"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _committed(db) < 2:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "timed out waiting for the first runs"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    seen = _committed(db)
    assert 2 <= seen < 24, "the ensemble finished before it was killed"
    assert not (out / "summary.json").exists()

    resumed = api.explore(load_explore(file), executor="serial", out=out, resume=True, charts=False)
    assert resumed.ran == 24 - seen and resumed.failed == []
    clean = api.explore(load_explore(file), executor="serial", out=tmp_path / "clean", charts=False)
    assert resumed.table == clean.table
    assert resumed.analysis.to_dict() == clean.analysis.to_dict()
    assert plain(resumed.records) == plain(clean.records)


def plain(records: list[RunRecord]) -> dict[str, dict[str, float | None]]:
    """Per run key, the metrics with NaN made comparable."""
    return {
        r.key: {k: (None if math.isnan(v) else v) for k, v in r.metrics.items()} for r in records
    }
