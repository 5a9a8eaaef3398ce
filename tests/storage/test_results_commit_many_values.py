"""ResultsDB.commit_many: a batch of runs in one transaction, all of it or none of it.

The kill test forks a writer that commits batches, says after each commit which
runs it holds, and is killed (SIGKILL) half-way through writing the next batch:
every run it had reported is in the file, nothing of the batch in flight is.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import attrs
import pytest

from orgsim.errors import StoreError
from orgsim.storage.results import ResultsDB, RunRecord

EXP = "sweep:t:h"
KEPT = "the {n} run(s) committed before are kept (free space, then rerun to resume)"


def rec(replication: int = 0, **changes: object) -> RunRecord:
    base = RunRecord(
        experiment=EXP, scenario_hash="h", point=0, arm="on", replication=replication, seed=5
    )
    return attrs.evolve(base, **changes)


def stored(path: Path) -> list[int]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT replication FROM runs ORDER BY replication")]
    finally:
        con.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ResultsDB]:
    with ResultsDB(tmp_path / "results.sqlite") as handle:
        yield handle


def test_a_batch_is_stored_whole_and_counts_its_new_runs(db: ResultsDB) -> None:
    assert db.commit_many([rec(0), rec(1), rec(2)]) == 3
    # runs stored before are ignored (INSERT OR IGNORE), the new one counts
    assert db.commit_many([rec(1), rec(3), rec(2, status="failed")]) == 1
    assert [r.replication for r in db.records(EXP)] == [0, 1, 2, 3]
    assert db.records(EXP)[2].status == "ok"  # the first write stays


def test_an_empty_batch_writes_nothing(db: ResultsDB) -> None:
    assert db.commit_many([]) == 0
    assert db.records() == []


def test_a_batch_keeps_the_logs_of_its_new_runs(db: ResultsDB) -> None:
    log = (("RunStarted", 0.0),)
    assert db.commit_many([rec(0, log=log), rec(1)]) == 2
    assert db.log(rec(0).key) == [["RunStarted", 0.0]]
    assert db.log(rec(1).key) is None


def test_a_failed_batch_stores_none_of_its_runs_and_keeps_the_batches_before(
    db: ResultsDB,
) -> None:
    db.commit_many([rec(0), rec(1)])
    # a value SQLite cannot bind, on the second run of the batch (OR IGNORE skips
    # constraint failures, not this)
    bad = rec(3, events=object())
    with pytest.raises(StoreError) as caught:
        db.commit_many([rec(2), bad, rec(4)])
    message = str(caught.value)
    assert message.startswith(
        f"results database {db.path}: cannot commit run {rec(2).key} and 2 more: "
    )
    assert message.endswith(KEPT.format(n=2))
    assert stored(db.path) == [0, 1]  # rec(2), written first, was rolled back


def test_one_run_alone_is_named_without_more(db: ResultsDB) -> None:
    with pytest.raises(StoreError, match=r"cannot commit run sweep:t:h/0/on/7/5: "):
        db.commit_many([rec(7, events=object())])


# ------------------------------------------------------------------ killed mid-batch

BATCHES = [[0, 1, 2], [3], [4, 5]]
IN_FLIGHT = [6, 7, 8]  # killed after 6 is written, before the batch commits


def writer(path: str, conn: Connection) -> None:
    """Commit BATCHES, reporting each; then hang half-way through IN_FLIGHT."""
    db = ResultsDB(path)
    real = db._insert

    def insert(record: RunRecord) -> bool:
        done = real(record)
        if record.replication == IN_FLIGHT[0]:
            conn.send("in flight")  # the first run of the batch is written, uncommitted
            signal.pause()  # wait to be killed
        return done

    db._insert = insert  # type: ignore[method-assign]
    for batch in BATCHES:
        db.commit_many([rec(r) for r in batch])
        conn.send(batch)  # what a progress bar would be told: committed
    db.commit_many([rec(r) for r in IN_FLIGHT])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="fork")
def test_a_writer_killed_mid_batch_keeps_every_batch_it_reported_and_none_of_the_next(
    tmp_path: Path,
) -> None:
    path = tmp_path / "results.sqlite"
    ResultsDB(path).close()
    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(target=writer, args=(str(path), child))
    process.start()
    try:
        reported: list[int] = []
        while (message := parent.recv()) != "in flight":
            reported += message
        os.kill(process.pid or 0, signal.SIGKILL)
        process.join(timeout=10)
    finally:
        if process.is_alive():
            process.kill()
            process.join()
    assert process.exitcode == -signal.SIGKILL
    assert reported == [0, 1, 2, 3, 4, 5]
    assert stored(path) == reported  # every reported batch whole, nothing of the next
    with ResultsDB(path) as db:  # and the file opens and reads
        assert len(db.records(EXP)) == 6
