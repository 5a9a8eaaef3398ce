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
        "events": 2378,
        "digest": "c6763f05eaaf37bb4e582be7763781a3b7b251b14d28a5e19d8a2ca405098b93",
        "metrics": {
            "features_shipped": 190.0,
            "value_shipped": 129188.68250654338,
            "lead_time_p50": 84.19345129978186,
            "conflicts_raised": 48.0,
            "conflicts_resolved": 44.0,
            "resolution_quality": 0.9772727272727273,
            "ceo_days": 46.01177244791585,
            "headcount_end": 495.0,
            "net_value": 50061.65152691561,
        },
    },
    False: {
        "events": 2211,
        "digest": "7266f73833f6704fc2f28a4bdc01f640b0afd34a4dd5fc7fb163fbba73faecd6",
        "metrics": {
            "features_shipped": 158.0,
            "value_shipped": 106027.42430632166,
            "lead_time_p50": 110.86995569891626,
            "conflicts_raised": 50.0,
            "conflicts_resolved": 37.0,
            "resolution_quality": 0.7297297297297297,
            "ceo_days": 51.67056222105943,
            "headcount_end": 495.0,
            "net_value": 27130.236107915625,
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
