"""Events per second of the projections: columnar (numpy over the log's frames) vs the fold.

Runs each scenario once, then times ``metrics``, ``quarterly`` and ``conflict_funnel``
over its log both ways (the best of several repeats, the log's pending batch moved
into its columns first, as any earlier read of the log does), checks that the two
agree, and prints one row per scenario::

    PYTHONPATH=src python scripts/projection_speed.py [--repeat 7] [--horizon-years 1]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

import orgsim
from orgsim.engine import events as ev
from orgsim.metrics import vectorised
from orgsim.metrics.projections import (
    reference_conflict_funnel,
    reference_metrics,
    reference_quarterly,
)


def best(f: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--years", type=float, nargs="*", default=[1.0, 3.0])
    args = parser.parse_args()
    print(
        f"{'scenario':<12}{'years':>6}{'events':>9}  {'metrics col':>12}{'ref':>10}"
        f"{'x':>7}  {'all three col':>14}{'ref':>10}{'x':>7}"
    )
    for name in ("startup", "midsize", "enterprise"):
        for years in args.years:
            run = orgsim.run_scenario(name, seed=1, overrides=[f"horizon={365.0 * years}"])
            log = run.log
            log.frame(ev.RunStarted)  # move the pending batch into the columns
            n = len(log)
            got, ref = vectorised.metrics(log), reference_metrics(log)
            assert all(got[k] == ref[k] or (math.isnan(got[k]) and math.isnan(ref[k])) for k in ref)
            col_m = best(lambda: vectorised.metrics(log), args.repeat)  # noqa: B023
            ref_m = best(lambda: reference_metrics(log), max(1, args.repeat // 3))  # noqa: B023

            def col_all() -> None:
                vectorised.metrics(log)  # noqa: B023
                vectorised.quarterly(log)  # noqa: B023
                vectorised.conflict_funnel(log)  # noqa: B023

            def ref_all() -> None:
                reference_metrics(log)  # noqa: B023
                reference_quarterly(log)  # noqa: B023
                reference_conflict_funnel(log)  # noqa: B023

            col_a = best(col_all, args.repeat)
            ref_a = best(ref_all, max(1, args.repeat // 3))
            print(
                f"{name:<12}{years:>6g}{n:>9}  {n / col_m / 1e6:>9.1f} M/s"
                f"{n / ref_m / 1e3:>7.0f} k/s{ref_m / col_m:>6.0f}x  {n / col_a / 1e6:>11.1f} M/s"
                f"{n / ref_a / 1e3:>7.0f} k/s{ref_a / col_a:>6.0f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
