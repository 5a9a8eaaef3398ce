"""store: ``EventStore`` write and read speed, bytes per event, and projection speed.

To show where the time goes, the JSON encoding, SQLite alone (pre-encoded rows) and
the raw fetch are timed apart; a columnar prototype of five metrics shows what numpy
reductions over columns would give against ``metrics()`` over event objects.
"""

from __future__ import annotations

import math
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from orgsim import EventStore, metrics, simulate
from orgsim.engine.events import EVENT_TYPES, encode
from sections.common import load, median, pc, table, timed

WRITE_TARGET = 700_000
PROJECTION_TARGET = 5_000_000
RAW_SCHEMA = (
    "CREATE TABLE events (run_id INT NOT NULL, seq INT NOT NULL, time REAL NOT NULL,"
    " type TEXT NOT NULL, version INT NOT NULL, data TEXT NOT NULL,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID"
)


def columnar_metrics(cols: dict[str, Any], codes: dict[str, int]) -> dict[str, float]:
    """A prototype columnar projection: five metrics as numpy reductions over columns."""
    typ, tm, val, ent = cols["type"], cols["time"], cols["value"], cols["entity"]
    shipped = typ == codes["FeatureShipped"]
    planned = typ == codes["FeaturePlanned"]
    extra = typ == codes["ExtraWorkCompleted"]
    plan_time = np.full(int(ent[planned].max()) + 1, np.nan)
    plan_time[ent[planned]] = tm[planned]
    lead = tm[shipped] - plan_time[ent[shipped]]
    return {
        "features_shipped": float(shipped.sum()),
        "value_shipped": float(val[shipped].sum() + val[extra].sum()),
        "lead_time_p50": float(np.percentile(lead, 50)) if lead.size else math.nan,
        "conflicts_raised": float((typ == codes["ConflictRaised"]).sum()),
        "conflicts_resolved": float((typ == codes["ConflictResolved"]).sum()),
    }


def to_columns(events: list[Any], codes: dict[str, int]) -> dict[str, Any]:
    n = len(events)
    typ = np.empty(n, np.int16)
    tm = np.empty(n, np.float64)
    val = np.full(n, np.nan)
    ent = np.full(n, -1, np.int64)
    for i, e in enumerate(events):
        typ[i] = codes[type(e).__name__]
        tm[i] = e.time
        v = getattr(e, "value", None)
        if v is not None:
            val[i] = v
        f = getattr(e, "feature", None)
        if f is None:
            f = getattr(e, "conflict", None)
        if f is not None:
            ent[i] = f
    return {"type": typ, "time": tm, "value": val, "entity": ent}


def through_store(run: Any, tmp: Path, reps: int) -> dict[str, Any]:
    """Save and read back through ``EventStore``, then fetch the raw rows alone."""
    name = run.scenario.name
    write, read, raw = [], [], []
    for i in range(reps):
        path = tmp / f"{name}-{i}.sqlite"
        with EventStore(path) as store:
            t = pc()
            run_id = store.save(run.log, scenario=run.scenario)
            write.append(pc() - t)
            t = pc()
            back = store.events(run_id)
            read.append(pc() - t)
        size = path.stat().st_size  # closed: WAL checkpointed into the file
        conn = sqlite3.connect(path)
        t = pc()
        conn.execute(
            "SELECT seq, time, type, version, data FROM events WHERE run_id=? ORDER BY seq",
            (run_id,),
        ).fetchall()
        raw.append(pc() - t)
        conn.close()
    return {
        "write": median(write),
        "read": median(read),
        "raw": median(raw),
        "size": size,
        "back": back,
    }


def sqlite_only(rows_enc: list[Any], path: Path, reps: int) -> float:
    """Median seconds to write pre-encoded rows: executemany, one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(RAW_SCHEMA)
    times = []
    for i in range(reps):
        t = pc()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
            ((i, *r) for r in rows_enc),
        )
        conn.execute("COMMIT")
        times.append(pc() - t)
    conn.close()
    return median(times)


def projections(back: list[Any], reps: int) -> dict[str, Any]:
    """``metrics()`` against the columnar prototype, and whether they agree."""
    t_metrics, _, _ = timed(lambda: metrics(back), reps)
    codes = {k: i for i, k in enumerate(sorted(EVENT_TYPES))}
    t_cols, _, cols = timed(lambda: to_columns(back, codes), reps)
    t_colm, _, colm = timed(lambda: columnar_metrics(cols, codes), max(reps, 5))
    full = metrics(back)
    agree = all(
        math.isclose(colm[k], full[k], rel_tol=1e-9)
        or (math.isnan(colm[k]) and math.isnan(full[k]))
        for k in colm
    )
    return {"metrics": t_metrics, "cols": t_cols, "colm": t_colm, "agree": agree}


def measure(run: Any, tmp: Path, reps: int) -> dict[str, Any]:
    log = run.log
    n = len(log)
    t_encode, _, rows_enc = timed(lambda: [encode(e) for e in log], reps)
    s = through_store(run, tmp, reps)
    t_sql = sqlite_only(rows_enc, tmp / f"{run.scenario.name}-raw.sqlite", reps)
    p = projections(s["back"], reps)
    return {
        "events": n,
        "write_events_per_s": n / s["write"],
        "write_target_events_per_s": WRITE_TARGET,
        "encode_us_per_event": t_encode / n * 1e6,
        "sqlite_only_write_events_per_s": n / t_sql,
        "read_events_per_s": n / s["read"],
        "read_raw_rows_per_s": n / s["raw"],
        "decode_us_per_event": (s["read"] - s["raw"]) / n * 1e6,
        "bytes_per_event": s["size"] / n,
        "projection_metrics_events_per_s": n / p["metrics"],
        "projection_target_events_per_s": PROJECTION_TARGET,
        "columnar_build_us_per_event": p["cols"] / n * 1e6,
        "columnar_prototype_events_per_s": n / p["colm"],
        "columnar_prototype_agrees": p["agree"],
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
                    m["write_events_per_s"],
                    m["sqlite_only_write_events_per_s"],
                    m["read_events_per_s"],
                    m["read_raw_rows_per_s"],
                    m["bytes_per_event"],
                    m["projection_metrics_events_per_s"],
                    m["columnar_prototype_events_per_s"],
                ]
            )
    table(
        "Event store (SQLite via EventStore) and projections, events/s",
        [
            "log",
            "write",
            "SQLite-only write",
            "read+decode",
            "raw read",
            "bytes/ev",
            "metrics()",
            "columnar proto",
        ],
        rows,
    )
    e = out["enterprise"]
    print(
        f"  write target >= 700k/s; encode (json.dumps per event) costs "
        f"{e['encode_us_per_event']:.2f} us/event, decode {e['decode_us_per_event']:.2f} us/event;"
        f"\n  projection target >= 5M events/s: metrics() is a Python pass over event objects; "
        f"the columnar prototype (5 metrics, numpy) agrees={e['columnar_prototype_agrees']} and "
        f"needs columns built first ({e['columnar_build_us_per_event']:.2f} us/event from objects)"
    )
    res["store"] = out
