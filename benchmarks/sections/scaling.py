"""scaling: runs/s with 1 and 2 local workers against the machine's own ceiling; Dask.

The ceiling is two processes of pure-Python arithmetic side by side against one
alone, measured before and after, since neighbours on a shared machine come and go.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import Any

from orgsim.experiments.executors import run_tasks
from orgsim.experiments.tasks import execute_task
from sections.common import loadavg, make_tasks, median, pc, table

TARGET_EFFICIENCY = 0.9


def noop(x: int) -> int:
    return x


def spin(n: int) -> float:
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
    ctx = multiprocessing.get_context("fork")
    alone, pair = [], []
    with ctx.Pool(2) as pool:
        pool.map(spin, [1000, 1000])
        for _ in range(reps):
            alone.append(pool.apply(spin, (n,)))
            pair.append(max(pool.map(spin, [n, n], chunksize=1)))
    a, p = median(alone), median(pair)
    return 2 * a / p, a, p


def on_local_cluster(cfg: dict[str, Any], tasks: list[Any]) -> dict[str, float]:
    """Seconds to start and close a 2x1 LocalCluster, per no-op task, and for ``tasks``."""
    from distributed import Client, LocalCluster

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
        client.submit(noop, -1).result()
        client.gather(client.map(execute_task, tasks[:2], pure=False))  # warm the workers
        n_noop = cfg["dask_noops"]
        t = pc()
        client.gather(client.map(noop, range(n_noop), pure=False))
        per_noop = (pc() - t) / n_noop
        t = pc()
        client.gather(client.map(execute_task, tasks, pure=False))
        dask_task = pc() - t
    finally:
        t = pc()
        client.close()
        cluster.close()
        close = pc() - t
    return {"start": start, "close": close, "noop": per_noop, "tasks": dask_task}


def dask_rows(d: dict[str, Any], n: int, times: dict[str, float]) -> list[list[Any]]:
    """Table rows of the Dask figures; ``times`` holds seconds for dask, local, serial."""
    dask, local, serial = times["dask"], times["local"], times["serial"]
    rows: list[list[Any]] = [
        ["dask LocalCluster 2x1, no-op", f"{d['noop_ms_per_task']:.2f} ms/task", "", "", ""],
        [
            f"dask client.map(execute_task), {n} startup 365 d",
            n / dask,
            serial / dask,
            serial / dask / 2,
            d["dask_overhead_ms_per_task"],
        ],
        [
            "local pool, same tasks",
            n / local,
            serial / local,
            serial / local / 2,
            (local - serial / 2) / n * 1e3,
        ],
    ]
    if "orgsim_cluster_runs_per_s" in d:
        rows.append(["run_tasks(executor='dask')", d["orgsim_cluster_runs_per_s"], "", "", ""])
    return rows


def bench_dask(cfg: dict[str, Any], out: dict[str, Any]) -> list[list[Any]]:
    """Dask's dispatch cost and orgsim tasks on a LocalCluster against the local pool."""
    try:
        import orgsim.experiments.cluster  # noqa: F401

        has_cluster = True
    except ImportError:
        has_cluster = False
    out["orgsim_cluster_present"] = has_cluster
    try:
        import distributed  # noqa: F401
    except ImportError:
        out["dask"] = "distributed not installed"
        return []
    tasks = make_tasks("startup", cfg["dask_tasks"], ("horizon=365",))
    c = on_local_cluster(cfg, tasks)
    t = pc()
    run_tasks(tasks, executor="local", jobs=2)
    local = pc() - t
    t = pc()
    run_tasks(tasks, executor="serial")
    serial = pc() - t
    n = len(tasks)
    d = {
        "start_s": c["start"],
        "close_s": c["close"],
        "noop_ms_per_task": c["noop"] * 1e3,
        "tasks": n,
        "task_ms_serial": serial / n * 1e3,
        "dask_runs_per_s": n / c["tasks"],
        "local_pool_runs_per_s": n / local,
        "dask_overhead_ms_per_task": (c["tasks"] - serial / 2) / n * 1e3,
        "dask_vs_local_pool": local / c["tasks"],
    }
    if has_cluster:
        t = pc()
        run_tasks(tasks, executor="dask", jobs=2)
        d["orgsim_cluster_runs_per_s"] = n / (pc() - t)
    out["dask"] = d
    return dask_rows(d, n, {"dask": c["tasks"], "local": local, "serial": serial})


def local_pool(tasks: list[Any], reps: int) -> tuple[float, float]:
    """Median seconds for ``tasks`` with 1 and 2 local workers, interleaved."""
    run_tasks(tasks[:2], executor="serial")
    one, two = [], []
    for _ in range(reps):
        t = pc()
        run_tasks(tasks, executor="local", jobs=1)
        one.append(pc() - t)
        t = pc()
        run_tasks(tasks, executor="local", jobs=2)
        two.append(pc() - t)
    return median(one), median(two)


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    ceiling, spin_alone, spin_pair = machine_ceiling()
    tasks = make_tasks("midsize", cfg["scaling_tasks"])
    t1, t2 = local_pool(tasks, cfg["scaling_reps"])
    ceiling_after, _, _ = machine_ceiling()
    n = len(tasks)
    out: dict[str, Any] = {
        "tasks": n,
        "scenario": "midsize 1095 d",
        "runs_per_s_1": n / t1,
        "runs_per_s_2": n / t2,
        "speedup": t1 / t2,
        "efficiency": t1 / t2 / 2,
        "target_efficiency": TARGET_EFFICIENCY,
        "machine_ceiling_speedup": ceiling,
        "machine_ceiling_speedup_after": ceiling_after,
        "spin_alone_s": spin_alone,
        "spin_side_by_side_s": spin_pair,
        "efficiency_vs_machine_ceiling": t1 / t2 / max(ceiling, ceiling_after),
        "loadavg_1min": loadavg(),
    }
    rows: list[list[Any]] = [
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
