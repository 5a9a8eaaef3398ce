"""The files of a calibration's folder, and reading a finished one back.

The names are here, apart from the calibration itself, so that what only reads a
finished calibration (explore's ``posterior`` design, ``compare --posterior``)
does not import pyabc or the sampler.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from orgsim.errors import ExperimentError

__all__ = [
    "HISTORY",
    "POSTERIOR",
    "PREDICTIVE",
    "PRIOR_PREDICTIVE",
    "STATE",
    "load_calibration",
]

STATE = "calibration.json"
HISTORY = "abc.db"
POSTERIOR = "posterior.csv"
PRIOR_PREDICTIVE = "prior-predictive.csv"
PREDICTIVE = "predictive.csv"


def load_calibration(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """A finished calibration's ``calibration.json``, checked.

    Raises:
        ExperimentError: The folder holds no finished calibration.
    """
    path = Path(folder) / STATE
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ExperimentError(
            f"no calibration in {folder}: run orgsim calibrate with --out {folder} first"
        ) from None
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"cannot read {path}: {exc}") from None
    if doc.get("kind") != "calibration" or doc.get("status") != "done":
        raise ExperimentError(
            f"the calibration in {folder} has not finished: resume it (orgsim calibrate "
            f"... --out {folder} --resume)"
        )
    if not (Path(folder) / POSTERIOR).is_file():
        raise ExperimentError(f"{folder} has no {POSTERIOR}: rerun the calibration")
    return doc
