"""Pacing: renewal processes consume their draws at the live rate, exactly.

Hand-computed instants: an interval of 10 units at rate 1 arrives at day 10; if
the rate doubles at day 4, the 6 units left take 3 days, so it arrives at day 7.
"""

from __future__ import annotations

import pytest

from orgsim.engine.context import Proc, RunContext
from orgsim.engine.pacing import Pace, paced, repace
from orgsim.engine.run import Run
from orgsim.scenario.schema import Scenario


def _world(
    level: float, period: bool = False, changes: tuple[tuple[float, float], ...] = ()
) -> tuple[list[float], list[float]]:
    """Run one paced process of 10-unit intervals; return its arrivals and draw instants."""
    ctx = RunContext(Scenario(), 1)
    live = {"level": level}
    arrivals: list[float] = []
    draws: list[float] = []

    def draw() -> float:
        draws.append(ctx.env.now)
        return 10.0

    ctx.env.process(
        paced(
            ctx,
            Pace(lambda: live["level"], period=period),
            draw,
            lambda: arrivals.append(ctx.env.now),
        )
    )

    def change() -> Proc:
        for at, new in changes:
            yield ctx.env.timeout(at - ctx.env.now)
            live["level"] = new
            repace(ctx)

    ctx.env.process(change())
    ctx.env.run(until=30.0)
    return arrivals, draws


def test_a_constant_rate_gives_the_draw_over_the_rate() -> None:
    assert _world(1.0)[0] == [10.0, 20.0]
    assert _world(0.5)[0] == [20.0]  # 10 / 0.5


def test_a_rate_doubling_mid_interval_carries_the_rest_over() -> None:
    """10 units, 4 used by day 4; 6 left at rate 2: 3 days. Then 10 / 2 = 5 days each."""
    arrivals, draws = _world(1.0, changes=((4.0, 2.0),))
    assert arrivals == [
        pytest.approx(7.0),
        pytest.approx(12.0),
        pytest.approx(17.0),
        pytest.approx(22.0),
        pytest.approx(27.0),
    ]
    assert len(draws) == 6  # one draw per interval: none added by the change


def test_a_period_halving_is_the_same_doubling() -> None:
    """A period of 1 day per unit halving to 0.5 at day 4: 6 units x 0.5 = 3 days."""
    arrivals, _ = _world(1.0, period=True, changes=((4.0, 0.5),))
    assert arrivals[:2] == [pytest.approx(7.0), pytest.approx(12.0)]


def test_two_changes_in_one_interval() -> None:
    """Rate 1 to day 2 (2 used), rate 4 to day 3 (4 used), rate 1 after: 4 left, day 7."""
    arrivals, _ = _world(1.0, changes=((2.0, 4.0), (3.0, 1.0)))
    assert arrivals[0] == pytest.approx(7.0)


def test_an_unchanged_level_is_left_alone() -> None:
    assert _world(1.0, changes=((4.0, 1.0),)) == _world(1.0)


def test_a_zero_rate_draws_nothing_until_it_rises() -> None:
    """Nothing arrives or is drawn at rate 0; at day 5 rate 1 draws, arriving at 15, 25."""
    arrivals, draws = _world(0.0, changes=((5.0, 1.0),))
    assert draws[0] == 5.0 and arrivals == [15.0, 25.0]
    assert _world(0.0) == ([], [])


def test_a_rate_falling_to_zero_holds_the_rest() -> None:
    """4 units used by day 4, rate 0 from then to day 10, rate 1 after: the 6 left end at 16."""
    arrivals, draws = _world(1.0, changes=((4.0, 0.0), (10.0, 1.0)))
    assert arrivals[0] == pytest.approx(16.0) and draws[:2] == [0.0, pytest.approx(16.0)]


def test_the_run_registers_every_paced_process() -> None:
    run = Run(Scenario(), 1)
    run.setup()
    run.env.run(until=1.0)
    kinds = [
        k for k, v in run.scenario.conflicts.kinds.items() if v.enabled and v.effect != "budget"
    ]
    assert len(run.paces) == run.scenario.delivery.products + len(kinds)
