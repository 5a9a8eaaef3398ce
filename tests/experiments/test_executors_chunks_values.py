"""Chunks: their sizes, what travels to a worker, and what arrives and is committed together.

The pool is a stand-in that runs a submission when the test says so, so which
chunks have finished at each moment is set by hand; one test runs real workers
to check the records do not depend on the workers or the chunks.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ClassVar

import pytest

from builders import a_task
from orgsim.experiments import executors
from orgsim.experiments.campaign import Campaign
from orgsim.experiments.executors import (
    CHUNK_SECONDS,
    CHUNKS_PER_WORKER,
    MAX_CHUNK,
    LocalPool,
    Shipped,
    chunk_size,
    chunked,
    most_per_chunk,
    plan_chunks,
    run_tasks,
)
from orgsim.experiments.tasks import Task
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.results import ResultsDB, RunRecord

SCENARIO = parse_scenario({"horizon": 30.0, "seed": 1})


def tasks(n: int, scenario: Any = SCENARIO) -> list[Task]:
    return [a_task(rep, scenario) for rep in range(n)]


# ------------------------------------------------------------------ sizes


def test_the_constants_are_four_chunks_a_worker_of_at_most_sixteen_runs_or_a_second() -> None:
    assert (CHUNKS_PER_WORKER, MAX_CHUNK, CHUNK_SECONDS) == (4, 16, 1.0)


@pytest.mark.parametrize(
    ("left", "workers", "expected"),
    [
        (16, 2, 2),  # 16 runs / (2 workers x 4 chunks) = 2
        (17, 2, 3),  # 2.1 rounded up
        (8, 2, 1),
        (3, 2, 1),  # fewer runs than chunks wanted: one a chunk
        (1000, 2, 16),  # 125, capped at 16
        (128, 2, 16),  # exactly the cap
        (129, 2, 16),  # 16.1 rounds up to 17, capped
        (100, 4, 7),  # 100 / 16 = 6.25, rounded up
        (0, 2, 1),  # nothing left, or no workers: at least one
        (10, 0, 1),
    ],
)
def test_a_chunk_is_a_quarter_of_a_workers_share_at_most_sixteen(
    left: int, workers: int, expected: int
) -> None:
    assert chunk_size(left, workers) == expected


def test_the_chunks_shrink_to_single_runs_at_the_end() -> None:
    assert plan_chunks(16, 2) == [2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]
    assert plan_chunks(3, 2) == [1, 1, 1]
    assert plan_chunks(0, 2) == []


@pytest.mark.parametrize(("n", "workers"), [(1, 1), (37, 2), (1000, 2), (5000, 8), (250, 3)])
def test_the_plan_covers_every_run_in_shrinking_chunks_of_at_most_sixteen(
    n: int, workers: int
) -> None:
    sizes = plan_chunks(n, workers)
    assert sum(sizes) == n
    assert sizes == sorted(sizes, reverse=True)
    assert max(sizes) <= MAX_CHUNK and sizes[-1] == 1
    # each is a quarter of a worker's share of what was left when it was cut
    left = n
    for size in sizes:
        assert size == max(1, min(MAX_CHUNK, math.ceil(left / (workers * 4))))
        left -= size


def test_a_long_plan_starts_with_full_chunks() -> None:
    sizes = plan_chunks(1000, 2)
    assert sizes[:50] == [16] * 50  # 1000 - 16 x 50 = 200 left, still 25 a chunk
    assert len(sizes) < 1000 / 8  # far fewer round trips than runs


def test_a_chunk_cap_below_sixteen_is_kept_to() -> None:
    assert chunk_size(1000, 2, most=5) == 5
    assert plan_chunks(20, 1, most=3) == [3, 3, 3, 3, 2, 2, 1, 1, 1, 1]


class Estimated:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def estimates(monkeypatch: pytest.MonkeyPatch, seconds: dict[float, float]) -> list[float]:
    """Estimate a scenario's run at ``seconds[its horizon]``; the horizons asked, in order."""
    asked: list[float] = []

    def estimate_run(sc: Any) -> Estimated:
        asked.append(sc.horizon)
        if seconds[sc.horizon] < 0:
            raise ValueError("no estimate")
        return Estimated(seconds[sc.horizon])

    monkeypatch.setattr(executors, "estimate_run", estimate_run)
    return asked


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.013, 16),  # 1 / 0.013 = 76 runs, capped at 16
        (0.1, 10),  # 1 / 0.1 = 10
        (0.21, 4),  # 4.76, rounded down
        (2.5, 1),  # 0.4: alone
        (math.inf, 1),  # a run that may never end: alone
        (0.0, 16),  # no time at all: the count cap
        (-1.0, 16),  # no estimate (it raised): the count cap
    ],
)
def test_a_chunk_holds_about_a_second_of_estimated_work(
    monkeypatch: pytest.MonkeyPatch, seconds: float, expected: int
) -> None:
    estimates(monkeypatch, {30.0: seconds})
    assert most_per_chunk(tasks(3)) == expected


def test_the_longest_of_the_first_sixteen_scenarios_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    horizons = [float(h) for h in range(10, 30)]  # 20 scenarios, the 17th the longest
    asked = estimates(monkeypatch, {h: (0.5 if h == 26.0 else 0.05) for h in horizons})
    scenarios = [parse_scenario({"horizon": h}) for h in horizons]
    work = [a_task(rep, sc) for sc in scenarios for rep in range(2)]  # each scenario twice
    assert most_per_chunk(work) == 16  # 1 / 0.05 = 20, capped; the 0.5 s one is not seen
    assert asked == horizons[:16]  # each scenario once, the first sixteen
    work[0] = a_task(0, scenarios[16])
    assert most_per_chunk(work) == 2  # now among them: 1 / 0.5


def test_chunks_cut_the_tasks_in_order() -> None:
    work = tasks(7)
    assert [[t.replication for t in c] for c in chunked(work, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [[t.replication for t in c] for c in chunked(work, [3, 2])] == [
        [0, 1, 2],
        [3, 4],
        [5],  # beyond the plan: one a chunk
        [6],
    ]
    assert chunked(work[:2], [3, 3]) == [work[:2]]  # a plan longer than the tasks
    assert chunked(work, 0) == [[t] for t in work]  # a size below one is one


# ------------------------------------------------------------------ what travels


def test_a_shipped_task_pickles_without_its_scenario_and_comes_back_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(executors, "_INHERITED", {41: SCENARIO})
    task = a_task(3, SCENARIO, params={"a": 1.5}, keep_events=True)
    sent = pickle.dumps(Shipped(41, task))
    assert pickle.loads(sent) == task
    assert len(sent) * 4 < len(pickle.dumps(task))  # the scenario is most of a task


class StepPool:
    """A stand-in process pool: each submission finishes when the test says so."""

    made: ClassVar[list[StepPool]] = []
    auto: ClassVar[set[int]] = {0}  # submissions done as soon as they are made

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.sent: list[Any] = []
        self.calls: list[tuple[Future[Any], Callable[..., Any], Any]] = []
        self.killed = 0
        self.shutdowns = 0
        StepPool.made.append(self)

    def submit(self, fn: Callable[..., Any], arg: Any) -> Future[Any]:
        self.sent.append(arg)
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        self.calls.append((future, fn, arg))
        if len(self.calls) - 1 in self.auto:
            self.finish(len(self.calls) - 1)
        return future

    def finish(self, i: int) -> None:
        """Run submission ``i`` now (in this process) and complete its future."""
        future, fn, arg = self.calls[i]
        future.set_result(fn(arg))

    def kill_workers(self) -> None:
        self.killed += 1

    def shutdown(self, *, wait: bool, cancel_futures: bool) -> None:
        self.shutdowns += 1


def no_run(chunk: Sequence[Task]) -> list[RunRecord]:
    return [RunRecord(**t.identity(), metrics={"rep": float(t.replication)}) for t in chunk]


@pytest.fixture
def step_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StepPool, "made", [])
    monkeypatch.setattr(executors, "ProcessPoolExecutor", StepPool)
    monkeypatch.setattr(executors, "execute_batch", no_run)
    monkeypatch.setattr(executors, "_INHERITED", {})


@pytest.mark.usefixtures("step_pool")
def test_forked_workers_inherit_the_first_scenarios_and_later_ones_travel_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(StepPool, "auto", {0, 2})  # the second call's chunk too
    other = parse_scenario({"horizon": 31.0, "seed": 1})
    with LocalPool(2) as pool:
        first = pool.results([tasks(2), tasks(1)])
        assert [r.replication for r in next(first)] == [0, 1]  # started: SCENARIO inherited
        (made,) = StepPool.made
        assert list(executors._INHERITED.values()) == [SCENARIO]
        made.finish(1)
        assert [r.replication for r in next(first)] == [0]
        second = pool.results([[a_task(5, other), a_task(6, SCENARIO)]])
        assert [r.replication for r in next(second)] == [5, 6]
        with pytest.raises(StopIteration):
            next(first)
        assert StepPool.made == [made]  # the same workers serve the second call
    sent = made.sent
    assert all(isinstance(t, Shipped) for chunk in sent[:2] for t in chunk)
    # a scenario made after the fork travels with its task
    assert isinstance(sent[2][0], Task) and isinstance(sent[2][1], Shipped)
    assert executors._INHERITED == {}  # closed: forgotten
    assert (made.killed, made.shutdowns) == (0, 1)


@pytest.mark.usefixtures("step_pool")
def test_chunks_that_finish_together_arrive_together_in_chunk_order() -> None:
    seen: list[list[int]] = []
    with LocalPool(2) as pool:
        results = pool.results([tasks(2), tasks(3)[2:], tasks(4)[3:]])
        seen.append([r.replication for r in next(results)])
        (made,) = StepPool.made
        made.finish(2)
        made.finish(1)
        seen.append([r.replication for r in next(results)])
        with pytest.raises(StopIteration):
            next(results)
    assert seen == [[0, 1], [2, 3]]


@pytest.mark.usefixtures("step_pool")
def test_an_interrupt_commits_the_chunks_that_finished_before_it_goes_on(
    tmp_path: Path,
) -> None:
    progress: list[int] = []

    def tick(record: RunRecord) -> None:
        progress.append(record.replication)
        if record.replication == 1:  # after the first commit: chunk 1 finishes, then Ctrl-C
            StepPool.made[0].finish(1)
            raise KeyboardInterrupt

    with ResultsDB(tmp_path / "r.sqlite") as db:
        camp = Campaign.start(
            db, experiment="x", kind="sweep", scenario=SCENARIO, settings={}, progress=tick
        )
        with pytest.raises(KeyboardInterrupt), camp:
            camp.run(tasks(5), executor="local", jobs=2, batch=2)
        stored = sorted(r.replication for r in db.records("x"))
    # chunk 0 (0, 1) was committed and reported; chunk 1 (2, 3) had finished when
    # the interrupt came and is committed on the way out; chunk 2 (4) never ran
    assert stored == [0, 1, 2, 3]
    assert progress == [0, 1, 2, 3]
    assert camp.commits == 2
    assert StepPool.made[0].killed == 1


@pytest.mark.usefixtures("step_pool")
def test_progress_hears_only_of_committed_runs(tmp_path: Path) -> None:
    progress: list[int] = []
    with ResultsDB(tmp_path / "r.sqlite") as db:
        camp = Campaign.start(
            db,
            experiment="x",
            kind="sweep",
            scenario=SCENARIO,
            settings={},
            progress=lambda r: progress.append(r.replication),
        )

        def fail(records: Sequence[RunRecord]) -> int:
            raise OSError("disk full")

        db.commit_many = fail  # type: ignore[method-assign]
        with pytest.raises(OSError, match="disk full"):
            camp.commit_many([RunRecord(**a_task(0, SCENARIO).identity())])
    assert progress == []
    assert camp.commits == 0


# ------------------------------------------------------------------ real workers


def by_key(records: list[RunRecord]) -> dict[str, Any]:
    def same(v: float) -> float | None:
        return None if math.isnan(v) else v

    return {
        r.key: (
            r.status,
            r.events,
            {k: same(v) for k, v in r.metrics.items()},
            {k: [same(v) for v in vs] for k, vs in r.quarterly.items()},  # NaN != NaN
            r.funnel,
        )
        for r in records
    }


@pytest.mark.slow
def test_records_do_not_depend_on_the_workers_the_chunks_or_a_kept_pool() -> None:
    short = parse_scenario({"horizon": 60.0, "seed": 3})
    later = parse_scenario({"horizon": 61.0, "seed": 3})
    work = [
        a_task(rep, short, arm=arm, seed=3, point=0) for rep in range(5) for arm in ("on", "off")
    ] + [a_task(rep, later, arm="on", seed=3, point=1) for rep in range(3)]
    serial = run_tasks(work, executor="serial")
    assert [r.key for r in serial] == [t.key for t in work]
    assert all(r.status == "ok" for r in serial)
    expected = by_key(serial)
    for batch in (None, 1, 3, 13):
        got = run_tasks(work, executor="local", jobs=2, batch=batch)
        assert [r.key for r in got] == [t.key for t in work]  # canonical order
        assert by_key(got) == expected, batch
    with LocalPool(2) as pool:  # inherits `short`, the first call's; `later` travels whole
        first = run_tasks(work[:10], executor="local", jobs=2, pool=pool)
        again = run_tasks(work, executor="local", jobs=2, pool=pool)
        other = parse_scenario({"horizon": 62.0, "seed": 3})  # made after the fork
        extra = run_tasks([a_task(0, other, seed=3, point=2)], executor="local", jobs=2, pool=pool)
    assert by_key(first) == {k: v for k, v in expected.items() if k in by_key(first)}
    assert by_key(again) == expected
    assert by_key(extra) == by_key(
        run_tasks([a_task(0, other, seed=3, point=2)], executor="serial")
    )
