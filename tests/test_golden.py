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
        "digest": "2cc0b33fef15da272d0611b38251b7c8e5fc9a08d9e23ead2aca3e857c57c57f",
        "metrics": {
            "features_shipped": 190.0,
            "value_shipped": 97468.33964421068,
            "lead_time_p50": 83.0,
            "conflicts_raised": 49.0,
            "conflicts_resolved": 44.0,
            "resolution_quality": 0.9772727272727273,
            "ceo_days": 191.80964610830665,
            "headcount_end": 494.0,
            "net_value": 18049.51988107596,
        },
    },
    False: {
        "events": 4357,
        "digest": "3842d90795d64b3a8a5a245dadaa8f2404adc2fbac565a5066fa23f9da2fd4b8",
        "metrics": {
            "features_shipped": 158.0,
            "value_shipped": 80099.81639265004,
            "lead_time_p50": 108.19702401038083,
            "conflicts_raised": 52.0,
            "conflicts_resolved": 39.0,
            "resolution_quality": 0.6923076923076923,
            "ceo_days": 228.44286991680195,
            "headcount_end": 497.0,
            "net_value": 1169.1645689382276,
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
