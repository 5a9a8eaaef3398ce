"""The log contract, failing: every contract test breaks on some planted fault.

Each fault is the in-memory backend with one bug, and names the contract tests it
must break; as tests/test_layers.py does for its checker, this keeps a contract
test that can no longer fail from going unnoticed, and shows that each one pins
its own promise (a fault breaks only what it names).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Collection, Sequence
from typing import Any, ClassVar

import attrs
import pytest
from log_backends import Backend, MemoryBackend, tiny_log
from test_log_contract import LogContract

from orgsim.engine import events as ev
from orgsim.engine.events import Event, decode
from orgsim.engine.log import replay
from orgsim.engine.run import Run
from orgsim.engine.state import OrgState, fold
from orgsim.errors import EventOrderError, SchemaVersionError


class Fault(MemoryBackend):
    """The in-memory backend with one planted bug."""

    #: The contract tests the bug must make fail (and no others).
    breaks: ClassVar[tuple[str, ...]] = ()


class LosesTheLastEvent(Fault):
    breaks = (
        "test_events_read_back_in_order",
        "test_events_survive_the_stored_form_unchanged",
        "test_a_real_run_survives_the_stored_form",
        "test_filter_by_type",
        "test_filter_by_time_includes_both_ends",
        "test_an_old_event_schema_is_upcast",
    )

    def events(self, **query: Any) -> list[Event]:
        return [e for e in super().events(**query) if e.seq < len(self.log) - 1]

    def reload(self) -> list[Event]:
        return super().reload()[:-1]


class RepairsInsteadOfRefusing(Fault):
    breaks = ("test_a_seq_out_of_sequence_is_refused", "test_a_time_going_back_is_refused")

    def save(self, events: Sequence[Event]) -> None:
        fixed: list[Event] = []
        for i, e in enumerate(events):
            time = max([e.time, *(f.time for f in fixed[-1:])])
            fixed.append(attrs.evolve(e, seq=i, time=time))
        super().save(fixed)


class IgnoresTypes(Fault):
    breaks = (
        "test_filter_by_type",
        "test_filter_by_type_and_time",
        "test_a_real_run_filters_like_its_live_log",
    )

    def events(self, *, types: Collection[str] = (), **query: Any) -> list[Event]:
        return super().events(**query)


class OpenInterval(Fault):
    breaks = (
        "test_filter_by_time_includes_both_ends",
        "test_filter_by_type_and_time",
        "test_a_real_run_filters_like_its_live_log",
    )

    def events(
        self, *, types: Collection[str] = (), start: float | None = None, end: float | None = None
    ) -> list[Event]:
        return [
            e
            for e in super().events(types=types, start=start, end=end)
            if e.time != start and e.time != end
        ]


class StaleEndState(Fault):
    breaks = ("test_the_state_at_the_end", "test_a_real_run_replays_to_its_live_state")

    def state(self, until: float | None = None) -> OrgState:
        return fold(list(self.log)[:-1]) if until is None else super().state(until)


class UntilExclusive(Fault):
    breaks = (
        "test_the_state_at_a_time_includes_the_events_then",
        "test_a_real_run_replays_to_its_live_state",
    )

    def state(self, until: float | None = None) -> OrgState:
        if until is None:
            return super().state()
        return fold([e for e in self.log if e.time < until])


class IgnoresUntil(Fault):
    breaks = (
        "test_the_state_at_a_time_includes_the_events_then",
        "test_a_real_run_replays_to_its_live_state",
    )

    def state(self, until: float | None = None) -> OrgState:
        return super().state()


class DigestWithoutPayload(Fault):
    breaks = (
        "test_the_digest_is_the_digest_of_the_events",
        "test_the_digest_sees_a_changed_event",
        "test_a_real_run_keeps_its_live_digest",
    )

    def digest(self) -> str:
        return replay([ev.RunEnded(seq=e.seq, time=e.time) for e in self.log]).digest()


class IgnoresStoredVersions(Fault):
    breaks = (
        "test_a_newer_event_schema_is_refused",
        "test_an_old_event_schema_without_upcaster_is_refused",
        "test_an_old_event_schema_is_upcast",
    )

    def reload(self) -> list[Event]:
        rows = json.loads(self.stored)
        return [decode(s, t, n, ev.EVENT_TYPES[n].schema_version, d) for s, t, n, _, d in rows]


FAULTS: tuple[type[Fault], ...] = (
    LosesTheLastEvent,
    RepairsInsteadOfRefusing,
    IgnoresTypes,
    OpenInterval,
    StaleEndState,
    UntilExclusive,
    IgnoresUntil,
    DigestWithoutPayload,
    IgnoresStoredVersions,
)
CONTRACT_TESTS = sorted(n for n in vars(LogContract) if n.startswith("test_"))
TINY_TESTS = [
    n for n in CONTRACT_TESTS if "run" not in inspect.signature(getattr(LogContract, n)).parameters
]
#: A contract test failing: an assertion, a pytest.raises that did not, or an error.
FAILURES = (AssertionError, pytest.fail.Exception, EventOrderError, SchemaVersionError)


def call(
    name: str, backend: Backend, run_pair: dict[bool, Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run one contract test on ``backend``, giving it the fixtures it asks for."""
    test: Callable[..., None] = getattr(LogContract(), name)
    given = {
        "backend": backend,
        "tiny": tiny_log(),
        "run": run_pair[True],
        "monkeypatch": monkeypatch,
        "seq": 5,
    }
    test(**{p: given[p] for p in inspect.signature(test).parameters})


def test_every_contract_test_is_broken_by_some_fault() -> None:
    broken = {name for fault in FAULTS for name in fault.breaks}
    assert sorted(broken) == CONTRACT_TESTS


@pytest.mark.parametrize(
    ("fault", "name"),
    [(f, n) for f in FAULTS for n in f.breaks],
    ids=lambda x: x.__name__ if isinstance(x, type) else x.removeprefix("test_"),
)
def test_the_contract_fails_on_a_planted_fault(
    fault: type[Fault],
    name: str,
    run_pair: dict[bool, Run],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(FAILURES):
        call(name, fault(), run_pair, monkeypatch)


def test_the_faults_pass_the_rest_of_the_contract(
    run_pair: dict[bool, Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault breaks only the tests it names: each contract test pins its own promise.

    Checked on the hand-built log only (the real-run tests are slower and overlap).
    """
    unexpected = []
    for fault in FAULTS:
        for name in TINY_TESTS:
            if name in fault.breaks:
                continue
            try:
                call(name, fault(), run_pair, monkeypatch)
            except FAILURES as exc:
                unexpected.append(f"{fault.__name__} breaks {name}: {exc!r:.200}")
            finally:
                monkeypatch.undo()
    assert unexpected == []
