"""One contract for every event-log backend: the in-memory log and the SQLite store.

In the manner of eventsourcing's persistence tests (``eventsourcing/tests/
persistence.py``: one abstract test case, subclassed per recorder), ``LogContract``
holds the tests and each ``Test*`` subclass supplies one backend through the
``backend`` fixture. The two APIs differ (``EventLog.append`` and
``orgsim.engine.log.replay`` against ``EventStore.save``, ``events`` and
``replay``), so each backend is seen through a small adapter
(``log_backends.Backend``).

The tests use a small hand-built log, whose filters and states are worked out by
hand and whose digest is pinned, and one real run, measured against its live log.
Each contract test is shown to fail on a planted fault in
test_log_contract_faults.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from log_backends import (
    TINY_COLUMNS_DIGEST,
    TINY_DIGEST,
    Backend,
    MemoryBackend,
    StoreBackend,
    seqs,
    tiny_log,
)

from orgsim.engine import events as ev
from orgsim.engine.events import UPCASTERS, Event, encode
from orgsim.engine.log import log_digest, replay
from orgsim.engine.run import Run
from orgsim.engine.state import OrgState, fold
from orgsim.errors import EventOrderError, SchemaVersionError

# -------------------------------------------------------------------- contract


class LogContract:
    """What every event-log backend promises; subclass it and provide ``backend``.

    Not collected itself (its name does not start with ``Test``).
    """

    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[Backend]:
        raise NotImplementedError

    @pytest.fixture
    def tiny(self) -> list[Event]:
        return tiny_log()

    @pytest.fixture
    def run(self, run_pair: dict[bool, Run]) -> Run:
        return run_pair[True]

    # ----------------------------------------------------------- round trip

    def test_events_read_back_in_order(self, backend: Backend, tiny: list[Event]) -> None:
        backend.save(tiny)
        assert seqs(backend.events()) == list(range(14))
        assert backend.events() == tiny

    def test_events_survive_the_stored_form_unchanged(
        self, backend: Backend, tiny: list[Event]
    ) -> None:
        backend.save(tiny)
        back = backend.reload()
        assert back == tiny
        assert [type(e) for e in back] == [type(e) for e in tiny]
        assert [encode(e) for e in back] == [encode(e) for e in tiny]
        head = back[0]
        assert isinstance(head, ev.RunStarted)
        assert head.stage_names == ("build", "sell")  # tuples stay tuples

    def test_a_real_run_survives_the_stored_form(self, backend: Backend, run: Run) -> None:
        backend.save(run.log)
        assert backend.reload() == list(run.log)

    # -------------------------------------------------------------- filters

    def test_filter_by_type(self, backend: Backend, tiny: list[Event]) -> None:
        backend.save(tiny)
        assert seqs(backend.events(types={"ConflictRaised"})) == [7, 8]
        assert seqs(backend.events(types=("EmployeeHired", "EmployeeLeft"))) == [3, 4, 6, 11]
        assert seqs(backend.events(types=["RunEnded"])) == [13]

    def test_filter_by_time_includes_both_ends(self, backend: Backend, tiny: list[Event]) -> None:
        backend.save(tiny)
        assert seqs(backend.events(start=10.0, end=20.0)) == [7, 8, 9, 10, 11]
        assert seqs(backend.events(start=12.75, end=12.75)) == [9]
        assert seqs(backend.events(start=35.5)) == [12, 13]
        assert seqs(backend.events(end=0.0)) == [0, 1, 2, 3, 4, 5]
        assert backend.events(start=30.0, end=20.0) == []

    def test_filter_by_type_and_time(self, backend: Backend, tiny: list[Event]) -> None:
        backend.save(tiny)
        assert seqs(backend.events(types={"EmployeeHired"}, start=0.0, end=2.5)) == [3, 4, 6]
        assert seqs(backend.events(types={"ConflictDetected"}, end=12.0)) == []

    def test_a_real_run_filters_like_its_live_log(self, backend: Backend, run: Run) -> None:
        backend.save(run.log)
        kinds = (ev.StageCompleted, ev.FeatureShipped, ev.EmployeeLeft)
        # the window's ends are instants where such events happen, so both ends count
        times = [e.time for e in run.log if isinstance(e, kinds)]
        start = min(t for t in times if t >= 50.0)
        end = min(t for t in times if t >= 60.0)
        expected = [e for e in run.log if isinstance(e, kinds) and start <= e.time <= end]
        assert expected[0].time == start and expected[-1].time == end
        names = {"StageCompleted", "FeatureShipped", "EmployeeLeft"}
        assert backend.events(types=names, start=start, end=end) == expected

    # ---------------------------------------------------------------- order

    @pytest.mark.parametrize("seq", [5, 3, 0])
    def test_a_seq_out_of_sequence_is_refused(
        self, backend: Backend, tiny: list[Event], seq: int
    ) -> None:
        bad = [*tiny[:4], attrs.evolve(tiny[4], seq=seq), *tiny[5:]]
        with pytest.raises(EventOrderError, match=f"EmployeeHired has seq {seq}, expected 4"):
            backend.save(bad)

    def test_a_time_going_back_is_refused(self, backend: Backend, tiny: list[Event]) -> None:
        bad = [*tiny[:9], attrs.evolve(tiny[9], time=9.5), *tiny[10:]]
        with pytest.raises(
            EventOrderError, match=r"ConflictDetected at seq 9 has time 9\.5, before the previous"
        ):
            backend.save(bad)

    # ---------------------------------------------------------------- state

    def test_the_state_at_the_end(self, backend: Backend, tiny: list[Event]) -> None:
        backend.save(tiny)
        state = backend.state()
        assert (state.seq, state.time, state.ended) == (13, 40.0, True)
        assert sorted(state.employees) == [1, 2]
        assert {k: c.status for k, c in state.conflicts.items()} == {0: "resolved", 1: "latent"}
        assert state.snapshot() == fold(tiny).snapshot()

    def test_the_state_at_a_time_includes_the_events_then(
        self, backend: Backend, tiny: list[Event]
    ) -> None:
        backend.save(tiny)
        at_10 = backend.state(until=10.0)
        assert (at_10.seq, sorted(at_10.conflicts)) == (8, [0, 1])
        at_20 = backend.state(until=20.0)
        assert (at_20.seq, sorted(at_20.employees)) == (11, [1, 2])
        assert backend.state(until=19.99).conflicts[0].status == "detected"
        assert backend.state(until=-1.0).snapshot() == OrgState().snapshot()

    def test_a_real_run_replays_to_its_live_state(self, backend: Backend, run: Run) -> None:
        backend.save(run.log)
        assert backend.state().snapshot() == run.state.snapshot()
        for t in (0.0, 45.25, 91.0, 200.0, 399.5):
            assert backend.state(until=t).snapshot() == fold(run.log, until=t).snapshot(), t

    # --------------------------------------------------------------- digest

    def test_the_digest_is_the_digest_of_the_events(
        self, backend: Backend, tiny: list[Event]
    ) -> None:
        backend.save(tiny)
        assert backend.digest() == TINY_COLUMNS_DIGEST

    def test_the_digest_sees_a_changed_event(self, backend: Backend, tiny: list[Event]) -> None:
        changed = [*tiny[:7], attrs.evolve(tiny[7], severity=2.5), *tiny[8:]]
        backend.save(changed)
        assert backend.digest() == replay(changed).digest() != TINY_COLUMNS_DIGEST

    def test_a_real_run_keeps_its_live_digest(self, backend: Backend, run: Run) -> None:
        backend.save(run.log)
        assert backend.digest() == run.log.digest()

    # ------------------------------------------------------- schema versions

    def test_a_newer_event_schema_is_refused(self, backend: Backend, tiny: list[Event]) -> None:
        backend.save(tiny)
        backend.stamp_version("RunEnded", 99)
        with pytest.raises(SchemaVersionError, match="RunEnded v99 at seq 13 is newer"):
            backend.reload()

    def test_an_old_event_schema_without_upcaster_is_refused(
        self, backend: Backend, tiny: list[Event]
    ) -> None:
        backend.save(tiny)
        backend.stamp_version("ConflictRaised", 0)
        with pytest.raises(SchemaVersionError, match="ConflictRaised v0 at seq 7 cannot be upcast"):
            backend.reload()

    def test_an_old_event_schema_is_upcast(
        self, backend: Backend, tiny: list[Event], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        backend.save(tiny)
        backend.stamp_version("ConflictRaised", 0)
        monkeypatch.setitem(
            UPCASTERS, ("ConflictRaised", 0), lambda d: {**d, "severity": d["severity"] * 3}
        )
        back = backend.reload()
        raised = [e for e in back if isinstance(e, ev.ConflictRaised)]
        assert [e.severity for e in raised] == [6.0, 6.0]
        assert [e for e in back if not isinstance(e, ev.ConflictRaised)] == [
            e for e in tiny if not isinstance(e, ev.ConflictRaised)
        ]


def test_tiny_digest_is_pinned() -> None:
    assert log_digest(tiny_log()) == TINY_DIGEST
    assert replay(tiny_log()).digest() == TINY_COLUMNS_DIGEST


# -------------------------------------------------------------- the backends


class TestEventLog(LogContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[Backend]:
        yield MemoryBackend()


class TestEventStore(LogContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[Backend]:
        store = StoreBackend(tmp_path / "events.sqlite")
        yield store
        store.close()
