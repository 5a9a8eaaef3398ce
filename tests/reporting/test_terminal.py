"""What the terminal prints for a sweep's sensitivity when there is little to say."""

from __future__ import annotations

import io

from rich.console import Console

from orgsim.analysis.sensitivity import Sensitivity
from orgsim.reporting.terminal import sensitivity_table


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
