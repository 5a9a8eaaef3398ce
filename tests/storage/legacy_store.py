"""A store as orgsim 0.2 wrote it (schema v2: one JSON row per event), for the old-store tests.

The writer below is the 0.2 event store's ``save`` reduced to its rows: the same
tables, the same ``encode`` rows and the same digest over them (that of
:func:`orgsim.engine.log.log_digest`), so what it writes is what an older orgsim
left on disk.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from orgsim.engine.events import Event, RunStarted, encode
from orgsim.engine.log import log_digest

V2_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    run_id INTEGER PRIMARY KEY,
    scenario TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    seed INT NOT NULL,
    replication INT NOT NULL,
    broker INT NOT NULL,
    events INT NOT NULL,
    digest TEXT NOT NULL,
    created TEXT NOT NULL,
    orgsim_version TEXT NOT NULL,
    scenario_json TEXT,
    metadata_json TEXT NOT NULL
);
CREATE TABLE events (
    run_id INT NOT NULL,
    seq INT NOT NULL,
    time REAL NOT NULL,
    type TEXT NOT NULL,
    version INT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
"""


def write_v2_store(path: Path, logs: Sequence[Sequence[Event]]) -> list[int]:
    """A version-2 store at ``path`` holding these logs as runs 1, 2, ...; their ids."""
    conn = sqlite3.connect(path, isolation_level=None)
    ids = []
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(V2_SCHEMA)
        conn.execute("INSERT INTO meta VALUES ('schema_version', '2')")
        for log in logs:
            head = log[0]
            assert isinstance(head, RunStarted)
            conn.execute("BEGIN IMMEDIATE")
            cur = conn.execute(
                "INSERT INTO runs (scenario, scenario_hash, seed, replication, broker, events, "
                "digest, created, orgsim_version, scenario_json, metadata_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    head.scenario,
                    head.scenario_hash,
                    head.seed,
                    head.replication,
                    int(head.broker),
                    len(log),
                    log_digest(log),
                    "2026-01-01T00:00:00.000+00:00",
                    head.orgsim_version,
                    json.dumps({"written_by": "orgsim 0.2"}),
                ),
            )
            run_id = cur.lastrowid
            assert run_id is not None
            conn.executemany(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, *encode(e)) for e in log],
            )
            conn.execute("COMMIT")
            ids.append(run_id)
    finally:
        conn.close()
    return ids
