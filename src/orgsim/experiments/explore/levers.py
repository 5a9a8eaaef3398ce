"""The levers of an explore file: the policies compared, each a set of scenario settings.

A lever is what the company can choose: no broker, a VP PM alone, a VP PM with the
PM organisation's Directors, more mediators. Each ``[levers.NAME]`` table sets
dotted paths of the scenario over the base (``"broker.mediators" = 1``); an empty
table is the base as it is. Every lever's scenario is built and checked when the
file is read, so a value the schema refuses is reported where it was written.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import attrs

from orgsim.experiments.sweep.checks import (
    Check,
    flatten_overrides,
    scenario_problems,
    unknown_parameter,
)
from orgsim.experiments.sweep.parameter import SCALE
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.paths import MISSING, get_path, leaves, set_path
from orgsim.scenario.problems import expected
from orgsim.scenario.schema import Scenario

__all__ = ["Lever", "parse_levers"]


@attrs.frozen(kw_only=True)
class Lever:
    """One policy: settings over the base scenario.

    Attributes:
        name: The lever's name (the arm of its runs in the results database).
        settings: Dotted path to value, as the file sets them.
        scenario: The base (with its overrides) with the settings applied.
    """

    name: str
    settings: dict[str, Any] = attrs.field(factory=dict)
    scenario: Scenario = attrs.field(eq=False, repr=False)

    @property
    def broker(self) -> bool:
        """Whether the lever's company has the broker."""
        return self.scenario.broker.enabled

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the name, its settings and its scenario's digest."""
        return {
            "name": self.name,
            "settings": dict(self.settings),
            "broker": self.broker,
            "scenario_hash": self.scenario.digest(),
        }


def _name_problem(name: str) -> str | None:
    """Why a lever's name cannot be used (it names run keys and table columns)."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        return f"a lever's name uses letters, digits, '-' or '_'; got {name!r}"
    return None


def parse_levers(c: Check, raw: Any, tree: Mapping[str, Any] | None) -> list[Lever]:
    """Check the ``[levers]`` table and build each lever's scenario.

    Args:
        c: The pass collecting the file's problems.
        raw: The table as read (``MISSING`` when the file has none).
        tree: The base scenario's plain tree with the overrides applied; None when
            it could not be read (keys then go unchecked and no lever is built).

    Returns:
        The usable levers, in the file's order; fewer than two is a problem.
    """
    if raw is MISSING:
        c.add("levers", "missing: name at least two policies to compare, [levers.NAME] tables")
        return []
    if not isinstance(raw, Mapping):
        c.add("levers", expected("a table of [levers.NAME] tables", raw))
        return []
    if len(raw) < 2:
        c.add(
            "levers",
            f"{len(raw)} lever(s): explore compares policies, give at least two "
            '(e.g. [levers.no-broker] with "broker.enabled" = false, and [levers.vp])',
        )
    known = sorted(leaves(tree)) if tree is not None else []
    out: list[Lever] = []
    for name, table in raw.items():
        where = f"levers.{name}"
        problem = _name_problem(str(name))
        if problem is not None:
            c.add(where, problem)
            continue
        if not isinstance(table, Mapping):
            c.add(where, expected('a table of settings ("broker.mediators" = 1)', table))
            continue
        lever = _lever(c, str(name), flatten_overrides(table), tree, known)
        if lever is not None:
            out.append(lever)
    return out


def _lever(
    c: Check,
    name: str,
    settings: dict[str, Any],
    tree: Mapping[str, Any] | None,
    known: list[str],
) -> Lever | None:
    """One lever: its settings checked against the base and its scenario built."""
    where = f"levers.{name}"
    n_before = len(c.problems)
    if SCALE in settings:
        c.add(
            f"{where}.{SCALE}",
            "a lever is a policy the company chooses; its size is an uncertainty "
            "(put scale in [[uncertainties]] or [overrides])",
        )
    if tree is None:
        return None
    lever_tree = copy.deepcopy(dict(tree))
    for path, value in settings.items():
        if path == SCALE:
            continue
        try:
            get_path(lever_tree, path)
            set_path(lever_tree, path, copy.deepcopy(value))
        except (KeyError, ValueError, IndexError, TypeError):
            c.add(f"{where}.{path}", unknown_parameter(path, known))
    if len(c.problems) > n_before:
        return None
    problems = scenario_problems(lever_tree)
    for p in problems:
        c.add(f"{where}.{p.path}" if p.path else where, p.message)
    if problems:
        return None
    return Lever(name=name, settings=settings, scenario=parse_scenario(lever_tree))
