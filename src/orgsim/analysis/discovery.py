"""The answers of an exploratory-modelling ensemble: which lever pays, how often, where, and why.

This is EMA Workbench's XLRM framing (Lempert, Popper and Bankes 2003; Kwakkel
2017): uncertainties X sampled into an ensemble of points, levers L (the broker
policies) run at every point with common random numbers, an outcome metric M.
:func:`analyse_ensemble` turns the outcome arrays into:

* per lever, the probability it beats the reference and its paired effect
  (:mod:`orgsim.analysis.levers`, numpy only);
* every lever's regret and the minimax-regret lever (same module);
* **scenario discovery** of where the focus lever pays (y = its paired effect is
  better than zero): a PRIM box (Friedman and Fisher 1999; Bryant and Lempert
  2010) from EMA Workbench, and a shallow CART tree (Breiman et al. 1984) from
  scikit-learn;
* **feature scores** of the uncertainties for the focus lever's effect, from an
  extra-trees regression (Geurts, Ernst and Wehenkel 2006; the settings of EMA
  Workbench's ``get_ex_feature_scores``, after Jaxa-Rozen and Kwakkel 2018);
* optionally, the SALib indices of that effect when the ensemble is a SALib
  design (:mod:`orgsim.analysis.sensitivity`).

PRIM, CART and the feature scores need the ``explore`` extra (EMA Workbench,
scikit-learn, pandas). They are imported only inside the functions that use them,
and :func:`analyse_ensemble` refuses to start without them, raising an
:class:`~orgsim.errors.ExperimentError` that names the missing packages and the
install command, rather than return a partial answer a reader could mistake for
the whole one. The numpy answers stay available on their own in
:mod:`orgsim.analysis.levers`.

Every random choice (the extra-trees, CART's tie-breaking among equal splits) is
seeded with ``seed``, and PRIM is deterministic, so the same arrays and seed give
the same analysis. docs/discovery.md says how each answer is computed and read.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from orgsim.analysis import sensitivity as salib
from orgsim.analysis.levers import (
    BETTER,
    LeverSummary,
    Proportion,
    Regret,
    lever_summary,
    regret,
)
from orgsim.analysis.stats import Estimate
from orgsim.errors import ExperimentError

__all__ = [
    "EXPLORE_PACKAGES",
    "INSTALL_HINT",
    "Box",
    "CartLeaf",
    "CartResult",
    "EnsembleAnalysis",
    "FeatureScores",
    "PrimResult",
    "PrimStep",
    "SensitivityDesign",
    "analyse_ensemble",
    "cart_tree",
    "feature_scores",
    "json_plain",
    "missing_packages",
    "prim_box",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'orgsim[explore]'"
#: Import name to distribution name of what scenario discovery needs.
EXPLORE_PACKAGES = {"ema_workbench": "ema_workbench", "sklearn": "scikit-learn", "pandas": "pandas"}
# EMA Workbench's default minimum box mass, also CART's minimum leaf share: a box
# or leaf of fewer than 5 % of the points describes too few to act on.
MASS_MIN = 0.05
CART_DEPTH = 3  # at most 8 leaves: rules a reader can hold in mind
FOREST_TREES = 100  # EMA Workbench's get_ex_feature_scores default


def json_plain(value: Any) -> Any:
    """Plain JSON data: NaN and infinities as None, numpy scalars and arrays as Python.

    The analysis layer's own copy of the storage layer's ``json_safe`` (which sits
    in a higher layer this module may not import).
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return json_plain(value.item())
    if isinstance(value, np.ndarray):
        return [json_plain(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): json_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_plain(v) for v in value]
    return value


def missing_packages() -> tuple[str, ...]:
    """The distributions of the ``explore`` extra that are not installed."""
    return tuple(
        dist for mod, dist in EXPLORE_PACKAGES.items() if importlib.util.find_spec(mod) is None
    )


def _needs(exc: ImportError, what: str) -> ExperimentError:
    name = exc.name or str(exc)
    return ExperimentError(f"{what} needs {name}, which is not installed: {INSTALL_HINT}")


@contextlib.contextmanager
def _quiet_ema() -> Iterator[None]:
    """EMA Workbench's import warnings and INFO chatter, silenced for one call.

    Importing it warns that ipyparallel (a cluster evaluator orgsim does not use)
    and altair (interactive plots) are missing, and PRIM logs every box at INFO
    on the ``EMA`` logger; none of it concerns an orgsim user.
    """
    ema = logging.getLogger("EMA")
    level = ema.level
    ema.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        ema.setLevel(level)


def _frame(x: Mapping[str, NDArray[Any]], rows: NDArray[np.bool_] | None = None) -> Any:
    """A pandas frame of the uncertainties: integers stay integers, the rest floats."""
    import pandas as pd

    cols: dict[str, NDArray[Any]] = {}
    for name, values in x.items():
        arr = np.asarray(values)
        arr = arr.astype(np.int64) if arr.dtype.kind in "biu" else arr.astype(np.float64)
        cols[name] = arr if rows is None else arr[rows]
    return pd.DataFrame(cols)


# --- PRIM -----------------------------------------------------------------------


@attrs.frozen
class PrimStep:
    """One box on PRIM's peeling (and pasting) trajectory.

    Attributes:
        step: Its index on the trajectory (0 is the whole ensemble).
        coverage: Share of all paying points that are inside the box.
        density: Share of the points inside the box that pay.
        mass: Share of all points inside the box.
        restricted: Number of uncertainties the box restricts.
        n: Points inside the box.
        k: Paying points inside the box.
    """

    step: int
    coverage: float
    density: float
    mass: float
    restricted: int
    n: int
    k: int


@attrs.frozen
class Box:
    """A box's limits on one uncertainty it restricts.

    Attributes:
        name: The uncertainty (dotted path or ``scale``).
        low: Lower limit of the box.
        high: Upper limit of the box.
        observed_low: Smallest value the ensemble sampled.
        observed_high: Largest value the ensemble sampled.
        qp_low: Quasi-p-value of the lower limit (Bryant and Lempert 2010: the
            one-sided binomial probability that removing it would leave the box
            as dense by chance); NaN where the limit is not restricted.
        qp_high: Quasi-p-value of the upper limit.
    """

    name: str
    low: float
    high: float
    observed_low: float
    observed_high: float
    qp_low: float = math.nan
    qp_high: float = math.nan

    @property
    def qp(self) -> float:
        """The larger (weaker) of the two quasi-p-values that exist (NaN if none)."""
        found = [q for q in (self.qp_low, self.qp_high) if math.isfinite(q)]
        return max(found) if found else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return json_plain(attrs.asdict(self) | {"qp": self.qp})


@attrs.frozen
class PrimResult:
    """A PRIM box saying where the focus lever pays.

    Attributes:
        trajectory: Every box PRIM peeled and pasted, from the whole ensemble on.
        chosen: Index of the step reported (see :func:`prim_box`).
        why: Why that step, in words.
        coverage: The chosen box's coverage.
        density: The chosen box's density.
        mass: The chosen box's mass.
        limits: The chosen box's limits on each uncertainty it restricts (an
            uncertainty whose limits equal its observed range is left out), most
            significant (smallest quasi-p) first.
        threshold: The density threshold of the choice.
        points: Points analysed.
        paying: Points where the lever pays.
        observed: Every uncertainty's observed (min, max), for charts.
    """

    trajectory: tuple[PrimStep, ...]
    chosen: int
    why: str
    coverage: float
    density: float
    mass: float
    limits: tuple[Box, ...]
    threshold: float
    points: int
    paying: int
    observed: dict[str, tuple[float, float]] = attrs.field(eq=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return json_plain(
            {
                "chosen": self.chosen,
                "why": self.why,
                "coverage": self.coverage,
                "density": self.density,
                "mass": self.mass,
                "threshold": self.threshold,
                "points": self.points,
                "paying": self.paying,
                "limits": [b.to_dict() for b in self.limits],
                "trajectory": [attrs.asdict(s) for s in self.trajectory],
                "observed": {k: list(v) for k, v in self.observed.items()},
            }
        )


def _choose(steps: tuple[PrimStep, ...], threshold: float) -> tuple[int, str]:
    """The step with the highest coverage among those dense enough; else the densest.

    Ties go to the denser box, then to the earlier (larger, simpler) one.
    """
    dense = [s for s in steps if s.density >= threshold]
    if dense:
        best = max(dense, key=lambda s: (s.coverage, s.density, -s.step))
        return best.step, (
            f"step {best.step} of {len(steps) - 1}: the highest coverage "
            f"({best.coverage:.2f}) among the {len(dense)} boxes with density "
            f">= {threshold:g}"
        )
    best = max(steps, key=lambda s: (s.density, s.coverage, -s.step))
    return best.step, (
        f"step {best.step} of {len(steps) - 1}: no box reaches density {threshold:g}, "
        f"so the densest ({best.density:.2f})"
    )


def _qp(value: float) -> float:
    """EMA Workbench writes -1 for "no quasi-p-value" (an unrestricted side)."""
    return math.nan if value < 0 else float(value)


def prim_box(
    x: Mapping[str, NDArray[Any]], y: NDArray[Any], *, threshold: float = 0.8
) -> PrimResult | str:
    """A PRIM box of the points where ``y`` is true, with EMA Workbench's PRIM.

    PRIM peels, one small slice (5 % of the points, EMA's ``peel_alpha``) at a
    time, the slice of one uncertainty's range whose removal raises the share of
    true points inside the box the most per point lost (EMA's lenient objective),
    until the box holds 5 % of the points (``mass_min``), then pastes slices back
    while that keeps the density up. Each box on that trajectory trades coverage
    against density. The box reported is the one with the highest coverage among
    those with density ``>= threshold``, or the densest if none reaches it.

    EMA's own ``threshold`` only classifies the points and decides whether to
    keep the last box or fall back to the whole ensemble; as the choice of box is
    made here, over the whole trajectory, EMA is given a threshold just above
    zero so that it always keeps the trajectory.

    Args:
        x: Uncertainty name to its value at each point, shape ``(n,)``.
        y: Whether the lever pays at each point (boolean, shape ``(n,)``).
        threshold: Density the box should reach.

    Returns:
        The box, or why there is none (every point pays, or none does).

    Raises:
        ExperimentError: EMA Workbench or pandas is not installed.
    """
    pays = np.asarray(y, dtype=bool)
    n, k = int(pays.size), int(pays.sum())
    if k == 0 or k == n:
        return f"the lever pays at {'every' if k else 'no'} point of {n}: nothing to discover"
    try:
        with _quiet_ema():
            from ema_workbench.analysis import prim
    except ImportError as exc:
        raise _needs(exc, "PRIM scenario discovery") from None
    frame = _frame(x)
    with _quiet_ema():
        algo = prim.Prim(frame, pays.astype(int), threshold=1e-9)
        box = algo.find_box()
    traj = box.peeling_trajectory
    steps = tuple(
        PrimStep(
            step=i,
            coverage=float(traj["coverage"].iloc[i]),
            density=float(traj["density"].iloc[i]),
            mass=float(traj["mass"].iloc[i]),
            restricted=int(traj["res_dim"].iloc[i]),
            n=int(traj["n"].iloc[i]),
            k=int(traj["k"].iloc[i]),
        )
        for i in range(len(traj))
    )
    chosen, why = _choose(steps, threshold)
    initial, lims, qps = algo.box_init, box.box_lims[chosen], box.qp[chosen]
    observed = {
        name: (float(initial[name].iloc[0]), float(initial[name].iloc[1])) for name in frame
    }
    limits = []
    for name in frame:
        low, high = float(lims[name].iloc[0]), float(lims[name].iloc[1])
        lo_obs, hi_obs = observed[name]
        if low > lo_obs or high < hi_obs:
            qp_low, qp_high = qps.get(name, (-1.0, -1.0))
            limits.append(Box(name, low, high, lo_obs, hi_obs, _qp(qp_low), _qp(qp_high)))
    limits.sort(key=lambda b: (b.qp if math.isfinite(b.qp) else 2.0, b.name))
    s = steps[chosen]
    return PrimResult(
        trajectory=steps,
        chosen=chosen,
        why=why,
        coverage=s.coverage,
        density=s.density,
        mass=s.mass,
        limits=tuple(limits),
        threshold=threshold,
        points=n,
        paying=k,
        observed=observed,
    )


# --- CART -----------------------------------------------------------------------


@attrs.frozen
class CartLeaf:
    """One leaf of the CART tree, as a box.

    Attributes:
        limits: Uncertainty to its (low, high) in the leaf, for the uncertainties
            the path to it splits on; ``low < value <= high`` (scikit-learn sends
            ``value <= threshold`` left), the observed range where one side is open.
        n: Points in the leaf.
        paying: Paying points in the leaf.
        share: ``paying / n``.
    """

    limits: dict[str, tuple[float, float]] = attrs.field(eq=False)
    n: int
    paying: int
    share: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return json_plain(
            {
                "limits": {k: list(v) for k, v in self.limits.items()},
                "n": self.n,
                "paying": self.paying,
                "share": self.share,
            }
        )


@attrs.frozen
class CartResult:
    """A shallow classification tree of where the lever pays.

    Attributes:
        rules: The tree as text (``sklearn.tree.export_text``).
        leaves: Its leaves, highest share paying first.
        depth: Maximum depth allowed.
        min_leaf: Minimum points per leaf.
        accuracy: Share of the points the tree classifies right (in sample).
        points: Points analysed.
    """

    rules: str
    leaves: tuple[CartLeaf, ...]
    depth: int
    min_leaf: int
    accuracy: float
    points: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return json_plain(
            {
                "rules": self.rules,
                "leaves": [leaf.to_dict() for leaf in self.leaves],
                "depth": self.depth,
                "min_leaf": self.min_leaf,
                "accuracy": self.accuracy,
                "points": self.points,
            }
        )


def cart_tree(
    x: Mapping[str, NDArray[Any]],
    y: NDArray[Any],
    *,
    seed: int,
    depth: int = CART_DEPTH,
    min_leaf: int | None = None,
) -> CartResult | str:
    """A CART tree (scikit-learn's ``DecisionTreeClassifier``) of where ``y`` is true.

    Args:
        x: Uncertainty name to its value at each point.
        y: Whether the lever pays at each point.
        seed: ``random_state`` of the tree (it breaks ties between equal splits).
        depth: Maximum depth.
        min_leaf: Minimum points per leaf; default 5 % of the points (EMA
            Workbench's ``mass_min``), at least 1.

    Returns:
        The tree, or why there is none (every point pays, or none does).

    Raises:
        ExperimentError: scikit-learn is not installed.
    """
    pays = np.asarray(y, dtype=bool)
    n, k = int(pays.size), int(pays.sum())
    if k == 0 or k == n:
        return f"the lever pays at {'every' if k else 'no'} point of {n}: nothing to discover"
    try:
        from sklearn.tree import DecisionTreeClassifier, export_text
    except ImportError as exc:
        raise _needs(exc, "CART scenario discovery") from None
    names = list(x)
    data = np.column_stack([np.asarray(x[name], dtype=np.float64) for name in names])
    leaf_size = max(1, int(MASS_MIN * n)) if min_leaf is None else min_leaf
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf_size, random_state=seed)
    tree.fit(data, pays)
    rules = export_text(tree, feature_names=names, decimals=3)
    where = tree.apply(data)
    t = tree.tree_
    observed = {
        name: (float(data[:, j].min()), float(data[:, j].max())) for j, name in enumerate(names)
    }
    leaves = []
    stack: list[tuple[int, dict[str, tuple[float, float]]]] = [(0, {})]
    while stack:
        node, bounds = stack.pop()
        left, right = int(t.children_left[node]), int(t.children_right[node])
        if left == -1:  # a leaf
            inside = where == node
            count, paid = int(inside.sum()), int(pays[inside].sum())
            leaves.append(CartLeaf(bounds, count, paid, paid / count if count else math.nan))
            continue
        name, cut = names[int(t.feature[node])], float(t.threshold[node])
        low, high = bounds.get(name, observed[name])
        stack.append((right, bounds | {name: (cut, high)}))
        stack.append((left, bounds | {name: (low, cut)}))
    leaves.sort(key=lambda leaf: (-leaf.share, -leaf.n))
    accuracy = float(np.mean(tree.predict(data) == pays))
    return CartResult(rules, tuple(leaves), depth, leaf_size, accuracy, n)


# --- feature scores -------------------------------------------------------------


@attrs.frozen
class FeatureScores:
    """How much each uncertainty drives the focus lever's effect (extra-trees).

    Attributes:
        names: Uncertainties, highest score first.
        scores: Their impurity-based importances (sum to 1), same order.
        oob_r2: Out-of-bag R² of the forest: the share of the effect's variance
            over the points the uncertainties explain (the rest is replication
            noise or structure the trees miss); NaN when too few points.
        points: Points analysed.
    """

    names: tuple[str, ...]
    scores: tuple[float, ...]
    oob_r2: float
    points: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return json_plain(
            {
                "scores": dict(zip(self.names, self.scores, strict=True)),
                "oob_r2": self.oob_r2,
                "points": self.points,
            }
        )


def feature_scores(
    x: Mapping[str, NDArray[Any]], y: NDArray[Any], *, seed: int, trees: int = FOREST_TREES
) -> FeatureScores | str:
    """Extra-trees feature scores of the uncertainties for an outcome ``y`` (regression).

    The settings are EMA Workbench's ``get_ex_feature_scores``: 100 trees, a
    third of the uncertainties tried per split, bootstrap samples, and a minimum
    leaf growing with the square root of the points beyond 1000 (Jaxa-Rozen and
    Kwakkel 2018). The forest is scikit-learn's ``ExtraTreesRegressor`` called
    directly, single-threaded and seeded, so the scores do not depend on the
    cores available.

    Returns:
        The scores, or why there are none (fewer than 4 points, or ``y`` constant).

    Raises:
        ExperimentError: scikit-learn is not installed.
    """
    values = np.asarray(y, dtype=np.float64)
    names = list(x)
    n = int(values.size)
    if n < 4:
        return f"too few points with an effect ({n}) to score the uncertainties"
    if np.ptp(values) == 0:
        return "the effect does not vary over the points: no uncertainty drives it"
    try:
        from sklearn.ensemble import ExtraTreesRegressor
    except ImportError as exc:
        raise _needs(exc, "feature scoring") from None
    data = np.column_stack([np.asarray(x[name], dtype=np.float64) for name in names])
    forest = ExtraTreesRegressor(
        n_estimators=trees,
        max_features=max(1, round(len(names) / 3)),
        min_samples_leaf=max(1, round(math.sqrt(n) / math.sqrt(1000))),
        bootstrap=True,
        oob_score=True,
        random_state=seed,
        n_jobs=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "some inputs have no OOB score" at small n
        forest.fit(data, values)
    oob = float(getattr(forest, "oob_score_", math.nan))
    importances = np.asarray(forest.feature_importances_, dtype=np.float64)
    order = sorted(range(len(names)), key=lambda j: (-importances[j], j))
    return FeatureScores(
        names=tuple(names[j] for j in order),
        scores=tuple(float(importances[j]) for j in order),
        oob_r2=oob if math.isfinite(oob) else math.nan,
        points=n,
    )


# --- the whole analysis ---------------------------------------------------------


def _float_matrix(values: Any) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


@attrs.frozen
class SensitivityDesign:
    """The SALib design an ensemble was drawn from, for variance-based indices.

    Attributes:
        problem: The SALib problem (``num_vars``, ``names``, ``bounds``).
        x: The design matrix, one row per ensemble point, in point order.
        method: ``sobol`` (a Saltelli design), ``morris`` or ``delta`` (any
            sample, e.g. a Latin hypercube).
        num_levels: Grid levels of a Morris design.
    """

    problem: Mapping[str, Any] = attrs.field(eq=False)
    x: NDArray[np.float64] = attrs.field(eq=False, converter=_float_matrix)
    method: str = "delta"
    num_levels: int = 4


@attrs.frozen
class EnsembleAnalysis:
    """Everything :func:`analyse_ensemble` found.

    Attributes:
        reference: The lever the others are judged against.
        focus: The lever whose paying region is described.
        better: ``"higher"`` or ``"lower"``.
        metric: The outcome metric's name (for labels; may be empty).
        level: Confidence level of the intervals.
        threshold: PRIM's density threshold.
        seed: Seed of the tree methods.
        points: Ensemble points.
        replications: Replications per lever and point.
        uncertainties: Uncertainty names, in the order given.
        levers: Every lever but the reference to its :class:`LeverSummary`.
        regret: Every lever's regret (the reference too).
        pays: Shape ``(n,)``: whether the focus lever's paired effect is better
            than zero at each point (False where it has none; see ``used``).
        used: Shape ``(n,)``: the points with a focus effect, the ones scenario
            discovery and feature scoring analyse.
        prim: The PRIM box, or None (``prim_reason`` says why).
        cart: The CART tree, or None (``cart_reason``).
        features: The feature scores, or None (``features_reason``).
        sensitivity: SALib indices of the focus effect, or None when no design
            was given.
    """

    reference: str
    focus: str
    better: str
    metric: str
    level: float
    threshold: float
    seed: int
    points: int
    replications: int
    uncertainties: tuple[str, ...]
    levers: dict[str, LeverSummary] = attrs.field(eq=False)
    regret: Regret = attrs.field(eq=False)
    pays: NDArray[np.bool_] = attrs.field(eq=False, repr=False)
    used: NDArray[np.bool_] = attrs.field(eq=False, repr=False)
    prim: PrimResult | None = attrs.field(eq=False)
    prim_reason: str | None
    cart: CartResult | None = attrs.field(eq=False)
    cart_reason: str | None
    features: FeatureScores | None = attrs.field(eq=False)
    features_reason: str | None
    sensitivity: salib.Sensitivity | None = attrs.field(eq=False)

    @property
    def focus_summary(self) -> LeverSummary:
        """The focus lever's summary."""
        return self.levers[self.focus]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data (NaN as None), arrays as lists."""
        r = self.regret
        return json_plain(
            {
                "reference": self.reference,
                "focus": self.focus,
                "better": self.better,
                "metric": self.metric,
                "level": self.level,
                "threshold": self.threshold,
                "seed": self.seed,
                "points": self.points,
                "replications": self.replications,
                "uncertainties": list(self.uncertainties),
                "levers": {name: _lever_dict(s) for name, s in self.levers.items()},
                "regret": {
                    "levers": list(r.levers),
                    "max": r.max,
                    "p90": r.p90,
                    "mean": r.mean,
                    "minimax": r.minimax,
                    "minimax_tied": list(r.minimax_tied),
                    "min_p90": r.min_p90,
                    "min_p90_tied": list(r.min_p90_tied),
                    "points": int(r.kept.size),
                    "dropped": r.dropped,
                    "by_point": r.by_point,
                    "kept": r.kept,
                },
                "pays": self.pays.astype(bool).tolist(),
                "used": self.used.astype(bool).tolist(),
                "prim": self.prim.to_dict() if self.prim else None,
                "prim_reason": self.prim_reason,
                "cart": self.cart.to_dict() if self.cart else None,
                "cart_reason": self.cart_reason,
                "features": self.features.to_dict() if self.features else None,
                "features_reason": self.features_reason,
                "sensitivity": self.sensitivity.to_dict() if self.sensitivity else None,
            }
        )


def _estimate_dict(e: Estimate) -> dict[str, Any]:
    return {"mean": e.mean, "low": e.low, "high": e.high, "n": e.n, "sd": e.sd}


def _proportion_dict(p: Proportion) -> dict[str, Any]:
    return {"share": p.share, "low": p.low, "high": p.high, "k": p.k, "n": p.n}


def _lever_dict(s: LeverSummary) -> dict[str, Any]:
    return {
        "p_beats": _proportion_dict(s.p_beats),
        "effect": _estimate_dict(s.effect)
        | {"quantiles": {f"p{q}": v for q, v in s.quantiles.items()}},
        "points": s.points,
        "ties": s.ties,
        "effect_by_point": s.effect_by_point,
    }


def _problems(
    x: Mapping[str, Any],
    outcome: Mapping[str, Any],
    *,
    reference: str,
    focus: str,
    better: str,
    level: float,
    threshold: float,
    sensitivity: SensitivityDesign | None,
) -> tuple[list[str], tuple[int, int]]:
    """Everything wrong with the inputs, in one pass, and the ensemble's (n, R)."""
    problems: list[str] = []
    shape: tuple[int, int] = (0, 0)
    if better not in BETTER:
        problems.append(f"better: must be 'higher' or 'lower', got {better!r}")
    if not (isinstance(level, float | int) and 0.0 < level < 1.0):
        problems.append(f"level: must be in (0, 1), got {level!r}")
    if not (isinstance(threshold, float | int) and 0.0 < threshold <= 1.0):
        problems.append(f"threshold: must be in (0, 1], got {threshold!r}")
    known = ", ".join(map(repr, outcome))
    if reference not in outcome:
        problems.append(f"reference: {reference!r} is not a lever ({known})")
    if focus not in outcome:
        problems.append(f"focus: {focus!r} is not a lever ({known})")
    elif focus == reference:
        problems.append(f"focus: {focus!r} is the reference; pick another lever")
    shapes = {}
    for lever, values in outcome.items():
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
            problems.append(
                f"outcome.{lever}: must have shape (points, replications), got {arr.shape}"
            )
        else:
            shapes[lever] = arr.shape
    if shapes:
        shape = shapes.get(reference, next(iter(shapes.values())))
        for lever, s in shapes.items():
            if s != shape:
                problems.append(f"outcome.{lever}: shape {s}, but {shape} for the other levers")
    if not x:
        problems.append("x: no uncertainty")
    for name, values in x.items():
        arr = np.asarray(values)
        if arr.dtype.kind not in "biuf":
            problems.append(f"x.{name}: must be numbers, got dtype {arr.dtype}")
        elif arr.ndim != 1 or (shapes and arr.shape[0] != shape[0]):
            problems.append(f"x.{name}: shape {arr.shape}, expected ({shape[0]},)")
        elif not np.isfinite(arr.astype(np.float64)).all():
            problems.append(f"x.{name}: {int((~np.isfinite(arr)).sum())} value(s) not finite")
    if sensitivity is not None:
        if sensitivity.method not in salib.METHODS:
            problems.append(
                f"sensitivity.method: must be one of {', '.join(salib.METHODS)}, "
                f"got {sensitivity.method!r}"
            )
        if sensitivity.x.ndim != 2 or (shapes and sensitivity.x.shape[0] != shape[0]):
            problems.append(
                f"sensitivity.x: shape {sensitivity.x.shape}, expected ({shape[0]}, parameters)"
            )
    return problems, shape


def analyse_ensemble(
    x: Mapping[str, NDArray[Any]],
    outcome: Mapping[str, NDArray[Any]],
    *,
    reference: str,
    focus: str,
    better: str = "higher",
    level: float = 0.95,
    threshold: float = 0.8,
    seed: int = 1,
    sensitivity: SensitivityDesign | None = None,
    metric: str = "",
) -> EnsembleAnalysis:
    """Answer an explore ensemble: lever probabilities, regret, PRIM, CART, feature scores.

    Args:
        x: Uncertainty name (dotted path or ``scale``) to its value at each point,
            shape ``(n,)``.
        outcome: Lever name to its outcome per point and replication, shape
            ``(n, R)``; NaN marks a failed run. Replication *r* of every lever at
            a point shares its random streams.
        reference: The lever the others are judged against (``no-broker``).
        focus: The lever whose paying region PRIM, CART and the feature scores
            describe.
        better: ``"higher"`` or ``"lower"``: the outcome's good direction.
        level: Confidence level of the intervals.
        threshold: PRIM's density threshold.
        seed: Seed of the extra-trees and the CART tree.
        sensitivity: The SALib design the ensemble was drawn from, for indices
            of the focus effect; None for none.
        metric: The outcome metric's name, for labels.

    Returns:
        The analysis. Scenario discovery and feature scores run on the points
        where the focus lever has a paired effect; the parts that cannot be
        computed (every point pays, or none; a constant effect) are None with a
        reason.

    Raises:
        ExperimentError: The inputs are inconsistent (every problem in one
            message), or the ``explore`` extra (or SALib, for a design) is missing.
    """
    problems, (n, reps) = _problems(
        x,
        outcome,
        reference=reference,
        focus=focus,
        better=better,
        level=level,
        threshold=threshold,
        sensitivity=sensitivity,
    )
    if problems:
        head = "explore analysis: "
        raise ExperimentError(
            head + problems[0] if len(problems) == 1 else head + "; ".join(problems)
        )
    missing = missing_packages()
    if sensitivity is not None and not salib.available():
        missing += ("SALib",)
    if missing:
        raise ExperimentError(
            f"the explore analysis needs {', '.join(missing)}, not installed: {INSTALL_HINT}"
            + (" (and 'orgsim[sensitivity]' for SALib)" if "SALib" in missing else "")
        )
    arrays = {lever: np.asarray(v, dtype=np.float64) for lever, v in outcome.items()}
    levers = {
        lever: lever_summary(
            values,
            arrays[reference],
            name=lever,
            reference_name=reference,
            better=better,
            level=level,
        )
        for lever, values in arrays.items()
        if lever != reference
    }
    regrets = regret(arrays, better=better)
    effect = levers[focus].effect_by_point
    used = ~np.isnan(effect)
    sign = 1.0 if better == "higher" else -1.0
    pays = np.where(used, sign * np.nan_to_num(effect) > 0, False)
    x_used = {name: np.asarray(v)[used] for name, v in x.items()}
    found_prim = prim_box(x_used, pays[used], threshold=threshold)
    found_cart = cart_tree(x_used, pays[used], seed=seed)
    found_features = feature_scores(x_used, effect[used], seed=seed)
    indices = None
    if sensitivity is not None:
        indices = salib.analyse(
            sensitivity.problem,
            sensitivity.x,
            {f"{focus}.effect": effect},
            method=sensitivity.method,
            seed=seed,
            num_levels=sensitivity.num_levels,
        )
    logger.debug(
        "explore analysis: %d points x %d replications, %d levers; %s pays at %d",
        n,
        reps,
        len(arrays),
        focus,
        int(pays.sum()),
    )
    return EnsembleAnalysis(
        reference=reference,
        focus=focus,
        better=better,
        metric=metric,
        level=float(level),
        threshold=float(threshold),
        seed=seed,
        points=n,
        replications=reps,
        uncertainties=tuple(x),
        levers=levers,
        regret=regrets,
        pays=pays,
        used=used,
        prim=found_prim if isinstance(found_prim, PrimResult) else None,
        prim_reason=found_prim if isinstance(found_prim, str) else None,
        cart=found_cart if isinstance(found_cart, CartResult) else None,
        cart_reason=found_cart if isinstance(found_cart, str) else None,
        features=found_features if isinstance(found_features, FeatureScores) else None,
        features_reason=found_features if isinstance(found_features, str) else None,
        sensitivity=indices,
    )
