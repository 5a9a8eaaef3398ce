"""memory: bytes per domain event that a finished run keeps in memory.

One run of about a million domain events (the quick mode: a smaller one) in a
fresh process (``run.py --memory-child SPEC``). The log's size is everything
reachable from ``run.log`` (its events, their fields, and the state they fold to),
``sys.getsizeof`` of each object once, per domain event; also a list of the events
alone, and the whole ``Run``. The growth of the process's RSS over the run (after a
collection) is a cross-check: it also counts memory the allocator keeps. In the full
mode a smaller run (the 3-year enterprise) is also traced by tracemalloc, which makes it
several times slower: the Python memory still allocated after it with the whole run
kept, then the log, then the events, each less what remains when nothing is kept,
beside the getsizeof walk of the same log.
"""

from __future__ import annotations

import functools
import gc
import json
import subprocess
import sys
import types
from collections.abc import Iterable
from typing import Any

from orgsim import simulate
from sections.common import RUNNER, load, pc, rss_mb, table

TARGET_BYTES = 60.0


def traced(sc: Any) -> dict[str, Any]:
    """tracemalloc's view of one run (kept whole, then its log, then its events), with the
    getsizeof walk of the same log to compare."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    t = pc()
    run = simulate(sc, broker=True)
    seconds = pc() - t
    gc.collect()
    whole, peak = tracemalloc.get_traced_memory()
    log = run.log
    n = len(log)
    del run
    gc.collect()
    with_log = tracemalloc.get_traced_memory()[0]
    walked = deep_size([log])  # its own allocations are gone when it returns
    events = list(log)
    del log
    gc.collect()
    with_events = tracemalloc.get_traced_memory()[0]
    del events
    gc.collect()
    nothing = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "domain_events": n,
        "traced_run_s": seconds,
        "run_bytes_per_event": (whole - nothing) / n,
        "log_bytes_per_event": (with_log - nothing) / n,
        "events_bytes_per_event": (with_events - nothing) / n,
        "peak_bytes_per_event": (peak - nothing) / n,
        "walked_log_bytes_per_event": walked / n,
    }


# Not part of what a log or run holds: shared code and classes. Callables are cut
# too, so the log's clock (the environment's ``now``) does not pull the whole run in.
SHARED = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    types.CodeType,
    functools.partial,
)


def deep_size(roots: Iterable[Any]) -> int:
    """Bytes of the objects reachable from ``roots`` (``sys.getsizeof``, each counted once)."""
    seen: set[int] = set()
    stack = list(roots)
    total = 0
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, SHARED):
            continue
        total += sys.getsizeof(o)
        stack.extend(gc.get_referents(o))
    return total


def child_main(spec_text: str) -> None:
    """Measure one run's memory in this fresh process and print JSON (--memory-child)."""
    spec = json.loads(spec_text)
    sc = load(spec["scenario"], tuple(spec["overrides"]))
    simulate(load("startup"), broker=True)  # imports and caches, before any baseline
    out: dict[str, Any] = {"horizon": sc.horizon}
    gc.collect()
    before = rss_mb()
    t = pc()
    run = simulate(sc, broker=True)
    out["run_s"] = pc() - t
    gc.collect()
    n = len(run.log)
    out["domain_events"] = n
    out["rss_growth_mb"] = rss_mb() - before
    out["rss_bytes_per_event"] = out["rss_growth_mb"] * 2**20 / n
    t = pc()
    events = list(run.log)
    sizes = {
        "log": deep_size([run.log]),
        "columns": deep_size([run.log.columns]),
        "state": deep_size([run.log.state]),
        "events": deep_size(events) + sys.getsizeof(events),
        "run": deep_size([run]),
    }
    out["sizing_s"] = pc() - t
    for k, v in sizes.items():
        out[f"{k}_bytes_per_event"] = v / n
        out[f"{k}_mb"] = v / 2**20
    del run, events
    gc.collect()
    if spec["traced"]:  # a smaller run: tracing makes it several times slower
        scenario, overrides = spec["traced"]
        out["tracemalloc"] = traced(load(scenario, tuple(overrides)))
        out["tracemalloc"]["scenario"] = f"{scenario} {' '.join(overrides)}".strip()
    print(json.dumps(out))


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    scenario, overrides = cfg["memory_run"]
    spec = {"scenario": scenario, "overrides": list(overrides), "traced": cfg["memory_traced"]}
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--memory-child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
        raise RuntimeError(f"memory child: {err}")
    m: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    label = f"{scenario} {' '.join(overrides)}".strip()
    m.update(
        scenario=label,
        target_bytes_per_event=TARGET_BYTES,
        million_event_run=m["domain_events"] >= 800_000,
    )
    size = "~1M-event run" if m["million_event_run"] else "smaller run (quick mode), not 1M"
    tm = m.get("tracemalloc", {})
    table(
        f"Memory a finished run keeps, bytes per domain event ({size}; target <= "
        f"{TARGET_BYTES:g} B/event for the log)",
        [
            "run",
            "events",
            "run s",
            "log's events (columns)",
            "log's state",
            "log",
            "events as objects",
            "whole run",
            "RSS growth",
        ],
        [
            [
                label,
                m["domain_events"],
                m["run_s"],
                m["columns_bytes_per_event"],
                m["state_bytes_per_event"],
                m["log_bytes_per_event"],
                m["events_bytes_per_event"],
                m["run_bytes_per_event"],
                m["rss_bytes_per_event"],
            ]
        ],
    )
    print(
        "  log's events = its columns (the target's figure); log's state = the state they"
        " fold to (people, features, conflicts:\n  it grows with the company, not the log);"
        " log = both (sys.getsizeof of everything reachable, each object once);\n  events as"
        " objects = the same events materialised as frozen objects in a list; whole run ="
        " the Run object (environment, streams, scenario, log); RSS growth = the process's"
        " RSS\n  over the run, after gc.collect() (includes memory the allocator keeps)"
    )
    if tm:
        print(
            f"  cross-check, tracemalloc on {tm['scenario']} ({tm['domain_events']:,} events):"
            f" log {tm['log_bytes_per_event']:.0f} B/event (the getsizeof walk of the same"
            f" log: {tm['walked_log_bytes_per_event']:.0f}),\n  events"
            f" {tm['events_bytes_per_event']:.0f}, whole run {tm['run_bytes_per_event']:.0f},"
            f" peak during the run {tm['peak_bytes_per_event']:.0f}"
            f" (the traced run took {tm['traced_run_s']:.1f} s)"
        )
    res["memory"] = m
