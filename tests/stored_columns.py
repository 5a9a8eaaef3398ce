"""Editing a stored run's columns behind the store's back, as tampering or damage would.

The event store keeps each run's log as buffers (``run_logs``: the type code of
every position and the string table; ``run_columns``: one buffer per event type);
these helpers read and rewrite them with the store's own codec, so a test can
change one value, one time or one schema version and see what the store makes
of it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from orgsim.storage.columns_codec import (
    digest_of,
    join_table,
    pack,
    parse_fields,
    split_table,
    unpack,
)


def raw(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run SQL on the store file behind the store's back."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def codes(path: Path, run_id: int) -> np.ndarray[Any, Any]:
    """The type code of every position of a stored run."""
    ((blob,),) = raw(path, "SELECT codes FROM run_logs WHERE run_id = ?", run_id)
    return np.frombuffer(unpack(blob), np.uint8)


def code_of(path: Path, run_id: int, seq: int) -> tuple[int, int]:
    """The table (code) and row of position ``seq`` of a stored run."""
    c = codes(path, run_id)
    return int(c[seq]), int((c[:seq] == c[seq]).sum())


def edit_table(
    path: Path,
    run_id: int,
    code: int,
    edit: Callable[[list[np.ndarray[Any, Any]], tuple[str, ...]], None],
) -> None:
    """Rewrite one stored table: ``edit`` changes its arrays (``[time, *columns]``) in place.

    Each array is a writable numpy copy of the stored one (little-endian); the
    buffer is packed again with the store's codec, its digest left as it was.
    """
    ((rows, fields, data),) = raw(
        path,
        "SELECT rows, fields, data FROM run_columns WHERE run_id = ? AND code = ?",
        run_id,
        code,
    )
    names, kinds = parse_fields(fields)
    parts = split_table(unpack(data), rows, kinds)
    dtypes = ["<f8"]
    for kind in kinds:
        if kind in "DS":
            dtypes.append("<u4")
        dtypes.append({"d": "<f8", "q": "<i8", "b": "i1", "s": "<i4", "D": "<f8", "S": "<i4"}[kind])
    arrays = [np.frombuffer(p, d).copy() for p, d in zip(parts, dtypes, strict=True)]
    edit(arrays, names)
    blob = pack(join_table([a.tobytes() for a in arrays], kinds))
    raw(
        path,
        "UPDATE run_columns SET data = ? WHERE run_id = ? AND code = ?",
        blob,
        run_id,
        code,
    )


def set_time(path: Path, run_id: int, seq: int, time: float, *, shift: bool = False) -> None:
    """Give position ``seq`` of a stored run another time (or move it by ``time``)."""
    code, row = code_of(path, run_id, seq)

    def edit(arrays: list[np.ndarray[Any, Any]], names: tuple[str, ...]) -> None:
        arrays[0][row] = arrays[0][row] + time if shift else time

    edit_table(path, run_id, code, edit)


def set_field(path: Path, run_id: int, seq: int, field: str, value: float) -> None:
    """Give a scalar (number) field of position ``seq`` of a stored run another value."""
    code, row = code_of(path, run_id, seq)
    ((fields,),) = raw(
        path, "SELECT fields FROM run_columns WHERE run_id = ? AND code = ?", run_id, code
    )
    names, kinds = parse_fields(fields)
    # the array of each field: after the times, one per field, two for a ragged one
    index = 1 + names.index(field) + sum(k in "DS" for k in kinds[: names.index(field)])

    def edit(arrays: list[np.ndarray[Any, Any]], _: tuple[str, ...]) -> None:
        arrays[index][row] = value

    edit_table(path, run_id, code, edit)


def rewrite_digest(path: Path, run_id: int) -> None:
    """Store the digest of the columns as they are now (an alteration that hides itself)."""
    ((codes_blob, strings_blob),) = raw(
        path, "SELECT codes, strings FROM run_logs WHERE run_id = ?", run_id
    )
    tables = [
        (name, version, rows, split_table(unpack(data), rows, parse_fields(fields)[1]))
        for name, version, rows, fields, data in raw(
            path,
            "SELECT type, version, rows, fields, data FROM run_columns WHERE run_id = ? "
            "ORDER BY code",
            run_id,
        )
    ]
    digest = digest_of(json.loads(unpack(strings_blob)), unpack(codes_blob), tables)
    raw(path, "UPDATE runs SET digest = ? WHERE run_id = ?", digest, run_id)
