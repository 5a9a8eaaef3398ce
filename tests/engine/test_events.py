"""Tests of orgsim.events: every event round-trips, schema versions upcast or refuse."""

from __future__ import annotations

import json
import typing
from typing import Any

import attrs
import pytest
from attrs.exceptions import FrozenInstanceError
from hypothesis import given, settings
from hypothesis import strategies as st

from orgsim.engine import events as ev
from orgsim.engine.events import EVENT_TYPES, UPCASTERS, Event, decode, encode, payload
from orgsim.engine.state import HANDLERS
from orgsim.errors import SchemaVersionError

floats = st.floats(allow_nan=False)
texts = st.text()

#: A strategy for each field type events use; a new type must be added here.
FIELD_STRATEGIES: dict[Any, st.SearchStrategy[Any]] = {
    int: st.integers(),
    float: floats,
    str: texts,
    bool: st.booleans(),
    tuple[float, ...]: st.lists(floats, max_size=8).map(tuple),
    tuple[str, ...]: st.lists(texts, max_size=8).map(tuple),
}


def field_types(cls: type[Event]) -> dict[str, Any]:
    """The resolved type of each attrs field of an event class."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in attrs.fields(cls)}


def instances(cls: type[Event]) -> st.SearchStrategy[Event]:
    """Events of ``cls`` with arbitrary field values of the declared types."""
    return st.builds(
        cls, **{name: FIELD_STRATEGIES[hint] for name, hint in field_types(cls).items()}
    )


NAMES = sorted(EVENT_TYPES)


def test_registry_is_complete_and_consistent() -> None:
    assert len(NAMES) >= 25
    for name, cls in EVENT_TYPES.items():
        assert cls.__name__ == name
        assert issubclass(cls, Event)
        assert cls in HANDLERS, f"{name} has no state handler"
        assert cls.schema_version >= 1
        for field, hint in field_types(cls).items():
            assert hint in FIELD_STRATEGIES, f"{name}.{field}: no strategy for {hint}"
    registered = set(EVENT_TYPES.values())
    defined = {
        obj
        for obj in vars(ev).values()
        if isinstance(obj, type) and issubclass(obj, Event) and obj is not Event
    }
    assert defined == registered


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_round_trip(name: str, data: st.DataObject) -> None:
    cls = EVENT_TYPES[name]
    event = data.draw(instances(cls))
    row = encode(event)
    seq, time, type_name, version, text = row
    assert (seq, time, type_name, version) == (event.seq, event.time, name, cls.schema_version)
    assert json.loads(text).keys() == payload(event).keys()
    back = decode(*row)
    assert back == event
    assert type(back) is cls
    for field, hint in field_types(cls).items():
        assert type(getattr(back, field)) is (typing.get_origin(hint) or hint)
    assert encode(back) == row


@pytest.mark.parametrize("name", NAMES)
def test_events_are_frozen(name: str) -> None:
    cls = EVENT_TYPES[name]
    event = _some(cls)
    for field in attrs.fields(cls):
        with pytest.raises(FrozenInstanceError):
            setattr(event, field.name, getattr(event, field.name))
    with pytest.raises((FrozenInstanceError, AttributeError)):
        event.extra = 1  # type: ignore[attr-defined]


def _some(cls: type[Event]) -> Event:
    values: dict[Any, Any] = {int: 3, float: 1.5, str: "x", bool: True}
    values[tuple[float, ...]] = (1.0,)
    values[tuple[str, ...]] = ("a",)
    return cls(**{name: values[hint] for name, hint in field_types(cls).items()})


# ------------------------------------------------------------------- versions


def row_of(event: Event, version: int) -> tuple[Any, ...]:
    """The event's stored row, claiming another schema version."""
    seq, time, name, _, text = encode(event)
    return seq, time, name, version, text


def test_decode_refuses_an_unknown_type() -> None:
    with pytest.raises(SchemaVersionError, match=r"unknown event type 'MeetingHeld' at seq 4"):
        decode(4, 1.0, "MeetingHeld", 1, "{}")


def test_decode_refuses_a_newer_version() -> None:
    event = ev.ConflictDetected(seq=5, time=2.0, conflict=1, channel="broker")
    with pytest.raises(SchemaVersionError, match=r"ConflictDetected v2 at seq 5 is newer"):
        decode(*row_of(event, version=2))


def test_upcaster_is_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ev.ConflictDetected, "schema_version", 2)
    monkeypatch.setitem(
        UPCASTERS,
        ("ConflictDetected", 1),
        lambda d: {"conflict": d["conflict"], "channel": d["via"]},
    )
    old = (7, 3.5, "ConflictDetected", 1, json.dumps({"conflict": 9, "via": "surfaced"}))
    assert decode(*old) == ev.ConflictDetected(seq=7, time=3.5, conflict=9, channel="surfaced")
    new = ev.ConflictDetected(seq=8, time=4.0, conflict=2, channel="broker")
    assert encode(new)[3] == 2
    assert decode(*encode(new)) == new
    assert ev.ConflictDetected.schema_version == 2
    assert ev.ConflictRaised.schema_version == 1


def test_upcasters_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ev.MediationStarted, "schema_version", 3)
    monkeypatch.setitem(UPCASTERS, ("MediationStarted", 1), lambda d: {"case": d["id"]})
    monkeypatch.setitem(UPCASTERS, ("MediationStarted", 2), lambda d: {"conflict": d["case"]})
    v1 = (1, 1.0, "MediationStarted", 1, json.dumps({"id": 4}))
    v2 = (1, 1.0, "MediationStarted", 2, json.dumps({"case": 4}))
    expected = ev.MediationStarted(seq=1, time=1.0, conflict=4)
    assert decode(*v1) == expected
    assert decode(*v2) == expected


def test_missing_upcaster_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ev.ConflictDetected, "schema_version", 2)
    event = ev.ConflictDetected(seq=5, time=2.0, conflict=1, channel="broker")
    with pytest.raises(SchemaVersionError, match=r"ConflictDetected v1 at seq 5 cannot be upcast"):
        decode(*row_of(event, version=1))


def test_registered_upcasters_lead_somewhere() -> None:
    # An upcaster from a version no older than its class's is dead code.
    assert all(EVENT_TYPES[name].schema_version > v for name, v in UPCASTERS)
