"""Builders of hand-made events, shared by the tests of every layer.

``RunStarted`` carries the run's whole configuration; a test names only the fields
its case turns on, and a new field of the event is added here once.
"""

from __future__ import annotations

from typing import Any

#: The payload of a neutral ``RunStarted``: no drag, no conflict attrition, full
#: productivity from the first day, one stage.
RUN_FIELDS: dict[str, Any] = dict(
    scenario="test",
    scenario_hash="0",
    seed=0,
    replication=0,
    broker=False,
    horizon=100.0,
    quarter_days=91.0,
    stage_names=("build",),
    stage_departments=("eng",),
    hiring_cost=0.0,
    drag=0.0,
    min_productivity=0.0,
    ramp_productivity=1.0,
    team_cap=8.0,
    conflict_attrition=0.0,
    ceo_hours_per_week=8.0,
    ceo_max_hours_per_week=2.0,
    orgsim_version="test",
)


def run_fields(**overrides: Any) -> dict[str, Any]:
    """A ``RunStarted`` payload: :data:`RUN_FIELDS` with ``overrides``.

    Raises:
        KeyError: an override names no field of ``RunStarted``.
    """
    unknown = set(overrides) - set(RUN_FIELDS)
    if unknown:
        raise KeyError(f"RunStarted has no field {sorted(unknown)}")
    return RUN_FIELDS | overrides
