"""Values of a conflict's company side (:func:`orgsim.engine.conflicts.draws`) and of
:func:`orgsim.engine.resolution.settle`'s ``company_interest``.

The initiator is on the company's side when the conflict stream's second number, a
uniform draw ``u`` in [0, 1), is below the kind's ``initiator_right``: probability
exactly ``initiator_right``. A stand-in stream returns ``u`` by hand (numpy's
``random()`` can return 0.0 exactly, so ``initiator_right = 0`` must never make the
initiator right). A resolution serves the company's interest exactly when the side
that prevails is the company's side.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import attrs
import numpy as np
import pytest

from builders import KIND, one_conflict_scenario, raise_by_hand
from orgsim.engine import events as ev
from orgsim.engine.conflicts import draws
from orgsim.engine.resolution import settle
from orgsim.engine.run import Run
from orgsim.scenario.schema import Scenario


class SecondUniform:
    """A numpy Generator whose second ``random()`` is ``u``; everything else is seed 0's.

    The first is the severity's: a uniform draw is ``low + (high - low) random()``.
    """

    def __init__(self, u: float) -> None:
        self.u: float | None = u
        self.calls = 0
        self.rng = np.random.default_rng(0)

    def random(self, *args: Any) -> Any:
        self.calls += 1
        if self.u is not None and not args and self.calls == 2:
            u, self.u = self.u, None
            return u
        return self.rng.random(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rng, name)


def company_side(initiator_right: float, u: float) -> str:
    sc = Scenario()
    kind = attrs.evolve(sc.conflicts.kinds[KIND], initiator_right=initiator_right)
    stream = SecondUniform(u)
    streams = {f"conflict.{KIND}": stream, f"broker.{KIND}": np.random.default_rng(0)}
    ctx: Any = SimpleNamespace(scenario=sc, streams=streams, broker=False)
    side = draws(ctx, KIND, kind).company_side
    assert stream.u is None  # the side took the second random(), after the severity's
    return side


def test_an_initiator_never_right_is_not_right_on_a_draw_of_zero() -> None:
    assert company_side(0.0, 0.0) == "target"
    assert company_side(0.0, 0.5) == "target"


def test_a_draw_equal_to_initiator_right_goes_to_the_target() -> None:
    # u < 0.5 is the initiator; 0.5 itself is not below it
    assert company_side(0.5, 0.5) == "target"
    assert company_side(0.5, float(np.nextafter(0.5, 0.0))) == "initiator"
    assert company_side(0.5, 0.0) == "initiator"


def test_an_initiator_always_right_is_right_on_the_highest_draw() -> None:
    # random() < 1 always: the largest double below 1 still goes to the initiator
    assert company_side(1.0, float(np.nextafter(1.0, 0.0))) == "initiator"


# ------------------------------------------------------------------ settle


def resolved(company_side: str, side: str) -> ev.ConflictResolved:
    """Raise conflict 0 (Marketing against Engineering) and settle it for ``side``."""
    sc = one_conflict_scenario()
    run = Run(sc, seed=1)
    run.setup()
    raise_by_hand(run, company_side=company_side)
    settle(run, 0, sc.conflicts.kinds[KIND], "ceo", side)
    (event,) = [e for e in run.log if isinstance(e, ev.ConflictResolved)]
    return event


@pytest.mark.parametrize(
    ("company_side", "side", "winner", "interest"),
    [
        ("initiator", "initiator", "marketing", True),
        ("initiator", "target", "engineering", False),
        ("target", "target", "engineering", True),
        ("target", "initiator", "marketing", False),
    ],
)
def test_company_interest_is_whether_the_winner_is_the_company_side(
    company_side: str, side: str, winner: str, interest: bool
) -> None:
    e = resolved(company_side, side)
    assert (e.conflict, e.forum, e.winner) == (0, "ceo", winner)
    assert e.company_interest is interest
