"""store: ``EventStore`` write and read speed, bytes per event, and projections over stored logs.

The store keeps each run's log as its columns (one compressed buffer per event
type, plus the type code of every position and the string table), so a write is a
few buffers and a read fills the columnar ``EventLog`` without building events.
Measured apart: reading into the columnar log (``store.log``), materialising every
frozen event (``store.events``), SQLite alone writing and reading the same buffers
(no encoding), and ``metrics()`` over a stored log (read + projection).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from orgsim import EventStore, metrics, simulate
from orgsim.storage.columns_codec import encode_run
from sections.common import load, median, pc, table, timed

WRITE_TARGET = 1_000_000
READ_TARGET = 2_000_000
BYTES_TARGET = 40.0
PROJECTION_TARGET = 20_000_000


def through_store(run: Any, tmp: Path, reps: int) -> dict[str, Any]:
    """Save and read back through ``EventStore``: columns, events, and metrics."""
    name = run.scenario.name
    write, read, events, proj, verify = [], [], [], [], []
    size = 0
    for i in range(reps):
        path = tmp / f"{name}-{i}.sqlite"
        with EventStore(path) as store:
            store.save(run.log)  # a first run: the tables exist, pyarrow is imported
            t = pc()
            run_id = store.save(run.log, scenario=run.scenario)
            write.append(pc() - t)
        size_before = tmp / f"{name}-{i}-one.sqlite"
        with EventStore(size_before) as one:
            one.save(run.log)
        size = size_before.stat().st_size  # closed: WAL checkpointed into the file
        with EventStore(path, readonly=True) as store:
            t = pc()
            log = store.log(run_id)
            read.append(pc() - t)
            t = pc()
            store.events(run_id)
            events.append(pc() - t)
            t = pc()
            metrics(store.log(run_id))
            proj.append(pc() - t)
            t = pc()
            assert store.verify(run_id)
            verify.append(pc() - t)
        assert log.digest() == run.log.digest()
    return {
        "write": median(write),
        "read": median(read),
        "events": median(events),
        "projection": median(proj),
        "verify": median(verify),
        "size": size,
    }


def sqlite_only(run: Any, path: Path, reps: int) -> tuple[float, float]:
    """Median seconds for SQLite alone to write, then read, a run's encoded buffers."""
    codes, strings, tables, _ = encode_run(run.log.columns)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE logs (run_id INTEGER PRIMARY KEY, codes BLOB, strings BLOB)")
    conn.execute(
        "CREATE TABLE cols (run_id INT, code INT, type TEXT, version INT, rows INT,"
        " fields TEXT, data BLOB, PRIMARY KEY (run_id, code))"
    )
    writes, reads = [], []
    for i in range(reps):
        t = pc()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO logs VALUES (?, ?, ?)", (i, codes, strings))
        conn.executemany(
            "INSERT INTO cols VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(i, k, t.name, t.version, t.rows, t.fields, t.blob) for k, t in enumerate(tables)],
        )
        conn.execute("COMMIT")
        writes.append(pc() - t)
        t = pc()
        conn.execute("SELECT codes, strings FROM logs WHERE run_id = ?", (i,)).fetchone()
        conn.execute("SELECT * FROM cols WHERE run_id = ? ORDER BY code", (i,)).fetchall()
        reads.append(pc() - t)
    conn.close()
    return median(writes), median(reads)


def measure(run: Any, tmp: Path, reps: int) -> dict[str, Any]:
    n = len(run.log)
    run.log.columns.flush()
    s = through_store(run, tmp, reps)
    t_sql_w, t_sql_r = sqlite_only(run, tmp / f"{run.scenario.name}-raw.sqlite", reps)
    t_live, _, _ = timed(lambda: metrics(run.log), reps)
    return {
        "events": n,
        "write_eps": n / s["write"],
        "write_target_eps": WRITE_TARGET,
        "read_eps": n / s["read"],
        "read_target_eps": READ_TARGET,
        "read_events_eps": n / s["events"],
        "verify_eps": n / s["verify"],
        "bytes_per_event": s["size"] / n,
        "bytes_target": BYTES_TARGET,
        "sqlite_only_write_eps": n / t_sql_w,
        "sqlite_only_read_eps": n / t_sql_r,
        "projection_eps": n / s["projection"],
        "projection_live_eps": n / t_live,
        "projection_target_eps": PROJECTION_TARGET,
    }


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    reps = cfg["store_reps"]
    runs = [simulate(load("enterprise"), broker=True), simulate(load("midsize"), broker=True)]
    out: dict[str, Any] = {}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in runs:
            m = out[r.scenario.name] = measure(r, Path(tmp), reps)
            rows.append(
                [
                    f"{r.scenario.name} ({m['events']:,} ev)",
                    m["write_eps"],
                    m["sqlite_only_write_eps"],
                    m["read_eps"],
                    m["sqlite_only_read_eps"],
                    m["read_events_eps"],
                    m["bytes_per_event"],
                    m["projection_eps"],
                ]
            )
    table(
        "Event store (columns in SQLite via EventStore), events/s",
        [
            "log",
            "write",
            "SQLite-only write",
            "read (columns)",
            "SQLite-only read",
            "read events",
            "bytes/ev",
            "read+metrics()",
        ],
        rows,
    )
    print(
        f"  targets: write >= {WRITE_TARGET / 1e6:.0f}M/s, read >= {READ_TARGET / 1e6:.0f}M/s, "
        f"<= {BYTES_TARGET:.0f} B/event, projections >= {PROJECTION_TARGET / 1e6:.0f}M/s"
        "\n  read events = every frozen event built from its row (store.events);"
        " read+metrics() = metrics(store.log(run_id))"
    )
    res["store"] = out
