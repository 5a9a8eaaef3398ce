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

from orgsim.errors import Problem, ScenarioError
from orgsim.experiments.sweep.checks import (
    Check,
    flatten_overrides,
    scenario_problems,
    unknown_parameter,
)
from orgsim.experiments.sweep.parameter import SCALE, Parameter, parse_parameters
from orgsim.experiments.sweep.scale import apply_scale
from orgsim.metrics.catalogue import METRIC_NAMES
from orgsim.scenario.convert import unstructure
from orgsim.scenario.files import locate_sweep, read_toml
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.paths import MISSING, get_path, leaves, set_path
from orgsim.scenario.problems import expected, unknown, unknown_key
from orgsim.scenario.schema import MAX_SEED, Scenario

__all__ = [
    "CRN",
    "DEFAULT_METRICS",
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
)


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
    try:
        return _parse_sweep(data, source, Path(base_dir) if base_dir is not None else None)
    except ScenarioError as exc:
        if source and not exc.source:
            raise ScenarioError(exc.problems, source=source) from None
        raise


def _parse_sweep(data: object, source: str, base_dir: Path | None) -> SweepSpec:
    """The whole check, in the order its problems are reported."""
    if not isinstance(data, Mapping):
        raise ScenarioError([Problem("", expected("a table", data))])
    c = Check()
    for key in data:
        if key not in _TOP_KEYS:
            c.add(str(key), unknown_key(str(key), _TOP_KEYS))
    name = _name(c, data, source)
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
    base, scenario = _base(c, data, base_dir)
    default_seed = scenario.seed if scenario is not None else 1
    seed = c.integer(data, "seed", "seed", default_seed, ge=0, le=MAX_SEED)

    base_tree = unstructure(scenario) if scenario is not None else None
    overrides, fixed_scale, tree = _overrides(c, data, base_tree)
    scenario = parse_scenario(tree) if tree is not None else None
    # Paths are checked against the base even when the overrides failed.
    parameters = parse_parameters(c, data.get("parameters", MISSING), base_tree, design, paired)
    if tree is not None:
        _check_extremes(c, tree, parameters, fixed_scale)
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
    )


def _name(c: Check, data: Mapping[str, Any], source: str) -> str:
    """The sweep's name (it names the output folder): the file's stem by default."""
    default = Path(source).stem if source else "sweep"
    name = c.string(data, "name", "name", default) or default
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        c.add("name", f"use letters, digits, '-', '_' or '.' (it names a folder); got {name!r}")
        name = default
    return name


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
    if design == "sobol" and isinstance(points, int) and points >= 2 and points & (points - 1):
        lower = 1 << (points.bit_length() - 1)
        c.add(
            "points",
            f"a Sobol design needs a power of 2 (Saltelli's N), got {points}; "
            f"try {lower} or {lower * 2}",
        )
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


def _base(c: Check, data: Mapping[str, Any], base_dir: Path | None) -> tuple[str, Scenario | None]:
    """The base scenario as written, and as read (None when it cannot be read)."""
    if "base" not in data:
        c.add("base", "missing: name the base scenario (a file relative to the sweep, or midsize)")
        return "", None
    if isinstance(data["base"], str) and not data["base"].strip():
        c.add("base", "empty: name the base scenario (a file relative to the sweep, or midsize)")
        return "", None
    base = c.string(data, "base", "base", "")
    if not base:
        return base, None
    try:
        return base, _resolve_base(base, base_dir)
    except ScenarioError as exc:
        # Each of the base's problems under "base", prefixed with the base file
        # (when it has one), not its whole message: that would repeat the path.
        head = f"{exc.source}: " if exc.source else ""
        for problem in exc.problems:
            c.add("base", f"{head}{problem}")
        return base, None


def _resolve_base(base: str, base_dir: Path | None) -> Scenario:
    """The base scenario: a file relative to the sweep file, or a bundled name."""
    if base_dir is not None and Path(base).suffix:
        candidate = base_dir / base
        if not candidate.exists():
            raise ScenarioError(
                [Problem("", f"no such scenario file: {candidate} (relative to the sweep)")]
            )
        return load_scenario(candidate)
    return load_scenario(base)


def _overrides(
    c: Check, data: Mapping[str, Any], base_tree: dict[str, Any] | None
) -> tuple[dict[str, Any], float, dict[str, Any] | None]:
    """The ``[overrides]`` by dotted path, the fixed scale, and the overridden tree.

    Only paths the base scenario has can be overridden: no new keys, no typos.

    Returns:
        The overrides (``scale`` included), the scale they fix (1 by default),
        and the base tree with them applied: None when the base could not be
        read or the overrides do not make a valid scenario.
    """
    raw = data.get("overrides", {})
    if not isinstance(raw, Mapping):
        c.add("overrides", expected("a table", raw))
        raw = {}
    overrides = flatten_overrides(raw)
    fixed_scale = 1.0
    if SCALE in overrides:
        value = c.number(overrides[SCALE], f"overrides.{SCALE}")
        if value is not None and value <= 0:
            c.add(f"overrides.{SCALE}", f"must be > 0, got {overrides[SCALE]!r}")
        elif value is not None:
            fixed_scale = value
    if base_tree is None:
        return overrides, fixed_scale, None
    tree = copy.deepcopy(base_tree)
    known = sorted(leaves(tree))
    applied = True
    for path, value in overrides.items():
        if path == SCALE:
            continue
        try:
            get_path(tree, path)
            set_path(tree, path, copy.deepcopy(value))
        except (KeyError, ValueError, IndexError):
            applied = False
            c.add(f"overrides.{path}", unknown_parameter(path, [*known, SCALE]))
    if not applied:
        return overrides, fixed_scale, None
    problems = scenario_problems(tree)
    for p in problems:
        c.add(f"overrides.{p.path}" if p.path else "overrides", p.message)
    return overrides, fixed_scale, None if problems else tree


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
