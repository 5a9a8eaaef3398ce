"""The sweep runner's checks: a folder holding this sweep, and when there are indices."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments.campaign import check_existing
from orgsim.experiments.sweep import run as sweep_run
from orgsim.experiments.sweep.spec import parse_sweep
from orgsim.storage.results import ResultsDB, RunRecord

EXPERIMENT = "sweep:s:abc"

SWEEP: dict[str, Any] = {"file": "sweep file", "this": "this sweep"}


def db_with(tmp_path: Path, status: str) -> ResultsDB:
    db = ResultsDB(tmp_path / "results.sqlite")
    db.commit(
        RunRecord(
            experiment=EXPERIMENT,
            scenario_hash="h",
            point=0,
            arm="on",
            replication=0,
            seed=1,
            status=status,
            error="boom" if status == "failed" else "",
        )
    )
    return db


@pytest.mark.parametrize("status", ["ok", "failed"])
def test_a_folder_with_any_run_of_this_sweep_needs_resume(tmp_path: Path, status: str) -> None:
    # a failed run is a result too: overwriting it without --resume would mix two runs
    with db_with(tmp_path, status) as db:
        with pytest.raises(ExperimentError, match="already holds results of this sweep; use"):
            check_existing(db, EXPERIMENT, tmp_path, resume=False, **SWEEP)
        check_existing(db, EXPERIMENT, tmp_path, resume=True, **SWEEP)  # allowed


def test_an_empty_folder_needs_no_resume(tmp_path: Path) -> None:
    with ResultsDB(tmp_path / "results.sqlite") as db:
        check_existing(db, EXPERIMENT, tmp_path, resume=False, **SWEEP)


def spec_of(design: str) -> Any:
    extra: dict[str, Any] = {"grid": {}, "lhs": {"points": 4}, "sobol": {"points": 4}}.get(
        design, {"points": 2}
    )
    return parse_sweep(
        {
            "base": "midsize",
            "replications": 2,
            "design": design,
            "seed": 11,
            "parameters": [
                {"path": "conflicts.intensity", "low": 0.5, "high": 2.0},
                {"path": "broker.mediators", "low": 1, "high": 3},
            ],
            **extra,
        }
    )


@pytest.fixture
def no_salib(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """SALib reported missing; analyse() records how it was called."""
    calls: list[dict[str, Any]] = []

    def analyse(problem: Any, x: Any, outputs: Any, **kwargs: Any) -> str:
        calls.append({"problem": problem, "x": x, "outputs": outputs, **kwargs})
        return "indices"

    monkeypatch.setattr(sweep_run.sensitivity, "available", lambda: False)
    monkeypatch.setattr(sweep_run.sensitivity, "analyse", analyse)
    monkeypatch.setattr(sweep_run, "design_matrix", lambda points: f"matrix of {points}")
    monkeypatch.setattr(sweep_run, "sensitivity_outputs", lambda spec, results: "outputs")
    return calls


@pytest.mark.parametrize(("design", "method"), [("sobol", "sobol"), ("morris", "morris")])
def test_a_sobol_or_morris_sweep_is_always_analysed_with_its_method(
    no_salib: list[dict[str, Any]], design: str, method: str
) -> None:
    # these designs were sampled by SALib, so it is there whatever available() says
    spec = spec_of(design)
    assert sweep_run._sensitivity(spec, ["p"], []) == "indices"  # type: ignore[arg-type]
    assert no_salib == [
        {
            "problem": spec.problem(),
            "x": "matrix of ['p']",
            "outputs": "outputs",
            "method": method,
            "seed": 11,
            "num_levels": 4,
        }
    ]


@pytest.mark.parametrize("design", ["grid", "lhs"])
def test_other_designs_without_salib_have_no_indices_and_say_why(
    no_salib: list[dict[str, Any]], design: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="orgsim"):
        assert sweep_run._sensitivity(spec_of(design), [], []) is None
    assert no_salib == []
    assert "SALib is not installed: no sensitivity analysis (orgsim[sensitivity])" in caplog.text
