"""Golden values: one scenario and seed, pinned, to catch unintended drift.

If a change to the model is *meant* to change results, rerun the snippet below and
update these values in the same commit, saying why in the CHANGELOG:

    import orgsim
    r = orgsim.run_scenario("midsize", seed=1, broker=True, overrides=["horizon=365"])
    print(len(r.log), r.log.digest(), r.metrics)
"""

from __future__ import annotations

import pytest

import orgsim

GOLDEN = {
    True: {
        "events": 2365,
        "digest": "a59e3002c1728f9bb78d36dddccc862a3fd1b4b1ee1a0f678fa6c4796eed347a",
        "metrics": {
            "features_shipped": 152.0,
            "value_shipped": 93034.152384145,
            "lead_time_p50": 102.87585017303505,
            "conflicts_raised": 50.0,
            "conflicts_resolved": 46.0,
            "resolution_quality": 0.9782608695652174,
            "ceo_days": 45.48584120612259,
            "headcount_end": 492.0,
            "net_value": 14526.09097665362,
        },
    },
    False: {
        "events": 2158,
        "digest": "416d602bd6226008981589bd8a956eeb3489a16bebcb9c26a23f72e92fac55b6",
        "metrics": {
            "features_shipped": 126.0,
            "value_shipped": 73481.04403745818,
            "lead_time_p50": 124.01547728591413,
            "conflicts_raised": 53.0,
            "conflicts_resolved": 38.0,
            "resolution_quality": 0.7368421052631579,
            "ceo_days": 58.32403298973983,
            "headcount_end": 486.0,
            "net_value": -3756.505800509505,
        },
    },
}


@pytest.mark.parametrize("broker", [True, False])
def test_midsize_seed_1_one_year_is_pinned(broker: bool) -> None:
    result = orgsim.run_scenario("midsize", seed=1, broker=broker, overrides=["horizon=365"])
    golden = GOLDEN[broker]
    assert len(result.log) == golden["events"]
    for name, value in golden["metrics"].items():
        assert result.metrics[name] == pytest.approx(value, rel=1e-12), name
    assert result.log.digest() == golden["digest"]
