"""The Dask LocalCluster's worker logs when orgsim is verbose (``-v``): ERROR, not CRITICAL."""

from __future__ import annotations

import logging
import sys
import types

import pytest
from test_cluster_values import FakeClient, FakeCluster, fake_batch, last_first, tasks

from orgsim.experiments import cluster
from orgsim.experiments.cluster import run_on_dask


@pytest.fixture
def verbose_fakes(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="orgsim")  # verbose: below WARNING
    monkeypatch.setattr(FakeClient, "made", [])
    monkeypatch.setattr(FakeCluster, "made", [])
    monkeypatch.setattr(cluster, "execute_batch", fake_batch)
    distributed = types.ModuleType("distributed")
    distributed.Client = FakeClient  # type: ignore[attr-defined]
    distributed.LocalCluster = FakeCluster  # type: ignore[attr-defined]
    distributed.as_completed = last_first  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "distributed", distributed)


@pytest.mark.usefixtures("verbose_fakes")
def test_a_verbose_orgsim_lets_the_workers_log_errors() -> None:
    yielded = list(run_on_dask([tasks(1)], jobs=1))
    (made,) = FakeCluster.made
    assert made.kwargs["silence_logs"] == logging.ERROR
    assert made.kwargs["n_workers"] == 1
    assert [[r.replication for r in records] for records in yielded] == [[0]]
