"""Parameter sweeps: many scenarios, each a paired broker on/off comparison.

A sweep file (TOML) names a base scenario, the parameters to vary (dotted paths of
:class:`~orgsim.scenario.Scenario`, plus the sweep-level ``scale`` pseudo-parameter),
a design (``grid``, ``lhs``, ``sobol`` or ``morris``), the replications per design
point and the metrics of interest. :func:`load_sweep` checks all of it in one pass,
like a scenario file, and builds every design point's scenario through
:func:`orgsim.loading.parse_scenario`, so a bad level is refused before a run
starts. :func:`sweep` runs the points on an executor (serial, local processes, a
Dask cluster), commits every run to the results database the moment it arrives,
resumes where an interrupted sweep stopped, and aggregates in canonical order: per
point, each arm's mean with a 95% CI and the broker's paired effect with its CI;
Sobol or Morris sensitivity indices for those designs, the delta measure for grids
and LHS; heatmaps and curves.

Randomness: by default every point and both arms of a replication use the same
root seed and replication number, so they draw from the same random streams
(common random numbers across arms *and* across the design: differences between
points are not blurred by luck). ``crn = "point"`` gives each point its own seed
instead, ``SeedSequence([seed, point]).generate_state(1)[0]``, still shared by its
two arms. Neither depends on the executor or the order runs finish in.

``scale`` multiplies the size of the company consistently (see :func:`apply_scale`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.errors import ExperimentError, OrgsimError
from orgsim.experiments.executors import EXECUTORS, run_tasks
from orgsim.experiments.sweep.aggregate import (
    PointResult,
    aggregate,
    sensitivity_outputs,
    table_rows,
)
from orgsim.experiments.sweep.design import build_tasks, design_points, point_scenarios
from orgsim.experiments.sweep.spec import SweepSpec, load_sweep, parse_sweep
from orgsim.experiments.tasks import default_jobs
from orgsim.storage.export import export_csv, export_parquet
from orgsim.storage.results import ResultsDB, RunRecord, check_out_dir, json_safe

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
        charts: The charts written.
        out: Output folder; ``db`` the results database in it.
        failed: Keys of runs that raised.
        ran: Runs made by this call (the rest were already committed).
        elapsed: Wall time of this call, seconds.
    """

    spec: SweepSpec
    points: list[PointResult]
    table: list[dict[str, Any]]
    sensitivity: Any
    records: list[RunRecord] = attrs.field(repr=False)
    charts: list[Any]
    out: Path
    db: Path
    failed: list[str]
    ran: int
    elapsed: float

    def to_frame(self) -> Any:
        """The per-point table as a pandas DataFrame (pandas imported here)."""
        import pandas as pd

        return pd.DataFrame(self.table)

    def to_json(self) -> dict[str, Any]:
        """Plain data: spec, table, sensitivity, charts, failures (NaN as None)."""
        sens = None if self.sensitivity is None else self.sensitivity.to_dict()
        return json_safe(
            {
                "name": self.spec.name,
                "experiment": self.spec.experiment,
                "spec": self.spec.to_dict(),
                "out": str(self.out),
                "db": str(self.db),
                "runs": len(self.records),
                "ran": self.ran,
                "elapsed_s": round(self.elapsed, 3),
                "failed": self.failed,
                "points": self.table,
                "sensitivity": sens,
                "charts": [str(c.png) for c in self.charts],
            }
        )


def _check_existing(db: ResultsDB, experiment: str, out: Path, resume: bool) -> None:
    """Refuse to mix sweeps in one database, or to overwrite one without --resume."""
    others = {
        p["experiment"]
        for p in db.provenance()
        if p["experiment"] != experiment and db.keys(p["experiment"], status=None)
    }
    if others:
        raise ExperimentError(
            f"{out} already holds the results of another experiment ({sorted(others)[0]}); "
            "the sweep file changed, or the folder is shared: use a new --out"
        )
    if not resume and db.keys(experiment, status=None):
        raise ExperimentError(
            f"{out} already holds results of this sweep; use --resume to continue it "
            "(committed runs are kept), or a new --out"
        )


def _batch(n: int, executor: str, jobs: int | None) -> int:
    """Runs per submitted task: enough to amortise dispatch, few enough to commit often."""
    if executor == "serial" or n == 0:
        return 1
    workers = jobs or default_jobs()
    per_worker = n / workers
    if executor == "dask":  # ~2 ms dispatch per task: batch harder
        return max(1, min(8, int(per_worker // 8)))
    return max(1, min(4, int(per_worker // 16)))


def _keep_events(value: str | int | None) -> str | int | None:
    if value is None or value == "all":
        return value
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ExperimentError(f"--keep-events must be 'all' or a count >= 0, got {value!r}")
    return value


def sweep(
    file_or_spec: SweepSpec | Mapping[str, Any] | str | os.PathLike[str],
    *,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    keep_events: str | int | None = None,
    charts: bool = True,
    batch: int | None = None,
    fail: Collection[str] = (),
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
) -> SweepResult:
    """Run a parameter sweep and analyse it.

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
        charts: Whether to draw the charts.
        batch: Runs per submitted task (default: chosen from the executor).
        fail: ``point/arm/replication`` marks of runs made to raise (tests).
        progress: Called after each run is committed.
        command: Command line recorded in the provenance (default ``sys.argv``).

    Returns:
        The sweep's result; every run is in ``out/results.sqlite``.

    Raises:
        ScenarioError: The sweep file is invalid.
        ExperimentError: Bad settings, or ``out`` holds this sweep already and
            ``resume`` is false (or another sweep).
    """
    started = time.perf_counter()
    if executor not in EXECUTORS:
        raise ExperimentError(f"unknown executor {executor!r}; choose from {', '.join(EXECUTORS)}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ExperimentError(f"--jobs must be an integer >= 1, got {jobs!r}")
    keep = _keep_events(keep_events)
    if isinstance(file_or_spec, SweepSpec):
        spec = file_or_spec
    elif isinstance(file_or_spec, Mapping):
        spec = parse_sweep(file_or_spec, base_dir=Path.cwd())
    else:
        spec = load_sweep(file_or_spec)
    points = design_points(spec)
    scenarios = point_scenarios(spec, points)
    out_dir = Path(out) if out is not None else Path("out") / f"sweep-{spec.name}"
    check_out_dir(out_dir)
    db_path = out_dir / "results.sqlite"
    tasks = build_tasks(spec, points, scenarios, keep_events=keep, fail=fail)
    wanted = {t.key for t in tasks}
    name = spec.experiment
    with ResultsDB(db_path) as db:
        _check_existing(db, name, out_dir, resume)
        db.record_provenance(
            experiment=name,
            kind="sweep",
            scenario=spec.scenario.to_dict(),
            scenario_hash=spec.scenario.digest(),
            settings={
                **spec.to_dict(),
                "executor": executor,
                "jobs": jobs,
                "scheduler": scheduler,
                "resume": resume,
            },
            command=command,
        )
        if resume:
            retried = db.forget_failures(name)
            if retried:
                logger.info("retrying %d failed run(s)", retried)
        done = db.keys(name)
        todo = [t for t in tasks if t.key not in done]
        logger.info(
            "sweep %s: %d points, %d runs, %d to do", spec.name, len(points), len(tasks), len(todo)
        )

        def commit(record: RunRecord) -> None:
            db.commit(record)
            if progress is not None:
                progress(record)

        if todo:
            size = batch or _batch(len(todo), executor, jobs)
            run_tasks(
                todo,
                executor=executor,
                jobs=jobs,
                scheduler=scheduler,
                on_record=commit,
                batch=size,
            )
        records = [r for r in db.records(name) if r.key in wanted]
    results = aggregate(spec, points, records)
    failed = [r.key for r in records if r.status != "ok"]
    rows = table_rows(spec, results)
    _export(records, rows, out_dir)
    from orgsim.analysis import sensitivity

    sens = None
    if spec.design in ("sobol", "morris") or sensitivity.available():
        sens = sensitivity.analyse(spec, points, sensitivity_outputs(spec, results))
    else:
        logger.warning("SALib is not installed: no sensitivity analysis (orgsim[sensitivity])")
    written = _charts(spec, results, sens, out_dir) if charts else []
    result = SweepResult(
        spec=spec,
        points=results,
        table=rows,
        sensitivity=sens,
        records=records,
        charts=written,
        out=out_dir,
        db=db_path,
        failed=failed,
        ran=len(todo),
        elapsed=time.perf_counter() - started,
    )
    (out_dir / "summary.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return result


def _export(records: Sequence[RunRecord], rows: Sequence[dict[str, Any]], out: Path) -> None:
    """Per-run and per-point tables as CSV, and as Parquet when pyarrow is there."""
    import csv

    export_csv(records, out / "runs.csv")
    export_parquet(records, out / "runs.parquet")
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    with (out / "points.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(k, "") for k in header])
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return
    columns = {k: [_cell(row.get(k)) for row in rows] for k in header}
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    pq.write_table(table, out / "points.parquet", compression="zstd")


def _cell(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _charts(spec: SweepSpec, results: Sequence[PointResult], sens: Any, out: Path) -> list[Any]:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:  # an extra, imported lazily
        logger.warning("matplotlib is not installed: no charts (pip install 'orgsim[charts]')")
        return []
    from orgsim.reporting.charts import sweep as sweep_charts

    try:
        return sweep_charts.sweep_charts(spec, results, sens, out)
    except OSError as exc:
        raise OrgsimError(f"cannot write charts to {out}: {exc}") from None
