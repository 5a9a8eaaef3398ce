"""Where the broker's effect comes from: Shapley attribution over its channels.

A comparison says *whether* the broker pays; this says *why*. The broker acts
through a few mechanisms, its channels (:data:`~orgsim.engine.context.CHANNELS`):
what it costs, conflicts detected and mediated, the CEO's briefing, the neutral
budget read, roadmap realignment after market shifts, credibility built by
praise. Each can be switched off while the broker stays in office, on the same
random numbers (the broker's draws come from its own streams, so a switched-off
channel changes no other draw). For every coalition ``S`` of channels, replication
``r`` is run with the broker acting through ``S`` only, and

    v_r(S) = net_value_r(broker acting through S) − net_value_r(no broker).

With no channel active the run *is* the run without the broker (``v_r(∅) = 0``:
measured, not assumed: it is the test that the separation of the streams holds),
and with all of them it is the comparison's broker arm, so ``v_r(all)`` is the
paired difference a comparison reports. The Shapley value of channel ``k`` in
replication ``r``,

    φ_k,r = Σ_{S ∌ k} |S|! (K − |S| − 1)! / K! · (v_r(S ∪ {k}) − v_r(S)),

is its marginal contribution averaged over every order in which the channels
could be switched on; the values add up to ``v_r(all) − v_r(∅)``, the whole
paired difference, exactly (the efficiency property), however the channels
interact. Each channel's mean and Student-t CI over the replications are
reported beside two simpler views: its effect *alone* (``v({k}) − v(∅)``) and
*one at a time* from the full broker (``v(all) − v(all ∖ {k})``, what switching
it off would lose); the total less the sum of the one-at-a-time effects is the
*interaction* remainder, which says whether the channels' effects simply add.

Beside "which mechanism caused it", the *accounting split* of the same paired
difference says where the money shows up: Δ value shipped − Δ salary cost −
Δ hiring cost (the backfill of attrition) − Δ broker cost − Δ support backlog
cost − Δ incident cost, which adds up to Δ net value (``net_value`` is value
shipped less those costs, :mod:`orgsim.metrics.projections`).

Cost: ``(2**K + 1) × runs`` runs (65 per replication with the six channels),
through the :class:`~orgsim.experiments.campaign.Campaign` loop, so every run is
committed to the results database as it finishes and an interrupted attribution
resumes; the numbers do not depend on the executor or the number of workers.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from orgsim.analysis.stats import Estimate, mean_ci
from orgsim.engine.context import CHANNEL_MECHANISMS, CHANNELS
from orgsim.errors import ExperimentError
from orgsim.experiments.campaign import Campaign
from orgsim.experiments.compare import ComparisonResult, records_error
from orgsim.experiments.executors import check_executor
from orgsim.experiments.limits import check_attribution
from orgsim.experiments.runner import check_seed, resolve
from orgsim.experiments.tasks import Task
from orgsim.scenario.schema import Scenario
from orgsim.storage.results import ResultsDB, RunRecord, check_out_dir

logger = logging.getLogger(__name__)

__all__ = [
    "ACCOUNTING",
    "DEFAULT_RUNS",
    "AccountingTerm",
    "AttributionResult",
    "ChannelEffect",
    "ExplainedComparison",
    "attribute",
    "attribution_runs",
    "check_runs",
    "coalition",
    "plan",
    "shapley",
    "shapley_matrix",
]

DEFAULT_RUNS = 10
"""Replications of an attribution when none are asked for (``--explain-runs``):
65 runs each with the six channels, so a midsize attribution is 650 runs."""

ACCOUNTING: tuple[tuple[str, int], ...] = (
    ("value_shipped", 1),
    ("salary_cost", -1),
    ("hiring_cost", -1),
    ("broker_cost", -1),
    ("support_backlog_cost", -1),
    ("incident_cost", -1),
)
"""The terms of ``net_value`` with their signs: value shipped less each cost."""

OFF = -1
"""The variant without the broker, beside the coalitions' masks ``0 .. 2**K - 1``."""


# ------------------------------------------------------------------- Shapley


def coalition(mask: int, players: Sequence[str] = CHANNELS) -> tuple[str, ...]:
    """The players of a coalition's bit mask (bit ``i``: ``players[i]``), in order."""
    return tuple(p for i, p in enumerate(players) if mask >> i & 1)


def _weights(k: int) -> np.ndarray:
    """Shapley's weight of a coalition of each size ``s``: ``s! (k - s - 1)! / k!``."""
    return np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    )


def shapley_matrix(values: np.ndarray, k: int) -> np.ndarray:
    """Exact Shapley values from the value of every coalition, given by bit mask.

    Args:
        values: Shape ``(2**k, ...)``: ``values[m]`` is the value of the coalition
            whose players are the bits of ``m`` (any trailing shape: one column per
            replication, say).
        k: The number of players.

    Returns:
        Shape ``(k, ...)``: ``out[i]`` is player ``i``'s Shapley value,
        ``Σ_{S ∌ i} |S|! (k − |S| − 1)! / k! · (v(S ∪ {i}) − v(S))``. They add up to
        ``v(all) − v(∅)``.
    """
    values = np.asarray(values, dtype=float)
    if k < 1 or values.shape[0] != 2**k:
        raise ValueError(f"need the 2**{k} coalitions' values, got {values.shape[0]}")
    w = _weights(k)
    out = np.zeros((k, *values.shape[1:]))
    for i in range(k):
        bit = 1 << i
        for m in range(2**k):
            if not m & bit:
                out[i] += w[m.bit_count()] * (values[m | bit] - values[m])
    return out


def shapley(value: Mapping[frozenset[str], float], players: Sequence[str]) -> dict[str, float]:
    """Exact Shapley values of a value function given per coalition.

    Args:
        value: Every coalition of ``players`` (as a frozenset, the empty one
            included) to its value.
        players: The players, in the order the result lists them.

    Raises:
        ValueError: A coalition's value is missing, or a player repeats.
    """
    k = len(players)
    if len(set(players)) != k:
        raise ValueError(f"players repeat: {list(players)}")
    missing = [m for m in range(2**k) if frozenset(coalition(m, players)) not in value]
    if missing:
        raise ValueError(
            f"{len(missing)} coalition(s) have no value, the first "
            f"{set(coalition(missing[0], players)) or '{}'}"
        )
    v = np.array([value[frozenset(coalition(m, players))] for m in range(2**k)], dtype=float)
    phi = shapley_matrix(v, k)
    return {p: float(phi[i]) for i, p in enumerate(players)}


# -------------------------------------------------------------------- results


@attrs.frozen(kw_only=True)
class ChannelEffect:
    """One channel's share of the broker's paired effect on net value (k$).

    Attributes:
        channel: The channel's name (:data:`~orgsim.engine.context.CHANNELS`).
        mechanism: What it switches (:data:`~orgsim.engine.context.CHANNEL_MECHANISMS`).
        shapley: Its Shapley value, mean and 95% CI over the replications.
        alone: Its effect switched on alone: ``v({k}) − v(∅)``.
        one_at_a_time: What switching it off from the full broker loses:
            ``v(all) − v(all ∖ {k})``.
        share: Its mean Shapley value over the mean total (NaN for a total of 0).
    """

    channel: str
    mechanism: str
    shapley: Estimate
    alone: Estimate
    one_at_a_time: Estimate
    share: float


@attrs.frozen(kw_only=True)
class AccountingTerm:
    """One term of net value and its part of the paired difference.

    Attributes:
        metric: The metric (``value_shipped``, ``salary_cost``, ...).
        sign: +1 for value, −1 for a cost.
        effect: ``sign × (with broker − without)``, mean and 95% CI (k$).
    """

    metric: str
    sign: int
    effect: Estimate


@attrs.frozen(kw_only=True)
class AttributionResult:
    """What an attribution found (every amount in k$ of net value).

    Attributes:
        scenario: The scenario attributed (the broker's setting aside).
        seed: Root seed.
        runs: Replications complete in every variant.
        replications: Their numbers.
        channels: The channels, in order (bit ``i`` of a coalition's mask is
            ``channels[i]``).
        values: Shape ``(2**K, runs)``: ``v_r(S)`` per coalition mask.
        shapley: Shape ``(K, runs)``: ``φ_k,r``.
        rows: Per channel, its Shapley value, alone and one-at-a-time effects.
        total: The paired difference ``v(all)``: the broker on less off.
        empty: ``v(∅)``: the broker in office acting through nothing, less off
            (0 in every replication when the streams are separate).
        interaction: The total less the sum of the one-at-a-time effects.
        efficiency_gap: The largest ``|Σ_k φ_k,r − (v_r(all) − v_r(∅))|``
            (floating-point rounding only).
        accounting: The paired difference split into the terms of net value.
        accounting_gap: The largest ``|Σ terms − v_r(all)|`` (rounding only).
        out: The output folder; ``db`` the results database in it.
        failed: Keys of runs that raised.
        ran: Runs made by this invocation (the rest were committed before).
        charts: The charts drawn of it (none until :mod:`orgsim.api` draws them).
    """

    scenario: Scenario
    seed: int
    runs: int
    replications: tuple[int, ...]
    channels: tuple[str, ...]
    values: np.ndarray = attrs.field(eq=False)
    shapley: np.ndarray = attrs.field(eq=False)
    rows: tuple[ChannelEffect, ...]
    total: Estimate
    empty: Estimate
    interaction: Estimate
    efficiency_gap: float
    accounting: tuple[AccountingTerm, ...]
    accounting_gap: float
    out: Path
    db: Path
    failed: list[str]
    ran: int
    charts: list[Any] = attrs.field(factory=list)

    def value(self, channels: Sequence[str]) -> Estimate:
        """``v(S)`` of one coalition over the replications, mean and 95% CI."""
        unknown = set(channels) - set(self.channels)
        if unknown:
            raise ExperimentError(f"not channels of this attribution: {sorted(unknown)}")
        mask = sum(1 << i for i, c in enumerate(self.channels) if c in channels)
        return mean_ci(self.values[mask])

    @property
    def shapley_sum(self) -> float:
        """The mean over replications of ``Σ_k φ_k,r`` (the total, when ``v(∅) = 0``)."""
        return float(self.shapley.sum(axis=0).mean())


@attrs.frozen(kw_only=True)
class ExplainedComparison(ComparisonResult):
    """A comparison with its attribution (``orgsim compare --explain``)."""

    attribution: AttributionResult | None = None


# ----------------------------------------------------------------- experiment


def check_runs(runs: object, option: str = "--explain-runs") -> int:
    """An attribution's replications: an integer of at least 2 (a CI needs two)."""
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise ExperimentError(f"{option} must be an integer >= 2, got {runs!r}")
    return runs


def plan(
    scenario: Scenario | str | os.PathLike[str],
    *,
    runs: object = None,
    overrides: Sequence[str] = (),
    jobs: int | None = None,
    allow_large: bool = False,
) -> int:
    """Check an attribution's settings and size before anything runs; its replications.

    What a comparison with ``--explain`` calls first, so that a bad
    ``--explain-runs`` or an attribution past the limits is refused before the
    comparison's runs are made.

    Raises:
        ExperimentError: ``runs`` is not an integer >= 2 (None: :data:`DEFAULT_RUNS`),
            or the attribution is past the limits without ``allow_large``.
    """
    count = check_runs(DEFAULT_RUNS if runs is None else runs)
    sc = resolve(scenario, overrides)
    check_attribution(sc, runs=count, channels=len(CHANNELS), jobs=jobs, allow_large=allow_large)
    return count


def attribution_runs(runs: int, channels: int = len(CHANNELS)) -> int:
    """Runs an attribution of ``runs`` replications makes: every coalition, and off."""
    return (2**channels + 1) * runs


def _experiment_name(scenario: Scenario, seed: int) -> str:
    return f"attribution:{scenario.name}:{scenario.digest()}:{seed}"


def _tasks(experiment: str, scenario: Scenario, seed: int, runs: int) -> list[Task]:
    """Per replication the run without the broker, then every coalition by mask."""
    digest = scenario.digest()
    k = len(CHANNELS)
    tasks = []
    for rep in range(runs):
        tasks.append(
            Task(
                experiment=experiment,
                scenario=scenario,
                scenario_hash=digest,
                point=0,
                arm="off",
                replication=rep,
                seed=seed,
            )
        )
        for mask in range(2**k):
            members = coalition(mask)
            tasks.append(
                Task(
                    experiment=experiment,
                    scenario=scenario,
                    scenario_hash=digest,
                    point=mask,
                    arm="on",
                    replication=rep,
                    seed=seed,
                    params={"channels": "+".join(members) or "none"},
                    # the full broker is the comparison's broker arm, run as it is
                    channels=None if mask == 2**k - 1 else members,
                )
            )
    return tasks


def attribute(
    scenario: Scenario | str | os.PathLike[str],
    *,
    runs: int = DEFAULT_RUNS,
    seed: int | None = None,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike[str] = "out/attribution",
    overrides: Sequence[str] = (),
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
    allow_large: bool = False,
) -> AttributionResult:
    """Attribute the broker's paired effect on net value to its channels.

    Args:
        scenario: A Scenario, a TOML path, or a bundled scenario name (its broker
            setting is ignored: every coalition has the broker, one run has none).
        runs: Replications (at least 2); each makes ``2**K + 1`` runs.
        seed: Root seed; the scenario's when omitted (a comparison's seed gives
            its replications: the full coalition is its broker arm, run for run).
        executor: ``serial``, ``local`` or ``dask``.
        jobs: Worker processes (default: all cores).
        scheduler: Address of a running Dask scheduler.
        out: Output folder of the results database (a comparison's own: the
            attribution is an experiment of its own in it).
        overrides: ``dotted.path=value`` settings applied over the scenario.
        progress: Called after each run is committed.
        command: Command line recorded in the provenance (default ``sys.argv``).
        allow_large: Run past the limits of :mod:`orgsim.experiments.limits`.

    Returns:
        The attribution; every run is committed to ``out/results.sqlite``.

    Raises:
        ExperimentError: Bad settings, an attribution past the limits (refused
            before anything is written), or fewer than two replications complete.
    """
    runs = check_runs(runs, "runs")
    check_executor(executor, jobs)
    sc = resolve(scenario, overrides)
    seed = check_seed(sc.seed if seed is None else seed)
    k = len(CHANNELS)
    check_attribution(sc, runs=runs, channels=k, jobs=jobs, allow_large=allow_large)
    out_dir = Path(out)
    check_out_dir(out_dir)
    db_path = out_dir / "results.sqlite"
    experiment = _experiment_name(sc, seed)
    with ResultsDB(db_path) as db:
        campaign = Campaign.start(
            db,
            experiment=experiment,
            kind="attribution",
            scenario=sc,
            settings={"runs": runs, "seed": seed, "channels": list(CHANNELS)},
            command=command,
            progress=progress,
            label=f"attribution {sc.name}",
        )
        with campaign:
            records = campaign.run(
                _tasks(experiment, sc, seed, runs),
                executor=executor,
                jobs=jobs,
                scheduler=scheduler,
            )
    return _analyse(sc, seed, records, out_dir, db_path, campaign.ran)


def _analyse(
    sc: Scenario,
    seed: int,
    records: Sequence[RunRecord],
    out: Path,
    db: Path,
    ran: int,
) -> AttributionResult:
    """The Shapley values, views and accounting split of an attribution's records."""
    k = len(CHANNELS)
    full = 2**k - 1
    failed = [r.key for r in records if r.status != "ok"]
    by_variant: dict[int, dict[int, RunRecord]] = {}
    for r in records:
        if r.status == "ok":
            variant = OFF if r.arm == "off" else r.point
            by_variant.setdefault(variant, {})[r.replication] = r
    variants = [OFF, *range(2**k)]
    reps = sorted(set.intersection(*(set(by_variant.get(v, {})) for v in variants)))
    if len(reps) < 2:
        last = (records_error(records) or "no error recorded").strip().splitlines()[-1]
        raise ExperimentError(
            f"only {len(reps)} replication(s) completed in every coalition; "
            f"{len(failed)} run(s) failed, the first with {last!r} (tracebacks in {db})"
        )

    def column(variant: int, name: str) -> np.ndarray:
        return np.array([by_variant[variant][r].metrics[name] for r in reps], dtype=float)

    off = column(OFF, "net_value")
    values = np.array([column(m, "net_value") - off for m in range(2**k)])
    phi = shapley_matrix(values, k)
    efficiency_gap = float(np.max(np.abs(phi.sum(axis=0) - (values[full] - values[0]))))
    scale = float(np.max(np.abs(values))) or 1.0
    # Efficiency is an identity of the formula: a gap past rounding is a bug here.
    assert efficiency_gap <= 1e-9 * scale, f"Shapley values do not add up: {efficiency_gap}"
    if np.any(values[0] != 0.0):
        logger.warning(
            "the broker acting through no channel differs from no broker by up to %.6g k$ "
            "of net value: a draw is shared between the broker's streams and another's",
            float(np.max(np.abs(values[0]))),
        )
    total = mean_ci(values[full])
    rows = []
    one_at_a_time = np.zeros_like(off)
    for i, name in enumerate(CHANNELS):
        bit = 1 << i
        drop = values[full] - values[full & ~bit]
        one_at_a_time = one_at_a_time + drop
        est = mean_ci(phi[i])
        rows.append(
            ChannelEffect(
                channel=name,
                mechanism=CHANNEL_MECHANISMS[name],
                shapley=est,
                alone=mean_ci(values[bit] - values[0]),
                one_at_a_time=mean_ci(drop),
                share=est.mean / total.mean if total.mean != 0 else math.nan,
            )
        )
    terms = []
    parts = np.zeros_like(off)
    for name, sign in ACCOUNTING:
        diff = sign * (column(full, name) - column(OFF, name))
        parts = parts + diff
        terms.append(AccountingTerm(metric=name, sign=sign, effect=mean_ci(diff)))
    accounting_gap = float(np.max(np.abs(parts - values[full])))
    logger.info(
        "attribution of %s over %d replications: total %+.1f k$, v(empty) %.3g",
        sc.name,
        len(reps),
        total.mean,
        float(np.max(np.abs(values[0]))),
    )
    return AttributionResult(
        scenario=sc,
        seed=seed,
        runs=len(reps),
        replications=tuple(reps),
        channels=CHANNELS,
        values=values,
        shapley=phi,
        rows=tuple(rows),
        total=total,
        empty=mean_ci(values[0]),
        interaction=mean_ci(values[full] - one_at_a_time),
        efficiency_gap=efficiency_gap,
        accounting=tuple(terms),
        accounting_gap=accounting_gap,
        out=out,
        db=db,
        failed=failed,
        ran=ran,
    )
