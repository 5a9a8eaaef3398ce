"""The architecture, kept: layers import downward only, with no cycles.

The imports of every module under ``src/orgsim`` are read with :mod:`ast` (nothing
is imported), and four rules are checked:

1. no import cycle between orgsim modules;
2. a module imports only from its own layer or a lower one, in the order
   errors → scenario → engine → metrics → analysis → storage → experiments →
   reporting → api → cli (``errors`` and ``_version`` are the floor, the package
   root and ``__main__`` the roof), and only ``engine`` imports SimPy;
3. no private name (``_x``) is imported from, or read off, another module;
4. no orgsim module is imported inside a function: lazy imports are for optional
   heavy dependencies (matplotlib, pyarrow, dask, SALib), not for dodging a cycle.

Type-only imports (``if TYPE_CHECKING:``) count: a type that points up a layer is
still a dependency against the order. The checker itself is tested on small
planted packages, so a rule that stops firing is noticed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("orgsim.errors", "orgsim._version"),
    ("orgsim.scenario",),
    ("orgsim.engine",),
    ("orgsim.metrics",),
    ("orgsim.analysis",),
    ("orgsim.storage",),
    ("orgsim.experiments",),
    ("orgsim.reporting",),
    ("orgsim.api",),
    ("orgsim.cli",),
    ("orgsim", "orgsim.__main__"),
)
SIMPY_LAYER = "orgsim.engine"


@attrs.frozen
class Import:
    """One import statement's target, as the checker sees it."""

    source: str  # importing module
    target: str  # imported orgsim module (resolved to a module that exists)
    names: tuple[str, ...]  # names taken from it ("from m import a, b")
    line: int
    in_function: bool


def modules(root: Path, package: str = "orgsim") -> dict[str, Path]:
    """Every module of the package under ``root``, by dotted name."""
    out = {}
    for file in sorted((root / package).rglob("*.py")):
        parts = list(file.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = file
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node with whether it sits inside a function body."""
    for node in ast.iter_child_nodes(tree):
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        yield node, in_function
        yield from _statements(node, inside)


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, file: Path, known: dict[str, Path]) -> tuple[list[Import], list[str]]:
    """The orgsim imports of one module, and the third-party top-level names it imports."""
    tree = ast.parse(file.read_text(), str(file))
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []
    external: list[str] = []
    for node, in_function in _statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name, known)
                if target is None:
                    external.append(alias.name.split(".")[0])
                else:
                    found.append(Import(module, target, (), node.lineno, in_function))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            if _resolve(base, known) is None:
                external.append(base.split(".")[0])
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:  # "from orgsim.engine import events"
                    found.append(Import(module, full, (), node.lineno, in_function))
                else:
                    target = _resolve(base, known)
                    assert target is not None
                    found.append(Import(module, target, (alias.name,), node.lineno, in_function))
    return found, external


def private_attribute_reads(module: str, file: Path, known: dict[str, Path]) -> list[str]:
    """``alias._name`` reads where ``alias`` is another orgsim module imported here."""
    tree = ast.parse(file.read_text(), str(file))
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in known:
                    aliases[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in known:
                    aliases[alias.asname] = alias.name
    out = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and aliases[node.value.id] != module
            and _private(node.attr)
        ):
            out.append(f"{module}:{node.lineno} reads {aliases[node.value.id]}.{node.attr}")
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def layer_of(module: str) -> int:
    """Rank of a module's layer (higher imports lower); -1 for an unplaced module."""
    best, rank = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            matches = module == p or (p != "orgsim" and module.startswith(p + "."))
            if matches and len(p) > best:
                best, rank = len(p), i
    return rank


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def violations(root: Path, package: str = "orgsim") -> dict[str, list[str]]:
    """Every broken rule in the package under ``root``, by rule."""
    known = modules(root, package)
    edges: dict[str, set[str]] = {m: set() for m in known}
    out: dict[str, list[str]] = {"cycle": [], "layer": [], "private": [], "lazy": [], "simpy": []}
    for module, file in known.items():
        found, external = imports(module, file, known)
        if "simpy" in external and not module.startswith(SIMPY_LAYER + "."):
            out["simpy"].append(f"{module} imports simpy (only {SIMPY_LAYER} may)")
        out["private"] += private_attribute_reads(module, file, known)
        for imp in found:
            if imp.target == module:
                continue
            parent = module.startswith(imp.target + ".") and imp.target != package
            if not parent:
                edges[module].add(imp.target)
            where = f"{module}:{imp.line}"
            src, dst = layer_of(module), layer_of(imp.target)
            if src < 0:
                out["layer"].append(f"{module} belongs to no layer")
            elif dst > src:
                out["layer"].append(f"{where} imports {imp.target} (a higher layer)")
            out["private"] += [
                f"{where} imports {n} from {imp.target}" for n in imp.names if _private(n)
            ]
            if imp.in_function:
                out["lazy"].append(f"{where} imports {imp.target} inside a function")
    out["cycle"] = [" ↔ ".join(c) for c in cycles(edges)]
    return out


@pytest.fixture(scope="module")
def found() -> dict[str, list[str]]:
    return violations(SRC)


@pytest.mark.parametrize("rule", ["cycle", "layer", "private", "lazy", "simpy"])
def test_orgsim_keeps_its_layers(found: dict[str, list[str]], rule: str) -> None:
    assert found[rule] == [], "\n".join(found[rule])


def test_every_subpackage_says_what_it_is_for() -> None:
    for init in sorted((SRC / "orgsim").rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init} has no docstring"
        assert len(doc.splitlines()[0]) <= 100


# ------------------------------------------------------- the checker itself


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "orgsim" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


CLEAN = {
    "__init__.py": '"""Root."""\nfrom orgsim.cli import main\n',
    "errors.py": '"""Errors."""\n',
    "cli.py": '"""CLI."""\nfrom orgsim.engine.run import go\n',
    "engine/__init__.py": '"""Engine."""\n',
    "engine/run.py": '"""Run."""\nimport simpy\nfrom orgsim.errors import Boom\n',
    "scenario/__init__.py": '"""Scenario."""\n',
    "scenario/schema.py": '"""Schema."""\nfrom orgsim.errors import Boom\n',
}


def test_the_checker_passes_a_clean_package(tmp_path: Path) -> None:
    assert all(v == [] for v in violations(plant(tmp_path, CLEAN)).values())


@pytest.mark.parametrize(
    ("rule", "files"),
    [
        (
            "cycle",
            {
                "scenario/a.py": "from orgsim.scenario.b import x\n",
                "scenario/b.py": "from orgsim.scenario import a\n",
            },
        ),
        ("layer", {"scenario/schema.py": "from orgsim.engine.run import go\n"}),
        ("layer", {"engine/run.py": "from orgsim import main\n"}),
        ("private", {"cli.py": "from orgsim.engine.run import _helper\n"}),
        ("private", {"cli.py": "from orgsim.engine import run\nrun._helper()\n"}),
        ("lazy", {"cli.py": "def f():\n    from orgsim.engine.run import go\n"}),
        ("simpy", {"scenario/schema.py": "import simpy\n"}),
    ],
)
def test_the_checker_finds_a_planted_fault(
    tmp_path: Path, rule: str, files: dict[str, str]
) -> None:
    found = violations(plant(tmp_path, {**CLEAN, **files}))
    assert found[rule], found


def test_lazy_imports_of_heavy_extras_and_type_only_imports_below_are_allowed(
    tmp_path: Path,
) -> None:
    files = {
        "cli.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from orgsim.engine.run import go\n"
            "def chart():\n    import matplotlib.pyplot as plt\n"
        ),
    }
    assert all(v == [] for v in violations(plant(tmp_path, {**CLEAN, **files})).values())
