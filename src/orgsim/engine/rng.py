"""Named random streams keyed by (root seed, replication, stream name).

Each source of randomness draws from its own ``numpy`` Generator, seeded with
``SeedSequence(root_seed, spawn_key=(replication, hash(name)))``. Switching the
broker on adds draws only to the broker's own streams, so every other source sees
exactly the same numbers in both arms: common random numbers (DESIGN.md invariant
4). Nothing here is global: a :class:`Streams` belongs to one run.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit integer for a stream name (Python's ``hash`` is salted)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big")


class Streams:
    """The random streams of one replication, created on first use."""

    __slots__ = ("_streams", "replication", "seed")

    def __init__(self, seed: int, replication: int = 0) -> None:
        if seed < 0 or replication < 0:
            raise ValueError(f"seed ({seed}) and replication ({replication}) must be >= 0")
        self.seed = seed
        self.replication = replication
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._streams.get(name)
        if gen is None:
            seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, stream_key(name)))
            gen = self._streams[name] = np.random.Generator(np.random.PCG64(seq))
        return gen

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the streams drawn from so far, sorted."""
        return tuple(sorted(self._streams))
