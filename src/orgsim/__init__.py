"""orgsim: when does a neutral VP of Product Management pay off, and by how much?

An event-sourced discrete-event simulation of a company whose departments compete
for budget and talent, with and without an honest broker. The public API is the
names in ``__all__``; everything else is internal. Importing orgsim imports neither
matplotlib, dask nor SALib: they load only when charts, clusters or sensitivity
analyses are asked for.
"""

from __future__ import annotations

__version__ = "0.1.0"

from orgsim.compare import ComparisonResult, compare
from orgsim.errors import (
    EventOrderError,
    ExperimentError,
    OrgsimError,
    ScenarioError,
    SchemaVersionError,
    StoreError,
)
from orgsim.loading import load_scenario, parse_scenario
from orgsim.log import EventLog, replay
from orgsim.model import simulate
from orgsim.projections import HEADLINE, METRICS, conflict_funnel, metrics, quarterly
from orgsim.runner import RunResult, run_scenario
from orgsim.scenario import Scenario
from orgsim.state import OrgState, fold
from orgsim.store import EventStore
from orgsim.sweep import SweepResult, sweep

__all__ = [
    "HEADLINE",
    "METRICS",
    "ComparisonResult",
    "EventLog",
    "EventOrderError",
    "EventStore",
    "ExperimentError",
    "OrgState",
    "OrgsimError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SchemaVersionError",
    "StoreError",
    "SweepResult",
    "__version__",
    "compare",
    "conflict_funnel",
    "fold",
    "load_scenario",
    "metrics",
    "parse_scenario",
    "quarterly",
    "replay",
    "run_scenario",
    "simulate",
    "sweep",
]
