"""The sweep file: its parameters, design, replications and metrics, checked in one pass.

A sweep file (TOML) names a base scenario, the parameters to vary (dotted paths of
:class:`~orgsim.scenario.schema.Scenario`, plus the sweep-level ``scale``
pseudo-parameter), a design (``grid``, ``lhs``, ``sobol`` or ``morris``), the
replications per design point and the metrics of interest. :func:`load_sweep` checks
all of it in one pass, like a scenario file, and builds every design point's
scenario through :func:`orgsim.scenario.loading.parse_scenario`, so a bad level is
refused before a run starts. The checks themselves are in
:mod:`~orgsim.experiments.sweep.checks` and, for ``[[parameters]]``,
:mod:`~orgsim.experiments.sweep.parameter`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from orgsim.analysis.optimum import REFERENCE
from orgsim.errors import ScenarioError
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
    scenario_problems,
)
from orgsim.experiments.sweep.parameter import SCALE, Parameter, parse_parameters
from orgsim.experiments.sweep.scale import apply_scale
from orgsim.metrics.catalogue import BETTER, BROKER_ONLY, METRIC_NAMES
from orgsim.scenario.convert import unstructure
from orgsim.scenario.files import locate_sweep, read_toml
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.paths import MISSING, set_path
from orgsim.scenario.problems import expected, unknown, unknown_key
from orgsim.scenario.schema import MAX_SEED, Scenario

__all__ = [
    "CRN",
    "DEFAULT_METRICS",
    "DEFAULT_REFERENCE",
    "DESIGNS",
    "SweepSpec",
    "load_sweep",
    "parse_sweep",
    "point_tree",
]

logger = logging.getLogger(__name__)

DESIGNS = ("grid", "lhs", "sobol", "morris")
CRN = ("design", "point")
DEFAULT_METRICS = ("net_value", "value_shipped", "lead_time_p50", "conflicts_open_end")
#: How the optimum's table and chart name the arm without the broker by default.
DEFAULT_REFERENCE = REFERENCE

_REPLICATIONS_WHY = "a confidence interval needs at least two, as with compare --runs"

_TOP_KEYS = (
    "name",
    "description",
    "base",
    "design",
    "points",
    "replications",
    "paired",
    "metrics",
    "seed",
    "crn",
    "morris_levels",
    "overrides",
    "parameters",
    "optimum",
)
_OPTIMUM_KEYS = ("metric", "reference")


# ------------------------------------------------------------------ the spec


@attrs.frozen(kw_only=True)
class SweepSpec:
    """A validated sweep.

    Attributes:
        name: Sweep name (default: the file's stem); names the output folder.
        description: One line.
        base: The base scenario as written (a path relative to the sweep file, or
            a bundled scenario's name).
        scenario: The base scenario with ``overrides`` applied (``scale`` aside).
        parameters: What varies.
        design: ``grid``, ``lhs``, ``sobol`` or ``morris``.
        points: ``lhs``: design points; ``sobol``: Saltelli's N (N x (D + 2)
            points); ``morris``: trajectories (N x (D + 1) points). 0 for grids.
        replications: Replications per point (and per arm).
        paired: Run each point with and without the broker (else only the
            scenario's own broker setting).
        metrics: Metrics of interest (tables, charts, sensitivity).
        seed: Root seed of the runs and of the sampled designs.
        crn: ``design``: every point shares the seed; ``point``: a seed per point.
        morris_levels: Grid levels of a Morris design.
        overrides: Fixed settings, dotted path to value (``scale`` included).
        source: Where the spec came from.
        optimum: The metric whose best level is sought (paired sweeps of one
            parameter: ``[optimum] metric``, default the first metric of interest
            with a good direction); empty when the sweep has no optimum.
        reference: How the without-broker arm is named in the optimum's table and
            chart (``[optimum] reference``).
    """

    name: str
    description: str = ""
    base: str
    scenario: Scenario = attrs.field(eq=False, repr=False)
    parameters: tuple[Parameter, ...]
    design: str = "grid"
    points: int = 0
    replications: int = 10
    paired: bool = True
    metrics: tuple[str, ...] = DEFAULT_METRICS
    seed: int = 1
    crn: str = "design"
    morris_levels: int = 4
    overrides: dict[str, Any] = attrs.field(factory=dict)
    source: str = ""
    optimum: str = ""
    reference: str = DEFAULT_REFERENCE

    @property
    def names(self) -> tuple[str, ...]:
        """The swept parameters' paths, in order."""
        return tuple(p.path for p in self.parameters)

    @property
    def arms(self) -> tuple[str, ...]:
        """The arms each point runs (``on`` first)."""
        if self.paired:
            return ("on", "off")
        return ("on",) if self.scenario.broker.enabled else ("off",)

    def problem(self) -> dict[str, Any]:
        """The SALib problem: names and design-space bounds of the parameters."""
        return {
            "num_vars": len(self.parameters),
            "names": list(self.names),
            "bounds": [list(p.bounds()) for p in self.parameters],
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain data for provenance and JSON (the scenario as its digest)."""
        return {
            "name": self.name,
            "description": self.description,
            "base": self.base,
            "scenario_hash": self.scenario.digest(),
            "design": self.design,
            "points": self.points,
            "replications": self.replications,
            "paired": self.paired,
            "metrics": list(self.metrics),
            "seed": self.seed,
            "crn": self.crn,
            "morris_levels": self.morris_levels,
            "overrides": dict(self.overrides),
            "parameters": [{**unstructure(p), "levels": list(p.levels)} for p in self.parameters],
        }

    def digest(self) -> str:
        """Hash of everything that decides what a run key means.

        Replications, ``paired`` and the metrics of interest are left out: adding
        replications or metrics to a sweep and resuming reuses the runs already made.
        """
        doc = self.to_dict()
        for key in ("name", "description", "base", "replications", "paired", "metrics"):
            doc.pop(key)
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def experiment(self) -> str:
        """Experiment name in the results database."""
        return f"sweep:{self.name}:{self.digest()}"


# ------------------------------------------------------------------ reading


def parse_sweep(
    data: Mapping[str, Any], *, source: str = "", base_dir: str | os.PathLike[str] | None = None
) -> SweepSpec:
    """Check a sweep's plain data in one pass and build the spec.

    Args:
        data: The sweep table (parsed TOML).
        source: Where it came from, for messages; its stem is the default name.
        base_dir: Directory a relative ``base`` path is resolved against (the
            sweep file's folder); bundled scenario names work without it.

    Returns:
        The spec; the extreme levels of every parameter have been checked by
        building their scenarios.

    Raises:
        ScenarioError: Everything wrong, each problem with its dotted path
            (``parameters.1.path: unknown parameter 'conflicts.intensty'; did you
            mean 'conflicts.intensity'?``).
    """
    with sourced(source):
        return _parse_sweep(data, source, Path(base_dir) if base_dir is not None else None)


def _parse_sweep(data: object, source: str, base_dir: Path | None) -> SweepSpec:
    """The whole check, in the order its problems are reported."""
    c, data = open_check(data, _TOP_KEYS)
    name = file_name(c, data, source, "sweep")
    description = c.string(data, "description", "description", "")
    design = c.choice(data, "design", "design", "grid", DESIGNS)
    replications = c.integer(data, "replications", "replications", 10, ge=2, why=_REPLICATIONS_WHY)
    paired = c.boolean(data, "paired", "paired", True)
    crn = c.choice(data, "crn", "crn", "design", CRN)
    morris_levels = c.integer(data, "morris_levels", "morris_levels", 4, ge=2)
    if "morris_levels" in data and design != "morris":
        c.add("morris_levels", f"only used by morris designs (this one is {design})")
    points = _points(c, data, design)
    metrics = _metrics(c, data)
    base, scenario = read_base(c, data, base_dir, "sweep")
    default_seed = scenario.seed if scenario is not None else 1
    seed = c.integer(data, "seed", "seed", default_seed, ge=0, le=MAX_SEED)

    base_tree = unstructure(scenario) if scenario is not None else None
    overrides, fixed_scale, tree = read_overrides(c, data, base_tree)
    scenario = parse_scenario(tree) if tree is not None else None
    # Paths are checked against the base even when the overrides failed.
    parameters = parse_parameters(c, data.get("parameters", MISSING), base_tree, design, paired)
    if tree is not None:
        _check_extremes(c, tree, parameters, fixed_scale)
    optimum, reference = _optimum(c, data, metrics, paired)
    if c.problems:
        raise ScenarioError(c.problems)
    assert scenario is not None
    return SweepSpec(
        name=name,
        description=description,
        base=base,
        scenario=scenario,
        parameters=tuple(p for _, p in parameters),
        design=design,
        points=points,
        replications=replications,
        paired=paired,
        metrics=metrics,
        seed=seed,
        crn=crn,
        morris_levels=morris_levels,
        overrides=overrides,
        source=source,
        optimum=optimum,
        reference=reference,
    )


def _points(c: Check, data: Mapping[str, Any], design: str) -> int:
    """The sampled designs' size parameter; 0 for a grid, which takes every combination."""
    if design == "grid":
        if "points" in data:
            c.add("points", "a grid takes every combination of levels; remove 'points'")
        return 0
    if "points" not in data:
        c.add("points", f"a {design} design needs 'points'")
        return 0
    points: int = c.integer(data, "points", "points", 0, ge=2)
    if design == "sobol":
        check_power_of_two(c, points)
    return points


def _metrics(c: Check, data: Mapping[str, Any]) -> tuple[str, ...]:
    """The metrics of interest: known names, each once (the defaults when none given)."""
    if "metrics" not in data:
        return DEFAULT_METRICS
    raw = data["metrics"]
    if not isinstance(raw, list) or not raw:
        c.add("metrics", expected("a non-empty array of metric names", raw))
        return DEFAULT_METRICS
    good: list[str] = []
    for i, m in enumerate(raw):
        if not isinstance(m, str):
            c.add(f"metrics.{i}", expected("a metric name", m))
        elif m not in METRIC_NAMES:
            c.add(f"metrics.{i}", unknown("metric", m, METRIC_NAMES, see="docs/model.md"))
        elif m in good:
            c.add(f"metrics.{i}", f"'{m}' is listed twice")
        else:
            good.append(m)
    return tuple(good) if good else DEFAULT_METRICS


def _optimum(
    c: Check, data: Mapping[str, Any], metrics: tuple[str, ...], paired: bool
) -> tuple[str, str]:
    """The metric whose best level is sought, and the reference arm's name.

    A paired sweep of one parameter has an optimum: by default over the first
    metric of interest with a good direction (a broker-only metric has no effect
    to judge). ``[optimum]`` chooses the metric or names the reference, and is
    refused on a sweep that has no optimum, so a file never asks for what it
    does not get.
    """
    raw = data.get("parameters")
    count = len(raw) if isinstance(raw, list) else None
    judged = [m for m in metrics if BETTER.get(m) and m not in BROKER_ONLY]
    default = judged[0] if paired and count == 1 and judged else ""
    if "optimum" not in data:
        return default, DEFAULT_REFERENCE
    table = data["optimum"]
    if not isinstance(table, Mapping):
        c.add("optimum", expected("a table with 'metric' and/or 'reference'", table))
        return "", DEFAULT_REFERENCE
    for key in table:
        if key not in _OPTIMUM_KEYS:
            c.add(f"optimum.{key}", unknown_key(str(key), _OPTIMUM_KEYS))
    if not paired:
        c.add("optimum", "needs a paired sweep (paired = true): the effect is with − without")
    if count is not None and count != 1:
        c.add("optimum", f"needs a sweep of exactly one parameter, this one varies {count}")
    reference = c.string(table, "reference", "optimum.reference", DEFAULT_REFERENCE)
    if not reference.strip():
        c.add("optimum.reference", "must not be empty")
        reference = DEFAULT_REFERENCE
    if "metric" not in table:
        if paired and not judged:
            c.add("optimum.metric", "no metric of interest has a good direction: name one")
        return default, reference
    if not isinstance(table["metric"], str):
        c.add("optimum.metric", expected("a metric name", table["metric"]))
        return "", reference
    metric = table["metric"]
    if metric not in METRIC_NAMES:
        c.add("optimum.metric", unknown("metric", metric, METRIC_NAMES, see="docs/model.md"))
        return "", reference
    if metric in BROKER_ONLY:
        c.add("optimum.metric", f"'{metric}' exists with the broker only: it has no effect")
        return "", reference
    if not BETTER.get(metric):
        c.add("optimum.metric", f"'{metric}' has no better direction: no level is best")
        return "", reference
    return (metric if paired and count == 1 else ""), reference


def _check_extremes(
    c: Check, tree: Mapping[str, Any], parameters: list[tuple[int, Parameter]], scale: float
) -> None:
    """Build the scenario at each end of every parameter, alone over the base.

    A level the model refuses is reported where it was written, not as failed runs.
    """
    for i, param in parameters:
        for where, value in param.extremes():
            extreme = point_tree(tree, {param.path: value}, scale)
            for found in scenario_problems(extreme):
                c.add(f"parameters.{i}.{where}", f"{param.path} = {value!r} gives {found}")


def load_sweep(path: str | os.PathLike[str]) -> SweepSpec:
    """Read and check a sweep file (or a bundled sweep by name).

    Raises:
        ScenarioError: The file is missing or malformed, or its contents are
            invalid; all problems are reported together with dotted paths.
    """
    file = locate_sweep(path)
    data = read_toml(file, what="sweep")
    return parse_sweep(data, source=str(file), base_dir=file.resolve().parent)


def point_tree(base: Mapping[str, Any], values: Mapping[str, Any], scale: float) -> dict[str, Any]:
    """The scenario tree of one design point: the base, its values, then the scale."""
    tree = copy.deepcopy(dict(base))
    factor = scale
    for path, value in values.items():
        if path == SCALE:
            factor *= float(value)
        else:
            set_path(tree, path, value)
    return apply_scale(tree, factor)
