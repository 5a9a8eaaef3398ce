"""What the terminal prints for a sweep's sensitivity when there is little to say."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console

from orgsim.analysis.sensitivity import Sensitivity
from orgsim.analysis.stats import compare_table
from orgsim.experiments.sweep.aggregate import PointResult, broker_return
from orgsim.reporting.terminal import _return_cell, sensitivity_table


def printed(sens: Sensitivity) -> str:
    out = io.StringIO()
    sensitivity_table(sens, Console(file=out, width=200))
    return out.getvalue()


def test_a_design_too_small_for_any_index_prints_one_line_per_reason() -> None:
    """A 7-point sweep skips every output for the same reason: no empty table, one line."""
    few = "too few design points for the delta measure (7, needs 20 or more)"
    skipped = {"net_value.effect": few, "net_value.on": few, "cost.off": "it does not vary"}
    text = printed(Sensitivity("delta", ("scale",), {}, skipped, seed=1, points=7))
    assert "sensitivity (±" not in text  # no table without indices
    assert text.splitlines() == [
        f"not analysed ({few}): net_value.effect, net_value.on",
        "not analysed (it does not vary): cost.off",
    ]


def test_a_paired_sweep_table_shows_the_brokers_return() -> None:
    """The return column: the net-value effect over the broker's cost, with its CI."""
    on = {"net_value": np.array([10.0, 12.0, 14.0]), "broker_cost": np.full(3, 2.0)}
    off = {"net_value": np.array([4.0, 6.0, 8.0]), "broker_cost": np.zeros(3)}
    effect = compare_table(on, off, better={"net_value": "higher"}, broker_only={"broker_cost"})
    pr = PointResult(
        point=0, params={}, x=(), runs=3, failed=0, replications=(0, 1, 2),
        samples={}, arms={}, effect=effect,
    )  # fmt: skip
    ret = broker_return(pr)
    assert ret["broker_return"] == 6.0 / 2.0  # a paired difference of 6 per 2 k$
    assert ret["broker_return_low"] == ret["broker_return_high"] == 3.0  # no spread
    assert _return_cell(ret) == "3.0 [3.0, 3.0]"
    assert _return_cell({}) == "–"
