"""Paired comparison of the broker on and off, with common random numbers.

:func:`compare` runs N replications of a scenario in both arms (replication ``i``
of each arm shares its random streams), commits every run to the results database
under ``out`` the moment it finishes, then computes, for every metric, each arm's
mean with a 95% CI, the paired difference with its CI, the relative effect, the
broker's win rate and the variance reduction common random numbers achieved; and
exports the runs as tables. With ``precision`` it keeps adding replications until
the headline metrics' CI half-widths are within that share of their means, or the
cap is reached: :attr:`ComparisonResult.precision` says which it was, and by how
much each headline metric missed. Metrics that exist with the broker only (the
catalogue's ``broker_only``) are compared as the broker arm alone. The metrics are
one family of tests: their paired t-test p-values are adjusted together (Holm by
default, ``correction``) before a difference is called significant; the CIs are
Student t or, with ``ci="bootstrap"``, BCa bootstrap intervals seeded by the root
seed (docs/statistics.md). Both are analysis choices, not part of the experiment:
rerunning with another re-analyses the stored runs. The charts are drawn a layer up
(:func:`orgsim.api.compare`).
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

from orgsim.analysis.stats import (
    CI_METHODS,
    CORRECTIONS,
    Comparison,
    compare_table,
    relative_half_width,
)
from orgsim.errors import ExperimentError
from orgsim.experiments.campaign import Campaign
from orgsim.experiments.executors import check_executor
from orgsim.experiments.limits import check_compare, refuse_max_runs
from orgsim.experiments.runner import check_seed, resolve
from orgsim.experiments.samples import paired_samples
from orgsim.experiments.tasks import ARMS, Task
from orgsim.metrics.catalogue import BETTER, BROKER_ONLY, HEADLINE
from orgsim.scenario.convert import structure
from orgsim.scenario.schema import Scenario
from orgsim.storage.export import export_csv, export_parquet
from orgsim.storage.results import ResultsDB, RunRecord, check_out_dir

logger = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class PrecisionCheck:
    """Whether a precision target was met, and how precise each headline metric got.

    A target is met when every headline metric's 95% CI half-width is within
    ``target`` times the magnitude of its mean, in both arms (the arm without a
    broker is not judged for a metric that exists with the broker only).

    Attributes:
        target: The target, a share of the mean (``0.05`` for ±5%).
        max_runs: The cap on replications per arm.
        by_arm: Arm (``on``, ``off``) to headline metric to its achieved relative
            half-width (:func:`~orgsim.analysis.stats.relative_half_width`: NaN
            with fewer than two values, ``inf`` for a mean of 0 with spread).
        achieved: Headline metric to the worse of its arms' relative half-widths.
        level: The confidence level.
    """

    target: float
    max_runs: int
    by_arm: dict[str, dict[str, float]]
    achieved: dict[str, float]
    level: float = 0.95

    @property
    def missed(self) -> dict[str, float]:
        """The headline metrics short of the target, with their achieved precision."""
        return {k: v for k, v in self.achieved.items() if not v <= self.target}

    @property
    def met(self) -> bool:
        """Whether every headline metric reached the target."""
        return not self.missed


def check_precision(
    on: dict[str, np.ndarray],
    off: dict[str, np.ndarray],
    target: float,
    max_runs: int,
    level: float = 0.95,
) -> PrecisionCheck:
    """How precise the headline metrics are in both arms, against ``target``."""
    by_arm = {
        arm: {
            k: relative_half_width(values[k], level)
            for k in HEADLINE
            if not (arm == "off" and k in BROKER_ONLY)
        }
        for arm, values in (("on", on), ("off", off))
    }
    achieved = {}
    for k in HEADLINE:
        got = [by_arm[arm][k] for arm in ARMS if k in by_arm[arm]]
        achieved[k] = math.nan if any(math.isnan(v) for v in got) else max(got)
    return PrecisionCheck(
        target=target, max_runs=max_runs, by_arm=by_arm, achieved=achieved, level=level
    )


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
        out: The output folder; ``db`` the results database in it.
        failed: Keys of runs that raised.
        charts: The charts drawn of it (none until :func:`orgsim.api.compare` draws
            them).
        precision: With a precision target, whether it was met within the cap and
            the precision each headline metric achieved; None without one.
        correction: The multiple-comparison correction over the table's metrics
            (``holm``, ``bh`` or ``none``).
        ci: How the CIs were made (``t`` or ``bootstrap``).
    """

    scenario: Scenario
    seed: int
    runs: int
    table: dict[str, Comparison]
    on: dict[str, np.ndarray]
    off: dict[str, np.ndarray]
    records: list[RunRecord]
    out: Path
    db: Path
    failed: list[str]
    charts: list[Any] = attrs.field(factory=list)
    precision: PrecisionCheck | None = None
    correction: str = "holm"
    ci: str = "t"

    @property
    def family(self) -> int:
        """How many metrics were tested together (those with a paired test)."""
        return max((c.family for c in self.table.values()), default=0)

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
    max_runs: int | None = None,
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
    allow_large: bool = False,
    correction: str = "holm",
    ci: str = "t",
) -> ComparisonResult:
    """Compare a scenario with and without the broker over paired replications.

    Args:
        scenario: A Scenario, a TOML path, or a bundled scenario name.
        runs: Replications per arm (at least 2); the first batch when ``precision``
            is given.
        seed: Root seed; the scenario's when omitted.
        jobs: Worker processes (default: all cores).
        executor: ``serial``, ``local`` or ``dask``.
        out: Output folder for the results database and tables.
        overrides: ``dotted.path=value`` settings applied over the scenario.
        precision: Keep adding replications until every headline metric's 95% CI
            half-width is within this share of its mean in both arms.
        max_runs: Cap on replications per arm when ``precision`` is given: at
            least 2 and at least ``runs`` (default: 1000, or ``runs`` if larger); the
            result's ``precision.met`` says whether the target was reached by then.
        progress: Called after each run is committed (for progress bars).
        command: Command line recorded in the provenance (default: ``sys.argv``).
        allow_large: Run a comparison past the limits of
            :mod:`orgsim.experiments.limits` (runs, estimated time and memory).
        correction: Multiple-comparison correction over the table's metrics:
            ``holm`` (default; family-wise error), ``bh`` (false discovery rate) or
            ``none`` (each metric at 5% on its own).
        ci: ``t`` (default) or ``bootstrap`` (BCa, 9999 resamples of the
            replications, seeded by ``seed``) for every CI of the table.

    Returns:
        The comparison; every run is also committed to ``out/results.sqlite``.

    Raises:
        ExperimentError: Bad settings, or a comparison past the limits without
            ``allow_large`` (refused before anything is written).
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise ExperimentError(f"--runs must be an integer >= 2, got {runs!r}")
    max_runs = refuse_max_runs(max(1000, runs) if max_runs is None else max_runs, runs)
    if precision is not None and not 0 < precision < 1:
        raise ExperimentError(f"--precision must be between 0 and 1, got {precision}")
    check_statistics(correction, ci)
    check_executor(executor, jobs)
    sc = resolve(scenario, overrides)
    seed = check_seed(sc.seed if seed is None else seed)
    check_compare(
        sc, runs=runs, max_runs=max_runs, precision=precision, jobs=jobs, allow_large=allow_large
    )
    out_dir = Path(out)
    check_out_dir(out_dir)
    name = _experiment_name(sc, seed)
    db_path = out_dir / "results.sqlite"
    with ResultsDB(db_path) as db:
        campaign = Campaign.start(
            db,
            experiment=name,
            kind="compare",
            scenario=sc,
            settings={
                "runs": runs,
                "seed": seed,
                "precision": precision,
                "executor": executor,
                "correction": correction,
                "ci": ci,
            },
            command=command,
            progress=progress,
            label=f"compare {sc.name}",
        )
        with campaign:  # the local workers serve every round
            records, on, off, complete = _replicate(
                campaign,
                sc,
                seed,
                runs=runs,
                precision=precision,
                max_runs=max_runs,
                executor=executor,
                jobs=jobs,
            )
    failed = [r.key for r in records if r.status != "ok"]
    cap = max(max_runs, runs)
    if complete < 2:
        last = (records_error(records) or "no error recorded").strip().splitlines()[-1]
        raise ExperimentError(
            f"only {complete} replication(s) completed in both arms; {len(failed)} run(s) "
            f"failed, the first with {last!r} (tracebacks in {db_path})"
        )
    export_csv(records, out_dir / "runs.csv")
    export_parquet(records, out_dir / "runs.parquet")
    check = None if precision is None else check_precision(on, off, precision, cap)
    if check is not None and not check.met:
        logger.info(
            "precision target %g not reached within %d replications: %s",
            precision,
            cap,
            ", ".join(f"{k} {v:.3g}" for k, v in check.missed.items()),
        )
    return _result(sc, seed, records, out_dir, correction=correction, ci=ci, precision=check)


def _result(
    sc: Scenario,
    seed: int,
    records: list[RunRecord],
    out_dir: Path,
    *,
    correction: str,
    ci: str,
    precision: PrecisionCheck | None = None,
) -> ComparisonResult:
    """The comparison of stored records: the paired table over the complete replications."""
    on, off, complete = _paired_arrays(records)
    return ComparisonResult(
        scenario=sc,
        seed=seed,
        runs=complete,
        table=compare_table(
            on,
            off,
            better={k: BETTER.get(k, "") for k in on},
            broker_only=BROKER_ONLY,
            correction=correction,
            ci=ci,
            seed=seed,
        ),
        on=on,
        off=off,
        records=records,
        out=out_dir,
        db=out_dir / "results.sqlite",
        failed=[r.key for r in records if r.status != "ok"],
        precision=precision,
        correction=correction,
        ci=ci,
    )


def load_comparison(out: str | os.PathLike[str]) -> ComparisonResult:
    """The newest comparison stored in ``out/results.sqlite``, its table made again.

    What :func:`compare` returned, rebuilt from the database alone (the scenario and
    settings from the provenance, the values from the stored runs), so a report or
    a table made later shows the very numbers of the run. A comparison made before
    the correction and CI method were recorded is read with the defaults then in
    force (Holm, Student t).

    Raises:
        ExperimentError: No results database there, or no comparison in it.
    """
    out_dir = Path(out)
    db_path = out_dir / "results.sqlite"
    if not db_path.is_file():
        raise ExperimentError(f"no results database in {out_dir} (expected {db_path})")
    with ResultsDB(db_path) as db:
        made = [p for p in db.provenance() if p["kind"] == "compare"]
        if not made:
            raise ExperimentError(f"{db_path} holds no comparison")
        last = made[-1]
        records = db.records(last["experiment"])
    settings = last["settings"]
    return _result(
        structure(last["scenario"], Scenario),
        int(settings["seed"]),
        records,
        out_dir,
        correction=settings.get("correction", "holm"),
        ci=settings.get("ci", "t"),
    )


def check_statistics(correction: str, ci: str) -> None:
    """Refuse an unknown correction or CI method, both in one message.

    Raises:
        ExperimentError: Naming each bad option and its value.
    """
    problems = []
    if correction not in CORRECTIONS:
        problems.append(f"--correction must be one of {', '.join(CORRECTIONS)}, got {correction!r}")
    if ci not in CI_METHODS:
        problems.append(f"--ci must be one of {', '.join(CI_METHODS)}, got {ci!r}")
    if problems:
        raise ExperimentError("; ".join(problems))


def _replicate(
    campaign: Campaign,
    scenario: Scenario,
    seed: int,
    *,
    runs: int,
    precision: float | None,
    max_runs: int,
    executor: str,
    jobs: int | None,
) -> tuple[list[RunRecord], dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """Run ``runs`` paired replications; with ``precision``, more until it is reached.

    Returns:
        The records, both arms' per-metric arrays and how many replications are
        complete in both arms.
    """
    target = runs
    while True:
        tasks = paired_tasks(campaign.experiment, scenario, seed, target)
        records = campaign.run(tasks, executor=executor, jobs=jobs)
        on, off, complete = _paired_arrays(records)
        if precision is None or target >= max_runs:
            return records, on, off, complete
        if complete >= 2 and check_precision(on, off, precision, max_runs).met:
            return records, on, off, complete
        target = min(max_runs, max(target + 2, int(target * 1.5)))
        logger.info("precision not reached; extending to %d replications", target)


def paired_tasks(experiment: str, scenario: Scenario, seed: int, replications: int) -> list[Task]:
    """Both arms of replications ``0 .. replications - 1``, in canonical order."""
    digest = scenario.digest()
    return [
        Task(
            experiment=experiment,
            scenario=scenario,
            scenario_hash=digest,
            point=0,
            arm=arm,
            replication=rep,
            seed=seed,
        )
        for rep in range(replications)
        for arm in ARMS
    ]


def records_error(records: Sequence[RunRecord]) -> str:
    """The error text of the first failed run, if any."""
    return next((r.error for r in records if r.status != "ok"), "")


def _paired_arrays(
    records: Sequence[RunRecord],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """Per-metric arrays of both arms over the replications complete in both."""
    samples, reps = paired_samples(records, ARMS)
    return samples["on"], samples["off"], len(reps)
