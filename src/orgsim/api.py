"""The library's entry points: each experiment with the files it writes.

:mod:`orgsim.experiments` runs, analyses and exports tables; it knows nothing of
charts or report documents, which live a layer up in :mod:`orgsim.reporting`.
The functions here put the two together, as ``orgsim compare``, ``orgsim sweep`` and
``orgsim explore`` (and ``orgsim.compare`` / ``orgsim.sweep`` / ``orgsim.api.explore``)
give them: the experiment first, then its charts (when asked for and matplotlib is
installed), then the result with them. A sweep and an explore also write their
``summary.json``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from orgsim.errors import ExperimentError, OrgsimError
from orgsim.experiments import attribution
from orgsim.experiments import compare as comparison
from orgsim.experiments import fork as forking
from orgsim.experiments.attribution import AttributionResult, ExplainedComparison
from orgsim.experiments.calibrate import run as calibrating
from orgsim.experiments.calibrate.run import CalibrationResult
from orgsim.experiments.compare import ComparisonResult
from orgsim.experiments.explore import explain as explaining
from orgsim.experiments.explore import run as exploring
from orgsim.experiments.explore.run import ExploreResult, write_summary
from orgsim.experiments.explore.spec import ExploreSpec
from orgsim.experiments.fork import ForkComparison
from orgsim.experiments.samples import SERIES, arm_arrays
from orgsim.experiments.sweep import run as sweeping
from orgsim.experiments.sweep.run import SweepResult
from orgsim.experiments.sweep.spec import SweepSpec
from orgsim.experiments.tornado import TornadoResult
from orgsim.experiments.tornado import tornado as tornado_analysis
from orgsim.metrics.catalogue import HEADLINE, UNITS
from orgsim.reporting.charts import compare as compare_charts
from orgsim.reporting.charts import explore as explore_charts
from orgsim.reporting.charts import sweep as sweep_charts
from orgsim.reporting.charts.attribution import waterfall
from orgsim.reporting.charts.calibrate import calibration_charts
from orgsim.reporting.charts.compare import Chart
from orgsim.reporting.charts.optimum import optimum_chart
from orgsim.reporting.charts.tornado import tornado_chart
from orgsim.reporting.documents import dumps, sweep_json, tornado_json
from orgsim.reporting.html import compare as compare_report
from orgsim.reporting.html import folder as report_folder
from orgsim.scenario.paths import parse_override_value
from orgsim.scenario.schema import Scenario
from orgsim.storage.results import RunRecord

logger = logging.getLogger(__name__)

__all__ = [
    "SERIES",
    "calibrate",
    "compare",
    "compare_forks",
    "explore",
    "fork",
    "fork_report",
    "posterior_explore",
    "report",
    "sweep",
    "tornado",
]


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
    charts: bool = True,
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
    allow_large: bool = False,
    explain: bool = False,
    explain_runs: int | None = None,
    correction: str = "holm",
    ci: str = "t",
) -> ComparisonResult:
    """Compare a scenario with and without the broker over paired replications.

    Runs :func:`orgsim.experiments.compare.compare` (which commits every run to
    ``out/results.sqlite`` and writes ``runs.csv`` / ``runs.parquet``), then draws
    its charts into ``out``: a forest plot, the distributions, the quarterly time
    series and the conflict funnel, as PNG and SVG.

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
        max_runs: Cap on replications per arm when ``precision`` is given (at
            least ``runs``; default 1000, or ``runs`` if larger).
        charts: Whether to write the charts.
        progress: Called after each run is committed (for progress bars).
        command: Command line recorded in the provenance (default: ``sys.argv``).
        allow_large: Confirm a comparison past the limits of
            :mod:`orgsim.experiments.limits`.
        explain: Also attribute the paired net-value difference to the broker's
            channels (:func:`orgsim.experiments.attribution.attribute`, in the same
            results database), and draw its waterfall.
        explain_runs: Replications of the attribution (at least 2; default
            :data:`~orgsim.experiments.attribution.DEFAULT_RUNS`); each makes a run
            per coalition of channels and one without the broker.
        correction: Multiple-comparison correction over the metrics: ``holm``
            (default), ``bh`` or ``none`` (docs/statistics.md).
        ci: ``t`` (default) or ``bootstrap`` (BCa) confidence intervals.

    Returns:
        The comparison, with the charts written; with ``explain``, an
        :class:`~orgsim.experiments.attribution.ExplainedComparison` whose
        ``attribution`` holds the attribution.
    """
    if explain:  # refused before anything runs, as the comparison's own limits are
        explain_runs = attribution.plan(
            scenario, runs=explain_runs, overrides=overrides, jobs=jobs, allow_large=allow_large
        )
    result = comparison.compare(
        scenario,
        runs=runs,
        seed=seed,
        jobs=jobs,
        executor=executor,
        out=out,
        overrides=overrides,
        precision=precision,
        max_runs=max_runs,
        progress=progress,
        command=command,
        allow_large=allow_large,
        correction=correction,
        ci=ci,
    )
    if explain:
        found = attribution.attribute(
            result.scenario,
            runs=explain_runs or attribution.DEFAULT_RUNS,
            seed=result.seed,
            executor=executor,
            jobs=jobs,
            out=result.out,
            progress=progress,
            command=command,
            allow_large=allow_large,
        )
        result = _explained(result, found, charts)
    if not charts:
        return result
    return attrs.evolve(result, charts=_comparison_charts(result))


def _explained(
    result: ComparisonResult, found: AttributionResult, charts: bool
) -> ExplainedComparison:
    """The comparison with its attribution, and the attribution's waterfall drawn."""
    if charts:
        found = _with_waterfall(found, result.out)
    return ExplainedComparison(**attrs.asdict(result, recurse=False), attribution=found)


def _with_waterfall(found: AttributionResult, out: Path) -> AttributionResult:
    """The attribution with its waterfall drawn into ``out`` (when matplotlib is there)."""
    if not _can_draw():
        return found
    try:
        return attrs.evolve(found, charts=[waterfall(found, out)])
    except OSError as exc:
        raise OrgsimError(
            f"cannot write charts to {out}: {exc}; every run is kept in {found.db}"
        ) from None


def explain_point(
    file_or_spec: ExploreSpec | Mapping[str, Any] | str | os.PathLike[str],
    point: int,
    *,
    charts: bool = True,
    **options: Any,
) -> AttributionResult:
    """Where the broker's effect at one explore point comes from, with its waterfall.

    Runs :func:`orgsim.experiments.explore.explain.explain_point` (the point's
    scenario under the focus lever, or ``lever``, attributed to the broker's
    channels in ``<out>/explain-<point>``), then draws the waterfall there.

    Args:
        file_or_spec: The explore file (a path, a bundled name, plain data or a spec).
        point: The point's index in the design (``points.csv``'s ``point``).
        charts: Whether to draw the waterfall.
        options: Passed on (``lever``, ``runs``, ``executor``, ``jobs``,
            ``scheduler``, ``out``, ``progress``, ``command``, ``allow_large``).
    """
    found = explaining.explain_point(file_or_spec, point, **options)
    return _with_waterfall(found, found.out) if charts else found


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
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
    allow_large: bool = False,
) -> SweepResult:
    """Run a parameter sweep and analyse it, with its charts and ``summary.json``.

    Runs :func:`orgsim.experiments.sweep.run.sweep` (results database, per-run and
    per-point tables, sensitivity indices), then draws the heatmaps, effect curves
    and index charts into ``out`` and writes ``out/summary.json``.

    Args:
        file_or_spec: A sweep file, a bundled sweep name, plain sweep data, or a
            :class:`~orgsim.experiments.sweep.spec.SweepSpec`.
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
        progress: Called after each run is committed.
        command: Command line recorded in the provenance (default ``sys.argv``).
        allow_large: Confirm a sweep past the limits of
            :mod:`orgsim.experiments.limits` (design points, runs, estimated time
            and memory).

    Returns:
        The sweep's result; every run is in ``out/results.sqlite``.

    Raises:
        ScenarioError: The sweep file is invalid.
        ExperimentError: Bad settings, or ``out`` holds this sweep already and
            ``resume`` is false (or another sweep).
    """
    started = time.perf_counter()
    result = sweeping.sweep(
        file_or_spec,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        out=out,
        resume=resume,
        keep_events=keep_events,
        batch=batch,
        progress=progress,
        command=command,
        allow_large=allow_large,
    )
    written = _sweep_charts(result) if charts else []
    result = attrs.evolve(result, charts=written, elapsed=time.perf_counter() - started)
    (result.out / "summary.json").write_text(dumps(sweep_json(result)))
    return result


def explore(
    file_or_spec: ExploreSpec | Mapping[str, Any] | str | os.PathLike[str],
    *,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    charts: bool = True,
    batch: int | None = None,
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
    allow_large: bool = False,
) -> ExploreResult:
    """Run an explore file's ensemble (uncertainties x levers), analyse it, chart it.

    Runs :func:`orgsim.experiments.explore.run.explore` (results database, the
    per-point and per-run tables, the analysis, ``summary.json``), then draws the
    explore charts into ``out`` and writes ``summary.json`` again with them and
    the whole call's time.

    Args:
        file_or_spec: An explore file, a bundled explore file's name, plain
            explore data, or an :class:`~orgsim.experiments.explore.spec.ExploreSpec`.
        executor: ``serial``, ``local`` (processes on this machine) or ``dask``.
        jobs: Worker processes (``local``), or the LocalCluster size (``dask``
            without ``scheduler``). Default: all cores.
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``).
        out: Output folder (default ``out/explore-<name>``).
        resume: Continue an ensemble whose database is already in ``out``:
            committed runs are skipped, failed ones retried.
        charts: Whether to draw the charts.
        batch: Runs per submitted task (default: chosen from the executor).
        progress: Called after each run is committed.
        command: Command line recorded in the provenance (default ``sys.argv``).
        allow_large: Confirm an ensemble past the limits of
            :mod:`orgsim.experiments.limits` (points, runs, estimated time and
            memory).

    Returns:
        The result, with its analysis and charts; every run is in
        ``out/results.sqlite``.

    Raises:
        ScenarioError: The explore file is invalid.
        ExperimentError: Bad settings, an ensemble past the limits, ``out`` holds
            this ensemble already and ``resume`` is false (or another experiment),
            or the ``explore`` extra is missing.
    """
    started = time.perf_counter()
    result = exploring.explore(
        file_or_spec,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        out=out,
        resume=resume,
        batch=batch,
        progress=progress,
        command=command,
        allow_large=allow_large,
    )
    written = _explore_charts(result) if charts else []
    result = attrs.evolve(result, charts=written, elapsed=time.perf_counter() - started)
    write_summary(result)
    return result


def tornado(
    scenario: Scenario,
    *,
    charts: bool = True,
    **options: Any,
) -> TornadoResult:
    """What the broker's verdict hangs on, with its document and diagram.

    Runs :func:`orgsim.experiments.tornado.tornado`, then writes ``tornado.json``
    and the tornado diagram (PNG and SVG) into its ``out``.

    Args:
        scenario: The base scenario.
        charts: Whether to draw the diagram.
        options: Passed to :func:`orgsim.experiments.tornado.tornado` (``metric``,
            ``screen``, ``runs``, ``top``, ``seed``, ``executor``, ``jobs``, ``out``,
            ``progress``, ``command``, ``allow_large``).
    """
    result = tornado_analysis(scenario, **options)
    (result.out / "tornado.json").write_text(dumps(tornado_json(result)))
    if not charts or not _can_draw():
        return result
    return attrs.evolve(result, charts=[tornado_chart(result, result.out)])


def _can_draw() -> bool:
    """Whether matplotlib (an extra, imported by the charts only) is installed."""
    if importlib.util.find_spec("matplotlib") is None:
        logger.warning("matplotlib is not installed: no charts (pip install 'orgsim[charts]')")
        return False
    return True


def _comparison_charts(result: ComparisonResult) -> list[Chart]:
    """The forest plot, distributions, time series and funnel of a comparison."""
    if not _can_draw():
        return []
    records, out = result.records, result.out
    q_on, q_off = arm_arrays(records, "on", "quarterly"), arm_arrays(records, "off", "quarterly")
    series = [s for s in SERIES if not s.endswith("*")]
    series += [s for s in SERIES if s.endswith("*")]
    try:
        return [
            compare_charts.forest_plot(result.table, UNITS, out),
            compare_charts.distributions(result.on, result.off, list(HEADLINE), UNITS, out),
            compare_charts.time_series(q_on, q_off, series, UNITS, out),
            compare_charts.funnel(
                arm_arrays(records, "on", "funnel"), arm_arrays(records, "off", "funnel"), out
            ),
        ]
    except OSError as exc:
        raise OrgsimError(
            f"cannot write charts to {out}: {exc}; every run is kept in {result.db}"
        ) from None


def _sweep_charts(result: SweepResult) -> list[Chart]:
    """The heatmaps, effect curves and sensitivity charts of a sweep, and its optimum's."""
    if not _can_draw():
        return []
    out: Path = result.out
    try:
        charts = sweep_charts.sweep_charts(result.spec, result.points, result.sensitivity, out)
        if result.optimum is not None:  # a paired sweep of one parameter: its best level
            charts.append(optimum_chart(result.optimum, result.spec.names[0], out))
        return charts
    except OSError as exc:
        raise OrgsimError(
            f"cannot write charts to {out}: {exc}; every run is kept in {result.db}"
        ) from None


def _explore_charts(result: ExploreResult) -> list[Chart]:
    """The explore charts of the analysis (lever effects, regret, PRIM, features)."""
    if not _can_draw():
        return []
    try:
        return list(explore_charts.explore_charts(result.analysis, result.x, result.out))
    except OSError as exc:
        raise OrgsimError(
            f"cannot write charts to {result.out}: {exc}; every run is kept in {result.db}"
        ) from None


def fork(
    store: str | os.PathLike[str],
    runs: int | str | Sequence[int | str],
    at: float,
    *,
    sets: Sequence[str] = (),
    intervene: Sequence[str] = (),
    command: Sequence[str] | None = None,
    correction: str = "holm",
    ci: str = "t",
) -> ForkComparison:
    """Fork stored runs at day ``at`` with a change, and compare each fork with its parent.

    Runs :func:`orgsim.experiments.fork.fork`: each run is re-simulated from its
    stored scenario and seed with the change at ``at`` (``sets``: ``path=value``
    parameter changes; ``intervene``: ``appoint``, ``mediators=+2``, ...), its
    events before ``at`` checked against the stored ones (prefix digest), and the
    fork saved in the same store with its parent run and fork day recorded.

    Args:
        store: The event store (``orgsim run --db``'s file).
        runs: A run id, several, or ``"all"`` (every run that is not a fork).
        at: The day of the change.
        sets: Parameter changes at ``at``.
        intervene: Actions at ``at``.
        command: Command line recorded with each fork (default: ``sys.argv``).
        correction: ``holm`` (default), ``bh`` or ``none``.
        ci: ``t`` (default) or ``bootstrap``.

    Returns:
        The forks, with the paired comparison of every metric when there are two
        or more.
    """
    return forking.fork(
        store,
        runs,
        at,
        sets=sets,
        intervene=intervene,
        command=command,
        correction=correction,
        ci=ci,
    )


def compare_forks(
    store: str | os.PathLike[str], *, correction: str = "holm", ci: str = "t"
) -> list[ForkComparison]:
    """Every stored fork paired with its parent, one comparison per change and day.

    See :func:`orgsim.experiments.fork.compare_forks`: nothing is simulated, every
    metric is projected again from the stored logs.
    """
    return forking.compare_forks(store, correction=correction, ci=ci)


def calibrate(
    scenario: Scenario | str | os.PathLike[str],
    observations: str | os.PathLike[str],
    *,
    charts: bool = True,
    **options: Any,
) -> CalibrationResult:
    """Fit an observations file's constants by ABC-SMC, check the fit, chart the posterior.

    Runs :func:`orgsim.experiments.calibrate.run.calibrate` (``abc.db``, ``posterior.csv``,
    ``calibration.json`` and the predictive samples in ``out``), then draws the
    posterior's marginals and pairs and the predictive check there.

    Args:
        scenario: The scenario the company is an instance of.
        observations: The observations file.
        charts: Whether to draw the charts.
        **options: As :func:`orgsim.experiments.calibrate.run.calibrate` takes them (``out``,
            ``executor``, ``jobs``, ``scheduler``, ``resume``, ``settings``,
            ``seed``, ``progress``, ``command``).

    Returns:
        The :class:`~orgsim.experiments.calibrate.run.CalibrationResult`, with its charts.

    Raises:
        ExperimentError: pyabc is missing (``pip install 'orgsim[calibrate]'``), bad
            settings, or an output folder that cannot be used.
        ScenarioError: The scenario or the observations file is invalid.
    """
    if importlib.util.find_spec("pyabc") is None:
        raise ExperimentError("calibrate needs pyabc: pip install 'orgsim[calibrate]'")
    result = calibrating.calibrate(scenario, observations, **options)
    if not charts or not _can_draw():
        return result
    return attrs.evolve(result, charts=calibration_charts(result, result.out))


def posterior_explore(
    scenario: str | os.PathLike[str],
    posterior: str | os.PathLike[str],
    *,
    draws: int = 40,
    runs: int = 2,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    metric: str = "net_value",
    **options: Any,
) -> ExploreResult:
    """The broker's effect at this company: paired on/off runs at posterior draws.

    Builds an explore of two levers (``broker`` against ``no-broker``) whose points
    are ``draws`` parameter sets resampled from the calibration in ``posterior``
    (explore's ``design = "posterior"``), the calibration's ``[structure]`` over
    ``scenario``, ``runs`` paired replications at each, and runs it
    (:func:`explore`): the share of draws where the broker pays is the
    probability that it pays at this company, the draws' effects its
    distribution, and the analysis of the ensemble says which posterior
    uncertainty drives it.

    Args:
        scenario: The scenario the calibration's company is an instance of.
        posterior: A finished calibration's folder.
        draws: Parameter sets drawn from the posterior.
        runs: Paired replications at each.
        seed: Root seed of the draws and runs (default 1).
        overrides: ``dotted.path=value`` settings over the scenario.
        metric: What the broker is judged on.
        **options: As :func:`explore` takes them (``out``, ``executor``, ...).
    """
    base = str(scenario)
    if Path(base).suffix:
        base = str(Path(base).resolve())
    fixed = {}
    for text in overrides:
        path, sep, value = text.partition("=")
        if not sep or not path.strip():
            raise ExperimentError(f"--set expects PATH=VALUE, got {text!r}")
        fixed[path.strip()] = parse_override_value(value)
    data: dict[str, Any] = {
        "name": f"posterior-{Path(posterior).resolve().name}",
        "description": f"the broker at the company calibrated in {posterior}",
        "base": base,
        "design": "posterior",
        "posterior": str(Path(posterior).resolve()),
        "points": draws,
        "replications": runs,
        "metric": metric,
        "reference": "no-broker",
        "focus": "broker",
        "overrides": fixed,
        "levers": {"no-broker": {"broker.enabled": False}, "broker": {"broker.enabled": True}},
    }
    if seed is not None:
        data["seed"] = seed
    options.setdefault("out", Path("out") / str(data["name"]))
    return explore(data, **options)


def report(out: str | os.PathLike[str], *, interactive: bool | None = None) -> Path:
    """Write ``out/report.html``: the compare, sweep or explore in ``out`` as one page.

    The page is self-contained (it opens offline, from a disk or an attachment):
    the question and the verdict, the sortable table, the charts (interactive with
    the ``report`` extra's plotly, else the SVG charts in ``out``), the provenance
    and links to the data files (:mod:`orgsim.reporting.html.common`).

    Args:
        out: The experiment's output folder (its ``--out``).
        interactive: Force plotly charts (True) or the static SVGs (False).

    Returns:
        The report's path.
    """
    return report_folder.report(Path(out), interactive=interactive)


def fork_report(
    results: ForkComparison | Sequence[ForkComparison],
    out: str | os.PathLike[str] | None = None,
    *,
    interactive: bool | None = None,
) -> Path:
    """Write ``report.html`` of forks and their parents into ``out``.

    ``results``: from :func:`fork` or :func:`compare_forks`; ``out`` is by default
    the event store's folder.
    """
    groups = [results] if isinstance(results, ForkComparison) else list(results)
    if not groups:
        raise ExperimentError("no forks to report: the store holds none")
    folder = Path(out) if out is not None else Path(groups[0].store).parent
    return compare_report.fork_report(groups, folder, interactive=interactive)
