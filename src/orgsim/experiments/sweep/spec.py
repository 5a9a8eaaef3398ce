"""The sweep file: its parameters, design, replications and metrics, checked in one pass.

A sweep file (TOML) names a base scenario, the parameters to vary (dotted paths of
:class:`~orgsim.scenario.schema.Scenario`, plus the sweep-level ``scale``
pseudo-parameter), a design (``grid``, ``lhs``, ``sobol`` or ``morris``), the
replications per design point and the metrics of interest. :func:`load_sweep` checks
all of it in one pass, like a scenario file, and builds every design point's
scenario through :func:`orgsim.scenario.loading.parse_scenario`, so a bad level is
refused before a run starts.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import logging
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import cattrs
import numpy as np

from orgsim.errors import Problem, ScenarioError
from orgsim.experiments.sweep.scale import apply_scale
from orgsim.metrics.catalogue import METRIC_NAMES
from orgsim.scenario.loading import (
    _describe,
    _read_toml,
    _unknown_key,
    load_scenario,
    parse_scenario,
)
from orgsim.scenario.loading import unstructure as unstructure_scenario
from orgsim.scenario.schema import Scenario

logger = logging.getLogger(__name__)

DESIGNS = ("grid", "lhs", "sobol", "morris")
TYPES = ("int", "float", "choice")
CRN = ("design", "point")
SCALE = "scale"
FAIL_ENV = "ORGSIM_FAIL_RUNS"
DEFAULT_METRICS = ("net_value", "value_shipped", "lead_time_p50", "conflicts_open_end")

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


def leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
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
        out.update(leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def get_path(tree: Any, path: str) -> Any:
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


def set_path(tree: Any, path: str, value: Any) -> None:
    """Set the value at an existing dotted path of a plain tree."""
    parts = path.split(".")
    parent = get_path(tree, ".".join(parts[:-1])) if len(parts) > 1 else tree
    last = parts[-1]
    if isinstance(parent, list):
        parent[int(last)] = value
    else:
        parent[last] = value


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
        known = sorted(leaves(tree))
        override_ok = True
        for path, value in overrides.items():
            if path == SCALE:
                continue
            try:
                get_path(tree, path)  # only what exists: no new keys, no typos
                set_path(tree, path, copy.deepcopy(value))
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
                extreme = point_tree(tree, {param.path: value}, fixed_scale)
                for found in _scenario_problems(extreme):
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
    paths = leaves(tree) if tree is not None else {}
    known = sorted(paths)
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
        param = _parameter(c, entry, where, paths, known, design, paired_sweep, tree is None)
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
