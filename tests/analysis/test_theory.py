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
