"""Executors: run tasks serially, on local processes, or on a Dask cluster.

Results do not depend on the executor, the number of workers or the completion
order: each run's randomness depends only on its own (seed, replication), and
records come back in the order of the tasks.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from orgsim.errors import ExperimentError
from orgsim.experiments.cluster import run_on_dask
from orgsim.experiments.tasks import Task, default_jobs, execute_batch
from orgsim.storage.results import RunRecord

EXECUTORS = ("serial", "local", "dask")


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
        for records in run_on_dask(chunks, scheduler=scheduler, jobs=jobs):
            deliver(records)
    return [by_key[t.key] for t in tasks if t.key in by_key]


def _local(chunks: list[list[Task]], jobs: int) -> Iterator[list[RunRecord]]:
    """Run chunks on a pool of local processes, yielding results as they finish."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
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
