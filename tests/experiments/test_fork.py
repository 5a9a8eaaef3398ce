"""Forks of stored runs: re-simulated from the store, checked against its prefix, stored beside.

What must hold: a fork with no change is its parent, event for event (the same
digest); a fork records its parent, day, change and verified prefix; a run of
another orgsim version, or whose stored prefix this orgsim does not reproduce, is
refused with a message naming the run, the store and the reason; and the paired
comparison of forks with their parents is the one a hand computation from the
stored logs' metrics gives.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import attrs
import numpy as np
import pytest

import orgsim
import orgsim.engine.run as engine_run
from orgsim import api
from orgsim._version import __version__
from orgsim.analysis.stats import paired
from orgsim.engine import events as ev
from orgsim.errors import ExperimentError, StoreError
from orgsim.experiments.fork import compare_forks, fork, measure, paired_metrics, run_ids
from orgsim.experiments.runner import run_scenario
from orgsim.metrics.catalogue import BETTER, METRIC_NAMES
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.eventstore import EventStore, ForkOrigin

HORIZON = ["horizon=200"]


def _store(path: Path, replications: int = 3) -> Path:
    for rep in range(replications):
        run_scenario("midsize", seed=5, overrides=HORIZON, replication=rep, db=path)
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store(tmp_path_factory.mktemp("fork") / "runs.sqlite")


@pytest.fixture
def store(made: Path, tmp_path: Path) -> Path:
    """A fresh copy of a store of three replications of a short midsize run (runs 1 to 3)."""
    path = tmp_path / "runs.sqlite"
    shutil.copyfile(made, path)
    return path


def test_a_fork_with_no_change_is_its_parent_exactly(store: Path) -> None:
    result = fork(store, [2], 80.0)
    (made,) = result.forks
    with EventStore(store, readonly=True) as s:
        parent, child = s.run(2), s.run(made.run_id)
        parent_log, child_log = s.log(2), s.log(made.run_id)
    assert made.run_id == 4
    assert child.digest == parent.digest == made.digest
    assert child_log.digest() == parent_log.digest()
    assert (child.seed, child.replication, child.broker) == (5, 1, parent.broker)
    assert made.metrics == made.parent_metrics
    # the origin is recorded, and the prefix digest is the parent's log's before day 80
    assert child.fork == ForkOrigin(
        parent_run=2,
        fork_at=80.0,
        changes={"set": [], "intervene": []},
        prefix_digest=parent_log.digest(before=80.0),
        prefix_events=parent_log.prefix(80.0),
    )
    assert child.parent_run == 2 and parent.fork is None and parent.parent_run is None
    assert 0 < child.fork.prefix_events < child.events
    assert result.table == {}  # one pair: no CI


def test_forking_all_forks_every_run_but_the_forks(store: Path) -> None:
    fork(store, [1], 50.0)  # run 4, a fork of run 1
    result = fork(store, "all", 120.0)
    assert [(f.parent.run_id, f.run_id) for f in result.forks] == [(1, 5), (2, 6), (3, 7)]
    assert all(f.digest == f.parent.digest for f in result.forks)
    with EventStore(store, readonly=True) as s:
        assert [r.run_id for r in s.forks()] == [4, 5, 6, 7]
        assert [r.run_id for r in s.forks(parent=1)] == [4, 5]
    # three pairs: a table, every difference 0 (no change), nothing significant
    c = result.table["net_value"]
    assert c.diff.n == 3 and c.diff.mean == 0.0 and c.diff.half_width == 0.0
    assert not any(x.significant for x in result.table.values())


def test_a_run_of_another_orgsim_version_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.sqlite"
    with monkeypatch.context() as m:
        m.setattr(engine_run, "__version__", "0.2.9")  # the run's RunStarted says 0.2.9
        run_scenario("midsize", seed=5, overrides=HORIZON, db=path)
    with EventStore(path, readonly=True) as s:
        assert s.log(1)[0].orgsim_version == "0.2.9"
    with pytest.raises(StoreError) as caught:
        fork(path, [1], 50.0)
    text = str(caught.value)
    assert "run 1" in text and str(path) in text
    assert "orgsim 0.2.9" in text and f"orgsim {__version__}" in text
    with EventStore(path, readonly=True) as s:
        assert len(s.runs()) == 1  # nothing was written


def _doctored(store: Path, seq: int) -> int:
    """Save run 1 again with one event before day 100 changed: a log nobody simulated."""
    with EventStore(store) as s:
        events = list(s.log(1))
        scenario = parse_scenario(s.scenario(1))
        e = events[seq]
        assert isinstance(e, ev.EmployeeHired)
        events[seq] = attrs.evolve(e, salary=e.salary + 1.0)
        return s.save(events, scenario=scenario)


def test_a_prefix_this_orgsim_does_not_reproduce_is_refused(store: Path) -> None:
    with EventStore(store, readonly=True) as s:
        hired = [e for e in s.log(1) if isinstance(e, ev.EmployeeHired) and 10 < e.time < 100]
    target = hired[0]
    doctored = _doctored(store, target.seq)
    with pytest.raises(StoreError) as caught:
        fork(store, [doctored], 100.0)
    text = str(caught.value)
    assert f"run {doctored}" in text and str(store) in text
    assert f"first at seq {target.seq} (EmployeeHired, with other values)" in text
    # before the doctored event the prefix is the simulated one, but a fork with no
    # change must be the whole stored run, and is not
    with pytest.raises(StoreError) as caught:
        fork(store, [doctored], target.time)
    text = str(caught.value)
    assert f"with no change, it differs from the stored run after day {target.time:g}" in text
    assert f"first at seq {target.seq} (EmployeeHired, with other values)" in text
    with EventStore(store, readonly=True) as s:
        assert len(s.runs()) == 4  # nothing written


def test_refusals_name_the_run_and_the_reason(store: Path) -> None:
    with EventStore(store) as s:
        bare = s.save(s.log(1))  # no scenario kept
    cases = {
        f"run {bare} was stored without its scenario": ([bare], 10.0),
        "is not before run 1's end at day 200": ([1], 200.0),
        "has no run 9, 12 (runs 1 to 4)": ([9, 1, 12], 10.0),
    }
    for message, (runs, at) in cases.items():
        with pytest.raises(StoreError, match=re.escape(message)):
            fork(store, runs, at)
    fork(store, [1], 10.0)  # run 5
    with pytest.raises(StoreError, match="run 5 is a fork of run 1 at day 10: no change"):
        fork(store, [5], 20.0)
    with pytest.raises(StoreError, match="no such event store"):
        fork(store.with_name("missing.sqlite"), [1], 10.0)
    for at in (-1.0, math.nan, math.inf, "10", True):
        with pytest.raises(ExperimentError, match="--at must be a day"):
            fork(store, [1], at)  # type: ignore[arg-type]
    with EventStore(store, readonly=True) as s:
        assert len(s.runs()) == 5  # no refusal wrote anything


def test_run_ids() -> None:
    assert run_ids([3, "1", "3"]) == [3, 1]
    assert run_ids("all") is None and run_ids(["ALL"]) is None
    for bad in (["x"], [0], ["-2"], [], [True], ["all", 1]):
        with pytest.raises(ExperimentError, match="--run"):
            run_ids(bad)


def test_compare_of_forks_is_the_paired_statistics_of_the_stored_metrics(store: Path) -> None:
    """Stored forks whose logs differ from their parents' (here, hand-made ones: another
    replication's log recorded as a fork), paired parent by parent, as a hand computation."""
    pairs = {1: 2, 2: 3, 3: 1}  # parent -> the run whose log is saved as its "fork"
    with EventStore(store) as s:
        logs = {r: s.log(r) for r in pairs}
        for parent, other in pairs.items():
            origin = ForkOrigin(
                parent_run=parent,
                fork_at=30.0,
                changes={"set": ["x=1"], "intervene": []},
                prefix_digest="-",
                prefix_events=0,
            )
            scenario = parse_scenario(s.scenario(other))
            s.save(logs[other], scenario=scenario, metadata={"fork": origin.to_dict()})
    (found,) = compare_forks(store)
    assert found.at == 30.0 and found.changes == {"set": ["x=1"], "intervene": []}
    assert [(f.parent.run_id, f.run_id) for f in found.forks] == [(1, 4), (2, 5), (3, 6)]
    for name in ("net_value", "features_shipped", "ceo_hours"):
        fork_values = np.array([metrics(logs[pairs[p]])[name] for p in (1, 2, 3)])
        parent_values = np.array([metrics(logs[p])[name] for p in (1, 2, 3)])
        d = fork_values - parent_values
        c = found.table[name]
        assert c.diff.mean == pytest.approx(d.mean())
        assert c.diff.sd == pytest.approx(d.std(ddof=1))
        assert c.on.mean == pytest.approx(fork_values.mean())
        assert c.off.mean == pytest.approx(parent_values.mean())
        reference = paired(fork_values, parent_values, better=BETTER[name])
        assert (c.diff.low, c.diff.high) == pytest.approx((reference.diff.low, reference.diff.high))
    # the metrics are one family, Holm-adjusted as compare's are: no p goes down
    tested = [c for c in found.table.values() if not math.isnan(c.p_value)]
    assert found.correction == "holm" and len(tested) > 10
    assert all(c.p_adjusted >= c.p_value for c in tested)


def test_compare_groups_forks_by_change_and_day(store: Path) -> None:
    fork(store, [1, 2], 40.0)
    fork(store, [3], 40.0)
    fork(store, [1, 2], 60.0)
    found = compare_forks(store)
    assert [(c.at, [f.run_id for f in c.forks]) for c in found] == [
        (40.0, [4, 5, 6]),
        (60.0, [7, 8]),
    ]
    with pytest.raises(StoreError, match="holds no fork"):
        compare_forks(_store(store.with_name("plain.sqlite"), 1))


def test_paired_metrics_lay_out_the_catalogue_then_extras(store: Path) -> None:
    result = fork(store, [1, 2], 30.0)
    on, off = paired_metrics(result.forks)
    with EventStore(store, readonly=True) as s:
        expected = measure(s.log(1))
    assert set(on) == set(off) >= set(expected)
    assert list(on)[: len(METRIC_NAMES)] == list(METRIC_NAMES)
    assert on["net_value"][0] == expected["net_value"] == off["net_value"][0]


def test_api_fork_is_the_experiment(store: Path) -> None:
    result = api.fork(store, "1", 25.0)
    assert result.forks[0].digest == result.forks[0].parent.digest
    assert [c.pairs for c in api.compare_forks(store)] == [1]


def test_a_fork_record_that_does_not_read_is_named_as_damage(store: Path) -> None:
    with EventStore(store) as s:
        s.save(s.log(1), scenario=parse_scenario(s.scenario(1)), metadata={"fork": {"x": 1}})
    damaged = r"is damaged: run 4: .*fork record does not read"
    with EventStore(store, readonly=True) as s, pytest.raises(StoreError, match=damaged):
        s.runs()
    assert ForkOrigin.from_metadata({"metrics": {}}) is None
    origin = ForkOrigin(
        parent_run=3,
        fork_at=12.5,
        changes={"set": ["a=1"], "intervene": ["appoint"]},
        prefix_digest="d",
        prefix_events=7,
    )
    assert ForkOrigin.from_metadata({"fork": origin.to_dict()}) == origin
    assert origin.describe() == "fork of run 3 at day 12.5: a=1; appoint"


def test_the_package_exports_fork() -> None:
    assert orgsim.fork is api.fork and "fork" in orgsim.__all__
