"""Values of the cash flow at a balance of exactly zero.

:func:`orgsim.engine.state._cash_flow` sets ``cash_out``, the instant the balance
reaches zero: ``t`` itself when the balance is zero or below at ``t``, whatever the
burn; ``t + cash / burn`` with cash left and a burn; never (``inf``) with cash and no
burn.
"""

from __future__ import annotations

import math

from builders import run_fields
from orgsim.engine import events as ev
from orgsim.engine.state import fold


def founded(cash: float) -> list[ev.Event]:
    # no department, so no payroll; no quarter, so no broker cost: burn 0
    return [
        ev.RunStarted(seq=0, time=0.0, **run_fields()),
        ev.BudgetFounded(seq=1, time=5.0, base_budget=0.0, cash=cash, cash_share=0.5),
    ]


def test_a_company_founded_without_cash_is_out_of_it_at_once_even_with_no_burn() -> None:
    # cash 0 at day 5, burn 0: the balance is already zero, so cash_out = 5 (not inf)
    s = fold(founded(0.0))
    assert (s.cash, s.burn, s.cash_founded) == (0.0, 0.0, True)
    assert s.cash_out == 5.0


def test_a_company_with_cash_and_no_burn_never_runs_out() -> None:
    # cash 10 > 0 at day 5, burn 0: the balance never falls, cash_out = inf
    s = fold(founded(10.0))
    assert (s.cash, s.burn) == (10.0, 0.0)
    assert s.cash_out == math.inf
