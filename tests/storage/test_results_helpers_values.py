"""json_safe and check_out_dir by value: numpy values, the --out folder, its probe, its errors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orgsim.errors import ExperimentError
from orgsim.storage.results import check_out_dir, json_safe

# ------------------------------------------------------------------ json_safe


def test_numpy_scalars_become_the_python_values_they_hold() -> None:
    # np.float32, np.int64 and np.bool_ are not subclasses of float, int or bool (json.dumps
    # refuses them); np.float64 is a float and passes through as it is.
    got = [json_safe(np.float32(2.5)), json_safe(np.int64(7)), json_safe(np.bool_(True))]
    assert got == [2.5, 7, True]
    assert [type(v) for v in got] == [float, int, bool]
    assert json.dumps([json_safe(np.float64(0.5)), *got]) == "[0.5, 2.5, 7, true]"


def test_a_numpy_nan_or_infinity_becomes_none() -> None:
    # .item() gives a Python float, which then goes through the finite check.
    assert json_safe(np.float64(math.nan)) is None
    assert json_safe(np.float32(-math.inf)) is None


def test_a_numpy_scalar_inside_a_mapping_is_converted() -> None:
    assert json_safe({"n": np.int64(3), 4: np.float64(0.25)}) == {"n": 3, "4": 0.25}


def test_a_numpy_array_becomes_a_list_of_its_values() -> None:
    assert json_safe(np.array([1.5, math.nan, math.inf, 3.0])) == [1.5, None, None, 3.0]
    # A 2-D array: a list of rows.
    assert json_safe(np.array([[1, 2], [3, 4]])) == [[1, 2], [3, 4]]


# ------------------------------------------------------------------ check_out_dir


def test_missing_parent_folders_of_out_are_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "c"
    check_out_dir(out)
    assert out.is_dir()
    assert list(out.iterdir()) == []  # the probe is removed


def test_the_probe_is_an_empty_hidden_file_removed_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[tuple[Path, str]] = []
    removed: list[Path] = []
    real_write, real_unlink = Path.write_text, Path.unlink

    def write_text(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        written.append((self, data))
        return real_write(self, data, *args, **kwargs)

    def unlink(self: Path, *args: Any, **kwargs: Any) -> None:
        removed.append(self)
        real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    monkeypatch.setattr(Path, "unlink", unlink)
    check_out_dir(tmp_path)
    assert written == [(tmp_path / ".orgsim-write-test", "")]
    assert removed == [tmp_path / ".orgsim-write-test"]


def test_an_out_below_a_file_is_refused_with_the_os_reason(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "sub"
    with pytest.raises(ExperimentError) as caught:
        check_out_dir(out)
    # The OS's strerror alone, not "[Errno 20] Not a directory: '...'".
    assert str(caught.value) == f"cannot write to --out {out}: Not a directory"


def test_an_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "file"
    out.write_text("keep")
    with pytest.raises(ExperimentError) as caught:
        check_out_dir(out)
    assert str(caught.value) == f"cannot write to --out {out}: File exists"
    assert out.read_text() == "keep"
