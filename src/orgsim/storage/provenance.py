"""Provenance: which software, which command and when, kept with stored results.

A stored run or experiment should say how to make it again. Both databases keep
the versions of Python, orgsim and its dependencies, the command line, and a UTC
timestamp; this module is where those come from, so the two never disagree on
what "the versions" are.
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
from collections.abc import Sequence
from importlib import metadata as importlib_metadata

from orgsim._version import __version__

__all__ = ["DEPENDENCIES", "command_line", "utc_now", "versions"]

#: Distributions whose versions are recorded (those not installed are left out).
DEPENDENCIES = (
    "simpy",
    "numpy",
    "attrs",
    "cattrs",
    "rich",
    "matplotlib",
    "pyarrow",
    "dask",
    "distributed",
    "SALib",
    "scipy",
    "statsmodels",
    "plotly",
    "tomli_w",
)


def versions() -> dict[str, str]:
    """Versions of Python, orgsim and its dependencies (where installed)."""
    out = {"python": platform.python_version(), "orgsim": __version__}
    for dist in DEPENDENCIES:
        try:
            out[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            continue
    return out


def command_line(command: Sequence[str] | None = None) -> str:
    """The command as one line: ``command`` if given, else this process's ``sys.argv``."""
    return " ".join(command if command is not None else sys.argv)


def utc_now(timespec: str = "seconds") -> str:
    """The current UTC time in ISO 8601 (``...+00:00``), to ``timespec`` precision."""
    return dt.datetime.now(dt.UTC).isoformat(timespec=timespec)
