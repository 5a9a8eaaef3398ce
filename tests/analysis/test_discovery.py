"""Scenario discovery and the whole ensemble analysis: planted structure is found again.

Each test plants what the method should find (a box, a threshold, the inputs an outcome
depends on) in synthetic data of uniform inputs, and checks the method recovers it within
a tolerance the sample size allows.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from orgsim.analysis import discovery
from orgsim.analysis.discovery import (
    INSTALL_HINT,
    CartResult,
    EnsembleAnalysis,
    FeatureScores,
    PrimResult,
    SensitivityDesign,
    analyse_ensemble,
    cart_tree,
    feature_scores,
    prim_box,
)
from orgsim.analysis.sensitivity import sobol_sample
from orgsim.errors import ExperimentError

pytest.importorskip("ema_workbench")
pytest.importorskip("sklearn")

NAMES = ("x1", "x2", "x3", "x4", "x5")
TOL = 0.05  # box limits: 1000 uniform points leave gaps of ~0.005, PRIM peels 5 % slices


def uniform(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = rng.uniform(size=(n, len(NAMES)))
    return {name: data[:, j] for j, name in enumerate(NAMES)}


def planted(x: dict[str, np.ndarray]) -> np.ndarray:
    """True exactly inside x1 in [0.2, 0.6] and x3 in [0.5, 1.0]."""
    return (x["x1"] >= 0.2) & (x["x1"] <= 0.6) & (x["x3"] >= 0.5)


# --- PRIM -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 3])
def test_prim_recovers_a_planted_box(seed: int) -> None:
    x = uniform(1000, seed)
    box = prim_box(x, planted(x))
    assert isinstance(box, PrimResult)
    limits = {b.name: b for b in box.limits}
    assert set(limits) == {"x1", "x3"}  # no other dimension restricted
    assert limits["x1"].low == pytest.approx(0.2, abs=TOL)
    assert limits["x1"].high == pytest.approx(0.6, abs=TOL)
    assert limits["x3"].low == pytest.approx(0.5, abs=TOL)
    assert limits["x3"].high == limits["x3"].observed_high  # open above: not restricted there
    assert math.isnan(limits["x3"].qp_high) and limits["x3"].qp_low < 1e-10
    assert limits["x1"].qp_low < 1e-10 and limits["x1"].qp_high < 1e-10
    assert box.coverage > 0.95 and box.density > 0.9
    # The box's numbers are its own: 21 % of 1000 points pay (0.4 × 0.5 = 0.2 expected).
    assert box.paying == int(planted(x).sum()) and box.points == 1000
    assert box.mass == pytest.approx(box.trajectory[box.chosen].n / 1000, rel=1e-12)


def test_prim_chooses_the_widest_box_dense_enough() -> None:
    x = uniform(1000, 1)
    for threshold in (0.8, 0.95, 1.0):
        box = prim_box(x, planted(x), threshold=threshold)
        assert isinstance(box, PrimResult)
        dense = [s for s in box.trajectory if s.density >= threshold]
        assert dense, "the planted box is pure: some step reaches every threshold"
        assert box.coverage == max(s.coverage for s in dense)
        assert box.density >= threshold
        assert f">= {threshold:g}" in box.why
    # The trajectory starts from the whole ensemble and only gets denser and smaller.
    first = box.trajectory[0]
    assert (first.coverage, first.mass, first.restricted) == (1.0, 1.0, 0)
    assert first.density == pytest.approx(planted(x).mean(), rel=1e-12)


def test_prim_falls_back_to_the_densest_box() -> None:
    # Noisy labels: 60 % pay inside the box, 10 % outside; no box reaches density 0.9.
    x = uniform(800, 2)
    rng = np.random.default_rng(9)
    y = np.where(planted(x), rng.uniform(size=800) < 0.6, rng.uniform(size=800) < 0.1)
    box = prim_box(x, y, threshold=0.9)
    assert isinstance(box, PrimResult)
    assert max(s.density for s in box.trajectory) < 0.9
    assert box.density == max(s.density for s in box.trajectory)
    assert "no box reaches density 0.9" in box.why


def test_prim_has_nothing_to_discover_when_every_point_or_none_pays() -> None:
    x = uniform(50, 0)
    assert prim_box(x, np.ones(50, dtype=bool)) == (
        "the lever pays at every point of 50: nothing to discover"
    )
    assert "no point of 50" in str(prim_box(x, np.zeros(50, dtype=bool)))


def test_prim_keeps_integer_uncertainties_integer() -> None:
    rng = np.random.default_rng(4)
    x = {"mediators": rng.integers(0, 10, size=600), "x2": rng.uniform(size=600)}
    y = x["mediators"] >= 4
    box = prim_box(x, y)
    assert isinstance(box, PrimResult)
    (only,) = box.limits
    assert only.name == "mediators" and only.low == 4.0 and only.high == 9.0


# --- CART -----------------------------------------------------------------------------


def test_cart_separates_a_planted_threshold() -> None:
    x = uniform(500, 5)
    y = x["x2"] > 0.7
    tree = cart_tree(x, y, seed=1)
    assert isinstance(tree, CartResult)
    assert tree.accuracy == 1.0
    assert tree.min_leaf == 25  # 5 % of 500
    top = tree.leaves[0]
    assert top.share == 1.0 and top.paying == int(y.sum()) == top.n
    assert set(top.limits) == {"x2"}
    low, high = top.limits["x2"]
    assert low == pytest.approx(0.7, abs=0.01) and high == x["x2"].max()
    assert tree.rules.startswith("|--- x2 <= 0.7") and "class: True" in tree.rules
    assert sum(leaf.n for leaf in tree.leaves) == 500


def test_cart_leaves_are_boxes_of_the_planted_region() -> None:
    x = uniform(1000, 6)
    y = planted(x)
    tree = cart_tree(x, y, seed=1)
    assert isinstance(tree, CartResult)
    best = tree.leaves[0]
    assert best.share == 1.0
    assert set(best.limits) == {"x1", "x3"}
    assert best.limits["x1"][0] == pytest.approx(0.2, abs=0.02)
    assert best.limits["x1"][1] == pytest.approx(0.6, abs=0.02)
    assert best.limits["x3"][0] == pytest.approx(0.5, abs=0.02)
    # Every point in that leaf is in the box and pays.
    lo1, hi1 = best.limits["x1"]
    lo3, hi3 = best.limits["x3"]
    inside = (x["x1"] > lo1) & (x["x1"] <= hi1) & (x["x3"] > lo3) & (x["x3"] <= hi3)
    assert int(inside.sum()) == best.n and y[inside].all()


# --- feature scores -------------------------------------------------------------------


def test_feature_scores_rank_the_planted_inputs_first() -> None:
    x = uniform(600, 7)
    rng = np.random.default_rng(11)
    effect = 3.0 * x["x4"] + 2.0 * (x["x1"] > 0.5) + rng.normal(scale=0.2, size=600)
    scores = feature_scores(x, effect, seed=1)
    assert isinstance(scores, FeatureScores)
    # Variances: the step 2·(x1 > 0.5) has 4 · 1/4 = 1, the slope 3·x4 has 9/12 = 0.75.
    assert scores.names[:2] == ("x1", "x4")
    assert list(scores.scores) == sorted(scores.scores, reverse=True)
    assert sum(scores.scores) == pytest.approx(1.0, rel=1e-9)
    assert scores.scores[1] > 3 * scores.scores[2]  # the planted ones stand out
    assert 0.7 < scores.oob_r2 < 1.0  # the noise is 0.04 / 1.79, ~2 % of the variance
    again = feature_scores(x, effect, seed=1)
    assert isinstance(again, FeatureScores) and again.scores == scores.scores


def test_feature_scores_need_a_varying_effect() -> None:
    x = uniform(20, 0)
    assert "does not vary" in str(feature_scores(x, np.ones(20), seed=1))
    assert "too few points" in str(feature_scores(uniform(3, 0), np.arange(3.0), seed=1))


# --- the whole analysis ---------------------------------------------------------------


def ensemble(n: int = 400, reps: int = 2, seed: int = 8) -> tuple[dict[str, Any], dict[str, Any]]:
    """Three levers; vp-alone pays (+5) inside the planted box, costs 5 outside."""
    x = uniform(n, seed)
    rng = np.random.default_rng(seed + 100)
    luck = rng.normal(scale=1.0, size=(n, reps))  # common random numbers: shared by levers
    base = 100.0 + 10.0 * x["x2"][:, None] + luck
    inside = planted(x)[:, None]
    outcome = {
        "no-broker": base,
        "vp-alone": base + np.where(inside, 5.0, -5.0) + 0.1 * rng.normal(size=(n, reps)),
        "vp-and-4": base + np.where(inside, 2.0, -1.0),
    }
    outcome["vp-alone"][0, 1] = np.nan  # a failed run
    outcome["vp-and-4"][1, :] = np.nan  # a point where a lever completed nothing
    return x, outcome


@pytest.fixture(scope="module")
def analysis() -> EnsembleAnalysis:
    x, outcome = ensemble()
    return analyse_ensemble(
        x, outcome, reference="no-broker", focus="vp-alone", metric="net_value", seed=3
    )


def test_the_analysis_holds_every_answer(analysis: EnsembleAnalysis) -> None:
    x, _ = ensemble()
    inside = planted(x)
    assert set(analysis.levers) == {"vp-alone", "vp-and-4"}
    vp = analysis.levers["vp-alone"]
    # Effects are +5 or −5 (plus 0.1-sd noise): vp-alone beats no-broker exactly in the box.
    assert vp.points == 400 and vp.p_beats.k == int(inside.sum())
    np.testing.assert_array_equal(analysis.pays, inside)
    assert analysis.used.all()
    # Point 0 lost vp-alone's replication 1: its effect is replication 0's alone.
    _, outcome = ensemble()
    assert vp.effect_by_point[0] == outcome["vp-alone"][0, 0] - outcome["no-broker"][0, 0]
    # vp-and-4's point 1 has no value: regret leaves it out for every lever.
    assert analysis.regret.dropped == 1 and analysis.levers["vp-and-4"].points == 399
    # Outside the box (~80 % of points) no-broker is best; inside vp-alone is (+5):
    # max regrets ≈ 5 (no-broker), ≈ 10 (vp-alone), ≈ 3 (vp-and-4) → minimax vp-and-4.
    assert analysis.regret.minimax == "vp-and-4"
    assert analysis.regret.max["vp-and-4"] == pytest.approx(3.0, abs=0.5)
    assert isinstance(analysis.prim, PrimResult) and analysis.prim_reason is None
    assert {b.name for b in analysis.prim.limits} == {"x1", "x3"}
    assert isinstance(analysis.cart, CartResult)
    assert isinstance(analysis.features, FeatureScores)
    assert set(analysis.features.names[:2]) == {"x1", "x3"}
    assert analysis.sensitivity is None
    assert (analysis.points, analysis.replications) == (400, 2)
    assert analysis.uncertainties == NAMES


def test_to_dict_is_plain_json(analysis: EnsembleAnalysis) -> None:
    data = analysis.to_dict()
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["regret"]["minimax"] == "vp-and-4"
    assert back["levers"]["vp-and-4"]["effect_by_point"][1] is None  # NaN → null
    assert back["prim"]["limits"][0]["name"] in {"x1", "x3"}
    assert back["levers"]["vp-alone"]["effect"]["quantiles"].keys() == {
        "p5",
        "p25",
        "p50",
        "p75",
        "p95",
    }
    assert back["features"]["scores"].keys() == set(NAMES)


def test_the_analysis_is_deterministic_given_the_seed(analysis: EnsembleAnalysis) -> None:
    x, outcome = ensemble()
    again = analyse_ensemble(
        x, outcome, reference="no-broker", focus="vp-alone", metric="net_value", seed=3
    )
    assert again.to_dict() == analysis.to_dict()


def test_parts_without_an_answer_say_why() -> None:
    x, outcome = ensemble(n=60)
    outcome["vp-alone"] = outcome["no-broker"] + 1.0  # pays everywhere, by exactly 1
    a = analyse_ensemble(x, outcome, reference="no-broker", focus="vp-alone")
    assert a.prim is None and a.prim_reason is not None and "every point" in a.prim_reason
    assert a.cart is None and a.cart_reason == a.prim_reason
    assert a.features is None and a.features_reason is not None
    assert "does not vary" in a.features_reason
    assert a.levers["vp-alone"].p_beats.share == 1.0
    json.dumps(a.to_dict(), allow_nan=False)


def test_lower_is_better_flips_where_the_lever_pays() -> None:
    x, outcome = ensemble(n=200)
    a = analyse_ensemble(x, outcome, reference="no-broker", focus="vp-alone", better="lower")
    np.testing.assert_array_equal(a.pays, ~planted(x))
    assert a.regret.better == "lower"


def test_every_input_problem_is_reported_at_once() -> None:
    x, outcome = ensemble(n=30)
    x = dict(x, x2=x["x2"][:10])
    with pytest.raises(ExperimentError) as err:
        analyse_ensemble(x, outcome, reference="no-broker", focus="no-broker", better="up")
    text = str(err.value)
    assert text.startswith("explore analysis: ")
    for part in (
        "better: must be 'higher' or 'lower', got 'up'",
        "focus: 'no-broker' is the reference",
        "x.x2: shape (10,), expected (30,)",
    ):
        assert part in text
    with pytest.raises(ExperimentError, match=r"reference: 'none' is not a lever"):
        analyse_ensemble(x, outcome, reference="none", focus="vp-alone")
    with pytest.raises(ExperimentError, match=r"outcome.vp-alone: shape \(30, 1\)"):
        analyse_ensemble(
            ensemble(n=30)[0],
            dict(outcome, **{"vp-alone": outcome["vp-alone"][:, :1]}),
            reference="no-broker",
            focus="vp-alone",
        )
    with pytest.raises(ExperimentError, match=r"threshold: must be in \(0, 1\], got 1.5"):
        analyse_ensemble(
            ensemble(n=30)[0], outcome, reference="no-broker", focus="vp-alone", threshold=1.5
        )


# --- a SALib design -------------------------------------------------------------------


def test_a_sobol_design_gives_the_effect_sobol_indices() -> None:
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    design = sobol_sample(problem, 64, seed=2)  # 64 × (2 + 2) = 256 points
    x = {"a": design[:, 0], "b": design[:, 1]}
    base = np.zeros((len(design), 1))
    outcome = {"off": base, "on": base + 4.0 * design[:, :1] - 1.0}  # effect 4a − 1
    a = analyse_ensemble(
        x,
        outcome,
        reference="off",
        focus="on",
        sensitivity=SensitivityDesign(problem, design, "sobol"),
    )
    assert a.sensitivity is not None
    ind = a.sensitivity.indices["on.effect"]
    assert ind.values["S1"][0] == pytest.approx(1.0, abs=0.1)
    assert abs(ind.values["S1"][1]) < 0.05 and abs(ind.values["ST"][1]) < 0.05
    assert a.to_dict()["sensitivity"]["outputs"]["on.effect"]["a"]["S1"] > 0.9


def test_a_design_of_the_wrong_size_is_refused() -> None:
    x, outcome = ensemble(n=30)
    problem = {"num_vars": 1, "names": ["x1"], "bounds": [[0.0, 1.0]]}
    with pytest.raises(ExperimentError, match=r"sensitivity.x: shape \(5, 1\), expected \(30, "):
        analyse_ensemble(
            x,
            outcome,
            reference="no-broker",
            focus="vp-alone",
            sensitivity=SensitivityDesign(problem, np.zeros((5, 1)), "sobol"),
        )


# --- without the explore extra --------------------------------------------------------


def test_without_the_explore_extra_the_analysis_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = discovery.importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name in ("ema_workbench", "sklearn") else real(name, *args, **kwargs)

    monkeypatch.setattr(discovery.importlib.util, "find_spec", find_spec)
    x, outcome = ensemble(n=30)
    with pytest.raises(ExperimentError) as err:
        analyse_ensemble(x, outcome, reference="no-broker", focus="vp-alone")
    assert str(err.value) == (
        f"the explore analysis needs ema_workbench, scikit-learn, not installed: {INSTALL_HINT}"
    )


@pytest.mark.parametrize(
    ("module", "call"),
    [
        ("ema_workbench.analysis", lambda x, y: prim_box(x, y)),
        ("sklearn.tree", lambda x, y: cart_tree(x, y, seed=1)),
        ("sklearn.ensemble", lambda x, y: feature_scores(x, y.astype(float), seed=1)),
    ],
)
def test_a_failed_import_is_an_experiment_error(
    monkeypatch: pytest.MonkeyPatch, module: str, call: Any
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # the import now raises ImportError
    x = uniform(40, 0)
    with pytest.raises(ExperimentError, match=r"needs .*pip install 'orgsim\[explore\]'"):
        call(x, planted(x))


def test_importing_the_analysis_imports_no_optional_package() -> None:
    code = (
        "import sys, orgsim.analysis.discovery, orgsim.analysis.levers; "
        "print(sorted(m for m in ('ema_workbench', 'sklearn', 'pandas', 'statsmodels', 'SALib') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
