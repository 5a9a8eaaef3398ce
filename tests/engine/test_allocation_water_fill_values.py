"""Water-filling at a cap reached exactly: a share within ``EPS`` of its cap fills it.

:func:`orgsim.engine.allocation.water_fill` counts a department as full when its
share comes to its cap less ``EPS`` or more; a full department gets its cap exactly
and what it did not take goes to the others.
"""

from __future__ import annotations

import pytest

from orgsim.engine.allocation import water_fill
from orgsim.engine.state import EPS


def test_a_share_of_exactly_the_cap_less_eps_fills_the_cap() -> None:
    # c = 1 - EPS (one double); total 2c (exact: a doubling); equal pulls: each share is
    # 2c / 2 = c exactly, a's cap less EPS is the same c: a is full, gets its cap 1.0.
    # What is left, 2c - 1 = 1 - 2 EPS (to rounding), goes to b, far below b's cap 10.
    c = 1.0 - EPS
    alloc = water_fill(2.0 * c, {"a": 1.0, "b": 10.0}, {"a": 1.0, "b": 1.0})
    assert alloc["a"] == 1.0
    # rel 1e-12: the few roundings of 2c - 1; a share of c instead (a not counted full)
    # is 1e-9 away, a thousand times the tolerance
    assert alloc["b"] == pytest.approx(1.0 - 2.0 * EPS, rel=1e-12)
    assert sum(alloc.values()) == pytest.approx(2.0 * c, rel=1e-15)


def test_a_lone_department_offered_its_cap_less_eps_gets_its_cap() -> None:
    # one department, cap 1: a total of 1 - EPS reaches the cap (to EPS): 1.0 exactly
    assert water_fill(1.0 - EPS, {"a": 1.0}, {"a": 1.0}) == {"a": 1.0}
