"""Value tests of orgsim.scenario.files: the exact messages and FILE:LINE:COL of bad files.

Every bad input below is one file (or name) whose message a user reads; each test
asserts the one problem exactly (document-level, so its path is ``""``) and the
source the message is prefixed with.
"""

from __future__ import annotations

import errno
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from orgsim.errors import Problem, ScenarioError
from orgsim.scenario import files
from orgsim.scenario.files import (
    bundled_scenarios,
    bundled_sweeps,
    locate_scenario,
    locate_sweep,
    read_toml,
    toml_position,
)


def only_problem(info: pytest.ExceptionInfo[ScenarioError]) -> Problem:
    (problem,) = info.value.problems
    return problem


# ------------------------------------------------------------------ toml_position


def test_position_from_the_line_and_column_suffix() -> None:
    exc = tomllib.TOMLDecodeError("Invalid value (at line 3, column 7)")
    assert toml_position(exc, "") == (3, 7, "Invalid value")


def test_a_message_without_a_position_is_placed_at_line_1_column_1() -> None:
    exc = tomllib.TOMLDecodeError("something odd")
    assert toml_position(exc, "a = 1\nb = 2\n") == (1, 1, "something odd")


# ------------------------------------------------------------------ read_toml


def test_missing_file_is_one_document_problem(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError) as info:
        read_toml(path, what="sweep")
    assert info.value.problems == (Problem("", f"no such sweep file: {path}"),)
    assert info.value.source == ""


def test_directory_problem_is_document_level_with_the_directory_as_source(
    tmp_path: Path,
) -> None:
    with pytest.raises(ScenarioError) as info:
        read_toml(tmp_path)
    assert info.value.problems == (Problem("", "is a directory, not a scenario file"),)
    assert str(info.value) == f"{tmp_path}: is a directory, not a scenario file"


def test_an_unreadable_file_gives_the_os_reason(tmp_path: Path) -> None:
    # a symlink to itself: reading it fails with ELOOP, which is no FileNotFoundError
    path = tmp_path / "loop.toml"
    os.symlink(path.name, path)
    with pytest.raises(ScenarioError) as info:
        read_toml(path)
    reason = os.strerror(errno.ELOOP)  # "Too many levels of symbolic links" on Linux
    assert info.value.problems == (Problem("", f"cannot read: {reason}"),)
    assert info.value.source == str(path)
    assert str(info.value) == f"{path}: cannot read: {reason}"


class _Unreadable(type(Path())):  # type: ignore[misc]
    """A path whose reading fails with an OSError that has no errno nor strerror."""

    def read_bytes(self) -> bytes:
        raise OSError("disk on fire")


def test_an_os_error_without_strerror_gives_its_text() -> None:
    path = _Unreadable("x.toml")
    with pytest.raises(ScenarioError) as info:
        read_toml(path)
    assert info.value.problems == (Problem("", "cannot read: disk on fire"),)
    assert str(info.value) == "x.toml: cannot read: disk on fire"


def test_utf16_text_is_one_problem_with_the_file_as_source(tmp_path: Path) -> None:
    path = tmp_path / "utf16.toml"
    path.write_bytes(b"\xff\xfe" + "horizon = 200\n".encode("utf-16-le"))
    with pytest.raises(ScenarioError) as info:
        read_toml(path)
    message = "is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8"
    assert info.value.problems == (Problem("", message),)
    assert info.value.source == str(path)


def test_non_utf8_names_the_offset_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    # 'n','a','m','e',' ','=',' ','"','c','a','f' are bytes 0..10; the é (0xe9) is byte 11
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ScenarioError) as info:
        read_toml(path)
    assert info.value.problems == (Problem("", "not UTF-8 text (bad byte at offset 11)"),)
    assert info.value.source == str(path)


def test_syntax_error_is_a_document_problem_at_file_line_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    # line 2 is "b = ": the value is missing at column 5
    path.write_text("a = 1\nb = \n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read_toml(path)
    assert info.value.problems == (Problem("", "Invalid value"),)
    assert info.value.source == f"{path}:2:5"


# ------------------------------------------------------------------ bundled files


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package root whose data holds two scenarios, two sweeps and some clutter."""
    scenarios = tmp_path / "data" / "scenarios"
    (scenarios / "sweeps").mkdir(parents=True)
    for name in ("zeta.toml", "alpha.toml", "notes.md"):
        (scenarios / name).write_text("", encoding="utf-8")
    (scenarios / "old.toml").mkdir()  # a folder, however named, is no scenario file
    for name in ("wide.toml", "narrow.toml", "README"):
        (scenarios / "sweeps" / name).write_text("", encoding="utf-8")
    monkeypatch.setattr(files.resources, "files", lambda package: tmp_path)
    return tmp_path


def test_bundled_scenarios_are_the_toml_files_only_sorted(fake_package: Path) -> None:
    scenarios = fake_package / "data" / "scenarios"
    found = bundled_scenarios()
    assert list(found) == ["alpha", "zeta"]
    assert found == {"alpha": scenarios / "alpha.toml", "zeta": scenarios / "zeta.toml"}


def test_bundled_sweeps_are_read_from_scenarios_sweeps(fake_package: Path) -> None:
    sweeps = fake_package / "data" / "scenarios" / "sweeps"
    found = bundled_sweeps()
    assert list(found) == ["narrow", "wide"]
    assert found == {"narrow": sweeps / "narrow.toml", "wide": sweeps / "wide.toml"}


def test_the_shipped_sweeps_live_beside_the_shipped_scenarios() -> None:
    scenarios_dir = bundled_scenarios()["midsize"].parent
    assert bundled_sweeps()["size"] == scenarios_dir / "sweeps" / "size.toml"


# ------------------------------------------------------------------ locate_scenario


def test_a_missing_file_with_a_suffix_is_left_for_read_toml(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    assert locate_scenario(path) == path


def test_a_bare_name_that_exists_but_is_no_regular_file_is_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a FIFO exists and is no directory, but is_file() is false
    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe")
    assert locate_scenario("pipe") == Path("pipe")


def _no_such_scenario(name: str) -> Problem:
    with pytest.raises(ScenarioError) as info:
        locate_scenario(name)
    return only_problem(info)


def test_unknown_bare_name_lists_the_bundled_scenarios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bundled: dict[str, Any] = {"alpha": tmp_path / "alpha.toml", "beta": tmp_path / "beta.toml"}
    monkeypatch.setattr(files, "bundled_scenarios", lambda: bundled)
    assert _no_such_scenario("gamma") == Problem(
        "",
        "no such scenario file: gamma (nor a bundled scenario of that name; bundled: alpha, beta)",
    )


def test_unknown_bare_name_with_nothing_bundled_says_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(files, "bundled_scenarios", dict)
    assert _no_such_scenario("gamma") == Problem(
        "", "no such scenario file: gamma (nor a bundled scenario of that name; bundled: none)"
    )


# ------------------------------------------------------------------ locate_sweep


def _no_such_sweep(name: str) -> Problem:
    with pytest.raises(ScenarioError) as info:
        locate_sweep(name)
    return only_problem(info)


def test_a_bare_sweep_name_finds_the_bundled_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    wide = tmp_path / "shipped" / "wide.toml"
    wide.parent.mkdir()
    wide.write_text("", encoding="utf-8")
    monkeypatch.setattr(files, "bundled_sweeps", lambda: {"wide": wide})
    assert locate_sweep("wide") == wide


def test_unknown_bare_sweep_name_lists_the_bundled_sweeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bundled = {"narrow": tmp_path / "narrow.toml", "wide": tmp_path / "wide.toml"}
    monkeypatch.setattr(files, "bundled_sweeps", lambda: bundled)
    assert _no_such_sweep("medium") == Problem(
        "", "no such sweep file: medium (bundled sweeps: narrow, wide)"
    )


def test_unknown_bare_sweep_name_with_nothing_bundled_says_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(files, "bundled_sweeps", dict)
    assert _no_such_sweep("medium") == Problem(
        "", "no such sweep file: medium (bundled sweeps: none)"
    )


def test_a_missing_sweep_file_with_a_suffix_names_only_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(files, "bundled_sweeps", lambda: {"gone": tmp_path / "x.toml"})
    assert _no_such_sweep("gone.toml") == Problem("", "no such sweep file: gone.toml")
