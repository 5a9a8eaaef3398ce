"""log: the cost per domain event of ``record`` (event + append + apply) and its parts.

``record + apply`` is ``EventLog.record`` fed a run's events one call at a time (build
the frozen event, check its time, dispatch to the state handler, append). The log's
bookkeeping is the same with every handler a no-op: what the event-sourced design
costs over mutating the state directly; the handlers are the model's domain work.
Each is timed directly as a whole loop (medians of interleaved repetitions), so no
figure is a difference of noisy ones. ``record`` is also timed inside a real run.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import Any

from orgsim import OrgState, simulate
from orgsim.engine import events as ev
from orgsim.engine.log import EventLog
from orgsim.engine.run import Run
from orgsim.engine.state import HANDLERS
from sections.common import SCENARIOS, load, median, pc, table

TARGET_RECORD_US = 1.0  # issue 13: record + apply per domain event
TARGET_LOG_SHARE = 0.25  # issue 13: the log's share of a run's time


def gc_timed_run(sc: Any) -> tuple[float, float, list[int], Any]:
    """One plain run: its seconds, the cyclic GC's pauses in it, collections per gen, the run."""
    acc = {"t": 0.0, "start": 0.0}
    counts = [0, 0, 0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            acc["start"] = pc()
        else:
            acc["t"] += pc() - acc["start"]
            counts[info["generation"]] += 1

    gc.collect()
    gc.callbacks.append(callback)
    try:
        t = pc()
        run = simulate(sc)
        dt = pc() - t
    finally:
        gc.callbacks.remove(callback)
    return dt, acc["t"], counts, run


def instrumented(sc: Any) -> tuple[float, float, int]:
    """One run with every call of the log's ``record`` timed: run seconds, seconds inside,
    events.

    The run records through ``RunContext.record``, which calls the log's ``record``
    (kept as ``_append``) and then resets the timers the event moved; only the log's
    part is timed, and the run stays the same run (same events).
    """
    run = Run(sc, sc.seed, 0)
    attr = "_append" if hasattr(run, "_append") else "record"  # record: also the timers
    inner = getattr(run, attr)
    acc = [0.0]

    def timed_record(cls: Any, **fields: Any) -> Any:
        t = pc()
        e = inner(cls, **fields)
        acc[0] += pc() - t
        return e

    setattr(run, attr, timed_record)
    t = pc()
    run.execute()
    return pc() - t, acc[0], len(run.log)


def with_gc_off(fn: Callable[[], float]) -> float:
    """``fn()`` with the cyclic collector off, as ``Run.execute`` runs; then collect."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return fn()
    finally:
        if enabled:
            gc.enable()
        gc.collect()


@contextlib.contextmanager
def noop_handlers(count: list[int] | None = None) -> Iterator[None]:
    """Every state handler replaced by one that does nothing (restored afterwards).

    ``apply`` still looks the handler up by event type and stamps the state's time and
    sequence number: the dispatch stays, the domain work goes. With ``count``, the
    no-op counts its calls, to check the swap took effect.
    """
    saved = dict(HANDLERS)

    def noop(state: Any, event: Any) -> None:
        return None

    def counting(state: Any, event: Any) -> None:
        count[0] += 1  # type: ignore[index]

    HANDLERS.update({k: (noop if count is None else counting) for k in HANDLERS})
    try:
        yield
    finally:
        HANDLERS.clear()
        HANDLERS.update(saved)


def drive(payloads: list[tuple[Any, dict[str, Any], float]], sink: Any = None) -> float:
    """Seconds to ``record`` a run's events into a fresh log, one call per event.

    The clock returns each event's own time, so the log builds, checks, applies and
    appends exactly what the run did. With ``sink``, the same loop calls ``sink``
    instead (the cost of the loop and of a call with those keyword arguments).
    """
    now = [0.0]
    log = EventLog(clock=lambda: now[0])
    rec = log.record if sink is None else sink
    t = pc()
    for cls, p, tm in payloads:
        now[0] = tm
        rec(cls, **p)
    return pc() - t


def measure(sc: Any, reps: int) -> dict[str, Any]:
    """Per repetition, side by side: a plain run, a run with ``record`` timed inside, and
    the run's events recorded into a fresh log with real and with no-op handlers, the
    handlers alone, the events constructed alone and the driving loop alone.
    """
    simulate(sc)  # warm-up
    first = gc_timed_run(sc)
    events = list(first[3].log)
    n = len(events)
    payloads = [(type(e), ev.payload(e), e.time) for e in events]
    count = [0]
    with noop_handlers(count):
        drive(payloads[:1000])
    if count[0] != min(1000, n):
        raise RuntimeError("no-op handlers not reached: record no longer dispatches via HANDLERS")

    def sink(cls: Any, **fields: Any) -> None:
        return None

    def construct() -> float:
        t = pc()
        for i, (cls, p, tm) in enumerate(payloads):
            cls(seq=i, time=tm, **p)
        return pc() - t

    def handlers() -> float:
        s = OrgState()
        h = HANDLERS
        t = pc()
        for e in events:
            h[type(e)](s, e)
        return pc() - t

    def bookkeeping() -> float:
        with noop_handlers():
            return drive(payloads)

    keys = ("run", "gc", "inrun", "inrun_run", "record", "book", "handlers", "build", "loop")
    t: dict[str, list[float]] = {k: [] for k in keys}
    for rep in range(reps):  # interleaved, so drift hits every part alike
        dt, gc_s, counts, run = first if rep == 0 else gc_timed_run(sc)
        del run
        t["run"].append(dt)
        t["gc"].append(gc_s)
        run_s, in_record, n_in = instrumented(sc)
        if n_in != n:
            raise RuntimeError(f"the instrumented run has {n_in} events, the plain one {n}")
        t["inrun"].append(in_record)
        t["inrun_run"].append(run_s)
        t["record"].append(with_gc_off(lambda: drive(payloads)))
        t["book"].append(with_gc_off(bookkeeping))
        t["handlers"].append(with_gc_off(handlers))
        t["build"].append(with_gc_off(construct))
        t["loop"].append(with_gc_off(lambda: drive(payloads, sink)))
    del first
    gc.collect()  # the events are gone: keep the next scenario's GC honest
    m = {k: median(v) for k, v in t.items()}
    us = {k: v / n * 1e6 for k, v in m.items()}
    return {
        "events": n,
        "reps": reps,
        "run_s": m["run"],
        "run_s_all": t["run"],
        "record_apply_us_per_event": us["record"],
        "target_record_apply_us": TARGET_RECORD_US,
        "bookkeeping_us_per_event": us["book"],
        "handlers_us_per_event": us["handlers"],
        "construct_us_per_event": us["build"],
        "driver_loop_us_per_event": us["loop"],
        "record_apply_share_of_run": m["record"] / m["run"],
        "log_share_of_run": m["book"] / m["run"],
        "target_log_share": TARGET_LOG_SHARE,
        "handlers_share_of_run": m["handlers"] / m["run"],
        "record_in_run_us_per_event": us["inrun"],
        "record_in_run_share": median(
            [a / b for a, b in zip(t["inrun"], t["inrun_run"], strict=True)]
        ),
        "instrumented_run_s": m["inrun_run"],
        "gc_s": m["gc"],
        "gc_share_of_run": m["gc"] / m["run"],
        "gc_collections_by_generation": counts,
    }


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    out = {}
    rows = []
    for name in SCENARIOS:
        sc = load(name).with_broker(True)
        reps = cfg["reps_small"] if name != "enterprise" else cfg["reps_big"]
        m = out[name] = measure(sc, reps)
        rows.append(
            [
                name,
                m["record_apply_us_per_event"],
                m["bookkeeping_us_per_event"],
                m["handlers_us_per_event"],
                m["construct_us_per_event"],
                m["record_in_run_us_per_event"],
                m["record_apply_share_of_run"],
                f"{m['log_share_of_run']:.1%}",
                m["gc_share_of_run"],
            ]
        )
    table(
        f"Cost per domain event of record + apply (us; target <= {TARGET_RECORD_US:g} us) "
        f"and the log's share of a run (target <= {TARGET_LOG_SHARE:.0%})",
        [
            "scenario",
            "record+apply",
            "bookkeeping",
            "handlers",
            "construct",
            "in-run record",
            "record+apply share",
            "log share",
            "GC share",
        ],
        rows,
    )
    print(
        "  record+apply = EventLog.record of the run's events into a fresh log (build the"
        " event, check its time, dispatch + handler, append),\n  one call per event, gc off"
        " as in a run, median of interleaved reps; bookkeeping = the same with every state"
        " handler a no-op\n  (the log's own cost); handlers = the handlers alone (the model's"
        " domain work, not the log's); construct = building the events alone;\n  in-run"
        " record = each record call timed inside a real run (includes the timer's cost);"
        " shares are of a plain run timed alongside;\n  log share = bookkeeping x events"
        " / run time; GC share = cyclic collector pauses during a run (gc.callbacks)"
    )
    res["log"] = out
