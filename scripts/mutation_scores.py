"""Mutation scores per module and per layer, from mutmut's last results.

Run from the project's root after ``mutmut run`` (docs/testing.md)::

    python scripts/mutation_scores.py            # per layer
    python scripts/mutation_scores.py --modules  # and per module
    python scripts/mutation_scores.py --survivors orgsim.engine.state

A mutant counts as killed when a test failed or timed out with it. Survivors and
mutants no selected test reaches count against the score, except those
``docs/testing.md`` declares equivalent (its table of equivalent mutants, one
mutant name in backticks per row, with the reason).
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
    args = parser.parse_args()
    status = results()
    equiv = equivalent(args.doc)
    unknown = sorted(equiv - set(status))
    if args.survivors:
        for name, st in sorted(status.items()):
            if module_of(name) == args.survivors and st not in KILLED and name not in equiv:
                print(f"{name}: {st}")
        return 0
    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    for name, st in status.items():
        kind = "equivalent" if name in equiv else ("killed" if st in KILLED else "live")
        per_module[module_of(name)][kind] += 1
    per_layer: dict[str, Counter[str]] = defaultdict(Counter)
    for mod, c in per_module.items():
        per_layer[mod.split(".")[1]].update(c)

    def line(label: str, c: Counter[str], target: float | None) -> str:
        judged = c["killed"] + c["live"]
        score = c["killed"] / judged if judged else 1.0
        mark = "" if target is None else ("  ok" if score >= target else f"  < {target:.0%}")
        return (
            f"{label:<40} {judged + c['equivalent']:>6} {c['killed']:>6} {c['equivalent']:>6}"
            f" {c['live']:>6} {score:>7.1%}{mark}"
        )

    print(f"{'':<40} {'mutants':>6} {'killed':>6} {'equiv':>6} {'live':>6} {'score':>7}")
    short = False
    for layer in TARGETS:
        if layer not in per_layer:
            continue
        c = per_layer[layer]
        print(line(layer, c, TARGETS[layer]))
        judged = c["killed"] + c["live"]
        short |= judged > 0 and c["killed"] / judged < TARGETS[layer]
        if args.modules:
            for mod in sorted(m for m in per_module if m.split(".")[1] == layer):
                print(line("  " + mod.removeprefix(f"orgsim.{layer}."), per_module[mod], None))
    if unknown:
        print(f"\n{len(unknown)} mutants listed as equivalent are not in the results:")
        for name in unknown:
            print(f"  {name}")
    return 1 if short else 0


if __name__ == "__main__":
    raise SystemExit(main())
