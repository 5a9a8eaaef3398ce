"""Mutation-test one layer of orgsim against the tests that target it.

mutmut (configured in ``[tool.mutmut]`` of ``pyproject.toml``) runs, for every
mutant, the tests that reached the mutated function. Across the whole suite that
is nearly every test for an engine function, so a surviving engine mutant would
cost minutes. This script gives each layer a working folder of its own,
``build/mutation/<layer>/``, whose ``pyproject.toml`` is the project's with the
mutation limited to that layer and the tests to the layer's folder (``tests/<layer>/``
and the top-level tests named in :data:`TESTS`), leaving out those marked ``slow``
(long) and ``golden`` (pinned values, a drift alarm rather than a test of a mechanism).
Results stay there between runs, so a second run tests only what changed.

Usage (docs/testing.md)::

    python scripts/mutate.py engine                           # the whole layer
    python scripts/mutate.py engine "orgsim.engine.budget*"   # one module
    python scripts/mutate.py engine --live                    # retest what lived
    python scripts/mutate.py engine --sample 300              # estimate from a sample
    python scripts/mutate.py --scores                         # every layer's score

mutmut lets a verdict stand until the mutated function changes, so a test written
to kill a survivor is tried on it only when the mutant is named again: ``--live``
names every mutant of the layer that is not yet killed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("engine", "metrics", "analysis", "storage", "experiments", "scenario")
#: Test folders and files that target each layer, beyond ``tests/<layer>/``.
TESTS: dict[str, tuple[str, ...]] = {
    "engine": (),
    "metrics": (),
    "analysis": (),
    "storage": ("tests/test_cli_events.py",),
    "experiments": ("tests/test_api.py",),
    "scenario": ("tests/test_cli_inputs.py",),
}
SAMPLE = "sample.txt"
LINKED = (
    *("src", "tests", "docs", "scenarios", "notebooks", "benchmarks"),
    *("README.md", "CHANGELOG.md"),
)


def _toml(value: object) -> str:
    """The few TOML values the layer's configuration needs."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def layer_folder(layer: str) -> Path:
    """Make (or refresh) the layer's working folder and return it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    folder = ROOT / "build" / "mutation" / layer
    folder.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    mutmut = dict(project["tool"]["mutmut"])
    mutmut["only_mutate"] = [f"src/orgsim/{layer}/*"]
    mutmut["pytest_add_cli_args_test_selection"] = [
        f"tests/{layer}/",
        *TESTS[layer],
        "-m",
        "not slow and not golden",
    ]
    pytest_ini = project["tool"]["pytest"]["ini_options"]
    text = "# Written by scripts/mutate.py from the project's pyproject.toml.\n"
    text += "[tool.pytest.ini_options]\n"
    text += "".join(f"{k} = {_toml(v)}\n" for k, v in pytest_ini.items())
    text += "\n[tool.mutmut]\n"
    text += "".join(f"{k} = {_toml(v)}\n" for k, v in mutmut.items())
    target = folder / "pyproject.toml"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    return folder


def _statuses(folder: Path, mutmut: Path) -> dict[str, str]:
    """Every mutant of the layer's folder and its status, as mutmut reports them."""
    out = subprocess.run(
        [str(mutmut), "results", "--all", "true"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            found[name] = status
    return found


def sample_mutants(folder: Path, mutmut: Path, n: int, seed: int) -> list[str]:
    """``n`` of the layer's mutants drawn without replacement, recorded in the folder.

    The sample is drawn from the mutants as the last run generated them: run the
    layer once (even on a single module) after the source changes, so that the
    draw covers the current code. A sample already recorded is kept and grown:
    the mutants it holds that still exist stay, and the others are drawn from the
    rest, so a larger sample costs only what it adds. A smaller one is drawn from
    the recorded one.
    """
    import random

    names = sorted(_statuses(folder, mutmut))
    rng = random.Random(seed)
    recorded = folder / SAMPLE
    held = set(recorded.read_text().split()) if recorded.exists() else set()
    kept = sorted(held & set(names))
    if n <= len(kept):
        picked = rng.sample(kept, n)
    else:
        rest = [m for m in names if m not in held]
        picked = kept + rng.sample(rest, min(n - len(kept), len(rest)))
    picked.sort()
    recorded.write_text("\n".join(picked) + "\n")
    return picked


def live_mutants(folder: Path, mutmut: Path) -> list[str]:
    """The layer's mutants that survived, had no test or were not checked yet.

    Mutants docs/testing.md declares equivalent are left out: they would only
    survive again.
    """
    killed = {"killed", "timeout", "caught by type check"}
    doc = (ROOT / "docs" / "testing.md").read_text()
    equivalent = set(re.findall(r"^\|\s*`(orgsim\.[^`]+)`", doc, flags=re.MULTILINE))
    statuses = _statuses(folder, mutmut)
    return [n for n, st in statuses.items() if st not in killed and n not in equivalent]


def main() -> int:
    """Run mutmut on a layer (or print the scores of every layer run so far)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layer", nargs="?", choices=LAYERS)
    parser.add_argument("pattern", nargs="*", help="mutant names, as `mutmut run` takes them")
    parser.add_argument("--live", action="store_true", help="retest the mutants not yet killed")
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="check N of the layer's mutants drawn at random (seeded): an estimate with a CI",
    )
    parser.add_argument("--seed", type=int, default=12, help="seed of --sample's draw")
    parser.add_argument("--scores", action="store_true", help="print the scores of every layer")
    parser.add_argument("--modules", action="store_true", help="with --scores: every module")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    mutmut = Path(sys.executable).with_name("mutmut")
    scores = [sys.executable, str(ROOT / "scripts" / "mutation_scores.py")]
    scores += ["--doc", str(ROOT / "docs" / "testing.md")]
    if args.scores:
        worst = 0
        for layer in LAYERS:
            folder = ROOT / "build" / "mutation" / layer
            if (folder / "mutants").exists():
                extra = ["--modules"] if args.modules else []
                extra += ["--sampled", str(folder / SAMPLE)] if (folder / SAMPLE).exists() else []
                worst = max(worst, subprocess.run([*scores, *extra], cwd=folder).returncode)
        return worst
    if args.layer is None:
        parser.error("name a layer, or ask for --scores")
    folder = layer_folder(args.layer)
    names = list(args.pattern)
    if not (args.sample or args.pattern or args.live):
        (folder / SAMPLE).unlink(missing_ok=True)  # the whole layer: no longer a sample
    if args.sample:  # the drawn mutants not yet killed: a larger sample only adds work
        todo = set(live_mutants(folder, mutmut))
        names += [n for n in sample_mutants(folder, mutmut, args.sample, args.seed) if n in todo]
    if args.live:
        names += live_mutants(folder, mutmut)
    if (args.sample or args.live) and not names:
        print(f"every {args.layer} mutant asked for is killed or declared equivalent")
        return 0
    run = [str(mutmut), "run", "--max-children", str(args.max_children), *names]
    code = subprocess.run(run, cwd=folder).returncode
    if code == 0:
        extra = ["--sampled", str(folder / SAMPLE)] if (folder / SAMPLE).exists() else []
        code = subprocess.run([*scores, "--modules", *extra], cwd=folder).returncode
    return code


if __name__ == "__main__":
    raise SystemExit(main())
