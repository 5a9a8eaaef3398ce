"""The columnar projections (orgsim.metrics.vectorised) equal the reference fold, bit for bit.

Every metric of the catalogue (iterated, so a new one is covered at once), every
quarterly series and every funnel count, on real runs of every bundled scenario
(small variants), both arms, several seeds, a company that runs out of cash, runs
without conflicts, CEO desks with a marginal slot or none, prefixes of logs down to
the lone ``RunStarted``, and the hand-made logs of the value tests. Values are
compared with ``==`` (NaN with NaN where both are undefined): the columnar path
does the fold's arithmetic in the fold's order, so nothing is left to a tolerance.

Logs the columns do not take (or that the fold refuses) go to the fold, which
computes or raises as it always did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orgsim
from orgsim.engine import events as ev
from orgsim.engine.columnar import Columns, Frame
from orgsim.engine.log import EventLog, replay
from orgsim.errors import EventOrderError
from orgsim.metrics import vectorised
from orgsim.metrics.catalogue import METRICS
from orgsim.metrics.columns import scan
from orgsim.metrics.projections import (
    conflict_funnel,
    metrics,
    open_conflicts_series,
    quarterly,
    reference_conflict_funnel,
    reference_metrics,
    reference_quarterly,
    wip_series,
)

# name, seed, broker, overrides: small variants of every bundled scenario
RUNS: list[tuple[str, int, bool, tuple[str, ...]]] = [
    *[("startup", s, b, ("horizon=400",)) for s in (1, 2, 3) for b in (True, False)],
    *[("midsize", s, b, ("horizon=300",)) for s in (1, 4) for b in (True, False)],
    *[("enterprise", 1, b, ("horizon=120",)) for b in (True, False)],
    # a company that runs out of cash
    *[("startup", s, b, ("budget.cash=500",)) for s in (1, 5) for b in (True, False)],
    # no conflicts at all
    *[("startup", 2, b, ("horizon=300", "conflicts.intensity=0")) for b in (True, False)],
    # the CEO's desk: a marginal slot, no full slot, one slot for many
    ("midsize", 2, False, ("horizon=300", "ceo.hours_per_week=5")),
    ("midsize", 2, False, ("horizon=300", "ceo.hours_per_week=1", "ceo.max_hours_per_week=2")),
    ("midsize", 3, True, ("horizon=300", "ceo.hours_per_week=2", "ceo.max_hours_per_week=2")),
    # a window shorter than a quarter, and one with next to nothing in it
    ("midsize", 1, True, ("horizon=40",)),
    ("startup", 1, False, ("horizon=1",)),
]


@cache
def run_log(name: str, seed: int, broker: bool, overrides: tuple[str, ...]) -> EventLog:
    log = orgsim.run_scenario(name, seed=seed, broker=broker, overrides=list(overrides)).log
    assert isinstance(log, EventLog)
    return log


def same(a: float, b: float) -> bool:
    """Equal, or both NaN (undefined on both paths)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def assert_same_projections(log: EventLog) -> None:
    """Columnar (taken, not fallen back from) == the fold over the events, on everything."""
    events = list(log)  # a plain sequence: the reference fold
    got, ref = vectorised.metrics(log), reference_metrics(events)
    assert list(got) == list(ref)
    for m in METRICS:
        assert same(got[m.name], ref[m.name]), (m.name, got[m.name], ref[m.name])
    for name in ref:
        assert type(got[name]) is float
        assert same(got[name], ref[name]), (name, got[name], ref[name])
    public = metrics(log)
    assert list(public) == list(got) and all(same(public[k], got[k]) for k in got)

    gq, rq = vectorised.quarterly(log), reference_quarterly(events)
    assert list(gq) == list(rq)
    for name, series in rq.items():
        assert gq[name].dtype == series.dtype, name
        assert np.array_equal(gq[name], series, equal_nan=True), (name, gq[name], series)

    funnel = vectorised.conflict_funnel(log)
    assert funnel == reference_conflict_funnel(events)
    assert list(funnel) == list(reference_conflict_funnel(events))
    assert conflict_funnel(log) == funnel
    # every resolution is in one of the forums the funnel names
    forums = [funnel[f"resolved_{forum}"] for forum in vectorised.RESOLUTION_FORUMS]
    assert sum(forums) == funnel["resolved"]

    for series, reference in ((wip_series, "wip"), (open_conflicts_series, "open_conflicts")):
        t, n = series(log)
        scanned = getattr(scan(events), reference)()
        assert np.array_equal(t, scanned[0]) and np.array_equal(n, scanned[1])


@pytest.mark.parametrize(("name", "seed", "broker", "overrides"), RUNS)
def test_columnar_equals_the_fold_on_real_runs(
    name: str, seed: int, broker: bool, overrides: tuple[str, ...]
) -> None:
    assert_same_projections(run_log(name, seed, broker, overrides))


def test_the_runs_cover_the_cases_they_claim() -> None:
    failed = run_log("startup", 1, True, ("budget.cash=500",))
    assert reference_metrics(list(failed))["survived"] == 0.0
    quiet = run_log("startup", 2, True, ("horizon=300", "conflicts.intensity=0"))
    assert reference_metrics(list(quiet))["conflicts_raised"] == 0.0
    no_broker = run_log("startup", 1, False, ("horizon=400",))
    assert math.isnan(reference_metrics(list(no_broker))["credibility_end"])
    # a desk that makes escalations wait: some still on it at the end
    crowded = run_log("midsize", 3, True, ("horizon=300", "ceo.hours_per_week=2"))
    assert len(crowded.frame(ev.ConflictEscalated)) > len(crowded.frame(ev.CeoReleased))


@cache
def startup_events() -> tuple[ev.Event, ...]:
    return tuple(run_log("startup", 1, True, ("horizon=400",)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_columnar_equals_the_fold_on_every_prefix(data: st.DataObject) -> None:
    events = startup_events()
    k = data.draw(st.integers(1, len(events)), label="events kept")
    assert_same_projections(replay(events[:k]))


def test_a_log_of_its_run_started_alone() -> None:
    log = replay(startup_events()[:1])
    assert_same_projections(log)
    assert vectorised.quarterly(log)["quarter_end"].size == 0


def _hand_logs() -> dict[str, list[ev.Event]]:
    """The hand-made logs of the value tests, each one the state accepts."""
    import test_projections as tp
    import test_projections_values as tv

    logs = {name: tv.build(rows) for name, rows in tv.LOGS.items()}
    logs |= {name: tp.build(getattr(tp, name)) for name in ("TINY", "QUEUE", "NOTHING")}
    return logs


@pytest.mark.parametrize("name", sorted(_hand_logs()))
def test_columnar_equals_the_fold_on_the_hand_made_logs(name: str) -> None:
    assert_same_projections(replay(_hand_logs()[name]))


# ------------------------------------------------------- what the columns refuse


class Loose:
    """Columns of events the state was never asked to accept: logs the fold may refuse."""

    def __init__(self, events: Sequence[ev.Event]) -> None:
        self.columns = Columns()
        self.events = list(events)
        for e in events:
            self.columns.append(e)

    def frame(self, cls: type[ev.Event]) -> Frame:
        return self.columns.frame(cls)

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, i: Any) -> Any:
        return self.events[i]

    def __iter__(self) -> Any:
        return iter(self.events)


def _base() -> list[ev.Event]:
    return list(startup_events())


def _with(events: list[ev.Event], cls: type[ev.Event], **fields: Any) -> list[ev.Event]:
    """The events with one more appended before ``RunEnded``, seqs renumbered."""
    *body, last = events
    extra = cls(seq=0, time=body[-1].time, **fields)
    out = [*body, extra, last]
    return [type(e)(**({**_fields(e), "seq": i})) for i, e in enumerate(out)]


def _fields(e: ev.Event) -> dict[str, Any]:
    return {"seq": e.seq, "time": e.time} | ev.payload(e)


def _first(events: list[ev.Event], cls: type[ev.Event]) -> Any:
    return next(e for e in events if isinstance(e, cls))


def _odd_logs() -> dict[str, list[ev.Event]]:
    base = _base()
    raised = _first(base, ev.ConflictRaised)
    hired = _first(base, ev.EmployeeHired)
    return {
        "unqueued mediation": _with(base, ev.MediationStarted, conflict=10**6),
        "unraised detection": _with(base, ev.ConflictDetected, conflict=10**6, channel="broker"),
        "release off the desk": _with(base, ev.CeoReleased, conflict=10**6, settled=False),
        "unplanned feature": _with(base, ev.FeatureShipped, feature=10**6, value=1.0,
                                   late_days=0.0, misaligned=0.0),
        "unknown leaver": _with(base, ev.EmployeeLeft, employee=10**6),
        "conflict raised twice": _with(base, ev.ConflictRaised, **ev.payload(raised)),
        "hired twice": _with(base, ev.EmployeeHired, **ev.payload(hired)),
        "no RunStarted first": [
            type(e)(**(_fields(e) | {"seq": i})) for i, e in enumerate(base[1:])
        ],
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(_odd_logs()))
def test_a_log_the_columns_refuse_goes_to_the_fold(name: str) -> None:
    events = _odd_logs()[name]
    loose = Loose(events)
    with pytest.raises(vectorised.NotColumnar):
        vectorised.metrics(loose)  # type: ignore[arg-type]
    try:
        expected: Any = reference_metrics(events)
    except (EventOrderError, KeyError) as exc:  # the fold refuses it: so does the public path
        with pytest.raises(type(exc)):
            metrics(loose)  # type: ignore[arg-type]
        return
    got = metrics(loose)  # type: ignore[arg-type]
    assert list(got) == list(expected)
    assert all(same(got[k], expected[k]) for k in expected)
    assert quarterly(loose).keys() == reference_quarterly(events).keys()  # type: ignore[arg-type]


def test_an_empty_log_is_refused_as_the_fold_refuses_it() -> None:
    with pytest.raises(EventOrderError, match="not nothing"):
        metrics(EventLog())
    with pytest.raises(EventOrderError, match="not nothing"):
        conflict_funnel(EventLog())


# ------------------------------------------------------------------ helpers


def test_seqsum_adds_one_by_one() -> None:
    values = np.array([1e16, 1.0, -1e16, 1.0, 0.1, 0.2, -0.0])
    s = 0.0
    for v in values.tolist():
        s += v
    assert vectorised.seqsum(values) == s
    assert vectorised.seqsum(np.zeros(0)) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=40), st.integers(1, 6))
def test_largest_before_is_a_running_order_statistic(xs: list[int], k: int) -> None:
    got = vectorised.largest_before(np.array(xs, np.int64), k)
    for i in range(len(xs)):
        before = sorted(xs[:i], reverse=True)
        assert got[i] == (before[k - 1] if len(before) >= k else -1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-5, 10**7), max_size=30, unique=True),
    st.lists(st.integers(-5, 10**7), max_size=30),
)
def test_index_of_finds_each_key(keys: list[int], wanted: list[int]) -> None:
    got = vectorised.index_of(np.array(keys, np.int64), np.array(wanted, np.int64))
    for w, g in zip(wanted, got.tolist(), strict=True):
        assert g == (keys.index(w) if w in keys else -1)


def test_index_of_refuses_a_repeated_key() -> None:
    for keys in ([1, 2, 1], [10**9, 5, 10**9]):
        with pytest.raises(vectorised.NotColumnar):
            vectorised.index_of(np.array(keys, np.int64), np.zeros(0, np.int64))
