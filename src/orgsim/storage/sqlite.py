"""The one way orgsim opens an SQLite file: pragmas, schema, version, errors.

Both databases (the per-run event store and the results database of experiments)
are single files written by several processes at once, so both want the same
connection: write-ahead logging (readers never block the one writer),
``synchronous=NORMAL`` (durable at checkpoints, fast per commit), a busy timeout,
and explicit ``BEGIN IMMEDIATE`` transactions, which take the write lock up front
so two writers queue instead of failing on a lock upgrade. Each keeps its layout
version in its own ``meta`` table; what to do with an old or foreign file is the
database's own policy, so :func:`open_database` takes it as a callback.

``sqlite3`` exceptions are turned into :class:`~orgsim.errors.StoreError` here,
at the boundary, with a message naming the file (:func:`store_errors`): one short
line that says whether the file is damaged, or the disk full, and, for a write,
what was kept (every transaction committed before the failure).

Reading never writes. :func:`open_database` with ``readonly=True`` opens the file
with SQLite's ``mode=ro``; a database whose write-ahead log is empty or absent (a
store closed cleanly) is opened ``immutable`` as well, so that SQLite creates no
``-wal`` or ``-shm`` file beside it and needs no lock: that is what makes a store in
a read-only folder, or on a read-only file system, readable. A log with content
(a writer is busy, or died before its checkpoint) is read through SQLite's shared
memory index as usual. Before any of that, the file's header is checked: an empty
file, a file that is not SQLite, and a truncated one are refused by name, and never
taken for a new database.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from orgsim.errors import StoreError

__all__ = [
    "Schema",
    "check_header",
    "integrity_problems",
    "open_database",
    "reason",
    "store_errors",
    "tables",
    "transaction",
]

#: The first 16 bytes of every SQLite 3 database file.
_MAGIC = b"SQLite format 3\x00"

#: OS errors that mean the disk (or the quota, or the file's size limit) is full,
#: or the device failed: what a user must fix outside orgsim.
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS}

#: Longest quoted SQLite reason kept in a message (SQLite may quote a whole row).
_REASON_CHARS = 120


@attrs.frozen(kw_only=True)
class Schema:
    """A database's tables, and the version of their layout kept in ``meta``.

    Attributes:
        ddl: ``CREATE ... IF NOT EXISTS`` statements separated by ``;``; one of
            them creates ``meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)``.
        version: The layout version this orgsim writes and reads.
        version_key: The ``meta`` key the version is stored under.
    """

    ddl: str
    version: int
    version_key: str

    def create(self, conn: sqlite3.Connection) -> None:
        """Create the missing tables and record the version, in one transaction.

        An existing version row is left alone (``INSERT OR IGNORE``), so creating
        is harmless on a file that already has the schema.
        """
        with transaction(conn):
            for statement in self.ddl.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                (self.version_key, str(self.version)),
            )

    def stored_version(self, conn: sqlite3.Connection) -> int | None:
        """The layout version recorded in the file; None without a ``meta`` row."""
        if "meta" not in tables(conn):
            return None
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (self.version_key,)).fetchone()
        return None if row is None else int(row[0])


def tables(conn: sqlite3.Connection) -> set[str]:
    """Names of the tables in the database."""
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def open_database(
    path: str | Path,
    *,
    timeout: float,
    setup: Callable[[sqlite3.Connection], None],
    failure: str,
    readonly: bool = False,
    live: bool = False,
) -> sqlite3.Connection:
    """Connect to ``path`` with orgsim's pragmas, then check or create its schema.

    The connection is in autocommit mode (``isolation_level=None``): every write
    goes through :func:`transaction`, so what is atomic is explicit. An existing
    file is checked first (:func:`check_header`), so a damaged file is refused
    before SQLite is asked to use it, and an empty one is never taken for new.

    Args:
        path: The database file (``":memory:"`` for a throwaway database).
        timeout: Seconds to wait for another writer's lock before failing.
        setup: Checks the file's schema version and tables and creates what is
            missing (e.g. with :meth:`Schema.create`); raises
            :class:`~orgsim.errors.StoreError` to refuse the file. With
            ``readonly`` it must only check.
        failure: Start of the error message when the file cannot be used, e.g.
            ``"cannot open event store 'x.sqlite'"``; the SQLite reason follows.
        readonly: Open the existing file read-only, creating nothing beside it
            (see the module's docstring); writes fail.
        live: With ``readonly``, never take the ``immutable`` shortcut: read with
            SQLite's locks, as a file another process is writing must be read.

    Returns:
        The open connection; the caller closes it.

    Raises:
        StoreError: The file cannot be opened, is empty, truncated or not an
            SQLite database, or ``setup`` refused it. The connection is closed then.
    """
    memory = os.fspath(path) == ":memory:"
    if not memory:
        check_header(path, failure)
    with store_errors(failure):
        if readonly and not memory:
            conn = sqlite3.connect(
                _readonly_uri(Path(path), failure, live),
                uri=True,
                timeout=timeout,
                isolation_level=None,
            )
        else:
            conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        with store_errors(failure):
            if readonly:
                conn.execute("PRAGMA query_only=ON")
            else:
                conn.execute("PRAGMA journal_mode=WAL")  # fails first on a non-database file
                conn.execute("PRAGMA synchronous=NORMAL")
            setup(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _readonly_uri(path: Path, failure: str, live: bool = False) -> str:
    """The SQLite URI that reads ``path`` without writing anything (see the module)."""
    wal = Path(f"{path}-wal")
    shm = Path(f"{path}-shm")
    query = "mode=ro"
    if not live and (not wal.exists() or wal.stat().st_size == 0):
        query += "&immutable=1"
    elif not shm.exists() and not os.access(path.parent, os.W_OK):
        raise StoreError(
            f"{failure}: its write-ahead log {wal} holds unfinished writes, but there is no "
            f"{shm.name} and the folder is read-only; open it once where it can be written"
        )
    return f"file:{urllib.parse.quote(str(path.resolve()))}?{query}"


def check_header(path: str | Path, failure: str) -> None:
    """Refuse an existing file that is empty, not SQLite, or shorter than it says.

    A missing file passes (it is created, or SQLite reports it). The database's
    size in pages is read from its header; a file shorter than that lost its tail.
    The size is only trusted when the header says it is current, and no
    write-ahead log is pending (then the log may hold the missing pages).

    Raises:
        StoreError: ``"<failure>: <what is wrong>"``.
    """
    with store_errors(failure):
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return
        if size == 0:
            raise StoreError(
                f"{failure}: the file is empty (0 bytes), not a database; orgsim does not "
                "take it for a new one (delete it to start afresh)"
            ) from None
        with open(path, "rb") as fh:
            head = fh.read(100)
    if not head.startswith(_MAGIC):
        raise StoreError(
            f"{failure}: not an SQLite database (damaged, or some other file)"
        ) from None
    if len(head) < 100:
        raise StoreError(f"{failure}: the file is truncated ({size} bytes)") from None
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    current = head[24:28] == head[92:96]
    wal = Path(f"{os.fspath(path)}-wal")
    pending = wal.exists() and wal.stat().st_size > 0
    if current and not pending and pages * page_size > size:
        raise StoreError(
            f"{failure}: the file is truncated: {size} bytes of the "
            f"{pages * page_size} its header records (damaged)"
        ) from None


def integrity_problems(
    conn: sqlite3.Connection, *, limit: int = 10, quick: bool = False
) -> list[str]:
    """What ``PRAGMA integrity_check`` finds wrong with the file; empty when it is sound.

    Args:
        conn: The open database.
        limit: Most problems reported.
        quick: ``PRAGMA quick_check`` instead: every page and record, but not
            whether the indexes agree with their tables; much faster.

    Raises:
        sqlite3.DatabaseError: The file is too damaged to check at all.
    """
    pragma = "quick_check" if quick else "integrity_check"
    rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}({int(limit)})")]
    if rows == ["ok"]:
        return []
    # One line each: SQLite prefixes a database's first problem with a header line.
    found = (" ".join(str(r).replace("*** in database main ***", "").split()) for r in rows)
    return [line for line in found if line]


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed at the end, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def store_errors(message: str, *, kept: Callable[[], str] | None = None) -> Iterator[None]:
    """Turn ``sqlite3`` and OS errors into a StoreError: ``"<message>: <reason>"``.

    The SQLite exception is dropped from the chain (``from None``): the message
    already says which file, what was being done and why it failed (see
    :func:`reason`).

    Args:
        message: Which file, and what was being done.
        kept: For a write, says what survived the failure (e.g. the runs committed
            before); called only when there is a failure, and left out if it fails.
    """
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        text = f"{message}: {reason(exc)}"
        if kept is not None:
            with contextlib.suppress(sqlite3.Error, OSError, StoreError):
                text += f"; {kept()}"
        raise StoreError(text) from None


def reason(exc: BaseException) -> str:
    """Why an SQLite or OS call failed, in a few words a user can act on.

    SQLite's "malformed" and "not a database" become "damaged"; its UTF-8 decoding
    error keeps the column's name but not the quoted text; full disks, quotas and
    I/O errors say so. Long reasons are cut.
    """
    text = str(exc)
    utf8 = re.match(r"Could not decode to UTF-8 column '([^']*)'", text)
    if utf8:
        return f"the file is damaged (column {utf8.group(1)!r} holds invalid UTF-8)"
    if isinstance(exc, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text):
        return f"the file is damaged ({text})"
    if isinstance(exc, sqlite3.OperationalError) and text == "disk I/O error":
        return f"{text} (a full disk or quota, or a failing device)"
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"
