"""Fault tests with real processes: a signalled ``orgsim`` leaves no worker behind.

Each test starts ``orgsim compare`` or ``orgsim sweep`` the way a caller does
(``subprocess.run(..., capture_output=True)``, in a thread), waits until the run is
mid-way (two runs committed, two workers up), finds the workers as the parent's
children in ``/proc``, signals the parent alone and then checks that

- the workers are gone within 5 s (an orphan would hold the caller's pipes, so
  ``subprocess.run`` would never return),
- SIGTERM unwinds like Ctrl-C: exit 143, one line on stderr, every committed run
  kept in a readable ``results.sqlite``,
- SIGKILL of the parent alone takes its workers with it.

Linux only (``/proc``); each test takes a few seconds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orgsim.experiments.executors import _watch_parent, die_with_parent
from orgsim.storage.results import ResultsDB

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)"),
]

INTERRUPTED = "orgsim: interrupted; everything already committed is kept"

# long enough to be mid-run when signalled (each run ~0.3 s, 80 of them on 2 workers)
SWEEP = """
name = "long"
base = "midsize"
replications = 10
metrics = ["value_shipped"]
seed = 5

[overrides]
horizon = {horizon}

[[parameters]]
path = "conflicts.intensity"
levels = [0.5, 1.0, 2.0, 3.0]
"""


# ------------------------------------------------------------------ /proc helpers


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rpartition(")")[2].split()  # after "pid (comm)", which may hold spaces
    return fields[0], int(fields[1]), int(fields[19])


def _children(pid: int) -> dict[int, int]:
    """The live children of ``pid``, mapped to their start times."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid and stat[0] != "Z":
                found[int(entry.name)] = stat[2]
    return found


def _alive(pid: int, started: int) -> bool:
    """Whether that very process (same start time: no reused pid) still runs."""
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[0] not in ("Z", "X")


def _committed(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


# ------------------------------------------------------------------ the harness


class Caller:
    """``subprocess.run(cmd, capture_output=True)`` in a thread, as a script calls orgsim."""

    def __init__(self, cmd: list[str], marker: str) -> None:
        self.cmd = cmd
        self.marker = marker  # a string only this invocation's command line holds
        self.result: subprocess.CompletedProcess[str] | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._call, daemon=True)

    def _call(self) -> None:
        try:
            self.result = subprocess.run(
                self.cmd, capture_output=True, text=True, timeout=60, check=False
            )
        except BaseException as exc:  # reported by the test
            self.error = exc

    def parent(self) -> int | None:
        """The orgsim process subprocess.run started (a child of this test process)."""
        for pid in _children(os.getpid()):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except (FileNotFoundError, ProcessLookupError):
                continue
            if self.marker.encode() in argv:
                return pid
        return None


@pytest.fixture
def cleanup() -> Iterator[list[tuple[int, int]]]:
    """Processes (pid, start time) to kill at the end whatever the test found."""
    procs: list[tuple[int, int]] = []
    yield procs
    for pid, started in procs:
        if _alive(pid, started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _command(kind: str, tmp_path: Path, executor: str) -> tuple[list[str], Path]:
    out = tmp_path / f"out-{kind}"
    orgsim = [sys.executable, "-m", "orgsim"]
    if kind == "compare":
        args = ["compare", "midsize", "--runs", "40", "--set", "horizon=2000"]
    else:
        file = tmp_path / "long.toml"
        # a Dask task is a batch of 5 runs: shorter runs, so the interrupted
        # cluster's workers finish theirs sooner than its nanny's 4 s deadline
        file.write_text(SWEEP.format(horizon=2000.0 if executor == "local" else 1000.0))
        args = ["sweep", str(file)]
    tail = ["--executor", executor, "--jobs", "2", "--out", str(out), "--no-charts"]
    return [*orgsim, *args, *tail], out / "results.sqlite"


def _signal_mid_run(
    kind: str,
    sig: signal.Signals,
    tmp_path: Path,
    cleanup: list[tuple[int, int]],
    executor: str = "local",
) -> tuple[subprocess.CompletedProcess[str], int, Path]:
    """Run the command, signal its parent mid-run; return its result and the commits seen."""
    cmd, db = _command(kind, tmp_path, executor)
    caller = Caller(cmd, str(db.parent))
    caller.thread.start()
    try:
        _wait(lambda: caller.parent() is not None, 30, "orgsim to start")
        parent = caller.parent()
        assert parent is not None
        stat = _stat(parent)
        assert stat is not None
        cleanup.append((parent, stat[2]))
        _wait(lambda: _committed(db) >= 2 and len(_children(parent)) >= 2, 60, "runs")
        workers = _children(parent)
        cleanup.extend(workers.items())
        seen = _committed(db)
        os.kill(parent, sig)

        caller.thread.join(timeout=30)
        assert not caller.thread.is_alive(), "subprocess.run hung: something holds the pipes"
        assert caller.error is None, caller.error
        assert caller.result is not None

        deadline = time.monotonic() + 5
        while any(_alive(p, t) for p, t in workers.items()) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [p for p, t in workers.items() if _alive(p, t)]
        assert left == [], f"workers {left} outlived their parent ({sig.name})"
        return caller.result, seen, db
    finally:
        caller.thread.join(timeout=0)  # the fixture kills whatever was left


def _assert_kept(db: Path, seen: int) -> None:
    """The database is whole and holds every run committed before the signal."""
    with ResultsDB(db) as store:
        records = store.records()
    assert len(records) >= seen >= 2
    assert all(r.status == "ok" for r in records)


@pytest.mark.parametrize("kind", ["compare", "sweep"])
def test_sigterm_stops_cleanly_and_takes_the_workers(
    kind: str, tmp_path: Path, cleanup: list[tuple[int, int]]
) -> None:
    result, seen, db = _signal_mid_run(kind, signal.SIGTERM, tmp_path, cleanup)
    assert result.returncode == 143, result.stderr
    assert result.stderr.strip() == INTERRUPTED
    _assert_kept(db, seen)


@pytest.mark.parametrize("kind", ["compare", "sweep"])
def test_sigkill_of_the_parent_takes_the_workers(
    kind: str, tmp_path: Path, cleanup: list[tuple[int, int]]
) -> None:
    result, seen, db = _signal_mid_run(kind, signal.SIGKILL, tmp_path, cleanup)
    assert result.returncode == -signal.SIGKILL
    _assert_kept(db, seen)  # committed runs survive a kill -9 too


def test_sigint_still_exits_130(tmp_path: Path, cleanup: list[tuple[int, int]]) -> None:
    result, seen, db = _signal_mid_run("compare", signal.SIGINT, tmp_path, cleanup)
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip() == INTERRUPTED
    _assert_kept(db, seen)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_dask_local_cluster_workers_do_not_outlive_the_parent(
    sig: signal.Signals, tmp_path: Path, cleanup: list[tuple[int, int]]
) -> None:
    pytest.importorskip("distributed")
    result, seen, db = _signal_mid_run("sweep", sig, tmp_path, cleanup, executor="dask")
    if sig == signal.SIGTERM:
        assert result.returncode == 143, result.stderr
        assert result.stderr.strip() == INTERRUPTED
    else:
        assert result.returncode == -signal.SIGKILL
    _assert_kept(db, seen)


# ------------------------------------------------------------------ the worker's set-up


def _in_fork(target: Callable[[], object]) -> int | None:
    """Run ``target`` in a forked process; its exit code (bounded wait)."""
    process = multiprocessing.get_context("fork").Process(target=target)
    process.start()
    process.join(timeout=10)
    if process.is_alive():
        process.kill()
        process.join()
    return process.exitcode


def test_a_worker_whose_parent_already_died_exits_at_once() -> None:
    # the check right after prctl: the parent it was started for is not its parent
    assert _in_fork(lambda: die_with_parent(-1)) == 1


def test_the_watchdog_exits_when_the_parent_changes() -> None:
    # where prctl is missing, a thread polls getppid(); here it is run directly
    assert _in_fork(lambda: _watch_parent(-1)) == 1


def test_a_worker_leaves_interrupts_to_its_parent() -> None:
    def worker() -> None:
        die_with_parent(os.getppid())
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C reaches the whole process group
        time.sleep(0.05)  # ignored: still here, exits normally

    assert _in_fork(worker) == 0
