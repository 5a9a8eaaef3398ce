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
at the boundary, with a message naming the file (:func:`store_errors`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from orgsim.errors import StoreError

__all__ = ["Schema", "open_database", "store_errors", "tables", "transaction"]


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
) -> sqlite3.Connection:
    """Connect to ``path`` with orgsim's pragmas, then check or create its schema.

    The connection is in autocommit mode (``isolation_level=None``): every write
    goes through :func:`transaction`, so what is atomic is explicit.

    Args:
        path: The database file (``":memory:"`` for a throwaway database).
        timeout: Seconds to wait for another writer's lock before failing.
        setup: Checks the file's schema version and tables and creates what is
            missing (e.g. with :meth:`Schema.create`); raises
            :class:`~orgsim.errors.StoreError` to refuse the file.
        failure: Start of the error message when the file cannot be used, e.g.
            ``"cannot open event store 'x.sqlite'"``; the SQLite reason follows.

    Returns:
        The open connection; the caller closes it.

    Raises:
        StoreError: The file cannot be opened, is not an SQLite database, or
            ``setup`` refused it. The connection is closed then.
    """
    with store_errors(failure):
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        with store_errors(failure):
            conn.execute("PRAGMA journal_mode=WAL")  # fails first on a non-database file
            conn.execute("PRAGMA synchronous=NORMAL")
            setup(conn)
    except BaseException:
        conn.close()
        raise
    return conn


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
def store_errors(message: str) -> Iterator[None]:
    """Turn ``sqlite3`` and OS errors into a StoreError: ``"<message>: <reason>"``.

    The SQLite exception is dropped from the chain (``from None``): the message
    already says which file, what was being done and why it failed.
    """
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"{message}: {exc}") from None
