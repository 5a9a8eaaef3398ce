"""profile: top functions by self and cumulative time of a midsize and an enterprise run.

cProfile's tables go to ``profile.txt`` (next to the results JSON); it inflates code
that makes many small calls, so when py-spy is installed, sampled shares of the
same runs are added (``run.py --spy-child NAME:RUNS`` is the sampled process).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orgsim import simulate
from sections.common import RUNNER, load, pc


def frame_key(frame: str) -> str:
    """``func (path/file.py:line)`` from py-spy's raw format, as ``file.py:func``."""
    func, _, where = frame.partition(" (")
    file = where.rsplit("/", 1)[-1].split(":", 1)[0]
    return f"{file}:{func}"


def spy_shares(raw: str) -> dict[str, Any]:
    """Self-by-line and inclusive shares of the py-spy samples taken inside a run."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        keys = [frame_key(f) for f in frames]
        if "run.py:Run.execute" not in keys and "run.py:execute" not in keys:
            continue  # imports, scenario loading, warm-up outside a run
        n = int(count)
        total += n
        leaf = frames[-1]
        self_time[f"{frame_key(leaf)}:{leaf.rsplit(':', 1)[-1].rstrip(')')}"] += n
        for k in set(keys):
            inclusive[k] += n
    if not total:
        return {"error": "no samples inside Run.execute"}
    return {
        "samples": total,
        "self_line_share": {k: v / total for k, v in self_time.most_common(25)},
        "inclusive_share": {k: v / total for k, v in inclusive.most_common(45)},
    }


def spy_profile(name: str, runs: int, rate: int = 500) -> dict[str, Any] | None:
    """Sample ``runs`` runs with py-spy (if installed): self and inclusive shares.

    A sampling profiler adds no per-call cost, so its shares are closer to the truth
    than cProfile's, which inflates code that makes many small calls.
    """
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "spy.txt"
        cmd = [spy, "record", "-r", str(rate), "-f", "raw", "-o", str(raw), "--"]
        cmd += [sys.executable, str(RUNNER), "--spy-child", f"{name}:{runs}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not raw.exists():
            return {"error": (proc.stderr or "py-spy failed").strip().splitlines()[-1]}
        return spy_shares(raw.read_text())


def spy_child(spec: str) -> None:
    """The process py-spy samples: ``RUNS`` runs of scenario ``NAME`` (--spy-child)."""
    name, runs = spec.split(":")
    sc = load(name)
    for _ in range(int(runs)):
        simulate(sc, broker=True)


def stat(column: int) -> Callable[[tuple[Any, Any]], float]:
    """Sort key for ``pstats`` entries by one column of their statistics tuple."""
    return lambda kv: float(kv[1][column])


def top_functions(st: pstats.Stats, total: float) -> list[dict[str, Any]]:
    """The 15 top functions by tottime, then the 15 top by cumtime."""
    entries = st.stats  # type: ignore[attr-defined]
    top = []
    for order in (2, 3):  # tottime, cumtime
        ranked = sorted(entries.items(), key=stat(order), reverse=True)
        for (file, line, func), (_cc, nc, tt, ct, _callers) in ranked[:15]:
            short = file.split("/site-packages/")[-1].split("/src/")[-1]
            top.append(
                {
                    "function": f"{short}:{line}({func})",
                    "calls": nc,
                    "tottime_s": tt,
                    "cumtime_s": ct,
                    "tottime_share": tt / total,
                    "cumtime_share": ct / total,
                }
            )
    return top


def cprofile_run(name: str, n_top: int, text: io.StringIO) -> dict[str, Any]:
    """Profile one warmed-up run: its tables into ``text``, its top functions returned."""
    sc = load(name)
    simulate(sc, broker=True)
    prof = cProfile.Profile()
    t = pc()
    prof.enable()
    simulate(sc, broker=True)
    prof.disable()
    total = pc() - t
    st = pstats.Stats(prof, stream=text)
    text.write(f"\n{'=' * 30} {name} (broker on), {total:.2f} s under cProfile {'=' * 30}\n")
    st.sort_stats("tottime").print_stats(n_top)
    st.sort_stats("cumulative").print_stats(n_top)
    top = top_functions(st, total)
    print(f"  {name}: {total:.2f} s profiled; top self time:")
    for e in top[:8]:
        print(f"    {e['tottime_share']:6.1%}  {e['calls']:>8,}  {e['function']}")
    return {"profiled_s": total, "top_tottime": top[:15], "top_cumtime": top[15:]}


def report_spy(name: str, spy: dict[str, Any], text: io.StringIO) -> None:
    """Write py-spy's shares into ``text`` and print the top inclusive ones."""
    text.write(f"\n---- {name}: py-spy sampling, {spy['samples']} samples in runs ----\n")
    text.write("inclusive share (function and everything it calls):\n")
    for k, v in spy["inclusive_share"].items():
        text.write(f"  {v:6.1%}  {k}\n")
    text.write("self share by line:\n")
    for k, v in spy["self_line_share"].items():
        text.write(f"  {v:6.1%}  {k}\n")
    print(f"  {name}, py-spy ({spy['samples']} samples), inclusive shares:")
    shown = [(k, v) for k, v in spy["inclusive_share"].items() if v < 0.999]
    for k, v in shown[:12]:
        print(f"    {v:6.1%}  {k}")


def run(cfg: dict[str, Any], res: dict[str, Any]) -> None:
    text = io.StringIO()
    out: dict[str, Any] = {}
    print("\n## Profile (cProfile: shares of the profiled run, inflated by the profiler)")
    for name in ("midsize", "enterprise"):
        out[name] = cprofile_run(name, cfg["profile_top"], text)
        if cfg["py_spy_runs"]:
            runs = cfg["py_spy_runs"] * (1 if name == "enterprise" else 4)
            spy = spy_profile(name, runs)
            if spy is None:
                print("  (py-spy not installed: pip install py-spy for sampled shares)")
                continue
            out[name]["py_spy"] = spy
            if "error" in spy:
                print(f"  py-spy: {spy['error']}")
                continue
            report_spy(name, spy, text)
    path = Path(cfg["profile_path"])
    path.write_text(text.getvalue())
    out["file"] = str(path)
    res["profile"] = out
