"""The explore file: uncertainties x levers over a base scenario, checked in one pass.

An explore file (TOML) names a base scenario, the numbers we are unsure of
(``[[uncertainties]]``, :mod:`~orgsim.experiments.explore.uncertainties`), the
policies to compare (``[levers.NAME]``, :mod:`~orgsim.experiments.explore.levers`),
a design that samples the uncertainties (``lhs`` or ``sobol``), the replications
per point and lever, the metric the levers are judged on and the lever they are
judged against. :func:`load_explore` checks all of it in one pass, like a sweep
file: every problem with its dotted path and value, so the file is fixed once.
Each lever's scenario and each uncertainty's ends (over every lever) are built
through :func:`orgsim.scenario.loading.parse_scenario`, so a value the model
refuses is reported where it was written, not as failed runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from orgsim.errors import ExperimentError, ScenarioError
from orgsim.experiments.calibrate.files import POSTERIOR, load_calibration
from orgsim.experiments.explore.levers import Lever, parse_levers
from orgsim.experiments.explore.uncertainties import Uncertainty, parse_uncertainties
from orgsim.experiments.files import (
    check_power_of_two,
    file_name,
    open_check,
    read_base,
    read_overrides,
    sourced,
)
from orgsim.experiments.sweep.checks import (
    Check,
    flatten_overrides,
)
from orgsim.experiments.sweep.parameter import SCALE
from orgsim.experiments.sweep.scale import apply_scale
from orgsim.metrics.catalogue import BETTER, BROKER_ONLY, METRIC_NAMES
from orgsim.scenario.convert import unstructure
from orgsim.scenario.files import locate_explore, read_toml
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.paths import MISSING, leaves
from orgsim.scenario.problems import expected, not_one_of, unknown
from orgsim.scenario.schema import MAX_SEED, Scenario
from orgsim.scenario.uncertainty import uncertain_parameters

__all__ = [
    "DEFAULT_METRICS",
    "DESIGNS",
    "ExploreSpec",
    "load_explore",
    "parse_explore",
    "point_scenario",
]

logger = logging.getLogger(__name__)

DESIGNS = ("lhs", "sobol", "posterior")
DEFAULT_METRICS = (
    "net_value",
    "value_shipped",
    "lead_time_p50",
    "conflicts_open_end",
    "ceo_hours",
    "broker_cost",
)
DEFAULT_POINTS = 64
DEFAULT_REPLICATIONS = 2
DEFAULT_THRESHOLD = 0.8

_TOP_KEYS = (
    "name",
    "description",
    "base",
    "design",
    "points",
    "replications",
    "seed",
    "metric",
    "metrics",
    "reference",
    "focus",
    "threshold",
    "overrides",
    "uncertainties",
    "levers",
    "posterior",
)


# ------------------------------------------------------------------ the spec


@attrs.frozen(kw_only=True)
class ExploreSpec:
    """A validated explore file.

    Attributes:
        name: Its name (default: the file's stem); names the output folder.
        description: One line.
        base: The base scenario as written (a path relative to the file, or a
            bundled scenario's name).
        scenario: The base scenario with ``overrides`` applied (``scale`` aside).
        uncertainties: What varies across the ensemble.
        levers: The policies compared, in the file's order.
        design: ``lhs``, ``sobol`` or ``posterior`` (parameter sets drawn from a
            calibration's posterior, :mod:`orgsim.experiments.calibrate`).
        points: ``lhs``: points; ``sobol``: Saltelli's N (N x (D + 2) points);
            ``posterior``: draws.
        replications: Runs per point and lever.
        seed: Root seed of the design and of the runs.
        metric: The outcome the levers are judged on.
        metrics: Outcomes recorded and summarised (``metric`` first).
        reference: The lever the others are judged against.
        focus: The lever scenario discovery describes (where it pays).
        threshold: PRIM's density threshold for the focus lever's box.
        overrides: Fixed settings over the base, dotted path to value (``scale``
            included).
        source: Where the spec came from.
        posterior: The calibration folder a ``posterior`` design draws from.
        posterior_hash: A hash of its ``posterior.csv`` (which particles it holds).
    """

    name: str
    description: str = ""
    base: str
    scenario: Scenario = attrs.field(eq=False, repr=False)
    uncertainties: tuple[Uncertainty, ...]
    levers: tuple[Lever, ...]
    design: str = "lhs"
    points: int = DEFAULT_POINTS
    replications: int = DEFAULT_REPLICATIONS
    seed: int = 1
    metric: str = "net_value"
    metrics: tuple[str, ...] = DEFAULT_METRICS
    reference: str
    focus: str
    threshold: float = DEFAULT_THRESHOLD
    overrides: dict[str, Any] = attrs.field(factory=dict)
    source: str = ""
    posterior: str = ""
    posterior_hash: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The uncertainties' paths, in order."""
        return tuple(u.path for u in self.uncertainties)

    @property
    def lever_names(self) -> tuple[str, ...]:
        """The levers' names, in order."""
        return tuple(lv.name for lv in self.levers)

    @property
    def better(self) -> str:
        """Which way the judged metric is better: ``higher`` or ``lower``."""
        return BETTER[self.metric]

    @property
    def scale(self) -> float:
        """The fixed scale of ``[overrides]`` (1 when none)."""
        return float(self.overrides.get(SCALE, 1.0))

    def size(self) -> int:
        """Points of the design: ``points`` (LHS), ``points x (D + 2)`` (Sobol)."""
        if self.design == "sobol":
            return self.points * (len(self.uncertainties) + 2)
        return self.points

    def runs(self) -> int:
        """Runs of the whole ensemble: points x levers x replications."""
        return self.size() * len(self.levers) * self.replications

    def lever(self, name: str) -> Lever:
        """The lever of that name."""
        return next(lv for lv in self.levers if lv.name == name)

    def problem(self) -> dict[str, Any]:
        """The SALib problem of the design: the uncertainties on the unit interval.

        The design samples probabilities, mapped through each distribution's inverse
        CDF; indices computed in those coordinates are indices with respect to the
        distributions the file gives.
        """
        d = len(self.uncertainties)
        return {"num_vars": d, "names": list(self.names), "bounds": [[0.0, 1.0]] * d}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for provenance and JSON (the scenarios as their digests)."""
        return {
            "name": self.name,
            "description": self.description,
            "base": self.base,
            "scenario_hash": self.scenario.digest(),
            "design": self.design,
            "points": self.points,
            "size": self.size(),
            "replications": self.replications,
            "seed": self.seed,
            "metric": self.metric,
            "better": self.better,
            "metrics": list(self.metrics),
            "reference": self.reference,
            "focus": self.focus,
            "threshold": self.threshold,
            "overrides": dict(self.overrides),
            "uncertainties": [u.to_dict() for u in self.uncertainties],
            "levers": [lv.to_dict() for lv in self.levers],
            "posterior": self.posterior,
            "posterior_hash": self.posterior_hash,
        }

    def digest(self) -> str:
        """Hash of everything that decides what a run key means.

        The analysis settings (metric, reference, focus, threshold), the metrics
        recorded and the replications are left out: judging the same ensemble on
        another metric, or adding replications, and resuming reuses every run made.
        """
        doc = self.to_dict()
        for key in (
            "name",
            "description",
            "base",
            "replications",
            "metric",
            "better",
            "metrics",
            "reference",
            "focus",
            "threshold",
            "posterior",
        ):
            doc.pop(key)
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def experiment(self) -> str:
        """Experiment name in the results database."""
        return f"explore:{self.name}:{self.digest()}"


def point_scenario(
    lever: Lever,
    uncertainties: Sequence[Uncertainty],
    values: Mapping[str, Any],
    scale: float = 1.0,
) -> Scenario:
    """The scenario of one point under one lever: the lever, then the values, then the scale.

    A distribution-valued parameter is set by its mean
    (:meth:`orgsim.scenario.uncertainty.Uncertain.apply`); ``scale`` multiplies the
    fixed scale and resizes the company last
    (:func:`~orgsim.experiments.sweep.scale.apply_scale`). The result is checked
    whole, as a scenario file is.

    Args:
        lever: The lever (its scenario is the base with its settings).
        uncertainties: The uncertainties ``values`` gives values of.
        values: Uncertainty path to value.
        scale: The fixed scale of the file's overrides.

    Raises:
        ScenarioError: The combination makes an invalid scenario.
    """
    sc = lever.scenario
    factor = scale
    for u in uncertainties:
        value = values[u.path]
        if u.target is None:  # scale
            factor *= float(value)
        else:
            sc = u.target.apply(sc, float(value))
    return parse_scenario(apply_scale(unstructure(sc), factor))


# ------------------------------------------------------------------ reading


def parse_explore(
    data: Mapping[str, Any], *, source: str = "", base_dir: str | os.PathLike[str] | None = None
) -> ExploreSpec:
    """Check an explore file's plain data in one pass and build the spec.

    Args:
        data: The explore table (parsed TOML).
        source: Where it came from, for messages; its stem is the default name.
        base_dir: Directory a relative ``base`` path is resolved against (the
            file's folder); bundled scenario names work without it.

    Returns:
        The spec; every lever's scenario, and each uncertainty's ends under every
        lever, have been built and checked.

    Raises:
        ScenarioError: Everything wrong, each problem with its dotted path
            (``uncertainties.1.path: unknown parameter 'conflicts.dreg'; did you
            mean 'conflicts.drag'?``).
    """
    with sourced(source):
        return _parse(data, source, Path(base_dir) if base_dir is not None else None)


def _parse(data: object, source: str, base_dir: Path | None) -> ExploreSpec:
    """The whole check, in the order its problems are reported."""
    c, data = open_check(data, _TOP_KEYS)
    name = file_name(c, data, source, "explore")
    description = c.string(data, "description", "description", "")
    design = c.choice(data, "design", "design", "lhs", DESIGNS)
    folder, digest, data = _posterior(c, data, design, base_dir)
    points = _points(c, data, design)
    replications = c.integer(
        data,
        "replications",
        "replications",
        DEFAULT_REPLICATIONS,
        ge=1,
        why="each point has its own seed, so one run per point and lever already samples luck",
    )
    metric, metrics = _metrics(c, data)
    threshold = _threshold(c, data)
    base, scenario = read_base(c, data, base_dir, "explore file")
    default_seed = scenario.seed if scenario is not None else 1
    seed = c.integer(data, "seed", "seed", default_seed, ge=0, le=MAX_SEED)

    base_tree = unstructure(scenario) if scenario is not None else None
    overrides, fixed_scale, tree = read_overrides(c, data, base_tree)
    scenario = parse_scenario(tree) if tree is not None else None
    levers = parse_levers(c, data.get("levers", MISSING), tree)
    reference, focus = _roles(c, data)

    fixed = _fixed(data.get("levers"), overrides)
    tree_leaves = leaves(base_tree) if base_tree is not None else None
    documented = {u.path: u for u in uncertain_parameters(scenario)} if scenario else {}
    found = parse_uncertainties(
        c, data.get("uncertainties", MISSING), tree_leaves, documented, fixed
    )
    if scenario is not None:  # under the levers that could be built, else the base
        judges = levers or [Lever(name="", scenario=scenario)]
        _check_extremes(c, found, judges, fixed_scale)
    if c.problems:
        raise ScenarioError(c.problems)
    assert scenario is not None
    return ExploreSpec(
        name=name,
        description=description,
        base=base,
        scenario=scenario,
        uncertainties=tuple(u for _, u in found),
        levers=tuple(levers),
        design=design,
        points=points,
        replications=replications,
        seed=seed,
        metric=metric,
        metrics=metrics,
        reference=reference,
        focus=focus,
        threshold=threshold,
        overrides=overrides,
        source=source,
        posterior=folder,
        posterior_hash=digest,
    )


def _posterior(
    c: Check, data: Mapping[str, Any], design: str, base_dir: Path | None
) -> tuple[str, str, Mapping[str, Any]]:
    """A ``posterior`` design's calibration: its folder, its particles' hash, and the file.

    The calibration's fitted constants become the uncertainties (their priors the
    ranges, the posterior's particles the points) and its ``[structure]`` the
    overrides under the file's, so the ensemble is the company that was observed.
    """
    if design != "posterior":
        if "posterior" in data:
            c.add("posterior", "only a design = 'posterior' draws from a calibration")
        return "", "", data
    raw = data.get("posterior", MISSING)
    if not isinstance(raw, str) or not raw:
        c.add("posterior", "missing: the folder of a finished calibration (orgsim calibrate --out)")
        return "", "", data
    folder = Path(raw) if base_dir is None or Path(raw).is_absolute() else base_dir / raw
    try:
        doc = load_calibration(folder)
    except ExperimentError as exc:
        c.add("posterior", str(exc))
        return "", "", data
    fitted = doc["observed"]["fit"]
    out = dict(data)
    given = data.get("uncertainties", MISSING)
    if given is MISSING:
        keys = ("path", "low", "high", "distribution", "mode", "mean", "sd")
        out["uncertainties"] = [{k: u[k] for k in keys if k in u} for u in fitted]
    elif isinstance(given, list) and sorted(
        str(u.get("path")) for u in given if isinstance(u, Mapping)
    ) != sorted(u["path"] for u in fitted):
        c.add(
            "uncertainties",
            "a posterior design's uncertainties are the calibration's fitted constants ("
            + ", ".join(u["path"] for u in fitted)
            + "): leave [[uncertainties]] out",
        )
    structure = doc["observed"].get("structure", {})
    own = (
        flatten_overrides(data.get("overrides", {}))
        if isinstance(data.get("overrides"), Mapping)
        else {}
    )
    for path, value in structure.items():
        if path in own and own[path] != value:
            c.add(
                f"overrides.{path}",
                f"the calibration observed the company with {path} = {value!r}, not {own[path]!r}",
            )
    out["overrides"] = {**structure, **own}
    digest = hashlib.sha256((folder / POSTERIOR).read_bytes()).hexdigest()[:12]
    return str(folder), digest, out


def _fixed(raw: Any, overrides: Mapping[str, Any]) -> dict[str, str]:
    """The paths a lever or the overrides set, mapped to which of them sets it."""
    fixed: dict[str, str] = {}
    if isinstance(raw, Mapping):
        for name, table in raw.items():
            if isinstance(table, Mapping):
                settings = flatten_overrides(table)
                fixed.update({p: f"lever '{name}'" for p in settings if p != SCALE})
    fixed.update({p: "[overrides]" for p in overrides if p != SCALE})
    return fixed


def _points(c: Check, data: Mapping[str, Any], design: str) -> int:
    """The design's size parameter: LHS points, or Saltelli's N (a power of 2)."""
    points: int = c.integer(data, "points", "points", DEFAULT_POINTS, ge=2)
    if design == "sobol":
        check_power_of_two(c, points)
    return points


def _metrics(c: Check, data: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The judged metric, and the recorded ones (the judged one first)."""
    metric = c.string(data, "metric", "metric", "net_value")
    if metric not in METRIC_NAMES:
        c.add("metric", unknown("metric", metric, METRIC_NAMES, see="docs/model.md"))
        metric = "net_value"
    elif BETTER[metric] not in ("higher", "lower"):
        c.add("metric", f"'{metric}' has no better direction: levers cannot be judged on it")
        metric = "net_value"
    elif metric in BROKER_ONLY:
        c.add("metric", f"'{metric}' exists only with a broker: a lever without one has none")
        metric = "net_value"
    recorded: list[str] = []
    raw = data.get("metrics", MISSING)
    if raw is MISSING:
        recorded = list(DEFAULT_METRICS)
    elif not isinstance(raw, list) or not raw:
        c.add("metrics", expected("a non-empty array of metric names", raw))
    else:
        for i, m in enumerate(raw):
            if not isinstance(m, str):
                c.add(f"metrics.{i}", expected("a metric name", m))
            elif m not in METRIC_NAMES:
                c.add(f"metrics.{i}", unknown("metric", m, METRIC_NAMES, see="docs/model.md"))
            elif m in recorded:
                c.add(f"metrics.{i}", f"'{m}' is listed twice")
            else:
                recorded.append(m)
    return metric, (metric, *(m for m in recorded if m != metric))


def _threshold(c: Check, data: Mapping[str, Any]) -> float:
    """PRIM's density threshold: a share in (0, 1]."""
    if "threshold" not in data:
        return DEFAULT_THRESHOLD
    value = c.number(data["threshold"], "threshold")
    if value is None:
        return DEFAULT_THRESHOLD
    if not 0 < value <= 1:
        c.add("threshold", f"PRIM's density threshold is a share in (0, 1], got {value!r}")
        return DEFAULT_THRESHOLD
    return value


def _roles(c: Check, data: Mapping[str, Any]) -> tuple[str, str]:
    """The reference lever (default: the first) and the focus lever (default: the second)."""
    raw = data.get("levers", {})
    names = [str(k) for k in raw] if isinstance(raw, Mapping) else []
    out: list[str] = []
    for key, default in (("reference", 0), ("focus", 1)):
        fallback = names[default] if len(names) > default else ""
        value = c.string(data, key, key, fallback) if key in data else fallback
        if key in data and value not in names:
            c.add(key, not_one_of(value, names or ["(no levers)"], quote=repr))
            value = fallback
        out.append(value)
    reference, focus = out
    if "focus" in data and reference and focus == reference:
        c.add(
            "focus",
            f"'{focus}' is the reference lever; the focus is the lever whose payoff "
            "against it scenario discovery describes: name another",
        )
    elif "focus" not in data and focus == reference and len(names) > 2:
        focus = next(n for n in names if n != reference)
    return reference, focus


def _check_extremes(
    c: Check,
    found: Sequence[tuple[int, Uncertainty]],
    levers: Sequence[Lever],
    scale: float,
) -> None:
    """Build each end of every uncertainty, alone, under every lever.

    A value the model refuses is reported at the end that gives it (with the first
    lever it fails under), not as failed runs.
    """
    for i, u in found:
        for where, value in u.extremes():
            for lever in levers:
                try:
                    point_scenario(lever, [u], {u.path: value}, scale)
                except ScenarioError as exc:
                    under = f" under lever '{lever.name}'" if lever.name else ""
                    for p in exc.problems:
                        c.add(
                            f"uncertainties.{i}.{where}", f"{u.path} = {value!r}{under} gives {p}"
                        )
                    break


def load_explore(path: str | os.PathLike[str]) -> ExploreSpec:
    """Read and check an explore file (or a bundled one by name).

    Raises:
        ScenarioError: The file is missing or malformed, or its contents are
            invalid; all problems are reported together with dotted paths.
    """
    file = locate_explore(path)
    data = read_toml(file, what="explore")
    return parse_explore(data, source=str(file), base_dir=file.resolve().parent)


def as_explore(
    file_or_spec: ExploreSpec | Mapping[str, Any] | str | os.PathLike[str],
) -> ExploreSpec:
    """A spec as given, plain data checked (relative to the working folder), or a file read."""
    if isinstance(file_or_spec, ExploreSpec):
        return file_or_spec
    if isinstance(file_or_spec, Mapping):
        return parse_explore(file_or_spec, base_dir=Path.cwd())
    return load_explore(file_or_spec)
