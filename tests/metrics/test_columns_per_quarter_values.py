"""per_quarter on quarters that are not a whole number of days in binary floating point.

A quarter q is ``[q·qd, (q+1)·qd)`` for the quarter length qd as stored. With qd = 0.1
(stored as 0.1000000000000000055511151231257827), quarter 17 starts at
17 × 0.1000000000000000055511151231257827 = 1.7000000000000000943689570931383 exactly,
and the float 1.7 (1.6999999999999999555910790149937) lies just before it: it is in
quarter 16. The rounded quotient 1.7 / 0.1 is 17.0, so only floor division, which is
exact, places it right. (The simulation agrees: its budget process starts cycle 17 after
17 timeouts of 0.1, at 1.7000000000000004.)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from builders import busy_run_fields
from orgsim.engine import events as ev
from orgsim.metrics.columns import Scan, per_quarter, scan


def _scan_of(quarter_days: float, end: float) -> Scan:
    fields = busy_run_fields(scenario="quarters", broker=False, quarter_days=quarter_days)
    return scan([ev.RunStarted(seq=0, time=0.0, **fields), ev.RunEnded(seq=1, time=end)])


def test_a_time_just_before_a_quarter_boundary_counts_in_the_quarter_before() -> None:
    s = _scan_of(0.1, 2.0)
    assert s.quarters == 20  # ceil(round(2.0 / 0.1, 9)) = 20
    # the premise, in exact arithmetic: 16·qd <= 1.7 < 17·qd
    assert 16 * Fraction(0.1) <= Fraction(1.7) < 17 * Fraction(0.1)
    got = per_quarter(s, [0.05, 1.7], [2.0, 3.0])
    expected = np.zeros(20)
    expected[0] = 2.0  # 0.05 in [0, 0.1)
    expected[16] = 3.0  # 1.7 in [1.6000000000000000888, 1.7000000000000000943)
    np.testing.assert_array_equal(got, expected)
