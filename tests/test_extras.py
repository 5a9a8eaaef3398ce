"""Without the optional extras, comparisons and sweeps still run and say what is missing."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

from orgsim.api import compare, sweep


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object, **kwargs: object) -> object:
        return None if name == "matplotlib" else real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_compare_without_matplotlib_skips_charts_only(
    no_matplotlib: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        result = compare(
            "startup", runs=2, overrides=["horizon=60"], out=tmp_path, executor="serial"
        )
    assert result.charts == [] and result.runs == 2
    assert not list(tmp_path.glob("*.png"))
    assert (tmp_path / "runs.csv").exists()
    assert "matplotlib is not installed" in caplog.text


def test_sweep_without_matplotlib_skips_charts_only(
    no_matplotlib: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = {
        "name": "tiny",
        "base": "startup",
        "design": "grid",
        "replications": 2,
        "paired": True,
        "metrics": ["net_value"],
        "overrides": {"horizon": 60.0},
        "parameters": [{"path": "conflicts.intensity", "levels": [0.5, 1.0]}],
    }
    with caplog.at_level(logging.WARNING):
        result = sweep(spec, out=tmp_path, executor="serial")
    assert result.charts == [] and len(result.points) == 2
    assert not list(tmp_path.glob("*.png"))
    assert "matplotlib is not installed" in caplog.text
