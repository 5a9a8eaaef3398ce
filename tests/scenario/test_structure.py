"""The organisation's shape, computed by hand; the bundled companies share every behaviour."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from orgsim.scenario.grounding import grounding_of
from orgsim.scenario.loading import load_scenario, parse_scenario
from orgsim.scenario.schema import Scenario
from orgsim.scenario.structure import directors, layers, shape, teams

BUNDLED = ("startup", "midsize", "enterprise")


def test_teams_layers_and_directors_by_hand() -> None:
    # span 7: 7 people are one team, 8 are two; 49 people need two layers, 50 three
    assert [teams(n, 7) for n in (0, 1, 7, 8, 14, 15)] == [0, 1, 1, 2, 2, 3]
    assert [layers(n, 7) for n in (0, 1, 2, 7, 8, 49, 50, 343, 344)] == [0, 1, 1, 1, 2, 2, 3, 3, 4]
    # a Director leads 7 line PMs: 8 people make one Director, 7 none
    assert [directors(n, 7) for n in (3, 7, 8, 16, 25, 250)] == [0, 0, 1, 2, 3, 31]


def test_the_midsize_shape_by_hand() -> None:
    s = shape(Scenario())
    # 200 engineers / 7 = 28.6 -> 29 teams in ceil(log 200 / log 7) = 3 layers
    assert s.teams["engineering"] == 29 and s.layers["engineering"] == 3
    assert s.teams["qa"] == 6 and s.layers["qa"] == 2
    # Product: 25 people, 3 Directors, 22 line PMs; the broker is the VP PM + 3
    assert (s.directors, s.line_pms, s.mediators, s.hired_mediators) == (3, 22, 4, 0)
    others = 29 + 6 + 8 + 14 + 13  # teams outside Product
    assert s.coverage == pytest.approx(others / 22)
    assert s.product_share == pytest.approx(25 / 500)
    assert s.neutrality == pytest.approx(0.9 - 1.0 * 0.05)
    # sales (14 teams) x engineering (29) on 4 products: 4 x 3.5 x 7.25
    assert s.interfaces("sales", "engineering") == pytest.approx(101.5)
    assert s.crossed("sales", "qa") == 3 + 2
    assert s.drag("engineering", 0.5) == pytest.approx(0.5 / 29)


def test_a_department_with_fewer_teams_than_products_touches_each() -> None:
    sc = parse_scenario({"delivery": {"products": 10}})
    s = shape(sc)
    # qa has 6 teams for 10 products: one contact per product; engineering 2.9 per product
    assert s.interfaces("marketing", "qa") == pytest.approx(10.0)
    assert s.interfaces("qa", "engineering") == pytest.approx(10 * 1 * 2.9)


def test_set_mediators_win_and_the_extra_ones_are_hires() -> None:
    s = shape(parse_scenario({"broker": {"mediators": 6}}))
    assert (s.mediators, s.hired_mediators) == (6, 2)
    assert shape(parse_scenario({"broker": {"mediators": 2}})).hired_mediators == 0


def test_a_large_product_department_is_less_neutral() -> None:
    big = shape(parse_scenario({"departments": {"product": {"staff": 125}}}))
    assert big.product_share == pytest.approx(125 / 600)
    assert big.neutrality == pytest.approx(0.9 - 125 / 600)


def _behaviour(obj: Any) -> Any:
    """A scenario tree without its structural inputs (and its name)."""
    if attrs.has(type(obj)):
        out = {}
        for f in attrs.fields(type(obj)):
            g = grounding_of(type(obj), f.name)
            if f.name in ("name", "description") or (g is not None and g.structural):
                continue
            out[f.name] = _behaviour(getattr(obj, f.name))
        return out
    if isinstance(obj, dict):
        return {k: _behaviour(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_behaviour(v) for v in obj]
    return obj


def test_the_bundled_companies_share_every_behavioural_constant() -> None:
    trees = {name: _behaviour(load_scenario(name)) for name in BUNDLED}
    assert trees["startup"] == trees["midsize"] == trees["enterprise"]
    # ... and differ in structure, which is the point
    staff = {name: load_scenario(name).departments["engineering"].staff for name in BUNDLED}
    assert staff == {"startup": 20, "midsize": 200, "enterprise": 2000}


def test_the_bundled_shapes() -> None:
    start, mid, ent = (shape(load_scenario(n)) for n in BUNDLED)
    assert (start.mediators, mid.mediators, ent.mediators) == (1, 4, 32)
    assert start.crossed("sales", "engineering") == 4
    assert mid.crossed("sales", "engineering") == 6
    assert ent.crossed("sales", "engineering") == 8
    # ten times the company, about ten times the interfaces
    ratio = ent.interfaces("sales", "engineering") / mid.interfaces("sales", "engineering")
    assert 9.0 < ratio < 10.0
