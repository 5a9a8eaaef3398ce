"""summary: every target of issue 13 in one table, with the figure measured beside it.

Read from this run's sections, or, for a section not run this time, from the
results JSON already at ``--out`` (marked "earlier" with the time it was measured).
A figure a section does not record (yet) is printed as "-". The store and scaling
sections are being rewritten: their figures are looked up under several names,
and derived from the ones they record today when none is there.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sections.common import fmt, table

Getter = Callable[[dict[str, Any]], Any]


def dig(d: Any, *path: str) -> Any:
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def first(d: dict[str, Any], *paths: tuple[str, ...]) -> Any:
    """The first of ``paths`` (key tuples) present in ``d`` with a number."""
    for p in paths:
        v = dig(d, *p)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return None


def worst(d: dict[str, Any], key: str, names: tuple[str, ...], high: bool) -> Any:
    """Per scenario value of ``key`` and the worst of them (highest when ``high``)."""
    vals = {n: dig(d, n, key) for n in names}
    vals = {n: float(v) for n, v in vals.items() if isinstance(v, (int, float))}
    if not vals:
        return None
    return (max if high else min)(vals.values()), vals


def per_scenario(
    d: dict[str, Any], key: str, high: bool, names: tuple[str, ...], pct: bool = False
) -> Any:
    """The worst scenario's value, and a note of every scenario's (by initial)."""
    w = worst(d, key, names, high)
    if w is None:
        return None
    value, vals = w
    show = (lambda v: f"{v:.1%}") if pct else fmt
    return value, ", ".join(f"{n[0]} {show(v)}" for n, v in vals.items())


SCEN = ("startup", "midsize", "enterprise")


def store_fig(key_names: tuple[str, ...], high: bool) -> Getter:
    """A store figure under any of ``key_names``: at the top of the section, or the worst
    over the logs (sub-tables) it measured, whatever they are called."""

    def get(d: dict[str, Any]) -> Any:
        v = first(d, *[(k,) for k in key_names])
        if v is not None:
            return v
        for k in key_names:
            names = tuple(n for n, sub in d.items() if isinstance(sub, dict) and k in sub)
            w = per_scenario(d, k, high, names) if names else None
            if w is not None:
                return w
        return None

    return get


def log_share(d: dict[str, Any]) -> Any:
    """The bookkeeping's share (worst scenario), noting record+apply's with the handlers."""
    book = per_scenario(d, "log_share_of_run", True, SCEN, pct=True)
    if book is None:
        return None
    full = worst(d, "record_apply_share_of_run", SCEN, True)
    note = book[1] + (f"; with the handlers {full[0]:.0%}" if full else "")
    return book[0], note


def scaling_overhead(d: dict[str, Any]) -> Any:
    v = first(d, ("overhead_ms_per_task",), ("local_overhead_ms_per_task",), ("overhead_ms",))
    if v is not None:
        return v
    r1, r2 = d.get("runs_per_s_1"), d.get("runs_per_s_2")
    if r1 and r2:  # (t2 - t1 / 2) / n in ms, as its table prints it
        return (1 / r2 - 1 / (2 * r1)) * 1e3, "derived from runs/s"
    return None


def dask_efficiency(d: dict[str, Any]) -> Any:
    v = first(
        d,
        ("dask_efficiency",),
        ("dask", "efficiency"),
        ("dask", "batched_efficiency"),
        ("dask", "dask_efficiency"),
    )
    if v is not None:
        return v
    dd = d.get("dask")
    if isinstance(dd, dict) and dd.get("task_ms_serial") and dd.get("dask_runs_per_s"):
        return dd["task_ms_serial"] / 1e3 * dd["dask_runs_per_s"] / 2, "unbatched client.map"
    return None


def mmc_ratio(d: dict[str, Any]) -> Any:
    o, c = dig(d, "orgsim", "us_per_customer"), dig(d, "ciw", "us_per_customer")
    if not (o and c):
        return None
    return o / c, f"{fmt(o)} vs Ciw {fmt(c)} us"


def baseline_fig(name: str) -> Getter:
    def get(d: dict[str, Any]) -> Any:
        m = d.get(name)
        if not isinstance(m, dict) or "speedup" not in m:
            return None
        return m["speedup"], f"{fmt(m['old_s'])} s -> {fmt(m['new_s'])} s"

    return get


def pairs_fig(d: dict[str, Any]) -> Any:
    if "seconds_for_1000_pairs" not in d:
        return None
    note = f"extrapolated from {d['pairs']}" if d.get("extrapolated") else "measured"
    return d["seconds_for_1000_pairs"], f"{note}; {fmt(d['runs_per_s'])} runs/s"


def memory_fig(d: dict[str, Any]) -> Any:
    if "log_bytes_per_event" not in d:
        return None
    size = "" if d.get("million_event_run") else " (not a 1M run)"
    columns = d.get("columns_bytes_per_event")
    of_which = f"; its events (columns) {fmt(columns)}" if columns is not None else ""
    return d["log_bytes_per_event"], (
        f"{d['domain_events']:,} ev{size}{of_which}; whole run {fmt(d['run_bytes_per_event'])}"
    )


# (figure, section, getter of its value [or (value, note)], target text, met test)
ROWS: list[tuple[str, str, Getter, str, Callable[[float], bool]]] = [
    (
        "3-year midsize vs b492ac9, speed-up",
        "baseline",
        baseline_fig("midsize"),
        ">= 4x",
        lambda v: v >= 4,
    ),
    (
        "3-year enterprise vs b492ac9, speed-up",
        "baseline",
        baseline_fig("enterprise"),
        ">= 4x",
        lambda v: v >= 4,
    ),
    (
        "record + apply per domain event, us (worst scenario)",
        "log",
        lambda d: per_scenario(d, "record_apply_us_per_event", True, SCEN),
        "<= 1 us",
        lambda v: v <= 1,
    ),
    (
        "the log (bookkeeping) as a share of run time (worst)",
        "log",
        log_share,
        "<= 25%",
        lambda v: v <= 0.25,
    ),
    (
        "run time / bare SimPy, same scheduler events (worst)",
        "engine",
        lambda d: per_scenario(d, "overhead_ratio", True, SCEN),
        "<= 2.5",
        lambda v: v <= 2.5,
    ),
    (
        "event store write, events/s",
        "store",
        store_fig(("write_eps",), high=False),
        ">= 1M/s",
        lambda v: v >= 1e6,
    ),
    (
        "event store read, events/s",
        "store",
        store_fig(("read_eps",), high=False),
        ">= 2M/s",
        lambda v: v >= 2e6,
    ),
    (
        "event store bytes per event on disk",
        "store",
        store_fig(("bytes_per_event",), high=True),
        "<= 40 B",
        lambda v: v <= 40,
    ),
    (
        "projections over stored logs, events/s",
        "store",
        store_fig(
            ("projection_eps",),
            high=False,
        ),
        ">= 20M/s",
        lambda v: v >= 2e7,
    ),
    (
        "2 local workers, share of the machine's 2-loop ceiling",
        "scaling",
        lambda d: first(d, ("efficiency_vs_machine_ceiling",)),
        ">= 0.9",
        lambda v: v >= 0.9,
    ),
    (
        "2 local workers, overhead per task, ms",
        "scaling",
        scaling_overhead,
        "<= 2 ms",
        lambda v: v <= 2,
    ),
    (
        "Dask LocalCluster, batched tasks, efficiency",
        "scaling",
        dask_efficiency,
        ">= 0.9",
        lambda v: v >= 0.9,
    ),
    (
        "M/M/2 mediation queue, us per conflict / Ciw's",
        "peers",
        mmc_ratio,
        "<= 1 (Ciw's)",
        lambda v: v <= 1,
    ),
    (
        "1,000 paired midsize replications, 2 cores, s",
        "pairs",
        pairs_fig,
        "<= 30 s",
        lambda v: v <= 30,
    ),
    (
        "memory of a 1M-event run, bytes per event (log)",
        "memory",
        memory_fig,
        "<= 60 B",
        lambda v: v <= 60,
    ),
]


def earlier(cfg: dict[str, Any]) -> dict[str, Any]:
    """The results already at ``--out`` (for sections not run this time)."""
    with contextlib.suppress(OSError, ValueError, TypeError):
        return dict(json.loads(Path(cfg["out"]).read_text()))
    return {}


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    old = earlier(cfg)
    rows, out = [], []
    for figure, section, get, target, ok in ROWS:
        src = res.get(section)
        where = section
        if not isinstance(src, dict):
            src = old.get(section)
            if isinstance(src, dict):
                where = f"{section} (earlier, {src.get('measured_at', '?')})"
            else:
                where = f"{section} (not measured)"
        value, note = None, ""
        if isinstance(src, dict) and "error" in src:
            note = f"error: {src['error']}"[:60]
        elif isinstance(src, dict):
            try:
                got = get(src)
            except Exception as exc:  # a section's new shape must not hide the other rows
                got = (None, f"unreadable: {type(exc).__name__}: {exc}"[:60])
            value, note = got if isinstance(got, tuple) else (got, "")
        met = None if value is None or math.isnan(value) else bool(ok(value))
        pct = "share of run time" in figure
        shown = f"{value:.1%}" if pct and value is not None else fmt(value)
        rows.append([figure, shown, target, {True: "yes", False: "no"}.get(met, "-"), where, note])
        out.append(
            {
                "figure": figure,
                "measured": value,
                "target": target,
                "met": met,
                "section": where,
                "note": note,
            }
        )
    table(
        "Summary: the targets of issue 13",
        ["figure", "measured", "target", "met", "section", "note"],
        rows,
        left=frozenset({0, 2, 3, 4, 5}),
    )
    met = [r["met"] for r in out]
    print(f"  {met.count(True)} met, {met.count(False)} not met, {met.count(None)} not measured")
    res["summary"] = {"rows": out, "met": met.count(True), "not_met": met.count(False)}
