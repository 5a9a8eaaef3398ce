"""Input files: TOML with FILE:LINE:COL errors; the scenarios, sweeps and explore files we ship.

Scenario and sweep files are read the same way, so a syntax error in either points
at the same ``FILE:LINE:COL`` an editor can jump to, and a bare name
(``orgsim run midsize``) finds the file shipped inside the package from any
directory.
"""

from __future__ import annotations

import codecs
import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from orgsim.errors import Problem, ScenarioError

__all__ = [
    "bundled_explores",
    "bundled_observations",
    "bundled_scenarios",
    "bundled_sweeps",
    "locate_explore",
    "locate_scenario",
    "locate_sweep",
    "read_toml",
    "toml_position",
]

_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def toml_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int, int, str]:
    """Line, column and bare message of a TOML syntax error.

    Python 3.11's ``TOMLDecodeError`` has no position attributes, only a
    ``(at line X, column Y)`` or ``(at end of document)`` suffix on its message.
    """
    message = str(exc)
    match = _POSITION.search(message)
    if match:
        return int(match[1]), int(match[2]), message[: match.start()]
    match = _AT_END.search(message)
    if match:
        lines = text.split("\n")
        return len(lines), len(lines[-1]) + 1, message[: match.start()]
    return 1, 1, message


def read_toml(file: Path, *, what: str = "scenario") -> dict[str, Any]:
    """The parsed contents of a TOML file.

    A UTF-8 byte-order mark, which some Windows editors write, is skipped: TOML
    forbids it, but the text is otherwise valid and the user meant nothing by it.

    Args:
        file: The file to read.
        what: What kind of file it should be (``scenario``, ``sweep``), for the
            messages about a missing file or a directory.

    Raises:
        ScenarioError: The file is missing, unreadable, not UTF-8, or not valid
            TOML; a syntax error's source is ``FILE:LINE:COL``.
    """
    source = str(file)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem("", f"no such {what} file: {source}")]) from None
    except IsADirectoryError:
        raise ScenarioError(
            [Problem("", f"is a directory, not a {what} file")], source=source
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScenarioError([Problem("", f"cannot read: {reason}")], source=source) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        problem = Problem(
            "", "is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8"
        )
        raise ScenarioError([problem], source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = Problem("", f"not UTF-8 text (bad byte at offset {exc.start})")
        raise ScenarioError([problem], source=source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column, message = toml_position(exc, text)
        raise ScenarioError([Problem("", message)], source=f"{source}:{line}:{column}") from None


def _bundled(*folder: str) -> dict[str, Path]:
    """The ``.toml`` files of a folder under the package's ``data``, by stem, sorted."""
    try:
        root = resources.files("orgsim") / "data"
        for part in folder:
            root = root / part
        if not root.is_dir():
            return {}
        entries = [e for e in root.iterdir() if e.is_file() and e.name.endswith(".toml")]
    except (OSError, ModuleNotFoundError):
        return {}
    found = {e.name.removesuffix(".toml"): Path(str(e)) for e in entries}
    return dict(sorted(found.items()))


def bundled_scenarios() -> dict[str, Path]:
    """Scenarios shipped inside the package, by name, sorted by name.

    They let ``orgsim run midsize`` work from any directory. Returns ``{}`` when the
    package ships none.
    """
    return _bundled("scenarios")


def bundled_sweeps() -> dict[str, Path]:
    """Sweeps shipped inside the package, by name, sorted by name."""
    return _bundled("scenarios", "sweeps")


def bundled_observations() -> dict[str, Path]:
    """Observations files shipped inside the package, by name, sorted by name."""
    return _bundled("scenarios", "observed")


def bundled_explores() -> dict[str, Path]:
    """Explore files shipped inside the package, by name, sorted by name."""
    return _bundled("scenarios", "explore")


def locate_scenario(path: str | os.PathLike[str]) -> Path:
    """The file to read: ``path`` itself, or the bundled scenario of that name.

    A bare name (no suffix) that is no file here is looked up among the bundled
    scenarios; a missing file with a suffix is left for :func:`read_toml` to report.
    A folder of that name does not hide a bundled scenario (``--out startup`` makes
    one), since a folder is never a scenario file.

    Raises:
        ScenarioError: ``path`` is a bare name that is neither a file nor bundled.
    """
    file = Path(path)
    if file.suffix or file.is_file() or (file.exists() and not file.is_dir()):
        return file
    if file.is_dir() and os.fspath(path) not in bundled_scenarios():
        return file  # read_toml says it is a directory
    bundled = bundled_scenarios()
    if os.fspath(path) in bundled:
        return bundled[os.fspath(path)]
    known = ", ".join(bundled) or "none"
    raise ScenarioError(
        [
            Problem(
                "",
                f"no such scenario file: {os.fspath(path)} "
                f"(nor a bundled scenario of that name; bundled: {known})",
            )
        ]
    )


def locate_sweep(path: str | os.PathLike[str]) -> Path:
    """The sweep file to read: ``path`` itself, or the bundled sweep of that name.

    Raises:
        ScenarioError: No such file, nor (for a bare name) a bundled sweep.
    """
    file = Path(path)
    if not file.suffix and not file.exists():
        bundled = bundled_sweeps()
        if os.fspath(path) not in bundled:
            known = ", ".join(bundled) or "none"
            raise ScenarioError(
                [Problem("", f"no such sweep file: {file} (bundled sweeps: {known})")]
            )
        file = bundled[os.fspath(path)]
    if not file.exists():
        raise ScenarioError([Problem("", f"no such sweep file: {file}")])
    return file


def locate_explore(path: str | os.PathLike[str]) -> Path:
    """The explore file to read: ``path`` itself, or the bundled explore file of that name.

    Raises:
        ScenarioError: No such file, nor (for a bare name) a bundled explore file.
    """
    file = Path(path)
    if not file.suffix and not file.exists():
        bundled = bundled_explores()
        if os.fspath(path) not in bundled:
            known = ", ".join(bundled) or "none"
            raise ScenarioError(
                [Problem("", f"no such explore file: {file} (bundled explore files: {known})")]
            )
        file = bundled[os.fspath(path)]
    if not file.exists():
        raise ScenarioError([Problem("", f"no such explore file: {file}")])
    return file
