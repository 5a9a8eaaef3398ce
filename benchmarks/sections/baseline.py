"""baseline: 3-year midsize and enterprise runs against an old commit, side by side.

The old commit is checked out in a git worktree outside the repository (created once,
then reused). Two fresh processes, one importing the old commit's ``src`` and one
the current code's, each load the scenario, run it once to warm up and then run it
on request; the parent asks them in turn, one run each, so drift in the machine's
load hits both alike. The speed-up is the old median over the new one. The models
differ between the commits, so their event counts differ too: both are printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orgsim
from sections.common import HERE, median, table

COMMIT = "b492ac9"
TARGET_SPEEDUP = 4.0
NAMES = ("midsize", "enterprise")

# The process that runs a scenario on request: one name a line in, one JSON line out.
# Both commits export ``load_scenario`` and ``simulate`` from the package (b492ac9's
# benchmarks/run.py imported them from orgsim.loading and orgsim.model).
CHILD = r"""
import gc, json, sys, time
try:
    from orgsim import load_scenario, simulate
except ImportError:
    from orgsim.loading import load_scenario
    from orgsim.model import simulate
import orgsim
print(json.dumps({"ready": orgsim.__file__}), flush=True)
cache = {}
for line in sys.stdin:
    name = line.strip()
    if not name:
        continue
    if name not in cache:
        cache[name] = load_scenario(name, overrides=[])
        simulate(cache[name], broker=True)  # warm-up: imports, caches
    sc = cache[name]
    gc.collect()
    t = time.perf_counter()
    run = simulate(sc, broker=True)
    dt = time.perf_counter() - t
    env = run.env
    print(json.dumps({
        "s": dt,
        "domain_events": len(run.log),
        "scheduler_events": next(env._eid) - len(env._queue),
        "seed": sc.seed,
        "horizon": sc.horizon,
    }), flush=True)
    del run, env
"""


class Child:
    """A fresh Python process running scenarios from the ``src`` it is given."""

    def __init__(self, src: Path, cwd: str) -> None:
        self.err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in close()
        env = {**os.environ, "PYTHONPATH": str(src)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            env=env,
            cwd=cwd,  # outside both trees: nothing on the path but PYTHONPATH's src
        )
        self.path = self.read()["ready"]

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.err.seek(0)
            lines = self.err.read().strip().splitlines() or ["no output"]
            raise RuntimeError(f"child process failed: {lines[-1]}")
        return dict(json.loads(line))

    def ask(self, name: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.err.close()


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(HERE.parent), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def worktree(commit: str, path: Path) -> tuple[Path, str]:
    """A worktree of ``commit`` at ``path`` (reused when it is already there); its full hash.

    Raises RuntimeError saying why when git or the commit is missing.
    """
    try:
        full = git("rev-parse", "--verify", f"{commit}^{{commit}}")
    except FileNotFoundError:
        raise RuntimeError("git is not installed") from None
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"commit {commit} not found: {exc.stderr.strip()}") from None
    if (path / "src" / "orgsim").is_dir():
        head = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        if head == full:
            return path, full
        raise RuntimeError(f"{path} holds {head or 'something else'}, not {commit}; remove it")
    try:
        git("worktree", "add", "--detach", str(path), full)
    except subprocess.CalledProcessError:
        try:  # a worktree deleted by hand is still registered: --force reuses the path
            git("worktree", "add", "--force", "--detach", str(path), full)
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"git worktree add failed: {exc.stderr.strip()}") from None
    return path, full


def side_by_side(old: Child, new: Child, name: str, reps: int) -> dict[str, Any]:
    """``reps`` runs of ``name`` in each process, taking turns; medians and counts."""
    o, n = [], []
    for _ in range(reps):
        o.append(old.ask(name))
        n.append(new.ask(name))
    old_s, new_s = median([r["s"] for r in o]), median([r["s"] for r in n])
    oe, ne = o[0]["domain_events"], n[0]["domain_events"]
    return {
        "old_s": old_s,
        "new_s": new_s,
        "old_s_all": [r["s"] for r in o],
        "new_s_all": [r["s"] for r in n],
        "speedup": old_s / new_s,
        "target_speedup": TARGET_SPEEDUP,
        "old_domain_events": oe,
        "new_domain_events": ne,
        "old_scheduler_events": o[0]["scheduler_events"],
        "new_scheduler_events": n[0]["scheduler_events"],
        "old_us_per_domain_event": old_s / oe * 1e6,
        "new_us_per_domain_event": new_s / ne * 1e6,
        "speedup_per_domain_event": (old_s / oe) / (new_s / ne),
        "seed": n[0]["seed"],
        "horizon": n[0]["horizon"],
        "reps": reps,
    }


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    commit = cfg.get("baseline_commit", COMMIT)
    path = Path(cfg.get("baseline_dir") or Path(tempfile.gettempdir()) / f"orgsim-{commit}")
    out: dict[str, Any] = {"commit": commit, "worktree": str(path)}
    try:
        tree, full = worktree(commit, path)
    except RuntimeError as exc:
        print(f"\n## Against {commit}: not measured ({exc})")
        res["baseline"] = {**out, "error": str(exc)}
        return
    out["commit_full"] = full
    new_src = Path(orgsim.__file__).resolve().parent.parent
    out["new_src"] = str(new_src)
    rows = []
    with tempfile.TemporaryDirectory() as cwd:
        old, new = Child(tree / "src", cwd), Child(new_src, cwd)
        try:
            out["old_imported_from"], out["new_imported_from"] = old.path, new.path
            if not Path(old.path).resolve().is_relative_to(tree.resolve()):
                raise RuntimeError(f"the old process imported orgsim from {old.path}")
            for name in NAMES:
                reps = cfg["baseline_reps_small"] if name != "enterprise" else cfg["baseline_reps"]
                m = out[name] = side_by_side(old, new, name, reps)
                rows.append(
                    [
                        f"{name} ({m['horizon']:g} d, seed {m['seed']})",
                        m["old_s"],
                        m["new_s"],
                        m["speedup"],
                        m["old_domain_events"],
                        m["new_domain_events"],
                        m["old_us_per_domain_event"],
                        m["new_us_per_domain_event"],
                    ]
                )
        finally:
            old.close()
            new.close()
    table(
        f"Against {commit} (broker on; two fresh processes taking turns, medians; "
        f"target speed-up >= {TARGET_SPEEDUP:g}x)",
        [
            "scenario",
            "old s",
            "new s",
            "speed-up",
            "old events",
            "new events",
            "old us/ev",
            "new us/ev",
        ],
        rows,
    )
    print(
        f"  old = {commit} from {tree}/src; new = {new_src}. The models differ, so the"
        " event counts do: speed-up is per run, us/ev per domain event of each model"
    )
    res["baseline"] = out
