"""docs/value-tests.md names real tests: every ``file::test`` it cites exists.

The page maps each mechanism, state handler, metric and statistic to the test that
pins its value by hand; a test renamed or removed would leave the map pointing at
nothing, so each reference is resolved here. Abbreviations (``PV::``, ``more::``)
are the ones the page defines; ``::test`` alone continues the file before it in
the row, and a name without ``::`` in the state-handler table is in
``tests/engine/test_state_values.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "value-tests.md"
_REF = re.compile(r"(?:([\w/]+\.py)|\b([A-Za-z]+))?::(test_\w+)(\*|…)?")
_BARE = re.compile(r"(?<![:\w])(test_\w+)(\*|…)?")


def legend(text: str) -> dict[str, str]:
    """The page's abbreviations of test files."""
    found = {m[1]: m[2] for m in re.finditer(r"\b([A-Z]+) = ([\w/]+\.py)", text)}
    found |= {m[1]: f"engine/{m[2]}" for m in re.finditer(r"`(\w+)::` \((test_\w+\.py)\)", text)}
    return found


def defined(path: Path, name: str, prefix: bool) -> bool:
    """Whether ``path`` defines a test ``name`` (or, for ``name*``, one starting so)."""
    pattern = "^def " + re.escape(name) + ("" if prefix else r"\b")
    return path.exists() and re.search(pattern, path.read_text(), re.MULTILINE) is not None


def references(text: str) -> list[tuple[str, str, bool]]:
    """Every (file, test, is-a-prefix) the tables cite."""
    short = legend(text)
    out = []
    handlers = False
    for line in text.splitlines():
        if line.startswith("## "):
            handlers = line.startswith("## 2.")
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        last = None
        for m in _REF.finditer(line):
            file = m[1] or (short[m[2]] if m[2] else last)
            assert file is not None, f"no file for {m[0]!r} in: {line}"
            last = file
            out.append((file, m[3], m[4] is not None))
        if handlers:
            cells = line.split(" | ")
            for m in _BARE.finditer(_REF.sub("", cells[1]) if len(cells) > 1 else ""):
                out.append(("engine/test_state_values.py", m[1], m[2] is not None))
    return out


def test_every_test_the_value_map_cites_exists() -> None:
    refs = references(DOC.read_text())
    assert len(refs) > 250  # the page is a map of the whole model, not a sample
    missing = [f"{f}::{t}" for f, t, prefix in refs if not defined(ROOT / "tests" / f, t, prefix)]
    assert missing == []


def test_a_renamed_test_would_be_caught() -> None:
    # The check itself: a reference to a test that is not there is reported.
    text = "## 2. x\n| A | engine/test_flows.py::test_no_such_test; test_nor_this |\n"
    refs = references(text)
    assert refs == [
        ("engine/test_flows.py", "test_no_such_test", False),
        ("engine/test_state_values.py", "test_nor_this", False),
    ]
    assert not any(defined(ROOT / "tests" / f, t, p) for f, t, p in refs)
