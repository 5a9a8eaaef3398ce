"""engine: orgsim's run time over bare SimPy processing as many scheduler events.

The ratio charges to orgsim everything it does per scheduler event: deciding,
drawing random numbers, recording and applying domain events.
"""

from __future__ import annotations

import random
from typing import Any

import simpy

from orgsim import simulate
from sections.common import SCENARIOS, load, median, pc, scheduler_events, table, timed

TARGET_RATIO = 2.5  # issue 13


def bare_simpy(n_events: int, n_procs: int, seed: int = 0) -> tuple[float, int]:
    """Time bare SimPy processing ``n_events`` events: processes looping on timeouts.

    Each process costs an Initialize event, one event per timeout, and its own
    termination event, so the timeouts are ``n_events - 2 * n_procs``.
    """
    n_procs = max(1, min(n_procs, n_events // 4))
    rng = random.Random(seed)
    per = max(1, (n_events - 2 * n_procs) // n_procs)
    plans = [[rng.expovariate(1.0) for _ in range(per)] for _ in range(n_procs)]

    def proc(env: simpy.Environment, delays: list[float]) -> Any:
        timeout = env.timeout
        for d in delays:
            yield timeout(d)

    env = simpy.Environment()
    t = pc()
    for delays in plans:
        env.process(proc(env, delays))
    env.run()
    dt = pc() - t
    return dt, next(env._eid) - len(env._queue)


def measure(name: str, reps: int) -> dict[str, Any]:
    """One scenario's run time against bare SimPy with its event count and heap size."""
    sc = load(name)
    simulate(sc, broker=True)  # warm-up (imports, caches)
    t_run, times, run = timed(lambda: simulate(sc, broker=True), reps)
    n_sched = scheduler_events(run)
    n_dom = len(run.log)
    pending = len(run.env._queue)
    bare = []
    for i in range(max(3, reps)):
        dt, n = bare_simpy(n_sched, max(10, pending), seed=i)
        bare.append(dt / n)
    us_bare = median(bare) * 1e6
    return {
        "run_s": t_run,
        "run_s_all": times,
        "scheduler_events": n_sched,
        "domain_events": n_dom,
        "pending_at_horizon": pending,
        "us_per_scheduler_event": t_run / n_sched * 1e6,
        "us_per_domain_event": t_run / n_dom * 1e6,
        "bare_simpy_us_per_event": us_bare,
        "bare_simpy_processes": max(10, pending),
        "overhead_ratio": t_run / (us_bare * 1e-6 * n_sched),
        "target_ratio": TARGET_RATIO,
    }


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    out = {}
    rows = []
    for name in SCENARIOS:
        reps = cfg["reps_small"] if name != "enterprise" else cfg["reps_big"]
        m = out[name] = measure(name, reps)
        rows.append(
            [
                name,
                m["run_s"],
                m["scheduler_events"],
                m["domain_events"],
                m["us_per_scheduler_event"],
                m["bare_simpy_us_per_event"],
                m["overhead_ratio"],
            ]
        )
    table(
        f"Engine overhead (broker on; target ratio <= {TARGET_RATIO:g} x bare SimPy)",
        ["scenario", "run s", "sched ev", "domain ev", "us/sched ev", "bare us/ev", "ratio"],
        rows,
    )
    res["engine"] = out
