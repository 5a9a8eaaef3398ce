"""Values of the broker's roadmap realignment (:func:`orgsim.engine.market.broker_realignment`).

One product whose market shifts at day 100 (the next shift, at 200, is past the
195-day horizon); no features, no conflicts. The loudest department's numbers show
the shift ``notice`` days later, the broker sees it ``broker_notice`` days later and
re-prioritises for 3 days with a mediator (4 in the default company). A hand-made
task may hold every mediator until ``busy_until``.
"""

from __future__ import annotations

from typing import Any

from orgsim.engine import events as ev
from orgsim.engine.context import Proc
from orgsim.engine.run import Run
from orgsim.scenario.loading import parse_scenario


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def realign(
    notice: float, broker_notice: float, busy_until: float | None = None, probe_at: float = 0.0
) -> tuple[Run, list[int]]:
    """Run the shift; returns the run and the mediator queue's length at ``probe_at``."""
    sc = parse_scenario(
        {
            "horizon": 195.0,
            "delivery": {
                "products": 1,
                "initial_features": 0,
                "feature_interarrival": det(1e9),
            },
            "conflicts": {"intensity": 0.0},
            "broker": {"enabled": True, "praise_gain": 0.0},
            "market": {
                "shift_interarrival": det(100.0),
                "notice": det(notice),
                "broker_notice": det(broker_notice),
                "realign_days": det(3.0),
            },
        }
    )
    run = Run(sc, seed=1)
    run.setup()
    queued: list[int] = []

    def hold(ctx: Run) -> Proc:
        assert busy_until is not None
        slots = [ctx.mediators.request() for _ in range(ctx.mediators.capacity)]
        for slot in slots:
            yield slot
        yield ctx.env.timeout(busy_until)
        for slot in slots:
            ctx.mediators.release(slot)

    def probe(ctx: Run) -> Proc:
        yield ctx.env.timeout(probe_at)
        queued.append(len(ctx.mediators.queue))

    if busy_until is not None:
        run.env.process(hold(run))
    run.env.process(probe(run))
    run.env.run(until=sc.horizon)
    return run, queued


def realignments(run: Run) -> list[tuple[str, float, int, int, str]]:
    return [
        (type(e).__name__, e.time, e.product, e.epoch, getattr(e, "channel", ""))
        for e in run.log
        if isinstance(e, ev.RealignmentStarted | ev.RoadmapRealigned)
    ]


def test_the_broker_realigns_product_0_to_epoch_1_when_it_sees_first() -> None:
    # the broker sees the shift at 100 + 5 and takes 3 days; the numbers would show at 120
    run, _ = realign(notice=20.0, broker_notice=5.0)
    assert realignments(run) == [
        ("RealignmentStarted", 105.0, 0, 1, ""),
        ("RoadmapRealigned", 108.0, 0, 1, "broker"),
    ]
    assert run.state.roadmap_epoch == {0: 1}


def test_a_broker_that_sees_a_shift_already_followed_does_not_queue_for_a_mediator() -> None:
    # the numbers show at 105 and move the roadmap; the broker sees it at 120, when every
    # mediator is busy (to 150): it does not join the queue (probed at 121)
    run, queued = realign(notice=5.0, broker_notice=20.0, busy_until=150.0, probe_at=121.0)
    assert queued == [0]
    assert realignments(run) == [("RoadmapRealigned", 105.0, 0, 1, "surfaced")]


def test_a_mediator_that_comes_free_after_the_roadmap_followed_is_not_spent_on_it() -> None:
    # the broker sees it at 105 and waits, every mediator busy to 130; the numbers move
    # the roadmap at 120: at 130 the broker finds it followed and starts nothing
    run, queued = realign(notice=20.0, broker_notice=5.0, busy_until=130.0, probe_at=110.0)
    assert queued == [1]  # the broker's request was waiting
    assert realignments(run) == [("RoadmapRealigned", 120.0, 0, 1, "surfaced")]
