"""Water-filling with nothing to split: no department gets anything, however small its cap.

:func:`orgsim.engine.allocation.water_fill` hands out ``total`` while there is more
than ``EPS`` of it left and someone still to fill; its result sums to
``min(total, sum(caps))``, which is 0 for a total of 0.
"""

from __future__ import annotations

from orgsim.engine.allocation import water_fill
from orgsim.engine.state import EPS


def test_a_total_of_zero_fills_not_even_a_cap_below_eps() -> None:
    # cap 1e-10 < EPS = 1e-9: a share of 0 would count a as full (0 >= cap - EPS), but
    # with 0 <= EPS left to split no round is run: min(0, 1e-10) = 0 is all there is
    assert EPS > 1e-10
    assert water_fill(0.0, {"a": 1e-10, "b": 3.0}, {"a": 1.0, "b": 1.0}) == {"a": 0.0, "b": 0.0}
