"""orgsim benchmarks: speed against the limits and its peers, and how cost grows.

Run from the repository root::

    python benchmarks/run.py            # everything, ~17 minutes on 2 cores (pairs: ~8)
    python benchmarks/run.py --quick    # smaller samples, about 3 minutes (quiet machine)
    python benchmarks/run.py --only engine,peers

It prints one table per figure and writes every number to benchmarks/results.json
(and the cProfile tables to benchmarks/profile.txt). Every figure is a median of
repeated measurements, or a ratio of two medians measured side by side in this same
process run. Nothing here asserts a timing: the targets are printed next to the
measured values for a human to judge. See benchmarks/README.md.

This file is the runner only: the command line, the settings of the full and quick
modes, and the loop over the sections; each section is a module of
``benchmarks/sections/`` (Python puts this script's folder first on ``sys.path``,
so ``sections`` imports without installing anything).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sections import (
    baseline,
    engine,
    growth,
    log,
    memory,
    pairs,
    peers,
    profile,
    scaling,
    stats,
    store,
    summary,
    sweep,
)
from sections.common import (
    HERE,
    environment,
    loadavg,
    merge_partial,
    now,
    pc,
    write_results,
)

# the order they run and print in; ``summary`` always runs last (unless skipped)
BENCHES: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "engine": engine.run,
    "log": log.run,
    "peers": peers.run,
    "baseline": baseline.run,
    "memory": memory.run,
    "pairs": pairs.run,
    "growth": growth.run,
    "store": store.run,
    "scaling": scaling.run,
    "sweep": sweep.run,
    "stats": stats.run,
    "profile": profile.run,
    "summary": summary.run,
}
SECTIONS = tuple(BENCHES)

FULL = dict(
    reps_small=9,
    reps_big=5,
    mmc_horizon=36500.0,
    mmc_reps=6,
    baseline_reps_small=9,
    baseline_reps=5,
    # ~1M domain events: the enterprise over 80 years, with the cash not to fail at
    # day ~2,400 as it does (58k events in 3 years, ~15k a year later on)
    memory_run=("enterprise", ("horizon=29200", "budget.cash=1e9")),
    memory_traced=("enterprise", ()),  # tracemalloc cross-check: ~10x slower, 58k events
    pairs=1000,
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
    baseline_reps_small=3,
    baseline_reps=2,
    memory_run=("enterprise", ("horizon=3650", "budget.cash=1e9")),  # ~165k events, not 1M
    memory_traced=None,
    pairs=100,
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


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller samples (about 3 minutes)")
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(SECTIONS)}")
    ap.add_argument("--skip", default="", help="comma-separated sections to leave out")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster figures")
    ap.add_argument(
        "--out",
        default=str(HERE / "results.json"),
        help="where to write the JSON (profile.txt goes next to it)",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)  # growth: one size, fresh process
    ap.add_argument("--spy-child", help=argparse.SUPPRESS)  # profile: the run py-spy samples
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)  # memory: one run, fresh process
    return ap


def run_sections(cfg: dict[str, Any], todo: list[str], res: dict[str, Any]) -> dict[str, float]:
    """Run the sections in ``todo`` into ``res``; the seconds each took.

    A section that fails is reported and recorded as an error, and the others go
    on: one broken figure must not hide the rest.
    """
    timings = {}
    for section in todo:
        t = pc()
        load_before = loadavg()
        try:
            BENCHES[section](cfg, res)
        except Exception as exc:
            traceback.print_exc()
            res[section] = {"error": f"{type(exc).__name__}: {exc}"}
        timings[section] = pc() - t
        if isinstance(res.get(section), dict):
            res[section]["loadavg_1min_before_after"] = [load_before, loadavg()]
            res[section]["measured_at"] = now()
    return timings


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if args.child:
        growth.child_main(args.child)
        return 0
    if args.spy_child:
        profile.spy_child(args.spy_child)
        return 0
    if args.memory_child:
        memory.child_main(args.memory_child)
        return 0
    cfg = dict(QUICK if args.quick else FULL)
    cfg["dask"] = cfg["dask"] and not args.no_dask
    cfg["profile_path"] = str(Path(args.out).with_name("profile.txt"))  # next to the JSON
    cfg["out"] = args.out  # the summary reads the sections not run this time from it
    chosen = [s for s in args.only.split(",") if s] or list(SECTIONS)
    skip = {s for s in args.skip.split(",") if s}
    if "summary" not in skip:
        chosen.append("summary")  # always last: the table of every target
    unknown = [s for s in [*chosen, *skip] if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s) {unknown}; choose from {','.join(SECTIONS)}")
    res: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "environment": environment(),
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
    }
    print(f"orgsim benchmarks ({res['mode']}); load average {loadavg():.2f}")
    started = pc()
    timings = run_sections(cfg, [s for s in SECTIONS if s in chosen and s not in skip], res)
    res["environment"]["loadavg_end"] = os.getloadavg()
    res["section_seconds"] = timings
    res["total_seconds"] = pc() - started
    out = Path(args.out)
    if out.exists() and set(chosen) - skip != set(SECTIONS):
        res = merge_partial(out, res, timings)  # a partial run keeps the other sections
    write_results(out, res)
    print(f"\n{sum(timings.values()):.0f} s in all; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
