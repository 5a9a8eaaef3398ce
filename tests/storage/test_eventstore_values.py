"""EventStore by value: what a failed save says it kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from log_backends import tiny_log

from orgsim.errors import StoreError
from orgsim.storage.eventstore import EventStore


def test_a_failed_save_says_nothing_was_written_and_how_many_runs_are_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.sqlite"
    with EventStore(path) as store:
        store.save(tiny_log())
        store.save(tiny_log())
        store._conn.execute("PRAGMA query_only=ON")  # every write now fails
        with pytest.raises(StoreError) as caught:
            store.save(tiny_log())
        assert str(caught.value) == (
            f"event store {str(path)!r}: cannot save a run: attempt to write a readonly "
            "database; nothing of this run was written; the 2 run(s) stored before are kept"
        )
        store._conn.execute("PRAGMA query_only=OFF")
        assert [r.run_id for r in store.runs()] == [1, 2]
