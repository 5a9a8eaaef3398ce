"""Columnar projections: every metric, quarterly series and funnel count, numpy over columns.

:func:`metrics`, :func:`quarterly` and :func:`conflict_funnel` read only
``log.frame(EventType)`` columns (:class:`~orgsim.engine.columnar.Frame`) and
compute exactly what the reference fold of :mod:`orgsim.metrics.columns` (one
Python pass over the events) computes, value for value and bit for bit: the same
definitions (docs in :mod:`orgsim.metrics.projections`), the same floating-point
operations in the same order. Where the fold adds numbers one by one, so does
this module, with a sequential ``np.cumsum`` (:func:`seqsum`) rather than numpy's
pairwise ``sum``; where the fold calls numpy, this module calls the same function
on the same array.

State that runs along the log across event types (the cash with its burn changes
and lumps, the CEO's desk, the broker's credibility, who works where) is folded
over the global order: the frames involved are concatenated by ``seq`` and the
recurrences written as sequential sums or running maxima. The CEO's desk needs
one idea of its own (:meth:`View.ceo_hours`): an escalation's share of the CEO's
hours depends only on how many escalations that arrived before it are still on
the desk, and the instant that number falls below ``k`` is the ``k``-th latest
removal among the earlier arrivals, a running order statistic computed by
``k`` running maxima.

Two things stay loops, neither over events: the budget fold runs over the
budget rows (a few per department and quarter), and the running order statistic
loops over the desk's ``full`` CEO slots (a handful).

A log whose shape the columns cannot take as the fold does (more than one
``RunStarted``, a conflict raised twice, an event naming a conflict, feature,
employee or requisition it has no right to, a release of an escalation not on
the desk: everything on which the fold raises or keys a dict twice) raises
:class:`NotColumnar`, and :mod:`orgsim.metrics.projections` hands the log to the
reference fold, which computes it or raises its own error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from orgsim.engine import events as ev
from orgsim.engine.columnar import Columns, Frame, layout
from orgsim.engine.state import DAYS_PER_WEEK, Desk, OrgState, fold
from orgsim.metrics import columns as col

FloatArray = col.FloatArray
IntArray = col.IntArray
BoolArray = col.BoolArray

NAN = math.nan

#: A seq beyond every position: "never" (an escalation still on the desk at the end).
NEVER = np.iinfo(np.int64).max // 4


class NotColumnar(Exception):
    """The log has a shape the columnar path does not take; the reference fold does."""


class Framed(Protocol):
    """What the columnar projections read: a log's frames, its length, its events."""

    def frame(self, cls: type[ev.Event]) -> Frame:
        """One event type's rows as numpy columns."""
        ...

    def __len__(self) -> int: ...

    def __getitem__(self, i: int, /) -> Any: ...


# ------------------------------------------------------------------ helpers


def seqsum(values: FloatArray) -> float:
    """``s = 0.0; for v in values: s += v``: the sum a fold makes, in its order."""
    if not values.size:
        return 0.0
    return float(np.cumsum(np.concatenate(([0.0], values)))[-1])


def index_of(keys: IntArray, wanted: IntArray) -> IntArray:
    """Row of each wanted key among ``keys``; -1 where there is none.

    Raises:
        NotColumnar: a key repeats (the fold would key a dict twice).
    """
    if not keys.size:
        return np.full(wanted.shape, -1, np.int64)
    low, high = int(keys.min()), int(keys.max())
    if low >= 0 and high < 4 * (keys.size + wanted.size) + 1024:  # identifiers: a table
        table = np.full(high + 1, -1, np.int64)
        rows = np.arange(keys.size)
        table[keys] = rows
        if not np.array_equal(table[keys], rows):
            raise NotColumnar("an identifier repeats")
        inside = (wanted >= 0) & (wanted <= high)
        return np.where(inside, table[np.clip(wanted, 0, high)], -1)
    if not distinct(keys):
        raise NotColumnar("an identifier repeats")
    order = np.argsort(keys, kind="stable")
    pos = np.minimum(np.searchsorted(keys, wanted, sorter=order), keys.size - 1)
    idx = order[pos]
    return np.where(keys[idx] == wanted, idx, -1)


def distinct(keys: IntArray) -> bool:
    """Whether no key repeats."""
    if keys.size < 2:
        return True
    s = np.sort(keys)
    return not bool(np.any(s[1:] == s[:-1]))


def by_seq(*seqs: IntArray) -> IntArray:
    """The order that merges several frames' rows (each sorted by seq) into log order."""
    return np.argsort(np.concatenate(seqs), kind="stable")


def running_max_before(x: IntArray) -> IntArray:
    """``max(x[:k])`` for each ``k`` (-1 for ``k = 0``)."""
    out = np.empty_like(x)
    if x.size:
        out[0] = -1
        np.maximum.accumulate(x[:-1], out=out[1:])
    return out


def largest_before(x: IntArray, k: int) -> IntArray:
    """The ``k``-th largest of ``x[:i]`` for each ``i`` (-1 where there are fewer).

    By induction on ``k``: the ``k``-th largest of a sequence is the largest, over
    its elements, of the element or the ``(k-1)``-th largest before it, whichever
    is smaller (the last of the top ``k`` attains it). So ``k`` running maxima.
    """
    level = np.full(x.shape, -1, np.int64)
    if k > x.size:
        return level
    level = running_max_before(x)
    for _ in range(k - 1):
        level = running_max_before(np.minimum(x, level))
    return level


def credibility_at(
    times: FloatArray, values: FloatArray, floor: float, halflife: float, at: FloatArray
) -> FloatArray:
    """:meth:`orgsim.metrics.columns.Scan.credibility_at`, from its columns."""
    if not times.size:
        return np.full(at.shape, NAN)
    idx = np.searchsorted(times, at, side="right") - 1
    safe = np.maximum(idx, 0)
    level = values[safe]
    since = at - times[safe]
    decayed = floor + (level - floor) * 0.5 ** (since / halflife)
    return np.where(idx >= 0, decayed, NAN)


def per_quarter(
    n: int, quarter_days: float, times: FloatArray, weights: FloatArray | None = None
) -> FloatArray:
    """:func:`orgsim.metrics.columns.per_quarter`, from its columns."""
    if not n:
        return np.zeros(0)
    index = np.minimum((times // quarter_days).astype(np.int64), n - 1)
    return np.bincount(index, weights=weights, minlength=n).astype(float)


def _ones(n: int) -> IntArray:
    return np.ones(n, np.int64)


# --------------------------------------------------------------------- view


def _grouping(log: Framed) -> tuple[Columns, IntArray, IntArray] | None:
    """Every position of an ``EventLog``'s columns grouped by type, in one stable sort.

    ``log.frame(cls)`` finds one type's positions with a pass over the log's type
    codes; the projections read some thirty types, so one sort of the codes (a
    radix sort: they are bytes) serves them all. ``None`` for any other log.
    """
    columns = getattr(log, "columns", None)
    if not isinstance(columns, Columns):
        return None
    log.frame(ev.RunStarted)  # moves the pending events into the columns
    codes = np.frombuffer(columns.codes, np.uint8)
    order = np.argsort(codes, kind="stable").astype(np.int64)
    bounds = np.concatenate(([0], np.cumsum(np.bincount(codes, minlength=len(columns.tables)))))
    return columns, order, bounds


class View:
    """The columns of one log that the projections share, each computed once on demand."""

    def __init__(self, log: Framed) -> None:
        self.log = log
        self.size = len(log)
        self._frames: dict[type[ev.Event], Frame] = {}
        self._group = _grouping(log)
        start = self.frame(ev.RunStarted)
        if self.size == 0 or len(start) != 1 or int(start.seq[0]) != 0:
            raise NotColumnar("the log does not start with its one RunStarted")
        self.quarter_days = float(start["quarter_days"][0])
        self.hiring_cost = float(start["hiring_cost"][0])
        self.ceo_hours_per_week = float(start["ceo_hours_per_week"][0])
        self.ceo_max_hours_per_week = float(start["ceo_max_hours_per_week"][0])
        ended = self.frame(ev.RunEnded)
        self.last_time = float(log[self.size - 1].time)
        self.end = float(ended.time[-1]) if len(ended) else self.last_time
        self.quarters = max(0, math.ceil(round(self.end / self.quarter_days, 9)))

    def frame(self, cls: type[ev.Event]) -> Frame:
        """One event type's rows (as ``log.frame`` gives them, every type's seq found at once)."""
        got = self._frames.get(cls)
        if got is None:
            got = self._frames[cls] = self._make(cls)
        return got

    def _make(self, cls: type[ev.Event]) -> Frame:
        group = self._group
        if group is None:
            return self.log.frame(cls)
        columns, order, bounds = group
        code = columns.by_class.get(cls)
        if code is None:
            return Frame(layout(cls), None, np.empty(0, np.int64), columns.strings)
        table = columns.tables[code]
        return Frame(table.layout, table, order[bounds[code] : bounds[code + 1]], columns.strings)

    # ---------------------------------------------------------- departments

    @cached_property
    def departments(self) -> tuple[IntArray, list[str]]:
        """Department codes and names in ``DepartmentFormed`` order (first formation)."""
        f = self.frame(ev.DepartmentFormed)
        codes = f["department"]
        _, first = np.unique(codes, return_index=True)
        ordered = codes[np.sort(first)]
        values = f.strings.values
        return ordered, [values[c] for c in ordered.tolist()]

    # ------------------------------------------------------------- delivery

    @cached_property
    def lead(self) -> FloatArray:
        """Days from planning to shipping, per shipped feature."""
        fp, fs = self.frame(ev.FeaturePlanned), self.frame(ev.FeatureShipped)
        idx = index_of(fp["feature"], fs["feature"])
        if np.any(idx < 0) or np.any(fp.seq[np.maximum(idx, 0)] > fs.seq):
            raise NotColumnar("a feature shipped before it was planned")
        return fs.time - fp.time[idx]

    @cached_property
    def wip(self) -> tuple[FloatArray, IntArray]:
        """Features planned and not shipped, as the fold's step function."""
        fp, fs = self.frame(ev.FeaturePlanned), self.frame(ev.FeatureShipped)
        order = by_seq(fp.seq, fs.seq)  # so that the steps' stable sort finds them sorted
        times = np.concatenate([fp.time, fs.time])[order]
        deltas = np.concatenate([_ones(len(fp)), -_ones(len(fs))])[order]
        return col.steps(times, deltas, self.end)

    def realign_waits(self) -> tuple[FloatArray, BoolArray]:
        """Market shift to the first realignment of its product reaching its epoch."""
        ms, rr = self.frame(ev.MarketShifted), self.frame(ev.RoadmapRealigned)
        stop = np.full(len(ms), NAN)
        if len(ms) and len(rr):
            follows = (
                (ms["product"][:, None] == rr["product"][None, :])
                & (ms.seq[:, None] < rr.seq[None, :])
                & (ms["epoch"][:, None] <= rr["epoch"][None, :])
            )
            followed = follows.any(axis=1)
            stop = np.where(followed, rr.time[follows.argmax(axis=1)], NAN)
        done = ~np.isnan(stop)
        stop[~done] = self.end
        return stop - ms.time, done

    # ------------------------------------------------------------- conflicts

    @cached_property
    def raised(self) -> Frame:
        """The ``ConflictRaised`` rows (each conflict raised once)."""
        cr = self.frame(ev.ConflictRaised)
        index_of(cr["conflict"], np.zeros(0, np.int64))  # checks: distinct
        return cr

    def raised_row(self, f: Frame) -> IntArray:
        """The ``ConflictRaised`` row of each row's conflict, which must come before it."""
        cr = self.raised
        idx = index_of(cr["conflict"], f["conflict"])
        if np.any(idx < 0) or np.any(cr.seq[np.maximum(idx, 0)] > f.seq):
            raise NotColumnar(f"{f.layout.name} names a conflict not raised before it")
        return idx

    @cached_property
    def detection(self) -> tuple[FloatArray, int, int]:
        """First detection time per raised conflict (nan: latent), detected, by broker."""
        cd = self.frame(ev.ConflictDetected)
        idx = self.raised_row(cd)
        conflicts, first = np.unique(idx, return_index=True)
        detect = np.full(len(self.raised), NAN)
        detect[conflicts] = cd.time[first]
        broker = int(np.count_nonzero(cd["channel"][first] == cd.code("broker")))
        return detect, int(conflicts.size), broker

    @cached_property
    def closing(self) -> tuple[FloatArray, BoolArray]:
        """Close time per raised conflict (nan: open), and whether it was resolved."""
        res, lap = self.frame(ev.ConflictResolved), self.frame(ev.ConflictLapsed)
        ri, li = self.raised_row(res), self.raised_row(lap)
        if not distinct(np.concatenate([ri, li])):
            raise NotColumnar("a conflict closed twice")
        close = np.full(len(self.raised), NAN)
        close[ri] = res.time
        close[li] = lap.time
        resolved = np.zeros(len(self.raised), bool)
        resolved[ri] = True
        return close, resolved

    def closed_or_end(self) -> FloatArray:
        """When each raised conflict closed, or the end for one still open."""
        close = self.closing[0]
        return np.where(np.isnan(close), self.end, close)

    def detect_waits(self) -> tuple[FloatArray, BoolArray]:
        """:meth:`orgsim.metrics.columns.Scan.detect_waits`, from the columns."""
        detected = self.detection[0]
        seen = ~np.isnan(detected)
        stop = np.where(seen, detected, self.closed_or_end())
        return stop - self.raised.time, seen

    def resolve_waits(self) -> tuple[FloatArray, BoolArray]:
        """:meth:`orgsim.metrics.columns.Scan.resolve_waits`, from the columns."""
        return self.closed_or_end() - self.raised.time, self.closing[1]

    @cached_property
    def open_conflicts(self) -> tuple[FloatArray, IntArray]:
        """Conflicts open, as the fold's step function (changes in log order)."""
        self.closing  # noqa: B018  (the checks of the closes)
        cr = self.raised
        res, lap = self.frame(ev.ConflictResolved), self.frame(ev.ConflictLapsed)
        order = by_seq(cr.seq, res.seq, lap.seq)
        times = np.concatenate([cr.time, res.time, lap.time])[order]
        deltas = np.concatenate([_ones(len(cr)), -_ones(len(res) + len(lap))])[order]
        return col.steps(times, deltas, self.end)

    def mediation_waits(self) -> tuple[FloatArray, BoolArray]:
        """Queued to mediated, per queueing; censored at a close while queued, or at T.

        Per conflict, in log order, each queueing ends at the conflict's next
        mediation event: a start (mediated), a close (censored there), or a new
        queueing or nothing (censored at the end, as the fold leaves it).
        """
        self.closing  # noqa: B018  (the checks of the closes)
        mq, ms = self.frame(ev.MediationQueued), self.frame(ev.MediationStarted)
        res, lap = self.frame(ev.ConflictResolved), self.frame(ev.ConflictLapsed)
        nq, ns = len(mq), len(ms)
        conflict = np.concatenate(
            [mq["conflict"], ms["conflict"], res["conflict"], lap["conflict"]]
        )
        seq = np.concatenate([mq.seq, ms.seq, res.seq, lap.seq])
        time = np.concatenate([mq.time, ms.time, res.time, lap.time])
        kind = np.concatenate(
            [np.zeros(nq, np.int8), np.ones(ns, np.int8), np.full(len(res) + len(lap), 2, np.int8)]
        )
        order = np.lexsort((seq, conflict))
        c, k, t = conflict[order], kind[order], time[order]
        same_as_next = np.zeros(c.size, bool)
        same_as_next[:-1] = c[1:] == c[:-1]
        prev_queued = np.zeros(c.size, bool)
        prev_queued[1:] = same_as_next[:-1] & (k[:-1] == 0)
        if np.any((k == 1) & ~prev_queued):
            raise NotColumnar("MediationStarted of a conflict not queued")
        queued = np.flatnonzero(k == 0)
        nxt = np.minimum(queued + 1, c.size - 1)
        has_next = same_as_next[queued]
        started = has_next & (k[nxt] == 1)
        closed = has_next & (k[nxt] == 2)
        stop_sorted = np.where(started | closed, t[nxt], self.end)
        mediated_sorted = started
        # back to MediationQueued row order (their rows are the first nq of the concat)
        rows = order[queued]
        stop = np.empty(nq)
        stop[rows] = stop_sorted
        mediated = np.empty(nq, bool)
        mediated[rows] = mediated_sorted
        return stop - mq.time, mediated

    @cached_property
    def ceo_hours(self) -> float:
        """CEO hours spent on escalations in ``[0, T]``: the desk's rule, in columns.

        :class:`~orgsim.engine.state.Desk` gives the first ``full`` escalations on
        the desk (in order of arrival) the cap each, the next one the marginal rate,
        the rest nothing. An escalation's position only falls (earlier ones leave,
        later ones queue behind), so its rate changes at most twice: when fewer than
        ``full + 1``, then fewer than ``full``, earlier arrivals remain, i.e. at the
        ``(full+1)``-th and ``full``-th latest removal among the earlier arrivals
        (:func:`largest_before`). Its remaining hours follow in three elementwise
        steps, the desk's own arithmetic; the hours worked are the desk's sum, term
        by term: the total rate (a function of how many are on the desk) over each
        gap between desk events, and the crumb of rounding of each decided release.
        """
        esc, rel = self.frame(ev.ConflictEscalated), self.frame(ev.CeoReleased)
        desk = Desk()
        desk.configure(self.ceo_hours_per_week, self.ceo_max_hours_per_week)
        full, marginal, cap = desk.full, desk.marginal, desk.max_hours_per_week
        ne, nr = len(esc), len(rel)
        if not ne + nr:
            return desk.worked_at(max(self.end, desk.since))
        # pair each release with the escalation it takes off: per conflict, in log
        # order, escalation and release alternate (else the fold raises)
        conflict = np.concatenate([esc["conflict"], rel["conflict"]])
        seq = np.concatenate([esc.seq, rel.seq])
        order = np.lexsort((seq, conflict))
        c = conflict[order]
        is_release = order >= ne
        starts = np.ones(c.size, bool)
        starts[1:] = c[1:] != c[:-1]
        at = np.arange(c.size)
        in_group = at - np.maximum.accumulate(np.where(starts, at, 0))
        if np.any(is_release != (in_group % 2 == 1)):
            raise NotColumnar("an escalation on the desk twice, or a release of none")
        released = np.flatnonzero(is_release)
        item = order[released - 1]  # the escalation row
        release_row = order[released] - ne
        removal = np.full(ne, NEVER, np.int64)
        removal[item] = rel.seq[release_row]
        removal_time = np.full(ne, NAN)
        removal_time[item] = rel.time[release_row]

        arrival = esc.seq
        if full >= ne:
            cap_from = arrival.copy()
        elif full == 0:
            cap_from = np.full(ne, NEVER, np.int64)
        else:
            cap_from = np.maximum(arrival, largest_before(removal, full))
        marginal_from = np.maximum(arrival, largest_before(removal, full + 1))

        def time_of(release_seq: IntArray) -> FloatArray:
            pos = np.minimum(np.searchsorted(rel.seq, release_seq), max(nr - 1, 0))
            return rel.time[pos] if nr else np.full(release_seq.shape, NAN)

        remaining = esc["hours"].copy()
        t0 = esc.time.copy()
        rate = np.zeros(ne)
        finish = np.full(ne, math.inf)

        def rerate(mask: BoolArray, t: FloatArray, new: FloatArray | float) -> None:
            nonlocal remaining, t0, rate, finish
            change = mask & (new != rate)
            if not change.any():
                return
            with np.errstate(invalid="ignore", divide="ignore"):
                done = rate * (t - t0) / DAYS_PER_WEEK
                left = np.maximum(0.0, remaining - done)
                ends = np.where(new > 0.0, t + DAYS_PER_WEEK * left / new, math.inf)
            remaining = np.where(change, left, remaining)
            t0 = np.where(change, t, t0)
            rate = np.where(change, new, rate)
            finish = np.where(change, ends, finish)

        first = np.where(
            cap_from <= arrival, cap, np.where(marginal_from <= arrival, marginal, 0.0)
        )
        rerate(np.ones(ne, bool), esc.time, first)
        if marginal > 0.0:
            later = (arrival < marginal_from) & (marginal_from < removal)
            rerate(later, time_of(marginal_from), marginal)
        later = (arrival < cap_from) & (cap_from < removal)
        rerate(later, time_of(cap_from), cap)

        with np.errstate(invalid="ignore"):
            left = remaining - rate * (removal_time - t0) / DAYS_PER_WEEK
            decided = (rate > 0.0) & (finish <= removal_time)
        crumb = np.where(decided, left, 0.0)

        # the desk's sum, in log order of desk events
        ops = by_seq(esc.seq, rel.seq)
        times = np.concatenate([esc.time, rel.time])[ops]
        delta = np.concatenate([_ones(ne), -_ones(nr)])[ops]
        crumbs = np.concatenate([np.zeros(ne), np.zeros(nr)])
        crumbs[ne + release_row] = crumb[item]
        crumbs = crumbs[ops]
        on_desk = np.cumsum(delta)
        rates = np.where(np.arange(ne) < full, cap, 0.0)
        if full < ne:
            rates[full] = marginal
        busy_of = np.concatenate(([0.0], np.cumsum(rates)))
        before = np.concatenate(([0], on_desk[:-1]))
        since = np.maximum.accumulate(np.maximum(times, 0.0))
        since_before = np.concatenate(([0.0], since[:-1]))
        dt = times - since_before
        advance = np.where(dt > 0.0, busy_of[before] * dt / DAYS_PER_WEEK, 0.0)
        terms = np.empty(2 * ops.size)
        terms[0::2] = advance
        terms[1::2] = crumbs
        worked = seqsum(terms)
        last_since = float(since[-1])
        busy = float(busy_of[on_desk[-1]])
        t = max(self.end, last_since)
        return worked + busy * (t - last_since) / DAYS_PER_WEEK

    @cached_property
    def credibility(self) -> tuple[FloatArray, FloatArray, float, float]:
        """The broker's recorded levels (times, values) in log order, floor, half-life."""
        ba = self.frame(ev.BrokerAppointed)
        cc, bp = self.frame(ev.CredibilityChanged), self.frame(ev.BrokerPraised)
        order = by_seq(ba.seq, cc.seq, bp.seq)
        times = np.concatenate([ba.time, cc.time, bp.time])[order]
        values = np.concatenate([ba["credibility"], cc["credibility"], bp["credibility"]])[order]
        floor = float(ba["credibility_floor"][-1]) if len(ba) else 0.0
        halflife = float(ba["credibility_halflife"][-1]) if len(ba) else math.inf
        return times, values, floor, halflife

    def credibility_at(self, at: FloatArray) -> FloatArray:
        """The broker's credibility at each time of ``at`` (nan without a broker)."""
        times, values, floor, halflife = self.credibility
        return credibility_at(times, values, floor, halflife, at)

    # ---------------------------------------------------------- organisation

    @cached_property
    def hires(self) -> Frame:
        """The ``EmployeeHired`` rows (each person hired once)."""
        eh = self.frame(ev.EmployeeHired)
        index_of(eh["employee"], np.zeros(0, np.int64))  # checks: distinct
        return eh

    @cached_property
    def leaver_hire(self) -> IntArray:
        """The ``EmployeeHired`` row of each leaver (hired before, leaving once)."""
        eh, el = self.hires, self.frame(ev.EmployeeLeft)
        if not distinct(el["employee"]):
            raise NotColumnar("an employee left twice")
        idx = index_of(eh["employee"], el["employee"])
        if np.any(idx < 0) or np.any(eh.seq[np.maximum(idx, 0)] > el.seq):
            raise NotColumnar("an employee left who was not hired")
        return idx

    @cached_property
    def leaver_department(self) -> IntArray:
        """The department each leaver was in: their hiring's, or their last transfer's."""
        eh, el, et = self.hires, self.frame(ev.EmployeeLeft), self.frame(ev.EmployeeTransferred)
        dept = eh["department"][self.leaver_hire]
        if not len(et) or not len(el):
            return dept
        # the last transfer of the same person before the leaving, if any
        low = min(int(et["employee"].min()), int(el["employee"].min()))
        span = self.size + 1
        key = (et["employee"] - low) * span + et.seq
        order = np.argsort(key, kind="stable")
        want = (el["employee"] - low) * span + el.seq
        pos = np.searchsorted(key[order], want) - 1
        row = order[np.maximum(pos, 0)]
        moved = (pos >= 0) & (et["employee"][row] == el["employee"])
        return np.where(moved, et["destination"][row], dept)

    @cached_property
    def headcount_changes(self) -> tuple[FloatArray, IntArray, IntArray]:
        """Every change of a department's headcount: time, department code, +1/-1."""
        eh, el, et = self.hires, self.frame(ev.EmployeeLeft), self.frame(ev.EmployeeTransferred)
        times = np.concatenate([eh.time, el.time, et.time, et.time])
        depts = np.concatenate(
            [eh["department"], self.leaver_department, et["source"], et["destination"]]
        ).astype(np.int64)
        deltas = np.concatenate([_ones(len(eh)), -_ones(len(el) + len(et)), _ones(len(et))])
        return times, depts, deltas

    @cached_property
    def headcount(self) -> tuple[FloatArray, IntArray]:
        """The company's headcount steps (the same step function as the fold's).

        A transfer is a change of 0 at its instant (-1 and +1 there, collapsed into
        one step by :func:`~orgsim.metrics.columns.steps` as the fold's are), and
        the changes go in log order, so that the steps' stable sort finds them sorted.
        """
        eh, el, et = self.hires, self.frame(ev.EmployeeLeft), self.frame(ev.EmployeeTransferred)
        self.leaver_department  # noqa: B018  (the checks of the leavers)
        order = by_seq(eh.seq, el.seq, et.seq)
        times = np.concatenate([eh.time, el.time, et.time])[order]
        deltas = np.concatenate([_ones(len(eh)), -_ones(len(el)), np.zeros(len(et), np.int64)])
        return col.steps(times, deltas[order], self.end)

    def department_levels(self, at: FloatArray) -> dict[str, IntArray]:
        """Each department's headcount at each time of ``at``, counting that instant."""
        times, depts, deltas = self.headcount_changes
        order = np.argsort(times, kind="stable")
        times, depts, deltas = times[order], depts[order], deltas[order]
        out = {}
        codes, names = self.departments
        for code, name in zip(codes.tolist(), names, strict=True):
            mask = depts == code
            level = np.cumsum(deltas[mask])
            idx = np.searchsorted(times[mask], at, side="right")
            out[name] = np.where(idx > 0, level[np.maximum(idx, 1) - 1] if level.size else 0, 0)
        return out

    def department_ends(self) -> dict[str, int]:
        """Each department's headcount at the end (the sum of its changes)."""
        _, depts, deltas = self.headcount_changes
        codes, names = self.departments
        if not depts.size:
            return dict.fromkeys(names, 0)
        sums = np.bincount(depts, weights=deltas, minlength=int(codes.max(initial=0)) + 1)
        return {name: int(sums[code]) for code, name in zip(codes.tolist(), names, strict=True)}

    def poached(self) -> int:
        """Transfers out of the target of a conflict raised before them."""
        et, cr = self.frame(ev.EmployeeTransferred), self.raised
        idx = index_of(cr["conflict"], et["conflict"])
        safe = np.maximum(idx, 0)
        if not len(cr):
            return 0
        hit = (idx >= 0) & (cr.seq[safe] < et.seq) & (et["source"] == cr["target"][safe])
        return int(np.count_nonzero(hit))

    @cached_property
    def requisition_closes(self) -> tuple[IntArray, FloatArray, BoolArray]:
        """Each requisition's first close after its opening, in order of closing.

        Returns the opening's row in the ``RequisitionOpened`` frame, the close's
        time and whether the close was a hire (else a cancellation), as the fold
        pops a requisition at its first close.
        """
        ro, rc, eh = (
            self.frame(ev.RequisitionOpened),
            self.frame(ev.RequisitionCancelled),
            self.hires,
        )
        on_req = eh["requisition"] >= 0
        req = np.concatenate([rc["requisition"], eh["requisition"][on_req]])
        seq = np.concatenate([rc.seq, eh.seq[on_req]])
        time = np.concatenate([rc.time, eh.time[on_req]])
        hired = np.concatenate([np.zeros(len(rc), bool), np.ones(int(on_req.sum()), bool)])
        order = np.argsort(seq, kind="stable")
        req, seq, time, hired = req[order], seq[order], time[order], hired[order]
        idx = index_of(ro["requisition"], req)
        valid = (idx >= 0) & (ro.seq[np.maximum(idx, 0)] < seq) if len(ro) else idx >= 0
        closes = np.flatnonzero(valid)
        _, first = np.unique(idx[closes], return_index=True)
        popping = np.sort(closes[first])  # the first close after each opening
        return idx[popping], time[popping], hired[popping]

    def vacancy_days(self) -> float:
        """Requisition-days open: closed ones in order of closing, then the open ones."""
        ro = self.frame(ev.RequisitionOpened)
        opening, time, _ = self.requisition_closes
        closed = seqsum(time - ro.time[opening])
        still = np.ones(len(ro), bool)
        still[opening] = False
        return closed + seqsum(self.end - ro.time[still])

    def time_to_hire(self) -> float:
        """Mean days from opening to hire over the requisitions a hire closed."""
        ro = self.frame(ev.RequisitionOpened)
        opening, time, hired = self.requisition_closes
        if not hired.any():
            return NAN
        return float(np.mean(time[hired] - ro.time[opening[hired]]))

    @cached_property
    def budget_quarters(self) -> list[tuple[int, FloatArray, FloatArray, list[str]]]:
        """:meth:`orgsim.metrics.columns.Scan.budget_quarters`, from its columns.

        The fold of each quarter's rows is a loop over those rows (a few per
        department and quarter, never over the log), so that a department's
        allocation after transfers is the same sum, in the same order.
        """
        qs, ba = self.frame(ev.QuarterStarted), self.frame(ev.BudgetAllocated)
        bt = self.frame(ev.BudgetTransferred)
        under = np.searchsorted(qs.seq, bt.seq) - 1
        moved = under >= 0
        tq = qs["quarter"][under[moved]] if len(qs) else np.zeros(0, np.int64)
        quarter = np.concatenate([ba["quarter"], tq])
        seq = np.concatenate([ba.seq, bt.seq[moved]])
        is_move = np.concatenate([np.zeros(len(ba), bool), np.ones(int(moved.sum()), bool)])
        first = np.concatenate([ba["department"], bt["source"][moved]])
        second = np.concatenate([np.full(len(ba), -1, np.int32), bt["destination"][moved]])
        value = np.concatenate([ba["allocated"], bt["amount"][moved]])
        need = np.concatenate([ba["need"], np.zeros(int(moved.sum()))])
        order = np.lexsort((seq, quarter))
        rows = zip(
            quarter[order].tolist(),
            is_move[order].tolist(),
            first[order].tolist(),
            second[order].tolist(),
            value[order].tolist(),
            need[order].tolist(),
            strict=True,
        )
        strings = ba.strings.values
        out: list[tuple[int, FloatArray, FloatArray, list[str]]] = []
        current: int | None = None
        allocated: dict[int, float] = {}
        needs: dict[int, float] = {}

        def close() -> None:
            if current is not None:
                names = list(allocated)
                out.append(
                    (
                        current,
                        np.array([allocated[d] for d in names], float),
                        np.array([needs.get(d, 0.0) for d in names], float),
                        [strings[d] for d in names],
                    )
                )

        for q, move, a, b, v, n in rows:
            if q != current:
                close()
                current, allocated, needs = q, {}, {}
            if move:
                allocated[a] = allocated.get(a, 0.0) - v
                allocated[b] = allocated.get(b, 0.0) + v
            else:
                allocated[a] = v
                needs[a] = n
        close()
        return out

    # ------------------------------------------------------------- economics

    def salary_days(self) -> float:
        """Each person's salary times their days employed: leavers in order, then the rest."""
        eh, el = self.hires, self.frame(ev.EmployeeLeft)
        idx = self.leaver_hire
        closed = seqsum(eh["salary"][idx] * (el.time - eh.time[idx]))
        staying = np.ones(len(eh), bool)
        staying[idx] = False
        return closed + seqsum(eh["salary"][staying] * (self.end - eh.time[staying]))

    @cached_property
    def cash(self) -> tuple[float, float, float]:
        """The cash at the end, its lowest, and the lowest runway in days.

        :class:`~orgsim.metrics.columns.CashFlow` over the flows in log order: each
        flow brings the balance to its instant at the old burn and adds its lump,
        two additions a fold makes one after the other, so one sequential sum of
        ``[-burn·dt, lump, -burn·dt, lump, ...]`` gives every balance before and
        after each flow; the payroll is a sequential sum too, the broker's daily
        cost carried forward from each ``QuarterStarted``.
        """
        bf, cf = self.frame(ev.BudgetFounded), self.frame(ev.CompanyFailed)
        eh, el = self.hires, self.frame(ev.EmployeeLeft)
        fs, xw = self.frame(ev.FeatureShipped), self.frame(ev.ExtraWorkCompleted)
        qs, bc = self.frame(ev.QuarterStarted), self.frame(ev.BrokerCostCharged)
        fr = self.frame(ev.FundsRaised)
        frames = (bf, cf, eh, el, fs, xw, qs, bc, fr)
        seqs = np.concatenate([f.seq for f in frames])
        order = np.argsort(seqs, kind="stable")
        at = np.empty_like(order)  # where each frame's rows go in log order
        at[order] = np.arange(order.size)
        starts = np.cumsum([0] + [len(f) for f in frames])
        place = {f.layout.cls: at[starts[i] : starts[i + 1]] for i, f in enumerate(frames)}
        t = np.concatenate([f.time for f in frames])[order]
        seq = seqs[order]

        def share_at(f: Frame) -> FloatArray:  # the latest founding's share, else 0
            if not len(bf):
                return np.zeros(len(f))
            i = np.searchsorted(bf.seq, f.seq) - 1
            return np.where(i >= 0, bf["cash_share"][np.maximum(i, 0)], 0.0)

        lump = np.zeros(t.size)
        lump[place[ev.BudgetFounded]] = bf["cash"]
        lump[place[ev.EmployeeHired]] = -np.where(eh["requisition"] >= 0, self.hiring_cost, 0.0)
        lump[place[ev.FeatureShipped]] = share_at(fs) * fs["value"]
        lump[place[ev.ExtraWorkCompleted]] = share_at(xw) * xw["value"]
        lump[place[ev.BrokerCostCharged]] = -bc["cost"]
        lump[place[ev.FundsRaised]] = fr["amount"]
        payroll_change = np.zeros(t.size + 1)
        payroll_change[1 + place[ev.EmployeeHired]] = eh["salary"]
        payroll_change[1 + place[ev.EmployeeLeft]] = -eh["salary"][self.leaver_hire]
        payroll = np.cumsum(payroll_change)[1:]
        # the broker's daily cost, from the latest QuarterStarted at or before
        q = np.searchsorted(qs.seq, seq, side="right") - 1
        daily = qs["broker_cost"] / self.quarter_days
        broker = np.where(q >= 0, daily[np.maximum(q, 0)], 0.0) if len(qs) else np.zeros(t.size)
        burn = payroll / col.DAYS_PER_YEAR + broker
        burn_before = np.concatenate(([0.0], burn[:-1]))
        since = np.concatenate(([0.0], t[:-1]))
        steps = np.empty(2 * t.size + 1)
        steps[0] = 0.0
        steps[1::2] = -(burn_before * (t - since))
        steps[2::2] = lump
        balance = np.cumsum(steps)
        before, after = balance[1::2], balance[2::2]
        founding = place[ev.BudgetFounded]
        cash = float(balance[-1])
        last_burn = float(burn[-1]) if t.size else 0.0
        last_since = float(t[-1]) if t.size else 0.0
        end_cash = cash - last_burn * (self.end - last_since)
        if not len(bf):
            return end_cash, math.inf, math.inf
        founded_at = int(founding[0])
        # watched from the first founding on: its balance after, then before and after each flow
        w = founded_at
        levels = np.concatenate([before[w + 1 :], after[w:], [end_cash]])
        burns = np.concatenate([burn_before[w + 1 :], burn[w:], [last_burn]])
        with np.errstate(divide="ignore", invalid="ignore"):
            runways = np.where(burns > 0.0, np.maximum(0.0, levels) / burns, math.inf)
        return end_cash, float(np.min(levels)), float(np.min(runways))


# ------------------------------------------------------------ the projections


def issue_area(
    log: Framed, view: View, state: OrgState | None, refold: Callable[[Any], OrgState] = fold
) -> float:
    """``∫ B dt`` of Support's issue backlog, read off the state the log folds to."""
    sf = view.frame(ev.SupportFounded)
    if not len(sf):
        return 0.0
    last = view.size - 1
    if state is None or state.seq != last:
        own = getattr(log, "state", None)
        state = own if isinstance(own, OrgState) and own.seq == last else refold(log)
    return state.issue_area(sf.text("department")[-1], view.end)


def metrics(
    log: Framed, state: OrgState | None = None, refold: Callable[[Any], OrgState] = fold
) -> dict[str, float]:
    """:func:`orgsim.metrics.projections.metrics` over a log's columns.

    Raises:
        NotColumnar: the log has a shape only the reference fold takes.
    """
    s = View(log)
    end, qd = s.end, s.quarter_days
    out: dict[str, float] = {}
    fs, xw = s.frame(ev.FeatureShipped), s.frame(ev.ExtraWorkCompleted)

    # delivery
    shipped = len(fs)
    feature_value = float(np.sum(fs["value"]))
    lead = s.lead
    out["features_shipped"] = float(shipped)
    out["value_shipped"] = feature_value + float(np.sum(xw["value"]))
    out["feature_value"] = feature_value
    out["lead_time_mean"] = col.mean(lead)
    out["lead_time_p50"] = col.percentile(lead, 50)  # type: ignore[arg-type]
    out["lead_time_p90"] = col.percentile(lead, 90)  # type: ignore[arg-type]
    out["on_time_rate"] = col.share(float(np.count_nonzero(fs["late_days"] == 0)), shipped)
    out["throughput"] = col.share(shipped, end / qd)
    out["wip_mean"] = col.share(col.integral(s.wip), end)
    out["wip_end"] = float(len(s.frame(ev.FeaturePlanned)) - shipped)
    out["support_backlog"] = 0.0  # its place; the value once every check has passed
    out["market_shifts"] = float(len(s.frame(ev.MarketShifted)))
    out["misaligned_value_lost"] = seqsum(fs["misaligned"])
    out["realign_time_p50"] = col.km_quantile(col.kaplan_meier(*s.realign_waits()), 0.5)

    # conflict
    res, lap = s.frame(ev.ConflictResolved), s.frame(ev.ConflictLapsed)
    raised, resolved, lapsed = len(s.raised), len(res), len(lap)
    _, detected, by_broker = s.detection
    s.closing  # noqa: B018  (the checks of the closes)
    escalated = len(s.frame(ev.ConflictEscalated))
    out["conflicts_raised"] = float(raised)
    out["conflicts_detected"] = float(detected)
    out["conflicts_resolved"] = float(resolved)
    out["conflicts_escalated"] = float(escalated)
    out["conflicts_lapsed"] = float(lapsed)
    out["conflicts_open_end"] = float(raised - resolved - lapsed)
    out["detect_time_p50"] = col.km_quantile(col.kaplan_meier(*s.detect_waits()), 0.5)
    out["detected_by_broker_share"] = col.share(by_broker, detected)
    resolve = col.kaplan_meier(*s.resolve_waits())
    out["resolve_time_p50"] = col.km_quantile(resolve, 0.5)
    out["resolve_time_p90"] = col.km_quantile(resolve, 0.9)
    out["resolve_censored_share"] = col.share(raised - resolved, raised)
    good = int(np.count_nonzero(res["company_interest"]))
    out["resolution_quality"] = col.share(good, resolved)
    ceo_hours = s.ceo_hours
    out["ceo_hours"] = ceo_hours
    out["ceo_load"] = col.share(ceo_hours, s.ceo_hours_per_week * end / DAYS_PER_WEEK)
    waits, mediated = s.mediation_waits()
    out["mediation_wait_p50"] = col.km_quantile(col.kaplan_meier(waits, mediated), 0.5)
    out["mediation_censored_share"] = col.share(float(np.count_nonzero(~mediated)), waits.size)
    out["open_conflicts_mean"] = col.share(col.integral(s.open_conflicts), end)
    out["credibility_end"] = float(s.credibility_at(np.array([end]))[0])
    incidents = s.frame(ev.PrivacyIncident)
    out["privacy_incidents"] = float(len(incidents))
    praises = len(s.frame(ev.BrokerPraised))
    out["praises"] = float(praises) if s.credibility[0].size else NAN

    # organisation
    total = s.headcount
    leavers = len(s.frame(ev.EmployeeLeft))
    hires = int(np.count_nonzero(s.hires["requisition"] >= 0))
    s.leaver_department  # noqa: B018  (the checks of the leavers)
    out["headcount_end"] = float(total[1][-1])
    out["hires"] = float(hires)
    out["attrition"] = float(leavers)
    out["attrition_rate"] = col.share(leavers * col.DAYS_PER_YEAR, col.integral(total))
    out["poached"] = float(s.poached())
    out["vacancy_days"] = s.vacancy_days()
    out["time_to_hire"] = s.time_to_hire()
    hhi, alignment = [], []
    for _, allocated, need, _ in s.budget_quarters:
        if allocated.sum() > 0:
            share = allocated / allocated.sum()
            hhi.append(float(np.sum(share**2)))
            if need.sum() > 0:
                alignment.append(1.0 - 0.5 * float(np.abs(share - need / need.sum()).sum()))
    out["budget_hhi"] = col.mean(hhi)
    out["budget_alignment"] = col.mean(alignment)

    # economics (and Support's backlog, read off the state only for a log the checks let by)
    support = s.frame(ev.SupportFounded)
    backlog_area = issue_area(log, s, state, refold)
    out["support_backlog"] = col.share(backlog_area, end) if len(support) else 0.0
    salary_cost = s.salary_days() / col.DAYS_PER_YEAR
    hiring_cost = hires * s.hiring_cost
    qs = s.frame(ev.QuarterStarted)
    covered = np.clip((end - qs.time) / qd, 0.0, 1.0)
    broker_cost = float(np.dot(qs["broker_cost"], covered)) + seqsum(
        s.frame(ev.BrokerCostCharged)["cost"]
    )
    backlog_cost = float(support["backlog_cost"][-1]) * backlog_area if len(support) else 0.0
    incident_cost = seqsum(incidents["cost"])
    cost = salary_cost + hiring_cost + broker_cost + backlog_cost + incident_cost
    out["salary_cost"] = float(salary_cost)
    out["hiring_cost"] = float(hiring_cost)
    out["broker_cost"] = broker_cost
    out["support_backlog_cost"] = float(backlog_cost)
    out["incident_cost"] = float(incident_cost)
    out["cost"] = float(cost)
    out["net_value"] = out["value_shipped"] - cost
    failures = s.frame(ev.CompanyFailed)
    failed = bool(len(failures))
    cash_end, cash_low, runway_low = s.cash
    out["survived"] = 0.0 if failed else 1.0
    out["time_to_failure"] = float(failures.time[-1]) if failed else float(end)
    out["cash_end"] = cash_end
    out["cash_min"] = cash_low
    out["runway_min"] = 0.0 if failed else runway_low / col.DAYS_PER_MONTH

    for d, n in s.department_ends().items():
        out[f"headcount_end.{d}"] = float(n)
    return out


def quarterly(log: Framed) -> dict[str, FloatArray]:
    """:func:`orgsim.metrics.projections.quarterly` over a log's columns.

    Raises:
        NotColumnar: the log has a shape only the reference fold takes.
    """
    s = View(log)
    n, qd = s.quarters, s.quarter_days
    ends = np.minimum(np.arange(1, n + 1) * qd, s.end).astype(float)
    fs, xw = s.frame(ev.FeatureShipped), s.frame(ev.ExtraWorkCompleted)
    s.lead  # noqa: B018  (the checks of the shipped features)
    s.closing  # noqa: B018
    s.detection  # noqa: B018
    out: dict[str, FloatArray] = {}
    out["value_shipped"] = per_quarter(
        n, qd, np.concatenate([fs.time, xw.time]), np.concatenate([fs["value"], xw["value"]])
    )
    out["features_shipped"] = per_quarter(n, qd, fs.time)
    out["conflicts_raised"] = per_quarter(n, qd, s.raised.time)
    out["conflicts_resolved"] = per_quarter(n, qd, s.frame(ev.ConflictResolved).time)
    out["open_conflicts"] = col.level_at(s.open_conflicts, ends).astype(float)
    out["wip"] = col.level_at(s.wip, ends).astype(float)
    out["headcount"] = col.level_at(s.headcount, ends).astype(float)
    for d, level in s.department_levels(ends).items():
        out[f"headcount.{d}"] = level.astype(float)
    for d, values in col.budget_shares(s.budget_quarters, s.departments[1], n).items():
        out[f"budget_share.{d}"] = values
    out["credibility"] = s.credibility_at(ends)
    out["quarter_end"] = ends
    return out


#: The forums that settle a conflict, in the order a conflict reaches them; the
#: funnel counts the resolutions of each as ``resolved_<forum>``.
RESOLUTION_FORUMS = ("negotiation", "mediation", "ceo")


def conflict_funnel(log: Framed) -> dict[str, int]:
    """:func:`orgsim.metrics.projections.conflict_funnel` over a log's columns.

    Raises:
        NotColumnar: the log has a shape only the reference fold takes.
    """
    s = View(log)
    raised = len(s.raised)
    resolved = len(s.frame(ev.ConflictResolved))
    lapsed = len(s.frame(ev.ConflictLapsed))
    s.closing  # noqa: B018  (the checks of the closes)
    settled = s.frame(ev.ConflictResolved)
    forums = settled["forum"]
    return {
        "raised": raised,
        "detected": s.detection[1],
        "resolved": resolved,
        "escalated": len(s.frame(ev.ConflictEscalated)),
        "lapsed": lapsed,
        "open": raised - resolved - lapsed,
        **{
            f"resolved_{forum}": int(np.count_nonzero(forums == settled.code(forum)))
            for forum in RESOLUTION_FORUMS
        },
    }


def wip_series(log: Framed) -> tuple[FloatArray, IntArray]:
    """:func:`orgsim.metrics.projections.wip_series` over a log's columns."""
    return View(log).wip


def open_conflicts_series(log: Framed) -> tuple[FloatArray, IntArray]:
    """:func:`orgsim.metrics.projections.open_conflicts_series` over a log's columns."""
    s = View(log)
    s.detection  # noqa: B018  (the checks the fold makes of every conflict event)
    return s.open_conflicts
