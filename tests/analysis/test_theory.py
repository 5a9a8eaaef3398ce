"""Erlang C against cases with known answers."""

from __future__ import annotations

import pytest

from orgsim.analysis.theory import erlang_c_wait


def test_one_server_is_the_mm1_wait() -> None:
    lam, mu = 0.3, 0.5
    assert erlang_c_wait(lam, mu, 1) == pytest.approx((lam / mu) / (mu - lam))


def test_two_servers_textbook_value() -> None:
    # lam=1, mu=1, c=2: P(wait) = 1/3, Wq = P(wait) / (c mu - lam) = 1/3
    assert erlang_c_wait(1.0, 1.0, 2) == pytest.approx(1 / 3)


def test_an_unstable_queue_is_refused() -> None:
    with pytest.raises(ValueError, match="lam < c\\*mu"):
        erlang_c_wait(2.0, 1.0, 2)


def test_three_servers_by_hand() -> None:
    # lam=2, mu=1, c=3: a=2, rho=2/3; a^c/c!/(1-rho) = (8/6)/(1/3) = 4;
    # sum_{k<3} a^k/k! = 1 + 2 + 2 = 5, so P(wait) = 4/(5+4) = 4/9 and
    # Wq = P(wait)/(c*mu - lam) = (4/9)/1.
    assert erlang_c_wait(2.0, 1.0, 3) == pytest.approx(4 / 9, rel=1e-12)


@pytest.mark.parametrize(
    ("lam", "mu", "c"),
    [
        (0.0, 1.0, 2),  # no arrivals
        (-1.0, 1.0, 2),
        (0.5, 0.0, 2),  # no service
        (0.5, -1.0, 2),
        (0.5, 1.0, 0),  # no server
        (1.5, 0.5, 2),  # c*mu = 1 < lam (c/mu would be 4)
        (1.0, 0.5, 2),  # exactly at capacity
    ],
)
def test_every_unstable_or_meaningless_queue_is_refused(lam: float, mu: float, c: int) -> None:
    with pytest.raises(ValueError, match="M/M/c needs 0 < lam < c\\*mu"):
        erlang_c_wait(lam, mu, c)
