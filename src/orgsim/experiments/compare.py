"""Paired comparison of the broker on and off, with common random numbers.

:func:`compare` runs N replications of a scenario in both arms (replication ``i``
of each arm shares its random streams), commits every run to the results database
under ``out`` the moment it finishes, then computes, for every metric, each arm's
mean with a 95% CI, the paired difference with its CI, the relative effect, the
broker's win rate and the variance reduction common random numbers achieved; and
writes the charts. With ``precision`` it keeps adding replications until the
headline metrics' CI half-widths are within that share of their means.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.analysis.stats import Comparison, compare_table, precision_reached
from orgsim.errors import ExperimentError, OrgsimError
from orgsim.experiments.executors import run_tasks
from orgsim.experiments.runner import check_seed, resolve
from orgsim.experiments.tasks import ARMS, Task
from orgsim.metrics.catalogue import BETTER, HEADLINE, METRICS, UNITS
from orgsim.scenario.schema import Scenario
from orgsim.storage.export import export_csv, export_parquet
from orgsim.storage.results import ResultsDB, RunRecord, check_out_dir

logger = logging.getLogger(__name__)

SERIES = ("value_shipped", "open_conflicts", "wip", "headcount", "headcount.*", "budget_share.*")


@attrs.frozen(kw_only=True)
class ComparisonResult:
    """What a comparison found.

    Attributes:
        scenario: The scenario compared (broker setting aside).
        seed: Root seed.
        runs: Replications per arm that completed in both arms.
        table: Per metric, the paired comparison (arm CIs, difference, verdict).
        on: Per metric, the values of the broker arm, one per replication.
        off: Per metric, the values of the other arm, same replications.
        records: Every stored run, in canonical order.
        charts: The charts written (empty when charts were not asked for).
        out: The output folder; ``db`` the results database in it.
        failed: Keys of runs that raised.
    """

    scenario: Scenario
    seed: int
    runs: int
    table: dict[str, Comparison]
    on: dict[str, np.ndarray]
    off: dict[str, np.ndarray]
    records: list[RunRecord]
    charts: list[Any]
    out: Path
    db: Path
    failed: list[str]

    @property
    def headline(self) -> dict[str, Comparison]:
        """The comparisons of the headline metrics."""
        return {k: self.table[k] for k in HEADLINE if k in self.table}

    def broker_roi(self) -> float:
        """Net value gained per k$ of broker cost: mean Δnet value / mean broker cost."""
        cost = float(np.nanmean(self.on.get("broker_cost", np.array([np.nan]))))
        if not cost or math.isnan(cost):
            return math.nan
        return self.table["net_value"].diff.mean / cost


def _experiment_name(scenario: Scenario, seed: int) -> str:
    return f"compare:{scenario.name}:{scenario.digest()}:{seed}"


def compare(
    scenario: Scenario | str | os.PathLike[str],
    *,
    runs: int = 30,
    seed: int | None = None,
    jobs: int | None = None,
    executor: str = "local",
    out: str | os.PathLike[str] = "out/compare",
    overrides: Sequence[str] = (),
    precision: float | None = None,
    max_runs: int = 1000,
    charts: bool = True,
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
) -> ComparisonResult:
    """Compare a scenario with and without the broker over paired replications.

    Args:
        scenario: A Scenario, a TOML path, or a bundled scenario name.
        runs: Replications per arm (at least 2); the first batch when ``precision``
            is given.
        seed: Root seed; the scenario's when omitted.
        jobs: Worker processes (default: all cores).
        executor: ``serial``, ``local`` or ``dask``.
        out: Output folder for the results database, tables and charts.
        overrides: ``dotted.path=value`` settings applied over the scenario.
        precision: Keep adding replications until every headline metric's 95% CI
            half-width is within this share of its mean in both arms.
        max_runs: Cap on replications per arm when ``precision`` is given.
        charts: Whether to write the charts.
        progress: Called after each run is committed (for progress bars).
        command: Command line recorded in the provenance (default: ``sys.argv``).

    Returns:
        The comparison; every run is also committed to ``out/results.sqlite``.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise ExperimentError(f"--runs must be an integer >= 2, got {runs!r}")
    if precision is not None and not 0 < precision < 1:
        raise ExperimentError(f"--precision must be between 0 and 1, got {precision}")
    if max_runs < runs:
        max_runs = runs
    sc = resolve(scenario, overrides)
    seed = check_seed(sc.seed if seed is None else seed)
    out_dir = Path(out)
    check_out_dir(out_dir)
    name = _experiment_name(sc, seed)
    scenario_hash = sc.digest()
    db_path = out_dir / "results.sqlite"
    with ResultsDB(db_path) as db:
        db.record_provenance(
            experiment=name,
            kind="compare",
            scenario=sc.to_dict(),
            scenario_hash=scenario_hash,
            settings={"runs": runs, "seed": seed, "precision": precision, "executor": executor},
            command=command,
        )
        db.forget_failures(name)
        done = db.keys(name)

        def commit(record: RunRecord) -> None:
            db.commit(record)
            if progress is not None:
                progress(record)

        target = runs
        while True:
            tasks = [
                Task(
                    experiment=name,
                    scenario=sc,
                    scenario_hash=scenario_hash,
                    point=0,
                    arm=arm,
                    replication=rep,
                    seed=seed,
                )
                for rep in range(target)
                for arm in ARMS
            ]
            todo = [t for t in tasks if t.key not in done]
            if todo:
                run_tasks(todo, executor=executor, jobs=jobs, on_record=commit)
                done = db.keys(name)
            records = [r for r in db.records(name) if r.replication < target]
            on, off, complete = _paired_arrays(records)
            if precision is None or target >= max_runs:
                break
            if complete >= 2 and precision_reached(
                {**{f"on.{k}": on[k] for k in HEADLINE}, **{f"off.{k}": off[k] for k in HEADLINE}},
                [f"{a}.{k}" for a in ARMS for k in HEADLINE],
                precision,
                0.95,
            ):
                break
            target = min(max_runs, max(target + 2, int(target * 1.5)))
            logger.info("precision not reached; extending to %d replications", target)
        failed = [r.key for r in records if r.status != "ok"]
        if complete < 2:
            last = (records_error(records) or "no error recorded").strip().splitlines()[-1]
            raise ExperimentError(
                f"only {complete} replication(s) completed in both arms; {len(failed)} run(s) "
                f"failed, the first with {last!r} (tracebacks in {db_path})"
            )
        table = compare_table(on, off, better={k: BETTER.get(k, "") for k in on})
        export_csv(records, out_dir / "runs.csv")
        export_parquet(records, out_dir / "runs.parquet")
        written = _charts(records, table, on, off, out_dir) if charts else []
    return ComparisonResult(
        scenario=sc,
        seed=seed,
        runs=complete,
        table=table,
        on=on,
        off=off,
        records=records,
        charts=written,
        out=out_dir,
        db=db_path,
        failed=failed,
    )


def records_error(records: Sequence[RunRecord]) -> str:
    """The error text of the first failed run, if any."""
    return next((r.error for r in records if r.status != "ok"), "")


def _paired_arrays(
    records: Sequence[RunRecord],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """Per-metric arrays of both arms over the replications complete in both."""
    by_arm: dict[str, dict[int, RunRecord]] = {arm: {} for arm in ARMS}
    for r in records:
        if r.status == "ok":
            by_arm[r.arm][r.replication] = r
    reps = sorted(set(by_arm["on"]) & set(by_arm["off"]))
    names = [m.name for m in METRICS]
    if reps:
        extra = [k for k in by_arm["on"][reps[0]].metrics if k not in names]
        names += extra
    on = {
        k: np.array([by_arm["on"][i].metrics.get(k, math.nan) for i in reps], float) for k in names
    }
    off = {
        k: np.array([by_arm["off"][i].metrics.get(k, math.nan) for i in reps], float) for k in names
    }
    return on, off, len(reps)


def _stack(records: Sequence[RunRecord], arm: str, what: str) -> dict[str, np.ndarray]:
    """Runs × quarters arrays (quarterly) or per-run arrays (funnel) of one arm."""
    rows = [r for r in records if r.arm == arm and r.status == "ok"]
    if not rows:
        return {}
    source = [getattr(r, what) for r in rows]
    keys = list(source[0])
    return {k: np.array([s.get(k, math.nan) for s in source], dtype=float) for k in keys}


def _charts(
    records: Sequence[RunRecord],
    table: dict[str, Comparison],
    on: dict[str, np.ndarray],
    off: dict[str, np.ndarray],
    out: Path,
) -> list[Any]:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:  # an extra, imported lazily
        logger.warning("matplotlib is not installed: no charts (pip install 'orgsim[charts]')")
        return []
    from orgsim.reporting.charts import compare as charts

    q_on, q_off = _stack(records, "on", "quarterly"), _stack(records, "off", "quarterly")
    series = [s for s in SERIES if not s.endswith("*")]
    series += [s for s in SERIES if s.endswith("*")]
    try:
        return [
            charts.forest_plot(table, UNITS, out),
            charts.distributions(on, off, list(HEADLINE), UNITS, out),
            charts.time_series(q_on, q_off, series, UNITS, out),
            charts.funnel(_stack(records, "on", "funnel"), _stack(records, "off", "funnel"), out),
        ]
    except OSError as exc:
        raise OrgsimError(f"cannot write charts to {out}: {exc}") from None
