"""Values of the CEO desk's split of its hours and of a decided escalation's release.

:meth:`orgsim.engine.state.Desk.configure` gives the first ``full = floor(hours_per_week
/ max_hours_per_week)`` escalations the cap each and the next one the rest;
:meth:`~orgsim.engine.state.Desk.remove` counts a decided escalation's last crumb of
rounding as worked, never as dropped, whatever its rate (hours a week; days on the clock).
"""

from __future__ import annotations

import pytest

from orgsim.engine.state import Desk


def test_a_cap_a_hair_over_a_tenth_of_the_hours_fits_nine_times_not_ten() -> None:
    # the double 0.1 is 0.1000000000000000055511151231257827 > 1/10: ten caps need
    # 1.0000000000000000555 hours, more than the 1.0 given, so floor(1.0 / 0.1) = 9
    # (the rounded quotient 1.0 / 0.1 is 10.0); the 10th gets the rest,
    # 1.0 - 9 x 0.1 = 1.0 - 0.9 = 0.09999999999999998 (the double), the 11th waits
    desk = Desk()
    desk.configure(1.0, 0.1)
    assert (desk.full, desk.marginal) == (9, 1.0 - 9 * 0.1)
    assert desk.marginal == 0.09999999999999998
    for conflict in range(11):
        desk.add(0.0, conflict, 1.0)
    rates = [item.rate for item in desk.items.values()]
    assert rates == [0.1] * 9 + [0.09999999999999998, 0.0]
    assert desk.engaged == 10


def test_a_decided_escalation_below_one_hour_a_week_drops_no_crumb() -> None:
    # 0.9 hours a week, one escalation of 1.1 hours at the full 0.9: it finishes at
    # 7 x 1.1 / 0.9 = 8.555555555555557 days (the double), where the hours left are
    # 1.1 - 0.9 x 8.555555555555557 / 7 = -2.2e-16, a crumb of rounding: decided, so it
    # counts as worked (worked = 1.1, the hours it needed), and nothing is dropped
    desk = Desk()
    desk.configure(0.9, 0.9)
    desk.add(0.0, 1, 1.1)
    item = desk.items[1]
    assert (item.rate, item.finish) == (0.9, 8.555555555555557)
    assert desk.remaining_at(1, item.finish) == pytest.approx(-2.220446049250313e-16, abs=1e-20)
    desk.remove(item.finish, 1)
    assert desk.dropped == 0.0
    assert desk.worked == 1.1  # 0.9 x 8.555555555555557 / 7 + the crumb: 1.1 exactly
    assert desk.needed == 1.1


def test_an_escalation_released_after_its_hours_ran_out_counts_its_hours_once() -> None:
    # half an hour a week for 1 hour: out at 7 x 1 / 0.5 = 14 days; released at day 21
    # the desk has run 0.5 x 21 / 7 = 1.5 hours, the hours left are 1 - 1.5 = -0.5:
    # decided (finish 14 <= 21), so worked = 1.5 - 0.5 = 1.0, dropped 0
    desk = Desk()
    desk.configure(0.5, 0.5)
    desk.add(0.0, 1, 1.0)
    assert desk.items[1].finish == 14.0
    desk.remove(21.0, 1)
    assert (desk.worked, desk.dropped, desk.needed) == (1.0, 0.0, 1.0)
    assert (desk.busy, desk.engaged, desk.next_time) == (0.0, 0, float("inf"))
