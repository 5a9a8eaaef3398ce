"""Tests of orgsim.engine.columnar: a log in columns gives back exactly the events it took."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from orgsim.engine import events as ev
from orgsim.engine.columnar import Columns, canonical_digest, layout
from orgsim.engine.log import EventLog, log_digest, replay
from orgsim.engine.run import Run


@pytest.fixture(scope="module", params=[True, False], ids=["broker", "no-broker"])
def run(request: pytest.FixtureRequest, run_pair: dict[bool, Run]) -> Run:
    """A 400-day midsize run of each arm (every event type a real run records)."""
    return run_pair[request.param]


def columns_of(events: list[ev.Event], flush_every: int | None = None) -> Columns:
    """The events appended to fresh columns, flushed every ``flush_every`` (or once)."""
    c = Columns()
    for i, e in enumerate(events):
        c.append(e)
        if flush_every and (i + 1) % flush_every == 0:
            c.flush()
    c.flush()
    return c


def test_every_event_comes_back_equal_and_of_its_type(run: Run) -> None:
    events = [*run.log]
    back = [*columns_of(events)]
    assert back == events
    assert [type(e) for e in back] == [type(e) for e in events]
    assert log_digest(back) == log_digest(events)  # the JSON rows too: same values, same types


def test_the_columns_do_not_depend_on_how_they_were_batched(run: Run) -> None:
    events = [*run.log]
    one = columns_of(events)
    for every in (1, 7, 100):
        other = columns_of(events, every)
        assert canonical_digest(other) == canonical_digest(one)
        assert other.strings.values == one.strings.values
        assert [t.layout.name for t in other.tables] == [t.layout.name for t in one.tables]


def test_strings_and_tables_are_numbered_in_order_of_first_appearance() -> None:
    a = ev.RequisitionOpened(seq=0, time=0.0, requisition=1, department="sales")
    b = ev.EmployeeLeft(seq=1, time=0.0, employee=3)
    c = ev.RequisitionOpened(seq=2, time=1.0, requisition=2, department="eng")
    d = ev.BrokerPraised(seq=3, time=1.0, department="qa", credibility=0.5)
    cols = columns_of([a, b, c, d])
    assert cols.strings.values == ["sales", "eng", "qa"]
    assert [t.layout.name for t in cols.tables] == [
        "RequisitionOpened",
        "EmployeeLeft",
        "BrokerPraised",
    ]
    assert list(cols.codes) == [0, 1, 0, 2]
    assert list(cols.rows) == [0, 0, 1, 0]


def test_a_frame_holds_one_types_fields_as_numpy_columns(run: Run) -> None:
    shipped = [e for e in run.log if isinstance(e, ev.FeatureShipped)]
    frame = run.log.frame(ev.FeatureShipped)
    assert len(frame) == len(shipped) > 0
    assert frame.seq.tolist() == [e.seq for e in shipped]
    assert frame.time.tolist() == [e.time for e in shipped]
    assert frame["feature"].dtype == np.int64
    assert frame["value"].tolist() == [e.value for e in shipped]
    raised = [e for e in run.log if isinstance(e, ev.ConflictRaised)]
    rframe = run.log.frame(ev.ConflictRaised)
    assert rframe.text("initiator").tolist() == [e.initiator for e in raised]
    assert rframe["initiator"].dtype == np.int32
    first = raised[0].initiator
    assert (rframe["initiator"] == rframe.code(first)).sum() == sum(
        e.initiator == first for e in raised
    )
    assert rframe.code("no such department") == -1


def test_bool_and_tuple_fields_come_back_as_they_were() -> None:
    hired = ev.EmployeeHired(
        seq=0,
        time=0.0,
        employee=0,
        department="eng",
        salary=100.0,
        skill=1.0,
        resilience=0.5,
        requisition=-1,
        ramped=True,
    )
    planned = ev.FeaturePlanned(
        seq=1,
        time=0.0,
        feature=0,
        product=0,
        efforts=(1.5, 2.0, 0.25),
        value=9.0,
        due=10.0,
        epoch=0,
    )
    empty = attrs.evolve(planned, seq=2, feature=1, efforts=())
    cols = columns_of([hired, planned, empty])
    assert [*cols] == [hired, planned, empty]
    assert cols.event(0).ramped is True
    frame = cols.frame(ev.FeaturePlanned)
    assert frame.lengths("efforts").tolist() == [3, 0]
    assert frame["efforts"].tolist() == [1.5, 2.0, 0.25]
    assert cols.frame(ev.EmployeeHired)["ramped"].tolist() == [True]
    with pytest.raises(KeyError, match="not a tuple field"):
        frame.lengths("value")


def test_an_amount_passed_as_an_int_is_stored_and_read_as_a_float() -> None:
    moved = ev.BudgetTransferred(seq=0, time=0.0, source="a", destination="b", amount=3, conflict=0)
    back = next(iter(columns_of([moved])))
    assert back == moved
    assert type(back.amount) is float  # canonical: the field's kind, not how it was passed


def test_a_value_that_does_not_fit_its_kind_leaves_the_columns_as_they_were() -> None:
    good = ev.EmployeeLeft(seq=0, time=0.0, employee=1)
    cols = columns_of([good])
    before = canonical_digest(cols)
    cols.append(ev.EmployeeLeft(seq=1, time=1.0, employee=1.5))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cols.flush()
    assert canonical_digest(cols) == before
    assert len(cols.codes) == 1 and len(cols.tables[0]) == 1
    assert list(cols.tables[0].columns[0]) == [1]
    assert len(cols.pending) == 1  # still waiting, not lost


def test_a_frame_of_a_type_never_recorded_is_empty_with_its_fields() -> None:
    cols = columns_of([ev.EmployeeLeft(seq=0, time=0.0, employee=1)])
    frame = cols.frame(ev.ConflictRaised)
    assert len(frame) == 0
    assert frame["severity"].dtype == np.float64 and frame["severity"].size == 0
    assert frame["initiator"].dtype == np.int32
    with pytest.raises(KeyError, match="ConflictRaised has no field 'nope'"):
        frame["nope"]


def test_pending_events_are_readable_before_they_are_moved(run: Run) -> None:
    log = EventLog()
    events = [*run.log][:10]
    for e in events:
        log.append(e)
    assert log.columns.pending and len(log) == 10
    assert log[9] == events[9] and log[-1] == events[-1]
    assert [*log] == events
    assert log[2:5] == events[2:5]
    with pytest.raises(IndexError):
        log[10]


def test_every_event_type_has_a_layout() -> None:
    for cls in ev.EVENT_TYPES.values():
        lay = layout(cls)
        assert lay.fields == ev.payload_fields(cls)
        assert len(lay.kinds) == len(lay.fields)


def test_a_replayed_log_has_the_live_logs_digest(run: Run) -> None:
    assert replay([*run.log]).digest() == run.log.digest()
