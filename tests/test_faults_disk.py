"""A full file system, as a user meets it: one line naming the file and what was kept.

The fault is real and local to one process: the child orgsim runs under an
``RLIMIT_FSIZE`` limit with SIGXFSZ ignored, so a write past the limit fails with
EFBIG, as on a full disk or an exhausted quota (SQLite reports it as an I/O error
or "database or disk is full"). The tables and charts are written to ``/dev/full``
(ENOSPC on every write) through a symlink in the output folder. Committed runs
must survive: the files are read back afterwards.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from orgsim.storage.eventstore import EventStore
from orgsim.storage.results import ResultsDB

# Processes and clusters: part of the default run, left out of mutation runs.
pytestmark = pytest.mark.slow

COMPARE = ["startup", "--runs", "2", "--set", "horizon=100", "--executor", "serial"]
RUN = ["startup", "--set", "horizon=100", "--json"]


def _limit(size: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def orgsim(*args: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgsim", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=None if limit is None else _limit(limit),
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("orgsim: error: ") and "internal error" not in lines[0]
    assert "Traceback" not in done.stderr
    return lines[0]


def test_run_on_a_full_disk_names_the_store_and_keeps_its_runs(tmp_path: Path) -> None:
    db = tmp_path / "events.sqlite"
    assert orgsim("run", *RUN, "--seed", "1", "--db", str(db)).returncode == 0
    line = one_line(orgsim("run", *RUN, "--seed", "2", "--db", str(db), limit=48 * 1024))
    assert str(db) in line
    assert re.search(r"disk is full|disk I/O error|File too large", line), line
    assert "1 run(s) stored before are kept" in line
    with EventStore(db, readonly=True) as store:
        assert [r.seed for r in store.runs()] == [1]
        assert store.verify(1)


def test_compare_on_a_full_disk_names_the_database_and_keeps_the_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert orgsim("compare", *COMPARE, "--no-charts", "--out", str(out)).returncode == 0
    more = ["--runs", "4"]  # two more replications: their commits hit the limit
    line = one_line(
        orgsim("compare", *COMPARE, *more, "--no-charts", "--out", str(out), limit=48 * 1024)
    )
    db = out / "results.sqlite"
    assert str(db) in line
    assert re.search(r"disk is full|disk I/O error|File too large", line), line
    kept = re.search(r"the (\d+) run\(s\) committed before are kept", line)
    assert kept and int(kept.group(1)) >= 4, line
    with ResultsDB(db) as results:
        records = results.records()
    assert len(records) == int(kept.group(1)) and all(r.status == "ok" for r in records)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_compare_with_no_room_for_its_table_says_the_runs_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "runs.csv").symlink_to("/dev/full")
    line = one_line(orgsim("compare", *COMPARE, "--no-charts", "--out", str(out)))
    assert str(out / "runs.csv") in line and "No space left on device" in line
    assert "4 run(s)" in line and str(out / "results.sqlite") in line
    with ResultsDB(out / "results.sqlite") as results:
        assert len(results.records()) == 4


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_compare_with_no_room_for_its_charts_says_the_runs_are_kept(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    out.mkdir()
    (out / "forest.png").symlink_to("/dev/full")
    line = one_line(orgsim("compare", *COMPARE, "--out", str(out)))
    assert "forest.png" in line and "No space left on device" in line
    assert str(out / "results.sqlite") in line and "kept" in line
    with ResultsDB(out / "results.sqlite") as results:
        assert len(results.records()) == 4


def _can_mount_tmpfs() -> bool:
    try:
        probe = ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"]
        return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs a mount namespace for a small tmpfs")
def test_compare_on_a_really_full_file_system(tmp_path: Path) -> None:
    """A 160 KB tmpfs fills up during the comparison: ENOSPC, as on a real disk."""
    disk = tmp_path / "disk"
    disk.mkdir()
    out = disk / "out"
    script = (
        f"mount -t tmpfs -o size=160k tmpfs {disk} && "
        f'"$0" -m orgsim compare {" ".join(COMPARE)} --runs 12 --no-charts --out {out}; '
        f'rc=$?; "$0" -c "$1" {out / "results.sqlite"}; exit $rc'
    )
    count = (
        "import sys\n"
        "from orgsim.storage.results import ResultsDB\n"
        "print('kept', len(ResultsDB(sys.argv[1]).records()))\n"
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, sys.executable, count],
        capture_output=True,
        text=True,
        timeout=120,
    )
    err = done.stderr.splitlines()
    assert done.returncode == 2, done.stderr
    assert len(err) == 1 and err[0].startswith("orgsim: error: "), done.stderr
    assert str(out) in err[0] and "internal error" not in err[0]
    assert re.search(r"disk is full|No space left on device", err[0]), err[0]
    kept = re.search(r"the (\d+) run\(s\) (committed before )?are kept", err[0])
    assert kept, err[0]
    assert f"kept {kept.group(1)}" in done.stdout, done.stdout


TINY_SWEEP = """
name = "tiny"
base = "startup"
replications = 2
metrics = ["value_shipped"]
seed = 5

[overrides]
horizon = 60.0

[[parameters]]
path = "conflicts.intensity"
levels = [0.5, 2.0]
"""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("table", ["runs.csv", "points.csv"])
def test_sweep_with_no_room_for_its_tables_says_the_runs_are_kept(tmp_path: Path, table) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY_SWEEP)
    out = tmp_path / "out"
    out.mkdir()
    (out / table).symlink_to("/dev/full")
    line = one_line(
        orgsim("sweep", str(spec), "--executor", "serial", "--no-charts", "--out", str(out))
    )
    assert str(out / table) in line and "No space left on device" in line
    assert str(out / "results.sqlite") in line and "kept" in line
    with ResultsDB(out / "results.sqlite") as results:
        assert len(results.records()) == 8  # 2 points x 2 arms x 2 replications
