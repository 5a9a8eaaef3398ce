"""Mutation scores per module and per layer, from mutmut's last results.

Run from the project's root after ``mutmut run`` (docs/testing.md)::

    python scripts/mutation_scores.py            # per layer
    python scripts/mutation_scores.py --modules  # and per module
    python scripts/mutation_scores.py --survivors orgsim.engine.state

A mutant counts as killed when a test failed or timed out with it. Survivors and
mutants no selected test reaches count against the score, except those
``docs/testing.md`` declares equivalent (its table of equivalent mutants, one
mutant name in backticks per row, with the reason). Mutants not yet checked are
left out, and a score over a random sample of a layer's mutants comes with its
95% Wilson interval.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check"}
TARGETS = {
    "engine": 0.90,
    "metrics": 0.90,
    "analysis": 0.90,
    "storage": 0.90,
    "experiments": 0.80,
    "scenario": 0.80,
}
_LINE = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+)$")
_EQUIVALENT = re.compile(r"^\|\s*`(?P<name>orgsim\.[^`]+)`")


def results() -> dict[str, str]:
    """Each mutant's status, as ``mutmut results --all true`` prints it."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        m = _LINE.match(line)
        if m:
            found[m["name"]] = m["status"].strip()
    return found


def equivalent(doc: Path) -> set[str]:
    """Mutants ``docs/testing.md`` lists as equivalent."""
    if not doc.exists():
        return set()
    return {m["name"] for line in doc.read_text().splitlines() if (m := _EQUIVALENT.match(line))}


def module_of(mutant: str) -> str:
    """``orgsim.engine.state.xǁState_apply__mutmut_3`` → ``orgsim.engine.state``."""
    return re.split(r"\.x[_ǁ]", mutant, maxsplit=1)[0]


def main() -> int:
    """Print the scores; exit 1 when a layer is under its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", action="store_true", help="also print every module")
    parser.add_argument("--survivors", metavar="MODULE", help="list a module's live mutants")
    parser.add_argument("--doc", type=Path, default=Path("docs/testing.md"))
    parser.add_argument(
        "--sampled",
        type=Path,
        metavar="FILE",
        help="score only the random sample of mutants named in FILE, each score with its 95%% CI",
    )
    args = parser.parse_args()
    status = results()
    if args.sampled:
        drawn = set(args.sampled.read_text().split())
        status = {n: (st if n in drawn else "not checked") for n, st in status.items()}
    equiv = equivalent(args.doc)
    if args.sampled:  # an equivalent mutant outside the sample was not drawn either
        equiv &= drawn
    layers = {module_of(name).split(".")[1] for name in status}
    unknown = sorted(n for n in equiv - set(status) if n.split(".")[1] in layers)
    if args.survivors:
        for name, st in sorted(status.items()):
            if module_of(name) == args.survivors and st not in KILLED and name not in equiv:
                print(f"{name}: {st}")
        return 0
    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    for name, st in status.items():
        per_module[module_of(name)][kind_of(name, st, equiv)] += 1
    per_layer: dict[str, Counter[str]] = defaultdict(Counter)
    for mod, c in per_module.items():
        per_layer[mod.split(".")[1]].update(c)
    print(
        f"{'':<34} {'mutants':>7} {'checked':>7} {'killed':>6} {'equiv':>5} {'live':>5}"
        f" {'score':>6}  95% CI (when sampled)"
    )
    short = False
    for layer in TARGETS:
        if layer not in per_layer:
            continue
        c = per_layer[layer]
        print(row(layer, c, TARGETS[layer], args.sampled is not None))
        judged = c["killed"] + c["live"]
        short |= judged > 0 and c["killed"] / judged < TARGETS[layer]
        if args.modules:
            for mod in sorted(m for m in per_module if m.split(".")[1] == layer):
                label = "  " + mod.removeprefix(f"orgsim.{layer}.")
                print(row(label, per_module[mod], None, args.sampled is not None))
    if unknown:
        print(f"\n{len(unknown)} mutants listed as equivalent are not in the results:")
        for name in unknown:
            print(f"  {name}")
    return 1 if short else 0


def kind_of(name: str, status: str, equiv: set[str]) -> str:
    """Killed, equivalent, live (survived or reached by no test) or unchecked."""
    if name in equiv:
        return "equivalent"
    if status in KILLED:
        return "killed"
    if status == "not checked":
        return "unchecked"
    return "live"


def row(label: str, c: Counter[str], target: float | None, sampled: bool) -> str:
    """One line of the table: counts, the score and, for a sample, its Wilson CI.

    The score is killed / (killed + live): equivalent mutants are left out, and so
    are unchecked ones. When only a random sample was checked
    (``scripts/mutate.py LAYER --sample N``), the CI says how far the layer's score
    may lie from the sample's.
    """
    from scipy.stats import binomtest

    judged = c["killed"] + c["live"]
    total = judged + c["equivalent"] + c["unchecked"]
    score = c["killed"] / judged if judged else float("nan")
    ci = ""
    if sampled and c["unchecked"] and judged:
        low, high = binomtest(c["killed"], judged).proportion_ci(method="wilson")
        ci = f"  {low:.1%}–{high:.1%}"
    mark = ""
    if target is not None and judged:
        mark = "  ok" if score >= target else f"  < {target:.0%}"
    return (
        f"{label:<34} {total:>7} {total - c['unchecked']:>7} {c['killed']:>6}"
        f" {c['equivalent']:>5} {c['live']:>5} {score:>6.1%}{ci}{mark}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
