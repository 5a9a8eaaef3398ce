"""Values of the ``StageCompleted`` events of one feature through three stages.

:func:`orgsim.engine.delivery.work_due` records ``StageCompleted(feature, stage)``
with the stage just finished, for every stage but the last, which ships.

The company: one feature planned at day 0 with efforts 40 (build, two engineers),
10 (test, one QA) and 5 (launch, one marketer), everyone at skill 1 from day 0, no
conflicts, hiring or attrition: build ends at 40 / 2 = 20, test at 20 + 10 / 1 = 30,
launch (shipped) at 30 + 5 / 1 = 35.
"""

from __future__ import annotations

from typing import Any

from builders import one_stage_company
from orgsim.engine import events as ev
from orgsim.engine.run import Run


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def test_each_stage_completed_names_the_stage_just_finished() -> None:
    person = {"salary": 365.0, "attrition": 0.0}
    sc = one_stage_company(
        {
            "engineering": {"staff": 2} | person,
            "qa": {"staff": 1} | person,
            "marketing": {"staff": 1} | person,
        },
        horizon=100.0,
        delivery={
            "products": 1,
            "initial_features": 1,
            "feature_interarrival": det(1e6),
            "value": det(100.0),
            "due_in": det(1000.0),
            "stages": [
                {"name": "build", "department": "engineering", "effort": det(40.0)},
                {"name": "test", "department": "qa", "effort": det(10.0)},
                {"name": "launch", "department": "marketing", "effort": det(5.0)},
            ],
        },
        talent={"skill_cv": 0.0, "max_hires_per_quarter": 0.0},
    )
    run = Run(sc, seed=1)
    run.setup()
    run.env.run(until=sc.horizon)
    stages = [(e.time, e.feature, e.stage) for e in run.log if isinstance(e, ev.StageCompleted)]
    assert stages == [(20.0, 0, 0), (30.0, 0, 1)]
    (shipped,) = [e for e in run.log if isinstance(e, ev.FeatureShipped)]
    assert (shipped.time, shipped.feature) == (35.0, 0)
