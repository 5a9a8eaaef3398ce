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
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from orgsim.analysis.stats import Comparison
from orgsim.metrics.catalogue import BROKER_ONLY, label
from orgsim.metrics.catalogue import metric as catalogue_metric
from orgsim.metrics.format import format_number
from orgsim.metrics.vectorised import RESOLUTION_FORUMS
from orgsim.reporting.charts.common import axis_label, unit_suffix

__all__ = [
    "FLOW_SERIES",
    "FUNNEL_LABELS",
    "SERIES_METRICS",
    "SERIES_UNITS",
    "FunnelStage",
    "FunnelSummary",
    "band",
    "distribution_panels",
    "forest_rows",
    "funnel_bars",
    "funnel_stages",
    "metric_unit",
    "series_label",
    "series_panels",
    "series_unit",
    "summary",
    "values",
]

#: How the funnel names its stages and outcomes.
FUNNEL_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "raised": "Raised",
        "detected": "Detected",
        "resolved": "Resolved",
        "resolved_negotiation": "Resolved in negotiation",
        "resolved_mediation": "Resolved by the broker",
        "resolved_ceo": "Resolved by the CEO",
        "resolved_other": "Resolved elsewhere",
        "lapsed": "Lapsed",
        "open": "Still open",
    }
)
ARMS = ("on", "off")

#: The catalogue metric each quarterly series is the per-quarter view of, where
#: their names differ: the series shares its unit (``wip``: features).
SERIES_METRICS: Mapping[str, str] = MappingProxyType(
    {
        "wip": "wip_mean",
        "open_conflicts": "open_conflicts_mean",
        "headcount": "headcount_end",
        "credibility": "credibility_end",
    }
)
#: The units of the quarterly series no catalogue metric measures.
SERIES_UNITS: Mapping[str, str] = MappingProxyType({"budget_share": "share"})
#: The quarterly series that are a quarter's flow (summed over it), not a level at its end.
FLOW_SERIES = ("value_shipped", "features_shipped", "conflicts_raised", "conflicts_resolved")


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
        unit = metric_unit(metric, units)
        rel, low, high = 100.0 * c.relative, 100.0 * c.relative_low, 100.0 * c.relative_high
        constant = low == high  # the same difference in every pair: no interval to show
        ci = "" if math.isnan(low) or constant else f" [{low:+.1f}, {high:+.1f}]"
        delta = f"Δ {format_number(c.diff.mean, unit, signed=True)}"
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
                "text": f"{relative}{ci}",
                "delta": delta,
            }
        )
    width = max((len(r["text"]) for r in rows), default=0)
    for r in rows:  # the Δ column aligned, in the monospace the chart writes it in
        r["text"] = f"{r['text']:<{width}}   {r.pop('delta')}"
    return rows, skipped


def metric_unit(name: str, units: Mapping[str, str]) -> str:
    """A metric's unit: from ``units``, else the catalogue's (``utilisation.qa``: share)."""
    if name in units:
        return units[name]
    try:
        return catalogue_metric(name).unit
    except KeyError:
        return ""


def distribution_panels(
    on: Mapping[str, ArrayLike],
    off: Mapping[str, ArrayLike],
    metrics: Sequence[str],
    units: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """Per metric, its axis label, unit and each arm's :func:`summary`.

    A metric that exists with the broker only has no values without the broker
    (whatever placeholder the runs hold), so nothing of that arm is drawn.
    """
    return {
        metric: {
            "label": axis_label(metric, metric_unit(metric, units)),
            "unit": metric_unit(metric, units),
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


def series_unit(series: str, units: Mapping[str, str]) -> str:
    """The unit of a quarterly series (``wip``: features), from the metric catalogue.

    A series named like a metric takes its unit; one that is the quarterly view of
    a differently named metric (``wip`` of ``wip_mean``) takes that metric's; a
    department's series (``headcount.eng``) its family's.
    """
    base = series.removesuffix(".*").partition(".")[0]
    for name in (series, base, SERIES_METRICS.get(base, "")):
        if name in units:
            return units[name]
    return SERIES_UNITS.get(base, "")


def series_label(series: str, units: Mapping[str, str]) -> str:
    """A quarterly series' axis label: ``WIP (features)``, ``Value shipped per quarter``."""
    base = series.removesuffix(".*")
    per = " per quarter" if base.partition(".")[0] in FLOW_SERIES else ""
    return label(base) + per + unit_suffix(series_unit(series, units))


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
                "label": series_label(s, units),
                "unit": series_unit(s, units),
                **{arm: band(sources[arm][s]) for arm in ARMS},
            }
            continue
        base, members = fam
        depts = {
            key[len(base) + 1 :]: {
                arm: band(sources[arm][key]) for arm in ARMS if key in sources[arm]
            }
            for key in members
        }
        panels[s] = {
            "kind": "family",
            "label": series_label(base, units),
            "unit": series_unit(base, units),
            "depts": depts,
        }
    return panels


@attrs.frozen(kw_only=True)
class FunnelStage:
    """One bar of the conflict funnel: a stage reached, or one outcome of the raised.

    Attributes:
        key: The funnel count it reads (``raised``, ``resolved_ceo``, ``open``, ...).
        label: How the chart names it (``Resolved by the CEO``).
        part: ``"funnel"`` for raised and detected (each a subset of the one
            before), ``"outcome"`` for the partition of the raised conflicts.
        mean: Per arm (``on``, ``off``), the mean count per run; NaN without runs.
        share: Per arm, the mean count over the mean raised count; the outcomes'
            shares sum to 1 in an arm that raised any conflict.
        text: Per arm, the bar's annotation (``145.8 (91.0%)``; raised bare).
    """

    key: str
    label: str
    part: str
    mean: Mapping[str, float]
    share: Mapping[str, float]
    text: Mapping[str, str]


@attrs.frozen(kw_only=True)
class FunnelSummary:
    """The conflict funnel of both arms, as every report draws it.

    Attributes:
        stages: Raised and detected, then the outcomes, top to bottom.
        escalated: Per arm, the mean conflicts escalated to the CEO per run. An
            escalated conflict is then resolved by the CEO, lapses or stays open,
            so escalation overlaps the outcomes: a note, not a bar.
        split: Whether the resolved conflicts are split by forum; records stored
            before the funnel counted forums have ``resolved`` alone.
    """

    stages: tuple[FunnelStage, ...]
    escalated: Mapping[str, float]
    split: bool


def _arm_means(src: Mapping[str, ArrayLike], keys: Sequence[str]) -> dict[str, float]:
    """Mean count per run of each key; NaN for a key absent or without values."""
    return {
        k: float(np.mean(v)) if k in src and (v := values(src[k])).size else math.nan for k in keys
    }


def _has_forums(src: Mapping[str, ArrayLike]) -> bool:
    """Whether every run of an arm counted its resolutions by forum (none is NaN)."""
    keys = [f"resolved_{f}" for f in RESOLUTION_FORUMS]
    return all(k in src for k in keys) and all(
        not np.isnan(np.asarray(src[k], dtype=np.float64)).any() for k in keys
    )


def funnel_stages(
    funnel_on: Mapping[str, ArrayLike], funnel_off: Mapping[str, ArrayLike]
) -> FunnelSummary:
    """The funnel (raised, detected) and the partition of the raised conflicts' outcomes.

    The outcomes are resolved in negotiation, by the broker's mediation, by the CEO,
    lapsed and still open: each raised conflict ends in exactly one, so their
    shares of raised sum to 100 %. When an arm's records hold ``resolved`` alone
    (stored before the forums were counted) the outcomes are resolved, lapsed and
    open, unsplit for both arms, so the arms read alike. A resolution in a forum
    the funnel does not name would show as ``Resolved elsewhere``.

    Args:
        funnel_on: Funnel count to one count per run, with the broker.
        funnel_off: The same without the broker.

    Returns:
        The stages, the escalations per arm and whether resolved is split.
    """
    sources = {"on": funnel_on, "off": funnel_off}
    present = [src for src in sources.values() if src]
    split = bool(present) and all(_has_forums(src) for src in present)
    forum_keys = [f"resolved_{f}" for f in RESOLUTION_FORUMS]
    keys = ["raised", "detected", "resolved", "escalated", "lapsed", "open", *forum_keys]
    means = {arm: _arm_means(src, keys) for arm, src in sources.items()}
    outcomes = [*forum_keys, "resolved_other"] if split else ["resolved"]
    for m in means.values():  # what the named forums leave of resolved (0 in this model)
        m["resolved_other"] = m["resolved"] - sum(m[k] for k in forum_keys)
    if split and all(not abs(m["resolved_other"]) > 1e-9 for m in means.values()):
        outcomes.remove("resolved_other")
    outcomes += ["lapsed", "open"]
    stages = [
        _stage(key, "funnel" if key in ("raised", "detected") else "outcome", means)
        for key in ["raised", "detected", *outcomes]
    ]
    escalated = {arm: m["escalated"] for arm, m in means.items()}
    return FunnelSummary(stages=tuple(stages), escalated=escalated, split=split)


def _stage(key: str, part: str, means: Mapping[str, Mapping[str, float]]) -> FunnelStage:
    """One stage's means, shares of raised and annotations in both arms."""
    mean = {arm: m[key] for arm, m in means.items()}
    share = {arm: m[key] / m["raised"] if m["raised"] > 0 else math.nan for arm, m in means.items()}
    text = {
        arm: _stage_text(mean[arm], math.nan if key == "raised" else share[arm]) for arm in means
    }
    return FunnelStage(
        key=key, label=FUNNEL_LABELS[key], part=part, mean=mean, share=share, text=text
    )


def _stage_text(mean: float, share: float) -> str:
    """A bar's annotation: the mean count, with its share of raised when it has one."""
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.1f}" if math.isnan(share) else f"{mean:.1f} ({format_number(share, 'share')})"


def funnel_bars(
    funnel_on: Mapping[str, ArrayLike], funnel_off: Mapping[str, ArrayLike]
) -> tuple[list[str], dict[str, NDArray[np.float64]], dict[str, list[str]]]:
    """The stages of :func:`funnel_stages` as keys, per-arm mean arrays and bar texts.

    Kept for callers written before :class:`FunnelSummary`; its stages are now the
    funnel and the partition of outcomes (no ``escalated``), and its labels and
    shares are in :func:`funnel_stages`.
    """
    fs = funnel_stages(funnel_on, funnel_off)
    keys = [st.key for st in fs.stages]
    means = {arm: np.array([st.mean[arm] for st in fs.stages]) for arm in ARMS}
    texts = {arm: [st.text[arm] for st in fs.stages] for arm in ARMS}
    return keys, means, texts
