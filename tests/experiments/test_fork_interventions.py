"""Forks with a change: the log before the day is the parent's, the change fires at it.

The integrator's test of issue 15: "an intervention at day t leaves the log before
t identical (prefix digest) to the run without it". Also: the change as the
command line gives it, refused by the scenario's own checks when it cannot apply,
deterministic, and compared with the parents, a broker appointed mid-run compared
as the fork's alone where only a broker has the metric.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orgsim.engine import events as ev
from orgsim.errors import ExperimentError, StoreError
from orgsim.experiments.fork import FORK_INTERVENTION, fork, fork_verdict, intervention_at
from orgsim.experiments.runner import run_scenario
from orgsim.scenario.interventions import Intervention
from orgsim.storage.eventstore import EventStore

AT = 60.0


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three replications of a short midsize run without the broker (runs 1 to 3)."""
    path = tmp_path_factory.mktemp("fork-change") / "off.sqlite"
    for rep in range(3):
        run_scenario(
            "midsize", seed=8, overrides=["horizon=180"], broker=False, replication=rep, db=path
        )
    return path


@pytest.fixture
def store(made: Path, tmp_path: Path) -> Path:
    path = tmp_path / "off.sqlite"
    shutil.copyfile(made, path)
    return path


def test_a_change_at_a_day_leaves_the_log_before_it_the_parents(store: Path) -> None:
    result = fork(store, [1], AT, sets=["talent.time_to_hire.mean=5"])
    (made,) = result.forks
    with EventStore(store, readonly=True) as s:
        parent, child = s.log(1), s.log(made.run_id)
    n = parent.prefix(AT)
    assert child.prefix(AT) == n == made.origin.prefix_events
    assert child.digest(before=AT) == parent.digest(before=AT) == made.origin.prefix_digest
    assert list(child)[:n] == list(parent)[:n]
    assert child.digest() != parent.digest()
    assert child[0] == parent[0]  # the parent's RunStarted: same scenario, seed, arm
    # the change is the first thing that happens at the day, and is a domain event
    fired = child[n]
    assert isinstance(fired, ev.InterventionFired) and fired.time == AT
    assert fired.name == FORK_INTERVENTION and fired.trigger == "day 60"
    changed = [e for e in child if isinstance(e, ev.ParameterChanged)]
    assert [e.time for e in changed] == [AT]
    assert made.metrics["hires"] != made.parent_metrics["hires"]  # hiring got faster


def test_the_same_fork_twice_is_the_same_run(store: Path) -> None:
    first = fork(store, [2], AT, sets=["conflicts.intensity=2"], intervene=["appoint"])
    again = fork(store, [2], AT, sets=["conflicts.intensity=2"], intervene=["appoint"])
    assert first.forks[0].digest == again.forks[0].digest != first.forks[0].parent.digest


def test_appointing_the_broker_at_a_day_compares_broker_metrics_as_the_forks_alone(
    store: Path,
) -> None:
    result = fork(store, "all", AT, intervene=["appoint"])
    assert result.changes == {"set": [], "intervene": ["appoint"]}
    with EventStore(store, readonly=True) as s:
        for f in result.forks:
            log = s.log(f.run_id)
            appointed = [e for e in log if isinstance(e, ev.BrokerAppointed)]
            assert [e.time for e in appointed] == [AT]
            assert s.run(f.run_id).fork.changes == {"set": [], "intervene": ["appoint"]}
    cred = result.table["credibility_end"]
    assert cred.broker_only and cred.on.n == 3 and cred.off.n == 0
    assert cred.verdict.startswith("exists with the broker only")
    quality = result.table["resolution_quality"]
    assert not quality.broker_only and quality.diff.n == 3
    assert not any(c.verdict.startswith("broker ") for c in result.table.values())


def test_changes_the_scenario_refuses_are_refused_by_run_before_anything_runs(
    store: Path,
) -> None:
    cases = {
        "interventions.0.set.conflicts.drag: cannot change during a run": dict(
            sets=["conflicts.drag=0.1"]
        ),
        "interventions.0.mediators: no broker is ever in office": dict(intervene=["mediators=+2"]),
    }
    for message, change in cases.items():
        with pytest.raises(StoreError) as caught:
            fork(store, [1, 2], AT, **change)
        text = str(caught.value)
        assert "run 1's scenario" in text and message in text and "\n" not in text
    with EventStore(store, readonly=True) as s:
        assert len(s.runs()) == 3


def test_intervention_at_reads_the_command_line() -> None:
    iv = intervention_at(
        12.0,
        sets=["conflicts.intensity=2.5", "talent.time_to_hire.mean = 30"],
        intervene=["appoint", "mediators=+2", "Mediators=-1"],
    )
    assert iv == Intervention(
        name="fork",
        day=12.0,
        appoint=True,
        mediators=1,
        set={"conflicts.intensity": 2.5, "talent.time_to_hire.mean": 30},
    )
    with pytest.raises(ExperimentError) as caught:
        intervention_at(
            3.0,
            sets=["nothing", "=4", "a=1", "a=2", "broker.enabled=true", "broker.mediators=3"],
            intervene=["appoint", "appoint", "mediators=0", "mediators=x", "hire"],
        )
    text = str(caught.value)
    for said in (
        "the change at day 3: ",
        "--set 'nothing': expected 'dotted.path=value'",
        "--set '=4'",
        "--set 'a=2': a is set twice",
        "--intervene appoint is given twice",
        "--set 'broker.enabled=true': use --intervene appoint",
        "--set 'broker.mediators=3': use --intervene mediators=+N",
        "--intervene 'mediators=0': mediators takes a non-zero whole number",
        "--intervene 'mediators=x'",
        "--intervene 'hire': expected appoint, mediators=+N or mediators=-N",
    ):
        assert said in text


def test_fork_verdict() -> None:
    assert fork_verdict("broker better: +3%") == "fork better: +3%"
    assert fork_verdict("no clear difference (95% CI -1 to 2)") == (
        "no clear difference (95% CI -1 to 2)"
    )
    assert fork_verdict("exists with the broker only: 3") == "exists with the broker only: 3"
