"""The columnar event store against live logs: every event type, real runs, old stores.

A stored run is the live log's columns, so reading it back must give the same
events, the same canonical digest, the same frames and the same projections,
for every event type (tuples, booleans and strings included), for both arms, and
for a company that ran out of cash. A store written by orgsim 0.2 (one JSON row
per event) still reads, and opening it to write migrates it in place.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from legacy_store import write_v2_store
from log_backends import TINY_COLUMNS_DIGEST, tiny_log

from orgsim.engine import events as ev
from orgsim.engine.columnar import Columns
from orgsim.engine.events import EVENT_TYPES, Event
from orgsim.engine.log import EventLog, log_digest
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import fold
from orgsim.errors import StoreError
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.storage.columns_codec import StoredLog
from orgsim.storage.eventstore import STORE_SCHEMA_VERSION, EventStore
from stored_columns import raw


def starved() -> Any:
    """The bundled start-up with a quarter of its cash: it runs out (tests/engine/test_cash.py)."""
    tree = load_scenario("startup").to_dict()
    return parse_scenario({**tree, "budget": {**tree["budget"], "cash": 2500.0, "cash_share": 0.3}})


@pytest.fixture(scope="module")
def runs(run_pair: dict[bool, Run]) -> dict[str, Run]:
    failed = simulate(starved(), seed=1, broker=True)
    assert isinstance(failed.log[-2], ev.CompanyFailed)
    return {"broker": run_pair[True], "no-broker": run_pair[False], "failed": failed}


@pytest.fixture(scope="module")
def stored(
    tmp_path_factory: pytest.TempPathFactory, runs: dict[str, Run]
) -> Iterator[tuple[EventStore, dict[str, int]]]:
    with EventStore(tmp_path_factory.mktemp("cols") / "events.sqlite") as s:
        yield s, {name: s.save(r.log, scenario=r.scenario) for name, r in runs.items()}


@pytest.fixture(params=["broker", "no-broker", "failed"])
def which(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# ------------------------------------------------------------- every event type

_VALUES: dict[Any, Any] = {
    int: lambda i: (-1) ** i * (i * 1_000_003 + 2**40),
    float: lambda i: -i / 3 if i % 2 else i * 1e300,
    str: lambda i: ["", "eng", "é\n✓", "sales"][i % 4],
    bool: lambda i: i % 2 == 0,
    tuple[float, ...]: lambda i: tuple(float(k) / 7 for k in range(i % 4)),
    tuple[str, ...]: lambda i: tuple(["a", "", "é", "a"][: i % 5]),
}


def every_event_type() -> list[Event]:
    """RunStarted, then one event of every other type, each field a value of its type."""
    classes = [ev.RunStarted, *(c for c in EVENT_TYPES.values() if c is not ev.RunStarted)]
    out = []
    for seq, cls in enumerate(classes):
        hints = typing.get_type_hints(cls)
        fields = {
            f.name: _VALUES[hints[f.name]](seq + k)
            for k, f in enumerate(attrs.fields(cls))
            if f.name not in ("seq", "time")
        }
        out.append(cls(seq=seq, time=seq * 0.5, **fields))
    return out


def columns_digest(events: list[Event]) -> str:
    """The canonical digest of events put into columns (no fold: they are not a run)."""
    columns = Columns()
    for e in events:
        columns.append(e)
    return columns.digest()


def test_every_event_type_round_trips(tmp_path: Path) -> None:
    events = every_event_type()
    assert {type(e) for e in events} == set(EVENT_TYPES.values())
    with EventStore(tmp_path / "e.sqlite") as s:
        run_id = s.save(events)
    with EventStore(tmp_path / "e.sqlite", readonly=True) as s:
        back = s.events(run_id)
        assert back == events
        assert [type(e) for e in back] == [type(e) for e in events]
        for e in back:
            for f in attrs.fields(type(e)):
                assert type(getattr(e, f.name)) is type(getattr(events[e.seq], f.name))
        assert log_digest(back) == log_digest(events)
        assert s.run(run_id).digest == columns_digest(events) == s.log(run_id).digest()
        assert s.verify(run_id)
        assert list(s.log(run_id)) == events
        for cls in EVENT_TYPES.values():  # one query per type reads that table alone
            assert s.events(run_id, types=[cls.__name__]) == [e for e in events if type(e) is cls]


# --------------------------------------------------------------- real runs


def test_a_stored_run_is_its_live_log(stored: tuple[EventStore, dict[str, int]], runs, which):
    store, ids = stored
    live = runs[which]
    run_id = ids[which]
    assert store.events(run_id) == list(live.log)
    assert store.run(run_id).digest == live.log.digest()
    log = store.log(run_id)
    assert isinstance(log, EventLog) and len(log) == len(live.log)
    assert log.digest() == live.log.digest()
    assert store.verify(run_id)
    for cls in {type(e) for e in live.log}:
        got, want = log.frame(cls), live.log.frame(cls)
        assert np.array_equal(got.seq, want.seq) and np.array_equal(got.time, want.time)
        for name in got.layout.fields:
            assert np.array_equal(got[name], want[name]), (cls.__name__, name)
    assert metrics(log) == pytest.approx(metrics(live.log), nan_ok=True)
    assert log.state.snapshot() == live.state.snapshot()


def test_the_stored_log_folds_its_state_only_when_asked(
    stored: tuple[EventStore, dict[str, int]], runs
) -> None:
    store, ids = stored
    log = store.log(ids["broker"])
    assert isinstance(log, StoredLog)
    slot = EventLog.__dict__["state"]
    with pytest.raises(AttributeError):
        slot.__get__(log, EventLog)  # frames and digests need no state
    log.frame(ev.FeatureShipped)
    state = log.state
    assert slot.__get__(log, EventLog) is state is log.state
    assert state.snapshot() == runs["broker"].state.snapshot()


@pytest.mark.parametrize("until", [-1.0, 0.0, 17.25, 90.0, 150.5, 1e9])
def test_reads_until_a_time_are_the_live_log_then(
    stored: tuple[EventStore, dict[str, int]], runs, which, until: float
) -> None:
    store, ids = stored
    live = runs[which]
    assert (
        store.replay(ids[which], until=until).snapshot() == fold(live.log, until=until).snapshot()
    )
    assert store.events(ids[which], end=until) == [e for e in live.log if e.time <= until]


def test_a_changed_byte_of_a_buffer_is_found(tmp_path: Path, runs) -> None:
    path = tmp_path / "e.sqlite"
    with EventStore(path) as s:
        run_id = s.save(runs["failed"].log)
    ((code, data),) = raw(
        path,
        "SELECT code, data FROM run_columns WHERE run_id = ? ORDER BY length(data) DESC LIMIT 1",
        run_id,
    )
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    raw(
        path,
        "UPDATE run_columns SET data = ? WHERE run_id = ? AND code = ?",
        bytes(flipped),
        run_id,
        code,
    )
    with EventStore(path, readonly=True) as s:
        assert s.verify(run_id) is False
        with pytest.raises(StoreError, match=f"damaged: run {run_id}: the columns of .* checksum"):
            s.events(run_id)
        with pytest.raises(StoreError, match="checksum"):
            s.log(run_id)


def test_a_list_with_a_value_of_the_wrong_kind_is_refused_whole(tmp_path: Path) -> None:
    bad = [*tiny_log()[:5], attrs.evolve(tiny_log()[5], quarter=1.5), *tiny_log()[6:]]
    with EventStore(tmp_path / "e.sqlite") as s:
        with pytest.raises(TypeError):
            s.save(bad)
        assert s.runs() == []
        assert s.run(s.save(tiny_log())).digest == TINY_COLUMNS_DIGEST


# ------------------------------------------------------------ stores of orgsim 0.2


@pytest.fixture
def old(tmp_path: Path, runs) -> tuple[Path, list[int]]:
    path = tmp_path / "old.sqlite"
    return path, write_v2_store(path, [tiny_log(), list(runs["failed"].log)])


def test_a_store_of_orgsim_0_2_reads_as_it_is(old: tuple[Path, list[int]], runs) -> None:
    path, (tiny_id, failed_id) = old
    before = path.read_bytes()
    with EventStore(path, readonly=True) as s:
        assert s.events(tiny_id) == tiny_log()
        assert s.events(failed_id) == list(runs["failed"].log)
        # their stored digests are 0.2's, over the JSON rows, and still verify
        assert s.run(tiny_id).digest == log_digest(tiny_log())
        assert s.verify(tiny_id) and s.verify(failed_id)
        assert s.log(failed_id).digest() == runs["failed"].log.digest()
        assert s.replay(failed_id, until=100.0).snapshot() == (
            fold(runs["failed"].log, until=100.0).snapshot()
        )
        assert [e.seq for e in s.events(tiny_id, types=["ConflictRaised"])] == [7, 8]
        with pytest.raises(StoreError, match="cannot save a run"):
            s.save(tiny_log())
    assert path.read_bytes() == before


def test_a_store_of_orgsim_0_2_opened_to_write_is_migrated(
    old: tuple[Path, list[int]], runs
) -> None:
    path, (tiny_id, failed_id) = old
    with EventStore(path) as s:
        new_id = s.save(runs["broker"].log)
        assert s.events(tiny_id) == tiny_log()  # the JSON runs stay and read
        assert s.verify(tiny_id) and s.verify(failed_id) and s.verify(new_id)
        assert s.run(new_id).digest == runs["broker"].log.digest()
    assert raw(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(STORE_SCHEMA_VERSION),)
    ]
    assert raw(path, "SELECT count(*) FROM events") == [(14 + len(runs["failed"].log),)]
    assert raw(path, "SELECT run_id FROM run_logs") == [(new_id,)]
    with EventStore(path, readonly=True) as s:
        assert s.events(new_id) == list(runs["broker"].log)
        assert [r.run_id for r in s.runs()] == [tiny_id, failed_id, new_id]


def test_a_tampered_json_run_still_fails_to_verify(old: tuple[Path, list[int]]) -> None:
    path, (tiny_id, _) = old
    raw(path, "UPDATE events SET time = 2.75 WHERE run_id = ? AND seq = 6", tiny_id)
    with EventStore(path, readonly=True) as s:
        assert s.verify(tiny_id) is False
