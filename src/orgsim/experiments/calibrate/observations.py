"""The observations file: a company's structure, what it measured, what to fit; one-pass checks.

A product leader knows some numbers of her company: how many people each
department has, last year's attrition, how long a hire takes, how many disputes
reached the CEO a quarter. The observations file (TOML) says so:

* ``days``: the window the statistics were measured over; calibration simulates
  that many days of the company (a year by default);
* ``broker``: whether a broker was in office while they were measured (no, by
  default: the company is deciding whether to appoint one);
* ``[structure]``: the company's structural inputs over the scenario's, by dotted
  path (``"departments.engineering.headcount" = 140``); a behavioural constant is
  refused there (it is fitted, or left at its documented value);
* ``[[observed]]``: each statistic, naming a metric of the catalogue
  (:mod:`orgsim.metrics.catalogue`), ``per = "run"`` (over the window, the
  default) or ``"quarter"`` (a flow divided by the window's quarters), its
  observed ``value`` and its measurement uncertainty ``sd`` (one standard
  deviation: the distance scales each statistic by it);
* ``[[fit]]``: the parameters to fit, with the keys of an explore file's
  ``[[uncertainties]]`` (:mod:`orgsim.experiments.explore.uncertainties`): the
  documented plausible range is the prior unless ``low`` and ``high`` are given,
  and a prior outside the schema's range is refused. Without ``[[fit]]``, every
  behavioural constant the observed company uses is fitted (the broker's too
  only when one was in office);
* ``[abc]``: population size, the adaptive threshold's quantile and the stopping
  rule (:class:`AbcSettings`);
* ``[truth]``: optional, the true values when the observations were simulated
  from known parameters (the bundled example), for the recovery table.

Everything is checked before anything runs, every problem with its dotted path,
and an observation no run could produce (a share above 1, a negative count, a
lead time longer than the window) is refused as such.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from orgsim.errors import Problem, ScenarioError
from orgsim.experiments.explore.uncertainties import Uncertainty, parse_uncertainties
from orgsim.experiments.files import open_check, read_overrides, sourced
from orgsim.experiments.sweep.checks import Check, flatten_overrides
from orgsim.metrics.catalogue import METRIC_NAMES, metric
from orgsim.scenario.convert import unstructure
from orgsim.scenario.files import bundled_observations, read_toml
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.paths import MISSING, leaves
from orgsim.scenario.problems import expected, nearest, unknown_key
from orgsim.scenario.schema import MAX_SEED, Scenario
from orgsim.scenario.uncertainty import Uncertain, uncertain_parameters

__all__ = [
    "PER",
    "AbcSettings",
    "Observation",
    "Observed",
    "calibration_scenario",
    "load_observations",
    "parse_observations",
]

PER = ("run", "quarter")
"""How a statistic is taken: over the whole window, or per quarter of it."""

DEFAULT_DAYS = 365.0
"""The window a company reports its numbers over: last year."""

_TOP_KEYS = (
    "name",
    "description",
    "days",
    "broker",
    "seed",
    "structure",
    "observed",
    "fit",
    "abc",
    "truth",
)
_OBSERVED_KEYS = ("metric", "value", "sd", "per", "note")
_ABC_KEYS = (
    "population",
    "generations",
    "min_epsilon",
    "max_simulations",
    "quantile",
    "min_acceptance",
)
# Units whose metric sums events over the window: per quarter is the sum's rate
# (days are durations, not sums: a lead time per quarter means nothing).
_FLOW_UNITS = ("count", "k$", "hours")
_LEVEL_SUFFIXES = ("_end", "_min", "_mean", "_p50", "_p90", "_share", "_rate", "_hhi")
_NONNEGATIVE_UNITS = ("count", "days", "hours", "people", "features", "person-days", "1/year")


@attrs.frozen(kw_only=True)
class Observation:
    """One observed statistic.

    Attributes:
        metric: A metric of the catalogue.
        value: What the company measured.
        sd: Its measurement uncertainty, one standard deviation (> 0).
        per: ``run`` (over the window) or ``quarter`` (a flow per quarter).
        note: Where the number comes from.
    """

    metric: str
    value: float
    sd: float
    per: str = "run"
    note: str = ""

    @property
    def name(self) -> str:
        """The statistic's name: the metric, with ``_per_quarter`` for a rate."""
        return self.metric if self.per == "run" else f"{self.metric}_per_quarter"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (provenance, JSON)."""
        return {
            "metric": self.metric,
            "per": self.per,
            "value": self.value,
            "sd": self.sd,
            "note": self.note,
        }


@attrs.frozen(kw_only=True)
class AbcSettings:
    """ABC-SMC's population and stopping rule.

    Attributes:
        population: Accepted particles per generation.
        generations: Most generations (the prior sample that sets the first
            threshold aside).
        min_epsilon: Stop once the threshold is at or below this distance. The
            distance is the root mean square of the statistics' errors in units of
            their measurement uncertainty, so 1 means "within one standard
            deviation on average".
        max_simulations: Stop once this many simulations have been made in all.
        quantile: Each generation's threshold is this quantile of the previous
            generation's distances (pyabc's ``QuantileEpsilon`` alpha).
        min_acceptance: Stop when a generation accepts fewer than this share.
    """

    population: int = 100
    generations: int = 8
    min_epsilon: float = 1.0
    max_simulations: int = 20_000
    quantile: float = 0.5
    min_acceptance: float = 0.01

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class Observed:
    """A validated observations file, resolved against its scenario.

    Attributes:
        name: Its name (default: the file's stem).
        description: One line.
        days: The window the statistics were measured over.
        broker: Whether a broker was in office then.
        seed: Root seed of the calibration.
        structure: The company's structural inputs, dotted path to value.
        observations: The statistics, in the file's order.
        fit: The parameters fitted, with their priors.
        abc: Population and stopping rule.
        truth: Known true values by path (when the observations were simulated).
        scenario: The scenario as calibration simulates it: the base with the
            structure, the broker setting and the window applied.
        source: The file it came from.
    """

    name: str
    description: str = ""
    days: float = DEFAULT_DAYS
    broker: bool = False
    seed: int = 1
    structure: dict[str, Any] = attrs.field(factory=dict)
    observations: tuple[Observation, ...]
    fit: tuple[Uncertainty, ...]
    abc: AbcSettings = attrs.field(factory=AbcSettings)
    truth: dict[str, float] = attrs.field(factory=dict)
    scenario: Scenario = attrs.field(eq=False, repr=False)
    source: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The fitted parameters' paths."""
        return tuple(u.path for u in self.fit)

    @property
    def observed(self) -> dict[str, float]:
        """Each statistic's observed value, by statistic name."""
        return {o.name: o.value for o in self.observations}

    def to_dict(self) -> dict[str, Any]:
        """Plain data: everything that defines the calibration, and the truth."""
        return {
            "name": self.name,
            "description": self.description,
            "days": self.days,
            "broker": self.broker,
            "seed": self.seed,
            "structure": dict(self.structure),
            "observed": [o.to_dict() for o in self.observations],
            "fit": [u.to_dict() for u in self.fit],
            "abc": self.abc.to_dict(),
            "truth": dict(self.truth),
            "scenario_hash": self.scenario.digest(),
            "source": self.source,
        }

    def digest(self) -> str:
        """Hash of what decides the calibration's simulations and its target.

        The stopping rule is left out: resuming with more generations or a lower
        ``min_epsilon`` continues the same calibration.
        """
        doc = self.to_dict()
        for key in ("name", "description", "truth", "source"):
            doc.pop(key)
        doc["abc"] = {k: doc["abc"][k] for k in ("population", "quantile")}
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def calibration_scenario(base: Scenario, days: float, broker: bool) -> Scenario:
    """The company as observed: ``base`` over the observation window, broker as it was."""
    return attrs.evolve(base.with_broker(broker), horizon=float(days))


# ------------------------------------------------------------------ reading


def load_observations(path: str | os.PathLike[str], scenario: Scenario) -> Observed:
    """Read and check an observations file against the scenario it observes.

    Raises:
        ScenarioError: A TOML syntax error (with its line and column), or every
            problem of the file, each with its dotted path.
    """
    file = Path(path)
    if not file.is_file() and not file.suffix and file.name in bundled_observations():
        file = bundled_observations()[file.name]
    if not file.is_file():
        shipped = ", ".join(bundled_observations()) or "none"
        raise ScenarioError(
            [Problem("", f"no such observations file: {file} (bundled ones: {shipped})")]
        )
    data = read_toml(file, what="observations file")
    return parse_observations(data, scenario, source=str(file))


def parse_observations(data: object, scenario: Scenario, *, source: str = "") -> Observed:
    """Check an observations file's plain data in one pass (see the module docstring)."""
    with sourced(source):
        return _parse(data, scenario, source)


def _parse(data: object, base: Scenario, source: str) -> Observed:
    c, table = open_check(data, _TOP_KEYS)
    name = Path(source).stem if source else "observed"
    name = c.string(table, "name", "name", name) or name
    description = c.string(table, "description", "description", "")
    days = _days(c, table)
    broker = c.boolean(table, "broker", "broker", False)
    seed = c.integer(table, "seed", "seed", base.seed, ge=0, le=MAX_SEED)
    structure, scenario = _structure(c, table, base)
    # With a broken [structure], the fit is still checked, against the scenario as given.
    company = calibration_scenario(scenario or base, days, broker)
    observations = _observations(c, table.get("observed", MISSING), days)
    fit = _fit(c, table.get("fit", MISSING), company, broker)
    abc = _abc(c, table.get("abc", {}))
    truth = _truth(c, table.get("truth", {}), fit)
    if c.problems:
        raise ScenarioError(c.problems)
    return Observed(
        name=name,
        description=description,
        days=days,
        broker=broker,
        seed=seed,
        structure=structure,
        observations=tuple(observations),
        fit=tuple(fit),
        abc=abc,
        truth=truth,
        scenario=company,
        source=source,
    )


def _days(c: Check, table: Mapping[str, Any]) -> float:
    if "days" not in table:
        return DEFAULT_DAYS
    days = c.number(table["days"], "days")
    if days is None:
        return DEFAULT_DAYS
    if days < 1:
        c.add("days", f"the observation window must be at least a day, got {table['days']!r}")
        return DEFAULT_DAYS
    return days


def _structure(
    c: Check, table: Mapping[str, Any], base: Scenario
) -> tuple[dict[str, Any], Scenario | None]:
    """The ``[structure]`` settings and the scenario with them, structural paths only."""
    raw = table.get("structure", {})
    inner = Check()
    overrides, _, tree = read_overrides(inner, {"overrides": raw}, unstructure(base))
    for p in inner.problems:
        c.add("structure" + p.path.removeprefix("overrides"), p.message)
    behavioural = {u.path for u in uncertain_parameters(base)}
    for path in overrides:
        if path in behavioural:
            c.add(
                f"structure.{path}",
                "is a behavioural constant, not the company's structure: fit it ([[fit]]) "
                "or leave it at its documented value",
            )
        elif path.split(".")[0] == "broker" and path != "broker.mediators":
            c.add(f"structure.{path}", "the broker is not the company's structure (see broker)")
    if tree is None or c.problems:
        return overrides, None
    return overrides, parse_scenario(tree)


def _observations(c: Check, raw: Any, days: float) -> list[Observation]:
    if raw is MISSING or (isinstance(raw, list) and not raw):
        c.add("observed", "none: give at least one [[observed]] statistic to calibrate to")
        return []
    if not isinstance(raw, list):
        c.add("observed", expected("an array of tables ([[observed]])", raw))
        return []
    out: list[Observation] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        where = f"observed.{i}"
        if not isinstance(entry, Mapping):
            c.add(where, expected("a table", entry))
            continue
        found = _observation(c, entry, where, days)
        if found is None:
            continue
        if found.name in seen:
            c.add(f"{where}.metric", f"'{found.name}' is already observed.{seen[found.name]}")
            continue
        seen[found.name] = i
        out.append(found)
    return out


def _observation(c: Check, entry: Mapping[str, Any], where: str, days: float) -> Observation | None:
    before = len(c.problems)
    for key in entry:
        if key not in _OBSERVED_KEYS:
            c.add(f"{where}.{key}", unknown_key(str(key), _OBSERVED_KEYS))
    name = _metric_name(c, entry, where)
    per = c.choice(entry, "per", f"{where}.per", "run", PER)
    note = c.string(entry, "note", f"{where}.note", "")
    value = _required_number(c, entry, "value", where)
    sd = _required_number(c, entry, "sd", where)
    if sd is not None and sd <= 0:
        c.add(f"{where}.sd", f"a measurement uncertainty must be > 0, got {entry['sd']!r}")
    if name is not None and per == "quarter" and not _is_flow(name):
        c.add(
            f"{where}.per",
            f"'{name}' is not a sum over the window (a level, a share or a percentile): "
            "it has no per-quarter rate; observe it per run",
        )
    if name is not None and value is not None:
        for message in _impossible(name, value, days):
            c.add(f"{where}.value", message)
    if len(c.problems) > before or name is None or value is None or sd is None:
        return None
    return Observation(metric=name, value=value, sd=sd, per=per, note=note)


def _metric_name(c: Check, entry: Mapping[str, Any], where: str) -> str | None:
    if "metric" not in entry:
        c.add(f"{where}.metric", "missing: the catalogue metric observed (e.g. attrition_rate)")
        return None
    name = entry["metric"]
    if not isinstance(name, str):
        c.add(f"{where}.metric", expected("a string", name))
        return None
    if name in METRIC_NAMES:
        return name
    base = name.removesuffix("_per_quarter")
    hint = ""
    if base != name and base in METRIC_NAMES:
        hint = f"; write metric = '{base}' with per = 'quarter'"
    elif (near := nearest(name, METRIC_NAMES)) is not None:
        hint = f"; did you mean '{near}'?"
    c.add(
        f"{where}.metric",
        f"unknown metric '{name}'{hint} (the metrics are listed in docs/model.md, 'Metrics')",
    )
    return None


def _required_number(c: Check, entry: Mapping[str, Any], key: str, where: str) -> float | None:
    if key not in entry:
        c.add(f"{where}.{key}", f"missing: the observation's {key}")
        return None
    return c.number(entry[key], f"{where}.{key}")


def _is_flow(name: str) -> bool:
    """Whether a metric sums events over the window (so it has a rate per quarter)."""
    return metric(name).unit in _FLOW_UNITS and not name.endswith(_LEVEL_SUFFIXES)


def _impossible(name: str, value: float, days: float) -> list[str]:
    """Why no run could produce this value of the metric (empty when one could)."""
    m = metric(name)
    out = []
    if m.unit in _NONNEGATIVE_UNITS and value < 0:
        out.append(f"{name} is a {m.unit} and cannot be negative, got {value!r}")
    if m.unit == "share" and not 0 <= value <= 1:
        out.append(f"{name} is a share from 0 to 1, got {value!r}")
    if (
        m.unit == "days"
        and (name.endswith(("_p50", "_p90", "_mean")) or name == "time_to_hire")
        and value > days
    ):
        out.append(
            f"{name} of {value:g} days is longer than the {days:g}-day window: within it no "
            "run measures so long a time"
        )
    return out


def _fit(c: Check, raw: Any, company: Scenario, broker: bool) -> list[Uncertainty]:
    """The fitted parameters: the file's ``[[fit]]``, else every behavioural constant used."""
    documented = {u.path: u for u in uncertain_parameters(company)}
    if raw is MISSING:
        return [_default_prior(u) for u in documented.values() if broker or _not_broker(u)]
    tree_leaves = leaves(unstructure(company))
    inner = Check()
    found = parse_uncertainties(inner, raw, tree_leaves, documented, {})
    for p in inner.problems:
        c.add("fit" + p.path.removeprefix("uncertainties"), p.message)
    out = [u for _, u in found]
    for i, u in found:
        if u.path == "scale":
            c.add(f"fit.{i}.path", "scale is the company's size, which [structure] states")
        elif u.path not in documented:
            c.add(
                f"fit.{i}.path",
                f"'{u.path}' is not a behavioural constant of the company (structural inputs "
                "are stated in [structure])",
            )
        else:
            _inside_schema(c, f"fit.{i}", u, company)
    return out


def _not_broker(u: Uncertain) -> bool:
    return not u.path.startswith("broker.")


def _default_prior(u: Uncertain) -> Uncertainty:
    """A documented constant's prior: uniform over its plausible range."""
    return Uncertainty(
        path=u.path,
        low=u.low,
        high=u.high,
        integer=u.integer,
        source=u.source,
        target=u,
    )


def _inside_schema(c: Check, where: str, u: Uncertainty, company: Scenario) -> None:
    """A prior's ends must make valid scenarios (the schema's own ranges)."""
    assert u.target is not None
    for end, value in u.extremes():
        try:
            parse_scenario(unstructure(u.target.apply(company, float(value))))
        except ScenarioError as exc:
            for p in exc.problems:
                c.add(f"{where}.{end}", f"{value!r} is outside what the model accepts: {p}")


def _abc(c: Check, raw: Any) -> AbcSettings:
    if not isinstance(raw, Mapping):
        c.add("abc", expected("a table", raw))
        return AbcSettings()
    for key in raw:
        if key not in _ABC_KEYS:
            c.add(f"abc.{key}", unknown_key(str(key), _ABC_KEYS))
    d = AbcSettings()
    population = c.integer(
        raw, "population", "abc.population", d.population, ge=10, why="a KDE needs particles"
    )
    generations = c.integer(raw, "generations", "abc.generations", d.generations, ge=1)
    max_sims = c.integer(
        raw, "max_simulations", "abc.max_simulations", d.max_simulations, ge=population
    )
    numbers = {}
    for key, low, high in (
        ("min_epsilon", 0.0, math.inf),
        ("quantile", 0.05, 0.95),
        ("min_acceptance", 0.0, 1.0),
    ):
        value = getattr(d, key)
        if key in raw:
            got = c.number(raw[key], f"abc.{key}")
            if got is not None and not low <= got <= high:
                c.add(f"abc.{key}", f"must be from {low:g} to {high:g}, got {raw[key]!r}")
            elif got is not None:
                value = got
        numbers[key] = value
    return AbcSettings(
        population=population, generations=generations, max_simulations=max_sims, **numbers
    )


def _truth(c: Check, raw: Any, fit: Sequence[Uncertainty]) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        c.add("truth", expected("a table of known values by dotted path", raw))
        return {}
    names = [u.path for u in fit]
    out = {}
    for path, value in flatten_overrides(raw).items():
        number = c.number(value, f"truth.{path}")
        if path not in names:
            c.add(f"truth.{path}", unknown_key(path, names) + " (a fitted parameter)")
        elif number is not None:
            out[path] = number
    return out
