"""log: the cost per domain event of ``record`` (event + append + apply) and its parts.

``record`` is timed inside a real run; its parts (building the frozen events, replay's
append + apply, the state handlers alone) on that run's events. Log bookkeeping is
what the event-sourced design costs over mutating the state directly.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from orgsim import OrgState, replay, simulate
from orgsim.engine import events as ev
from orgsim.engine.run import Run
from orgsim.engine.state import HANDLERS
from sections.common import SCENARIOS, load, median, pc, table, timed


def gc_time(fn: Callable[[], Any], reps: int) -> tuple[float, float, list[int]]:
    """Median seconds of cyclic-GC pauses in a call, their share, and collections per gen."""
    acc = {"t": 0.0, "start": 0.0}
    counts = [0, 0, 0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            acc["start"] = pc()
        else:
            acc["t"] += pc() - acc["start"]
            counts[info["generation"]] += 1

    totals, shares = [], []
    for _ in range(reps):
        gc.collect()
        acc["t"] = 0.0
        counts[:] = [0, 0, 0]
        gc.callbacks.append(callback)
        try:
            t = pc()
            fn()
            dt = pc() - t
        finally:
            gc.callbacks.remove(callback)
        totals.append(acc["t"])
        shares.append(acc["t"] / dt)
    return median(totals), median(shares), list(counts)


def instrumented(sc: Any) -> tuple[float, float, int]:
    """One run with every ``record`` call timed: run seconds, seconds inside, events."""
    run = Run(sc, sc.seed, 0)
    inner = run.log.record
    acc = [0.0]

    def record(cls: Any, **fields: Any) -> Any:
        t = pc()
        e = inner(cls, **fields)
        acc[0] += pc() - t
        return e

    run.record = record
    t = pc()
    run.execute()
    return pc() - t, acc[0], len(run.log)


def parts(sc: Any, reps: int) -> tuple[float, float, float]:
    """Seconds to construct a run's events, to replay them, and for the handlers alone."""
    events = list(simulate(sc).log)
    payloads = [(type(e), ev.payload(e), e.seq, e.time) for e in events]

    def construct() -> None:
        for cls, p, seq, t in payloads:
            cls(seq=seq, time=t, **p)

    def handlers() -> None:
        s = OrgState()
        h = HANDLERS
        for e in events:
            h[type(e)](s, e)

    t_construct, _, _ = timed(construct, reps)
    t_replay, _, _ = timed(lambda: replay(events), reps)  # order checks + dispatch + handler
    t_handlers, _, _ = timed(handlers, reps)
    return t_construct, t_replay, t_handlers


def run_seconds(sc: Any, reps: int) -> float:
    """Median seconds of a warmed-up run, when the engine section has not measured it."""
    simulate(sc)
    t_run, _, _ = timed(lambda: simulate(sc), reps)
    return t_run


def measure(sc: Any, reps: int, t_run: float) -> dict[str, Any]:
    samples = [instrumented(sc) for _ in range(reps)]
    gc_s, gc_share, gc_counts = gc_time(lambda: simulate(sc), reps)
    in_record = median([s[1] for s in samples])
    n = samples[0][2]
    t_construct, t_replay, t_handlers = parts(sc, reps)
    gc.collect()  # the events are gone: keep the next scenario's GC honest
    book = t_construct + t_replay - t_handlers
    return {
        "events": n,
        "run_s": t_run,
        "record_in_run_s": in_record,
        "record_in_run_us_per_event": in_record / n * 1e6,
        "record_share_of_run": median([s[1] / s[0] for s in samples]),
        "instrumented_run_s": median([s[0] for s in samples]),
        "construct_us_per_event": t_construct / n * 1e6,
        "append_apply_us_per_event": t_replay / n * 1e6,
        "handlers_us_per_event": t_handlers / n * 1e6,
        "bookkeeping_us_per_event": book / n * 1e6,
        "bookkeeping_share_of_run": book / t_run,
        "handlers_share_of_run": t_handlers / t_run,
        "gc_s": gc_s,
        "gc_share_of_run": gc_share,
        "gc_collections_by_generation": gc_counts,
    }


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    out = {}
    rows = []
    for name in SCENARIOS:
        sc = load(name).with_broker(True)
        reps = cfg["reps_small"] if name != "enterprise" else cfg["reps_big"]
        t_run = res.get("engine", {}).get(name, {}).get("run_s")
        if t_run is None:
            t_run = run_seconds(sc, reps)
        m = out[name] = measure(sc, reps, t_run)
        rows.append(
            [
                name,
                m["record_in_run_us_per_event"],
                m["construct_us_per_event"],
                m["append_apply_us_per_event"],
                m["handlers_us_per_event"],
                m["bookkeeping_us_per_event"],
                m["record_share_of_run"],
                m["bookkeeping_share_of_run"],
                m["gc_share_of_run"],
            ]
        )
    table(
        "Cost per domain event of record + apply (us); shares of one run's time",
        [
            "scenario",
            "record",
            "construct",
            "append+apply",
            "handlers",
            "log bookkeeping",
            "record share",
            "bookkeeping share",
            "GC share",
        ],
        rows,
    )
    print(
        "  record = measured inside the run; bookkeeping = construct + append + apply"
        " dispatch, without the state handlers' domain work;\n  GC share = cyclic garbage"
        " collector pauses during a run (gc.callbacks), wherever they fall"
    )
    res["log"] = out
