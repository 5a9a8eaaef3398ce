"""Value tests of the tornado: verdicts at the thresholds, effects, counts, selection.

No simulation: verdicts from hand-made estimates, effects from hand-made records, and
the screening/measuring logic with a stand-in campaign whose runs give a chosen
broker effect per point (the same in every replication, so each CI is that point).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from orgsim.analysis.stats import Estimate
from orgsim.experiments import tornado as tornado_module
from orgsim.experiments.tasks import Task
from orgsim.experiments.tornado import TornadoRow, tornado, tornado_runs, verdict
from orgsim.scenario.loading import load_scenario
from orgsim.scenario.uncertainty import uncertain_parameters
from orgsim.storage.results import RunRecord

REL = 1e-12
NAN = math.nan


def est(low: float, high: float) -> Estimate:
    return Estimate((low + high) / 2, low, high, (high - low) / 2, 10, 1.0)


POS, NEG, ZERO = est(1.0, 3.0), est(-3.0, -1.0), est(-1.0, 1.0)
# touching zero is not clear: [0, 2] and [-2, 0] include 0
TOUCH_POS, TOUCH_NEG = est(0.0, 2.0), est(-2.0, 0.0)
# just clear of zero
HAIR_POS, HAIR_NEG = est(1e-12, 2.0), est(-2.0, -1e-12)
UNDEFINED = Estimate(1.0, NAN, NAN, NAN, 1, NAN)


@pytest.mark.parametrize(
    ("base", "low", "high", "expected"),
    [
        (NEG, NEG, NEG, "holds"),
        (NEG, ZERO, NEG, "weakens"),
        (NEG, NEG, ZERO, "weakens"),
        (NEG, NEG, POS, "flips"),
        (POS, NEG, ZERO, "flips"),  # a flip wins over a weakening
        (POS, ZERO, NEG, "flips"),
        (POS, POS, ZERO, "weakens"),
        (POS, ZERO, ZERO, "weakens"),
        (ZERO, POS, POS, "+ at both"),
        (ZERO, POS, ZERO, "+ at low"),
        (ZERO, NEG, ZERO, "- at low"),
        (ZERO, ZERO, NEG, "- at high"),
        (ZERO, POS, NEG, "+ at low, - at high"),
        # thresholds: a CI touching zero is not clear; one a hair off it is
        (TOUCH_POS, POS, POS, "+ at both"),
        (TOUCH_NEG, NEG, NEG, "- at both"),
        (POS, TOUCH_POS, POS, "weakens"),
        (POS, POS, TOUCH_NEG, "weakens"),
        (HAIR_POS, POS, POS, "holds"),
        (HAIR_NEG, NEG, HAIR_NEG, "holds"),
        (ZERO, HAIR_POS, TOUCH_POS, "+ at low"),
        (ZERO, TOUCH_NEG, HAIR_NEG, "- at high"),
        # an undefined CI (one replication) is not clear
        (UNDEFINED, POS, POS, "+ at both"),
        (POS, UNDEFINED, POS, "weakens"),
        (ZERO, UNDEFINED, UNDEFINED, "unclear"),
    ],
)
def test_the_verdict_at_and_around_the_thresholds(
    base: Estimate, low: Estimate, high: Estimate, expected: str
) -> None:
    assert verdict(base, low, high) == expected


def test_the_swing_is_the_distance_between_the_ends_means() -> None:
    u = uncertain_parameters(load_scenario("startup"))[0]
    # means 2 (POS) and -2 (NEG): swing 4, whichever end is higher
    assert TornadoRow(parameter=u, low=POS, high=NEG, verdict="").swing == 4.0
    assert TornadoRow(parameter=u, low=NEG, high=POS, verdict="").swing == 4.0
    assert TornadoRow(parameter=u, low=POS, high=HAIR_POS, verdict="").swing == pytest.approx(
        1.0 - 5e-13, rel=REL
    )


# ------------------------------------------------------------------ run counts


@pytest.mark.parametrize(
    ("n", "screen", "runs", "top", "expected"),
    [
        # 2 arms x ((2n + 1) points x screen + (2 top + 1) points x (runs - screen))
        (3, 2, 5, 2, 2 * (7 * 2 + 5 * 3)),  # 58
        (3, 2, 5, 9, 2 * (7 * 2 + 7 * 3)),  # top capped at n: 70
        (1, 4, 4, 1, 2 * (3 * 4 + 3 * 0)),  # nothing beyond the screening: 24
        (0, 2, 3, 1, 2 * (1 * 2 + 1 * 1)),  # the base alone: 6
    ],
)
def test_the_run_count(n: int, screen: int, runs: int, top: int, expected: int) -> None:
    assert tornado_module._run_count(n, screen=screen, runs=runs, top=top) == expected


def test_tornado_runs_counts_the_scenarios_uncertain_parameters() -> None:
    sc = load_scenario("startup")
    n = len(uncertain_parameters(sc))
    assert tornado_runs(sc, screen=2, runs=3, top=4) == 2 * ((2 * n + 1) * 2 + 9 * 1)


# ------------------------------------------------------------------ points and effects


def values(sc: Any) -> dict[str, float]:
    return {u.path: u.value for u in uncertain_parameters(sc)}


def test_the_points_are_the_base_then_each_parameter_low_then_high() -> None:
    sc = load_scenario("startup")
    params = uncertain_parameters(sc)[:2]
    points = tornado_module._points(sc, params)
    assert len(points) == 5 and points[0] is sc
    for i, u in enumerate(params):
        low, high = (values(points[2 * i + k]) for k in (1, 2))
        assert low[u.path] == pytest.approx(u.low, rel=REL)
        assert high[u.path] == pytest.approx(u.high, rel=REL)
        # the other parameter stays at its base value
        other = params[1 - i]
        assert low[other.path] == pytest.approx(other.value, rel=REL)
        assert high[other.path] == pytest.approx(other.value, rel=REL)


def rec(arm: str, rep: int, value: float, status: str = "ok", point: int = 0) -> RunRecord:
    return RunRecord(
        experiment="t",
        scenario_hash="h",
        point=point,
        arm=arm,
        replication=rep,
        seed=1,
        status=status,
        metrics={"net_value": value},
    )


def test_the_effect_is_the_paired_difference_on_minus_off() -> None:
    # on 10, 13, 16; off 7, 9, 11: diffs 3, 4, 5 -> mean 4, sd 1, half t2 / sqrt(3)
    records = [rec("on", r, v) for r, v in enumerate([10.0, 13.0, 16.0])]
    records += [rec("off", r, v) for r, v in enumerate([7.0, 9.0, 11.0])]
    e = tornado_module._effect(records, "net_value")
    half = 4.302652729749462 / math.sqrt(3)
    assert e.mean == pytest.approx(4.0, rel=REL) and e.n == 3
    assert e.low == pytest.approx(4.0 - half, rel=1e-9)
    assert e.high == pytest.approx(4.0 + half, rel=1e-9)


def test_the_effect_drops_failed_runs_and_undefined_differences() -> None:
    # rep 0: 5 - 1 = 4; rep 1: off failed; rep 2: on NaN; rep 3: 8 - 2 = 6 -> mean 5, n 2
    records = [
        rec("on", 0, 5.0),
        rec("off", 0, 1.0),
        rec("on", 1, 9.0),
        rec("off", 1, 0.0, status="failed"),
        rec("on", 2, NAN),
        rec("off", 2, 3.0),
        rec("on", 3, 8.0),
        rec("off", 3, 2.0),
    ]
    e = tornado_module._effect(records, "net_value")
    assert e.mean == pytest.approx(5.0, rel=REL) and e.n == 2
    # an infinite value (a runway that never ends) gives no finite difference either:
    # rep 4 with on = inf is dropped, rep 5: 9 - 4 = 5 -> diffs 4, 6, 5, mean 5, n 3
    records += [rec("on", 4, math.inf), rec("off", 4, 1.0), rec("on", 5, 9.0), rec("off", 5, 4.0)]
    e = tornado_module._effect(records, "net_value")
    assert e.mean == pytest.approx(5.0, rel=REL) and e.n == 3


def test_finite_sends_nan_last() -> None:
    assert tornado_module._finite(2.5) == 2.5
    assert tornado_module._finite(NAN) == -math.inf
    assert tornado_module._finite(math.inf) == -math.inf
    assert tornado_module._finite(-1.0) == -1.0


# ------------------------------------------------------------------ screening and measuring


class FakeCampaign:
    """Stands in for a campaign: each point's broker effect is ``effects[point]``."""

    effects: ClassVar[dict[int, float]] = {}
    calls: ClassVar[list[list[tuple[int, str, int]]]] = []

    def __init__(self) -> None:
        self.ran = 0

    @classmethod
    def start(cls, db: Any, **kwargs: Any) -> FakeCampaign:
        return cls()

    def __enter__(self) -> FakeCampaign:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def run(self, tasks: Sequence[Task], **kwargs: Any) -> list[RunRecord]:
        FakeCampaign.calls.append([(t.point, t.arm, t.replication) for t in tasks])
        self.ran += len(tasks)
        return [
            rec(
                t.arm,
                t.replication,
                # off: the replication's luck r; on: the same luck plus the effect
                float(t.replication) + (self.effects[t.point] if t.arm == "on" else 0.0),
                point=t.point,
            )
            for t in tasks
        ]


def run_tornado(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    effects: list[float],
    n_params: int,
    **kwargs: Any,
) -> Any:
    sc = load_scenario("startup")
    params = uncertain_parameters(sc)[:n_params]
    monkeypatch.setattr(tornado_module, "uncertain_parameters", lambda s: params)
    monkeypatch.setattr(FakeCampaign, "effects", dict(enumerate(effects)))
    monkeypatch.setattr(FakeCampaign, "calls", [])
    monkeypatch.setattr(tornado_module, "Campaign", FakeCampaign)
    return tornado(sc, executor="serial", out=tmp_path / "t", **kwargs), params


def test_the_largest_swings_are_measured_and_ranked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # points: base 1; p0 low 1 high 1 (swing 0); p1 low -2 high 3 (swing 5);
    # p2 low 0.5 high 2 (swing 1.5). top 2: p1, then p2.
    effects = [1.0, 1.0, 1.0, -2.0, 3.0, 0.5, 2.0]
    result, params = run_tornado(monkeypatch, tmp_path, effects, 3, screen=2, runs=3, top=2, seed=7)
    assert result.seed == 7 and result.runs == 3 and result.screen == 2
    assert result.base.mean == pytest.approx(1.0, rel=REL) and result.base.n == 3
    assert [row.parameter for row in result.rows] == [params[1], params[2]]
    first, second = result.rows
    assert (first.low.mean, first.high.mean) == pytest.approx((-2.0, 3.0), rel=REL)
    assert (second.low.mean, second.high.mean) == pytest.approx((0.5, 2.0), rel=REL)
    assert first.low.n == 3 and second.high.n == 3  # measured with `runs`
    # base clearly positive (every replication gives +1): low -2 flips; 0.5 and 2 hold
    assert first.verdict == "flips" and second.verdict == "holds"
    assert [(u, pytest.approx(s)) for u, s in result.screened] == [
        (params[1], 5.0),
        (params[2], 1.5),
        (params[0], 0.0),
    ]
    # screening: every point with `screen` replications, both arms
    screening, measuring = FakeCampaign.calls
    assert sorted({p for p, _, _ in screening}) == list(range(7))
    assert len(screening) == 7 * 2 * 2
    assert {r for _, _, r in screening} == {0, 1}
    # measuring: the base and both ends of the top 2 (p1 -> points 3, 4; p2 -> 5, 6)
    assert sorted({p for p, _, _ in measuring}) == [0, 3, 4, 5, 6]
    assert len(measuring) == 5 * 3 * 2
    assert {a for _, a, _ in measuring} == {"on", "off"}
    assert result.ran == len(screening) + len(measuring)
    assert result.metric == "net_value"


def test_rows_are_ordered_by_their_measured_swing_largest_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # swings p0 = |0 - -4| = 4, p1 = |-1 - 1| = 2; base 0 (not clear)
    effects = [0.0, -4.0, 0.0, -1.0, 1.0]
    result, params = run_tornado(monkeypatch, tmp_path, effects, 2, screen=2, runs=2, top=5)
    assert [row.parameter for row in result.rows] == [params[0], params[1]]
    assert [row.swing for row in result.rows] == pytest.approx([4.0, 2.0], rel=REL)
    # base 0: p0 clear negative at low only; p1 negative at low, positive at high
    assert [row.verdict for row in result.rows] == ["- at low", "- at low, + at high"]
    # top 5 is capped at the 2 parameters
    (_, measuring) = FakeCampaign.calls
    assert sorted({p for p, _, _ in measuring}) == [0, 1, 2, 3, 4]


def test_top_one_measures_only_the_largest_swing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # swings p0 = 1, p1 = 3, p2 = 2: top 1 is p1 (points 3 and 4)
    effects = [0.0, 0.0, 1.0, 0.0, 3.0, 2.0, 0.0]
    result, params = run_tornado(monkeypatch, tmp_path, effects, 3, screen=2, runs=4, top=1)
    assert [row.parameter for row in result.rows] == [params[1]]
    assert result.rows[0].verdict == "+ at high"
    (_, measuring) = FakeCampaign.calls
    assert sorted({p for p, _, _ in measuring}) == [0, 3, 4]
    assert {r for _, _, r in measuring} == {0, 1, 2, 3}


def test_bad_counts_are_refused_with_their_names(tmp_path: Path) -> None:
    from orgsim.errors import ExperimentError

    sc = load_scenario("startup")
    for kwargs, match in (
        ({"runs": 1, "screen": 1}, "--screen must be an integer >= 2, got 1"),
        ({"runs": 1}, "--runs must be an integer >= 2, got 1"),
        ({"top": True}, "--top must be an integer >= 1, got True"),
        ({"screen": 2.0}, "--screen must be an integer >= 2, got 2.0"),
        ({"metric": "nope"}, "unknown metric 'nope'; see docs/model.md, section 5"),
    ):
        with pytest.raises(ExperimentError, match=match):
            tornado(sc, out=tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()
