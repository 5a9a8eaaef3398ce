"""Tasks: one run each, self-contained so it can travel to a worker and back.

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
from collections.abc import Sequence
from typing import Any

import attrs

from orgsim.engine.events import encode
from orgsim.engine.run import simulate
from orgsim.metrics.projections import conflict_funnel, department_utilisation, metrics, quarterly
from orgsim.scenario.schema import Scenario
from orgsim.storage.results import RunRecord, run_key

logger = logging.getLogger(__name__)

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
    #: Whether the run has the broker; None: the arm says (``on`` has it). An
    #: explore lever names its arm and carries its own setting.
    broker: bool | None = None
    #: The broker's channels that act (:data:`~orgsim.engine.context.CHANNELS`);
    #: None: all of them. An attribution's coalition switches the others off.
    channels: tuple[str, ...] | None = None

    @property
    def with_broker(self) -> bool:
        """Whether this run has the broker."""
        return self.arm == "on" if self.broker is None else self.broker

    @property
    def key(self) -> str:
        """The key its record will be stored under."""
        return run_key(self.experiment, self.point, self.arm, self.replication, self.seed)

    def identity(self) -> dict[str, Any]:
        """The fields its record shares with it, whether the run succeeds or fails."""
        return dict(
            experiment=self.experiment,
            scenario_hash=self.scenario_hash,
            point=self.point,
            arm=self.arm,
            replication=self.replication,
            seed=self.seed,
            params=self.params,
        )


def execute_task(task: Task) -> RunRecord:
    """Run one task and summarise it; a run that raises becomes a failed record."""
    base = task.identity()
    started = time.perf_counter()
    try:
        run = simulate(
            task.scenario,
            seed=task.seed,
            replication=task.replication,
            broker=task.with_broker,
            channels=task.channels,
        )
        log = run.log
        return RunRecord(
            **base,
            metrics={**metrics(log), **department_utilisation(run.state)},
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
