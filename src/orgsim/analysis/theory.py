"""Closed-form queueing results the engine is checked against.

The broker's mediation queue, configured as a textbook queue (Poisson arrivals,
exponential mediation, instant detection, certain success), is an M/M/c queue; its
mean wait must match Erlang C. The tests and the benchmarks both use this.
"""

from __future__ import annotations

import math


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C).

    Args:
        lam: Arrival rate.
        mu: Service rate of one server.
        c: Number of servers; the queue must be stable, ``lam < c * mu``.

    Raises:
        ValueError: the queue is unstable or a rate is not positive.
    """
    if lam <= 0 or mu <= 0 or c < 1 or lam >= c * mu:
        raise ValueError(f"M/M/c needs 0 < lam < c*mu, got lam={lam}, mu={mu}, c={c}")
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    bottom = sum(a**k / math.factorial(k) for k in range(c)) + top
    return (top / bottom) / (c * mu - lam)
