"""Regenerate the parameter reference in ``docs/model.md`` from the scenario classes.

The reference is the block between ``<!-- params:start -->`` and
``<!-- params:end -->``. It is written from :class:`orgsim.scenario.schema.Scenario` alone:
``attrs.fields`` gives each parameter, its default and the ``doc``, ``ge``, ``gt``,
``le``, ``lt`` and ``choices`` in its metadata; nested sections, the
``departments`` and ``conflicts.kinds`` tables and the ``delivery.stages`` list are
walked the same way. The list of metrics, between ``<!-- metrics:start -->`` and
``<!-- metrics:end -->``, is written from :data:`orgsim.metrics.catalogue.METRICS`. Run it
after changing a parameter or a metric::

    python docs/gen_params.py          # rewrite docs/model.md
    python docs/gen_params.py --check  # exit 1 if docs/model.md is out of date

``tests/scenario/test_docs.py`` runs :func:`regenerate` in memory and fails when a block in
the file differs.
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

DOCS = Path(__file__).resolve().parent
MODEL_MD = DOCS / "model.md"
START = "<!-- params:start -->"
END = "<!-- params:end -->"
METRICS_START = "<!-- metrics:start -->"
METRICS_END = "<!-- metrics:end -->"

try:
    from orgsim.scenario.distributions import Dist
    from orgsim.scenario.grounding import ASSUMED, SOURCES, grounding_of
    from orgsim.scenario.schema import Broker, ConflictKind, Scenario, Stage
except ModuleNotFoundError:  # run from a checkout without PYTHONPATH=src
    sys.path.insert(0, str(DOCS.parent / "src"))
    from orgsim.scenario.distributions import Dist
    from orgsim.scenario.grounding import ASSUMED, SOURCES, grounding_of
    from orgsim.scenario.schema import Broker, ConflictKind, Scenario, Stage

# Fields that name a department; Scenario.check() holds them to enabled ones.
_DEPARTMENT_REFS = {
    (Stage, "department"),
    (ConflictKind, "initiator"),
    (ConflictKind, "target"),
    (Broker, "department"),
}

# Placeholder written for a table key in a generic dotted path.
_PLACEHOLDERS = {"departments": "<name>", "kinds": "<kind>"}


# ------------------------------------------------------------------ formatting


def num(x: float) -> str:
    """A number as a person writes it: ``45`` rather than ``45.0``, ``100000``."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def dist_text(d: Dist) -> str:
    """A distribution as ``lognormal(mean=45, cv=0.6)``."""
    params = [
        f"{f.name}={num(v)}"
        for f in attrs.fields(Dist)
        if f.name != "kind" and (v := getattr(d, f.name)) is not None
    ]
    return f"{d.kind}({', '.join(params)})"


def value_text(value: Any) -> str:
    """A default value for a table cell (code-formatted)."""
    if isinstance(value, Dist):
        return f"`{dist_text(value)}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, bool | int | float):
        return f"`{num(value)}`"
    raise TypeError(f"no cell format for {type(value).__name__}: {value!r}")


def range_text(cls: type, field: attrs.Attribute[Any], hint: Any) -> str:
    """The valid range of a field, from its type and metadata."""
    meta: Mapping[str, Any] = field.metadata
    if "choices" in meta:
        return "one of " + ", ".join(f"`{c}`" for c in meta["choices"])
    if hint is bool:
        return "`true` or `false`"
    if hint is Dist:
        return "distribution"
    if hint is str:
        return "an enabled department" if (cls, field.name) in _DEPARTMENT_REFS else "text"
    low = ("[", meta["ge"]) if "ge" in meta else ("(", meta["gt"]) if "gt" in meta else None
    high = (meta["le"], "]") if "le" in meta else (meta["lt"], ")") if "lt" in meta else None
    if low and high:
        text = f"{low[0]}{num(low[1])}, {num(high[0])}{high[1]}"
    elif low:
        text = ("≥ " if low[0] == "[" else "> ") + num(low[1])
    elif high:
        text = ("≤ " if high[1] == "]" else "< ") + num(high[0])
    else:
        text = "any"
    return f"integer {text}" if hint is int else text


def cell(text: str) -> str:
    """Escape a table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


# ------------------------------------------------------------------ walking


def fields(cls: type) -> list[attrs.Attribute[Any]]:
    """The parameter fields of a class: not a schedule of changes (``interventions``).

    Interventions are when and what a company changes during the run, documented in
    model.md's own section, not parameters with a default and a range.
    """
    return [f for f in attrs.fields(cls) if not f.metadata.get("schedule")]


def hints(cls: type) -> dict[str, Any]:
    """Resolved type hints of an attrs class (annotations are strings here)."""
    return typing.get_type_hints(cls)


def is_section(hint: Any) -> bool:
    """Whether a type hint is a nested attrs class other than a distribution."""
    return isinstance(hint, type) and attrs.has(hint) and hint is not Dist


def container(hint: Any) -> tuple[type | None, Any]:
    """``(dict or list, element class)`` for a table or list field, else ``(None, None)``."""
    origin = typing.get_origin(hint)
    if origin is dict:
        return dict, typing.get_args(hint)[1]
    if origin is list:
        return list, typing.get_args(hint)[0]
    return None, None


def grounding_cells(cls: type, name: str) -> tuple[str, str]:
    """``(plausible, source)`` of a field: its range and where its default comes from."""
    g = grounding_of(cls, name)
    if g is None:
        return "—", "—"
    if g.structural:
        return "structural", "your company"
    source = g.source if g.source == ASSUMED else f"[{g.source}](#source-{g.source})"
    return g.describe(), f"{source}: {g.note}" if g.note else source


def leaf_rows(cls: type, obj: Any, prefix: str) -> Iterator[tuple[str, ...]]:
    """``(path, default, range, plausible, source, meaning)`` for each scalar or distribution."""
    types = hints(cls)
    for f in fields(cls):
        hint = types[f.name]
        if is_section(hint) or container(hint)[0] is not None:
            continue
        yield (
            f"`{prefix}{f.name}`",
            value_text(getattr(obj, f.name)),
            range_text(cls, f, hint),
            *grounding_cells(cls, f.name),
            f.metadata.get("doc", ""),
        )


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    """A Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return out


HEADER = ("dotted path", "default", "range", "plausible", "source", "meaning")


def used(entry: Any, field: attrs.Attribute[Any]) -> bool:
    """Whether an entry uses a field (:meth:`ConflictKind.uses`; every other entry does)."""
    return entry.uses(field.name) if isinstance(entry, ConflictKind) else True


def entries_matrix(cls: type, entries: Mapping[str, Any], key_label: str) -> list[str]:
    """Defaults of each entry of a table (or list), one column per entry.

    A field that an entry's ``effect`` does not use shows as ``—``.
    """
    names = list(entries)
    rows = [
        (
            f"`{f.name}`",
            *(
                value_text(getattr(entries[n], f.name)) if used(entries[n], f) else "—"
                for n in names
            ),
        )
        for f in attrs.fields(cls)
    ]
    return table(rows, (key_label, *(f"`{n}`" for n in names)))


def section(name: str, cls: type, obj: Any, prefix: str, doc: str) -> list[str]:
    """The reference of one section: its own fields, then its tables and lists."""
    out = [f"### `{name}`" if name else "### Top level", ""]
    if doc:
        out += [doc[0].upper() + doc[1:] + ".", ""]
    rows = list(leaf_rows(cls, obj, prefix))
    types = hints(cls)
    for f in fields(cls):
        kind, _ = container(types[f.name])
        if kind is not None:
            what = "table of entries" if kind is dict else "list"
            rows.append(
                (
                    f"`{prefix}{f.name}`",
                    f"{len(getattr(obj, f.name))} entries",
                    what,
                    "—",
                    "—",
                    f.metadata.get("doc", "") + " (below)",
                )
            )
    if rows:
        out += [*table(rows, HEADER), ""]
    for f in fields(cls):
        hint = types[f.name]
        kind, item = container(hint)
        if kind is None:
            continue
        value = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        if kind is dict:
            placeholder = _PLACEHOLDERS.get(f.name, "<key>")
            keys = ", ".join(f"`{path}.{k}`" for k in value)
            out += [
                f"#### `{path}.{placeholder}`",
                "",
                f"Each entry of `[{path}.{placeholder}]` is merged over the default entry of "
                f"that name, or over the defaults below for a new name; an entry cannot be "
                f"removed, only switched off with `enabled = false`. Default entries: {keys}.",
                "",
                *table(list(leaf_rows(item, item(), f"{path}.{placeholder}.")), HEADER),
                "",
                f"Defaults of the entries of `{path}`"
                + (
                    " (— marks a field the entry's `effect` does not use):"
                    if "effect" in attrs.fields_dict(item)
                    else ":"
                ),
                "",
                *entries_matrix(item, value, "field"),
                "",
            ]
        else:
            indices = {str(i): v for i, v in enumerate(value)}
            out += [
                f"#### `{path}.<i>`",
                "",
                f"`[[{path}]]` replaces the whole list; each element is merged over the "
                f"defaults below. A stage's department must be enabled and stage names "
                f"must not repeat. Features flow through the stages in list order.",
                "",
                *table(list(leaf_rows(item, item(), f"{path}.<i>.")), HEADER),
                "",
                f"The default list (`{path}.0` to `{path}.{len(value) - 1}`):",
                "",
                *entries_matrix(item, indices, "field"),
                "",
            ]
    return out


def render() -> str:
    """The whole generated block (without the markers)."""
    sc = Scenario()
    out = [
        "<!-- Generated by `python docs/gen_params.py` from src/orgsim/scenario/schema.py;"
        " do not edit by hand. -->",
        "",
        "Units: days, k$ (thousands of dollars), rates per year where the meaning says so. "
        "Ranges are inclusive where written `[`/`]`, exclusive where `(`/`)`.",
        "",
    ]
    out += section("", Scenario, sc, "", "")
    types = hints(Scenario)
    for f in fields(Scenario):
        hint = types[f.name]
        if is_section(hint):
            out += section(f.name, hint, getattr(sc, f.name), f"{f.name}.", f.metadata["doc"])
    out += ["### Distribution parameters", ""]
    rows = [
        (
            f"`{f.name}`",
            value_text(f.default) if f.default is not None else "unset",
            range_text(Dist, f, hints(Dist)[f.name]),
            "",
        )
        for f in attrs.fields(Dist)
    ]
    meaning = {
        "kind": "which distribution",
        "mean": "mean (all kinds but uniform); the value for deterministic",
        "cv": "coefficient of variation, sd / mean (lognormal, gamma)",
        "low": "lower bound (uniform)",
        "high": "upper bound (uniform), at least low",
    }
    rows = [(r[0], r[1], r[2], meaning.get(r[0].strip("`"), "")) for r in rows]
    out += [*table(rows, ("field", "default", "range", "meaning")), ""]
    out += sources()
    return "\n".join(out).rstrip("\n") + "\n"


def _schema_classes() -> list[type]:
    """Every attrs class of the scenario's tree, once each, outermost first."""
    seen: list[type] = []
    todo: list[type] = [Scenario]
    while todo:
        cls = todo.pop(0)
        if cls in seen:
            continue
        seen.append(cls)
        types = hints(cls)
        for hint in (types[f.name] for f in fields(cls)):
            item = container(hint)[1] if container(hint)[0] is not None else hint
            if is_section(item):
                todo.append(item)
    return seen


def sources() -> list[str]:
    """The published sources the defaults cite, each with an anchor the tables link to."""
    out = [
        "### Sources of the defaults",
        "",
        "*plausible* is the range an uncertainty analysis explores (`×` ranges multiply "
        "the scenario's own value; a distribution's range is on its mean); *structural* "
        "inputs describe the company and are yours to set; *assumed* defaults rest on no "
        "published figure. `orgsim.scenario.uncertainty.uncertain_parameters(scenario)` "
        "lists the same for any scenario. The research notes behind the sources, with "
        "the passages quoted and what could not be verified, are in "
        "[docs/sources.md](sources.md).",
        "",
    ]
    kinds = [grounding_of(cls, f.name) for cls in _schema_classes() for f in fields(cls)]
    numbers = [g for g in kinds if g is not None]
    behavioural = [g for g in numbers if not g.structural]
    cited = [g for g in behavioural if g.source != ASSUMED]
    out += [
        f"Of the schema's {len(numbers)} numbers, {len(numbers) - len(behavioural)} are "
        f"structural; of the {len(behavioural)} behavioural constants, {len(cited)} cite "
        f"a source below and {len(behavioural) - len(cited)} are assumed.",
        "",
    ]
    for key, text in SOURCES.items():
        out += [f'- <a id="source-{key}"></a>**{key}**: {text}']
    return [*out, ""]


def render_metrics() -> str | None:
    """The metrics block, from :data:`orgsim.metrics.catalogue.METRICS`; None without it."""
    try:
        from orgsim.metrics.catalogue import GROUPS, METRICS
    except ModuleNotFoundError as exc:
        if exc.name != "orgsim.metrics.catalogue":
            raise
        return None
    out = [
        "<!-- Generated by `python docs/gen_params.py` from src/orgsim/metrics/catalogue.py;"
        " do not edit by hand. -->",
        "",
    ]
    better = {"higher": "higher", "lower": "lower", "": "—"}
    for group in GROUPS:
        rows = [
            (f"`{m.name}`", m.unit, better[m.better], m.doc) for m in METRICS if m.group == group
        ]
        if rows:
            out += [f"**{group.capitalize()}**", ""]
            out += [*table(rows, ("metric", "unit", "better", "meaning")), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def update(text: str, block: str, start: str = START, end: str = END) -> str:
    """``text`` with the part between the markers ``start`` and ``end`` replaced by ``block``."""
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"{MODEL_MD} needs the markers {start} and {end}, in that order")
    return text[: i + len(start)] + "\n" + block + text[j:]


def regenerate(text: str) -> str:
    """``text`` (docs/model.md) with every generated block brought up to date.

    The metrics block is rewritten only when both the markers and
    :mod:`orgsim.metrics.catalogue` exist.
    """
    text = update(text, render())
    metrics = render_metrics()
    if metrics is not None and METRICS_START in text:
        text = update(text, metrics, METRICS_START, METRICS_END)
    return text


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check``, verify) the reference in docs/model.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether up to date")
    args = parser.parse_args(argv)
    text = MODEL_MD.read_text(encoding="utf-8")
    new = regenerate(text)
    if args.check:
        if new != text:
            sys.stderr.write(f"{MODEL_MD} is out of date: run python docs/gen_params.py\n")
            return 1
        return 0
    if new != text:
        MODEL_MD.write_text(new, encoding="utf-8")
        sys.stderr.write(f"updated {MODEL_MD}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
