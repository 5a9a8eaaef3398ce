"""compare's result and files, and paired_tasks' tasks, field by field."""

from __future__ import annotations

from pathlib import Path

from orgsim.experiments.compare import compare, paired_tasks
from orgsim.scenario.loading import parse_scenario

SHORT = {"horizon": 30.0, "seed": 5}


def test_the_result_keeps_the_seed_asked_for_and_the_runs_tables_are_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    result = compare(parse_scenario(SHORT), runs=2, seed=7, executor="serial", out=out)
    assert result.seed == 7  # the seed given, not the scenario's 5
    assert result.runs == 2
    assert sorted(p.name for p in out.iterdir()) == ["results.sqlite", "runs.csv", "runs.parquet"]
    assert (out / "runs.csv").read_text().count("\n") == 1 + 4  # header + 2 runs x 2 arms
    # a comparison has one design point, 0, in every run key (canonical order: by key)
    assert [(r.point, r.arm, r.replication, r.seed) for r in result.records] == [
        (0, "off", 0, 7),
        (0, "off", 1, 7),
        (0, "on", 0, 7),
        (0, "on", 1, 7),
    ]


def test_paired_tasks_are_both_arms_of_each_replication_at_point_zero() -> None:
    sc = parse_scenario(SHORT)
    tasks = paired_tasks("e", sc, 9, 2)
    assert [(t.experiment, t.point, t.arm, t.replication, t.seed) for t in tasks] == [
        ("e", 0, "on", 0, 9),
        ("e", 0, "off", 0, 9),
        ("e", 0, "on", 1, 9),
        ("e", 0, "off", 1, 9),
    ]
    assert all(t.scenario is sc and t.scenario_hash == sc.digest() for t in tasks)
    assert [t.key for t in tasks] == ["e/0/on/0/9", "e/0/off/0/9", "e/0/on/1/9", "e/0/off/1/9"]
