"""Values of :func:`orgsim.engine.resolution.power_winner` on hand-made states.

``power_winner`` reads only the conflict's two sides, the departments' staff and
allocated budget, and ``budget.weight_budget_share``: a stand-in context with those
gives weights computed by hand. With a budget share of 0 the weight is the staff
share: ``w = staff / total staff``; the initiator prevails when ``u < p`` with
``p = w_i^e / (w_i^e + w_t^e)``, or one half when both weights are zero.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from orgsim.engine.resolution import power_winner


def ctx(initiator_staff: int, target_staff: int, other_staff: int = 0) -> Any:
    """Conflict 0 of department ``i`` against ``t`` (and a bystander ``o``), no budget yet."""
    departments = {
        "i": SimpleNamespace(staff=initiator_staff, allocated=0.0),
        "t": SimpleNamespace(staff=target_staff, allocated=0.0),
        "o": SimpleNamespace(staff=other_staff, allocated=0.0),
    }
    return SimpleNamespace(
        state=SimpleNamespace(
            conflicts={0: SimpleNamespace(initiator="i", target="t")},
            departments=departments,
        ),
        scenario=SimpleNamespace(budget=SimpleNamespace(weight_budget_share=0.0)),
    )


def test_a_draw_equal_to_the_initiators_chance_goes_to_the_target() -> None:
    # equal staff: p = 0.5 exactly; u = 0.5 is not below it
    assert power_winner(ctx(3, 3), 0, 0.5, 1.0) == "target"
    assert power_winner(ctx(3, 3), 0, 0.4999, 1.0) == "initiator"


def test_the_initiators_chance_is_its_share_of_the_two_weights() -> None:
    # staff 1 and 3 of 4: w = 0.25, 0.75; p = 0.25 / 1.0 = 0.25 at exponent 1
    c = ctx(1, 3)
    assert power_winner(c, 0, 0.1, 1.0) == "initiator"
    assert power_winner(c, 0, 0.2499, 1.0) == "initiator"
    assert power_winner(c, 0, 0.25, 1.0) == "target"
    # at exponent 2: p = 0.0625 / (0.0625 + 0.5625) = 0.1
    assert power_winner(c, 0, 0.0999, 2.0) == "initiator"
    assert power_winner(c, 0, 0.1001, 2.0) == "target"


def test_two_weightless_sides_have_even_chances() -> None:
    # neither side has staff or budget (the bystander has all 5): both weights 0, p = 0.5
    c = ctx(0, 0, other_staff=5)
    assert power_winner(c, 0, 0.4999, 1.0) == "initiator"
    assert power_winner(c, 0, 0.5, 1.0) == "target"
    assert power_winner(c, 0, 0.7, 2.0) == "target"
    # and with no staff anywhere (the total falls back to 1): still one half
    empty = ctx(0, 0)
    assert power_winner(empty, 0, 0.7, 1.0) == "target"
    assert power_winner(empty, 0, 0.3, 1.0) == "initiator"


@pytest.mark.parametrize("u", [0.0, 0.5, 0.99])
def test_the_answer_is_one_of_the_two_side_names(u: float) -> None:
    # staff 1 and 1: p = 0.5
    assert power_winner(ctx(1, 1), 0, u, 1.0) == ("initiator" if u < 0.5 else "target")
