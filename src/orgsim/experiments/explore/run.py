"""Running an explore file: every point x lever x replication, then the analysis and the tables.

:func:`explore` checks the ensemble's size against the limits before anything is
built, samples the design, builds and checks every point's scenario under every
lever, and runs them through the shared :class:`~orgsim.experiments.campaign.Campaign`
(``kind = "explore"``): each run is committed to ``out/results.sqlite`` as it
arrives, so a stopped ensemble resumes where it stopped (``resume``), and a run
that raises is recorded as failed and reported, not fatal. Then, per lever, the
judged metric as an ``(n, R)`` array (NaN where a run failed) and the ``(n,)``
uncertainty columns go to :func:`orgsim.analysis.discovery.analyse_ensemble`:
the probability each lever beats the reference, its effect, regret, and where
(PRIM, CART) and on what (feature scores, Sobol or delta indices) the focus
lever pays. The tables are written beside the database: ``points.csv`` (one row
per point), ``runs.csv`` (one per run) and ``summary.json``; the charts are drawn
a layer up (:func:`orgsim.api.explore`).
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.analysis import sensitivity as salib
from orgsim.analysis.discovery import EnsembleAnalysis, SensitivityDesign, analyse_ensemble
from orgsim.analysis.stats import Estimate, mean_ci
from orgsim.errors import ExperimentError
from orgsim.experiments.campaign import Campaign, check_existing
from orgsim.experiments.executors import check_executor
from orgsim.experiments.explore.design import (
    Point,
    build_tasks,
    design_points,
    point_scenarios,
    point_seed,
    uncertainty_columns,
)
from orgsim.experiments.explore.spec import ExploreSpec, as_explore
from orgsim.experiments.limits import check_explore
from orgsim.storage.export import export_csv, export_parquet
from orgsim.storage.results import ResultsDB, RunRecord, check_out_dir, json_safe
from orgsim.storage.sqlite import store_errors

__all__ = ["ExploreResult", "explore", "outcome_arrays", "point_rows", "write_summary"]

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ the result


@attrs.frozen(kw_only=True)
class ExploreResult:
    """What an explore found.

    Attributes:
        spec: The explore file.
        points: The ensemble's points, in design order.
        x: Each uncertainty's values over the points, ``(n,)``.
        outcomes: Per lever, the judged metric per point and replication,
            ``(n, R)``, NaN where a run failed.
        analysis: Lever probabilities, effects, regret, PRIM, CART, feature
            scores and sensitivity indices.
        metrics: Per recorded metric, per lever, the ensemble mean (over point
            means) and the mean paired effect against the reference.
        table: One row per point (what ``points.csv`` holds).
        records: Every stored run, in canonical order.
        out: Output folder; ``db`` the results database in it.
        failed: Keys of runs that raised.
        ran: Runs made by this call (the rest were already committed).
        elapsed: Wall time of this call, seconds.
        charts: The charts drawn of it (none until :func:`orgsim.api.explore`
            draws them).
    """

    spec: ExploreSpec
    points: list[Point] = attrs.field(repr=False)
    x: dict[str, np.ndarray] = attrs.field(eq=False, repr=False)
    outcomes: dict[str, np.ndarray] = attrs.field(eq=False, repr=False)
    analysis: EnsembleAnalysis = attrs.field(eq=False)
    metrics: dict[str, dict[str, dict[str, Estimate]]] = attrs.field(eq=False, repr=False)
    table: list[dict[str, Any]] = attrs.field(repr=False)
    records: list[RunRecord] = attrs.field(repr=False)
    out: Path
    db: Path
    failed: list[str]
    ran: int
    elapsed: float
    charts: list[Any] = attrs.field(factory=list)

    @property
    def runs(self) -> int:
        """Runs the ensemble holds (committed, this call or before)."""
        return len(self.records)

    def to_dict(self) -> dict[str, Any]:
        """``summary.json``: spec, counts, elapsed, failures, the analysis, the points."""
        spec = self.spec
        return json_safe(
            {
                "name": spec.name,
                "experiment": spec.experiment,
                "spec": spec.to_dict(),
                "out": str(self.out),
                "db": str(self.db),
                "counts": {
                    "points": spec.size(),
                    "levers": len(spec.levers),
                    "replications": spec.replications,
                    "runs": self.runs,
                    "failed": len(self.failed),
                    "ran": self.ran,
                },
                "elapsed_s": round(self.elapsed, 3),
                "failed": list(self.failed),
                "analysis": self.analysis.to_dict(),
                "metrics": {
                    m: {
                        lever: {k: _estimate_dict(e) for k, e in by.items()}
                        for lever, by in levers.items()
                    }
                    for m, levers in self.metrics.items()
                },
                "points": self.table,
                "charts": [str(c.png) for c in self.charts],
            }
        )


def _estimate_dict(e: Estimate) -> dict[str, Any]:
    return {"mean": e.mean, "low": e.low, "high": e.high, "n": e.n}


# ------------------------------------------------------------------ running


def explore(
    file_or_spec: ExploreSpec | Mapping[str, Any] | str | os.PathLike[str],
    *,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    batch: int | None = None,
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
    allow_large: bool = False,
) -> ExploreResult:
    """Run an ensemble of uncertainties x levers, analyse it and write its tables.

    Args:
        file_or_spec: An explore file, a bundled explore file's name, plain
            explore data, or an :class:`ExploreSpec`.
        executor: ``serial``, ``local`` (processes on this machine) or ``dask``.
        jobs: Worker processes (``local``), or the LocalCluster size (``dask``
            without ``scheduler``). Default: all cores.
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``).
        out: Output folder (default ``out/explore-<name>``).
        resume: Continue an ensemble whose database is already in ``out``:
            committed runs are skipped, failed ones retried.
        batch: Runs per submitted task (default: chosen from the executor).
        progress: Called after each run is committed.
        command: Command line recorded in the provenance (default ``sys.argv``).
        allow_large: Run an ensemble past the limits of
            :mod:`orgsim.experiments.limits`; without it such an ensemble is
            refused before anything is built or written.

    Returns:
        The result; every run is in ``out/results.sqlite``, the tables in
        ``out/points.csv``, ``out/runs.csv`` (and Parquet, with pyarrow) and
        ``out/summary.json``.

    Raises:
        ScenarioError: The explore file is invalid, or a point makes an invalid
            scenario under some lever.
        ExperimentError: Bad settings, an ensemble past the limits without
            ``allow_large``, ``out`` holds this ensemble already and ``resume``
            is false (or another experiment), or the ``explore`` extra is missing.
    """
    started = time.perf_counter()
    check_executor(executor, jobs)
    spec = as_explore(file_or_spec)
    # Counted before a point is built: a billion-point ensemble is refused, not made.
    check_explore(spec, jobs=jobs, allow_large=allow_large)
    points = design_points(spec)
    tasks = build_tasks(spec, points, point_scenarios(spec, points))
    out_dir = Path(out) if out is not None else Path("out") / f"explore-{spec.name}"
    check_out_dir(out_dir)
    db_path = out_dir / "results.sqlite"
    settings = {"executor": executor, "jobs": jobs, "scheduler": scheduler, "resume": resume}
    with ResultsDB(db_path) as db:
        check_existing(
            db, spec.experiment, out_dir, resume=resume, file="explore file", this="this ensemble"
        )
        campaign = Campaign.start(
            db,
            experiment=spec.experiment,
            kind="explore",
            scenario=spec.scenario,
            settings={**spec.to_dict(), **settings},
            command=command,
            retry_failures=resume,
            progress=progress,
            label=(
                f"explore {spec.name}: {len(points)} points x {len(spec.levers)} levers "
                f"x {spec.replications} replications"
            ),
        )
        if campaign.retried:
            logger.info("retrying %d failed run(s)", campaign.retried)
        with campaign:
            records = campaign.run(
                tasks, executor=executor, jobs=jobs, scheduler=scheduler, batch=batch
            )
    x = uncertainty_columns(spec, points)
    outcomes = outcome_arrays(spec, records, spec.metric)
    analysis = _analyse(spec, points, x, outcomes, db_path)
    summaries = _metric_summaries(spec, records)
    rows = point_rows(spec, points, outcomes, analysis, records)
    result = ExploreResult(
        spec=spec,
        points=points,
        x=x,
        outcomes=outcomes,
        analysis=analysis,
        metrics=summaries,
        table=rows,
        records=records,
        out=out_dir,
        db=db_path,
        failed=[r.key for r in records if r.status != "ok"],
        ran=campaign.ran,
        elapsed=time.perf_counter() - started,
    )
    _export(result)
    return result


def outcome_arrays(
    spec: ExploreSpec, records: Sequence[RunRecord], metric: str
) -> dict[str, np.ndarray]:
    """Per lever, ``metric`` per point and replication, ``(n, R)``; NaN where a run failed."""
    n = spec.size()
    out = {name: np.full((n, spec.replications), math.nan) for name in spec.lever_names}
    for r in records:
        if r.status != "ok" or r.arm not in out or r.replication >= spec.replications:
            continue
        value = r.metrics.get(metric)
        out[r.arm][r.point, r.replication] = math.nan if value is None else float(value)
    return out


def _analyse(
    spec: ExploreSpec,
    points: Sequence[Point],
    x: Mapping[str, np.ndarray],
    outcomes: Mapping[str, np.ndarray],
    db: Path,
) -> EnsembleAnalysis:
    """The analysis of the judged metric; a missing extra keeps the runs and says so."""
    design: SensitivityDesign | None = None
    if spec.design == "sobol" or salib.available():
        design = SensitivityDesign(
            problem=spec.problem(),
            x=np.array([p.unit for p in points], dtype=float),
            method="sobol" if spec.design == "sobol" else "delta",
        )
    else:
        logger.warning("SALib is not installed: no sensitivity indices (orgsim[sensitivity])")
    try:
        with _one_blas_thread():
            return analyse_ensemble(
                x,
                outcomes,
                reference=spec.reference,
                focus=spec.focus,
                better=spec.better,
                threshold=spec.threshold,
                seed=spec.seed,
                sensitivity=design,
                metric=spec.metric,
            )
    except ExperimentError as exc:
        raise ExperimentError(f"{exc}; every run is kept in {db} (rerun with --resume)") from None


def _one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Keep numpy's BLAS to one thread while the ensemble is analysed.

    The analysis is many small linear-algebra calls (the delta measure's kernel
    density estimates: 200 bootstrap resamples x every uncertainty), for which
    threads only add overhead; on a machine whose cores are busy, a multi-threaded
    BLAS made the bundled ensemble's delta indices take ~15 times longer (measured
    538 s against 34 s single-threaded, load average 10 on 2 cores). threadpoolctl
    comes with scikit-learn (the ``explore`` extra); without it nothing changes.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _metric_summaries(
    spec: ExploreSpec, records: Sequence[RunRecord]
) -> dict[str, dict[str, dict[str, Estimate]]]:
    """Per recorded metric and lever: the mean over point means, and the paired effect.

    A point's effect is the mean over its replications where both the lever and
    the reference ran of their difference (common random numbers make it paired).
    """
    out: dict[str, dict[str, dict[str, Estimate]]] = {}
    for metric in spec.metrics:
        arrays = outcome_arrays(spec, records, metric)
        ref = arrays[spec.reference]
        by_lever: dict[str, dict[str, Estimate]] = {}
        for name, arr in arrays.items():
            by_lever[name] = {
                "mean": mean_ci(_row_means(arr)),
                "effect": mean_ci(_row_means(arr - ref)),
            }
        out[metric] = by_lever
    return out


def _row_means(arr: np.ndarray) -> np.ndarray:
    """Each row's mean over its non-NaN entries (NaN for a row with none)."""
    counts = np.sum(~np.isnan(arr), axis=1)
    sums = np.nansum(arr, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), math.nan)


def point_rows(
    spec: ExploreSpec,
    points: Sequence[Point],
    outcomes: Mapping[str, np.ndarray],
    analysis: EnsembleAnalysis,
    records: Sequence[RunRecord],
) -> list[dict[str, Any]]:
    """One row per point: its seed and values, and per lever its mean, effect and regret.

    Columns: ``point``, ``seed``, each uncertainty's path, then per lever
    ``<lever>.<metric>`` (the mean over replications of each recorded metric),
    ``<lever>.effect`` (the judged metric's mean paired difference from the
    reference) and ``<lever>.regret`` (how far it falls short of the best lever
    at that point, in the metric's better direction; NaN where some lever has no
    value there).
    """
    by_metric = {m: outcome_arrays(spec, records, m) for m in spec.metrics}
    regret = analysis.regret
    regret_at: dict[str, np.ndarray] = {}
    for name in spec.lever_names:
        col = np.full(len(points), math.nan)
        values = regret.by_point.get(name)
        if values is not None:
            col[np.asarray(regret.kept, dtype=int)] = values
        regret_at[name] = col
    ref = outcomes[spec.reference]
    rows = []
    for p in points:
        row: dict[str, Any] = {"point": p.index, "seed": point_seed(spec, p.index)}
        row.update(p.values)
        for name in spec.lever_names:
            for metric in spec.metrics:
                row[f"{name}.{metric}"] = _mean(by_metric[metric][name][p.index])
            summary = analysis.levers.get(name)
            if summary is not None:
                row[f"{name}.effect"] = float(summary.effect_by_point[p.index])
            else:  # the reference itself: 0 wherever it ran
                row[f"{name}.effect"] = _mean(outcomes[name][p.index] - ref[p.index])
            row[f"{name}.regret"] = float(regret_at[name][p.index])
        rows.append(row)
    return rows


def _mean(values: np.ndarray) -> float:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else math.nan


def _export(result: ExploreResult) -> None:
    """Per-run and per-point tables as CSV (runs also as Parquet), and ``summary.json``."""
    out = result.out
    export_csv(result.records, out / "runs.csv")
    export_parquet(result.records, out / "runs.parquet")
    rows = result.table
    header = list(rows[0]) if rows else []

    def kept() -> str:  # a full disk: the runs are safe, the tables can be made again
        return f"every run is kept in {result.db}; rerun with --resume"

    with (
        store_errors(f"cannot write {out / 'points.csv'}", kept=kept),
        (out / "points.csv").open("w", newline="") as fh,
    ):
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(row.get(k)) for k in header])
    write_summary(result)


def write_summary(result: ExploreResult) -> Path:
    """Write ``summary.json`` (what ``orgsim explore --json`` prints) into the output folder."""
    path = result.out / "summary.json"
    with store_errors(f"cannot write {path}", kept=lambda: f"every run is kept in {result.db}"):
        path.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    return path


def _cell(value: Any) -> Any:
    """A CSV cell: NaN as empty, numbers as they are."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return value
