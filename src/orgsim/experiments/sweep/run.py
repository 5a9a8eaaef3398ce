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

import copy
import difflib
import hashlib
import itertools
import json
import logging
import math
import numbers
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import cattrs
import numpy as np

from orgsim.analysis.stats import Comparison, Estimate, mean_ci, paired
from orgsim.errors import ExperimentError, OrgsimError, Problem, ScenarioError
from orgsim.experiments.executors import EXECUTORS, run_tasks
from orgsim.experiments.tasks import Task, default_jobs
from orgsim.metrics.projections import HEADLINE, METRICS
from orgsim.scenario.loading import (
    _describe,
    _read_toml,
    _unknown_key,
    load_scenario,
    parse_scenario,
)
from orgsim.scenario.loading import unstructure as unstructure_scenario
from orgsim.scenario.schema import Scenario
from orgsim.storage.results import (
    ResultsDB,
    RunRecord,
    check_out_dir,
    export_csv,
    export_parquet,
    json_safe,
)

logger = logging.getLogger(__name__)

__all__ = [
    "DESIGNS",
    "Parameter",
    "Point",
    "PointResult",
    "SweepResult",
    "SweepSpec",
    "apply_scale",
    "build_tasks",
    "bundled_sweeps",
    "design_points",
    "load_sweep",
    "parse_sweep",
    "point_scenarios",
    "sweep",
]

DESIGNS = ("grid", "lhs", "sobol", "morris")
TYPES = ("int", "float", "choice")
CRN = ("design", "point")
SCALE = "scale"
FAIL_ENV = "ORGSIM_FAIL_RUNS"
DEFAULT_METRICS = ("net_value", "value_shipped", "lead_time_p50", "conflicts_open_end")
METRIC_NAMES = tuple(m.name for m in METRICS)
BETTER = {m.name: m.better for m in METRICS}
UNITS = {m.name: m.unit for m in METRICS}

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
_PARAM_KEYS = ("path", "levels", "low", "high", "type", "steps")
_DEFAULT_STEPS = 5


# ------------------------------------------------------------------ the spec

_CONVERTER = cattrs.Converter()


@attrs.frozen(kw_only=True)
class Parameter:
    """One swept parameter.

    Attributes:
        path: Dotted path in the scenario (``conflicts.intensity``) or ``scale``.
        type: ``int``, ``float`` or ``choice``.
        levels: Explicit values (grid levels; the values a sampled design picks
            among, uniformly). Empty for a ``low``/``high`` range.
        low: Lower end of a range (inclusive).
        high: Upper end of a range (inclusive).
        steps: Grid designs: evenly spaced levels from ``low`` to ``high``.
    """

    path: str
    type: str
    levels: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    steps: int = _DEFAULT_STEPS

    @property
    def discrete(self) -> bool:
        """Whether the parameter takes listed levels rather than a range."""
        return bool(self.levels)

    def grid_levels(self) -> tuple[Any, ...]:
        """The values a grid design takes, in order."""
        if self.discrete:
            return self.levels
        assert self.low is not None and self.high is not None
        raw = np.linspace(self.low, self.high, self.steps)
        if self.type == "int":
            return tuple(dict.fromkeys(round(float(v)) for v in raw))
        return tuple(float(round(v, 10)) for v in raw)

    def bounds(self) -> tuple[float, float]:
        """The parameter's interval in design space (what SALib and LHS sample).

        A float range is itself; an integer range widens by half a step on each
        side so that every integer gets an equal share; listed levels are indices
        ``[0, n)``.
        """
        if self.discrete:
            return 0.0, float(len(self.levels))
        assert self.low is not None and self.high is not None
        if self.type == "int":
            return self.low - 0.5, self.high + 0.5
        return float(self.low), float(self.high)

    def value(self, x: float) -> Any:
        """The parameter value at design coordinate ``x`` (inside :meth:`bounds`)."""
        if self.discrete:
            i = min(max(math.floor(x), 0), len(self.levels) - 1)
            return self.levels[i]
        assert self.low is not None and self.high is not None
        if self.type == "int":
            return int(min(max(math.floor(x + 0.5), self.low), self.high))
        return float(min(max(x, self.low), self.high))

    def coordinate(self, value: Any) -> float:
        """Design coordinate of a grid level (its index + 0.5 for listed levels)."""
        if self.discrete:
            return float(self.levels.index(value)) + 0.5
        return float(value)

    def extremes(self) -> list[tuple[str, Any]]:
        """``(where, value)`` pairs to validate: both ends, or every level."""
        if self.discrete:
            return [(f"levels.{i}", v) for i, v in enumerate(self.levels)]
        return [("low", self.low), ("high", self.high)]


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

    @property
    def size(self) -> int:
        """Number of design points."""
        d = len(self.parameters)
        if self.design == "grid":
            return math.prod(len(p.grid_levels()) for p in self.parameters)
        if self.design == "sobol":
            return self.points * (d + 2)
        if self.design == "morris":
            return self.points * (d + 1)
        return self.points

    @property
    def runs(self) -> int:
        """Number of runs the whole sweep makes (for progress bars)."""
        return self.size * self.replications * len(self.arms)

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
            "parameters": [
                {**_CONVERTER.unstructure(p), "levels": list(p.levels)} for p in self.parameters
            ],
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


# ------------------------------------------------------------------ plain trees


def _leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Every scalar in a plain scenario tree, by dotted path."""
    out: dict[str, Any] = {}
    items: Any
    if isinstance(tree, Mapping):
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return {prefix: tree}
    for key, value in items:
        out.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _node(tree: Any, path: str) -> Any:
    """The value at a dotted path, or raise KeyError."""
    node = tree
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(path)
    return node


def _set(tree: Any, path: str, value: Any) -> None:
    """Set the value at an existing dotted path of a plain tree."""
    parts = path.split(".")
    parent = _node(tree, ".".join(parts[:-1])) if len(parts) > 1 else tree
    last = parts[-1]
    if isinstance(parent, list):
        parent[int(last)] = value
    else:
        parent[last] = value


def _scale_time(dist: dict[str, Any], factor: float) -> None:
    """Multiply a plain distribution's durations by ``factor``."""
    if dist.get("kind") == "uniform":
        for key in ("low", "high"):
            if key in dist:
                dist[key] = dist[key] * factor
    elif "mean" in dist:
        dist["mean"] = dist["mean"] * factor


def apply_scale(tree: dict[str, Any], factor: float) -> dict[str, Any]:
    """Scale a company's size by ``factor`` in a plain scenario tree (in place).

    Everything that grows with a company grows in proportion, everything that
    stays one of a kind stays:

    * every department's staff (rounded, at least 1 where there was anyone);
    * the number of products (rounded, at least 1), and each product's feature
      arrival interval and initial roadmap adjusted so that the company's total
      feature arrival rate and initial backlog scale exactly by ``factor``;
    * the arrival rate of every arriving conflict kind (their intervals divided
      by ``factor``), while each conflict's drag on a department is divided by
      ``factor``: a conflict touches a smaller share of a larger department, so
      conflict exposure per person stays the same;
    * not the CEO (one person, ``ceo.slots``), nor the broker's mediators, nor
      budget disputes (one per underfunded department, whatever its size).

    Returns:
        ``tree``, for chaining.
    """
    if factor == 1:
        return tree
    for dept in tree["departments"].values():
        if dept["staff"] > 0:
            dept["staff"] = max(1, round(dept["staff"] * factor))
    dl = tree["delivery"]
    products = dl["products"]
    scaled = max(1, round(products * factor))
    dl["products"] = scaled
    per_product = products * factor / scaled  # features per product, relative
    _scale_time(dl["feature_interarrival"], 1.0 / per_product)
    dl["initial_features"] = max(0, round(dl["initial_features"] * per_product))
    conflicts = tree["conflicts"]
    for kind in conflicts["kinds"].values():
        if kind.get("effect") != "budget":
            _scale_time(kind["interarrival"], 1.0 / factor)
    conflicts["drag"] = conflicts["drag"] / factor
    return tree


# ------------------------------------------------------------------ validation


class _Check:
    """One validation pass over a sweep table: problems pile up, nothing stops."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def integer(self, data: Mapping[str, Any], key: str, path: str, default: Any, ge: int) -> Any:
        value = data.get(key, default)
        if key not in data:
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            self.add(path, f"expected an integer, got {_describe(value)}")
            return default
        if value < ge:
            self.add(path, f"must be >= {ge}, got {value}")
        return int(value)

    def number(self, value: Any, path: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            self.add(path, f"expected a number, got {_describe(value)}")
            return None
        if not math.isfinite(float(value)):
            self.add(path, f"must be a finite number, got {value!r}")
            return None
        return float(value)

    def string(self, data: Mapping[str, Any], key: str, path: str, default: str) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            self.add(path, f"expected a string, got {_describe(value)}")
            return default
        return value

    def choice(
        self, data: Mapping[str, Any], key: str, path: str, default: str, choices: Sequence[str]
    ) -> str:
        value = self.string(data, key, path, default)
        if value not in choices:
            message = f"must be one of {', '.join(choices)}; got {value!r}"
            close = difflib.get_close_matches(value, choices, n=1)
            if close:
                message += f" (did you mean '{close[0]}'?)"
            self.add(path, message)
            return default
        return value


def _plain_override_paths(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten an ``[overrides]`` table to dotted paths.

    Nested tables (TOML dotted keys) flatten; a table that names a distribution
    ``kind`` stays whole, since it replaces the distribution.
    """
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and "kind" not in value:
            out.update(_plain_override_paths(value, path))
        else:
            out[path] = value
    return out


def _unknown_parameter(path: str, known: Sequence[str], what: str = "parameter") -> str:
    close = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
    if close:
        return f"unknown {what} '{path}'; did you mean '{close[0]}'?"
    return f"unknown {what} '{path}' (see docs/model.md for the dotted parameter paths)"


def _scenario_problems(tree: Mapping[str, Any]) -> list[Problem]:
    """What :func:`parse_scenario` finds wrong with a plain tree (empty if valid)."""
    try:
        parse_scenario(tree)
    except ScenarioError as exc:
        return list(exc.problems)
    return []


def _resolve_base(base: str, base_dir: Path | None) -> Scenario:
    """The base scenario: a file relative to the sweep file, or a bundled name."""
    if base_dir is not None and Path(base).suffix:
        candidate = base_dir / base
        if not candidate.exists():
            raise ScenarioError(
                [Problem("base", f"no such scenario file: {candidate} (relative to the sweep)")]
            )
        return load_scenario(candidate)
    return load_scenario(base)


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
    if not isinstance(data, Mapping):
        raise ScenarioError([Problem("", f"expected a table, got {_describe(data)}")])
    c = _Check()
    for key in data:
        if key not in _TOP_KEYS:
            c.add(str(key), _unknown_key(str(key), _TOP_KEYS))

    default_name = Path(source).stem if source else "sweep"
    name = c.string(data, "name", "name", default_name) or default_name
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        c.add("name", f"use letters, digits, '-', '_' or '.' (it names a folder); got {name!r}")
        name = default_name
    description = c.string(data, "description", "description", "")
    design = c.choice(data, "design", "design", "grid", DESIGNS)
    replications = c.integer(data, "replications", "replications", 10, ge=1)
    paired_value = data.get("paired", True)
    if not isinstance(paired_value, bool):
        c.add("paired", f"expected a boolean (true or false), got {_describe(paired_value)}")
        paired_value = True
    crn = c.choice(data, "crn", "crn", "design", CRN)
    morris_levels = c.integer(data, "morris_levels", "morris_levels", 4, ge=2)
    if "morris_levels" in data and design != "morris":
        c.add("morris_levels", f"only used by morris designs (this one is {design})")

    # points
    points = 0
    if design == "grid":
        if "points" in data:
            c.add("points", "a grid takes every combination of levels; remove 'points'")
    elif "points" not in data:
        c.add("points", f"a {design} design needs 'points'")
    else:
        points = c.integer(data, "points", "points", 0, ge=2)
        if design == "sobol" and isinstance(points, int) and points >= 2 and points & (points - 1):
            lower = 1 << (points.bit_length() - 1)
            c.add(
                "points",
                f"a Sobol design needs a power of 2 (Saltelli's N), got {points}; "
                f"try {lower} or {lower * 2}",
            )

    # metrics
    metrics: tuple[str, ...] = DEFAULT_METRICS
    if "metrics" in data:
        raw = data["metrics"]
        if not isinstance(raw, list) or not raw:
            c.add("metrics", f"expected a non-empty array of metric names, got {_describe(raw)}")
        else:
            good = []
            for i, m in enumerate(raw):
                if not isinstance(m, str):
                    c.add(f"metrics.{i}", f"expected a metric name, got {_describe(m)}")
                elif m not in METRIC_NAMES:
                    close = difflib.get_close_matches(m, METRIC_NAMES, n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else " (see docs/model.md)"
                    c.add(f"metrics.{i}", f"unknown metric '{m}'{hint}")
                elif m in good:
                    c.add(f"metrics.{i}", f"'{m}' is listed twice")
                else:
                    good.append(m)
            if good:
                metrics = tuple(good)

    # base scenario
    scenario: Scenario | None = None
    base = ""
    if "base" not in data:
        c.add("base", "missing: name the base scenario (a file relative to the sweep, or midsize)")
    else:
        base = c.string(data, "base", "base", "")
        if base:
            try:
                scenario = _resolve_base(base, base_dir)
            except ScenarioError as exc:
                c.add("base", str(exc).replace("\n", " "))

    seed_default = scenario.seed if scenario is not None else 1
    seed = c.integer(data, "seed", "seed", seed_default, ge=0)

    # overrides
    overrides: dict[str, Any] = {}
    fixed_scale = 1.0
    tree: dict[str, Any] | None = None
    base_tree: dict[str, Any] | None = None
    if scenario is not None:
        tree = unstructure_scenario(scenario)
        base_tree = copy.deepcopy(tree)
    raw_overrides = data.get("overrides", {})
    if not isinstance(raw_overrides, Mapping):
        c.add("overrides", f"expected a table, got {_describe(raw_overrides)}")
        raw_overrides = {}
    overrides = _plain_override_paths(raw_overrides)
    if SCALE in overrides:
        value = c.number(overrides[SCALE], f"overrides.{SCALE}")
        if value is not None and value <= 0:
            c.add(f"overrides.{SCALE}", f"must be > 0, got {overrides[SCALE]!r}")
        elif value is not None:
            fixed_scale = value
    if tree is not None:
        known = sorted(_leaves(tree))
        override_ok = True
        for path, value in overrides.items():
            if path == SCALE:
                continue
            try:
                _node(tree, path)  # only what exists: no new keys, no typos
                _set(tree, path, copy.deepcopy(value))
            except (KeyError, ValueError, IndexError):
                override_ok = False
                c.add(f"overrides.{path}", _unknown_parameter(path, [*known, SCALE]))
        if override_ok:
            problems = _scenario_problems(tree)
            for p in problems:
                c.add(f"overrides.{p.path}" if p.path else "overrides", p.message)
            if problems:
                tree = None
            else:
                scenario = parse_scenario(tree)
        else:
            tree = None

    # parameters (paths are checked against the base even when overrides failed)
    parameters = _parameters(c, data.get("parameters", _MISSING), base_tree, design, paired_value)

    # The ends of every parameter, each alone over the base and the overrides: a
    # level the model refuses is reported where it was written, not as failed runs.
    if tree is not None:
        for i, param in parameters:
            for where, value in param.extremes():
                point_tree = _point_tree(tree, {param.path: value}, fixed_scale)
                for found in _scenario_problems(point_tree):
                    c.add(f"parameters.{i}.{where}", f"{param.path} = {value!r} gives {found}")
    if c.problems:
        raise ScenarioError(c.problems)
    assert scenario is not None and tree is not None
    return SweepSpec(
        name=name,
        description=description,
        base=base,
        scenario=scenario,
        parameters=tuple(p for _, p in parameters),
        design=design,
        points=points,
        replications=replications,
        paired=paired_value,
        metrics=metrics,
        seed=seed,
        crn=crn,
        morris_levels=morris_levels,
        overrides=overrides,
        source=source,
    )


class _Missing:
    pass


_MISSING = _Missing()


def _parameters(
    c: _Check, raw: Any, tree: dict[str, Any] | None, design: str, paired_sweep: bool
) -> list[tuple[int, Parameter]]:
    """Check the ``[[parameters]]`` array: the usable ones, with their positions."""
    if raw is _MISSING or (isinstance(raw, list) and not raw):
        c.add("parameters", "no parameters: a sweep needs at least one [[parameters]] entry")
        return []
    if not isinstance(raw, list):
        c.add("parameters", f"expected an array of tables ([[parameters]]), got {_describe(raw)}")
        return []
    leaves = _leaves(tree) if tree is not None else {}
    known = sorted(leaves)
    out: list[tuple[int, Parameter]] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        where = f"parameters.{i}"
        if not isinstance(entry, Mapping):
            c.add(where, f"expected a table, got {_describe(entry)}")
            continue
        for key in entry:
            if key not in _PARAM_KEYS:
                c.add(f"{where}.{key}", _unknown_key(str(key), _PARAM_KEYS))
        param = _parameter(c, entry, where, leaves, known, design, paired_sweep, tree is None)
        if param is None:
            continue
        if param.path in seen:
            c.add(
                f"{where}.path", f"'{param.path}' is already swept by parameters.{seen[param.path]}"
            )
            continue
        seen[param.path] = i
        out.append((i, param))
    return out


def _parameter(
    c: _Check,
    entry: Mapping[str, Any],
    where: str,
    leaves: Mapping[str, Any],
    known: Sequence[str],
    design: str,
    paired_sweep: bool,
    no_tree: bool,
) -> Parameter | None:
    """Check one ``[[parameters]]`` table; None when it cannot be used."""
    n_before = len(c.problems)
    path = entry.get("path")
    leaf: Any = None
    if path is None:
        c.add(f"{where}.path", "missing: the dotted path of the parameter to vary")
        path = ""
    elif not isinstance(path, str):
        c.add(f"{where}.path", f"expected a string, got {_describe(path)}")
        path = ""
    elif path == SCALE:
        leaf = 1.0
    elif not no_tree and path not in leaves:
        prefix = path + "."
        below = [k for k in known if k.startswith(prefix)]
        if below:
            c.add(
                f"{where}.path",
                f"'{path}' is a table, not one parameter; sweep one of its fields: "
                + ", ".join(below[:6])
                + (", ..." if len(below) > 6 else ""),
            )
        else:
            c.add(f"{where}.path", _unknown_parameter(path, [*known, SCALE]))
    else:
        leaf = leaves.get(path)
    if path == "broker.enabled" and paired_sweep:
        c.add(
            f"{where}.path",
            "a paired sweep switches the broker on and off itself; "
            "set paired = false to sweep 'broker.enabled'",
        )

    has_levels = "levels" in entry
    has_range = "low" in entry or "high" in entry
    given_type = entry.get("type")
    ptype: str | None = None
    if given_type is not None:
        if not isinstance(given_type, str) or given_type not in TYPES:
            close = difflib.get_close_matches(str(given_type), TYPES, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            c.add(f"{where}.type", f"must be one of {', '.join(TYPES)}; got {given_type!r}{hint}")
        else:
            ptype = given_type
    leaf_kind = _kind_of(leaf)
    if ptype is not None and leaf_kind is not None:
        if ptype == "float" and leaf_kind == "int":
            c.add(f"{where}.type", f"'{path}' takes integers; use type = \"int\"")
        elif ptype in ("int", "float") and leaf_kind in ("bool", "str"):
            c.add(
                f"{where}.type",
                f"'{path}' takes a {leaf_kind}, not numbers; use type = \"choice\" with levels",
            )

    levels: tuple[Any, ...] = ()
    low = high = None
    steps = _DEFAULT_STEPS
    if has_levels and has_range:
        c.add(where, "give either levels or low/high, not both")
    elif not has_levels and not has_range:
        c.add(where, "give the values to sweep: levels = [...], or low and high")
    elif has_levels:
        raw = entry["levels"]
        if not isinstance(raw, list) or not raw:
            c.add(f"{where}.levels", f"expected a non-empty array, got {_describe(raw)}")
        else:
            ok: list[Any] = []
            for j, v in enumerate(raw):
                if isinstance(v, (Mapping, list)):
                    c.add(f"{where}.levels.{j}", f"expected a single value, got {_describe(v)}")
                elif ptype == "int" and (
                    isinstance(v, bool) or not isinstance(v, numbers.Integral)
                ):
                    c.add(f"{where}.levels.{j}", f"expected an integer, got {_describe(v)}")
                elif ptype == "float" and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
                    c.add(f"{where}.levels.{j}", f"expected a number, got {_describe(v)}")
                elif v in ok and type(v) is type(ok[ok.index(v)]):
                    c.add(f"{where}.levels.{j}", f"{v!r} is listed twice")
                else:
                    ok.append(float(v) if ptype == "float" else v)
            levels = tuple(ok)
        if "steps" in entry:
            c.add(f"{where}.steps", "steps spreads a low/high range; remove it with levels")
        if ptype is None:
            numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in levels)
            if numeric and leaf_kind in ("int", "float"):
                ptype = leaf_kind
            elif numeric and path == SCALE:
                ptype = "float"
            else:
                ptype = "choice"
        if path == SCALE:
            for j, v in enumerate(levels):
                if isinstance(v, bool) or not isinstance(v, numbers.Real):
                    c.add(f"{where}.levels.{j}", f"scale takes numbers, got {_describe(v)}")
                elif v <= 0:
                    c.add(f"{where}.levels.{j}", f"scale must be > 0, got {v!r}")
    else:
        if ptype == "choice":
            c.add(f"{where}.type", "a choice takes levels = [...], not low/high")
        if ptype is None:
            ptype = leaf_kind if leaf_kind in ("int", "float") else None
            if ptype is None and leaf_kind is not None:
                c.add(
                    f"{where}.low",
                    f"'{path}' takes a {leaf_kind}: list its values with levels = [...]",
                )
        for key in ("low", "high"):
            if key not in entry:
                c.add(f"{where}.{key}", "missing: a range needs both low and high")
                continue
            value = entry[key]
            if ptype == "int" and (
                isinstance(value, bool) or not isinstance(value, numbers.Integral)
            ):
                c.add(
                    f"{where}.{key}", f'expected an integer (type = "int"), got {_describe(value)}'
                )
                continue
            number = c.number(value, f"{where}.{key}")
            if number is None:
                continue
            if key == "low":
                low = int(value) if ptype == "int" else number
            else:
                high = int(value) if ptype == "int" else number
        if low is not None and high is not None and not low < high:
            c.add(f"{where}.high", f"must be > low ({low!r}), got {high!r}")
        if path == SCALE and low is not None and low <= 0:
            c.add(f"{where}.low", f"scale must be > 0, got {low!r}")
        if "steps" in entry:
            if design != "grid":
                c.add(f"{where}.steps", f"only grid designs use steps (this one is {design})")
            else:
                steps = c.integer(entry, "steps", f"{where}.steps", _DEFAULT_STEPS, ge=2)
    if len(c.problems) > n_before or ptype is None or not path:
        return None
    return Parameter(path=path, type=ptype, levels=levels, low=low, high=high, steps=steps)


def _kind_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


# ------------------------------------------------------------------ files


def bundled_sweeps() -> dict[str, Path]:
    """Sweeps shipped inside the package, by name."""
    try:
        root = resources.files("orgsim") / "data" / "scenarios" / "sweeps"
        if not root.is_dir():
            return {}
        entries = [e for e in root.iterdir() if e.is_file() and e.name.endswith(".toml")]
    except (OSError, ModuleNotFoundError):
        return {}
    return dict(sorted((e.name.removesuffix(".toml"), Path(str(e))) for e in entries))


def load_sweep(path: str | os.PathLike[str]) -> SweepSpec:
    """Read and check a sweep file (or a bundled sweep by name).

    Raises:
        ScenarioError: The file is missing or malformed, or its contents are
            invalid; all problems are reported together with dotted paths.
    """
    file = Path(path)
    if not file.suffix and not file.exists():
        bundled = bundled_sweeps()
        if os.fspath(path) not in bundled:
            known = ", ".join(bundled) or "none"
            raise ScenarioError(
                [Problem("", f"no such sweep file: {file} (bundled sweeps: {known})")]
            )
        file = bundled[os.fspath(path)]
    if not file.exists():
        raise ScenarioError([Problem("", f"no such sweep file: {file}")])
    data = _read_toml(file)
    return parse_sweep(data, source=str(file), base_dir=file.resolve().parent)


# ------------------------------------------------------------------ design


@attrs.frozen(kw_only=True)
class Point:
    """One design point.

    Attributes:
        index: Position in the design (also the run key's point).
        values: Parameter path to value.
        x: Design-space coordinates (what SALib analyses), one per parameter.
    """

    index: int
    values: dict[str, Any]
    x: tuple[float, ...]


def design_points(spec: SweepSpec) -> list[Point]:
    """The design's points, in a fixed order that depends only on the spec.

    Grids take every combination of levels (the first parameter varies slowest);
    LHS draws a Latin hypercube with ``spec.seed``; ``sobol`` and ``morris`` use
    SALib's samplers with ``spec.seed`` (see :mod:`orgsim.sensitivity`).
    """
    params = spec.parameters
    if spec.design == "grid":
        grid = itertools.product(*(p.grid_levels() for p in params))
        return [
            Point(
                index=i,
                values={p.path: v for p, v in zip(params, combo, strict=True)},
                x=tuple(p.coordinate(v) for p, v in zip(params, combo, strict=True)),
            )
            for i, combo in enumerate(grid)
        ]
    problem = spec.problem()
    if spec.design == "lhs":
        from scipy.stats import qmc

        rng = np.random.default_rng(spec.seed)
        try:
            sampler = qmc.LatinHypercube(d=len(params), rng=rng)
        except TypeError:  # scipy < 1.15 names it seed
            sampler = qmc.LatinHypercube(d=len(params), seed=rng)
        unit = sampler.random(spec.points)
        lows = np.array([b[0] for b in problem["bounds"]])
        highs = np.array([b[1] for b in problem["bounds"]])
        x = lows + unit * (highs - lows)
    else:
        from orgsim.analysis import sensitivity

        if spec.design == "sobol":
            x = sensitivity.sobol_sample(problem, spec.points, seed=spec.seed)
        else:
            x = sensitivity.morris_sample(
                problem, spec.points, num_levels=spec.morris_levels, seed=spec.seed
            )
    return [
        Point(
            index=i,
            values={p.path: p.value(float(v)) for p, v in zip(params, row, strict=True)},
            x=tuple(float(v) for v in row),
        )
        for i, row in enumerate(x)
    ]


def _point_tree(base: Mapping[str, Any], values: Mapping[str, Any], scale: float) -> dict[str, Any]:
    tree = copy.deepcopy(dict(base))
    factor = scale
    for path, value in values.items():
        if path == SCALE:
            factor *= float(value)
        else:
            _set(tree, path, value)
    return apply_scale(tree, factor)


def point_scenarios(spec: SweepSpec, points: Sequence[Point]) -> list[Scenario]:
    """Every point's scenario, checked by :func:`parse_scenario`.

    Raises:
        ScenarioError: Some combination of levels makes an invalid scenario; each
            problem names the point and its values.
    """
    base = unstructure_scenario(spec.scenario)
    scale = float(spec.overrides.get(SCALE, 1.0))
    out: list[Scenario] = []
    problems: list[Problem] = []
    for point in points:
        try:
            out.append(parse_scenario(_point_tree(base, point.values, scale)))
        except ScenarioError as exc:
            values = ", ".join(f"{k}={v!r}" for k, v in point.values.items())
            problems += [Problem(f"points.{point.index}", f"({values}) {p}") for p in exc.problems]
    if problems:
        raise ScenarioError(problems, source=spec.source)
    return out


def point_seed(spec: SweepSpec, point: int) -> int:
    """The root seed of a point's runs (the same for every point with ``crn = "design"``)."""
    if spec.crn == "design":
        return spec.seed
    return int(np.random.SeedSequence([spec.seed, point]).generate_state(1)[0])


def _fail_marks(fail: Collection[str]) -> set[tuple[int, str, int]]:
    """Parse ``point/arm/replication`` marks of runs to fail (failure-isolation tests)."""
    marks = set()
    for text in fail:
        parts = text.strip().split("/")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
            raise ExperimentError(f"cannot read run mark {text!r}; expected point/arm/replication")
        marks.add((int(parts[0]), parts[1], int(parts[2])))
    return marks


def build_tasks(
    spec: SweepSpec,
    points: Sequence[Point],
    scenarios: Sequence[Scenario],
    *,
    keep_events: str | int | None = None,
    fail: Collection[str] = (),
) -> list[Task]:
    """Every run of the sweep, in canonical order (point, arm, replication).

    Args:
        spec: The sweep.
        points: Its design points.
        scenarios: Each point's scenario.
        keep_events: ``"all"`` keeps every run's event log, an integer K those of
            the first K replications of each point, None none.
        fail: ``point/arm/replication`` marks of runs that must raise (tests of
            failure isolation); the ``ORGSIM_FAIL_RUNS`` environment variable
            (comma-separated marks) adds to them.
    """
    marks = _fail_marks(fail)
    env = os.environ.get(FAIL_ENV, "")
    if env.strip():
        marks |= _fail_marks([m for m in env.split(",") if m.strip()])
    tasks = []
    for point, sc in zip(points, scenarios, strict=True):
        digest = sc.digest()
        seed = point_seed(spec, point.index)
        arms = spec.arms if spec.paired else (("on",) if sc.broker.enabled else ("off",))
        for arm in arms:
            for rep in range(spec.replications):
                keep = keep_events == "all" or (isinstance(keep_events, int) and rep < keep_events)
                tasks.append(
                    Task(
                        experiment=spec.experiment,
                        scenario=sc,
                        scenario_hash=digest,
                        point=point.index,
                        arm=arm,
                        replication=rep,
                        seed=seed,
                        params=dict(point.values),
                        keep_events=keep,
                        fail=(point.index, arm, rep) in marks,
                    )
                )
    return tasks


# ------------------------------------------------------------------ aggregation


@attrs.frozen(kw_only=True)
class PointResult:
    """What one design point found.

    Attributes:
        point: Index in the design.
        params: Parameter path to value.
        x: Design-space coordinates.
        runs: Replications complete (in both arms when paired).
        failed: Runs of this point that raised.
        replications: The complete replications, in order.
        samples: Arm to metric to values, one per complete replication.
        arms: Arm to metric to mean with 95% CI (over the complete replications).
        effect: Metric to paired comparison on − off (paired sweeps only).
    """

    point: int
    params: dict[str, Any]
    x: tuple[float, ...]
    runs: int
    failed: int
    replications: tuple[int, ...]
    samples: dict[str, dict[str, np.ndarray]] = attrs.field(eq=False, repr=False)
    arms: dict[str, dict[str, Estimate]] = attrs.field(eq=False, repr=False)
    effect: dict[str, Comparison] = attrs.field(eq=False, repr=False)


def _metric_names(records: Sequence[RunRecord]) -> list[str]:
    names = list(METRIC_NAMES)
    for r in records:
        if r.status == "ok":
            names += [k for k in r.metrics if k not in names]
            break
    return names


def aggregate(
    spec: SweepSpec, points: Sequence[Point], records: Sequence[RunRecord]
) -> list[PointResult]:
    """Per point: each arm's means with CIs and the paired effect, in canonical order."""
    by_point: dict[int, list[RunRecord]] = {p.index: [] for p in points}
    for r in records:
        if r.point in by_point:
            by_point[r.point].append(r)
    names = _metric_names(records)
    out = []
    for point in points:
        rows = by_point[point.index]
        arms = sorted({r.arm for r in rows}, key=lambda a: (a != "on", a)) or list(spec.arms)
        ok: dict[str, dict[int, RunRecord]] = {a: {} for a in arms}
        for r in rows:
            if r.status == "ok":
                ok[r.arm][r.replication] = r
        reps = sorted(set.intersection(*(set(ok[a]) for a in arms))) if arms else []
        samples = {
            a: {
                m: np.array([ok[a][i].metrics.get(m, math.nan) for i in reps], dtype=float)
                for m in names
            }
            for a in arms
        }
        effect: dict[str, Comparison] = {}
        if spec.paired and "on" in samples and "off" in samples:
            effect = {
                m: paired(samples["on"][m], samples["off"][m], better=BETTER.get(m, ""))
                for m in names
            }
            # Without NaNs, each arm's estimate is the comparison's (same replications);
            # with them (a metric undefined in one arm) the arm keeps its own values.
            estimates = {
                arm: {
                    m: getattr(c, arm) if c.diff.n == len(reps) else mean_ci(samples[arm][m])
                    for m, c in effect.items()
                }
                for arm in ("on", "off")
            }
        else:
            estimates = {a: {m: mean_ci(v) for m, v in samples[a].items()} for a in arms}
        out.append(
            PointResult(
                point=point.index,
                params=dict(point.values),
                x=point.x,
                runs=len(reps),
                failed=sum(1 for r in rows if r.status != "ok"),
                replications=tuple(reps),
                samples=samples,
                arms=estimates,
                effect=effect,
            )
        )
    return out


def table_rows(spec: SweepSpec, results: Sequence[PointResult]) -> list[dict[str, Any]]:
    """The per-point table: parameters, runs, then per metric arm means and effect.

    Metrics of interest come first, then the remaining headline metrics. Paired
    sweeps give ``m.on``, ``m.off``, ``m.diff`` with ``m.diff_low``/``m.diff_high``,
    the relative effect ``m.rel`` (share of the without-broker mean) with its CI,
    and ``m.significant``; unpaired sweeps ``m.mean``, ``m.low``, ``m.high``.
    """
    names = list(spec.metrics) + [m for m in HEADLINE if m not in spec.metrics]
    rows = []
    for pr in results:
        row: dict[str, Any] = {"point": pr.point, **pr.params, "runs": pr.runs, "failed": pr.failed}
        for m in names:
            if spec.paired:
                c = pr.effect.get(m)
                if c is None:
                    continue
                row.update(
                    {
                        f"{m}.on": c.on.mean,
                        f"{m}.off": c.off.mean,
                        f"{m}.diff": c.diff.mean,
                        f"{m}.diff_low": c.diff.low,
                        f"{m}.diff_high": c.diff.high,
                        f"{m}.rel": c.relative,
                        f"{m}.rel_low": c.relative_low,
                        f"{m}.rel_high": c.relative_high,
                        f"{m}.significant": c.significant,
                    }
                )
            else:
                arm = next(iter(pr.arms), None)
                if arm is None or m not in pr.arms[arm]:
                    continue
                e = pr.arms[arm][m]
                row.update({f"{m}.mean": e.mean, f"{m}.low": e.low, f"{m}.high": e.high})
        rows.append(row)
    return rows


def sensitivity_outputs(spec: SweepSpec, results: Sequence[PointResult]) -> dict[str, np.ndarray]:
    """Per output, one value per point (means over replications), in design order.

    Paired sweeps: ``m.effect`` (mean paired difference on − off), ``m.on`` and
    ``m.off`` for each metric of interest; unpaired: ``m``.
    """
    out: dict[str, np.ndarray] = {}
    for m in spec.metrics:
        if spec.paired:
            out[f"{m}.effect"] = np.array([_mean(pr.effect.get(m)) for pr in results])
            for arm in ("on", "off"):
                out[f"{m}.{arm}"] = np.array(
                    [pr.arms[arm][m].mean if arm in pr.arms else math.nan for pr in results]
                )
        else:
            out[m] = np.array(
                [next(iter(pr.arms.values()))[m].mean if pr.arms else math.nan for pr in results]
            )
    return out


def _mean(c: Comparison | None) -> float:
    return math.nan if c is None else c.diff.mean


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


# ------------------------------------------------------------------ printing


def print_sweep(result: SweepResult, console: Any = None, max_rows: int = 40) -> None:
    """Print the per-point table (effects of the metrics of interest) and indices."""
    from rich.console import Console
    from rich.table import Table

    from orgsim.reporting.terminal import fmt

    console = console or Console()
    spec = result.spec
    arms = "broker on vs off" if spec.paired else f"broker {spec.arms[0]}"
    console.print(
        f"[bold]sweep {spec.name}[/bold] — {spec.design}, {len(result.points)} points × "
        f"{spec.replications} replications ({arms}), {len(result.records)} runs stored, "
        f"{result.ran} made now in {result.elapsed:.1f} s"
    )
    table = Table(show_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    for name in spec.names:
        table.add_column(name, justify="right")
    table.add_column("runs", justify="right")
    for m in spec.metrics:
        table.add_column(f"Δ {m}" if spec.paired else m, justify="right")
    for pr in result.points[:max_rows]:
        cells = [str(pr.point)] + [_short(pr.params[n]) for n in spec.names] + [str(pr.runs)]
        for m in spec.metrics:
            if spec.paired:
                c = pr.effect.get(m)
                if c is None or math.isnan(c.diff.mean):
                    cells.append("–")
                    continue
                if math.isnan(c.relative):
                    text = fmt(c.diff.mean, UNITS.get(m, ""))
                else:
                    text = f"{100 * c.relative:+.1f}%"
                if not math.isnan(c.relative_low):
                    text += f" [{100 * c.relative_low:+.0f}, {100 * c.relative_high:+.0f}]"
                style = {"better": "green", "worse": "red"}.get(c.outcome, "")
                mark = "*" if c.significant else " "
                cells.append(f"[{style}]{text}{mark}[/{style}]" if style else text + mark)
            else:
                arm = next(iter(pr.arms), None)
                e = pr.arms[arm][m] if arm else None
                cells.append("–" if e is None else fmt(e.mean, UNITS.get(m, "")))
        table.add_row(*cells)
    console.print(table)
    if len(result.points) > max_rows:
        console.print(f"… {len(result.points) - max_rows} more points in {result.out}/points.csv")
    if spec.paired:
        console.print(
            "Δ: broker effect, with − without, % of the without-broker mean [95% CI]; "
            "* the CI excludes 0"
        )
    if result.sensitivity is not None:
        result.sensitivity.print(console)
    console.print(
        f"results: {result.db}  tables: {result.out}/points.csv, runs.csv"
        + (f"  charts: {len(result.charts)} in {result.out}" if result.charts else "")
    )


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
