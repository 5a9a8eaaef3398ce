"""Running experiment tasks on a Dask cluster.

:func:`run_on_dask` sends chunks of tasks to a running ``dask scheduler`` (given
its address), or to a :class:`distributed.LocalCluster` it starts for the occasion
(one single-threaded worker process per job: the simulation is pure Python and
holds the GIL). It yields each chunk's records the moment the chunk finishes,
with ``distributed.as_completed``, so the caller can commit them at once.

A worker that dies takes its running chunk with it; the scheduler runs that chunk
again elsewhere (Dask's ``allowed-failures``), so a chunk may run twice: records
carry unique keys and the results database writes each key once. A chunk that
fails for good (every retry's worker died, or the scheduler went away) comes back
as failed records naming the reason, so the other chunks still count.

Dask is imported only here, and only when a Dask run is asked for (it costs
~0.8 s to import). Workers must run the same orgsim version as the client, which
the cluster's users install themselves (see docs/sweeps.md).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import traceback
import uuid
from collections.abc import Generator, Iterator, Sequence
from typing import Any

from orgsim.errors import ExperimentError
from orgsim.experiments.tasks import Task, default_jobs, execute_batch
from orgsim.storage.results import RunRecord

logger = logging.getLogger(__name__)

__all__ = ["dask_client", "run_on_dask"]


def _failed(chunk: Sequence[Task], reason: str) -> list[RunRecord]:
    """Failed records for every task of a chunk the cluster could not run."""
    return [RunRecord(**t.identity(), status="failed", error=reason) for t in chunk]


def run_on_dask(
    chunks: Sequence[Sequence[Task]],
    *,
    scheduler: str | None = None,
    jobs: int | None = None,
    timeout: float = 20.0,
    leftover: list[RunRecord] | None = None,
) -> Generator[list[RunRecord], None, None]:
    """Run chunks of tasks on Dask, yielding each chunk's records as it finishes.

    Args:
        chunks: Lists of tasks; each list is one Dask task (batching amortises
            Dask's ~2 ms dispatch cost per task over several short runs).
        scheduler: Address of a running scheduler (``tcp://host:8786``). Without
            one, a ``LocalCluster`` of ``jobs`` single-threaded worker processes is
            started here and closed at the end.
        jobs: LocalCluster size (default: all cores). Ignored with ``scheduler``.
        timeout: Seconds to wait for the scheduler to answer.
        leftover: When given and the run stops early, receives the records of the
            chunks that had finished but were not yielded yet (so they can be
            committed before the exception goes on).

    Yields:
        The records of one chunk, in completion order.

    Raises:
        ExperimentError: Dask is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ExperimentError(
            "the dask executor needs dask.distributed: pip install 'orgsim[dask]'"
        ) from None
    work = [list(c) for c in chunks if c]
    if not work:
        return
    with _quiet_dask():
        yield from _run(
            work, scheduler, jobs, timeout, Client, LocalCluster, as_completed, leftover
        )


def _salvage(futures: Sequence[Any], handed: set[str]) -> list[RunRecord]:
    """The records of the chunks that finished but were not yielded (a stop came first)."""
    records: list[RunRecord] = []
    for future in futures:
        if future.key in handed or not future.done():
            continue
        try:
            records.extend(future.result(timeout=1.0))
        except Exception:  # failed, cancelled, or the cluster went away: nothing to keep
            continue
    return records


def _verbose() -> bool:
    """Whether orgsim logs below WARNING (``-v``): then Dask may speak too."""
    return logging.getLogger("orgsim").getEffectiveLevel() < logging.WARNING


@contextlib.contextmanager
def _quiet_dask(threshold: int = logging.WARNING) -> Iterator[None]:
    """Dask logs its start and stop at INFO; keep them out unless orgsim is verbose."""
    loud = _verbose()
    log = logging.getLogger("distributed")
    level = log.level
    if not loud:
        log.setLevel(threshold)
    try:
        yield
    finally:
        log.setLevel(level)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a LocalCluster starts, then deliver them.

    Interrupted half-way, ``LocalCluster()`` leaves no object to close: Dask's own
    exit hook then closes it with tracebacks on stderr. Held until the cluster
    exists, the interrupt arrives where the ``finally`` of :func:`_run` closes it
    (start-up takes a second or two). Only the main thread handles signals.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, _frame: Any) -> None:
        held.append(signum)

    previous = {s: signal.signal(s, hold) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        for caught in dict.fromkeys(held):
            signal.raise_signal(caught)


def _connect(
    scheduler: str | None, jobs: int | None, timeout: float, Client: Any, LocalCluster: Any
) -> tuple[Any, Any]:
    """A client of the scheduler at ``scheduler``, or of a LocalCluster started for it.

    Returns:
        The client, and the LocalCluster (None with a scheduler), both to close.
    """
    if scheduler:
        try:
            return Client(scheduler, timeout=f"{timeout}s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExperimentError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}"
            ) from None
    with _interrupts_deferred():
        cluster = LocalCluster(
            n_workers=jobs or default_jobs(),
            threads_per_worker=1,
            processes=True,
            # a free port: None still binds the scheduler's HTTP server to
            # 8787, and warns on stderr when another cluster holds it
            dashboard_address=":0",
            # Workers torn down by an interrupt log heartbeat failures at
            # ERROR on the shared stderr; what matters of a worker's errors
            # reaches orgsim as the task's exception. Verbose orgsim shows all.
            silence_logs=logging.ERROR if _verbose() else logging.CRITICAL,
        )
        return Client(cluster), cluster


@contextlib.contextmanager
def dask_client(scheduler: str | None, jobs: int | None, timeout: float = 30.0) -> Iterator[Any]:
    """A Dask client for the duration of a block: of ``scheduler``, else of a LocalCluster.

    For work that maps over Dask itself (calibration); closed, with the cluster
    it started, however the block ends.

    Raises:
        ExperimentError: Dask is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExperimentError(
            "the dask executor needs dask.distributed: pip install 'orgsim[dask]'"
        ) from None
    with _quiet_dask():
        client, cluster = _connect(scheduler, jobs, timeout, Client, LocalCluster)
    try:
        yield client
    finally:
        with _quiet_dask(logging.CRITICAL):
            client.close()
            if cluster is not None:
                cluster.close()


def _run(
    chunks: list[list[Task]],
    scheduler: str | None,
    jobs: int | None,
    timeout: float,
    Client: Any,  # the classes, passed in to keep dask imported lazily
    LocalCluster: Any,
    as_completed: Any,
    leftover: list[RunRecord] | None = None,
) -> Generator[list[RunRecord], None, None]:
    cluster = client = None
    futures = []
    handed: set[str] = set()  # keys of the futures whose records were yielded
    finished = False
    try:
        client, cluster = _connect(scheduler, jobs, timeout, Client, LocalCluster)
        logger.info("dask: %d chunks on %s", len(chunks), scheduler or "a LocalCluster")
        run = uuid.uuid4().hex[:8]
        keys = [f"orgsim-{run}-{i}" for i in range(len(chunks))]
        futures = client.map(execute_batch, chunks, key=keys, pure=False)
        by_key = {f.key: chunk for f, chunk in zip(futures, chunks, strict=True)}
        for future in as_completed(futures):
            try:
                records = future.result()
            except Exception as exc:  # a worker died for good, the scheduler left, ...
                logger.warning("dask task %s failed: %s", future.key, exc)
                reason = (
                    f"the cluster could not run this task: {type(exc).__name__}: {exc}\n"
                    + "".join(traceback.format_exception(exc))
                )
                records = _failed(by_key[future.key], reason)
            handed.add(future.key)
            future.release()
            yield records
        finished = True
    finally:
        # Stopped early (Ctrl-C, SIGTERM, an error): the LocalCluster's workers are
        # asked to stop, and killed by their nanny after ~4 s if a run keeps them
        # busy; its warnings about that are expected here, so they stay quiet.
        with _quiet_dask(logging.WARNING if finished else logging.CRITICAL):
            if not finished and leftover is not None:
                leftover.extend(_salvage(futures, handed))
            pending = [f for f in futures if not f.done()]
            if pending and client is not None:
                client.cancel(pending)
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
