"""Bootstrap CIs: reproducible from the seed, paired, covering, and what the CLI says of them.

The bootstrap is BCa over the replications (pairs resampled together), the statistic
the mean. Its interval is checked against scipy's own paired bootstrap, for coverage
on a skewed (lognormal) distribution, and end to end in ``orgsim compare --ci
bootstrap --json``. The t interval stays the default, unchanged.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from conftest import CLI, OneLineError
from orgsim.analysis.stats import (
    BOOTSTRAP_RESAMPLES,
    compare_table,
    mean_ci,
    paired,
    with_broker_only,
)
from orgsim.errors import ExperimentError
from orgsim.experiments.compare import compare
from orgsim.storage.results import ResultsDB

SMALL = 999  # resamples in the tests: enough for the checks, a few ms each


def skewed(seed: int, n: int = 40, sigma: float = 0.75) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(0.0, sigma, n)


def test_the_t_interval_stays_the_default() -> None:
    x = skewed(1)
    assert mean_ci(x) == mean_ci(x, ci="t") and mean_ci(x).method == "t"
    c = paired(x, skewed(2))
    assert c.ci == "t" and c.diff.method == "t"
    assert c.diff.half_width == pytest.approx(
        sps.t.ppf(0.975, 39) * np.std(x - skewed(2), ddof=1) / math.sqrt(40), rel=1e-12
    )


def test_the_bootstrap_is_reproducible_from_its_seed() -> None:
    x = skewed(3)
    a = mean_ci(x, ci="bootstrap", seed=5, n_resamples=SMALL)
    assert a == mean_ci(x, ci="bootstrap", seed=5, n_resamples=SMALL)
    b = mean_ci(x, ci="bootstrap", seed=6, n_resamples=SMALL)
    assert (a.low, a.high) != (b.low, b.high)  # another seed, other resamples
    assert a.method == "bootstrap" and a.mean == b.mean == float(np.mean(x))
    assert a.half_width == pytest.approx((a.high - a.low) / 2.0, rel=1e-12)
    # skewed to the right: the interval reaches further above the mean than below
    assert a.high - a.mean > a.mean - a.low


def test_the_paired_bootstrap_is_scipys_over_the_pairs() -> None:
    """The difference's interval: scipy's paired BCa of mean(on - off), same generator."""
    on, off = skewed(7, 25), skewed(8, 25)
    c = paired(on, off, ci="bootstrap", seed=11, n_resamples=SMALL)
    ref = sps.bootstrap(
        (on, off),
        lambda a, b, axis=-1: np.mean(a - b, axis=axis),
        paired=True,
        n_resamples=SMALL,
        method="BCa",
        vectorized=True,
        rng=np.random.default_rng([0xB007, 11]),  # the module's stream key and the seed
    )
    assert c.diff.low == pytest.approx(ref.confidence_interval.low, rel=1e-12)
    assert c.diff.high == pytest.approx(ref.confidence_interval.high, rel=1e-12)
    assert c.ci == "bootstrap" and c.on.method == c.off.method == "bootstrap"
    # the verdict's test stays the paired t-test
    assert c.p_value == pytest.approx(sps.ttest_rel(on, off).pvalue, rel=1e-10)
    t = paired(on, off)
    assert c.significant == t.significant
    assert "95% bootstrap CI" in c.verdict


def test_bootstrap_coverage_on_a_lognormal() -> None:
    """At 95% nominal, the interval covers the true mean in at least 90% of 200 samples.

    Lognormal(0, 0.75), 40 values: mean exp(0.75^2 / 2) = 1.3246, skewness 3.0.
    """
    true_mean = math.exp(0.75**2 / 2.0)
    covered = sum(
        mean_ci(skewed(i), ci="bootstrap", seed=i, n_resamples=SMALL).contains(true_mean)
        for i in range(200)
    )
    assert covered / 200 >= 0.90


def test_bootstrap_edge_cases() -> None:
    same = mean_ci([2.0, 2.0, 2.0], ci="bootstrap")
    assert (same.mean, same.low, same.high, same.half_width) == (2.0, 2.0, 2.0, 0.0)
    one = mean_ci([2.0, math.nan], ci="bootstrap")
    assert one.n == 1 and math.isnan(one.low) and one.method == "bootstrap"
    assert mean_ci([], ci="bootstrap").n == 0
    q = with_broker_only([1.0, 2.0, 4.0, 8.0], ci="bootstrap", n_resamples=SMALL)
    assert q.ci == "bootstrap" and q.on.method == "bootstrap"
    assert "95% bootstrap CI" in q.verdict
    with pytest.raises(ValueError, match=r"^ci must be one of \('t', 'bootstrap'\), got 'z'$"):
        mean_ci([1.0, 2.0], ci="z")
    with pytest.raises(ValueError, match=r"^n_resamples must be an integer >= 2, got 1$"):
        paired([1.0, 2.0], [1.0, 3.0], ci="bootstrap", n_resamples=1)
    with pytest.raises(ValueError, match=r"^correction must be one of .*, got 'x'$"):
        compare_table({"a": [1.0]}, {"a": [1.0]}, {}, correction="x")


def test_a_table_resamples_the_same_replications_for_every_metric() -> None:
    on = {"a": skewed(1, 20), "b": 2.0 * skewed(1, 20)}
    off = {"a": skewed(2, 20), "b": 2.0 * skewed(2, 20)}
    table = compare_table(on, off, {}, ci="bootstrap", seed=3, n_resamples=SMALL)
    a, b = table["a"].diff, table["b"].diff
    # b is a scaled by 2, resampled alike: its BCa bounds are a's doubled
    assert (b.low, b.high) == pytest.approx((2.0 * a.low, 2.0 * a.high), rel=1e-9)


def test_compare_refuses_an_unknown_correction_or_ci_in_one_message(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError) as err:
        compare("startup", runs=2, out=tmp_path, correction="sidak", ci="z", executor="serial")
    assert str(err.value) == (
        "--correction must be one of holm, bh, none, got 'sidak'; "
        "--ci must be one of t, bootstrap, got 'z'"
    )
    assert not (tmp_path / "results.sqlite").exists()  # refused before anything ran


@pytest.mark.slow
def test_cli_compare_bootstrap_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["compare", "startup", "--runs", "4", "--set", "horizon=120", "--no-charts"]
    argv += ["--executor", "serial", "--seed", "3", "--out", str(tmp_path)]
    assert cli([*argv, "--json", "--ci", "bootstrap"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["statistics"] == {
        "ci": "bootstrap",
        "n_resamples": BOOTSTRAP_RESAMPLES,
        "level": 0.95,
        "correction": "holm",
        "family": doc["statistics"]["family"],
        "test": "paired t-test",
    }
    with ResultsDB(tmp_path / "results.sqlite") as db:
        records = db.records()
    on = np.array([r.metrics["value_shipped"] for r in records if r.arm == "on"])
    off = np.array([r.metrics["value_shipped"] for r in records if r.arm == "off"])
    # the interval, from the stored runs and the root seed
    d = mean_ci(on - off, ci="bootstrap", seed=3)
    row = doc["metrics"]["value_shipped"]
    assert (row["diff"]["low"], row["diff"]["high"]) == pytest.approx((d.low, d.high))
    assert row["p_value"] == pytest.approx(sps.ttest_rel(on, off).pvalue)
    # Holm over the metrics that have a p-value
    tested = {k: r for k, r in doc["metrics"].items() if r["p_value"] is not None}
    assert doc["statistics"]["family"] == len(tested) > 10
    _, holm, _, _ = multipletests([r["p_value"] for r in tested.values()], method="holm")
    assert [r["p_adjusted"] for r in tested.values()] == pytest.approx(list(holm))
    for r in tested.values():
        assert not r["significant"] or r["p_adjusted"] < 0.05

    # the same runs, re-analysed: the table says which CI, correction and family
    monkeypatch.setenv("COLUMNS", "250")
    assert cli([*argv, "--ci", "bootstrap", "--correction", "none"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "95% boot. CI" in text and "BCa bootstrap CIs (9999 resamples" in text
    assert "not corrected for multiplicity" in text
    assert cli([*argv]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"adjusted by Holm over {len(tested)} metrics" in text and "p (Holm)" in text


def test_cli_refuses_an_unknown_correction(
    cli: CLI, one_line_error: OneLineError, capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_line_error(cli(["compare", "startup", "--correction", "bonferroni"]))
    assert "--correction" in line and "bonferroni" in line
