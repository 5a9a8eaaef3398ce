"""Executors: run tasks serially, on local processes, or on a Dask cluster.

Results do not depend on the executor, the number of workers or the completion
order: each run's randomness depends only on its own (seed, replication), and
records come back in the order of the tasks.

No worker outlives the process that started it. Each local worker asks the
kernel to kill it when its parent dies (Linux ``PR_SET_PDEATHSIG``; elsewhere a
watchdog thread notices the parent is gone), so even ``kill -9`` of the parent
leaves no orphan holding the caller's pipes; and when the parent stops early
(Ctrl-C, SIGTERM, an error) it kills its workers rather than wait for their
runs, which it would not commit anyway.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from orgsim.errors import ExperimentError
from orgsim.experiments.cluster import run_on_dask
from orgsim.experiments.tasks import Task, default_jobs, execute_batch
from orgsim.storage.results import RunRecord

logger = logging.getLogger(__name__)

EXECUTORS = ("serial", "local", "dask")

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCHDOG_INTERVAL = 0.25  # seconds between a worker's checks that its parent lives


def check_executor(executor: str, jobs: int | None) -> None:
    """Refuse an unknown executor or a bad worker count, before anything is written."""
    if executor not in EXECUTORS:
        raise ExperimentError(f"unknown executor {executor!r}; choose from {', '.join(EXECUTORS)}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ExperimentError(f"--jobs must be an integer >= 1, got {jobs!r}")


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
    check_executor(executor, jobs)
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
        with contextlib.closing(_local(chunks, jobs or default_jobs())) as results:
            for records in results:
                deliver(records)
    else:
        # closing(): an interrupt in on_record must shut the cluster down now, not
        # whenever the suspended generator happens to be collected
        with contextlib.closing(run_on_dask(chunks, scheduler=scheduler, jobs=jobs)) as results:
            for records in results:
                deliver(records)
    return [by_key[t.key] for t in tasks if t.key in by_key]


def die_with_parent(parent: int) -> None:
    """Make this worker process die as soon as its parent ``parent`` does.

    Called first thing in every local worker (the pool's initializer). On Linux
    the kernel sends the worker SIGKILL when its parent dies, however it dies
    (``kill -9`` included); the parent may have died before the request was made,
    so its pid is checked right after. Where ``prctl`` is missing, a daemon thread
    polls ``os.getppid()`` instead (a worker whose parent died is reparented).

    The worker also stops handling the signals its parent handles: Ctrl-C in a
    terminal reaches the whole process group, and the parent, not each worker,
    decides what an interrupt means (it kills the workers); SIGTERM kills a
    worker at once rather than run a handler inherited through ``fork``.

    Args:
        parent: The pid of the process that started the pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not _parent_death_signal(signal.SIGKILL):
        threading.Thread(
            target=_watch_parent, args=(parent,), name="orgsim-watchdog", daemon=True
        ).start()
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)


def _parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """Exit this process the moment it is no longer the child of ``parent``."""
    while os.getppid() == parent:
        time.sleep(WATCHDOG_INTERVAL)
    os._exit(1)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes now, whatever they are running.

    ``shutdown(cancel_futures=True)`` only cancels what has not started; the runs
    in progress would go on (for hours, with a large scenario) before the pool
    let go. Python 3.14 has ``kill_workers``; before it the pool keeps its
    processes in ``_processes``, which 3.11 to 3.14 all have.
    """
    kill = getattr(pool, "kill_workers", None)
    if kill is not None:
        kill()
        return
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.kill()


def _local(chunks: list[list[Task]], jobs: int) -> Generator[list[RunRecord], None, None]:
    """Run chunks on a pool of local processes, yielding results as they finish.

    On any early exit (an interrupt, an error, the caller closing the generator)
    the workers are killed before the pool shuts down, so nothing keeps running.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, max(1, len(chunks))),
        mp_context=ctx,
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )
    finished = False
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
        finished = True
    finally:
        if not finished:
            logger.debug("stopping the local workers early")
            _kill_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
