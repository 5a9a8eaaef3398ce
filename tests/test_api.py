"""The public API: what ``import orgsim`` offers, and what it must not do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import orgsim
from orgsim import api
from orgsim.experiments.samples import arm_arrays
from orgsim.metrics.projections import department_utilisation


def test_all_names_exist_and_nothing_else_is_promised() -> None:
    assert sorted(orgsim.__all__) == sorted(set(orgsim.__all__))
    for name in orgsim.__all__:
        assert hasattr(orgsim, name), name
    assert "np" not in orgsim.__all__ and "simpy" not in orgsim.__all__


def test_import_has_no_heavy_or_global_side_effects() -> None:
    code = (
        "import sys, random, numpy as np\n"
        "state = (random.getstate(), np.random.get_state()[1].tobytes())\n"
        "import orgsim\n"
        "orgsim.run_scenario('startup', seed=1, overrides=['horizon=30'])\n"
        "assert state == (random.getstate(), np.random.get_state()[1].tobytes())\n"
        "heavy = [m for m in ('matplotlib', 'dask', 'distributed', 'SALib', 'pandas')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_run_scenario_returns_metrics_from_the_log() -> None:
    result = orgsim.run_scenario("startup", seed=2, overrides=["horizon=120"])
    # the log's metrics, and each department's utilisation from the state it folds to
    utilisation = department_utilisation(orgsim.fold(result.log))
    assert result.metrics == {**orgsim.metrics(result.log), **utilisation}
    assert set(utilisation) == {f"utilisation.{d}" for d in result.state.departments}
    assert orgsim.replay(result.log).state.snapshot() == result.state.snapshot()
    assert result.broker is True


def test_the_experiments_come_with_their_files() -> None:
    assert orgsim.compare is api.compare and orgsim.sweep is api.sweep
    assert orgsim.load_sweep("size-vs-conflict").name == "size-vs-conflict"
    assert "midsize" in orgsim.bundled_scenarios()


@pytest.mark.slow
def test_charts_of_companies_that_fail_at_different_quarters(tmp_path: Path) -> None:
    """A company that runs out of cash has fewer quarters: the series are NaN-padded.

    Four start-up pairs over 900 days: at the shared constants most run out of cash
    before the horizon, at different days, so the quarterly series differ in length.
    """
    pytest.importorskip("matplotlib")
    result = orgsim.compare("startup", runs=4, out=tmp_path, overrides=["horizon=900"])
    quarters = {len(r.quarterly["value_shipped"]) for r in result.records if r.status == "ok"}
    assert len(quarters) > 1  # the case the padding is for
    assert {"timeseries", "funnel"} <= {c.name for c in result.charts}
    assert all(p.exists() for c in result.charts for p in c.paths)
    lengths = [len(r.quarterly["value_shipped"]) for r in result.records if r.arm == "on"]
    on = arm_arrays(result.records, "on", "quarterly")["value_shipped"]
    assert on.shape == (4, max(lengths))
    assert np.isnan(on).sum() == sum(max(lengths) - n for n in lengths)
