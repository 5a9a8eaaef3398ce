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
        "events": 4535,
        "digest": "0e93f98df16aa8071cc273f1b1a6a55ee5761d54660b0f1bad9b614ae6d98d9d",
        "metrics": {
            "features_shipped": 190.0,
            "value_shipped": 129191.11952561422,
            "lead_time_p50": 83.0,
            "conflicts_raised": 49.0,
            "conflicts_resolved": 44.0,
            "resolution_quality": 0.9772727272727273,
            "ceo_days": 191.80964610830665,
            "headcount_end": 494.0,
            "net_value": 49755.11646973397,
        },
    },
    False: {
        "events": 4342,
        "digest": "4bf90aed3c5637082aa515eb1894e74718b018ac365d46b3751c248fbb71c60c",
        "metrics": {
            "features_shipped": 158.0,
            "value_shipped": 106033.08852353338,
            "lead_time_p50": 108.19702401038083,
            "conflicts_raised": 50.0,
            "conflicts_resolved": 37.0,
            "resolution_quality": 0.7027027027027027,
            "ceo_days": 206.6822488842377,
            "headcount_end": 500.0,
            "net_value": 26921.322383812818,
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
