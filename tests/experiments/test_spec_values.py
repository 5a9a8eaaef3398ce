"""SweepSpec's plain data and digest: every setting kept, hashed in compact JSON."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from orgsim.experiments.sweep.spec import parse_sweep


def morris(levels: int) -> Any:
    return parse_sweep(
        {
            "base": "midsize",
            "replications": 2,
            "design": "morris",
            "points": 2,
            "morris_levels": levels,
            "parameters": [{"path": "conflicts.intensity", "low": 0.5, "high": 2.0}],
        }
    )


def test_to_dict_keeps_the_morris_levels() -> None:
    assert morris(6).to_dict()["morris_levels"] == 6
    assert sorted(morris(6).to_dict()) == sorted(
        [
            "name",
            "description",
            "base",
            "scenario_hash",
            "design",
            "points",
            "replications",
            "paired",
            "metrics",
            "seed",
            "crn",
            "morris_levels",
            "overrides",
            "parameters",
        ]
    )


def test_the_digest_is_sha256_of_the_compact_sorted_json_of_what_keys_mean() -> None:
    spec = morris(6)
    doc = spec.to_dict()
    for key in ("name", "description", "base", "replications", "paired", "metrics"):
        del doc[key]
    # compact: no space after ',' or ':' (the digest names stored runs: it must not drift)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    assert ", " not in text and '": ' not in text
    assert spec.digest() == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert spec.experiment == f"sweep:sweep:{spec.digest()}"
    assert morris(4).digest() != spec.digest()  # the Morris grid changes what a point is
