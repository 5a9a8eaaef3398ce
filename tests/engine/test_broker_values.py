"""Values of a mediation, and of the broker's praise, run by hand on the default company.

:func:`orgsim.engine.broker.mediation` returns whether the conflict is over: True
when settled, or closed while it waited for a mediator or was mediated; False when
the mediation failed. Each case runs one mediation alone in a process of a set-up
run (no conflicts arrive, no market shifts, no praise), with hand-picked draws.
Political weight is the staff share alone (``weight_budget_share`` 0): of the 500
people of the default company, marketing has 55 and engineering 200.
"""

from __future__ import annotations

import pytest

from builders import KIND, conflict_draws, one_conflict_scenario, raise_by_hand
from orgsim.engine import events as ev
from orgsim.engine.broker import mediation
from orgsim.engine.context import Proc
from orgsim.engine.resolution import ConflictDraws, settle
from orgsim.engine.rng import Streams
from orgsim.engine.run import Run, simulate
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario

QUIET = {"shift_interarrival": {"kind": "deterministic", "mean": 1e9}}


def scenario() -> Scenario:
    return one_conflict_scenario(
        market=QUIET,
        budget={"weight_budget_share": 0.0},
        broker={
            "enabled": True,
            "praise_gain": 0.0,
            "initial_credibility": 0.5,
            "credibility_floor": 0.2,
            "credibility_halflife": 180.0,
            "success_base": 0.35,
            "success_credibility": 0.55,
            "credibility_gain": 0.08,
            "credibility_loss": 0.15,
            "ceo_briefing": 0.4,
        },
    )


def draws(
    days: float = 0.0,
    success: float = 0.0,
    neutral: float = 1.0,
    winner: float = 1.0,
    company_side: str = "initiator",
) -> ConflictDraws:
    return conflict_draws(
        company_side=company_side,
        mediation_days=days,
        mediation_success=success,
        mediation_neutral=neutral,
        mediation_winner=winner,
    )


def mediate(
    d: ConflictDraws, settle_at: float | None = None, busy_until: float | None = None
) -> tuple[Run, bool, float]:
    """Raise conflict 0 (marketing against engineering) at 0 and mediate it.

    ``settle_at``: it is settled from outside (by negotiation) then; ``busy_until``:
    every mediator is held by another task until then. Returns the run, what the
    mediation returned and when it did.
    """
    sc = scenario()
    run = Run(sc, seed=1)
    run.setup()
    kind = sc.conflicts.kinds[KIND]
    raise_by_hand(run, company_side=d.company_side)
    ended: list[float] = []

    def hold(ctx: Run) -> Proc:
        assert busy_until is not None
        slots = [ctx.mediators.request() for _ in range(ctx.mediators.capacity)]
        for slot in slots:
            yield slot
        yield ctx.env.timeout(busy_until)
        for slot in slots:
            ctx.mediators.release(slot)

    if busy_until is not None:
        run.env.process(hold(run))

    def mediated(ctx: Run) -> Proc:
        over = yield from mediation(ctx, 0, kind, d)
        ended.append(ctx.env.now)
        return over

    proc = run.env.process(mediated(run))

    def outside(ctx: Run) -> Proc:
        assert settle_at is not None
        yield ctx.env.timeout(settle_at)
        settle(ctx, 0, kind, "negotiation", "target")

    if settle_at is not None:
        run.env.process(outside(run))
    run.env.run(until=sc.horizon)
    return run, proc.value, ended[0]


def of_conflict(run: Run) -> list[tuple[str, float]]:
    return [(type(e).__name__, e.time) for e in run.log if getattr(e, "conflict", None) == 0]


def resolved(run: Run) -> ev.ConflictResolved:
    (event,) = [e for e in run.log if isinstance(e, ev.ConflictResolved)]
    return event


def credibility_moves(run: Run) -> list[float]:
    return [e.credibility for e in run.log if isinstance(e, ev.CredibilityChanged)]


def test_a_conflict_closed_while_waiting_for_a_mediator_is_over_and_never_mediated() -> None:
    # the 4 mediators are busy until 5; it is settled at 2; the slot at 5 finds it closed
    run, over, ended = mediate(draws(days=1.0), settle_at=2.0, busy_until=5.0)
    assert (over, ended) == (True, 5.0)
    assert of_conflict(run) == [
        ("ConflictRaised", 0.0),
        ("MediationQueued", 0.0),
        ("ConflictResolved", 2.0),
    ]
    assert resolved(run).forum == "negotiation"


def test_a_conflict_closed_while_mediated_is_over_and_nothing_more_is_recorded() -> None:
    # mediated from 0 for 3 days; settled from outside at 1
    run, over, ended = mediate(draws(days=3.0), settle_at=1.0)
    assert (over, ended) == (True, 3.0)
    assert of_conflict(run) == [
        ("ConflictRaised", 0.0),
        ("MediationQueued", 0.0),
        ("MediationStarted", 0.0),
        ("ConflictResolved", 1.0),
    ]
    assert credibility_moves(run) == []


def test_a_success_draw_equal_to_the_chance_fails() -> None:
    # at 0 credibility is its initial 0.5: chance 0.35 + 0.55 * 0.5 = 0.625; a draw of
    # exactly the chance is not below it: failed, briefing 0.4 * 0.5, credibility 0.5 * 0.85
    sc = scenario()
    probe = Run(sc, seed=1)
    probe.setup()
    cred = probe.state.credibility_at(0.0)
    assert cred == pytest.approx(0.5, rel=1e-12)
    chance = sc.broker.success_base + sc.broker.success_credibility * cred
    assert chance == pytest.approx(0.625, rel=1e-12)
    run, over, ended = mediate(draws(success=chance))
    assert (over, ended) == (False, 0.0)
    (failed,) = [e for e in run.log if isinstance(e, ev.MediationFailed)]
    assert failed.briefing == pytest.approx(0.2, rel=1e-12)
    assert credibility_moves(run) == [pytest.approx(0.425, rel=1e-12)]
    assert run.state.conflicts[0].closed < 0  # still open: it escalates


def test_a_success_draw_just_below_the_chance_settles_by_mediation() -> None:
    # success: credibility 0.5 + 0.08 * (1 - 0.5) = 0.54; a neutral draw 0 < 0.85
    # takes the company's side, the initiator's
    run, over, ended = mediate(draws(success=0.6249, neutral=0.0, winner=1.0))
    assert (over, ended) == (True, 0.0)
    event = resolved(run)
    assert (event.forum, event.winner, event.company_interest) == ("mediation", "marketing", True)
    assert credibility_moves(run) == [pytest.approx(0.54, rel=1e-12)]


def test_a_neutral_draw_equal_to_the_neutrality_lets_power_decide() -> None:
    # neutrality 0.85 (the default PM organisation); a draw of exactly it is not below:
    # power decides, and a power draw of 1 goes to the target, against the company
    probe = Run(scenario(), seed=1)
    probe.setup()
    neutrality = probe.state.neutrality
    assert neutrality == pytest.approx(0.85, rel=1e-12)
    run, over, _ = mediate(draws(neutral=neutrality, winner=1.0, company_side="initiator"))
    event = resolved(run)
    assert over is True
    assert (event.forum, event.winner, event.company_interest) == (
        "mediation",
        "engineering",
        False,
    )


def test_power_decides_a_mediation_not_taken_by_neutrality_with_exponent_one() -> None:
    # staff shares 55/500 and 200/500: p = 55 / 255 = 0.2157 at exponent 1 (it would be
    # 55**2 / (55**2 + 200**2) = 0.0703 at 2); a power draw of 0.1 < 0.2157: initiator
    run, over, _ = mediate(draws(neutral=1.0, winner=0.1, company_side="target"))
    event = resolved(run)
    assert over is True
    assert (event.forum, event.winner, event.company_interest) == ("mediation", "marketing", False)


def test_power_gives_the_target_a_mediation_at_a_draw_above_the_initiators_chance() -> None:
    # a power draw of 0.3 is not below 0.2157: the target, here the company's side
    run, _, _ = mediate(draws(neutral=1.0, winner=0.3, company_side="target"))
    event = resolved(run)
    assert (event.forum, event.winner, event.company_interest) == (
        "mediation",
        "engineering",
        True,
    )


# ------------------------------------------------------------------ praise


def test_praise_draws_from_the_broker_praise_stream() -> None:
    """Acts every 10 days to day 105: 10 departments, drawn from ``broker.praise``.

    The others than the broker's Product, in name order; each act draws
    its interval, then the department, from the stream seeded for (seed 4,
    replication 0, "broker.praise"), which nothing else draws from.
    """
    sc = parse_scenario(
        {
            "horizon": 105.0,
            "conflicts": {"intensity": 0.0},
            "market": QUIET,
            "broker": {
                "enabled": True,
                "praise_interarrival": {"kind": "deterministic", "mean": 10.0},
                "praise_gain": 0.1,
            },
        }
    )
    run = simulate(sc, seed=4)
    others = tuple(n for n in sc.active_departments if n != "product")
    assert others == ("engineering", "marketing", "qa", "sales", "support")  # name order
    rng = Streams(4, 0)["broker.praise"]
    expected = []
    for _ in range(10):
        sc.broker.praise_interarrival.draw(rng)
        expected.append(others[int(rng.integers(len(others)))])
    acts = [e for e in run.log if isinstance(e, ev.BrokerPraised)]
    assert [e.time for e in acts] == [10.0 * k for k in range(1, 11)]
    assert [e.department for e in acts] == expected
    assert "broker.praise" in run.streams.names
