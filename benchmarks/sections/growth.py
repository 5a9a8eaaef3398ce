"""growth: run time, µs per event and peak RSS against company size and horizon.

Each size runs in a fresh subprocess (``run.py --child SPEC``), so its peak RSS is
its own: the growth of ``VmHWM`` over one run, after imports and loading.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from typing import Any

from orgsim import Scenario, simulate
from sections.common import RUNNER, SCENARIOS, hwm_mb, load, median, pc, scheduler_events, table

HEADER = [
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
]


def scaled_overrides(k: float) -> tuple[str, ...]:
    """Midsize with staff, products and founding cash times ``k``, as the sweeps' ``scale``.

    Conflicts, drag and roadmaps follow from the structure (orgsim 0.3).
    """
    base = Scenario()
    out = [
        f"departments.{name}.staff={max(1, round(d.staff * k))}"
        for name, d in base.departments.items()
    ]
    out.append(f"delivery.products={max(1, round(base.delivery.products * k))}")
    out.append(f"budget.cash={base.budget.cash * k}")
    return tuple(out)


def traced_peak(sc: Any, n_dom: int) -> dict[str, float]:
    """tracemalloc's peak of Python allocations over one run, and per domain event."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    simulate(sc, broker=True)
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"tracemalloc_peak_mb": peak_mb, "bytes_per_event_traced": peak_mb * 2**20 / n_dom}


def child_main(spec_text: str) -> None:
    """Measure one size in this fresh process and print JSON (--child)."""
    spec = json.loads(spec_text)
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
        out.update(traced_peak(sc, n_dom))
    print(json.dumps(out))


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def sizes(cfg: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(series, label, scenario, overrides) of every size measured."""
    specs: list[tuple[str, str, str, tuple[str, ...]]] = []
    for name in SCENARIOS:
        specs.append(("company", name, name, ()))
    for k in cfg["scale_factors"]:
        specs.append(("scaled", f"midsize x{k:g}", "midsize", scaled_overrides(k)))
    for h in cfg["horizons"]:
        specs.append(("horizon", f"midsize {h:g} d", "midsize", (f"horizon={h}",)))
    return specs


def row(series: str, label: str, r: dict[str, Any]) -> list[Any]:
    if "error" in r:
        return [series, label, r["error"]] + [None] * 7
    return [
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


def spans(out: dict[str, Any]) -> None:
    """Per series, the spread of µs per event (flat means linear growth): store and print."""
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


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    out: dict[str, Any] = {}
    rows = []
    for series, label, scen, overrides in sizes(cfg):
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
        rows.append(row(series, label, r))
    table("Growth (broker on; a fresh subprocess per size)", HEADER, rows)
    spans(out)
    res["growth"] = out
