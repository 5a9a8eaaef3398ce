"""check_header by value: each refusal's exact message, on headers built byte by byte.

An SQLite header (https://www.sqlite.org/fileformat.html#the_database_header) is 100
bytes: the magic string at 0, the page size at 16 (two bytes, big-endian; 1 means
65,536), the change counter at 24, the size in pages at 28 (four bytes, big-endian)
and, at 92, the counter the size is valid for. The size is trusted only when the
two counters agree and no write-ahead log is pending.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orgsim.errors import StoreError
from orgsim.storage.sqlite import check_header

MAGIC = b"SQLite format 3\x00"


def header(page_size: bytes, pages: bytes, *, current: bool = True) -> bytes:
    """100 header bytes with the given raw page-size and page-count fields."""
    head = bytearray(100)
    head[0:16] = MAGIC
    head[16:18] = page_size
    head[24:28] = b"\x00\x00\x00\x07"
    head[28:32] = pages
    head[92:96] = b"\x00\x00\x00\x07" if current else b"\x00\x00\x00\x06"
    return bytes(head)


def a_file(path: Path, head: bytes, size: int) -> Path:
    path.write_bytes(head + bytes(size - len(head)))
    return path


def refusal(path: Path) -> str:
    with pytest.raises(StoreError) as info:
        check_header(path, "cannot open db")
    return str(info.value)


def test_a_missing_file_passes(tmp_path: Path) -> None:
    assert check_header(tmp_path / "none.sqlite", "cannot open db") is None


def test_an_empty_file_is_refused_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    path.write_bytes(b"")
    assert refusal(path) == (
        "cannot open db: the file is empty (0 bytes), not a database; orgsim does not "
        "take it for a new one (delete it to start afresh)"
    )


def test_a_one_byte_file_is_not_empty_but_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    path.write_bytes(b"S")
    assert refusal(path) == "cannot open db: not an SQLite database (damaged, or some other file)"


def test_a_folder_in_the_files_place_is_refused_with_the_callers_words(tmp_path: Path) -> None:
    # os.stat succeeds on a folder; open() then fails with IsADirectoryError.
    message = refusal(tmp_path)
    assert message.startswith("cannot open db: ")
    assert "directory" in message.lower()


def test_a_header_cut_short_says_how_many_bytes_are_left(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    path.write_bytes(MAGIC + bytes(10))  # 16 + 10 = 26 bytes
    assert refusal(path) == "cannot open db: the file is truncated (26 bytes)"


def test_a_complete_file_passes(tmp_path: Path) -> None:
    # 2 pages of 4,096 bytes (0x1000), the file 8,192 bytes long: nothing lost.
    path = a_file(tmp_path / "db.sqlite", header(b"\x10\x00", b"\x00\x00\x00\x02"), 8192)
    assert check_header(path, "cannot open db") is None


def test_a_file_shorter_than_its_pages_is_refused_with_both_sizes(tmp_path: Path) -> None:
    # 2 pages of 4,096 = 8,192 bytes recorded (read big-endian), 5,000 on disk.
    path = a_file(tmp_path / "db.sqlite", header(b"\x10\x00", b"\x00\x00\x00\x02"), 5000)
    assert refusal(path) == (
        "cannot open db: the file is truncated: 5000 bytes of the 8192 its header records (damaged)"
    )


def test_the_page_count_is_read_from_all_four_bytes(tmp_path: Path) -> None:
    # 0x01000000 = 16,777,216 pages of 512 bytes: the high byte alone makes it huge.
    path = a_file(tmp_path / "db.sqlite", header(b"\x02\x00", b"\x01\x00\x00\x00"), 1024)
    assert refusal(path) == (
        f"cannot open db: the file is truncated: 1024 bytes of the {16_777_216 * 512} its "
        "header records (damaged)"
    )


def test_a_page_size_of_one_means_65536(tmp_path: Path) -> None:
    # The format stores 65,536 as 1: one page is 65,536 bytes, the file has 1,000.
    path = a_file(tmp_path / "db.sqlite", header(b"\x00\x01", b"\x00\x00\x00\x01"), 1000)
    assert refusal(path) == (
        "cannot open db: the file is truncated: 1000 bytes of the 65536 its header "
        "records (damaged)"
    )


def test_a_size_not_current_is_not_trusted(tmp_path: Path) -> None:
    head = header(b"\x10\x00", b"\x00\x00\x00\x02", current=False)
    path = a_file(tmp_path / "db.sqlite", head, 5000)
    assert check_header(path, "cannot open db") is None


@pytest.mark.parametrize(("wal_bytes", "refused"), [(0, True), (1, False), (2, False)])
def test_a_pending_log_of_at_least_one_byte_may_hold_the_missing_pages(
    tmp_path: Path, wal_bytes: int, refused: bool
) -> None:
    path = a_file(tmp_path / "db.sqlite", header(b"\x10\x00", b"\x00\x00\x00\x02"), 5000)
    (tmp_path / "db.sqlite-wal").write_bytes(bytes(wal_bytes))
    if refused:
        assert "the file is truncated: 5000 bytes of the 8192" in refusal(path)
    else:
        assert check_header(path, "cannot open db") is None
