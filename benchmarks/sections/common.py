"""Helpers every section shares: timing, memory, tables, tasks, environment, results.

Kept free of any one figure's logic, so a section module reads as its measurement
and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy
import simpy

from orgsim import __version__, load_scenario
from orgsim.experiments.tasks import Task

HERE = Path(__file__).resolve().parent.parent  # benchmarks/
RUNNER = HERE / "run.py"  # re-run in child processes (growth, py-spy)
SCENARIOS = ("startup", "midsize", "enterprise")
pc = time.perf_counter

# ----------------------------------------------------------------- timing


def median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else math.nan


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """Median wall time of ``repeat`` calls, all the times, and the last result."""
    times = []
    out = None
    for _ in range(repeat):
        t = pc()
        out = fn()
        times.append(pc() - t)
    return median(times), times, out


def loadavg() -> float:
    """The 1-minute load average: how busy the shared machine was."""
    return os.getloadavg()[0]


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


# ----------------------------------------------------------------- memory


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KB on Linux


def hwm_mb() -> float:
    """Peak RSS of this process image (VmHWM; unlike ru_maxrss it is reset by exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return maxrss_mb()


def rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover - psutil is a dask dependency
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ----------------------------------------------------------------- orgsim


def scheduler_events(run: Any) -> int:
    """SimPy events processed by a finished run.

    ``env._eid`` numbers every scheduled event; the ones still in the heap at the
    horizon were scheduled but never processed.
    """
    return next(run.env._eid) - len(run.env._queue)


def load(name: str, overrides: tuple[str, ...] = ()) -> Any:
    return load_scenario(name, overrides=list(overrides))


def make_tasks(
    name: str, n: int, overrides: tuple[str, ...] = (), experiment: str = "bench"
) -> list[Any]:
    """``n`` tasks of one scenario, alternating arms on and off, pair by pair."""
    sc = load(name, overrides)
    h = sc.digest()
    return [
        Task(
            experiment=experiment,
            scenario=sc,
            scenario_hash=h,
            point=0,
            arm=arm,
            replication=rep,
            seed=sc.seed,
        )
        for rep in range((n + 1) // 2)
        for arm in ("on", "off")
    ][:n]


# ----------------------------------------------------------------- tables


def fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if x == 0:
            return "0"
        if abs(x) >= 1e5:
            return f"{x:,.0f}"
        return (
            f"{x:.{digits}g}"
            if abs(x) < 1
            else f"{x:,.{max(0, digits - 1 - int(math.log10(abs(x))))}f}"
        )
    return str(x)


def table(
    title: str, header: list[str], rows: list[list[Any]], left: frozenset[int] = frozenset({0})
) -> None:
    """Print a table: numbers right-aligned, the columns in ``left`` left-aligned."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)
    ]
    print(f"\n## {title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print(
            "  ".join(
                c.ljust(w) if i in left else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    sys.stdout.flush()


# ------------------------------------------------------------ environment


def git_info() -> dict[str, Any]:
    """The commit measured, and whether ``src`` had uncommitted changes."""
    out: dict[str, Any] = {}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = ["git", "-C", str(HERE.parent)]
        out["git_head"] = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        out["git_dirty_src"] = bool(
            subprocess.run(
                [*git, "status", "--porcelain", "--", "src"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    return out


def environment() -> dict[str, Any]:
    """Machine, versions and load: what a reader needs to compare two runs."""
    env = {
        "date": now(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "orgsim": __version__,
        "simpy": simpy.__version__,
        "numpy": numpy.__version__,
        "loadavg_start": os.getloadavg(),
    }
    with contextlib.suppress(Exception):
        import ciw

        env["ciw"] = ciw.__version__
    with contextlib.suppress(Exception):
        import distributed

        env["distributed"] = distributed.__version__
    env.update(git_info())
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                env["cpu"] = line.split(":", 1)[1].strip()
                break
    return env


# ----------------------------------------------------------------- results


def merge_partial(out: Path, res: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
    """Fold a partial run's sections into the results already in ``out``.

    The sections measured replace theirs; the others, and the file's environment,
    configuration and mode, stay as they were, with a note of what was updated.
    An unreadable file is replaced by this run's results.
    """
    with contextlib.suppress(ValueError):
        old = json.loads(out.read_text())
        keep = ("section_seconds", "environment", "config", "mode", "total_seconds")
        old.update({k: v for k, v in res.items() if k not in keep})
        old.setdefault("section_seconds", {}).update(timings)
        old["partial_update"] = {
            "sections": list(timings),
            "mode": res["mode"],
            "environment": res["environment"],
        }
        return dict(old)
    return res


def write_results(out: Path, res: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)  # a fresh --out folder: measured, not lost
    out.write_text(json.dumps(res, indent=2, default=float) + "\n")
