"""Parameter sweeps: many scenarios, each a paired broker on/off comparison.

A sweep file (TOML) names a base scenario, the parameters to vary (dotted paths of
:class:`~orgsim.scenario.schema.Scenario`, plus the sweep-level ``scale`` pseudo-parameter),
a design (``grid``, ``lhs``, ``sobol`` or ``morris``), the replications per design
point and the metrics of interest. :func:`load_sweep` checks all of it in one pass,
like a scenario file, and builds every design point's scenario through
:func:`orgsim.scenario.loading.parse_scenario`, so a bad level is refused before a run
starts. :func:`sweep` runs the points on an executor (serial, local processes, a
Dask cluster), commits the runs to the results database the moment they arrive,
resumes where an interrupted sweep stopped, and aggregates in canonical order: per
point, each arm's mean with a 95% CI and the broker's paired effect with its CI;
Sobol or Morris sensitivity indices for those designs, the delta measure for grids
and LHS; and exports the tables. Its heatmaps, curves and ``summary.json`` are
written a layer up (:func:`orgsim.api.sweep`).

Randomness: by default every point and both arms of a replication use the same
root seed and replication number, so they draw from the same random streams
(common random numbers across arms *and* across the design: differences between
points are not blurred by luck). ``crn = "point"`` gives each point its own seed
instead, ``SeedSequence([seed, point]).generate_state(1)[0]``, still shared by its
two arms. Neither depends on the executor or the order runs finish in.

``scale`` multiplies the size of the company consistently (see
:func:`orgsim.experiments.sweep.scale.apply_scale`).
"""

from __future__ import annotations

import csv
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.analysis import sensitivity
from orgsim.analysis.optimum import Optimum
from orgsim.analysis.sensitivity import Sensitivity
from orgsim.errors import ExperimentError
from orgsim.experiments.campaign import Campaign, check_existing
from orgsim.experiments.executors import check_executor
from orgsim.experiments.limits import check_sweep
from orgsim.experiments.sweep.aggregate import (
    PointResult,
    aggregate,
    sensitivity_outputs,
    sweep_optimum,
    table_rows,
)
from orgsim.experiments.sweep.design import (
    Point,
    build_tasks,
    design_matrix,
    design_points,
    point_scenarios,
)
from orgsim.experiments.sweep.spec import SweepSpec, load_sweep, parse_sweep
from orgsim.storage.export import export_csv, export_parquet, write_parquet
from orgsim.storage.results import ResultsDB, RunRecord, check_out_dir
from orgsim.storage.sqlite import store_errors

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------ the result


@attrs.frozen(kw_only=True)
class SweepResult:
    """What a sweep found.

    Attributes:
        spec: The sweep.
        points: Per design point, arm means and the paired effect (design order).
        table: The per-point table (see :func:`table_rows`).
        sensitivity: Sobol or Morris indices (those designs), else delta (grid,
            LHS; None without SALib).
        records: Every stored run of the sweep, in canonical order.
        out: Output folder; ``db`` the results database in it.
        failed: Keys of runs that raised.
        ran: Runs made by this call (the rest were already committed).
        elapsed: Wall time of this call, seconds.
        charts: The charts drawn of it (none until :func:`orgsim.api.sweep` draws
            them).
        optimum: The best level of a paired sweep of one parameter, for the
            metric ``spec.optimum``, with its CI, each level's probability of
            being best and its shortfall from the best
            (:func:`~orgsim.experiments.sweep.aggregate.sweep_optimum`); None
            for other sweeps.
    """

    spec: SweepSpec
    points: list[PointResult]
    table: list[dict[str, Any]]
    sensitivity: Sensitivity | None
    records: list[RunRecord] = attrs.field(repr=False)
    out: Path
    db: Path
    failed: list[str]
    ran: int
    elapsed: float
    charts: list[Any] = attrs.field(factory=list)
    optimum: Optimum | None = None

    def to_frame(self) -> Any:
        """The per-point table as a pandas DataFrame (pandas imported here)."""
        import pandas as pd

        return pd.DataFrame(self.table)


def _keep_events(value: str | int | None) -> str | int | None:
    if value is None or value == "all":
        return value
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ExperimentError(f"--keep-events must be 'all' or a count >= 0, got {value!r}")
    return value


def _spec(file_or_spec: SweepSpec | Mapping[str, Any] | str | os.PathLike[str]) -> SweepSpec:
    if isinstance(file_or_spec, SweepSpec):
        return file_or_spec
    if isinstance(file_or_spec, Mapping):
        return parse_sweep(file_or_spec, base_dir=Path.cwd())
    return load_sweep(file_or_spec)


def sweep(
    file_or_spec: SweepSpec | Mapping[str, Any] | str | os.PathLike[str],
    *,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    keep_events: str | int | None = None,
    batch: int | None = None,
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
    allow_large: bool = False,
) -> SweepResult:
    """Run a parameter sweep, analyse it and export its tables.

    Args:
        file_or_spec: A sweep file, a bundled sweep name, plain sweep data, or a
            :class:`SweepSpec`.
        executor: ``serial``, ``local`` (processes on this machine) or ``dask``.
        jobs: Worker processes (``local``), or the LocalCluster size (``dask``
            without ``scheduler``). Default: all cores.
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``).
        out: Output folder (default ``out/sweep-<name>``).
        resume: Continue a sweep whose database is already in ``out``: committed
            runs are skipped, failed ones retried.
        keep_events: ``"all"`` or K: keep the event logs of every run, or of the
            first K replications of each point. Default: summaries only.
        batch: Runs per submitted task (default: chosen from the executor).
        progress: Called after each run is committed.
        command: Command line recorded in the provenance (default ``sys.argv``).
        allow_large: Run a sweep past the limits of
            :mod:`orgsim.experiments.limits` (design points, runs, estimated time
            and memory); without it such a sweep is refused before anything is
            built or written.

    Returns:
        The sweep's result; every run is in ``out/results.sqlite``, the tables in
        ``out/points.csv`` and ``out/runs.csv`` (and Parquet, with pyarrow).

    Raises:
        ScenarioError: The sweep file is invalid.
        ExperimentError: Bad settings, a sweep past the limits without
            ``allow_large``, or ``out`` holds this sweep already and ``resume`` is
            false (or another sweep).
    """
    started = time.perf_counter()
    check_executor(executor, jobs)
    keep = _keep_events(keep_events)
    spec = _spec(file_or_spec)
    # Counted before a point is built: a billion-point design is refused, not made.
    check_sweep(spec, jobs=jobs, allow_large=allow_large)
    points = design_points(spec)
    tasks = build_tasks(spec, points, point_scenarios(spec, points), keep_events=keep)
    out_dir = Path(out) if out is not None else Path("out") / f"sweep-{spec.name}"
    check_out_dir(out_dir)
    db_path = out_dir / "results.sqlite"
    settings = {"executor": executor, "jobs": jobs, "scheduler": scheduler, "resume": resume}
    with ResultsDB(db_path) as db:
        check_existing(
            db, spec.experiment, out_dir, resume=resume, file="sweep file", this="this sweep"
        )
        campaign = Campaign.start(
            db,
            experiment=spec.experiment,
            kind="sweep",
            scenario=spec.scenario,
            settings={**spec.to_dict(), **settings},
            command=command,
            retry_failures=resume,
            progress=progress,
            label=f"sweep {spec.name}: {len(points)} points",
        )
        if campaign.retried:
            logger.info("retrying %d failed run(s)", campaign.retried)
        with campaign:
            records = campaign.run(
                tasks, executor=executor, jobs=jobs, scheduler=scheduler, batch=batch
            )
    results = aggregate(spec, points, records)
    rows = table_rows(spec, results)
    _export(records, rows, out_dir)
    return SweepResult(
        spec=spec,
        points=results,
        table=rows,
        sensitivity=_sensitivity(spec, points, results),
        records=records,
        out=out_dir,
        db=db_path,
        failed=[r.key for r in records if r.status != "ok"],
        ran=campaign.ran,
        elapsed=time.perf_counter() - started,
        optimum=sweep_optimum(spec, results),
    )


def _sensitivity(
    spec: SweepSpec, points: Sequence[Point], results: Sequence[PointResult]
) -> Sensitivity | None:
    """The design's indices of the sweep's outputs; None when SALib is missing."""
    if spec.design not in ("sobol", "morris") and not sensitivity.available():
        logger.warning("SALib is not installed: no sensitivity analysis (orgsim[sensitivity])")
        return None
    return sensitivity.analyse(
        spec.problem(),
        design_matrix(points),
        sensitivity_outputs(spec, results),
        method=sensitivity.method_for(spec.design),
        seed=spec.seed,
        num_levels=spec.morris_levels,
    )


def _export(records: Sequence[RunRecord], rows: Sequence[dict[str, Any]], out: Path) -> None:
    """Per-run and per-point tables as CSV, and as Parquet when pyarrow is there."""
    export_csv(records, out / "runs.csv")
    export_parquet(records, out / "runs.parquet")
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]

    def kept() -> str:  # a full disk: the runs are safe, the tables can be made again
        return f"every run is kept in {out / 'results.sqlite'}; rerun with --resume"

    with (
        store_errors(f"cannot write {out / 'points.csv'}", kept=kept),
        (out / "points.csv").open("w", newline="") as fh,
    ):
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(k, "") for k in header])
    try:
        import pyarrow as pa
    except ImportError:
        return
    columns = {k: [_cell(row.get(k)) for row in rows] for k in header}
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    with store_errors(f"cannot write {out / 'points.parquet'}", kept=kept):
        write_parquet(table, out / "points.parquet")


def _cell(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
