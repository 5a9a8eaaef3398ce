"""The numbers behind a comparison's charts: per-arm summaries over replications.

Each function turns the samples of the two arms into exactly what one chart of
:mod:`orgsim.reporting.charts.compare` draws, and what that chart returns as its
``data``: so a test (or a notebook) reads the numbers without drawing anything.
No matplotlib here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from orgsim.analysis.stats import Comparison
from orgsim.metrics.catalogue import BROKER_ONLY, label
from orgsim.metrics.format import format_number
from orgsim.reporting.charts.common import axis_label

__all__ = [
    "FUNNEL_STAGES",
    "band",
    "distribution_panels",
    "forest_rows",
    "funnel_bars",
    "series_panels",
    "summary",
    "values",
]

FUNNEL_STAGES = ("raised", "detected", "resolved", "escalated", "lapsed", "open")
ARMS = ("on", "off")


def values(x: ArrayLike) -> NDArray[np.float64]:
    """1-D float array without NaNs."""
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    return arr[~np.isnan(arr)]


def summary(v: NDArray[np.float64]) -> dict[str, Any]:
    """The values with their mean, median and quartiles (NaN when there are none)."""
    if v.size == 0:
        return {"values": v, "mean": math.nan, "median": math.nan, "q1": math.nan, "q3": math.nan}
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {
        "values": v,
        "mean": float(np.mean(v)),
        "median": float(med),
        "q1": float(q1),
        "q3": float(q3),
    }


def band(x: ArrayLike) -> dict[str, NDArray[np.float64]]:
    """Per quarter, the median and 10th-90th percentiles over runs (NaN-aware)."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2:
        raise ValueError(f"quarterly series must be runs x quarters, got shape {arr.shape}")
    quarters = np.arange(1, arr.shape[1] + 1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN quarters
        median = np.nanmedian(arr, axis=0)
        p10, p90 = np.nanpercentile(arr, [10, 90], axis=0)
    return {"quarter": quarters, "median": median, "p10": p10, "p90": p90}


def forest_rows(
    comparisons: Mapping[str, Comparison], units: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The forest plot's rows, and the metrics left out (no relative difference)."""
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for metric, c in comparisons.items():
        if math.isnan(c.relative):
            skipped.append(metric)
            continue
        unit = units.get(metric, "")
        rel, low, high = 100.0 * c.relative, 100.0 * c.relative_low, 100.0 * c.relative_high
        ci = "" if math.isnan(low) else f" [{low:+.1f}, {high:+.1f}]"
        delta = f"Δ {format_number(c.diff.mean, style='precise', signed=True)}"
        relative = format_number(c.relative, "share", signed=True)
        rows.append(
            {
                "metric": metric,
                "label": label(metric),
                "relative_pct": rel,
                "low_pct": low,
                "high_pct": high,
                "outcome": c.outcome,
                "diff": c.diff.mean,
                "unit": unit,
                "text": f"{relative}{ci}   {delta}" + (f" {unit}" if unit else ""),
            }
        )
    return rows, skipped


def distribution_panels(
    on: Mapping[str, ArrayLike],
    off: Mapping[str, ArrayLike],
    metrics: Sequence[str],
    units: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """Per metric, its axis label and each arm's :func:`summary`.

    A metric that exists with the broker only has no values without the broker
    (whatever placeholder the runs hold), so nothing of that arm is drawn.
    """
    return {
        metric: {
            "label": axis_label(metric, units.get(metric, "")),
            "on": summary(values(on[metric])),
            "off": summary(values([] if metric in BROKER_ONLY else off[metric])),
        }
        for metric in metrics
    }


def _family_members(series: str, keys: Sequence[str]) -> tuple[str, list[str]] | None:
    """``(base, members)`` when ``series`` names a ``base.<dept>`` family, else None."""
    if series.endswith(".*"):
        base = series[:-2]
    elif series not in keys:
        base = series
    else:
        return None
    members = [k for k in keys if k.startswith(base + ".")]
    if not members:
        raise KeyError(f"no quarterly series {series!r} (nor any '{base}.<dept>')")
    return base, members


def series_panels(
    quarterly_on: Mapping[str, ArrayLike],
    quarterly_off: Mapping[str, ArrayLike],
    series: Sequence[str],
    units: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """Per requested series, the bands of a plain series or of a family's members."""
    keys = list(quarterly_on) + [k for k in quarterly_off if k not in quarterly_on]
    sources = {"on": quarterly_on, "off": quarterly_off}
    panels: dict[str, dict[str, Any]] = {}
    for s in series:
        fam = _family_members(s, keys)
        if fam is None:
            panels[s] = {
                "kind": "series",
                "label": axis_label(s, units.get(s, "")),
                **{arm: band(sources[arm][s]) for arm in ARMS},
            }
            continue
        base, members = fam
        unit = units.get(s) or units.get(base) or units.get(members[0], "")
        depts = {
            key[len(base) + 1 :]: {
                arm: band(sources[arm][key]) for arm in ARMS if key in sources[arm]
            }
            for key in members
        }
        panels[s] = {"kind": "family", "label": axis_label(base, unit), "depts": depts}
    return panels


def funnel_bars(
    funnel_on: Mapping[str, ArrayLike], funnel_off: Mapping[str, ArrayLike]
) -> tuple[list[str], dict[str, NDArray[np.float64]], dict[str, list[str]]]:
    """The funnel's stages in order, each arm's mean count per stage, and bar texts."""
    keys = list(funnel_on) + [k for k in funnel_off if k not in funnel_on]
    stages = [s for s in FUNNEL_STAGES if s in keys] + [k for k in keys if k not in FUNNEL_STAGES]
    means: dict[str, NDArray[np.float64]] = {}
    texts: dict[str, list[str]] = {}
    for arm, src in (("on", funnel_on), ("off", funnel_off)):
        m = np.array(
            [
                float(np.mean(v)) if s in src and (v := values(src[s])).size else math.nan
                for s in stages
            ]
        )
        means[arm] = m
        raised = float(m[stages.index("raised")]) if "raised" in stages else math.nan
        arm_text = []
        for s, value in zip(stages, m, strict=True):
            if math.isnan(value):
                arm_text.append("n/a")
            elif s != "raised" and raised > 0:
                arm_text.append(f"{value:.1f} ({value / raised:.0%})")
            else:
                arm_text.append(f"{value:.1f}")
        texts[arm] = arm_text
    return stages, means, texts
