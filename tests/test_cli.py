"""The command line: run, compare, validate, scenarios; errors as one line and exit 2."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import orgsim
import orgsim.experiments.runner
from conftest import CLI, OneLineError
from orgsim.cli import main
from orgsim.experiments.runner import run_scenario
from orgsim.scenario.files import bundled_scenarios
from orgsim.storage.eventstore import EventStore
from orgsim.storage.results import ResultsDB

ROOT = Path(__file__).resolve().parent.parent
SHORT = ["--set", "horizon=200"]
SECTIONS = ("Delivery", "Conflicts", "Organisation", "Economics")


def same_metrics(doc: dict[str, float | None], metrics: dict[str, float]) -> None:
    assert list(doc) == list(metrics)
    for k, v in metrics.items():
        if math.isnan(v):
            assert doc[k] is None, k
        else:
            assert doc[k] == v, k


# ------------------------------------------------------------------ run


def test_run_prints_four_sections_and_stores_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    db = tmp_path / "deep" / "events.sqlite"
    rc = cli(["run", "midsize", *SHORT, "--db", str(db)])
    out = capsys.readouterr().out
    assert rc == 0
    for section in SECTIONS:
        assert re.search(rf"^\s*{section}\b", out, re.M), section
    assert "midsize with the VP PM broker — seed 1, 200 days" in out

    expected = run_scenario("midsize", overrides=["horizon=200"])
    shipped = re.search(r"Features shipped\s+([\d,]+)", out)
    assert shipped and float(shipped[1].replace(",", "")) == expected.metrics["features_shipped"]
    events = re.search(r"([\d,]+) events in", out)
    assert events and int(events[1].replace(",", "")) == len(expected.log)
    assert expected.log.digest()[:12] in out

    with EventStore(db) as store:
        (info,) = store.runs()
        assert (info.scenario, info.seed, info.broker) == ("midsize", 1, True)
        assert info.events == len(expected.log)
        assert info.scenario_hash == expected.scenario.digest()
        assert store.verify(info.run_id)
        assert info.metadata["metrics"]["value_shipped"] == expected.metrics["value_shipped"]
    assert f"stored as run {info.run_id}" in out


def test_run_appends_to_an_existing_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    db = tmp_path / "events.sqlite"
    for seed in ("1", "2"):
        assert cli(["run", "startup", "--set", "horizon=100", "--seed", seed, "--db", str(db)]) == 0
    capsys.readouterr()
    with EventStore(db) as store:
        assert [(r.seed, r.scenario) for r in store.runs()] == [(1, "startup"), (2, "startup")]


def test_run_json_matches_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    rc = cli(["run", "midsize", *SHORT, "--seed", "3", "--db", "", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0
    expected = run_scenario("midsize", seed=3, overrides=["horizon=200"])
    assert doc["scenario"] == "midsize"
    assert doc["seed"] == 3
    assert doc["broker"] is True
    assert doc["events"] == len(expected.log)
    assert doc["log_digest"] == expected.log.digest()
    assert doc["scenario_hash"] == expected.scenario.digest()
    assert doc["run_id"] is None and doc["db"] is None
    same_metrics(doc["metrics"], expected.metrics)
    assert doc["metrics"]["broker_cost"] > 0


def test_the_summary_says_when_a_company_ran_out_of_cash(
    capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    """Its first line names the day the run ended, not the horizon it never reached."""
    sc = ["--set", "budget.cash=500", "--db", ""]
    assert cli(["run", "startup", *sc]) == 0
    failed = run_scenario("startup", overrides=["budget.cash=500"])
    day = failed.metrics["time_to_failure"]
    assert failed.metrics["survived"] == 0.0 and day < 1095
    first = capsys.readouterr().out.splitlines()[0]
    assert f"ran out of cash on day {day:,.0f} of 1095" in first
    assert cli(["run", "startup", *SHORT, "--db", ""]) == 0
    assert ", 200 days," in capsys.readouterr().out.splitlines()[0]


def test_run_no_broker_switches_the_arm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    db = tmp_path / "events.sqlite"
    rc = cli(["run", "midsize", *SHORT, "--no-broker", "--db", str(db), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert doc["broker"] is False
    expected = run_scenario("midsize", broker=False, overrides=["horizon=200"])
    same_metrics(doc["metrics"], expected.metrics)
    assert doc["metrics"]["broker_cost"] == 0
    assert doc["log_digest"] != run_scenario("midsize", overrides=["horizon=200"]).log.digest()
    with EventStore(db) as store:
        (info,) = store.runs()
        assert info.broker is False
        assert doc["run_id"] == info.run_id

    rc = cli(["run", "midsize", *SHORT, "--set", "broker.enabled=false", "--broker", "--db", ""])
    out = capsys.readouterr().out
    assert rc == 0 and "with the VP PM broker" in out


# ------------------------------------------------------------------ validate


@pytest.mark.parametrize("name", ["startup", "midsize", "enterprise"])
def test_validate_bundled_scenarios(
    name: str, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    for target in (name, str(ROOT / "scenarios" / f"{name}.toml")):
        rc = cli(["validate", target])
        out = capsys.readouterr().out
        assert rc == 0
        assert out.startswith(f"{target}: valid ({name}: ")
        assert "broker on" in out


def test_validate_show_applies_overrides(capsys: pytest.CaptureFixture[str], cli: CLI) -> None:
    rc = cli(
        ["validate", "midsize", "--set", "horizon=123", "--set", "broker.mediators=3", "--show"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert doc["horizon"] == 123.0
    assert doc["broker"]["mediators"] == 3
    assert doc["name"] == "midsize"


def test_validate_malformed_toml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI, one_line_error: OneLineError
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nhorizon = 100\n[departments\nstaff = 3\n')
    line = one_line_error(cli(["validate", str(bad)]))
    match = re.match(rf"orgsim: error: {re.escape(str(bad))}:(\d+):(\d+): \S", line)
    assert match, line
    assert int(match[1]) == 3


def test_validate_unknown_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI, one_line_error: OneLineError
) -> None:
    typo = tmp_path / "typo.toml"
    typo.write_text('name = "typo"\nhorizn = 200\n')
    line = one_line_error(cli(["validate", str(typo)]))
    assert line == f"orgsim: error: {typo}: horizn: unknown key; did you mean 'horizon'?"

    line = one_line_error(cli(["validate", "midsize", "--set", "broker.mediatrs=2"]))
    assert "broker.mediatrs: unknown key; did you mean 'mediators'?" in line


def test_validate_out_of_range(
    capsys: pytest.CaptureFixture[str], cli: CLI, one_line_error: OneLineError
) -> None:
    line = one_line_error(cli(["validate", "midsize", "--set", "broker.mediators=-1"]))
    assert "broker.mediators: must be >= 0, got -1" in line


def test_validate_missing_file(
    capsys: pytest.CaptureFixture[str], cli: CLI, one_line_error: OneLineError
) -> None:
    line = one_line_error(cli(["validate", "nowhere/none.toml"]))
    assert line == "orgsim: error: no such scenario file: nowhere/none.toml"


# ------------------------------------------------------------------ scenarios


def test_scenarios_lists_the_bundled_ones(capsys: pytest.CaptureFixture[str], cli: CLI) -> None:
    rc = cli(["scenarios"])
    lines = capsys.readouterr().out.splitlines()
    assert rc == 0
    names = ["enterprise", "midsize", "scaleup", "startup"]
    assert [line.split()[0] for line in lines] == names
    assert list(bundled_scenarios()) == names
    staff = {line.split()[0]: int(line.split()[1]) for line in lines}
    assert staff == {"enterprise": 5000, "midsize": 500, "scaleup": 45, "startup": 45}
    for line in lines:
        name = line.split()[0]
        assert f"scenarios/{name}.toml" in line


# ------------------------------------------------------------------ compare


def test_compare_prints_a_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    out_dir = tmp_path / "cmp"
    argv = ["compare", "midsize", "--runs", "2", "--set", "horizon=150", "--no-charts"]
    rc = cli([*argv, "--out", str(out_dir)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "midsize: 2 paired replications (seed 1)" in out
    assert "Verdict" in out
    verdict = out[out.index("Verdict") :]
    for label in ("Value shipped:", "Net value:", "Features shipped:", "CEO hours:"):
        assert label in verdict
    assert "Common random numbers cut the variance" in out
    assert f"Results:{out_dir}/results.sqlite" in re.sub(r"\s", "", out)
    assert not list(out_dir.glob("*.png"))
    with ResultsDB(out_dir / "results.sqlite") as db:
        records = db.records()
        (prov,) = db.provenance()
    assert len(records) == 4 and all(r.status == "ok" for r in records)
    assert prov["kind"] == "compare" and prov["settings"]["runs"] == 2


def test_compare_provenance_records_the_given_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    argv = ["compare", "startup", "--runs", "2", "--set", "horizon=60", "--no-charts"]
    argv += ["--executor", "serial", "--out", str(tmp_path)]
    assert cli(argv) == 0
    capsys.readouterr()
    with ResultsDB(tmp_path / "results.sqlite") as db:
        (prov,) = db.provenance()
    assert prov["command"] == " ".join(["orgsim", *argv])


def test_compare_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI) -> None:
    argv = ["compare", "startup", "--runs", "3", "--set", "horizon=150", "--no-charts"]
    rc = cli([*argv, "--seed", "4", "--json", "--out", str(tmp_path)])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert (doc["scenario"], doc["seed"], doc["runs"], doc["charts"]) == ("startup", 4, 3, [])
    with ResultsDB(tmp_path / "results.sqlite") as db:
        records = db.records()
    on = [r.metrics["value_shipped"] for r in records if r.arm == "on"]
    off = [r.metrics["value_shipped"] for r in records if r.arm == "off"]
    row = doc["metrics"]["value_shipped"]
    assert row["on"]["mean"] == pytest.approx(sum(on) / 3)
    assert row["off"]["mean"] == pytest.approx(sum(off) / 3)
    assert row["diff"]["mean"] == pytest.approx((sum(on) - sum(off)) / 3)
    assert row["verdict"]


# ------------------------------------------------------------------ exits


def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], cli: CLI, one_line_error: OneLineError
) -> None:
    for argv in ([], ["frobnicate"], ["run"], ["run", "midsize", "--runs", "2"]):
        line = one_line_error(cli(argv))
        assert "see `orgsim" in line


def test_version(capsys: pytest.CaptureFixture[str], cli: CLI) -> None:
    assert cli(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"orgsim {orgsim.__version__}"


def test_internal_error_exits_1_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(orgsim.experiments.runner, "run_scenario", broken)
    rc = cli(["run", "midsize", "--db", ""])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.splitlines() == [
        "orgsim: internal error: RuntimeError: kaput "
        "(this is a bug; rerun with --debug for the traceback)"
    ]
    with pytest.raises(RuntimeError, match="kaput"):
        main(["--debug", "run", "midsize", "--db", ""])


def test_run_negative_seed_is_bad_input(
    capsys: pytest.CaptureFixture[str], cli: CLI, one_line_error: OneLineError
) -> None:
    one_line_error(cli(["run", "midsize", "--set", "horizon=50", "--seed", "-1", "--db", ""]))


# ------------------------------------------------------------------ real process


def orgsim_command() -> list[str]:
    if importlib.util.find_spec("orgsim.__main__") is not None:
        return [sys.executable, "-m", "orgsim"]
    script = shutil.which("orgsim") or shutil.which("orgsim", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("neither `python -m orgsim` nor an orgsim script is available")
    return [script]


@pytest.mark.slow
def test_real_process(tmp_path: Path) -> None:
    cmd = orgsim_command()
    done = subprocess.run(
        [*cmd, "run", "startup", "--set", "horizon=150", "--seed", "2", "--db", "", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    expected = run_scenario("startup", seed=2, overrides=["horizon=150"])
    assert doc["log_digest"] == expected.log.digest()
    same_metrics(doc["metrics"], expected.metrics)

    bad = subprocess.run(
        [*cmd, "validate", "missing.toml"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr == "orgsim: error: no such scenario file: missing.toml\n"

    argv = ["compare", "startup", "--runs", "2", "--set", "horizon=60", "--no-charts"]
    argv += ["--executor", "serial", "--out", "cmp"]
    done = subprocess.run(
        [*cmd, *argv], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Verdict" in done.stdout
    with ResultsDB(tmp_path / "cmp" / "results.sqlite") as db:
        (prov,) = db.provenance()
        assert len(db.records()) == 4
    assert prov["command"] == " ".join(["orgsim", *argv])


def test_run_refuses_an_empty_store_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CLI, one_line_error: OneLineError
) -> None:
    def not_now(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated before the store was checked")

    monkeypatch.setattr(orgsim.experiments.runner, "simulate", not_now)
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    line = one_line_error(cli(["run", "startup", "--db", str(empty)]))
    assert "the file is empty (0 bytes)" in line
    assert empty.read_bytes() == b""
