"""Paired samples: per arm and metric, the values of the replications every arm completed.

A comparison and each point of a sweep read their records the same way: keep the
runs that succeeded, keep the replications complete in every arm (so replication
``i`` of both arms shares its random streams, and the difference is paired), and
lay each metric out as one array per arm in replication order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from orgsim.metrics.catalogue import METRIC_NAMES
from orgsim.storage.results import RunRecord


def metric_names(records: Sequence[RunRecord]) -> list[str]:
    """The catalogue's metrics, then the extras a run reports (``headcount_end.<dept>``)."""
    names = list(METRIC_NAMES)
    for r in records:
        if r.status == "ok":
            names += [k for k in r.metrics if k not in names]
            break
    return names


def paired_samples(
    records: Sequence[RunRecord], arms: Sequence[str], names: Sequence[str] | None = None
) -> tuple[dict[str, dict[str, np.ndarray]], list[int]]:
    """Per arm and metric, the values over the replications complete in every arm.

    Args:
        records: The runs of one comparison or one design point.
        arms: The arms to pair (``("on", "off")``, or one arm for an unpaired sweep).
        names: The metrics to lay out (default: :func:`metric_names` of ``records``).

    Returns:
        The samples (a metric a run lacks is ``nan``) and the replications they cover.
    """
    names = metric_names(records) if names is None else list(names)
    ok: dict[str, dict[int, RunRecord]] = {a: {} for a in arms}
    for r in records:
        if r.status == "ok" and r.arm in ok:
            ok[r.arm][r.replication] = r
    reps = sorted(set.intersection(*(set(ok[a]) for a in arms))) if arms else []
    samples = {
        a: {
            m: np.array([ok[a][i].metrics.get(m, math.nan) for i in reps], dtype=float)
            for m in names
        }
        for a in arms
    }
    return samples, reps


#: The quarterly series a comparison charts and reports, in order: totals first,
#: then the per-department families (``name.*``, one series per department).
SERIES = ("value_shipped", "open_conflicts", "wip", "headcount", "headcount.*", "budget_share.*")


def arm_arrays(records: Sequence[RunRecord], arm: str, what: str) -> dict[str, np.ndarray]:
    """Runs × quarters arrays (``quarterly``) or per-run arrays (``funnel``) of one arm.

    A company that ran out of cash has fewer quarters than one that lasted: its
    series are padded with NaN after its failure, so the charts' medians and bands
    are over the companies still alive in each quarter.
    """
    rows = [r for r in records if r.arm == arm and r.status == "ok"]
    if not rows:
        return {}
    source = [getattr(r, what) for r in rows]
    keys = list(source[0])
    keys += [k for s in source[1:] for k in s if k not in keys]
    return {k: padded([s.get(k, math.nan) for s in source]) for k in keys}


def padded(values: Sequence[object]) -> np.ndarray:
    """One row per run; sequences of unequal length padded with NaN to the longest."""
    if not values or not all(isinstance(v, (list, tuple, np.ndarray)) for v in values):
        return np.array(values, dtype=float)
    width = max(len(v) for v in values)  # type: ignore[arg-type]
    out = np.full((len(values), width), math.nan)
    for i, v in enumerate(values):
        out[i, : len(v)] = v  # type: ignore[arg-type]
    return out
