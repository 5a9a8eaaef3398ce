"""A run's columnar log as a few compressed buffers, and back, without building events.

What the event store (:mod:`orgsim.storage.eventstore`) writes for a run is the
log's :class:`~orgsim.engine.columnar.Columns` itself:

* the *index*: the type code of every position (uint8, one byte an event) and the
  string table (a JSON list);
* one *table blob* per event type, in order of first appearance: its times, then
  each field's column in layout order (a ragged field: its uint32 lengths, then
  its values), each array little-endian, as :func:`~orgsim.engine.columnar.
  canonical_digest` hashes them.

Before compression each array is *byte-shuffled* (all first bytes of its values,
then all second bytes, ...: an id or a time differs from its neighbours in its low
bytes only, so the shuffled stream has long runs), and each buffer is compressed
with zstd (level 1, through pyarrow; zlib level 1 where pyarrow, the ``parquet``
extra, is not installed) when that makes it smaller. Every stored buffer is framed
as ``codec (uint8) | raw size (uint32) | crc32 of the stored bytes (uint32) |
bytes``, so a changed byte is found before anything is decoded.

The digest of a stored run is the canonical columnar digest, and it is computed
from the unshuffled stored bytes alone (:func:`digest_of`): the same bytes
``EventLog.digest()`` hashes, so a stored digest equals the live one, and verifying
a run reads no event.

A log is rebuilt (:func:`build_columns`) by filling fresh tables' arrays from the
buffers with ``frombytes``; the row of each position within its table follows from
the codes (its rank among the positions of its type), so it is not stored.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from orgsim.engine.columnar import (
    DIGEST_FORMAT,
    RAGGED,
    TYPECODES,
    Columns,
    Layout,
    Strings,
    Table,
    little_endian,
)
from orgsim.engine.log import EventLog
from orgsim.engine.state import OrgState, fold

__all__ = [
    "CodecError",
    "StoredLog",
    "StoredTable",
    "build_columns",
    "build_table",
    "digest_of",
    "encode_run",
    "fields_text",
    "join_table",
    "pack",
    "parse_fields",
    "row_numbers",
    "split_table",
    "unpack",
]

#: The frame before every stored buffer: codec, raw size, crc32 of what follows.
FRAME = struct.Struct("<BII")
RAW, ZSTD, ZLIB = 0, 1, 2
#: The zstd level: 1 compresses a run at several million events/s to ~15 bytes/event;
#: higher levels gain under 2% (benchmarks/sections/store.py measured the choice).
ZSTD_LEVEL = 1

_ITEMSIZE = {"d": 8, "q": 8, "b": 1, "i": 4, "I": 4}
_codec: Any = None


class CodecError(ValueError):
    """A stored buffer that does not decode: its frame, checksum or size is wrong."""


def _zstd() -> Any:
    """The zstd codec of pyarrow (imported on first use: pyarrow is slow to import).

    None when pyarrow is not installed (it is the ``parquet`` extra): the store then
    compresses with zlib, slower to write but readable anywhere.
    """
    global _codec  # a memo of an immutable codec object, not state
    if _codec is None:
        try:
            import pyarrow as pa
        except ImportError:
            _codec = False
        else:
            _codec = pa.Codec("zstd", compression_level=ZSTD_LEVEL)
    return _codec or None


def pack(raw: bytes) -> bytes:
    """A buffer as stored: framed, and compressed when compression makes it smaller."""
    codec, body = RAW, raw
    if len(raw) > 64:
        zstd = _zstd()
        if zstd is not None:
            kind, packed = ZSTD, zstd.compress(raw, asbytes=True)
        else:
            kind, packed = ZLIB, zlib.compress(raw, 1)
        if len(packed) < len(raw):
            codec, body = kind, packed
    return FRAME.pack(codec, len(raw), zlib.crc32(body)) + body


def unpack(blob: object) -> bytes:
    """The raw bytes of a stored buffer.

    Raises:
        CodecError: not a buffer, a frame that does not read, a checksum or a size
            that does not match.
    """
    if not isinstance(blob, bytes):
        raise CodecError(f"a buffer is stored as {type(blob).__name__}, not bytes")
    if len(blob) < FRAME.size:
        raise CodecError(f"a buffer of {len(blob)} bytes is shorter than its frame")
    codec, size, crc = FRAME.unpack_from(blob)
    body = blob[FRAME.size :]
    if zlib.crc32(body) != crc:
        raise CodecError("a buffer does not match its checksum")
    if codec == RAW:
        raw = body
    elif codec == ZSTD:
        zstd = _zstd()
        if zstd is None:
            raise CodecError(
                "a buffer is compressed with zstd, which needs pyarrow: "
                "pip install 'orgsim[parquet]'"
            )
        try:
            raw = zstd.decompress(body, decompressed_size=size, asbytes=True)
        except (OSError, ValueError) as exc:
            raise CodecError(f"a buffer does not decompress ({exc})") from None
    elif codec == ZLIB:
        try:
            raw = zlib.decompress(body)
        except zlib.error as exc:
            raise CodecError(f"a buffer does not decompress ({exc})") from None
    else:
        raise CodecError(f"a buffer has unknown codec {codec}")
    if len(raw) != size:
        raise CodecError(f"a buffer holds {len(raw)} bytes, its frame says {size}")
    return bytes(raw)


def _shuffle(raw: bytes, itemsize: int) -> bytes:
    if itemsize == 1 or not raw:
        return raw
    return np.frombuffer(raw, np.uint8).reshape(-1, itemsize).T.tobytes()


def _unshuffle(raw: bytes, itemsize: int) -> bytes:
    if itemsize == 1 or not raw:
        return raw
    return np.frombuffer(raw, np.uint8).reshape(itemsize, -1).T.tobytes()


def fields_text(lay: Layout) -> str:
    """A layout's fields as stored: ``name:kind`` pairs, comma-separated."""
    return ",".join(f"{n}:{k}" for n, k in zip(lay.fields, lay.kinds, strict=True))


def parse_fields(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The field names and kinds of a stored table.

    Raises:
        CodecError: the text is not ``name:kind`` pairs of known kinds.
    """
    if not text:
        return (), ()
    names, kinds = [], []
    for part in text.split(","):
        name, _, kind = part.partition(":")
        if not name or kind not in TYPECODES:
            raise CodecError(f"stored fields {text!r} do not read")
        names.append(name)
        kinds.append(kind)
    return tuple(names), tuple(kinds)


@attrs.frozen
class StoredTable:
    """One event type's rows of one run, as a row of ``run_columns`` holds them."""

    name: str
    version: int
    rows: int
    fields: str
    blob: bytes


def _table_arrays(table: Table) -> list[tuple[bytes, int]]:
    """A table's arrays in stored order, as little-endian bytes with their item sizes."""
    out = [(little_endian(table.time), 8)]
    for col, lengths in zip(table.columns, table.lengths, strict=True):
        if lengths is not None:
            out.append((little_endian(lengths), 4))
        out.append((little_endian(col), col.itemsize))
    return out


def _header(name: str, version: int, rows: int) -> bytes:
    return f"{name}|{version}|{rows}\n".encode()


def _strings_part(values: Iterable[str]) -> bytes:
    return b"".join(s.encode() + b"\n" for s in values)


def encode_run(columns: Columns) -> tuple[bytes, bytes, list[StoredTable], str]:
    """A flushed log's stored form: codes, strings, a blob per table, and its digest.

    The digest is :func:`~orgsim.engine.columnar.canonical_digest` of the log,
    taken over the bytes as written.
    """
    h = hashlib.sha256(DIGEST_FORMAT)
    values = columns.strings.values
    h.update(_strings_part(values))
    codes = columns.codes.tobytes()
    h.update(b"codes\n")
    h.update(codes)
    tables = []
    for table in columns.tables:
        lay = table.layout
        version = lay.cls.schema_version
        h.update(_header(lay.name, version, len(table)))
        parts = _table_arrays(table)
        for raw, _ in parts:
            h.update(raw)
        blob = pack(b"".join(_shuffle(raw, size) for raw, size in parts))
        tables.append(StoredTable(lay.name, version, len(table), fields_text(lay), blob))
    strings = pack(json.dumps(values, ensure_ascii=False).encode())
    return pack(codes), strings, tables, h.hexdigest()


def split_table(raw: bytes, rows: int, kinds: Sequence[str]) -> list[bytes]:
    """A table's stored (shuffled) bytes as its arrays' raw little-endian bytes.

    Returns ``[time, *arrays]``: per field its values, a ragged field its lengths
    first.

    Raises:
        CodecError: the bytes are not as many as the rows and kinds need.
    """
    out = []
    at = 0

    def take(count: int, itemsize: int) -> bytes:
        nonlocal at
        end = at + count * itemsize
        if end > len(raw):
            raise CodecError(f"a table's buffer ends after {len(raw)} bytes, short of {end}")
        part = _unshuffle(raw[at:end], itemsize)
        at = end
        return part

    out.append(take(rows, 8))
    for kind in kinds:
        size = _ITEMSIZE[TYPECODES[kind]]
        if kind in RAGGED:
            lengths = take(rows, 4)
            out.append(lengths)
            out.append(take(int(np.frombuffer(lengths, "<u4").sum(dtype=np.int64)), size))
        else:
            out.append(take(rows, size))
    if at != len(raw):
        raise CodecError(f"a table's buffer holds {len(raw) - at} bytes after its columns")
    return out


def join_table(arrays: Sequence[bytes], kinds: Sequence[str]) -> bytes:
    """A table's raw little-endian arrays as stored (shuffled): :func:`split_table` undone."""
    sizes = [8]
    for kind in kinds:
        if kind in RAGGED:
            sizes.append(4)
        sizes.append(_ITEMSIZE[TYPECODES[kind]])
    return b"".join(_shuffle(raw, size) for raw, size in zip(arrays, sizes, strict=True))


def digest_of(
    strings: Sequence[str], codes: bytes, tables: Sequence[tuple[str, int, int, list[bytes]]]
) -> str:
    """The canonical digest of a stored run: strings, codes, each (name, version, rows, arrays)."""
    h = hashlib.sha256(DIGEST_FORMAT)
    h.update(_strings_part(strings))
    h.update(b"codes\n")
    h.update(codes)
    for name, version, rows, arrays in tables:
        h.update(_header(name, version, rows))
        for raw in arrays:
            h.update(raw)
    return h.hexdigest()


def _fill(col: array[Any], raw: bytes) -> None:
    col.frombytes(raw)
    if sys.byteorder != "little" and col.itemsize > 1:
        col.byteswap()


def row_numbers(codes: bytes, tables: int) -> tuple[array[int], list[int]]:
    """Each position's row within its table, and the number of rows of each table."""
    c = np.frombuffer(codes, np.uint8)
    counts = np.bincount(c, minlength=tables)
    order = np.argsort(c, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rows = np.empty(len(c), np.uint32)
    rows[order] = np.arange(len(c), dtype=np.uint32) - starts[c[order]].astype(np.uint32)
    out = array("I")
    out.frombytes(rows.tobytes())
    return out, counts.tolist()


def build_table(lay: Layout, arrays: Sequence[bytes], strings: Strings) -> Table:
    """A table of ``lay`` holding stored arrays (``[time, *arrays]``, see :func:`split_table`)."""
    table = Table(lay, strings)
    _fill(table.time, arrays[0])
    i = 1
    for k, col in enumerate(table.columns):
        lengths = table.lengths[k]
        if lengths is not None:
            _fill(lengths, arrays[i])
            i += 1
        _fill(col, arrays[i])
        i += 1
    return table


def build_columns(
    codes: bytes, strings: Sequence[str], tables: Sequence[tuple[Layout, Sequence[bytes]]]
) -> Columns:
    """A flushed :class:`Columns` from stored parts (the arrays as :func:`split_table` gives).

    The caller has checked that every code names a table and each table's rows
    are the number of its positions.
    """
    columns = Columns()
    columns.strings.values.extend(strings)
    columns.strings.codes.update({v: i for i, v in enumerate(strings)})
    columns.codes.frombytes(codes)
    rows, _ = row_numbers(codes, len(tables))
    columns.rows = rows
    for lay, arrays in tables:
        columns.by_class[lay.cls] = len(columns.tables)
        columns.tables.append(build_table(lay, arrays, columns.strings))
    return columns


_STATE_SLOT: Any = EventLog.__dict__["state"]  # the base class's slot behind ``state``


class StoredLog(EventLog):
    """An :class:`EventLog` read from a store: its columns, its state folded on first use.

    Projections over ``frame()`` never need the state, so it is not folded until
    ``state`` is read (or an event appended); then it is the fold of the log, as a
    live log's would be.
    """

    __slots__ = ()

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self._clock = None
        n = len(columns)
        self._last = columns.event(n - 1).time if n else -math.inf

    @property
    def state(self) -> OrgState:
        """The state the log folds to (folded now, the first time it is asked for)."""
        try:
            found: OrgState = _STATE_SLOT.__get__(self, EventLog)
        except AttributeError:
            found = fold(self)
            _STATE_SLOT.__set__(self, found)
        return found

    @state.setter
    def state(self, value: OrgState) -> None:
        _STATE_SLOT.__set__(self, value)
