"""Values of a bilateral negotiation, run by hand on a one-conflict company.

:func:`orgsim.engine.conflicts.negotiation` returns whether the conflict is over:
True when it was settled, or closed while the sides negotiated (then nothing more is
recorded for it), False when the negotiation failed (it escalates). Each case runs the
negotiation alone in a process of a set-up run, with hand-picked draws.
"""

from __future__ import annotations

from builders import KIND, conflict_draws, one_conflict_scenario, raise_by_hand
from orgsim.engine.conflicts import crossed, negotiation
from orgsim.engine.context import Proc
from orgsim.engine.resolution import ConflictDraws, settle
from orgsim.engine.run import Run


def draws(success: float) -> ConflictDraws:
    """One day of negotiation per layer crossed, two of climbing; ``success`` its draw."""
    return conflict_draws(negotiation_success=success, negotiation_winner=0.0, climb=2.0)


def negotiate(success: float, settle_at: float | None = None) -> tuple[Run, bool, int, float]:
    """Raise conflict 0 at 0 and negotiate it; settle it from outside at ``settle_at``.

    Returns the run, what the negotiation returned, the layers crossed, and when it did.
    """
    sc = one_conflict_scenario()
    run = Run(sc, seed=1)
    run.setup()
    kind = sc.conflicts.kinds[KIND]
    raise_by_hand(run)
    layers = crossed(run, 0)
    ended: list[float] = []

    def talks_then_stop(ctx: Run) -> Proc:
        over = yield from negotiation(ctx, 0, kind, draws(success))
        ended.append(ctx.env.now)
        return over

    talks = run.env.process(talks_then_stop(run))

    def outside(ctx: Run) -> Proc:
        assert settle_at is not None
        yield ctx.env.timeout(settle_at)
        settle(ctx, 0, kind, "mediation", "target")

    if settle_at is not None:
        run.env.process(outside(run))
    run.env.run(until=sc.horizon)
    return run, talks.value, layers, ended[0]


def of_conflict(run: Run) -> list[tuple[str, float]]:
    return [(type(e).__name__, e.time) for e in run.log if getattr(e, "conflict", None) == 0]


def test_a_conflict_closed_while_negotiating_is_over_and_nothing_more_is_recorded() -> None:
    # settled elsewhere half a day in; the talks (1 day per layer) end later: over
    run, over, layers, ended = negotiate(success=0.0, settle_at=0.5)
    assert ended == 6.0  # the talks' 6 days ran out, and found it closed
    assert layers == 6  # marketing's 3 layers and engineering's 3 in the default company
    assert over is True
    assert of_conflict(run) == [
        ("ConflictRaised", 0.0),
        ("NegotiationStarted", 0.0),
        ("ConflictResolved", 0.5),
    ]


def test_a_successful_negotiation_settles_when_the_talks_end() -> None:
    # success draw 0 < 0.9 ** 6: settled after 1 day for each of the 6 layers crossed
    run, over, layers, ended = negotiate(success=0.0)
    assert (over, layers, ended) == (True, 6, 6.0)
    assert of_conflict(run)[-1] == ("ConflictResolved", 6.0)
    assert run.state.conflicts[0].status == "resolved"


def test_a_failed_negotiation_is_not_over_after_climbing() -> None:
    # success draw 1 is not below 0.9 ** 6: failed at 6, then 2 days a layer up, to 18
    run, over, layers, ended = negotiate(success=1.0)
    assert (over, layers, ended) == (False, 6, 18.0)
    assert of_conflict(run) == [
        ("ConflictRaised", 0.0),
        ("NegotiationStarted", 0.0),
        ("NegotiationFailed", 6.0),
    ]
    assert run.state.conflicts[0].status == "failed"
