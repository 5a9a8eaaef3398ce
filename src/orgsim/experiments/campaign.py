"""The campaign loop every experiment shares: provenance, resume, run, commit, read back.

A comparison and a sweep differ in which tasks they make and how they analyse the
records, not in how the runs get done. :class:`Campaign` is that common part: it
records who asked for the experiment and how (provenance, once per invocation),
forgets the runs that failed last time so they are retried, skips the runs already
committed, hands the rest to an executor, commits every record the moment it
arrives (so an interrupt loses nothing), and reads the experiment's records back
in canonical order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from orgsim.experiments.executors import run_tasks
from orgsim.experiments.tasks import Task, default_jobs
from orgsim.scenario.schema import Scenario
from orgsim.storage.results import ResultsDB, RunRecord

logger = logging.getLogger(__name__)

Progress = Callable[[RunRecord], None]


def default_batch(n: int, executor: str, jobs: int | None) -> int:
    """Runs per submitted task: enough to amortise dispatch, few enough to commit often."""
    if executor == "serial" or n == 0:
        return 1
    workers = jobs or default_jobs()
    per_worker = n / workers
    if executor == "dask":  # ~2 ms dispatch per task: batch harder
        return max(1, min(8, int(per_worker // 8)))
    return max(1, min(4, int(per_worker // 16)))


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
    """

    db: ResultsDB
    experiment: str
    label: str = ""
    progress: Progress | None = None
    retried: int = 0
    ran: int = 0

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
        self.db.commit(record)
        if self.progress is not None:
            self.progress(record)

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
            batch: Runs per submitted task (default: chosen from the executor).

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
                on_record=self.commit,
                batch=batch or default_batch(len(todo), executor, jobs),
            )
            self.ran += len(todo)
        wanted = {t.key for t in tasks}
        return [r for r in self.db.records(self.experiment) if r.key in wanted]
