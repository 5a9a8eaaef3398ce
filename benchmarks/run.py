"""orgsim benchmarks: speed against the limits and its peers, and how cost grows.

Run from the repository root::

    python benchmarks/run.py            # everything, ~5-10 minutes on 2 cores
    python benchmarks/run.py --quick    # smaller samples, under 2 minutes
    python benchmarks/run.py --only engine,peers

It prints one table per figure and writes every number to benchmarks/results.json
(and the cProfile tables to benchmarks/profile.txt). Every figure is a median of
repeated measurements, or a ratio of two medians measured side by side in this same
process run. Nothing here asserts a timing: the targets are printed next to the
measured values for a human to judge. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCENARIOS = ("startup", "midsize", "enterprise")
SECTIONS = (
    "engine",
    "log",
    "peers",
    "growth",
    "store",
    "scaling",
    "sweep",
    "stats",
    "profile",
)
pc = time.perf_counter


# ----------------------------------------------------------------- helpers


def median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else math.nan


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """Median wall time of ``repeat`` calls, all the times, and the last result."""
    times = []
    out = None
    for _ in range(repeat):
        t = pc()
        out = fn()
        times.append(pc() - t)
    return median(times), times, out


def fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if x == 0:
            return "0"
        if abs(x) >= 1e5:
            return f"{x:,.0f}"
        return (
            f"{x:.{digits}g}"
            if abs(x) < 1
            else f"{x:,.{max(0, digits - 1 - int(math.log10(abs(x))))}f}"
        )
    return str(x)


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)
    ]
    print(f"\n## {title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    sys.stdout.flush()


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KB on Linux


def hwm_mb() -> float:
    """Peak RSS of this process image (VmHWM; unlike ru_maxrss it is reset by exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return maxrss_mb()


def rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover - psutil is a dask dependency
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def scheduler_events(run: Any) -> int:
    """SimPy events processed by a finished run.

    ``env._eid`` numbers every scheduled event; the ones still in the heap at the
    horizon were scheduled but never processed.
    """
    return next(run.env._eid) - len(run.env._queue)


def load(name: str, overrides: tuple[str, ...] = ()) -> Any:
    from orgsim.scenario.loading import load_scenario

    return load_scenario(name, overrides=list(overrides))


def scaled_overrides(k: float) -> tuple[str, ...]:
    """Midsize with staff, products and conflict rate times ``k`` (drag / k)."""
    from orgsim.scenario.schema import Scenario

    base = Scenario()
    out = [
        f"departments.{name}.staff={max(1, round(d.staff * k))}"
        for name, d in base.departments.items()
    ]
    out.append(f"delivery.products={max(1, round(base.delivery.products * k))}")
    out.append(f"conflicts.intensity={k}")
    out.append(f"conflicts.drag={base.conflicts.drag / k}")
    return tuple(out)


# ------------------------------------------------------------ engine overhead


def bare_simpy(n_events: int, n_procs: int, seed: int = 0) -> tuple[float, int]:
    """Time bare SimPy processing ``n_events`` events: processes looping on timeouts.

    Each process costs an Initialize event, one event per timeout, and its own
    termination event, so the timeouts are ``n_events - 2 * n_procs``.
    """
    import simpy

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


def bench_engine(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    from orgsim.engine.run import simulate

    out = {}
    rows = []
    for name in SCENARIOS:
        sc = load(name)
        simulate(sc, broker=True)  # warm-up (imports, caches)
        reps = cfg["reps_small"] if name != "enterprise" else cfg["reps_big"]
        t_run, times, run = timed(lambda sc=sc: simulate(sc, broker=True), reps)
        n_sched = scheduler_events(run)
        n_dom = len(run.log)
        pending = len(run.env._queue)
        bare = []
        for i in range(max(3, reps)):
            dt, n = bare_simpy(n_sched, max(10, pending), seed=i)
            bare.append(dt / n)
        us_bare = median(bare) * 1e6
        ratio = t_run / (us_bare * 1e-6 * n_sched)
        out[name] = {
            "run_s": t_run,
            "run_s_all": times,
            "scheduler_events": n_sched,
            "domain_events": n_dom,
            "pending_at_horizon": pending,
            "us_per_scheduler_event": t_run / n_sched * 1e6,
            "us_per_domain_event": t_run / n_dom * 1e6,
            "bare_simpy_us_per_event": us_bare,
            "bare_simpy_processes": max(10, pending),
            "overhead_ratio": ratio,
            "target_ratio": 2.0,
        }
        rows.append(
            [
                name,
                t_run,
                n_sched,
                n_dom,
                t_run / n_sched * 1e6,
                us_bare,
                ratio,
            ]
        )
    table(
        "Engine overhead (broker on; target <= 2x bare SimPy)",
        ["scenario", "run s", "sched ev", "domain ev", "us/sched ev", "bare us/ev", "ratio"],
        rows,
    )
    res["engine"] = out


# --------------------------------------------------------- record + apply


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


def bench_log(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    from orgsim.engine import events as ev
    from orgsim.engine.log import replay
    from orgsim.engine.run import Run, simulate
    from orgsim.engine.state import HANDLERS, OrgState

    out = {}
    rows = []
    for name in SCENARIOS:
        sc = load(name).with_broker(True)
        reps = cfg["reps_small"] if name != "enterprise" else cfg["reps_big"]
        t_run = res.get("engine", {}).get(name, {}).get("run_s")
        if t_run is None:
            simulate(sc)
            t_run, _, _ = timed(lambda sc=sc: simulate(sc), reps)

        # 1. in the run: the time spent inside record (event + append + apply)
        def instrumented(sc: Any = sc) -> tuple[float, float, int]:
            run = Run(sc, sc.seed, 0)
            inner = run.log.record
            acc = [0.0]

            def record(cls: Any, **fields: Any) -> Any:
                t = pc()
                e = inner(cls, **fields)
                acc[0] += pc() - t
                return e

            run.record = record  # type: ignore[method-assign]
            t = pc()
            run.execute()
            return pc() - t, acc[0], len(run.log)

        samples = [instrumented() for _ in range(reps)]
        gc_s, gc_share, gc_counts = gc_time(lambda sc=sc: simulate(sc), reps)
        in_record = median([s[1] for s in samples])
        share = median([s[1] / s[0] for s in samples])
        n = samples[0][2]
        events = list(simulate(sc).log)
        payloads = [(type(e), ev.payload(e), e.seq, e.time) for e in events]

        # 2. building the frozen attrs events alone
        def construct(payloads: list[Any] = payloads) -> None:
            for cls, p, seq, t in payloads:
                cls(seq=seq, time=t, **p)

        t_construct, _, _ = timed(construct, reps)
        # 3. append (order checks) + apply (dispatch + handler), as replay does
        t_replay, _, _ = timed(lambda events=events: replay(events), reps)

        # 4. the state handlers alone (the domain work of apply)
        def handlers(events: list[Any] = events) -> None:
            s = OrgState()
            h = HANDLERS
            for e in events:
                h[type(e)](s, e)

        t_handlers, _, _ = timed(handlers, reps)
        book = t_construct + t_replay - t_handlers
        out[name] = {
            "events": n,
            "run_s": t_run,
            "record_in_run_s": in_record,
            "record_in_run_us_per_event": in_record / n * 1e6,
            "record_share_of_run": share,
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
        rows.append(
            [
                name,
                in_record / n * 1e6,
                t_construct / n * 1e6,
                t_replay / n * 1e6,
                t_handlers / n * 1e6,
                book / n * 1e6,
                share,
                book / t_run,
                gc_share,
            ]
        )
        del events, payloads, construct, handlers  # keep the next scenario's GC honest
        gc.collect()
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


# ----------------------------------------------------------------- peers


def mmc_scenario(lam: float, mean_service: float, c: int, horizon: float) -> Any:
    """orgsim configured as the textbook M/M/c mediation queue (as tests/test_model.py)."""
    from orgsim.scenario.loading import parse_scenario
    from orgsim.scenario.schema import Scenario

    kinds: dict[str, dict[str, Any]] = {
        k: {"enabled": k == "custom_work"} for k in Scenario().conflicts.kinds
    }
    kinds["custom_work"].update(
        interarrival={"kind": "exponential", "mean": 1 / lam},
        surfacing={"kind": "deterministic", "mean": 0.0},
        lifetime={"kind": "deterministic", "mean": 1e9},
    )
    return parse_scenario(
        {
            "horizon": horizon,
            # big delivery tick; no roadmap and no budget cycles beyond the first
            "delivery": {
                "tick": 30.0,
                "products": 1,
                "initial_features": 0,
                "feature_interarrival": {"kind": "exponential", "mean": 1e9},
            },
            "budget": {"quarter_days": 1e9},
            "conflicts": {"kinds": kinds},
            "broker": {
                "mediators": c,
                "detection": {"kind": "deterministic", "mean": 0.0},
                "mediation": {"kind": "exponential", "mean": mean_service},
                "success_base": 1.0,
                "queue_limit": 0,
            },
        }
    )


# two-sided 95% Student t quantiles by degrees of freedom
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def _warm(waits: list[float]) -> list[float]:
    return waits[len(waits) // 10 :]  # drop the warm-up tenth


def mmc_orgsim(sc: Any, seed: int) -> tuple[float, int, float, int]:
    from orgsim.engine import events as ev
    from orgsim.engine.run import simulate

    t = pc()
    run = simulate(sc, seed=seed, broker=True)
    dt = pc() - t
    queued: dict[int, float] = {}
    waits = []
    arrivals = 0
    for e in run.log:
        if isinstance(e, ev.ConflictRaised):
            arrivals += 1
        elif isinstance(e, ev.MediationQueued):
            queued[e.conflict] = e.time
        elif isinstance(e, ev.MediationStarted):
            waits.append(e.time - queued[e.conflict])
    return dt, arrivals, float(statistics.fmean(_warm(waits))), scheduler_events(run)


def mmc_simpy(lam: float, mean_service: float, c: int, horizon: float, seed: int) -> Any:
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits: list[float] = []
    count = [0]

    def customer(env: simpy.Environment) -> Any:
        arrived = env.now
        with servers.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1.0 / mean_service))

    def source(env: simpy.Environment) -> Any:
        while True:
            yield env.timeout(rng.expovariate(lam))
            count[0] += 1
            env.process(customer(env))

    t = pc()
    env.process(source(env))
    env.run(until=horizon)
    dt = pc() - t
    return dt, count[0], float(statistics.fmean(_warm(waits))), next(env._eid) - len(env._queue)


def mmc_ciw(lam: float, mean_service: float, c: int, horizon: float, seed: int) -> Any:
    import ciw

    ciw.seed(seed)  # global: only ever called here
    t = pc()
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / mean_service)],
        number_of_servers=[c],
    )
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(horizon)
    dt = pc() - t
    recs = sorted(sim.get_all_records(), key=lambda r: r.arrival_date)
    in_system = sum(len(n.all_individuals) for n in sim.transitive_nodes)
    waits = [r.waiting_time for r in recs]
    return dt, len(recs) + in_system, float(statistics.fmean(_warm(waits))), None


def bench_peers(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    from orgsim.analysis.theory import erlang_c_wait

    lam, mean_service, c = 0.2, 8.0, 2
    horizon = cfg["mmc_horizon"]
    reps = cfg["mmc_reps"]
    theory = erlang_c_wait(lam, 1.0 / mean_service, c)
    sc = mmc_scenario(lam, mean_service, c, horizon)
    peers: dict[str, Callable[[int], Any]] = {
        "orgsim": lambda s: mmc_orgsim(sc, s + 1),
        "simpy": lambda s: mmc_simpy(lam, mean_service, c, horizon, s),
        "ciw": lambda s: mmc_ciw(lam, mean_service, c, horizon, s),
    }
    for fn in peers.values():  # warm-up
        fn(1000)
    samples: dict[str, list[Any]] = {k: [] for k in peers}
    for s in range(reps):  # interleaved, so drift hits every peer alike
        for k, fn in peers.items():
            samples[k].append(fn(s))
    out: dict[str, Any] = {
        "lambda": lam,
        "mean_service": mean_service,
        "servers": c,
        "horizon": horizon,
        "replications": reps,
        "erlang_c_wait": theory,
    }
    rows = []
    base = None
    for k, ss in samples.items():
        per = median([s[0] / s[1] for s in ss]) * 1e6
        base = per if k == "simpy" else base
        waits = [s[2] for s in ss]
        mean = statistics.fmean(waits)
        half = (
            T975.get(len(waits) - 1, 2.0) * statistics.stdev(waits) / math.sqrt(len(waits))
            if len(waits) > 1
            else math.nan
        )
        sched = [s[3] for s in ss if s[3] is not None]
        out[k] = {
            "us_per_customer": per,
            "customers_per_run": median([s[1] for s in ss]),
            "run_s": median([s[0] for s in ss]),
            "mean_wait": mean,
            "mean_wait_half_width": half,
            "wait_vs_erlang_c": mean / theory,
            "scheduler_events_per_customer": median([s[3] / s[1] for s in ss]) if sched else None,
        }
        rows.append([k, per, median([s[1] for s in ss]), mean, half, mean / theory])
    for k in samples:
        out[k]["time_vs_simpy"] = out[k]["us_per_customer"] / out["simpy"]["us_per_customer"]
        rows[list(samples).index(k)].append(out[k]["time_vs_simpy"])
    table(
        f"Peers on the same M/M/{c} queue (lambda={lam}, mean service={mean_service}, "
        f"horizon={horizon:g}; Erlang C wait = {theory:.2f} days)",
        ["engine", "us/customer", "customers", "mean wait", "+/-", "wait/ErlangC", "time/simpy"],
        rows,
    )
    res["peers"] = out


# ----------------------------------------------------------------- growth


def child_main(spec_text: str) -> None:
    """Measure one size in this fresh process and print JSON (--child)."""
    spec = json.loads(spec_text)
    from orgsim.engine.run import simulate

    sc = load(spec["scenario"], tuple(spec["overrides"]))
    gc.collect()
    base = hwm_mb()
    t = pc()
    run = simulate(sc, broker=True)
    first = pc() - t
    peak = hwm_mb()
    n_dom, n_sched = len(run.log), scheduler_events(run)
    staff = sum(d.staff for d in sc.departments.values() if d.enabled)
    del run
    gc.collect()
    times = [first]
    for _ in range(spec["repeat"] - 1):
        t = pc()
        simulate(sc, broker=True)
        times.append(pc() - t)
    out = {
        "staff": staff,
        "horizon": sc.horizon,
        "domain_events": n_dom,
        "scheduler_events": n_sched,
        "run_s": median(times),
        "run_s_all": times,
        "peak_rss_before_mb": base,
        "peak_rss_after_mb": peak,
        "peak_rss_growth_mb": peak - base,
    }
    if spec.get("tracemalloc"):
        import tracemalloc

        gc.collect()
        tracemalloc.start()
        simulate(sc, broker=True)
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        out["bytes_per_event_traced"] = out["tracemalloc_peak_mb"] * 2**20 / n_dom
    print(json.dumps(out))


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def bench_growth(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    specs: list[tuple[str, str, str, tuple[str, ...]]] = []
    for name in SCENARIOS:
        specs.append(("company", name, name, ()))
    for k in cfg["scale_factors"]:
        specs.append(("scaled", f"midsize x{k:g}", "midsize", scaled_overrides(k)))
    for h in cfg["horizons"]:
        specs.append(("horizon", f"midsize {h:g} d", "midsize", (f"horizon={h}",)))
    out: dict[str, Any] = {}
    rows = []
    for series, label, scen, overrides in specs:
        r = run_child(
            {
                "scenario": scen,
                "overrides": list(overrides),
                "repeat": cfg["growth_reps"] if scen != "enterprise" else cfg["reps_big"],
                "tracemalloc": cfg["tracemalloc"],
            }
        )
        r["series"] = series
        out[label] = r
        if "error" in r:
            rows.append([series, label, r["error"]] + [None] * 7)
            continue
        rows.append(
            [
                series,
                label,
                r["staff"],
                r["horizon"],
                r["domain_events"],
                r["run_s"],
                r["run_s"] / r["domain_events"] * 1e6,
                r["run_s"] / r["scheduler_events"] * 1e6,
                r["peak_rss_growth_mb"],
                r.get("tracemalloc_peak_mb"),
            ]
        )
    table(
        "Growth (broker on; a fresh subprocess per size)",
        [
            "series",
            "size",
            "staff",
            "horizon",
            "events",
            "run s",
            "us/event",
            "us/sched ev",
            "peak RSS +MB",
            "traced peak MB",
        ],
        rows,
    )
    runs = [v for v in out.values() if "run_s" in v]
    for series in ("company", "scaled", "horizon"):
        pts = [v for v in runs if v["series"] == series]
        if len(pts) >= 2:
            per = [p["run_s"] / p["domain_events"] * 1e6 for p in pts]
            out[f"{series}_us_per_event_max_over_min"] = max(per) / min(per)
            print(
                f"  {series}: us/event spans {min(per):.1f}-{max(per):.1f} "
                f"(max/min {max(per) / min(per):.2f}) over "
                f"{min(p['domain_events'] for p in pts):,}-"
                f"{max(p['domain_events'] for p in pts):,} events"
            )
    res["growth"] = out


# ------------------------------------------------------------------ store


def columnar_metrics(cols: dict[str, Any], codes: dict[str, int]) -> dict[str, float]:
    """A prototype columnar projection: five metrics as numpy reductions over columns."""
    import numpy as np

    typ, tm, val, ent = cols["type"], cols["time"], cols["value"], cols["entity"]
    shipped = typ == codes["FeatureShipped"]
    planned = typ == codes["FeaturePlanned"]
    extra = typ == codes["ExtraWorkCompleted"]
    plan_time = np.full(int(ent[planned].max()) + 1, np.nan)
    plan_time[ent[planned]] = tm[planned]
    lead = tm[shipped] - plan_time[ent[shipped]]
    return {
        "features_shipped": float(shipped.sum()),
        "value_shipped": float(val[shipped].sum() + val[extra].sum()),
        "lead_time_p50": float(np.percentile(lead, 50)) if lead.size else math.nan,
        "conflicts_raised": float((typ == codes["ConflictRaised"]).sum()),
        "conflicts_resolved": float((typ == codes["ConflictResolved"]).sum()),
    }


def to_columns(events: list[Any], codes: dict[str, int]) -> dict[str, Any]:
    import numpy as np

    n = len(events)
    typ = np.empty(n, np.int16)
    tm = np.empty(n, np.float64)
    val = np.full(n, np.nan)
    ent = np.full(n, -1, np.int64)
    for i, e in enumerate(events):
        typ[i] = codes[type(e).__name__]
        tm[i] = e.time
        v = getattr(e, "value", None)
        if v is not None:
            val[i] = v
        f = getattr(e, "feature", None)
        if f is None:
            f = getattr(e, "conflict", None)
        if f is not None:
            ent[i] = f
    return {"type": typ, "time": tm, "value": val, "entity": ent}


def bench_store(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    import sqlite3

    from orgsim.engine.events import EVENT_TYPES, encode
    from orgsim.engine.run import simulate
    from orgsim.metrics.projections import metrics
    from orgsim.storage.eventstore import EventStore

    reps = cfg["store_reps"]
    runs = [simulate(load("enterprise"), broker=True), simulate(load("midsize"), broker=True)]
    out: dict[str, Any] = {}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in runs:
            log = run.log
            n = len(log)
            name = run.scenario.name
            write, read, raw = [], [], []
            t_encode, _, rows_enc = timed(lambda log=log: [encode(e) for e in log], reps)
            for i in range(reps):
                path = Path(tmp) / f"{name}-{i}.sqlite"
                with EventStore(path) as store:
                    t = pc()
                    run_id = store.save(log, scenario=run.scenario)
                    write.append(pc() - t)
                    t = pc()
                    back = store.events(run_id)
                    read.append(pc() - t)
                size = path.stat().st_size  # closed: WAL checkpointed into the file
                conn = sqlite3.connect(path)
                t = pc()
                conn.execute(
                    "SELECT seq, time, type, version, data FROM events WHERE run_id=? ORDER BY seq",
                    (run_id,),
                ).fetchall()
                raw.append(pc() - t)
                conn.close()
            # SQLite alone: pre-encoded rows, executemany, one transaction
            path = Path(tmp) / f"{name}-raw.sqlite"
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE events (run_id INT NOT NULL, seq INT NOT NULL, time REAL NOT NULL,"
                " type TEXT NOT NULL, version INT NOT NULL, data TEXT NOT NULL,"
                " PRIMARY KEY (run_id, seq)) WITHOUT ROWID"
            )
            sql_only = []
            for i in range(reps):
                t = pc()
                conn.execute("BEGIN")
                conn.executemany(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                    ((i, *r) for r in rows_enc),
                )
                conn.execute("COMMIT")
                sql_only.append(pc() - t)
            conn.close()
            t_metrics, _, _ = timed(lambda back=back: metrics(back), reps)
            codes = {k: i for i, k in enumerate(sorted(EVENT_TYPES))}
            t_cols, _, cols = timed(lambda b=back, c=codes: to_columns(b, c), reps)
            t_colm, _, colm = timed(lambda x=cols, c=codes: columnar_metrics(x, c), max(reps, 5))
            full = metrics(back)
            agree = all(
                math.isclose(colm[k], full[k], rel_tol=1e-9)
                or (math.isnan(colm[k]) and math.isnan(full[k]))
                for k in colm
            )
            w, r, rw = median(write), median(read), median(raw)
            out[name] = {
                "events": n,
                "write_events_per_s": n / w,
                "write_target_events_per_s": 700_000,
                "encode_us_per_event": t_encode / n * 1e6,
                "sqlite_only_write_events_per_s": n / median(sql_only),
                "read_events_per_s": n / r,
                "read_raw_rows_per_s": n / rw,
                "decode_us_per_event": (r - rw) / n * 1e6,
                "bytes_per_event": size / n,
                "projection_metrics_events_per_s": n / t_metrics,
                "projection_target_events_per_s": 5_000_000,
                "columnar_build_us_per_event": t_cols / n * 1e6,
                "columnar_prototype_events_per_s": n / t_colm,
                "columnar_prototype_agrees": agree,
            }
            rows.append(
                [
                    f"{name} ({n:,} ev)",
                    n / w,
                    n / median(sql_only),
                    n / r,
                    n / rw,
                    size / n,
                    n / t_metrics,
                    n / t_colm,
                ]
            )
    table(
        "Event store (SQLite via EventStore) and projections, events/s",
        [
            "log",
            "write",
            "SQLite-only write",
            "read+decode",
            "raw read",
            "bytes/ev",
            "metrics()",
            "columnar proto",
        ],
        rows,
    )
    e = out["enterprise"]
    print(
        f"  write target >= 700k/s; encode (json.dumps per event) costs "
        f"{e['encode_us_per_event']:.2f} us/event, decode {e['decode_us_per_event']:.2f} us/event;"
        f"\n  projection target >= 5M events/s: metrics() is a Python pass over event objects; "
        f"the columnar prototype (5 metrics, numpy) agrees={e['columnar_prototype_agrees']} and "
        f"needs columns built first ({e['columnar_build_us_per_event']:.2f} us/event from objects)"
    )
    res["store"] = out


# ---------------------------------------------------------------- scaling


def make_tasks(
    name: str, n: int, overrides: tuple[str, ...] = (), experiment: str = "bench"
) -> list[Any]:
    from orgsim.experiments.tasks import Task

    sc = load(name, overrides)
    h = sc.digest()
    return [
        Task(
            experiment=experiment,
            scenario=sc,
            scenario_hash=h,
            point=0,
            arm=arm,
            replication=rep,
            seed=sc.seed,
        )
        for rep in range((n + 1) // 2)
        for arm in ("on", "off")
    ][:n]


def _noop(x: int) -> int:
    return x


def bench_dask(cfg: dict[str, Any], out: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    try:
        import orgsim.experiments.cluster  # noqa: F401

        has_cluster = True
    except ImportError:
        has_cluster = False
    out["orgsim_cluster_present"] = has_cluster
    try:
        import logging

        from distributed import Client, LocalCluster
    except ImportError:
        out["dask"] = "distributed not installed"
        return rows
    from orgsim.experiments.executors import run_tasks
    from orgsim.experiments.tasks import execute_task

    tasks = make_tasks("startup", cfg["dask_tasks"], ("horizon=365",))
    t = pc()
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    start = pc() - t
    try:
        client.submit(_noop, -1).result()
        client.gather(client.map(execute_task, tasks[:2], pure=False))  # warm the workers
        n_noop = cfg["dask_noops"]
        t = pc()
        client.gather(client.map(_noop, range(n_noop), pure=False))
        noop = (pc() - t) / n_noop
        t = pc()
        client.gather(client.map(execute_task, tasks, pure=False))
        dask_task = pc() - t
    finally:
        t = pc()
        client.close()
        cluster.close()
        close = pc() - t
    t = pc()
    run_tasks(tasks, executor="local", jobs=2)
    local = pc() - t
    t = pc()
    run_tasks(tasks, executor="serial")
    serial = pc() - t
    d = {
        "start_s": start,
        "close_s": close,
        "noop_ms_per_task": noop * 1e3,
        "tasks": len(tasks),
        "task_ms_serial": serial / len(tasks) * 1e3,
        "dask_runs_per_s": len(tasks) / dask_task,
        "local_pool_runs_per_s": len(tasks) / local,
        "dask_overhead_ms_per_task": (dask_task - serial / 2) / len(tasks) * 1e3,
        "dask_vs_local_pool": local / dask_task,
    }
    if has_cluster:
        t = pc()
        run_tasks(tasks, executor="dask", jobs=2)
        d["orgsim_cluster_runs_per_s"] = len(tasks) / (pc() - t)
    out["dask"] = d
    rows.append(["dask LocalCluster 2x1, no-op", f"{noop * 1e3:.2f} ms/task", "", "", ""])
    rows.append(
        [
            f"dask client.map(execute_task), {len(tasks)} startup 365 d",
            len(tasks) / dask_task,
            serial / dask_task,
            serial / dask_task / 2,
            d["dask_overhead_ms_per_task"],
        ]
    )
    rows.append(
        [
            "local pool, same tasks",
            len(tasks) / local,
            serial / local,
            serial / local / 2,
            (local - serial / 2) / len(tasks) * 1e3,
        ]
    )
    if has_cluster:
        rows.append(["run_tasks(executor='dask')", d["orgsim_cluster_runs_per_s"], "", "", ""])
    return rows


def _spin(n: int) -> float:
    t = pc()
    x = 0
    for i in range(n):
        x += i
    return pc() - t


def machine_ceiling(n: int = 6_000_000, reps: int = 3) -> tuple[float, float, float]:
    """Speed-up two processes of pure-Python arithmetic get on this machine right now.

    No orgsim, no pickling, no pool overhead: the ceiling any executor can reach.
    Returns (ceiling speed-up, seconds alone, seconds side by side).
    """
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    alone, pair = [], []
    with ctx.Pool(2) as pool:
        pool.map(_spin, [1000, 1000])
        for _ in range(reps):
            alone.append(pool.apply(_spin, (n,)))
            pair.append(max(pool.map(_spin, [n, n], chunksize=1)))
    a, p = median(alone), median(pair)
    return 2 * a / p, a, p


def bench_scaling(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    from orgsim.experiments.executors import run_tasks

    ceiling, spin_alone, spin_pair = machine_ceiling()
    tasks = make_tasks("midsize", cfg["scaling_tasks"])
    run_tasks(tasks[:2], executor="serial")
    one, two = [], []
    for _ in range(cfg["scaling_reps"]):  # interleaved
        t = pc()
        run_tasks(tasks, executor="local", jobs=1)
        one.append(pc() - t)
        t = pc()
        run_tasks(tasks, executor="local", jobs=2)
        two.append(pc() - t)
    t1, t2 = median(one), median(two)
    ceiling_after, _, _ = machine_ceiling()
    n = len(tasks)
    out: dict[str, Any] = {
        "tasks": n,
        "scenario": "midsize 1095 d",
        "runs_per_s_1": n / t1,
        "runs_per_s_2": n / t2,
        "speedup": t1 / t2,
        "efficiency": t1 / t2 / 2,
        "target_efficiency": 0.9,
        "machine_ceiling_speedup": ceiling,
        "machine_ceiling_speedup_after": ceiling_after,
        "spin_alone_s": spin_alone,
        "spin_side_by_side_s": spin_pair,
        "efficiency_vs_machine_ceiling": t1 / t2 / max(ceiling, ceiling_after),
        "loadavg_1min": os.getloadavg()[0],
    }
    rows = [
        [
            "machine ceiling: 2 pure-Python loops (before/after)",
            None,
            f"{ceiling:.2f}/{ceiling_after:.2f}",
            f"{ceiling / 2:.2f}/{ceiling_after / 2:.2f}",
            None,
        ],
        ["run_tasks local jobs=1 (in-process)", n / t1, 1.0, 1.0, None],
        ["run_tasks local jobs=2", n / t2, t1 / t2, t1 / t2 / 2, (t2 - t1 / 2) / n * 1e3],
        [
            "  jobs=2 against the machine ceiling",
            None,
            None,
            out["efficiency_vs_machine_ceiling"],
            None,
        ],
    ]
    if cfg["dask"]:
        rows += bench_dask(cfg, out)
    table(
        f"Scaling on {os.cpu_count()} cores (midsize runs; target efficiency >= 0.9)",
        ["executor", "runs/s", "speed-up", "efficiency", "overhead ms/task"],
        rows,
    )
    res["scaling"] = out


# ----------------------------------------------------------- sweep memory


def bench_sweep(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    from orgsim.experiments.executors import run_tasks
    from orgsim.storage.results import ResultsDB

    n = cfg["sweep_runs"]
    marks = sorted({max(1, n // 10), n // 2, n})
    tasks = make_tasks("startup", n, ("horizon=60",), experiment="sweep")
    gc.collect()
    before = rss_mb()
    samples: dict[int, dict[str, float]] = {}
    count = [0]
    with tempfile.TemporaryDirectory() as tmp:
        db = ResultsDB(Path(tmp) / "results.sqlite")

        def commit(record: Any) -> None:
            db.commit(record)
            count[0] += 1
            if count[0] in marks:
                samples[count[0]] = {"rss_mb": rss_mb(), "maxrss_mb": maxrss_mb()}

        t = pc()
        run_tasks(tasks, executor="local", jobs=2, batch=10, on_record=commit)
        elapsed = pc() - t
        db.close()
    first, last = samples[marks[0]], samples[marks[-1]]
    growth = last["rss_mb"] - first["rss_mb"]
    out = {
        "runs": n,
        "scenario": "startup 60 d, local jobs=2, batch=10, ResultsDB commit per run",
        "rss_before_mb": before,
        "samples": {str(k): v for k, v in samples.items()},
        "rss_growth_mb": growth,
        "rss_growth_kb_per_run": growth * 1024 / (marks[-1] - marks[0]),
        "elapsed_s": elapsed,
        "runs_per_s": n / elapsed,
    }
    rows = [[k, v["rss_mb"], v["maxrss_mb"]] for k, v in samples.items()]
    table(
        f"Memory of the main process over a {n}-run sweep ({n / elapsed:.0f} runs/s); "
        f"RSS before {before:.1f} MB",
        ["runs committed", "RSS MB", "peak RSS MB"],
        rows,
    )
    print(
        f"  growth {marks[0]}->{marks[-1]} runs: {growth:+.2f} MB "
        f"({out['rss_growth_kb_per_run']:.2f} KB/run)"
    )
    res["sweep"] = out


# ------------------------------------------------------------------ stats


def bench_stats(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    import numpy as np

    from orgsim.analysis.stats import replications_needed
    from orgsim.experiments.executors import run_tasks
    from orgsim.metrics.catalogue import HEADLINE

    out: dict[str, Any] = {}
    rows = []
    for name in SCENARIOS:
        reps = cfg["stats_reps"] if name != "enterprise" else cfg["stats_reps_big"]
        tasks = make_tasks(name, 2 * reps, experiment=f"stats-{name}")
        t = pc()
        records = run_tasks(tasks, executor="local", jobs=2)
        elapsed = pc() - t
        by = {(r.arm, r.replication): r.metrics for r in records if r.status == "ok"}
        on = np.array([by["on", i]["value_shipped"] for i in range(reps)])
        off = np.array([by["off", i]["value_shipped"] for i in range(reps)])
        vd = float(np.var(on - off, ddof=1))
        vrf = (float(np.var(on, ddof=1)) + float(np.var(off, ddof=1))) / vd if vd > 0 else math.inf
        needed: dict[str, Any] = {}
        for m in HEADLINE:
            per_arm = {}
            for arm in ("on", "off"):
                xs = [by[arm, i].get(m, math.nan) for i in range(reps)]
                try:
                    per_arm[arm] = replications_needed(xs, 0.05)
                except ValueError as exc:
                    per_arm[arm] = f"n/a ({exc})"
            needed[m] = per_arm
        out[name] = {
            "paired_replications": reps,
            "elapsed_s": elapsed,
            "value_shipped_var_on": float(np.var(on, ddof=1)),
            "value_shipped_var_off": float(np.var(off, ddof=1)),
            "value_shipped_var_diff": vd,
            "crn_variance_reduction": vrf,
            "replications_needed_5pct": needed,
        }

        def worst(m: str, needed: dict[str, Any] = needed) -> Any:
            vals = [v for v in needed[m].values() if isinstance(v, int)]
            return max(vals) if vals else "n/a"

        rows.append([name, reps, vrf] + [worst(m) for m in HEADLINE])
    table(
        "Statistical efficiency: CRN variance reduction on value_shipped, and replications "
        "for a +/-5% 95% CI (worse arm)",
        ["scenario", "pairs", "CRN VRF", *HEADLINE],
        rows,
    )
    res["stats"] = out


# ---------------------------------------------------------------- profile


def _frame_key(frame: str) -> str:
    """``func (path/file.py:line)`` from py-spy's raw format, as ``file.py:func``."""
    func, _, where = frame.partition(" (")
    file = where.rsplit("/", 1)[-1].split(":", 1)[0]
    return f"{file}:{func}"


def spy_profile(name: str, runs: int, rate: int = 500) -> dict[str, Any] | None:
    """Sample ``runs`` runs with py-spy (if installed): self and inclusive shares.

    A sampling profiler adds no per-call cost, so its shares are closer to the truth
    than cProfile's, which inflates code that makes many small calls.
    """
    import shutil

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "spy.txt"
        cmd = [spy, "record", "-r", str(rate), "-f", "raw", "-o", str(raw), "--"]
        cmd += [sys.executable, str(Path(__file__).resolve()), "--spy-child", f"{name}:{runs}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not raw.exists():
            return {"error": (proc.stderr or "py-spy failed").strip().splitlines()[-1]}
        self_time: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        total = 0
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            keys = [_frame_key(f) for f in frames]
            if "model.py:Run.execute" not in keys and "model.py:execute" not in keys:
                continue  # imports, scenario loading, warm-up outside a run
            n = int(count)
            total += n
            leaf = frames[-1]
            self_time[f"{_frame_key(leaf)}:{leaf.rsplit(':', 1)[-1].rstrip(')')}"] += n
            for k in set(keys):
                inclusive[k] += n
    if not total:
        return {"error": "no samples inside Run.execute"}
    return {
        "samples": total,
        "self_line_share": {k: v / total for k, v in self_time.most_common(25)},
        "inclusive_share": {k: v / total for k, v in inclusive.most_common(45)},
    }


def spy_child(spec: str) -> None:
    from orgsim.engine.run import simulate

    name, runs = spec.split(":")
    sc = load(name)
    for _ in range(int(runs)):
        simulate(sc, broker=True)


def bench_profile(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    from orgsim.engine.run import simulate

    text = io.StringIO()
    out: dict[str, Any] = {}
    print("\n## Profile (cProfile: shares of the profiled run, inflated by the profiler)")
    for name in ("midsize", "enterprise"):
        sc = load(name)
        simulate(sc, broker=True)
        prof = cProfile.Profile()
        t = pc()
        prof.enable()
        simulate(sc, broker=True)
        prof.disable()
        total = pc() - t
        st = pstats.Stats(prof, stream=text)
        text.write(f"\n{'=' * 30} {name} (broker on), {total:.2f} s under cProfile {'=' * 30}\n")
        st.sort_stats("tottime").print_stats(cfg["profile_top"])
        st.sort_stats("cumulative").print_stats(cfg["profile_top"])
        entries = st.stats  # type: ignore[attr-defined]
        top = []
        for order in (2, 3):  # tottime, cumtime
            ranked = sorted(entries.items(), key=lambda kv, o=order: kv[1][o], reverse=True)
            for (file, line, func), (_cc, nc, tt, ct, _callers) in ranked[:15]:
                short = file.split("/site-packages/")[-1].split("/src/")[-1]
                top.append(
                    {
                        "function": f"{short}:{line}({func})",
                        "calls": nc,
                        "tottime_s": tt,
                        "cumtime_s": ct,
                        "tottime_share": tt / total,
                        "cumtime_share": ct / total,
                    }
                )
        out[name] = {"profiled_s": total, "top_tottime": top[:15], "top_cumtime": top[15:]}
        print(f"  {name}: {total:.2f} s profiled; top self time:")
        for e in top[:8]:
            print(f"    {e['tottime_share']:6.1%}  {e['calls']:>8,}  {e['function']}")
        if cfg["py_spy_runs"]:
            runs = cfg["py_spy_runs"] * (1 if name == "enterprise" else 4)
            spy = spy_profile(name, runs)
            if spy is None:
                print("  (py-spy not installed: pip install py-spy for sampled shares)")
                continue
            out[name]["py_spy"] = spy
            if "error" in spy:
                print(f"  py-spy: {spy['error']}")
                continue
            text.write(f"\n---- {name}: py-spy sampling, {spy['samples']} samples in runs ----\n")
            text.write("inclusive share (function and everything it calls):\n")
            for k, v in spy["inclusive_share"].items():
                text.write(f"  {v:6.1%}  {k}\n")
            text.write("self share by line:\n")
            for k, v in spy["self_line_share"].items():
                text.write(f"  {v:6.1%}  {k}\n")
            print(f"  {name}, py-spy ({spy['samples']} samples), inclusive shares:")
            shown = [(k, v) for k, v in spy["inclusive_share"].items() if v < 0.999]
            for k, v in shown[:12]:
                print(f"    {v:6.1%}  {k}")
    path = Path(cfg["profile_path"])
    path.write_text(text.getvalue())
    out["file"] = str(path)
    res["profile"] = out


# ------------------------------------------------------------------- main

FULL = dict(
    reps_small=9,
    reps_big=5,
    mmc_horizon=36500.0,
    mmc_reps=6,
    scale_factors=(0.1, 0.3, 1, 3, 10),
    horizons=(365, 730, 1095, 1825),
    growth_reps=5,
    tracemalloc=True,
    store_reps=5,
    scaling_tasks=24,
    scaling_reps=3,
    dask=True,
    dask_tasks=40,
    dask_noops=500,
    sweep_runs=1000,
    stats_reps=10,
    stats_reps_big=10,
    profile_top=30,
    py_spy_runs=4,
)
QUICK = dict(
    FULL,
    reps_small=3,
    reps_big=1,
    mmc_horizon=5000.0,
    mmc_reps=2,
    scale_factors=(0.1, 10),
    horizons=(365, 1095),
    growth_reps=1,
    tracemalloc=False,
    store_reps=1,
    scaling_tasks=8,
    scaling_reps=1,
    dask_tasks=16,
    dask_noops=200,
    sweep_runs=300,
    stats_reps=4,
    stats_reps_big=3,
    profile_top=25,
    py_spy_runs=1,
)

BENCHES: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "engine": bench_engine,
    "log": bench_log,
    "peers": bench_peers,
    "growth": bench_growth,
    "store": bench_store,
    "scaling": bench_scaling,
    "sweep": bench_sweep,
    "stats": bench_stats,
    "profile": bench_profile,
}


def environment() -> dict[str, Any]:
    import numpy
    import simpy

    from orgsim._version import __version__

    env = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "orgsim": __version__,
        "simpy": simpy.__version__,
        "numpy": numpy.__version__,
        "loadavg_start": os.getloadavg(),
    }
    with contextlib.suppress(Exception):
        import ciw

        env["ciw"] = ciw.__version__
    with contextlib.suppress(Exception):
        import distributed

        env["distributed"] = distributed.__version__
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = ["git", "-C", str(HERE.parent)]
        env["git_head"] = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        env["git_dirty_src"] = bool(
            subprocess.run(
                [*git, "status", "--porcelain", "--", "src"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                env["cpu"] = line.split(":", 1)[1].strip()
                break
    return env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller samples (under 2 minutes)")
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(SECTIONS)}")
    ap.add_argument("--skip", default="", help="comma-separated sections to leave out")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster figures")
    ap.add_argument(
        "--out",
        default=str(HERE / "results.json"),
        help="where to write the JSON (profile.txt goes next to it)",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--spy-child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child_main(args.child)
        return 0
    if args.spy_child:
        spy_child(args.spy_child)
        return 0
    cfg = dict(QUICK if args.quick else FULL)
    cfg["dask"] = cfg["dask"] and not args.no_dask
    cfg["profile_path"] = str(Path(args.out).with_name("profile.txt"))  # next to the JSON
    chosen = [s for s in args.only.split(",") if s] or list(SECTIONS)
    skip = {s for s in args.skip.split(",") if s}
    unknown = [s for s in [*chosen, *skip] if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s) {unknown}; choose from {','.join(SECTIONS)}")
    res: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "environment": environment(),
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
    }
    print(f"orgsim benchmarks ({res['mode']}); load average {os.getloadavg()[0]:.2f}")
    started = pc()
    timings = {}
    for section in SECTIONS:
        if section not in chosen or section in skip:
            continue
        t = pc()
        load_before = os.getloadavg()[0]
        try:
            BENCHES[section](cfg, res)
        except Exception as exc:  # report and go on: one broken figure must not hide the rest
            import traceback

            traceback.print_exc()
            res[section] = {"error": f"{type(exc).__name__}: {exc}"}
        timings[section] = pc() - t
        if isinstance(res.get(section), dict):
            res[section]["loadavg_1min_before_after"] = [load_before, os.getloadavg()[0]]
            res[section]["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    res["environment"]["loadavg_end"] = os.getloadavg()
    res["section_seconds"] = timings
    res["total_seconds"] = pc() - started
    out = Path(args.out)
    if out.exists() and set(chosen) != set(SECTIONS):
        # a partial run updates the sections it measured and keeps the others
        with contextlib.suppress(ValueError):
            old = json.loads(out.read_text())
            keep = ("section_seconds", "environment", "config", "mode", "total_seconds")
            old.update({k: v for k, v in res.items() if k not in keep})
            old.setdefault("section_seconds", {}).update(timings)
            old["partial_update"] = {
                "sections": list(timings),
                "mode": res["mode"],
                "environment": res["environment"],
            }
            res = old
    out.write_text(json.dumps(res, indent=2, default=float) + "\n")
    print(f"\n{sum(timings.values()):.0f} s in all; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
