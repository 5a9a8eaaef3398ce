"""check_patterns: one comparison per bundled scenario, with the caller's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orgsim.experiments import patterns
from orgsim.experiments.patterns import SCENARIOS, check_patterns


def test_each_bundled_scenario_is_compared_with_the_given_seed_and_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    judged: list[dict[str, Any]] = []

    def compare(name: str, **kwargs: Any) -> str:
        calls.append((name, kwargs))
        return f"result of {name}"

    def judge(results: dict[str, Any]) -> list[str]:
        judged.append(results)
        return ["checked"]

    def progress(record: Any) -> None:
        pass

    monkeypatch.setattr(patterns, "compare", compare)
    monkeypatch.setattr(patterns, "judge", judge)
    found = check_patterns(
        runs=6,
        seed=42,
        executor="serial",
        jobs=3,
        out=tmp_path,
        progress=progress,
        command=["orgsim", "patterns"],
    )
    assert found == ["checked"]
    assert [name for name, _ in calls] == ["startup", "midsize", "enterprise"]
    for name, kwargs in calls:
        assert kwargs == {
            "runs": 6,
            "seed": 42,  # every scenario on the caller's seed, not its own
            "executor": "serial",
            "jobs": 3,
            "out": tmp_path / name,
            "progress": progress,
            "command": ["orgsim", "patterns"],
        }
    assert judged == [{n: f"result of {n}" for n in SCENARIOS}]
