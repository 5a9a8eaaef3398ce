"""``orgsim compare --explain``: the attribution table after the comparison, and in --json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import CLI, OneLineError
from orgsim.engine.context import CHANNELS
from orgsim.storage.results import ResultsDB


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("explain")


def argv(out: Path, *extra: str) -> list[str]:
    """A start-up's comparison with its attribution: 2 x 2 + 65 x 2 runs."""
    return [
        "compare",
        "startup",
        "--runs",
        "2",
        "--explain",
        "--explain-runs",
        "2",
        "--set",
        "horizon=180",
        "--executor",
        "serial",
        "--out",
        str(out),
        *extra,
    ]


@pytest.mark.slow
def test_explain_prints_the_attribution_after_the_comparison(
    out: Path, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    assert cli([*argv(out), "--no-charts"]) == 0  # the waterfall: test_attribution.py
    text = capsys.readouterr().out
    assert text.index("Verdict") < text.index("Where the broker's effect on net value comes from")
    flat = re.sub(r"\s+", " ", text)
    assert "2 replications (seed 1) of each of the 64 coalitions of its 6 channels" in flat
    table = text[text.index("Where the broker") :]
    for channel in CHANNELS:
        assert re.search(rf"^\s*{channel}\s", table, re.MULTILINE), channel
    for row in ("total (on − off)", "interaction", "v(∅)", "Δ Value shipped", "Δ net value"):
        assert row in table
    with ResultsDB(out / "results.sqlite") as db:
        kinds = sorted(p["kind"] for p in db.provenance())
    assert kinds == ["attribution", "compare"]


@pytest.mark.slow
def test_explain_json_carries_the_attribution(
    out: Path, capsys: pytest.CaptureFixture[str], cli: CLI
) -> None:
    # the same --out: every run is committed already, so this one only reads them
    assert cli([*argv(out), "--json", "--no-charts"]) == 0
    doc = json.loads(capsys.readouterr().out)
    got = doc["attribution"]
    assert (got["scenario"], got["seed"], got["runs"]) == ("startup", 1, 2)
    assert list(got["channels"]) == list(CHANNELS)
    shapley = sum(c["shapley"]["mean"] for c in got["channels"].values())
    assert shapley == pytest.approx(got["total"]["mean"], abs=1e-6)
    assert got["empty"]["mean"] == 0.0
    parts = sum(t["mean"] for t in got["accounting"].values())
    assert parts == pytest.approx(got["total"]["mean"], abs=1e-6)
    # the total is the comparison's own paired difference: the same replications
    assert got["total"]["mean"] == pytest.approx(
        doc["metrics"]["net_value"]["diff"]["mean"], rel=1e-12
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "--explain-runs must be an integer >= 2, got 0"), ("x", "invalid int value: 'x'")],
)
def test_bad_explain_runs_exit_2_with_one_line(
    tmp_path: Path, value: str, message: str, cli: CLI, one_line_error: OneLineError
) -> None:
    args = ["compare", "startup", "--runs", "2", "--explain-runs", value]
    rc = cli([*args, "--out", str(tmp_path / "never")])
    assert message in one_line_error(rc)
    assert not (tmp_path / "never").exists()  # refused before anything was written
