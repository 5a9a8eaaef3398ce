"""The campaign loop every experiment shares: provenance, resume, run, commit, read back.

A comparison and a sweep differ in which tasks they make and how they analyse the
records, not in how the runs get done. :class:`Campaign` is that common part: it
records who asked for the experiment and how (provenance, once per invocation),
forgets the runs that failed last time so they are retried, skips the runs already
committed, hands the rest to an executor, commits the records the moment they
arrive, those of the chunks that finish together in one transaction (so a stop
loses nothing that was reported committed, and Ctrl-C or SIGTERM first commits
what had finished), and reads the experiment's records back in canonical order.
Used as a context manager, it keeps its local worker processes from one round to
the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from orgsim.errors import ExperimentError
from orgsim.experiments.executors import LocalPool, run_tasks
from orgsim.experiments.tasks import Task, default_jobs
from orgsim.scenario.schema import Scenario
from orgsim.storage.results import ResultsDB, RunRecord

logger = logging.getLogger(__name__)

Progress = Callable[[RunRecord], None]


def check_existing(
    db: ResultsDB, experiment: str, out: Path, *, resume: bool, file: str, this: str
) -> None:
    """Refuse to mix experiments in one database, or to add to one without ``resume``.

    Args:
        db: The open results database in ``out``.
        experiment: The experiment about to run.
        out: Its output folder, for messages.
        resume: Whether continuing the experiment was asked for.
        file: What describes the experiment (``sweep file``), for messages.
        this: What the experiment is (``this sweep``), for messages.
    """
    others = {
        p["experiment"]
        for p in db.provenance()
        if p["experiment"] != experiment and db.keys(p["experiment"], status=None)
    }
    if others:
        raise ExperimentError(
            f"{out} already holds the results of another experiment ({sorted(others)[0]}); "
            f"the {file} changed, or the folder is shared: use a new --out"
        )
    if not resume and db.keys(experiment, status=None):
        raise ExperimentError(
            f"{out} already holds results of {this}; use --resume to continue it "
            "(committed runs are kept), or a new --out"
        )


@attrs.define
class Campaign:
    """One invocation of an experiment against its results database.

    Build it with :meth:`start`, then call :meth:`run` once (a sweep) or once per
    round (a comparison that adds replications until it is precise enough).

    Attributes:
        db: The open results database.
        experiment: The experiment's name (the first part of every run key).
        label: How log lines name the experiment.
        progress: Called after each run is committed (for progress bars).
        retried: Failed runs forgotten at the start, to be run again.
        ran: Runs made so far by this invocation.
        commits: Transactions that committed runs, so far.
    """

    db: ResultsDB
    experiment: str
    label: str = ""
    progress: Progress | None = None
    retried: int = 0
    ran: int = 0
    commits: int = 0
    _entered: bool = attrs.field(default=False, init=False, repr=False)
    _pool: LocalPool | None = attrs.field(default=None, init=False, repr=False)

    def __enter__(self) -> Campaign:
        """Keep the local workers from one :meth:`run` to the next until the block ends."""
        self._entered = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._entered = False
        self.close()

    def close(self) -> None:
        """Let the kept local workers go."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    @classmethod
    def start(
        cls,
        db: ResultsDB,
        *,
        experiment: str,
        kind: str,
        scenario: Scenario,
        settings: Mapping[str, Any],
        command: Sequence[str] | None = None,
        retry_failures: bool = True,
        progress: Progress | None = None,
        label: str = "",
    ) -> Campaign:
        """Record the provenance and, when asked, forget the failed runs.

        Args:
            db: The open results database.
            experiment: The experiment's name.
            kind: ``compare`` or ``sweep``.
            scenario: The (base) scenario, stored with its digest.
            settings: The experiment's settings, stored as given.
            command: Command line recorded in the provenance (default ``sys.argv``).
            retry_failures: Forget the runs that failed before, so they run again.
            progress: Called after each run is committed.
            label: How log lines name the experiment (default: its name).
        """
        db.record_provenance(
            experiment=experiment,
            kind=kind,
            scenario=scenario.to_dict(),
            scenario_hash=scenario.digest(),
            settings=dict(settings),
            command=command,
        )
        retried = db.forget_failures(experiment) if retry_failures else 0
        return cls(db, experiment, label or experiment, progress, retried)

    def commit(self, record: RunRecord) -> None:
        """Store one record at once, then tell the progress callback."""
        self.commit_many([record])

    def commit_many(self, records: Sequence[RunRecord]) -> None:
        """Store records that arrived together in one transaction, then tell progress.

        Progress hears of a run only once its transaction has committed, so what it
        reported survives even a ``kill -9`` of this process.
        """
        if not records:
            return
        self.db.commit_many(records)
        self.commits += 1
        if self.progress is not None:
            for record in records:
                self.progress(record)

    def _local_pool(self, executor: str, jobs: int | None) -> LocalPool | None:
        """The workers kept for this campaign (inside a ``with`` block, local only)."""
        workers = jobs or default_jobs()
        if not self._entered or executor != "local" or workers == 1:
            return None
        if self._pool is None or self._pool.jobs != workers:
            self.close()
            self._pool = LocalPool(workers)
        return self._pool

    def run(
        self,
        tasks: Sequence[Task],
        *,
        executor: str,
        jobs: int | None = None,
        scheduler: str | None = None,
        batch: int | None = None,
    ) -> list[RunRecord]:
        """Run the tasks not committed yet and return the records of all of them.

        Args:
            tasks: Every run the experiment wants (committed ones are skipped).
            executor: ``serial``, ``local`` or ``dask``.
            jobs: Worker processes.
            scheduler: Address of a running Dask scheduler.
            batch: Runs per chunk (default: sized from the runs and the workers, see
                :func:`~orgsim.experiments.executors.plan_chunks`).

        Returns:
            The stored records of ``tasks``, in canonical order.
        """
        done = self.db.keys(self.experiment)
        todo = [t for t in tasks if t.key not in done]
        logger.info("%s, %d runs, %d to do", self.label, len(tasks), len(todo))
        if todo:
            run_tasks(
                todo,
                executor=executor,
                jobs=jobs,
                scheduler=scheduler,
                on_records=self.commit_many,
                batch=batch,
                pool=self._local_pool(executor, jobs),
            )
            self.ran += len(todo)
        wanted = {t.key for t in tasks}
        return [r for r in self.db.records(self.experiment) if r.key in wanted]
