"""Golden values: one scenario and seed, pinned, to catch unintended drift.

If a change to the model is *meant* to change results, rerun the snippet below and
update these values in the same commit, saying why in the CHANGELOG:

    import orgsim
from orgsim.engine.log import log_digest
    r = orgsim.run_scenario("midsize", seed=1, broker=True, overrides=["horizon=365"])
    print(len(r.log), r.log.digest(), log_digest(r.log), r.metrics)

(``log_digest`` from ``orgsim.engine.log``.) ``json_digest`` is the digest of the
events' JSON rows, the format before the columnar log: that it is unchanged since
orgsim 0.2 shows that storing the log in columns left every event as it was.
"""

from __future__ import annotations

import pytest

import orgsim
from orgsim.engine.log import log_digest

GOLDEN = {
    True: {
        "events": 2404,
        "json_digest": "11d61c449c2d9a406ddafb0350db30eeb82087b1cb36fd5ecc0d2f353f1bb658",
        "digest": "d0c57b2fcc3eef8f08ff3abf285927935420f084d606dd1a979506b2328d917b",
        "metrics": {
            "features_shipped": 175.0,
            "value_shipped": 108119.53486217858,
            "lead_time_p50": 106.87234624589793,
            "conflicts_raised": 50.0,
            "conflicts_resolved": 46.0,
            "resolution_quality": 0.9130434782608695,
            "ceo_hours": 100.25132574941452,
            "headcount_end": 495.0,
            "net_value": 29286.4773228634,
        },
    },
    False: {
        "events": 2178,
        "json_digest": "c7d56a8759627f59f45a90b8cae64fd9253f1e134f2e9f05cc979cd6fd1dfa89",
        "digest": "6e7b665f43ca7a170ed991990c07b10399949c5940a26029261a065d1a5f937b",
        "metrics": {
            "features_shipped": 139.0,
            "value_shipped": 83583.7332742177,
            "lead_time_p50": 116.16206026384067,
            "conflicts_raised": 53.0,
            "conflicts_resolved": 39.0,
            "resolution_quality": 0.5128205128205128,
            "ceo_hours": 99.81061166088143,
            "headcount_end": 487.0,
            "net_value": 6305.091049191295,
        },
    },
}


@pytest.mark.golden
@pytest.mark.parametrize("broker", [True, False])
def test_midsize_seed_1_one_year_is_pinned(broker: bool) -> None:
    result = orgsim.run_scenario("midsize", seed=1, broker=broker, overrides=["horizon=365"])
    golden = GOLDEN[broker]
    assert len(result.log) == golden["events"]
    for name, value in golden["metrics"].items():
        assert result.metrics[name] == pytest.approx(value, rel=1e-12), name
    assert result.log.digest() == golden["digest"]
    assert log_digest(result.log) == golden["json_digest"]
