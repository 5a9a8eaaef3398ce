"""Values of the named random streams: the exact key of a name, and one generator per name.

A stream is ``Generator(PCG64(SeedSequence(seed, spawn_key=(replication, key))))``
with ``key`` the big-endian integer of the name's 4-byte BLAKE2b digest (the module's
documented construction), so each expected generator below is built the same way
from numpy's own classes and compared draw for draw (``==``: the same bits).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from orgsim.engine.rng import Streams, stream_key


def reference(seed: int, replication: int, name: str) -> np.random.Generator:
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big")
    seq = np.random.SeedSequence(seed, spawn_key=(replication, key))
    return np.random.Generator(np.random.PCG64(seq))


def test_stream_keys_are_the_big_endian_blake2b_digest_of_the_name() -> None:
    # blake2b(b"a", digest_size=4) = ca 23 4c 55: 0xca234c55 read big-endian
    assert stream_key("a") == 0xCA234C55 == 3391310933
    assert stream_key("conflict.poaching") == 0x2A264B44 == 707152708
    assert stream_key("staff.engineering") == 0x4123A14C
    assert stream_key("") == 0x1271CF25


def test_a_stream_is_the_documented_seed_sequence_of_seed_replication_and_name() -> None:
    s = Streams(11, 3)
    assert (s.seed, s.replication) == (11, 3)
    assert s["conflict.poaching"].random(4).tolist() == (
        reference(11, 3, "conflict.poaching").random(4).tolist()
    )


def test_the_default_replication_is_0() -> None:
    s = Streams(5)
    assert s.replication == 0
    assert s["a"].random(3).tolist() == reference(5, 0, "a").random(3).tolist()
    assert s["a"].random() != Streams(5, 1)["a"].random()


def test_each_name_has_its_own_independent_reproducible_generator() -> None:
    s = Streams(7, 2)
    a = s["a"]
    assert s["a"] is a  # one generator per name, created on first use
    first = a.random(5).tolist()
    # draws from "a" leave "b" exactly where a fresh "b" starts
    assert s["b"].random(3).tolist() == reference(7, 2, "b").random(3).tolist()
    assert first == reference(7, 2, "a").random(5).tolist()
    assert first != reference(7, 2, "b").random(5).tolist()
    assert s.names == ("a", "b")
    # the same (seed, replication, name) gives the same numbers in another Streams
    assert Streams(7, 2)["a"].random(5).tolist() == first


@pytest.mark.parametrize(("seed", "replication"), [(-1, 0), (0, -2)])
def test_negative_seeds_and_replications_are_refused(seed: int, replication: int) -> None:
    with pytest.raises(ValueError) as info:
        Streams(seed, replication)
    assert str(info.value) == f"seed ({seed}) and replication ({replication}) must be >= 0"
