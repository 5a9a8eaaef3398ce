"""reason(): the exact words a user reads for each SQLite and OS failure it names."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from orgsim.errors import StoreError
from orgsim.storage.sqlite import reason, store_errors

# ------------------------------------------------------------------ damaged files


def test_a_malformed_image_is_named_damaged() -> None:
    exc = sqlite3.DatabaseError("database disk image is malformed")
    assert reason(exc) == "the file is damaged (database disk image is malformed)"


def test_not_a_database_is_named_damaged() -> None:
    exc = sqlite3.DatabaseError("file is not a database")
    assert reason(exc) == "the file is damaged (file is not a database)"


def test_a_malformed_schema_as_operational_error_is_damaged() -> None:
    # OperationalError is a DatabaseError: SQLite reports a bad schema this way.
    exc = sqlite3.OperationalError("malformed database schema (t) - near 'x'")
    assert reason(exc) == "the file is damaged (malformed database schema (t) - near 'x')"


def test_invalid_utf8_keeps_the_column_name_only() -> None:
    exc = sqlite3.OperationalError("Could not decode to UTF-8 column 'data' with text '\udcff'")
    assert reason(exc) == "the file is damaged (column 'data' holds invalid UTF-8)"


# ------------------------------------------------------------------ full disks, devices


def test_sqlite_disk_io_error_says_full_disk_or_device() -> None:
    exc = sqlite3.OperationalError("disk I/O error")
    assert reason(exc) == "disk I/O error (a full disk or quota, or a failing device)"


def test_a_longer_io_message_is_not_taken_for_the_disk_io_error() -> None:
    # Only SQLite's exact text gets the hint; anything else is passed on as it is.
    exc = sqlite3.OperationalError("disk I/O error while syncing")
    assert reason(exc) == "disk I/O error while syncing"


@pytest.mark.parametrize(
    ("code", "strerror"),
    [
        (errno.ENOSPC, "No space left on device"),
        (errno.EDQUOT, "Disk quota exceeded"),
        (errno.EIO, "Input/output error"),
        (errno.EFBIG, "File too large"),
        (errno.EROFS, "Read-only file system"),
    ],
    ids=["full", "quota", "io", "too-large", "read-only-fs"],
)
def test_a_disk_os_error_is_its_strerror_and_file(code: int, strerror: str) -> None:
    # "<strerror>: <filename>", without Python's "[Errno N]" prefix or quotes.
    exc = OSError(code, strerror, "/data/out/results.sqlite")
    assert reason(exc) == f"{strerror}: /data/out/results.sqlite"


def test_a_disk_os_error_without_a_file_is_its_strerror_alone() -> None:
    assert reason(OSError(errno.ENOSPC, "No space left on device")) == "No space left on device"


def test_a_disk_os_error_without_strerror_is_the_whole_error() -> None:
    # OSError(errno) alone has no strerror: str(exc) is the errno number.
    exc = OSError(errno.ENOSPC)
    exc.errno = errno.ENOSPC
    assert exc.strerror is None
    assert reason(exc) == str(exc)


def test_another_os_error_is_passed_on_with_its_errno() -> None:
    # ENOENT is not a disk problem: Python's own text, "[Errno 2] ...: 'x'", is kept.
    exc = OSError(errno.ENOENT, "No such file or directory", "x.sqlite")
    assert reason(exc) == "[Errno 2] No such file or directory: 'x.sqlite'"


# ------------------------------------------------------------------ passed on as they are


@pytest.mark.parametrize(
    "text",
    ["database is locked", "attempt to write a readonly database", "no such table: runs"],
)
def test_other_sqlite_reasons_are_passed_on_unchanged(text: str) -> None:
    assert reason(sqlite3.OperationalError(text)) == text


def test_a_reason_of_120_characters_is_kept_whole() -> None:
    text = "x" * 120
    assert reason(sqlite3.OperationalError(text)) == text


def test_a_long_reason_is_cut_to_120_characters_with_an_ellipsis() -> None:
    # 119 characters of the reason, then "…": 120 in all.
    text = "y" * 119 + "z" * 81
    got = reason(sqlite3.OperationalError(text))
    assert got == "y" * 119 + "…"
    assert len(got) == 120


def test_store_errors_joins_the_message_the_reason_and_what_was_kept() -> None:
    with (
        pytest.raises(StoreError) as caught,
        store_errors("cannot write f", kept=lambda: "2 run(s) kept"),
    ):
        raise sqlite3.OperationalError("disk I/O error")
    assert str(caught.value) == (
        "cannot write f: disk I/O error (a full disk or quota, or a failing device); 2 run(s) kept"
    )
