"""Builders of hand-made events, shared by the tests of every layer.

``RunStarted`` carries the run's whole configuration; a test names only the fields
its case turns on, and a new field of the event is added here once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orgsim.engine import events as ev
from orgsim.engine.resolution import ConflictDraws
from orgsim.engine.run import Run
from orgsim.experiments.tasks import Task
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario

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


#: What a busy run turns on over :data:`RUN_FIELDS`: hiring costs, drag, ramp-up,
#: conflict attrition, a CEO with hours to share, quarters of 50 days.
BUSY_FIELDS: dict[str, Any] = dict(
    quarter_days=50.0,
    hiring_cost=10.0,
    drag=0.1,
    min_productivity=0.3,
    ramp_productivity=0.5,
    conflict_attrition=0.5,
    ceo_hours_per_week=14.0,
    ceo_max_hours_per_week=7.0,
)


def busy_run_fields(**overrides: Any) -> dict[str, Any]:
    """A ``RunStarted`` payload with :data:`BUSY_FIELDS`, then ``overrides``."""
    return run_fields(**(BUSY_FIELDS | overrides))


def run_fields(**overrides: Any) -> dict[str, Any]:
    """A ``RunStarted`` payload: :data:`RUN_FIELDS` with ``overrides``.

    Raises:
        KeyError: an override names no field of ``RunStarted``.
    """
    unknown = set(overrides) - set(RUN_FIELDS)
    if unknown:
        raise KeyError(f"RunStarted has no field {sorted(unknown)}")
    return RUN_FIELDS | overrides


#: The conflict kind the hand-run conflict tests raise.
KIND = "cross_initiative"


def kinds_off() -> dict[str, dict[str, Any]]:
    """Every conflict kind disabled: a test enables the one it studies."""
    return {k: {"enabled": False} for k in Scenario().conflicts.kinds}


def one_stage_company(
    staff: dict[str, dict[str, Any]], *, horizon: float, **sections: Any
) -> Scenario:
    """A quiet company of the departments in ``staff`` (the others disabled).

    One product and no feature after the start; its one stage is a 40-day build by
    Engineering; no conflicts, no broker. ``sections`` add top-level tables or
    replace the ones above (``delivery``, ``conflicts``, ``broker``).
    """
    departments: dict[str, Any] = {n: {"enabled": False} for n in Scenario().departments}
    departments.update(staff)
    build = {"name": "build", "department": "engineering"}
    base: dict[str, Any] = {
        "horizon": horizon,
        "departments": departments,
        "delivery": {
            "products": 1,
            "initial_features": 0,
            "feature_interarrival": {"kind": "deterministic", "mean": 1e6},
            "stages": [build | {"effort": {"kind": "deterministic", "mean": 40.0}}],
        },
        "conflicts": {"intensity": 0.0, "kinds": kinds_off()},
        "broker": {"enabled": False},
    }
    return parse_scenario(base | sections)


def one_conflict_scenario(*, horizon: float = 100.0, **sections: Any) -> Scenario:
    """The default company with only :data:`KIND` enabled, none raised by itself."""
    kinds = kinds_off() | {KIND: {"enabled": True}}
    base: dict[str, Any] = {
        "horizon": horizon,
        "conflicts": {"intensity": 0.0, "kinds": kinds},
        "broker": {"enabled": False},
    }
    return parse_scenario(base | sections)


def raise_by_hand(run: Run, *, company_side: str = "initiator", conflict: int = 0) -> None:
    """Record conflict ``conflict`` of :data:`KIND`: Marketing against Engineering."""
    run.record(
        ev.ConflictRaised,
        conflict=conflict,
        kind=KIND,
        initiator="marketing",
        target="engineering",
        severity=0.0,
        company_side=company_side,
    )


def conflict_draws(**overrides: Any) -> ConflictDraws:
    """A conflict's draws, each at its quietest, with ``overrides``.

    No effort or surfacing, a lifetime that never ends, a day of negotiation that
    always fails (a success draw of 1), a CEO who decides within the hour.
    """
    fields: dict[str, Any] = dict(
        severity=0.0,
        company_side="initiator",
        effort=0.0,
        surfacing=0.0,
        lifetime=1e6,
        negotiation_days=1.0,
        negotiation_success=1.0,
        negotiation_winner=1.0,
        ceo_hours=1.0,
        ceo_success=1.0,
        ceo_insight=1.0,
        ceo_winner=1.0,
    )
    return ConflictDraws(**(fields | overrides))


#: The columns of orgsim's ``runs`` table in a results database, in order.
RUN_COLUMNS = (
    "key",
    "experiment",
    "scenario_hash",
    "point",
    "arm",
    "replication",
    "seed",
    "params_json",
    "status",
    "metrics_json",
    "quarterly_json",
    "funnel_json",
    "error",
    "events",
    "elapsed",
    "created",
)


def add_unused_pages(path: Path, extra: int) -> None:
    """Make a two-page SQLite file's header count ``extra`` more (zeroed) pages.

    The header's page count is four bytes at offset 28, big-endian; the page size
    two at offset 16 (https://www.sqlite.org/fileformat.html).
    """
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    pages = int.from_bytes(data[28:32], "big")
    assert pages == 2  # page 1: the schema; page 2: the one table
    data[28:32] = (pages + extra).to_bytes(4, "big")
    path.write_bytes(bytes(data) + bytes(page_size * extra))


def a_task(replication: int, scenario: Scenario, **changes: Any) -> Task:
    """Replication ``replication`` of arm "on" at point 0 of experiment "x", seed 1."""
    fields: dict[str, Any] = dict(
        experiment="x",
        scenario=scenario,
        scenario_hash="h",
        point=0,
        arm="on",
        replication=replication,
        seed=1,
    )
    return Task(**(fields | changes))


def sweep_data(**extra: Any) -> dict[str, Any]:
    """A valid sweep file's data: a range of ``conflicts.intensity`` on midsize, and ``extra``."""
    data: dict[str, Any] = {
        "base": "midsize",
        "replications": 2,
        "parameters": [{"path": "conflicts.intensity", "low": 0.5, "high": 2.0}],
    }
    data.update(extra)
    return data
