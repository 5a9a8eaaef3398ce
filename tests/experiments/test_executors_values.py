"""Local workers, in process: the signals a worker sets, prctl's arguments, early kills.

A worker's initializer (die_with_parent) runs in the worker, where mutmut sees no
coverage; here it is called in the test process with the module's ``signal``,
``threading``, ``os``, ``ctypes`` and ``sys`` replaced by recorders, so no signal
handler, prctl setting or thread of the test process is touched.
"""

from __future__ import annotations

import os
import signal
import types
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, ClassVar

import pytest

from builders import a_task
from orgsim.experiments import executors
from orgsim.experiments.tasks import Task
from orgsim.scenario.loading import parse_scenario
from orgsim.storage.results import RunRecord


class Exited(Exception):
    """Raised by the fake os._exit."""


class Worker:
    """Recorders for what die_with_parent does in a worker whose parent is pid 100."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, ppid: int, pdeathsig: bool) -> None:
        self.handlers: list[tuple[Any, Any]] = []
        self.asked: list[int] = []
        self.threads: list[dict[str, Any]] = []
        self.started = 0
        fake_signal = types.SimpleNamespace(
            SIGINT=signal.SIGINT,
            SIGTERM=signal.SIGTERM,
            SIGKILL=signal.SIGKILL,
            SIG_IGN=signal.SIG_IGN,
            SIG_DFL=signal.SIG_DFL,
            signal=lambda signum, handler: self.handlers.append((signum, handler)),
        )
        worker = self

        class Thread:
            def __init__(self, **kwargs: Any) -> None:
                worker.threads.append(kwargs)

            def start(self) -> None:
                worker.started += 1

        def exit_(code: int) -> None:
            raise Exited(code)

        def death_signal(signum: int) -> bool:
            self.asked.append(signum)
            return pdeathsig

        monkeypatch.setattr(executors, "signal", fake_signal)
        monkeypatch.setattr(executors, "threading", types.SimpleNamespace(Thread=Thread))
        fake_os = types.SimpleNamespace(getppid=lambda: ppid, _exit=exit_)
        monkeypatch.setattr(executors, "os", fake_os)
        monkeypatch.setattr(executors, "_parent_death_signal", death_signal)


def test_a_worker_ignores_ctrl_c_dies_of_sigterm_and_asks_for_sigkill(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = Worker(monkeypatch, ppid=100, pdeathsig=True)
    executors.die_with_parent(100)
    # Ctrl-C is the parent's to handle; SIGTERM's inherited handler is dropped
    assert w.handlers == [(signal.SIGINT, signal.SIG_IGN), (signal.SIGTERM, signal.SIG_DFL)]
    assert w.asked == [signal.SIGKILL]
    assert w.threads == [] and w.started == 0  # the kernel watches: no watchdog


def test_without_prctl_a_named_daemon_watchdog_polls_the_parent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = Worker(monkeypatch, ppid=100, pdeathsig=False)
    executors.die_with_parent(100)
    # The name is what a debugger shows of the worker's threads (threading.enumerate(),
    # py-spy dump): a stray thread in a worker says it is orgsim's watchdog.
    assert w.threads == [
        {
            "target": executors._watch_parent,
            "args": (100,),
            "name": "orgsim-watchdog",
            "daemon": True,
        }
    ]
    assert w.started == 1


def test_a_worker_whose_parent_already_died_exits_with_status_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Worker(monkeypatch, ppid=1, pdeathsig=True)  # reparented to init
    with pytest.raises(Exited) as info:
        executors.die_with_parent(100)
    assert info.value.args == (1,)


class FakeLibc:
    def __init__(self, calls: list[tuple[Any, ...]], answer: int) -> None:
        self.calls = calls
        self.answer = answer

    def prctl(self, *args: Any) -> int:
        self.calls.append(args)
        return self.answer


def fake_ctypes(
    monkeypatch: pytest.MonkeyPatch, answer: int, platform: str = "linux"
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    opened: list[tuple[Any, ...]] = []
    calls: list[tuple[Any, ...]] = []

    def cdll(name: Any, use_errno: bool = False) -> FakeLibc:
        opened.append((name, use_errno))
        return FakeLibc(calls, answer)

    monkeypatch.setattr(executors, "ctypes", types.SimpleNamespace(CDLL=cdll))
    monkeypatch.setattr(executors, "sys", types.SimpleNamespace(platform=platform))
    return opened, calls


def test_the_parent_death_signal_is_prctl_pr_set_pdeathsig_with_zeros(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened, calls = fake_ctypes(monkeypatch, answer=0)
    assert executors._parent_death_signal(signal.SIGKILL) is True
    assert opened == [(None, True)]  # the C library of this process
    # prctl(PR_SET_PDEATHSIG = 1, signal, 0, 0, 0): the unused arguments must be 0
    assert calls == [(1, signal.SIGKILL, 0, 0, 0)]


def test_a_refused_prctl_means_no_parent_death_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    _, calls = fake_ctypes(monkeypatch, answer=-1)
    assert executors._parent_death_signal(signal.SIGKILL) is False
    assert calls == [(1, signal.SIGKILL, 0, 0, 0)]


def test_off_linux_prctl_is_not_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    opened, calls = fake_ctypes(monkeypatch, answer=0, platform="darwin")
    assert executors._parent_death_signal(signal.SIGKILL) is False
    assert opened == [] and calls == []


# ------------------------------------------------------------------ stopping early

SCENARIO = parse_scenario({"horizon": 30.0})


def chunk(rep: int) -> list[Task]:
    return [a_task(rep, SCENARIO)]


class FakePool:
    """A process pool that runs each submission at once, in this process."""

    made: ClassVar[list[FakePool]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.killed = 0
        self.shutdowns: list[dict[str, bool]] = []
        FakePool.made.append(self)

    def submit(self, fn: Callable[..., Any], arg: Sequence[Task]) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(arg))
        return future

    def kill_workers(self) -> None:
        self.killed += 1

    def shutdown(self, *, wait: bool, cancel_futures: bool) -> None:
        self.shutdowns.append({"wait": wait, "cancel_futures": cancel_futures})


def fake_batch(tasks: Sequence[Task]) -> list[RunRecord]:
    return [RunRecord(**t.identity()) for t in tasks]


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakePool, "made", [])
    monkeypatch.setattr(executors, "ProcessPoolExecutor", FakePool)
    monkeypatch.setattr(executors, "execute_batch", fake_batch)


@pytest.mark.usefixtures("pool")
def test_a_pool_stopped_early_kills_its_workers_before_shutting_down() -> None:
    results = executors._local([chunk(0), chunk(1), chunk(2)], 2)
    first = next(results)
    results.close()  # the caller stops (an interrupt, an error)
    (made,) = FakePool.made
    # the fake pool finishes every chunk at once: they arrive together, in chunk order
    assert [r.replication for r in first] == [0, 1, 2]
    assert made.killed == 1
    assert made.shutdowns == [{"wait": True, "cancel_futures": True}]


@pytest.mark.usefixtures("pool")
def test_a_pool_that_finished_is_shut_down_without_a_kill() -> None:
    records = [r for rs in executors._local([chunk(0), chunk(1)], 4) for r in rs]
    (made,) = FakePool.made
    assert sorted(r.replication for r in records) == [0, 1]
    # two chunks need two workers of the four asked; each worker first ties its life
    # to this process
    assert made.kwargs["max_workers"] == 2
    assert made.kwargs["initializer"] is executors.die_with_parent
    assert made.kwargs["initargs"] == (os.getpid(),)
    assert made.killed == 0
    assert made.shutdowns == [{"wait": True, "cancel_futures": True}]
