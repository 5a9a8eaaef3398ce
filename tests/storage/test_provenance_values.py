"""provenance.versions by value: a dependency that is not installed is left out, alone."""

from __future__ import annotations

import platform
from importlib import metadata as importlib_metadata

import pytest

import orgsim
from orgsim.storage.provenance import DEPENDENCIES, versions


def test_a_missing_dependency_is_skipped_and_the_later_ones_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every distribution "installed" at version "<name>-9", except attrs (the third of
    # fourteen): the eleven after it are still recorded, in DEPENDENCIES' order.
    def version(dist: str) -> str:
        if dist == "attrs":
            raise importlib_metadata.PackageNotFoundError(dist)
        return f"{dist}-9"

    monkeypatch.setattr(importlib_metadata, "version", version)
    found = versions()
    assert list(found.items()) == [
        ("python", platform.python_version()),
        ("orgsim", orgsim.__version__),
        ("simpy", "simpy-9"),
        ("numpy", "numpy-9"),
        ("cattrs", "cattrs-9"),
        ("rich", "rich-9"),
        ("matplotlib", "matplotlib-9"),
        ("pyarrow", "pyarrow-9"),
        ("dask", "dask-9"),
        ("distributed", "distributed-9"),
        ("SALib", "SALib-9"),
        ("scipy", "scipy-9"),
        ("statsmodels", "statsmodels-9"),
        ("plotly", "plotly-9"),
        ("tomli_w", "tomli_w-9"),
    ]
    assert len(DEPENDENCIES) == 14
