"""`orgsim events`: listing, querying, replaying and auditing a stored log."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orgsim import cli as cli_module
from orgsim.cli import main
from orgsim.errors import StoreError
from orgsim.experiments.runner import run_scenario
from orgsim.storage.eventstore import EventStore
from stored_columns import set_time


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    db = tmp_path_factory.mktemp("events") / "events.sqlite"
    result = run_scenario("startup", seed=4, overrides=["horizon=200"], db=db)
    return db, result


def test_lists_runs_and_filters_events(stored, capsys) -> None:
    db, result = stored
    assert main(["events", str(db)]) == 0
    assert "startup" in capsys.readouterr().out
    assert (
        main(
            ["events", str(db), "--run", "1", "--type", "FeatureShipped", "--json", "--limit", "0"]
        )
        == 0
    )
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    shipped = [e for e in result.log if type(e).__name__ == "FeatureShipped"]
    assert [x["seq"] for x in lines] == [e.seq for e in shipped]
    assert all(x["type"] == "FeatureShipped" for x in lines)
    assert (
        main(
            [
                "events",
                str(db),
                "--run",
                "1",
                "--from",
                "10",
                "--to",
                "20",
                "--json",
                "--limit",
                "0",
            ]
        )
        == 0
    )
    times = [json.loads(x)["time"] for x in capsys.readouterr().out.splitlines()]
    assert times and min(times) >= 10 and max(times) <= 20


def test_state_at_replays_the_log(stored, capsys) -> None:
    db, result = stored
    assert main(["events", str(db), "--run", "1", "--state-at", "120"]) == 0
    out = capsys.readouterr().out
    from orgsim.engine.state import fold

    state = fold(result.log, until=120.0)
    assert f"replayed to seq {state.seq}" in out
    assert f"engineering │ {state.departments['engineering'].staff:>5}" in out


def test_verify_detects_tampering(stored, tmp_path, capsys) -> None:
    db, _ = stored
    assert main(["events", str(db), "--run", "1", "--verify"]) == 0
    assert "verified" in capsys.readouterr().out
    copy = tmp_path / "copy.sqlite"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    set_time(copy, 1, 100, 1.0, shift=True)  # an event a day later, rewritten cleanly
    assert main(["events", str(copy), "--run", "1", "--verify"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_bad_store_or_run_is_one_line_exit_2(stored, tmp_path, capsys) -> None:
    db, _ = stored
    assert main(["events", str(tmp_path / "missing.sqlite")]) == 2
    assert main(["events", str(db), "--run", "99"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("orgsim: error:") for line in err)


# ------------------------------------------------------- bad flags (issue 9, defect 10)


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--from", "nan"], "--from"),
        (["--from", "inf"], "--from"),
        (["--from", "-1"], "--from"),
        (["--to", "nan"], "--to"),
        (["--to=-inf"], "--to"),
        (["--state-at", "nan"], "--state-at"),
        (["--state-at", "-5"], "--state-at"),
        (["--state-at", "inf"], "--state-at"),
        (["--limit", "-1"], "--limit"),
        (["--run", "0"], "--run"),
        (["--from", "20", "--to", "10"], "--from 20"),
    ],
)
def test_bad_event_flags_are_refused(stored, cli, one_line_error, flags, named) -> None:
    db, _ = stored
    line = one_line_error(cli(["events", str(db), "--run", "1", *flags]))
    assert named in line
    assert flags[-1].split("=")[-1] in line  # the value as given


# ---------------------------------------------- read-only reading (issue 9, defect 3)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


READS = (
    [],
    ["--run", "1", "--limit", "5"],
    ["--run", "1", "--state-at", "50"],
    ["--run", "1", "--verify"],
)


def test_reading_never_creates_or_changes_a_file(stored, tmp_path, cli, capsys) -> None:
    db, _ = stored
    copy = tmp_path / "store" / "events.sqlite"
    copy.parent.mkdir()
    copy.write_bytes(db.read_bytes())
    before = _snapshot(copy.parent)
    for flags in READS:
        assert cli(["events", str(copy), *flags]) == 0, capsys.readouterr().err
    assert _snapshot(copy.parent) == before  # no -wal, no -shm, same bytes and mtime


def test_an_empty_file_is_refused_untouched(tmp_path, cli, one_line_error) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    for flags in READS:
        line = one_line_error(cli(["events", str(empty), *flags]))
        assert "empty.sqlite" in line and "empty" in line.removeprefix("orgsim: error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.sqlite"]
    assert empty.stat().st_size == 0


def test_a_store_of_orgsim_0_1_is_refused_in_one_line(
    tmp_path: Path, cli: Callable[[list[str]], int], one_line_error: Callable[[int], str]
) -> None:
    """A store whose meta says schema v1 (orgsim 0.1's model): refused whole, untouched."""
    old = tmp_path / "old.sqlite"
    EventStore(old).close()
    with sqlite3.connect(old) as con:
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    before = _snapshot(tmp_path)
    assert list(before) == ["old.sqlite"]
    for flags in READS:
        line = one_line_error(cli(["events", str(old), *flags]))
        assert line.startswith(f"orgsim: error: event store {str(old)!r} (schema v1) cannot be")
        assert "written by an older orgsim" in line and "new --db path" in line
    assert _snapshot(tmp_path) == before


def _events_cli(*args: str, wrap: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(wrap or []), sys.executable, "-m", "orgsim", "events", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def world_readable(stored) -> Iterator[Path]:
    """A folder outside pytest's private tmp tree, so that another user can reach it."""
    folder = Path(tempfile.mkdtemp(prefix="orgsim-ro-", dir="/tmp"))
    folder.chmod(0o755)
    (folder / "events.sqlite").write_bytes(stored[0].read_bytes())
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def _can(*argv: str) -> bool:
    try:
        return subprocess.run(list(argv), capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(
    not _can("unshare", "-m", "sh", "-c", "mount --bind / /mnt"),
    reason="needs a mount namespace (unshare -m) for a read-only bind mount",
)
def test_a_store_in_a_read_only_mount_is_readable(world_readable) -> None:
    """A WAL store on a read-only file system: no -shm can be made, yet it reads."""
    ro = world_readable / "ro"
    src = world_readable / "src"
    src.mkdir()
    (world_readable / "events.sqlite").rename(src / "events.sqlite")
    ro.mkdir()
    wrap = [
        "unshare",
        "-m",
        "sh",
        "-c",
        f'mount --bind {src} {ro} && mount -o remount,bind,ro {ro} && exec "$@"',
        "sh",
    ]
    for flags in READS:
        done = _events_cli(str(ro / "events.sqlite"), *flags, wrap=wrap)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
    assert "verified" in done.stdout
    assert sorted(p.name for p in src.iterdir()) == ["events.sqlite"]


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="needs root and setpriv to read as another user",
)
def test_a_store_in_a_folder_another_user_cannot_write_is_readable(world_readable) -> None:
    store = world_readable / "events.sqlite"
    store.chmod(0o444)
    world_readable.chmod(0o555)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    for flags in READS:
        done = _events_cli(str(store), *flags, wrap=nobody)
        assert done.returncode == 0, done.stderr
    assert "verified" in done.stdout
    assert sorted(p.name for p in world_readable.iterdir()) == ["events.sqlite"]


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="needs root and setpriv to read as another user",
)
def test_an_unfinished_write_ahead_log_in_a_read_only_folder(world_readable, cli) -> None:
    """A writer killed before its checkpoint leaves -wal and -shm: the last run still reads."""
    store = world_readable / "events.sqlite"
    crash = (
        "import os, sys\n"
        "from orgsim.experiments.runner import run_scenario\n"
        "from orgsim.storage.eventstore import EventStore\n"
        "r = run_scenario('startup', seed=9, overrides=['horizon=50'], db=None)\n"
        "s = EventStore(sys.argv[1])\n"
        "s.save(r.log, scenario=r.scenario)\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash, str(store)], check=True, timeout=60)
    assert (world_readable / "events.sqlite-wal").stat().st_size > 0
    world_readable.chmod(0o555)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    done = _events_cli(str(store), "--run", "2", "--verify", wrap=nobody)
    assert done.returncode == 0, done.stderr
    assert "verified" in done.stdout
    # Without its shared-memory index, and no way to make one, it is refused clearly.
    world_readable.chmod(0o755)
    (world_readable / "events.sqlite-shm").unlink()
    world_readable.chmod(0o555)
    done = _events_cli(str(store), "--run", "2", wrap=nobody)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "events.sqlite-wal" in lines[0], done.stderr


def test_a_store_that_changes_while_read_is_read_again_not_called_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An immutable read that fails while a writer changes the file is retried with locks."""
    db = tmp_path / "live.sqlite"
    assert main(["run", "startup", "--set", "horizon=40", "--db", str(db)]) == 0
    capsys.readouterr()
    real = cli_module.EventStore
    opened: list[bool] = []

    def flaky(path: str, **kwargs: bool) -> object:
        opened.append(kwargs.get("live", False))
        if not kwargs.get("live", False):
            db.touch()  # the file changes under the reader, as a writer's checkpoint does
            os.utime(db, ns=(1, 1))
            raise StoreError(f"event store {path!r} is damaged: PRAGMA integrity_check: x")
        return real(path, **kwargs)

    monkeypatch.setattr(cli_module, "EventStore", flaky)
    assert main(["events", str(db), "--run", "1", "--verify"]) == 0
    assert opened == [False, True]
    assert "verified" in capsys.readouterr().out


def test_a_store_that_stays_the_same_is_reported_damaged_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "same.sqlite"
    assert main(["run", "startup", "--set", "horizon=40", "--db", str(db)]) == 0
    capsys.readouterr()
    opened: list[bool] = []

    def damaged(path: str, **kwargs: bool) -> object:
        opened.append(kwargs.get("live", False))
        raise StoreError(f"event store {path!r} is damaged: PRAGMA integrity_check: x")

    monkeypatch.setattr(cli_module, "EventStore", damaged)
    assert main(["events", str(db), "--run", "1", "--verify"]) == 2
    assert opened == [False]
    assert "is damaged" in capsys.readouterr().err
