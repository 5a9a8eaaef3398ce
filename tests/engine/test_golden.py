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
        "events": 2356,
        "digest": "f5216502a136f031d083f69c82117b5540e2de5d7ee1a7bba3d4bc306a7f5704",
        "metrics": {
            "features_shipped": 189.0,
            "value_shipped": 128987.4039137837,
            "lead_time_p50": 83.09692294306981,
            "conflicts_raised": 48.0,
            "conflicts_resolved": 44.0,
            "resolution_quality": 0.9772727272727273,
            "ceo_hours": 92.02354489583175,
            "headcount_end": 495.0,
            "net_value": 49846.3307771869,
        },
    },
    False: {
        "events": 2188,
        "digest": "2d06a3990aab4b9ea5eccd978b5ecb83364f4e8366ff259c9a77f87a50d4abda",
        "metrics": {
            "features_shipped": 157.0,
            "value_shipped": 105731.89545981836,
            "lead_time_p50": 112.43003255675349,
            "conflicts_raised": 50.0,
            "conflicts_resolved": 36.0,
            "resolution_quality": 0.6944444444444444,
            "ceo_hours": 102.0664571794378,
            "headcount_end": 495.0,
            "net_value": 26800.378326652208,
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
