"""One run of a scenario, as the CLI's ``run`` and notebooks use it.

:func:`run_scenario` resolves a scenario (a path, a bundled name, or a
:class:`~orgsim.scenario.schema.Scenario`), simulates one replication, measures it from
its event log, and optionally stores the log in an SQLite event store.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from orgsim.engine.log import EventLog
from orgsim.engine.run import simulate
from orgsim.engine.state import OrgState
from orgsim.errors import ExperimentError, StoreError
from orgsim.metrics.projections import department_utilisation, metrics
from orgsim.scenario.convert import unstructure
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.paths import apply_overrides
from orgsim.scenario.schema import MAX_SEED, Scenario
from orgsim.storage.eventstore import EventStore
from orgsim.storage.provenance import versions

logger = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class RunResult:
    """A finished run: its scenario, log, final state and metrics.

    Attributes:
        scenario: The scenario as resolved (overrides and broker arm applied).
        seed: Root seed.
        replication: Replication number.
        log: Every event, in order.
        state: The final state (the log folded).
        metrics: Every metric, computed from the log alone.
        elapsed: Wall time of the simulation, seconds.
        run_id: The run's id in the event store, when stored.
        db: Path of the event store, when stored.
    """

    scenario: Scenario
    seed: int
    replication: int
    log: EventLog
    state: OrgState
    metrics: dict[str, float]
    elapsed: float
    run_id: int | None = None
    db: Path | None = None

    @property
    def broker(self) -> bool:
        """Whether the broker was in office in this run."""
        return self.scenario.broker.enabled


def resolve(scenario: Scenario | str | os.PathLike[str], overrides: Sequence[str] = ()) -> Scenario:
    """A scenario object from a scenario, a file path or a bundled scenario's name."""
    if isinstance(scenario, Scenario):
        if overrides:
            return parse_scenario(apply_overrides(unstructure(scenario), overrides))
        return scenario
    return load_scenario(scenario, overrides)


def check_seed(seed: object) -> int:
    """A root seed must be an integer from 0 to :data:`~orgsim.scenario.schema.MAX_SEED`.

    numpy's SeedSequence takes no negative seed, and every store keeps the seed in
    an SQLite INTEGER (64-bit signed): a larger one would fail only once the first
    run is written, after the output folder and its provenance already exist.
    Callers check it before they write anything.

    Raises:
        ExperimentError: The seed is not such an integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ExperimentError(f"--seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")
    return seed


def run_scenario(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int | None = None,
    broker: bool | None = None,
    overrides: Sequence[str] = (),
    replication: int = 0,
    db: str | os.PathLike[str] | None = None,
    command: Sequence[str] | None = None,
) -> RunResult:
    """Simulate one replication of a scenario and measure it.

    Args:
        scenario: A Scenario, a TOML path, or a bundled scenario name ("midsize").
        seed: Root seed; the scenario's ``seed`` when omitted.
        broker: Force the broker on or off; the scenario's setting when omitted.
        overrides: ``dotted.path=value`` settings applied over the scenario.
        replication: Replication number (selects independent random streams).
        db: When given, store the run's log and metadata in this SQLite file.
        command: Command line stored with the run as provenance (default: ``sys.argv``).

    Returns:
        The finished run with its metrics (and its id in the store).
    """
    sc = resolve(scenario, overrides)
    if broker is not None:
        sc = sc.with_broker(broker)
    seed = sc.seed if seed is None else seed
    check_seed(seed)
    if db is not None and Path(db).exists():
        # An empty, damaged or foreign store is refused before the simulation, not after.
        with EventStore(db, readonly=True):
            pass
    started = time.perf_counter()
    run = simulate(sc, seed=seed, replication=replication)
    elapsed = time.perf_counter() - started
    measured = {**metrics(run.log), **department_utilisation(run.state)}
    run_id = None
    path = None
    if db is not None:
        path = Path(db)
        provenance = {
            "metrics": measured,
            "elapsed": elapsed,
            "command": list(command if command is not None else sys.argv),
            "versions": versions(),
        }
        run_id = _store(path, run.log, sc, provenance)
    logger.info(
        "%s seed %d broker %s: %d events in %.2fs",
        sc.name,
        seed,
        sc.broker.enabled,
        len(run.log),
        elapsed,
    )
    return RunResult(
        scenario=sc,
        seed=seed,
        replication=replication,
        log=run.log,
        state=run.state,
        metrics=measured,
        elapsed=elapsed,
        run_id=run_id,
        db=path,
    )


def _store(path: Path, log: EventLog, scenario: Scenario, provenance: dict[str, Any]) -> int:
    """Append a run's log to the event store at ``path`` (its folder made if need be)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder of {path}: {exc.strerror}") from None
    with EventStore(path) as store:
        return store.save(log, scenario=scenario, metadata=provenance)
