"""Without pyarrow (the ``parquet`` extra) the store compresses with zlib and reads either."""

from __future__ import annotations

import zlib

import pytest

from orgsim.storage import columns_codec as codec


@pytest.fixture
def no_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_codec", False)  # the memo of a failed import


RAW = bytes(range(50)) * 20  # 1,000 bytes that compress


def test_without_pyarrow_a_buffer_is_zlib_and_reads_back(no_pyarrow: None) -> None:
    blob = codec.pack(RAW)
    kind, size, crc = codec.FRAME.unpack_from(blob)
    body = blob[codec.FRAME.size :]
    assert (kind, size, crc) == (codec.ZLIB, len(RAW), zlib.crc32(body))
    assert zlib.decompress(body) == RAW
    assert codec.unpack(blob) == RAW


def test_a_zstd_buffer_without_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    blob = codec.pack(RAW)
    assert codec.FRAME.unpack_from(blob)[0] == codec.ZSTD
    monkeypatch.setattr(codec, "_codec", False)
    with pytest.raises(
        codec.CodecError, match=r"zstd, which needs pyarrow: pip install 'orgsim\[parquet\]'"
    ):
        codec.unpack(blob)


def test_a_damaged_zlib_body_is_a_codec_error(no_pyarrow: None) -> None:
    body = b"not zlib at all, not at all"
    blob = codec.FRAME.pack(codec.ZLIB, 100, zlib.crc32(body)) + body
    with pytest.raises(codec.CodecError, match="does not decompress"):
        codec.unpack(blob)
