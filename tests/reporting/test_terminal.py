"""What the terminal prints: comparison tables that fit their width, sweeps, sensitivity."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import numpy as np
import pytest
from rich.console import Console

from orgsim.analysis.sensitivity import Sensitivity
from orgsim.analysis.stats import Comparison, Estimate, compare_table
from orgsim.experiments.calibrate.posterior import ParameterSummary
from orgsim.experiments.sweep.aggregate import PointResult, broker_return
from orgsim.metrics.catalogue import BROKER_ONLY, METRICS, metric
from orgsim.metrics.format import INLINE_UNITS
from orgsim.reporting.calibrate import _posterior_table
from orgsim.reporting.terminal import (
    _index_cells,
    _return_cell,
    comparison_table,
    marked_significant,
    p_text,
    sensitivity_table,
    with_ci,
    wrap_at,
)


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
    assert _return_cell(ret) == "3.0"  # a CI of no width is not shown
    assert _return_cell({}) == "–"
    wide = {"broker_return": 6.0, "broker_return_low": 2.5, "broker_return_high": 140.0}
    assert _return_cell(wide) == "6.0 [2.5, 140]"
    assert _return_cell(wide, 2) == "6.0\n[2.5,\n140]"  # stacked: bounds on two lines


def test_a_sweep_header_wraps_at_spaces_or_after_dots_never_inside_a_word() -> None:
    assert wrap_at("Δ Lead time (median)", 6, " ") == "Δ Lead\ntime\n(median)"
    assert wrap_at("conflicts.intensity", 3, ".") == "conflicts.\nintensity"
    assert wrap_at("broker.mediators", 20, ".") == "broker.mediators"


# ------------------------------------------------------------ comparison table

#: Per unit, a typical magnitude, so the cells are as wide as a real run's.
SCALE = {"k$": -43_700.0, "share": 0.75, "count": 1_095.0, "days": 13_747.0}


def _arms(n: int = 12, seed: int = 3) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Two arms holding every catalogue metric, the departments' and three constants."""
    rng = np.random.default_rng(seed)
    names = [m.name for m in METRICS] + [
        f"{family}.{dept}" for family in ("headcount_end", "utilisation") for dept in DEPTS
    ]
    on, off = {}, {}
    for name in names:
        scale = SCALE.get(metric(name).unit, 57.3)
        off[name] = scale * (1 + 0.3 * rng.standard_normal(n))
        on[name] = off[name] + 0.4 * abs(scale) * (1 + 0.5 * rng.standard_normal(n))
    on["broker_cost"], off["broker_cost"] = np.full(n, 900.0), np.zeros(n)  # constant
    on["utilisation.sales"] = off["utilisation.sales"] = np.zeros(n)  # identical arms
    on["time_to_failure"] = np.full(n, 1_095.0)  # constant in one arm
    return on, off


DEPTS = ("engineering", "marketing", "product", "qa", "sales", "support")


def _table(ci: str = "t") -> dict[str, Comparison]:
    on, off = _arms()
    better = {m.name: m.better for m in METRICS}
    return compare_table(on, off, better, broker_only=BROKER_ONLY, ci=ci, n_resamples=200)


def _render(table: dict[str, Comparison], width: int, ci: str = "t") -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(comparison_table(table, width=width, p_head="p (Holm)", ci=ci))
    return console.export_text()


def _names(text: str) -> str:
    """The metric column's text, its wrapped lines joined with spaces."""
    lines = (re.sub("[│┃]", "  ", line).strip() for line in text.splitlines())
    fragments = (re.split(r"\s{2,}", line)[0] for line in lines)
    return " ".join(f for f in fragments if f and f[0] not in "±[+-$0123456789")


@pytest.mark.parametrize(("width", "ci"), [(80, "t"), (80, "bootstrap"), (100, "t"), (120, "t")])
def test_the_comparison_table_fits_its_width_and_cuts_no_name(width: int, ci: str) -> None:
    """No line wider than the console, no ellipsis, every label whole (wrapped at spaces)."""
    table = _table(ci)
    text = _render(table, width, ci)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    names = _names(text)
    for name in table:
        entry = metric(name)
        unit = "" if entry.unit in INLINE_UNITS else f" ({entry.unit})"
        assert entry.label + unit in names, entry.label


def test_the_wide_layout_puts_a_metric_on_one_line_and_the_narrow_one_stacks() -> None:
    """At 120 columns the CI follows its value; at 80 it goes on the next line."""
    table = _table()
    wide = [line for line in _render(table, 120).splitlines() if "Net value" in line]
    assert len(wide) == 1 and wide[0].count("±") == 3  # both arms and the difference
    narrow = _render(table, 80).splitlines()
    at = next(i for i, line in enumerate(narrow) if line.strip().startswith("Net value"))
    assert "±" not in narrow[at] and narrow[at + 1].count("±") == 3
    assert "%)" in narrow[at]  # the relative difference joins the difference cell


@pytest.mark.parametrize("width", [80, 120])
def test_no_plus_minus_without_meaning_and_no_mark_without_a_test(width: int) -> None:
    """A constant shows no ±0, a missing value no ±, an untested difference no p."""
    table = _table()
    text = _render(table, width)
    assert re.search(r"±\$?0(\.0+)?[kM%]?(?![\d.])", text) is None  # no ±0, ±$0k, ±0.0%
    assert "±–" not in text and "– ±" not in text
    for name in ("broker_cost", "utilisation.sales"):
        c = table[name]
        assert not marked_significant(c) and p_text(c) == "–"
    assert table["broker_cost"].p_adjusted == 0.0  # the test said "certain": not shown
    assert with_ci(table["broker_cost"].diff, "k$", signed=True) == "+$900k"
    assert with_ci(table["utilisation.sales"].on, "share") == "0.0%"
    assert with_ci(table["time_to_failure"].on, "") == "1,095"
    assert with_ci(table["credibility_end"].off, "share") == "–"  # broker only


def test_a_half_width_below_the_last_digit_reads_as_less_than_it() -> None:
    """``-0.02 ±0.00`` would say no spread: the half-width 0.004 reads ``±<0.01``."""
    e = Estimate(mean=-0.02, low=-0.024, high=-0.016, half_width=0.004, n=12, sd=0.006)
    assert with_ci(e, "", signed=True) == "-0.02 ±<0.01"
    assert with_ci(e, "", signed=True, stacked=True) == "-0.02\n±<0.01"
    money = Estimate(mean=900.0, low=899.8, high=900.2, half_width=0.2, n=12, sd=0.3)
    assert with_ci(money, "k$") == "$900k ±<$1k"
    share = Estimate(mean=0.5, low=0.4996, high=0.5004, half_width=0.0004, n=12, sd=0.1)
    assert with_ci(share, "share") == "50.0% ±<0.1%"
    boot = Estimate(1.5, 1.25, 2.25, 0.5, 12, 0.4, "bootstrap")
    assert with_ci(boot, "", stacked=True) == "1.50\n[1.25,\n2.25]"


def test_the_fork_table_names_its_arms_and_fits_80_columns() -> None:
    """``orgsim fork``'s layout: parents then forks, no relative column, same rules."""
    table = _table()
    console = Console(width=80, record=True, file=io.StringIO())
    arms = (("parents", "off"), ("forks", "on"))
    console.print(comparison_table(table, width=80, arms=arms, wins="fork better", relative=False))
    text = console.export_text()
    head = text.split("─")[0].split()  # the two header lines, "fork" over "better"
    assert head == ["fork", "metric", "parents", "forks", "difference", "better", "p"]
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    assert "(relative)" not in text and "%)" not in text  # no relative difference
    at = next(line for line in text.splitlines() if line.strip().startswith("Broker cost"))
    assert at.split()[-5:] == ["$0k", "$900k", "+$900k", "0%", "–"]  # parents first


def test_sensitivity_indices_show_no_plus_minus_of_nothing() -> None:
    """An index whose CI half-width is 0 or missing reads alone; a tiny one ``± <0.01``."""
    values = {
        "delta": np.array([0.41, 0.2]),
        "delta_conf": np.array([0.0, 0.004]),
        "S1": np.array([0.3, 0.1]),
        "S1_conf": np.array([np.nan, 0.05]),
    }
    assert _index_cells("delta", values, 0) == ["0.41", "0.30"]
    assert _index_cells("delta", values, 1) == ["0.20 ± <0.01", "0.10 ± 0.05"]


def test_the_posterior_table_wraps_long_paths_after_dots_to_fit_80_columns() -> None:
    """``departments.engineering.attrition`` breaks after its dots; no cell is cut."""
    rows = [
        ParameterSummary(
            path=path, prior_low=lo, prior_high=hi, mean=m, sd=0.1, low=m * 0.8,
            median=m, high=m * 1.2, shrinkage=0.37, truth=m,
        )
        for path, lo, hi, m in [
            ("talent.time_to_hire", 30.0, 60.0, 48.2),
            ("departments.engineering.attrition", 0.08, 0.35, 0.261),
            ("broker.success_credibility", 0.25, 0.7, 0.5),
        ]
    ]  # fmt: skip
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(_posterior_table(SimpleNamespace(summary=rows), 80))  # type: ignore[arg-type]
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    body = re.split("[─━]{10,}", text)[1].splitlines()
    cells = [re.split(r"\s{2,}", line.replace("│", " ").strip())[0] for line in body]
    assert "".join(cells) == "".join(r.path for r in rows)  # whole, in order
    assert "departments." in cells  # broken after a dot
    wide = Console(width=200, record=True, file=io.StringIO())
    wide.print(_posterior_table(SimpleNamespace(summary=rows), 200))  # type: ignore[arg-type]
    assert "│ departments.engineering.attrition │" in wide.export_text()  # no need to wrap
