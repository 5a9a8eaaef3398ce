"""Exact Shapley values (:mod:`orgsim.experiments.attribution`) against hand computations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from orgsim.experiments.attribution import coalition, shapley, shapley_matrix


def game(players: str, values: dict[str, float]) -> dict[frozenset[str], float]:
    """A value function from ``{"": 0, "a": 1, "ab": 3, ...}`` (one letter a player)."""
    out = {frozenset(k): v for k, v in values.items()}
    assert len(out) == 2 ** len(players)
    return out


def test_two_players_by_hand() -> None:
    # w(0) = w(1) = 1/2. phi_a = 1/2 (10 - 0) + 1/2 (50 - 20) = 20;
    # phi_b = 1/2 (20 - 0) + 1/2 (50 - 10) = 30; together v(ab) = 50.
    v = game("ab", {"": 0.0, "a": 10.0, "b": 20.0, "ab": 50.0})
    assert shapley(v, ["a", "b"]) == {"a": 20.0, "b": 30.0}


def test_three_players_with_an_interaction_by_hand() -> None:
    # a, b, c alone bring 1, 2, 3; a and b together 6 more (an interaction).
    # K = 3: w(0) = 1/3, w(1) = 1/6, w(2) = 1/3.
    # phi_a = 1/3 x 1 + 1/6 (9 - 2) + 1/6 (4 - 3) + 1/3 (12 - 5) = 4: its 1 and half the 6;
    # phi_b = 2 + 3 = 5; phi_c = 3: no interaction, its own effect.
    v = game(
        "abc",
        {"": 0, "a": 1, "b": 2, "c": 3, "ab": 9, "ac": 4, "bc": 5, "abc": 12},
    )
    phi = shapley(v, ["a", "b", "c"])
    assert phi == pytest.approx({"a": 4.0, "b": 5.0, "c": 3.0}, rel=1e-12)


def test_efficiency_symmetry_and_a_dummy() -> None:
    rng = np.random.default_rng(7)
    players = ["a", "b", "c", "d"]
    base = {
        frozenset(s): float(rng.normal())
        for n in range(4)
        for s in itertools.combinations("abc", n)
    }
    # d is a dummy: adding it never changes the value
    v = {**base, **{s | {"d"}: x for s, x in base.items()}}
    phi = shapley(v, players)
    everyone, nobody = frozenset(players), frozenset()
    assert sum(phi.values()) == pytest.approx(v[everyone] - v[nobody], abs=1e-12)
    assert phi["d"] == pytest.approx(0.0, abs=1e-12)
    # symmetric players: a value depending only on how many of a, b a coalition holds
    sym = {
        frozenset(s): float(len(set(s) & {"a", "b"}) ** 2 + 3 * ("c" in s))
        for n in range(4)
        for s in itertools.combinations("abc", n)
    }
    phi = shapley(sym, ["a", "b", "c"])
    assert phi["a"] == pytest.approx(phi["b"], rel=1e-12)
    assert phi["a"] == pytest.approx(2.0, rel=1e-12)  # 4 split by two
    assert phi["c"] == pytest.approx(3.0, rel=1e-12)


def test_the_matrix_form_takes_one_column_per_replication() -> None:
    # two replications of the two-player game, the second doubled
    v = np.array([[0.0, 0.0], [10.0, 20.0], [20.0, 40.0], [50.0, 100.0]])  # by mask
    phi = shapley_matrix(v, 2)
    assert phi.tolist() == [[20.0, 40.0], [30.0, 60.0]]
    assert coalition(0b101, ["a", "b", "c"]) == ("a", "c")
    with pytest.raises(ValueError, match="2\\*\\*3 coalitions"):
        shapley_matrix(np.zeros(4), 3)


def test_a_missing_coalition_is_refused() -> None:
    with pytest.raises(ValueError, match="1 coalition"):
        shapley({frozenset(): 0.0, frozenset("a"): 1.0, frozenset("b"): 2.0}, ["a", "b"])
    with pytest.raises(ValueError, match="repeat"):
        shapley({frozenset(): 0.0, frozenset("a"): 1.0}, ["a", "a"])
