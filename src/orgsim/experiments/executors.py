"""Executors: run tasks serially, on local processes, or on a Dask cluster.

Results do not depend on the executor, the number of workers or the completion
order: each run's randomness depends only on its own (seed, replication), and
records come back in the order of the tasks.

Tasks travel in chunks (:func:`plan_chunks`): several chunks a worker, so that the
workers finish together, each of several runs when runs are short, so that the
round trip to a worker (pickling a chunk and its records back) is paid once for
several runs; the chunks shrink towards the end, so the last ones are single runs
and no worker is left with a long chunk while the others idle. A
:class:`LocalPool` keeps its worker processes between calls (a comparison's rounds,
a tornado's two stages), so the fork and the workers' warm-up are paid once per
experiment; its forked workers inherit the scenarios of the first chunks, which
then travel as a number rather than pickled with every chunk. Workers send back
summaries only (the event log only when the experiment keeps it). The records of
every chunk that finished at the same moment are handed over together
(``on_records``), which the caller commits in one transaction.

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
import itertools
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import attrs

from orgsim.errors import ExperimentError
from orgsim.experiments.cluster import run_on_dask
from orgsim.experiments.limits import estimate_run
from orgsim.experiments.tasks import Task, default_jobs, execute_batch
from orgsim.scenario.schema import Scenario
from orgsim.storage.results import RunRecord

logger = logging.getLogger(__name__)

EXECUTORS = ("serial", "local", "dask")

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCHDOG_INTERVAL = 0.25  # seconds between a worker's checks that its parent lives

#: Chunks per worker: enough that the workers finish at about the same time (the
#: last chunk of one is not left running alone while the others idle).
CHUNKS_PER_WORKER = 4
#: Most runs in one chunk: a chunk's runs arrive, and are committed, together, so a
#: worker killed mid-chunk loses at most this many runs, and progress moves at least
#: once a chunk.
MAX_CHUNK = 16
#: Most estimated seconds of work in one chunk (:func:`most_per_chunk`): long runs
#: go fewer to a chunk, so they are still committed every second or so.
CHUNK_SECONDS = 1.0

Records = list[RunRecord]


def chunk_size(remaining: int, workers: int, most: int = MAX_CHUNK) -> int:
    """Runs in the next chunk when ``remaining`` runs are left for ``workers`` workers.

    :data:`CHUNKS_PER_WORKER` chunks a worker of what is left, at most ``most``
    runs and at least one: 16 runs on 2 workers start with chunks of 2, 1,000 with
    chunks of 16, 8 with single runs.
    """
    if remaining <= 0 or workers <= 0:
        return 1
    return max(1, min(most, math.ceil(remaining / (workers * CHUNKS_PER_WORKER))))


def most_per_chunk(tasks: Sequence[Task]) -> int:
    """:data:`MAX_CHUNK`, or fewer when runs are long: about :data:`CHUNK_SECONDS` a chunk.

    The time of a run is the estimate of :func:`~orgsim.experiments.limits.estimate_run`
    (good to a factor of about two), the longest of the tasks' first 16 scenarios:
    a start-up year (~13 ms) goes 16 to a chunk, a midsize run (~0.2 s) 4, an
    enterprise run (~2.5 s) alone.
    """
    longest = 0.0
    seen: set[int] = set()
    for task in tasks:
        if id(task.scenario) in seen:
            continue
        seen.add(id(task.scenario))
        try:
            longest = max(longest, estimate_run(task.scenario).seconds)
        except Exception:  # a guide only: without an estimate the count cap stands
            logger.debug("no run-time estimate for %s", task.key, exc_info=True)
        if len(seen) >= 16:
            break
    if not longest > 0:
        return MAX_CHUNK
    return max(1, min(MAX_CHUNK, int(CHUNK_SECONDS / longest)))


def plan_chunks(n: int, workers: int, most: int = MAX_CHUNK) -> list[int]:
    """The sizes of the chunks ``n`` runs travel in: :func:`chunk_size` of what is left.

    The sizes shrink as the runs are handed out (guided scheduling): large chunks
    first, to amortise the round trips, single runs last, so the workers finish
    within about one run of each other. 16 runs on 2 workers: 2, 2, 2, 2, then
    eight single runs. No chunk holds more than ``most`` runs.
    """
    sizes: list[int] = []
    left = n
    while left > 0:
        size = chunk_size(left, workers, most)
        sizes.append(size)
        left -= size
    return sizes


def chunked(tasks: Sequence[Task], sizes: int | Sequence[int]) -> list[list[Task]]:
    """The tasks cut in order into chunks of ``sizes`` (one size for all, or each's).

    With one size the last chunk may be shorter; with a list of sizes, the chunks
    take the tasks in turn and any tasks left over go one a chunk.
    """
    if isinstance(sizes, int):
        size = max(1, sizes)
        return [list(tasks[i : i + size]) for i in range(0, len(tasks), size)]
    chunks: list[list[Task]] = []
    at = 0
    for size in sizes:
        if at >= len(tasks):
            break
        chunks.append(list(tasks[at : at + max(1, size)]))
        at += max(1, size)
    chunks.extend([t] for t in tasks[at:])
    return chunks


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
    on_records: Callable[[Records], None] | None = None,
    batch: int | None = None,
    pool: LocalPool | None = None,
) -> Records:
    """Execute tasks and hand their records over as soon as they arrive.

    Args:
        tasks: What to run.
        executor: ``serial``, ``local`` (processes on this machine) or ``dask``.
        jobs: Worker processes (``local``; for ``dask`` the LocalCluster size).
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``).
        on_record: Called in the main process for every record, in completion order.
        on_records: Called in the main process with the records of every chunk
            that finished at one moment (one call a chunk when chunks finish apart):
            what a caller commits in one transaction.
        batch: Tasks per chunk; by default the sizes of :func:`plan_chunks` for the
            tasks, the workers and :func:`most_per_chunk` (one with ``serial`` or a
            single local worker).
        pool: Local workers kept between calls (``local`` only); without it, a pool
            is started for this call and closed at its end.

    Returns:
        The records in the order of ``tasks`` (canonical, whatever completed first).

    When the run stops early (Ctrl-C, SIGTERM, a worker that died), the records of
    chunks that had finished but were not handed over yet are handed over before
    the exception goes on, so they are committed too.
    """
    check_executor(executor, jobs)
    by_key: dict[str, RunRecord] = {}

    def deliver(records: Records) -> None:
        for record in records:
            by_key[record.key] = record
        if on_records is not None and records:
            on_records(records)
        if on_record is not None:
            for record in records:
                on_record(record)

    workers = jobs or default_jobs()
    in_process = executor == "serial" or (executor == "local" and workers == 1)
    if batch is not None:
        chunks = chunked(tasks, batch)
    else:
        plan = 1 if in_process else plan_chunks(len(tasks), workers, most_per_chunk(tasks))
        chunks = chunked(tasks, plan)
    if in_process:
        for chunk in chunks:
            deliver(execute_batch(chunk))
        return [by_key[t.key] for t in tasks if t.key in by_key]
    leftover: Records = []
    try:
        if executor == "local":
            results = (
                pool.results(chunks, leftover)
                if pool is not None and pool.jobs == workers
                else _local(chunks, workers, leftover)
            )
        else:
            results = run_on_dask(chunks, scheduler=scheduler, jobs=jobs, leftover=leftover)
        # closing(): an interrupt in deliver must stop the workers (or shut the
        # cluster down) now, not whenever the suspended generator is collected
        with contextlib.closing(results):
            for records in results:
                deliver(records)
    except (KeyboardInterrupt, ExperimentError):
        _deliver_leftover(deliver, leftover)
        raise
    return [by_key[t.key] for t in tasks if t.key in by_key]


def _deliver_leftover(deliver: Callable[[Records], None], leftover: Records) -> None:
    """Hand over the runs that finished before a stop but had not been handed over.

    The stop itself (an interrupt, a dead worker) is what the caller reports; a
    failure to hand these over is only logged, so it does not hide that.
    """
    if not leftover:
        return
    logger.debug("handing over %d run(s) that finished before the stop", len(leftover))
    try:
        deliver(leftover)
    except Exception as exc:
        logger.warning("%d finished run(s) could not be kept: %s", len(leftover), exc)


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


#: Scenarios forked workers inherit, by number (see :class:`LocalPool`).
_INHERITED: dict[int, Scenario] = {}
_NUMBERS = itertools.count()


@attrs.frozen
class Shipped:
    """A task sent to a forked worker without its scenario, which the worker inherited.

    Pickles as the scenario's number and the task's other fields: a few hundred
    bytes instead of the scenario's several kilobytes, and no scenario to rebuild.
    """

    scenario: int
    task: Task

    def __reduce__(self) -> tuple[Any, ...]:
        fields = attrs.asdict(self.task, recurse=False)
        del fields["scenario"]
        return (_unship, (self.scenario, fields))


def _unship(number: int, fields: dict[str, Any]) -> Task:
    """The task again, in the worker, with the scenario it inherited."""
    return Task(scenario=_INHERITED[number], **fields)


def execute_shipped(chunk: Sequence[Task | Shipped]) -> Records:
    """Run a chunk in a local worker.

    Unpickled in a worker, a :class:`Shipped` task is a whole task again; one run
    in this process (a stand-in pool) is unwrapped here.
    """
    return execute_batch([t.task if isinstance(t, Shipped) else t for t in chunk])


class LocalPool:
    """Local worker processes that outlast one :func:`run_tasks` call.

    Started at the first call that needs them, reused by the next ones, closed by
    :meth:`close` (or the ``with`` block's end). A call stopped early kills the
    workers (see :func:`_kill_workers`); the next call starts new ones, as it does
    after a worker died.

    Workers are forked (where the platform can) when the first chunks are sent,
    so they inherit this process's imports and state as it is then.
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._forked = "fork" in multiprocessing.get_all_start_methods()
        # id of a scenario its workers inherited -> its number in _INHERITED; the
        # scenario itself is held there, so its id is not reused while listed
        self._inherited: dict[int, int] = {}

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def started(self) -> bool:
        """Whether worker processes are up (or being started)."""
        return self._pool is not None

    def close(self) -> None:
        """Let the idle workers go (they exit once their queue is closed)."""
        pool, self._pool = self._pool, None
        self._forget()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def kill(self) -> None:
        """Kill the workers now, whatever they are running."""
        pool, self._pool = self._pool, None
        self._forget()
        if pool is not None:
            logger.debug("stopping the local workers early")
            _kill_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)

    def _forget(self) -> None:
        for number in self._inherited.values():
            _INHERITED.pop(number, None)
        self._inherited.clear()

    def _ship(self, chunk: Sequence[Task]) -> list[Task | Shipped]:
        """The chunk as sent: tasks whose scenario the workers inherited go without it."""
        return [
            Shipped(self._inherited[id(t.scenario)], t) if id(t.scenario) in self._inherited else t
            for t in chunk
        ]

    def _executor(self, chunks: Sequence[Sequence[Task]]) -> ProcessPoolExecutor:
        if self._pool is None:
            method = "fork" if self._forked else "spawn"
            if self._forked:  # the workers, forked at the first submit, inherit these
                for chunk in chunks:
                    for task in chunk:
                        if id(task.scenario) not in self._inherited:
                            number = next(_NUMBERS)
                            _INHERITED[number] = task.scenario
                            self._inherited[id(task.scenario)] = number
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context(method),
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def results(
        self, chunks: Sequence[Sequence[Task]], leftover: Records | None = None
    ) -> Generator[Records, None, None]:
        """Run chunks on the workers, yielding the records of those that finish together.

        Args:
            chunks: The chunks to run, one submission each.
            leftover: When given and the run stops early, receives the records of
                the chunks that had finished but were not yielded yet.

        On any early exit (an interrupt, an error, the caller closing the
        generator) the workers are killed, so nothing keeps running.
        """
        pool = self._executor(chunks)
        finished = False
        order: dict[Future[Records], int] = {}
        pending: set[Future[Records]] = set()
        try:
            for i, chunk in enumerate(chunks):
                order[pool.submit(execute_shipped, self._ship(chunk))] = i
            pending = set(order)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                records: Records = []
                for future in sorted(done, key=order.__getitem__):
                    try:
                        records.extend(future.result())
                    except BrokenProcessPool:
                        pending |= {f for f in done if f is not future}
                        raise ExperimentError(
                            "a worker process died (killed, or out of memory); the runs "
                            "that finished are committed: rerun the same command (a sweep "
                            "with --resume) to go on"
                        ) from None
                yield records
            finished = True
        finally:
            if not finished:
                if leftover is not None:
                    leftover.extend(_finished(pending, order))
                self.kill()


def _finished(futures: set[Future[Records]], order: dict[Future[Records], int]) -> Records:
    """The records of the futures that completed with a result, in chunk order."""
    records: Records = []
    for future in sorted(futures, key=order.__getitem__):
        if future.done() and not future.cancelled() and future.exception() is None:
            records.extend(future.result())
    return records


def _local(
    chunks: Sequence[Sequence[Task]], jobs: int, leftover: Records | None = None
) -> Generator[Records, None, None]:
    """Run chunks on a pool of local processes started for them, closed at the end."""
    with LocalPool(min(jobs, max(1, len(chunks)))) as pool:
        yield from pool.results(chunks, leftover)
