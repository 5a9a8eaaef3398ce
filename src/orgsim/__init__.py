"""orgsim: when does a neutral VP of Product Management pay off, and by how much?

An event-sourced discrete-event simulation of a company whose departments compete
for budget and talent, with and without an honest broker. The public API is the
names in ``__all__``; everything else is internal. Importing orgsim imports neither
matplotlib, dask nor SALib: they load only when charts, clusters or sensitivity
analyses are asked for.
"""

from __future__ import annotations

from orgsim._version import __version__
from orgsim.api import compare, fork, sweep
from orgsim.engine.log import EventLog, replay
from orgsim.engine.run import simulate
from orgsim.engine.state import OrgState, fold
from orgsim.errors import (
    EventOrderError,
    ExperimentError,
    OrgsimError,
    ScenarioError,
    SchemaVersionError,
    StoreError,
)
from orgsim.experiments.compare import ComparisonResult
from orgsim.experiments.runner import RunResult, run_scenario
from orgsim.experiments.sweep.run import SweepResult
from orgsim.experiments.sweep.spec import SweepSpec, load_sweep
from orgsim.metrics.catalogue import HEADLINE, METRICS
from orgsim.metrics.projections import conflict_funnel, metrics, quarterly
from orgsim.reporting.documents import comparison_json, run_json, sweep_json
from orgsim.scenario.files import bundled_scenarios
from orgsim.scenario.interventions import Intervention
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.schema import Scenario
from orgsim.scenario.uncertainty import Uncertain, uncertain_parameters
from orgsim.storage.eventstore import EventStore

__all__ = [
    "HEADLINE",
    "METRICS",
    "ComparisonResult",
    "EventLog",
    "EventOrderError",
    "EventStore",
    "ExperimentError",
    "Intervention",
    "OrgState",
    "OrgsimError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SchemaVersionError",
    "StoreError",
    "SweepResult",
    "SweepSpec",
    "Uncertain",
    "__version__",
    "bundled_scenarios",
    "compare",
    "comparison_json",
    "conflict_funnel",
    "fold",
    "fork",
    "load_scenario",
    "load_sweep",
    "metrics",
    "parse_scenario",
    "quarterly",
    "replay",
    "run_json",
    "run_scenario",
    "simulate",
    "sweep",
    "sweep_json",
    "uncertain_parameters",
]
