"""The default replication of :class:`orgsim.engine.rng.Streams` is 0."""

from __future__ import annotations

from orgsim.engine.rng import Streams


def test_streams_default_to_replication_zero() -> None:
    s = Streams(5)
    assert s.replication == 0
    assert s["x"].random(3).tolist() == Streams(5, 0)["x"].random(3).tolist()
    assert s["x"].random() != Streams(5, 1)["x"].random()
