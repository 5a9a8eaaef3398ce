"""The shape of tiny companies, computed by hand (span 7 throughout)."""

from __future__ import annotations

import pytest

from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario
from orgsim.scenario.structure import shape

DEPARTMENTS = ("engineering", "qa", "marketing", "sales", "support", "product")


def tiny() -> Scenario:
    """Six departments of 15, 5, 7, 8, 0 and 8 people, two products, span 7."""
    staff = {"engineering": 15, "qa": 5, "marketing": 7, "sales": 8, "support": 0, "product": 8}
    return parse_scenario(
        {
            "departments": {n: {"staff": s} for n, s in staff.items()},
            "delivery": {"products": 2},
            "structure": {"span_of_control": 7},
        }
    )


def only(enabled: dict[str, int], *, broker: bool = True, stage: str = "product") -> Scenario:
    """A valid company of the enabled departments (staff given), the others disabled.

    One stage (done by ``stage``) and no conflict kind, so nothing refers elsewhere.
    """
    departments = {
        n: ({"staff": enabled[n]} if n in enabled else {"enabled": False}) for n in DEPARTMENTS
    }
    kinds = {k: {"enabled": False} for k in Scenario().conflicts.kinds}
    return parse_scenario(
        {
            "departments": departments,
            "delivery": {"stages": [{"name": "work", "department": stage}]},
            "conflicts": {"kinds": kinds},
            "broker": {"enabled": broker},
        }
    )


def test_the_tiny_company_teams_and_layers() -> None:
    s = shape(tiny())
    assert s.span == 7.0 and s.products == 2
    # teams ceil(staff / 7): 15 -> 3, 5 -> 1, 7 -> 1, 8 -> 2, 0 -> 0, 8 -> 2
    assert dict(s.teams) == {
        "engineering": 3,
        "qa": 1,
        "marketing": 1,
        "sales": 2,
        "support": 0,
        "product": 2,
    }
    # layers, least L with 7**L >= staff: 15 and 8 need 2 (7 < 8 <= 49), 5 and 7 one,
    # an empty department none
    assert dict(s.layers) == {
        "engineering": 2,
        "qa": 1,
        "marketing": 1,
        "sales": 2,
        "support": 0,
        "product": 2,
    }
    assert s.crossed("sales", "engineering") == 2 + 2
    assert s.crossed("qa", "marketing") == 1 + 1


def test_the_tiny_pm_organisation() -> None:
    s = shape(tiny())
    # 8 product staff: floor(8 / (7 + 1)) = 1 Director leading 7 line PMs
    assert (s.directors, s.line_pms) == (1, 7)
    # the VP PM and the one Director mediate; nobody is hired
    assert (s.mediators, s.hired_mediators) == (2, 0)
    # teams outside Product: 3 + 1 + 1 + 2 + 0 = 7, over 7 line PMs
    assert s.coverage == 1.0
    # Product is 8 of 15 + 5 + 7 + 8 + 0 + 8 = 43 people
    assert s.product_share == pytest.approx(8 / 43, rel=1e-12)
    # default neutrality 0.9, loss 1.0 per unit of share
    assert s.neutrality == pytest.approx(0.9 - 8 / 43, rel=1e-12)


def test_interfaces_on_two_products() -> None:
    s = shape(tiny())
    # P x max(1, ta / P) x max(1, tb / P) with P = 2
    # sales 2 teams x engineering 3: 2 x 1 x 1.5
    assert s.interfaces("sales", "engineering") == pytest.approx(3.0, rel=1e-12)
    # qa's single team touches both products: 2 x max(1, 0.5) x 1.5, from either side
    assert s.interfaces("qa", "engineering") == pytest.approx(3.0, rel=1e-12)
    assert s.interfaces("engineering", "qa") == pytest.approx(3.0, rel=1e-12)
    # two one-team departments: 2 x 1 x 1
    assert s.interfaces("qa", "marketing") == pytest.approx(2.0, rel=1e-12)
    # a department with no staff has no teams and so no interfaces, from either side
    assert s.interfaces("support", "engineering") == 0.0
    assert s.interfaces("engineering", "support") == 0.0


def test_a_disabled_department_has_no_interfaces() -> None:
    sc = parse_scenario(
        {
            "departments": {"support": {"enabled": False}},
            "conflicts": {"kinds": {"poaching": {"enabled": False}}},
        }
    )
    s = shape(sc)
    assert "support" not in s.teams
    assert s.interfaces("support", "engineering") == 0.0
    assert s.interfaces("engineering", "support") == 0.0


def test_drag_is_one_teams_share() -> None:
    s = shape(tiny())
    # engineering's 3 teams: a conflict drags one of them, 0.6 / 3
    assert s.drag("engineering", 0.6) == pytest.approx(0.2, rel=1e-12)
    # qa is one team: the whole department
    assert s.drag("qa", 0.6) == 0.6
    # an empty department has nothing to drag
    assert s.drag("support", 0.6) == 0.0


def test_a_one_person_pm_organisation_is_one_line_pm() -> None:
    s = shape(only({"product": 1, "engineering": 15}))
    # floor(1 / 8) = 0 Directors; the one person is the line PM
    assert (s.directors, s.line_pms) == (0, 1)
    # engineering's 3 teams over that one line PM
    assert s.coverage == 3.0
    assert s.product_share == pytest.approx(1 / 16, rel=1e-12)


def test_a_one_person_company() -> None:
    s = shape(only({"product": 1}))
    assert dict(s.teams) == {"product": 1} and dict(s.layers) == {"product": 1}
    assert (s.directors, s.line_pms, s.coverage) == (0, 1, 0.0)
    # Product is all of the company: share 1, neutrality 0.9 - 1.0 x 1 clamped at 0
    assert s.product_share == 1.0
    assert s.neutrality == 0.0


def test_without_a_pm_organisation() -> None:
    # Product disabled and no broker: no Directors, no share, full neutrality
    s = shape(only({"engineering": 15}, broker=False, stage="engineering"))
    assert "product" not in s.teams
    assert (s.directors, s.line_pms) == (0, 1)
    assert s.product_share == 0.0
    assert s.coverage == 3.0  # engineering's 3 teams over the one line PM floor
    assert (s.mediators, s.hired_mediators) == (1, 0)
    assert s.neutrality == 0.9


def test_one_set_mediator_is_the_vp_alone() -> None:
    # the default Product of 25 has 3 Directors, but mediators = 1 wins: no hires
    s = shape(parse_scenario({"broker": {"mediators": 1}}))
    assert s.directors == 3
    assert (s.mediators, s.hired_mediators) == (1, 0)
