"""docs/model.md stays true to the code and to the seed text.

* The generated blocks (parameter reference, metrics) match what
  ``docs/gen_params.py`` would write now.
* Every dotted parameter path of :class:`orgsim.scenario.Scenario` appears, found by
  a walk of the attrs classes written independently of the generator.
* Every blockquote marked ``seed:`` is a verbatim passage of the seed text.
"""

from __future__ import annotations

import importlib.util
import re
import typing
from pathlib import Path
from types import ModuleType

import attrs
import pytest

from orgsim.scenario.distributions import Dist
from orgsim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[2]
MODEL_MD = ROOT / "docs" / "model.md"
GEN_PARAMS = ROOT / "docs" / "gen_params.py"
SEED_CANDIDATES = (
    Path("/work/shared/seed/vp-product-management.txt"),
    ROOT / "seed" / "vp-product-management.txt",
)
PLACEHOLDERS = {"departments": "<name>", "kinds": "<kind>"}


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_params", GEN_PARAMS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def doc() -> str:
    return MODEL_MD.read_text(encoding="utf-8")


# ------------------------------------------------------------ generated blocks


def test_generated_blocks_are_up_to_date(doc: str) -> None:
    gen = load_generator()
    assert gen.START in doc and gen.END in doc
    expected = gen.regenerate(doc)
    assert expected == doc, (
        "docs/model.md is out of date with src/orgsim/scenario.py or projections.py: "
        "run `python docs/gen_params.py`"
    )


def test_params_block_is_not_empty(doc: str) -> None:
    gen = load_generator()
    block = doc[doc.index(gen.START) : doc.index(gen.END)]
    assert "`broker.mediators`" in block
    assert "lognormal(mean=" in block


def test_metrics_are_listed(doc: str) -> None:
    catalogue = pytest.importorskip("orgsim.metrics.catalogue")
    missing = [m.name for m in catalogue.METRICS if f"`{m.name}`" not in doc]
    assert not missing, f"metrics missing from docs/model.md: {missing}"


def test_distribution_format() -> None:
    gen = load_generator()
    from orgsim.scenario.distributions import gamma, lognormal, uniform

    assert gen.dist_text(lognormal(45.0, 0.6)) == "lognormal(mean=45, cv=0.6)"
    assert gen.dist_text(uniform(90.0, 270.0)) == "uniform(low=90, high=270)"
    assert gen.dist_text(gamma(12.5, 0.5)) == "gamma(mean=12.5, cv=0.5)"


def test_update_replaces_only_the_block() -> None:
    gen = load_generator()
    text = f"before\n{gen.START}\nold\n{gen.END}\nafter\n"
    assert gen.update(text, "new\n") == f"before\n{gen.START}\nnew\n{gen.END}\nafter\n"
    with pytest.raises(ValueError, match="markers"):
        gen.update("no markers here", "x")


# ------------------------------------------------------------ parameter paths


def parameter_paths(cls: type, prefix: str = "") -> list[str]:
    """Leaf dotted paths; table keys and list indices as placeholders."""
    hints = typing.get_type_hints(cls)
    out: list[str] = []
    for field in attrs.fields(cls):
        if field.metadata.get("schedule"):
            continue  # interventions: documented in their own section
        hint = hints[field.name]
        path = f"{prefix}{field.name}"
        origin = typing.get_origin(hint)
        if origin is dict:
            item = typing.get_args(hint)[1]
            out += parameter_paths(item, f"{path}.{PLACEHOLDERS.get(field.name, '<key>')}.")
        elif origin is list:
            out += parameter_paths(typing.get_args(hint)[0], f"{path}.<i>.")
        elif attrs.has(hint) and hint is not Dist:
            out += parameter_paths(hint, f"{path}.")
        else:
            out.append(path)
    return out


def test_parameter_paths_found() -> None:
    paths = parameter_paths(Scenario)
    assert "departments.<name>.bias" in paths
    assert "conflicts.kinds.<kind>.surfacing" in paths
    assert "delivery.stages.<i>.effort" in paths
    assert "broker.queue_limit" in paths
    assert len(paths) > 60


def test_every_parameter_path_is_documented(doc: str) -> None:
    missing = [p for p in parameter_paths(Scenario) if f"`{p}`" not in doc]
    assert not missing, (
        f"parameters missing from docs/model.md: {missing}; run `python docs/gen_params.py`"
    )


def test_every_default_entry_is_documented(doc: str) -> None:
    sc = Scenario()
    prefixes = [f"departments.{n}" for n in sc.departments]
    prefixes += [f"conflicts.kinds.{n}" for n in sc.conflicts.kinds]
    missing = [p for p in prefixes if f"`{p}`" not in doc]
    assert not missing, f"default entries missing from docs/model.md: {missing}"


# ------------------------------------------------------------ seed quotes

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})


def normalise(text: str) -> str:
    """Straight quotes, single spaces, no surrounding blanks."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip()


def seed_quotes(markdown: str) -> list[str]:
    """Blockquotes whose previous non-blank line ends with ``seed:``."""
    lines = markdown.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].strip().lower().endswith("seed:"):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            quote: list[str] = []
            while j < len(lines) and lines[j].lstrip().startswith(">"):
                quote.append(lines[j].lstrip()[1:])
                j += 1
            if quote:
                out.append(" ".join(quote))
            i = j
        else:
            i += 1
    return out


def test_seed_quote_parser() -> None:
    text = "seed:\n> one\n> two\n\n  seed:\n  > three\n\nnot a seed\n> four\n"
    assert seed_quotes(text) == [" one  two", " three"]


def test_seed_quotes_are_verbatim(doc: str) -> None:
    seed = next((p for p in SEED_CANDIDATES if p.exists()), None)
    if seed is None:
        pytest.skip("seed text not available")
    source = normalise(seed.read_text(encoding="utf-8"))
    quotes = seed_quotes(doc)
    assert len(quotes) >= 8, f"expected the seed quoted throughout, found {len(quotes)} quotes"
    wrong = [q for q in quotes if normalise(q) not in source]
    assert not wrong, f"seed quotes not found verbatim in {seed}: {wrong}"
