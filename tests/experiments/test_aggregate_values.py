"""Value tests of a sweep point's aggregate, on hand-made run records (no simulation).

Every expected number is computed by hand in a comment. The Student-t quantiles are
``scipy.stats.t.ppf(0.975, df)``: 4.302652729749462 for df = 2, 12.706204736174694 for
df = 1. Floats are compared with ``rel=1e-12`` (the same arithmetic in another order).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pytest
from scipy import stats

from orgsim.experiments.samples import metric_names, paired_samples
from orgsim.experiments.sweep.aggregate import (
    aggregate,
    broker_return,
    sensitivity_outputs,
    table_rows,
)
from orgsim.experiments.sweep.design import Point
from orgsim.experiments.sweep.spec import SweepSpec, parse_sweep
from orgsim.metrics.catalogue import HEADLINE, METRIC_NAMES
from orgsim.storage.results import RunRecord

T2 = float(stats.t.ppf(0.975, 2))  # 4.302652729749462
T1 = float(stats.t.ppf(0.975, 1))  # 12.706204736174694
REL = 1e-12


def rec(arm: str, rep: int, point: int = 0, status: str = "ok", **metrics: float) -> RunRecord:
    return RunRecord(
        experiment="e",
        scenario_hash="h",
        point=point,
        arm=arm,
        replication=rep,
        seed=1,
        status=status,
        metrics=dict(metrics),
    )


def spec(**extra: Any) -> SweepSpec:
    """A paired sweep of the bundled midsize scenario (its broker is enabled)."""
    s = parse_sweep(
        {
            "base": "midsize",
            "replications": 3,
            "parameters": [{"path": "conflicts.intensity", "levels": [0.5, 2.0]}],
        }
    )
    return attrs.evolve(s, **extra)


def point(i: int = 0, value: float = 0.5) -> Point:
    return Point(index=i, values={"conflicts.intensity": value}, x=(i + 0.5,))


def arm_records(arm: str, point_index: int = 0, **series: list[float]) -> list[RunRecord]:
    """One record per replication of ``arm``, metric i of replication r = series[i][r]."""
    n = len(next(iter(series.values())))
    return [rec(arm, r, point_index, **{m: v[r] for m, v in series.items()}) for r in range(n)]


# ------------------------------------------------------------------ samples.py


def test_metric_names_are_the_catalogue_then_the_first_ok_runs_extras() -> None:
    failed = rec("on", 0, status="failed", **{"headcount_end.failed_only": 1.0})
    ok = rec("on", 1, **{"net_value": 1.0, "headcount_end.eng": 3.0, "headcount_end.qa": 1.0})
    later = rec("on", 2, **{"headcount_end.later": 2.0})
    names = metric_names([failed, ok, later])
    # the failed record is skipped; only the FIRST ok record's extras are added, in order
    assert names == [*METRIC_NAMES, "headcount_end.eng", "headcount_end.qa"]
    assert metric_names([]) == list(METRIC_NAMES)


def test_paired_samples_keep_the_replications_complete_in_every_arm_in_order() -> None:
    records = [
        rec("off", 2, net_value=30.0),
        rec("on", 2, net_value=3.0),
        rec("on", 0, net_value=1.0),
        rec("off", 0, net_value=10.0),
        rec("on", 1, net_value=2.0),  # replication 1 failed in the off arm
        rec("off", 1, status="failed", net_value=99.0),
        rec("other", 1, net_value=77.0),  # an arm not asked for is ignored
    ]
    samples, reps = paired_samples(records, ["on", "off"], ["net_value", "ceo_hours"])
    assert reps == [0, 2]
    assert samples["on"]["net_value"].tolist() == [1.0, 3.0]
    assert samples["off"]["net_value"].tolist() == [10.0, 30.0]
    # a metric the runs lack is NaN, one per replication
    assert np.isnan(samples["on"]["ceo_hours"]).tolist() == [True, True]
    assert set(samples) == {"on", "off"}
    # one arm: every ok replication of it
    one, reps1 = paired_samples(records, ["on"], ["net_value"])
    assert reps1 == [0, 1, 2] and one["on"]["net_value"].tolist() == [1.0, 2.0, 3.0]
    # no arms: nothing
    assert paired_samples(records, [], ["net_value"]) == ({}, [])


def test_paired_samples_default_names_are_metric_names() -> None:
    records = [rec("on", 0, **{"net_value": 1.0, "headcount_end.x": 2.0})]
    samples, _ = paired_samples(records, ["on"])
    assert list(samples["on"]) == [*METRIC_NAMES, "headcount_end.x"]


# ------------------------------------------------------------------ aggregate, paired


def test_a_paired_point_gives_arm_means_and_the_paired_difference() -> None:
    # net_value on 10, 13, 16; off 7, 9, 11: differences 3, 4, 5
    #   diff mean 4, sd 1, half-width t2 * 1 / sqrt(3); on mean 13, off mean 9
    records = arm_records("on", net_value=[10.0, 13.0, 16.0]) + arm_records(
        "off", net_value=[7.0, 9.0, 11.0]
    )
    (pr,) = aggregate(spec(), [point(0, 0.5)], records)
    assert pr.point == 0 and pr.params == {"conflicts.intensity": 0.5} and pr.x == (0.5,)
    assert pr.runs == 3 and pr.failed == 0 and pr.replications == (0, 1, 2)
    assert list(pr.arms) == ["on", "off"]
    c = pr.effect["net_value"]
    half = T2 * 1.0 / math.sqrt(3)
    assert c.diff.mean == pytest.approx(4.0, rel=REL)
    assert c.diff.sd == pytest.approx(1.0, rel=REL)
    assert c.diff.low == pytest.approx(4.0 - half, rel=REL)
    assert c.diff.high == pytest.approx(4.0 + half, rel=REL)
    assert c.diff.n == 3
    on, off = pr.arms["on"]["net_value"], pr.arms["off"]["net_value"]
    assert on.mean == pytest.approx(13.0, rel=REL) and off.mean == pytest.approx(9.0, rel=REL)
    # each arm's CI: on sd 3 -> 13 +- t2*3/sqrt3; off sd 2 -> 9 +- t2*2/sqrt3
    assert on.low == pytest.approx(13.0 - T2 * 3 / math.sqrt(3), rel=REL)
    assert off.high == pytest.approx(9.0 + T2 * 2 / math.sqrt(3), rel=REL)
    assert pr.samples["on"]["net_value"].tolist() == [10.0, 13.0, 16.0]
    assert pr.samples["off"]["net_value"].tolist() == [7.0, 9.0, 11.0]


def test_a_failed_run_drops_its_replication_from_both_arms_and_is_counted() -> None:
    # on 10, 13, 15; off 7, 9, (failed): pairs 0 and 1 only, diffs 3, 4 -> mean 3.5,
    #   sd sqrt(0.5), half t1 * sqrt(0.5) / sqrt(2) = t1 * 0.5; on mean 11.5
    records = [
        *arm_records("on", net_value=[10.0, 13.0, 15.0]),
        rec("off", 0, net_value=7.0),
        rec("off", 1, net_value=9.0),
        rec("off", 2, status="failed"),
    ]
    (pr,) = aggregate(spec(), [point()], records)
    assert pr.runs == 2 and pr.failed == 1 and pr.replications == (0, 1)
    d = pr.effect["net_value"].diff
    assert d.mean == pytest.approx(3.5, rel=REL)
    assert d.high == pytest.approx(3.5 + T1 * 0.5, rel=REL)
    assert pr.arms["on"]["net_value"].mean == pytest.approx(11.5, rel=REL)
    assert pr.arms["on"]["net_value"].n == 2


def test_records_go_to_their_own_point_and_unknown_points_are_ignored() -> None:
    # point 0: diffs 1, 1, 1; point 1: diffs 5, 5, 5; point 7 is not in the design
    records = (
        arm_records("on", 0, net_value=[2.0, 3.0, 4.0])
        + arm_records("off", 0, net_value=[1.0, 2.0, 3.0])
        + arm_records("on", 1, net_value=[10.0, 10.0, 10.0])
        + arm_records("off", 1, net_value=[5.0, 5.0, 5.0])
        + arm_records("on", 7, net_value=[100.0, 100.0, 100.0])
    )
    results = aggregate(spec(), [point(0, 0.5), point(1, 2.0)], records)
    assert [r.point for r in results] == [0, 1]
    assert [r.params["conflicts.intensity"] for r in results] == [0.5, 2.0]
    assert [r.effect["net_value"].diff.mean for r in results] == [1.0, 5.0]
    assert [r.arms["on"]["net_value"].mean for r in results] == [3.0, 10.0]
    # points are reported in the order given, each with its own runs
    rev = aggregate(spec(), [point(1, 2.0), point(0, 0.5)], records)
    assert [r.point for r in rev] == [1, 0]


def test_a_point_without_records_has_no_runs_and_no_effect() -> None:
    (pr,) = aggregate(spec(), [point()], [])
    assert pr.runs == 0 and pr.failed == 0 and pr.replications == ()
    # no records: the spec's arms, each metric's estimate empty
    assert list(pr.arms) == ["on", "off"]
    assert pr.effect["net_value"].diff.n == 0


def test_an_arm_keeps_its_own_values_when_the_metric_is_undefined_in_the_other() -> None:
    # lead_time_p50 on 1, NaN, 3; off 2, 4, 9: the pair of replication 1 is dropped from
    # the comparison (n = 2), but each arm reports its own values over all 3 runs:
    #   on mean (1 + 3) / 2 = 2 (n 2), off mean (2 + 4 + 9) / 3 = 5 (n 3)
    #   (the comparison's off, over replications 0 and 2, would be 5.5)
    records = arm_records("on", lead_time_p50=[1.0, math.nan, 3.0], net_value=[1.0, 2.0, 3.0])
    records += arm_records("off", lead_time_p50=[2.0, 4.0, 9.0], net_value=[0.0, 0.0, 0.0])
    (pr,) = aggregate(spec(), [point()], records)
    c = pr.effect["lead_time_p50"]
    assert c.diff.n == 2 and c.off.mean == pytest.approx(5.5, rel=REL)
    assert pr.arms["off"]["lead_time_p50"].mean == pytest.approx(5.0, rel=REL)
    assert pr.arms["off"]["lead_time_p50"].n == 3
    assert pr.arms["on"]["lead_time_p50"].mean == pytest.approx(2.0, rel=REL)
    # a metric defined everywhere is the comparison's own estimate
    assert pr.arms["off"]["net_value"] == pr.effect["net_value"].off


def test_a_broker_only_metric_is_the_broker_arms_estimate_over_all_its_runs() -> None:
    # praises exists with the broker only: on 1, 2, 3 (mean 2, n 3); off NaN
    records = arm_records("on", praises=[1.0, 2.0, 3.0], net_value=[1.0, 1.0, 1.0])
    records += arm_records("off", praises=[math.nan] * 3, net_value=[0.0, 0.0, 0.0])
    (pr,) = aggregate(spec(), [point()], records)
    c = pr.effect["praises"]
    assert c.broker_only and c.diff.n == 0
    assert pr.arms["on"]["praises"].mean == pytest.approx(2.0, rel=REL)
    assert pr.arms["on"]["praises"].n == 3
    assert pr.arms["off"]["praises"].n == 0


# ------------------------------------------------------------------ aggregate, unpaired


def test_an_unpaired_point_reports_the_arms_levels_and_no_effect() -> None:
    # one arm (on): net_value 2, 4, 9 -> mean 5, sd sqrt(13), half t2 * sqrt(13) / sqrt(3)
    s = spec(paired=False)
    assert s.arms == ("on",)
    (pr,) = aggregate(s, [point()], arm_records("on", net_value=[2.0, 4.0, 9.0]))
    assert pr.effect == {}
    assert list(pr.arms) == ["on"]
    e = pr.arms["on"]["net_value"]
    assert e.mean == pytest.approx(5.0, rel=REL)
    assert e.high == pytest.approx(5.0 + T2 * math.sqrt(13) / math.sqrt(3), rel=REL)
    assert pr.runs == 3


def test_a_paired_spec_with_one_arm_recorded_gives_levels_not_an_effect() -> None:
    (pr,) = aggregate(spec(), [point()], arm_records("off", net_value=[1.0, 2.0, 3.0]))
    assert pr.effect == {}
    assert list(pr.arms) == ["off"]
    assert pr.arms["off"]["net_value"].mean == pytest.approx(2.0, rel=REL)


def test_an_unpaired_spec_with_both_arms_recorded_still_gives_no_effect() -> None:
    records = arm_records("on", net_value=[3.0, 3.0]) + arm_records("off", net_value=[1.0, 1.0])
    (pr,) = aggregate(spec(paired=False), [point()], records)
    assert pr.effect == {}
    # arms sorted with "on" first
    assert list(pr.arms) == ["on", "off"]
    assert pr.arms["off"]["net_value"].mean == 1.0


# ------------------------------------------------------------------ broker_return


def paired_point(on_cost: list[float], off_cost: list[float]) -> Any:
    # net_value diffs 3, 4, 5 (mean 4, half t2 / sqrt(3))
    records = arm_records("on", net_value=[10.0, 13.0, 16.0], broker_cost=on_cost)
    records += arm_records("off", net_value=[7.0, 9.0, 11.0], broker_cost=off_cost)
    (pr,) = aggregate(spec(), [point()], records)
    return pr


def test_broker_return_is_the_net_effect_over_the_broker_arms_cost() -> None:
    # cost with the broker 2, 2, 2 (mean 2); without it 0: return 4 / 2 = 2
    pr = paired_point([2.0, 2.0, 2.0], [0.0, 0.0, 0.0])
    half = T2 / math.sqrt(3)
    got = broker_return(pr)
    assert list(got) == ["broker_return", "broker_return_low", "broker_return_high"]
    assert got["broker_return"] == pytest.approx(2.0, rel=REL)
    assert got["broker_return_low"] == pytest.approx((4.0 - half) / 2.0, rel=REL)
    assert got["broker_return_high"] == pytest.approx((4.0 + half) / 2.0, rel=REL)


def test_broker_return_divides_by_the_arm_with_the_broker_not_the_cost_difference() -> None:
    # on cost 1, 2, 3 (mean 2), off 0.5 each: the divisor is the on arm's 2 (not the
    # difference 1.5, not the off arm's 0.5): return 4 / 2 = 2
    pr = paired_point([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    assert broker_return(pr)["broker_return"] == pytest.approx(2.0, rel=REL)


def test_broker_return_is_empty_without_a_cost_or_a_net_value() -> None:
    assert broker_return(paired_point([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])) == {}
    assert broker_return(paired_point([-1.0, -1.0, -1.0], [0.0, 0.0, 0.0])) == {}
    pr = paired_point([2.0, 2.0, 2.0], [0.0, 0.0, 0.0])
    no_net = attrs.evolve(pr, effect={k: v for k, v in pr.effect.items() if k != "net_value"})
    assert broker_return(no_net) == {}
    no_cost = attrs.evolve(pr, effect={k: v for k, v in pr.effect.items() if k != "broker_cost"})
    assert broker_return(no_cost) == {}
    # a tiny positive cost is still a cost: 4 / 0.001 = 4000
    tiny = paired_point([0.001, 0.001, 0.001], [0.0, 0.0, 0.0])
    assert broker_return(tiny)["broker_return"] == pytest.approx(4000.0, rel=1e-9)


# ------------------------------------------------------------------ table_rows


def test_a_paired_row_holds_arm_means_the_difference_its_share_and_the_return() -> None:
    pr = paired_point([2.0, 2.0, 2.0], [0.0, 0.0, 0.0])
    s = spec(metrics=("net_value", "ceo_hours"))
    (row,) = table_rows(s, [pr])
    half = T2 / math.sqrt(3)
    assert row["point"] == 0 and row["conflicts.intensity"] == 0.5
    assert row["runs"] == 3 and row["failed"] == 0
    assert row["net_value.on"] == pytest.approx(13.0, rel=REL)
    assert row["net_value.off"] == pytest.approx(9.0, rel=REL)
    assert row["net_value.diff"] == pytest.approx(4.0, rel=REL)
    assert row["net_value.diff_low"] == pytest.approx(4.0 - half, rel=REL)
    assert row["net_value.diff_high"] == pytest.approx(4.0 + half, rel=REL)
    # relative: the share of the without-broker mean, 4 / 9
    assert row["net_value.rel"] == pytest.approx(4.0 / 9.0, rel=REL)
    assert row["net_value.rel_low"] == pytest.approx((4.0 - half) / 9.0, rel=REL)
    assert row["net_value.rel_high"] == pytest.approx((4.0 + half) / 9.0, rel=REL)
    # 4 - 2.484 > 0: significant
    assert row["net_value.significant"] is True
    assert row["broker_return"] == pytest.approx(2.0, rel=REL)
    # metrics of interest first, then the other headline metrics in catalogue order
    order = [k[: -len(".on")] for k in row if k.endswith(".on")]
    assert order == ["net_value", "ceo_hours"] + [
        m for m in HEADLINE if m not in ("net_value", "ceo_hours")
    ]
    # the keys of one metric, in order
    keys = [k for k in row if k.startswith("net_value.")]
    assert keys == [
        "net_value.on",
        "net_value.off",
        "net_value.diff",
        "net_value.diff_low",
        "net_value.diff_high",
        "net_value.rel",
        "net_value.rel_low",
        "net_value.rel_high",
        "net_value.p",  # the paired t-test's p-value, then BH over the points
        "net_value.p_bh",
        "net_value.significant",
    ]
    assert list(row)[:4] == ["point", "conflicts.intensity", "runs", "failed"]


def test_a_not_significant_difference_is_reported_so() -> None:
    # diffs 3, 5, 1: mean 3, sd 2, half t2 * 2 / sqrt(3) = 4.968 > 3
    records = arm_records("on", net_value=[10.0, 14.0, 12.0])
    records += arm_records("off", net_value=[7.0, 9.0, 11.0])
    (pr,) = aggregate(spec(), [point()], records)
    (row,) = table_rows(spec(), [pr])
    assert row["net_value.significant"] is False
    assert row["net_value.diff_low"] == pytest.approx(3.0 - T2 * 2 / math.sqrt(3), rel=REL)
    # no broker cost recorded (NaN): no return in the row
    assert "broker_return" not in row


def test_a_paired_row_skips_a_metric_the_point_has_no_comparison_of() -> None:
    pr = paired_point([2.0, 2.0, 2.0], [0.0, 0.0, 0.0])
    pr = attrs.evolve(pr, effect={k: v for k, v in pr.effect.items() if k != "ceo_hours"})
    (row,) = table_rows(spec(metrics=("ceo_hours", "net_value")), [pr])
    assert not any(k.startswith("ceo_hours.") for k in row)
    assert row["net_value.diff"] == pytest.approx(4.0, rel=REL)


def test_an_unpaired_row_holds_the_arms_mean_and_ci() -> None:
    # net_value 2, 4, 9: mean 5, half t2 * sqrt(13) / sqrt(3)
    s = spec(paired=False, metrics=("net_value",))
    (pr,) = aggregate(s, [point()], arm_records("on", net_value=[2.0, 4.0, 9.0]))
    (row,) = table_rows(s, [pr])
    half = T2 * math.sqrt(13) / math.sqrt(3)
    assert row["net_value.mean"] == pytest.approx(5.0, rel=REL)
    assert row["net_value.low"] == pytest.approx(5.0 - half, rel=REL)
    assert row["net_value.high"] == pytest.approx(5.0 + half, rel=REL)
    assert "net_value.diff" not in row and "broker_return" not in row
    assert not any(k.endswith(".on") for k in row)
    # a point without any arm gives parameters and counts only
    empty = attrs.evolve(pr, arms={})
    (bare,) = table_rows(s, [empty])
    assert bare == {"point": 0, "conflicts.intensity": 0.5, "runs": 3, "failed": 0}


# ------------------------------------------------------------------ sensitivity_outputs


def test_paired_sensitivity_outputs_are_effects_and_arm_means_per_point() -> None:
    # point 0: diffs 1 each (on mean 3, off 2); point 1: diffs 5 (on 10, off 5)
    # praises exists with the broker only: on alone (point 0 mean 2, point 1 mean 4)
    records = (
        arm_records("on", 0, net_value=[2.0, 3.0, 4.0], praises=[1.0, 2.0, 3.0])
        + arm_records("off", 0, net_value=[1.0, 2.0, 3.0], praises=[math.nan] * 3)
        + arm_records("on", 1, net_value=[10.0, 10.0, 10.0], praises=[4.0, 4.0, 4.0])
        + arm_records("off", 1, net_value=[5.0, 5.0, 5.0], praises=[math.nan] * 3)
    )
    s = spec(metrics=("net_value", "praises"))
    results = aggregate(s, [point(0, 0.5), point(1, 2.0)], records)
    out = sensitivity_outputs(s, results)
    assert list(out) == ["net_value.effect", "net_value.on", "net_value.off", "praises.on"]
    assert out["net_value.effect"].tolist() == [1.0, 5.0]
    assert out["net_value.on"].tolist() == [3.0, 10.0]
    assert out["net_value.off"].tolist() == [2.0, 5.0]
    assert out["praises.on"].tolist() == [2.0, 4.0]


def test_paired_sensitivity_outputs_are_nan_where_a_point_lacks_the_arm_or_effect() -> None:
    records = arm_records("on", 0, net_value=[2.0, 3.0]) + arm_records(
        "off", 0, net_value=[1.0, 1.0]
    )
    records += arm_records("on", 1, net_value=[7.0, 9.0])  # point 1: no off arm
    s = spec(metrics=("net_value",))
    out = sensitivity_outputs(s, aggregate(s, [point(0), point(1, 2.0)], records))
    assert out["net_value.effect"][0] == pytest.approx(1.5, rel=REL)
    assert math.isnan(out["net_value.effect"][1])
    assert out["net_value.on"].tolist() == [2.5, 8.0]
    assert out["net_value.off"][0] == 1.0 and math.isnan(out["net_value.off"][1])


def test_unpaired_sensitivity_outputs_are_the_level_per_point() -> None:
    s = spec(paired=False, metrics=("net_value", "ceo_hours"))
    records = arm_records("on", 0, net_value=[2.0, 4.0], ceo_hours=[1.0, 1.0])
    records += arm_records("on", 1, net_value=[6.0, 8.0], ceo_hours=[3.0, 5.0])
    results = aggregate(s, [point(0), point(1, 2.0)], records)
    out = sensitivity_outputs(s, results)
    assert list(out) == ["net_value", "ceo_hours"]
    assert out["net_value"].tolist() == [3.0, 7.0]
    assert out["ceo_hours"].tolist() == [1.0, 4.0]
    # a point with no arm at all is NaN
    none = sensitivity_outputs(s, [attrs.evolve(results[0], arms={})])
    assert math.isnan(none["net_value"][0])
