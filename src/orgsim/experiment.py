"""Replications on executors: serial, local processes, or a Dask cluster.

A :class:`Task` is one run: a scenario, an arm (broker on or off), a replication
and a seed. Replication ``i`` of both arms uses the same random streams (common
random numbers). Tasks run anywhere and come back as :class:`RunRecord` objects
holding only summaries (metrics, quarterly series, funnel), so memory stays flat
however many runs an experiment has. Results do not depend on the executor, the
number of workers or the completion order: each run's randomness depends only on
its own (seed, replication), and results are aggregated in canonical order.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs

from orgsim.errors import ExperimentError
from orgsim.results import RunRecord
from orgsim.scenario import Scenario

logger = logging.getLogger(__name__)

EXECUTORS = ("serial", "local", "dask")
ARMS = ("on", "off")


@attrs.frozen(kw_only=True)
class Task:
    """One run to execute, self-contained so it can travel to another process."""

    experiment: str
    scenario: Scenario
    scenario_hash: str
    point: int
    arm: str
    replication: int
    seed: int
    params: dict[str, Any] = attrs.field(factory=dict)
    keep_events: bool = False
    fail: bool = False  # tests: make this run raise, to check failure isolation

    @property
    def key(self) -> str:
        """The key its record will be stored under."""
        from orgsim.results import run_key

        return run_key(self.experiment, self.point, self.arm, self.replication, self.seed)


def execute_task(task: Task) -> RunRecord:
    """Run one task and summarise it; a run that raises becomes a failed record."""
    from orgsim.events import encode
    from orgsim.model import simulate
    from orgsim.projections import conflict_funnel, metrics, quarterly

    base: dict[str, Any] = dict(
        experiment=task.experiment,
        scenario_hash=task.scenario_hash,
        point=task.point,
        arm=task.arm,
        replication=task.replication,
        seed=task.seed,
        params=task.params,
    )
    started = time.perf_counter()
    try:
        if task.fail:
            raise RuntimeError("this run was told to fail (failure-isolation check)")
        run = simulate(
            task.scenario, seed=task.seed, replication=task.replication, broker=task.arm == "on"
        )
        log = run.log
        return RunRecord(
            **base,
            metrics=metrics(log),
            quarterly={k: [float(x) for x in v] for k, v in quarterly(log).items()},
            funnel={k: int(v) for k, v in conflict_funnel(log).items()},
            events=len(log),
            elapsed=time.perf_counter() - started,
            log=tuple(encode(e) for e in log) if task.keep_events else None,
        )
    except Exception:
        return RunRecord(
            **base,
            status="failed",
            error=traceback.format_exc(),
            elapsed=time.perf_counter() - started,
        )


def execute_batch(tasks: Sequence[Task]) -> list[RunRecord]:
    """Run several tasks in one call (fewer round trips on a cluster)."""
    return [execute_task(t) for t in tasks]


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_tasks(
    tasks: Sequence[Task],
    *,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
    batch: int = 1,
) -> list[RunRecord]:
    """Execute tasks and hand each record to ``on_record`` as soon as it arrives.

    Args:
        tasks: What to run.
        executor: ``serial``, ``local`` (processes on this machine) or ``dask``.
        jobs: Worker processes (``local``; for ``dask`` the LocalCluster size).
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``).
        on_record: Called in the main process for every record, in completion order.
        batch: Tasks per submission (amortises dispatch cost for short runs).

    Returns:
        The records in the order of ``tasks`` (canonical, whatever completed first).
    """
    if executor not in EXECUTORS:
        raise ExperimentError(f"unknown executor {executor!r}; choose from {', '.join(EXECUTORS)}")
    if jobs is not None and jobs < 1:
        raise ExperimentError(f"--jobs must be >= 1, got {jobs}")
    by_key: dict[str, RunRecord] = {}

    def deliver(records: Iterable[RunRecord]) -> None:
        for record in records:
            by_key[record.key] = record
            if on_record is not None:
                on_record(record)

    chunks = [list(tasks[i : i + batch]) for i in range(0, len(tasks), max(1, batch))]
    if executor == "serial" or (executor == "local" and (jobs or default_jobs()) == 1):
        for chunk in chunks:
            deliver(execute_batch(chunk))
    elif executor == "local":
        for records in _local(chunks, jobs or default_jobs()):
            deliver(records)
    else:
        from orgsim.cluster import run_on_dask

        for records in run_on_dask(chunks, scheduler=scheduler, jobs=jobs):
            deliver(records)
    return [by_key[t.key] for t in tasks if t.key in by_key]


def _local(chunks: list[list[Task]], jobs: int) -> Iterator[list[RunRecord]]:
    """Run chunks on a pool of local processes, yielding results as they finish."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=min(jobs, max(1, len(chunks))), mp_context=ctx)
    try:
        pending = {pool.submit(execute_batch, chunk) for chunk in chunks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    records = future.result()
                except BrokenProcessPool:
                    raise ExperimentError(
                        "a worker process died (killed, or out of memory); the runs that "
                        "finished are committed: rerun the same command (a sweep with "
                        "--resume) to go on"
                    ) from None
                yield records
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
