"""A run's log held in columns: one table per event type, each field a typed array.

Why columns: a log held as frozen event objects costs a couple of hundred bytes per
event, every projection has to walk it in Python, and a store has to encode it event
by event. Held as columns it costs the bytes of its values (an amount or an id: 8; a
department's name: a 4-byte code into the log's string table; the event's type: 1),
a store writes or reads a run as a few buffers, and a projection is numpy over the
columns. Events stay the API: :class:`~orgsim.engine.log.EventLog` hands out a
frozen event, built from its row, whenever a caller indexes or iterates.

Each event type's *layout* maps its fields to kinds, from the field's annotation:

========================  =====  ============================================
annotation                kind   column
========================  =====  ============================================
``float``                 ``d``  float64
``int``                   ``q``  int64 (identifiers, counts, seeds)
``bool``                  ``b``  int8, 0 or 1
``str``                   ``s``  int32 code into the log's strings
``tuple[float, ...]``     ``D``  float64 values, and a uint32 length per row
``tuple[str, ...]``       ``S``  int32 codes, and a uint32 length per row
========================  =====  ============================================

Storing a value in its field's kind is also what makes the log *canonical*: an
amount passed as ``0`` is the float ``0.0`` from the start, so an event read back
equals, and digests the same as, the one recorded (:func:`canonical_digest`).
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from orgsim.engine.events import Event, payload_fields

KINDS: dict[str, str] = {
    "float": "d",
    "int": "q",
    "bool": "b",
    "str": "s",
    "tuple[float, ...]": "D",
    "tuple[str, ...]": "S",
}
"""Field annotation -> column kind (see the module's table)."""

#: The array typecode that holds each kind's values.
TYPECODES = {"d": "d", "q": "q", "b": "b", "s": "i", "D": "d", "S": "i"}

#: The numpy dtype of each array typecode (little-endian on disk, native here).
DTYPES = {"d": np.float64, "q": np.int64, "b": np.int8, "i": np.int32, "I": np.uint32}

RAGGED = frozenset("DS")

_TIME = attrgetter("time")

#: Name of the canonical digest's format (docs/storage.md), hashed first.
DIGEST_FORMAT = b"orgsim-columns-1\n"


@attrs.frozen
class Layout:
    """How one event type lies in columns: its fields, in order, and their kinds."""

    cls: type[Event]
    fields: tuple[str, ...]
    kinds: tuple[str, ...]

    @property
    def name(self) -> str:
        """The event type's name, as stored."""
        return self.cls.__name__


_LAYOUTS: dict[type[Event], Layout] = {}  # a memo of class metadata, not state


def layout(cls: type[Event]) -> Layout:
    """The column layout of an event type (memoised: classes do not change).

    Raises:
        TypeError: a field's annotation has no column kind (add one to :data:`KINDS`).
    """
    found = _LAYOUTS.get(cls)
    if found is None:
        types = {f.name: f.type for f in attrs.fields(cls)}
        names = payload_fields(cls)
        kinds = []
        for name in names:
            kind = KINDS.get(str(types[name]))
            if kind is None:
                raise TypeError(f"{cls.__name__}.{name}: no column kind for {types[name]!r}")
            kinds.append(kind)
        found = _LAYOUTS[cls] = Layout(cls, names, tuple(kinds))
    return found


class Strings:
    """The log's string table: each distinct string once, by code in order of arrival."""

    __slots__ = ("codes", "values")

    def __init__(self, values: Sequence[str] = ()) -> None:
        self.values: list[str] = list(values)
        self.codes: dict[str, int] = {v: i for i, v in enumerate(self.values)}

    def code(self, value: str) -> int:
        """The code of a string, adding it on first sight."""
        code = self.codes.get(value)
        if code is None:
            if not isinstance(value, str):
                raise TypeError(f"expected a string, got {value!r}")
            code = self.codes[value] = len(self.values)
            self.values.append(value)
        return code


class Table:
    """The rows of one event type in one log: its times, and a column per field.

    ``columns[i]`` holds field ``i``'s values (codes for strings); a ragged field
    (a tuple) also has ``lengths[i]``, the number of values each row holds.
    """

    __slots__ = (
        "_build",
        "_codes",
        "_put",
        "_starts",
        "_strings",
        "columns",
        "layout",
        "lengths",
        "time",
    )

    def __init__(self, lay: Layout, strings: Strings) -> None:
        self.layout = lay
        self.time = array("d")
        self.columns: list[array[Any]] = [array(TYPECODES[k]) for k in lay.kinds]
        self.lengths: list[array[int] | None] = [
            array("I") if k in RAGGED else None for k in lay.kinds
        ]
        self._starts: dict[int, tuple[int, list[int]]] = {}  # ragged offsets, by rows seen
        self._codes = strings.codes  # a string's code; the log gives new ones first
        self._strings = strings
        self._put = {i: self._putter(i, strings) for i, k in enumerate(lay.kinds) if k in RAGGED}
        self._build: Callable[[int, int], Event] | None = None  # made on first read

    def __len__(self) -> int:
        return len(self.time)

    def _putter(self, i: int, strings: Strings) -> Callable[[Any], None]:
        """The function that appends one row's tuple of ragged field ``i``."""
        kind, col, lengths = self.layout.kinds[i], self.columns[i], self.lengths[i]
        assert lengths is not None

        def put(v: tuple[Any, ...]) -> None:
            # a float column refuses anything that is not a number; strings are coded
            col.extend(v if kind == "D" else [strings.code(x) for x in v])
            lengths.append(len(v))

        return put

    def extend(self, events: list[Event]) -> None:
        """Append events of this table's type as rows: one C-level pass per field."""
        self.time.extend(map(_TIME, events))
        for i, (name, kind) in enumerate(zip(self.layout.fields, self.layout.kinds, strict=True)):
            values = map(attrgetter(name), events)
            col = self.columns[i]
            if kind in "dqb":
                col.extend(values)  # an array refuses a value its typecode cannot hold
            elif kind == "s":
                col.extend(map(self._codes.__getitem__, values))
            else:
                put = self._put[i]
                for v in values:
                    put(v)

    def truncate(self, rows: int) -> None:
        """Drop the rows from ``rows`` on (undoes a failed :meth:`extend`)."""
        del self.time[rows:]
        for i, col in enumerate(self.columns):
            lengths = self.lengths[i]
            if lengths is not None:
                del lengths[rows:]
                del col[sum(lengths) :]
            else:
                del col[rows:]

    def _offsets(self, i: int) -> list[int]:
        """Where each row's values start in ragged column ``i`` (and the end)."""
        rows = len(self.time)
        memo = self._starts.get(i)
        if memo is None or memo[0] != rows:  # first use, or rows added since
            lengths = self.lengths[i]
            assert lengths is not None
            starts = [0]
            for n in lengths:
                starts.append(starts[-1] + n)
            memo = self._starts[i] = (rows, starts)
        return memo[1]

    def value(self, i: int, row: int, strings: Strings) -> Any:
        """Field ``i`` of a row, as the event holds it."""
        kind, col = self.layout.kinds[i], self.columns[i]
        if kind == "d" or kind == "q":
            return col[row]
        if kind == "b":
            return bool(col[row])
        if kind == "s":
            return strings.values[col[row]]
        starts = self._offsets(i)
        part = col[starts[row] : starts[row + 1]]
        if kind == "D":
            return tuple(part)
        return tuple(strings.values[c] for c in part)

    def _reader(self, i: int, strings: Strings) -> Callable[[int], Any]:
        """The function that reads field ``i`` of a row, as the event holds it."""
        kind, col = self.layout.kinds[i], self.columns[i]
        if kind == "d" or kind == "q":
            return col.__getitem__
        if kind == "b":
            return lambda row: col[row] == 1
        values = strings.values
        if kind == "s":
            return lambda row: values[col[row]]
        return lambda row: self.value(i, row, strings)

    def _builder(self, strings: Strings) -> Callable[[int, int], Event]:
        """A function that builds row ``row`` as the event at position ``seq``."""
        cls, time = self.layout.cls, self.time
        readers = tuple(
            (name, self._reader(i, strings)) for i, name in enumerate(self.layout.fields)
        )

        def build(seq: int, row: int) -> Event:
            return cls(seq=seq, time=time[row], **{name: read(row) for name, read in readers})

        return build

    def event(self, seq: int, row: int) -> Event:
        """Row ``row`` as a frozen event at position ``seq`` of its log."""
        return self.builder()(seq, row)

    def builder(self) -> Callable[[int, int], Event]:
        """The function that builds a row as its event, made on first use.

        Made lazily: a store reads a run's tables without building any event, and
        making a reader per field is most of a small table's cost.
        """
        build = self._build
        if build is None:
            build = self._build = self._builder(self._strings)
        return build


#: Events a log holds as objects before it moves them into its columns. Moving a
#: batch is a few C-level passes per field, far cheaper per event than one at a
#: time; the objects held at any moment are bounded, so memory stays that of columns.
BATCH = 4096


class Columns:
    """Every event of a log, in columns: the type of each position, and a table per type.

    ``codes[seq]`` is the table (by order of first appearance) that position ``seq``
    went to, ``rows[seq]`` its row there. New events wait in ``pending`` until a
    batch is full or a reader needs the columns (:meth:`flush`). Tables, rows and
    string codes are numbered in order of first appearance along the log, so the
    columns are a function of the events alone, however they were batched. This is
    the storage behind :class:`~orgsim.engine.log.EventLog`; :meth:`frame` is what
    projections read.
    """

    __slots__ = ("by_class", "codes", "pending", "rows", "strings", "tables")

    def __init__(self) -> None:
        self.codes = array("B")
        self.rows = array("I")
        self.tables: list[Table] = []
        self.by_class: dict[type[Event], int] = {}
        self.strings = Strings()
        self.pending: list[Event] = []

    def __len__(self) -> int:
        return len(self.codes) + len(self.pending)

    def append(self, event: Event) -> None:
        """Append one event (its position is the next one; the log checks that)."""
        pending = self.pending
        pending.append(event)
        if len(pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Move the pending events into the columns.

        Raises:
            TypeError: a field's value does not fit its kind (a float for an
                ``int``, a number for a ``str``); the columns are left as they were
                and the events stay pending.
        """
        pending = self.pending
        if not pending:
            return
        types = list(map(type, pending))
        for cls in dict.fromkeys(types):  # in order of first appearance
            if cls not in self.by_class:
                self._add_table(cls)
        codes = np.fromiter(map(self.by_class.__getitem__, types), np.uint8, len(types))
        groups = [(int(c), np.flatnonzero(codes == c)) for c in np.unique(codes)]
        self._code_new_strings(groups)
        rows = np.empty(len(pending), np.uint32)
        sizes = [len(t) for t in self.tables]
        try:
            for code, where in groups:
                rows[where] = len(self.tables[code]) + np.arange(len(where), dtype=np.uint32)
                self.tables[code].extend([pending[i] for i in where.tolist()])
        except (TypeError, OverflowError):
            for table, size in zip(self.tables, sizes, strict=True):
                table.truncate(size)
            raise
        self.codes.frombytes(codes.tobytes())
        self.rows.frombytes(rows.tobytes())
        pending.clear()

    def _code_new_strings(self, groups: list[tuple[int, NDArray[np.intp]]]) -> None:
        """Give the batch's new strings codes in order of first appearance along the log."""
        known = self.strings.codes
        first: dict[str, tuple[int, int, int]] = {}

        def seen(v: str, key: tuple[int, int, int]) -> None:
            if v not in first or key < first[v]:
                first[v] = key

        for code, where in groups:
            lay = self.tables[code].layout
            for i, (name, kind) in enumerate(zip(lay.fields, lay.kinds, strict=True)):
                if kind != "s" and kind != "S":
                    continue
                seqs = where.tolist()
                values = list(map(attrgetter(name), [self.pending[j] for j in seqs]))
                if kind == "s":
                    for v in set(values).difference(known):
                        seen(v, (seqs[values.index(v)], i, 0))
                    continue
                for seq, value in zip(seqs, values, strict=True):
                    for k, v in enumerate(value):
                        if v not in known:
                            seen(v, (seq, i, k))
        for v in sorted(first, key=first.__getitem__):
            self.strings.code(v)

    def _add_table(self, cls: type[Event]) -> int:
        if len(self.tables) >= 255:
            raise OverflowError("a log holds at most 255 event types")
        code = self.by_class[cls] = len(self.tables)
        self.tables.append(Table(layout(cls), self.strings))
        return code

    def event(self, seq: int) -> Event:
        """The event at position ``seq``, built from its row (or the pending object)."""
        done = len(self.codes)
        if seq >= done:
            return self.pending[seq - done]
        return self.tables[self.codes[seq]].builder()(seq, self.rows[seq])

    def __iter__(self) -> Iterator[Event]:
        builds = [t.builder() for t in self.tables]
        rows = self.rows
        for seq, code in enumerate(self.codes):
            yield builds[code](seq, rows[seq])
        yield from list(self.pending)

    def frame(self, cls: type[Event]) -> Frame:
        """The rows of one event type as numpy arrays (empty when it never occurred)."""
        self.flush()
        code = self.by_class.get(cls)
        if code is None:
            return Frame(layout(cls), None, np.empty(0, np.int64), self.strings)
        table = self.tables[code]
        seq = np.flatnonzero(np.frombuffer(self.codes, np.uint8) == code)
        return Frame(table.layout, table, seq, self.strings)

    def digest(self) -> str:
        """SHA-256 of the canonical form of the log (:func:`canonical_digest`)."""
        self.flush()
        return canonical_digest(self)


def _np(col: array[Any]) -> NDArray[Any]:
    """A numpy copy of an array's values (a copy: the array may grow later)."""
    return (
        np.array(col, dtype=DTYPES[col.typecode]) if len(col) else np.empty(0, DTYPES[col.typecode])
    )


class Frame:
    """One event type's rows as numpy columns: ``seq``, ``time`` and each field.

    ``frame["field"]`` is the field's column: float64, int64, bool, or, for a
    string field, its int32 codes (:meth:`text` gives the strings, :meth:`code` the
    code of one string, -1 if the log never had it). A ragged field gives its
    values, and :meth:`lengths` the number per row.
    """

    __slots__ = ("_cache", "layout", "seq", "strings", "table", "time")

    def __init__(
        self, lay: Layout, table: Table | None, seq: NDArray[np.int64], strings: Strings
    ) -> None:
        self.layout = lay
        self.table = table
        self.seq = seq
        self.strings = strings
        self.time = _np(table.time) if table is not None else np.empty(0)
        self._cache: dict[str, NDArray[Any]] = {}

    def __len__(self) -> int:
        return len(self.seq)

    def _index(self, name: str) -> int:
        try:
            return self.layout.fields.index(name)
        except ValueError:
            raise KeyError(f"{self.layout.name} has no field {name!r}") from None

    def __getitem__(self, name: str) -> NDArray[Any]:
        got = self._cache.get(name)
        if got is None:
            i = self._index(name)
            kind = self.layout.kinds[i]
            if self.table is None:
                got = np.empty(0, DTYPES[TYPECODES[kind]])
            else:
                got = _np(self.table.columns[i])
            if kind == "b":
                got = got.astype(bool)
            self._cache[name] = got
        return got

    def lengths(self, name: str) -> NDArray[np.uint32]:
        """Values per row of a ragged (tuple) field."""
        i = self._index(name)
        if self.layout.kinds[i] not in RAGGED:
            raise KeyError(f"{self.layout.name}.{name} is not a tuple field")
        if self.table is None:
            return np.empty(0, np.uint32)
        lengths = self.table.lengths[i]
        assert lengths is not None
        return _np(lengths)

    def text(self, name: str) -> NDArray[np.object_]:
        """A string field's values, as strings."""
        return np.array(self.strings.values, dtype=object)[self[name]]

    def code(self, value: str) -> int:
        """The code a string has in this log (-1: never seen, so no row holds it)."""
        return self.strings.codes.get(value, -1)


def canonical_digest(columns: Columns) -> str:
    """SHA-256 of a log's canonical form: the same log, the same digest, wherever it lives.

    The form (named by :data:`DIGEST_FORMAT`) is, in order: the string table (each
    string, UTF-8, newline-ended), the type code of every position (uint8), then for
    each table in order of first appearance its type name and schema version, its
    times, and each field's column (little-endian; a ragged field's lengths, then its
    values). A value lives in its field's kind from the moment it is recorded, so
    the form depends on the log's values alone, not on how they were passed.
    """
    h = hashlib.sha256(DIGEST_FORMAT)
    for s in columns.strings.values:
        h.update(s.encode() + b"\n")
    h.update(b"codes\n")
    h.update(little_endian(columns.codes))
    for table in columns.tables:
        lay = table.layout
        h.update(f"{lay.name}|{lay.cls.schema_version}|{len(table)}\n".encode())
        h.update(little_endian(table.time))
        for col, lengths in zip(table.columns, table.lengths, strict=True):
            if lengths is not None:
                h.update(little_endian(lengths))
            h.update(little_endian(col))
    return h.hexdigest()


def little_endian(col: array[Any]) -> bytes:
    """An array's bytes in little-endian order (the canonical and the stored order)."""
    if sys.byteorder == "little" or col.itemsize == 1:
        return col.tobytes()
    swapped = array(col.typecode, col)
    swapped.byteswap()
    return swapped.tobytes()
