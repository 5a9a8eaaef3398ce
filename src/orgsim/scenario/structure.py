"""The organisation's shape: teams, layers, interfaces and the PM organisation.

What differs between a 45-person start-up and a 5,000-person enterprise is, in
orgsim, only structure: how many people each department has, how many products,
how many people a manager leads (``structure.span_of_control``) and how large the
PM organisation is. Everything size changes follows from those, here, and the
behavioural constants of a scenario are the same at every size:

* **Teams.** A department of ``n`` people with span ``s`` has ``ceil(n / s)``
  teams. A conflict touches one team on each side, so the share of a department
  it drags is one team's share (:attr:`Shape.drag`): a conflict in a start-up's
  three-team Engineering touches a third of it, in an enterprise's three hundred
  teams a three-hundredth.
* **Layers.** The management levels from a team to the department's head: the
  smallest ``L`` with ``s ** L >= n``. Two departments meet only at the CEO's staff,
  so a conflict between them crosses both sides' layers (:meth:`Shape.crossed`):
  it surfaces slower, negotiating it takes longer and fails more often, and a
  failed negotiation climbs further to the CEO ("the great budgetary and
  reorganization battles that tear companies apart", the seed).
* **Interfaces.** Conflicts arise where work is handed across departments: on each
  product, between every team of one department and every team of the other that
  works on it; a department with fewer teams than products shares each team
  across several products, and a shared team is a contact for each of them
  (:meth:`Shape.interfaces`).
* **The PM organisation.** The broker's department (Product) of ``n`` people has
  ``floor(n / (s + 1))`` Directors, each leading ``s`` line PMs; the rest are line
  PMs. The broker's mediators are the VP PM and the Directors ("often identified by
  your Directors and line PMs"); line PMs spot conflicts in the teams they cover,
  as fast as they cover few (:attr:`Shape.coverage`); and Product's neutrality
  comes from its small share of the company ("implied neutrality"): a large
  Product department is less neutral (:attr:`Shape.neutrality`).

The shape is computed from the founding scenario and recorded on the founding
events, so the log holds it. A company that grows (``growth.enabled``,
:mod:`orgsim.engine.growth`) re-derives it by the same rules as its headcount
moves: :func:`teams` and :func:`layers` per department, :func:`organise` for the
PM organisation, :func:`interfaces` for the conflict arrivals.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:  # the schema imports nothing from here; this keeps it that way
    from orgsim.scenario.schema import Scenario


def teams(staff: int, span: float) -> int:
    """Teams of a department: ``ceil(staff / span)``; none without staff."""
    return math.ceil(staff / span - 1e-9) if staff > 0 else 0


def layers(staff: int, span: float) -> int:
    """Management layers from a team to the department head: least ``L`` with ``span**L >= staff``.

    One for a department of one team or fewer (its head leads it directly).
    """
    if staff <= 1:
        return 1 if staff == 1 else 0
    return max(1, math.ceil(math.log(staff) / math.log(span) - 1e-9))


def directors(staff: int, span: float) -> int:
    """Directors of a PM organisation of ``staff``: each leads ``span`` line PMs."""
    return math.floor(staff / (span + 1.0) + 1e-9)


def interfaces(products: int, ta: int, tb: int) -> float:
    """Working interfaces between two departments of ``ta`` and ``tb`` teams on ``products``.

    ``P × max(1, t_a / P) × max(1, t_b / P)``: every team of one side meets every
    team of the other on the same product, and a department with fewer teams than
    products still touches each product. None when a side has no team.
    """
    if ta == 0 or tb == 0:
        return 0.0
    p = products
    return p * max(1.0, ta / p) * max(1.0, tb / p)


@attrs.frozen(kw_only=True)
class PmOrganisation:
    """The PM organisation a Product department of some size makes, and what it sets.

    Attributes:
        directors: Directors (each leads ``span`` line PMs).
        line_pms: Line PMs, at least one (someone writes the roadmap).
        coverage: Teams of the other departments per line PM.
        product_share: Product's share of all staff.
        mediators: The VP PM plus Directors, or ``broker.mediators`` when set.
        hired_mediators: Mediators beyond the VP PM and the Directors (new hires).
        neutrality: The broker's neutrality after Product's share of staff.
    """

    directors: int
    line_pms: int
    coverage: float
    product_share: float
    mediators: int
    hired_mediators: int
    neutrality: float


def organise(
    pm: int,
    other_teams: int,
    total: int,
    span: float,
    mediators: int,
    neutrality: float,
    neutrality_loss: float,
) -> PmOrganisation:
    """The PM organisation of ``pm`` people in a company of ``total`` staff.

    Args:
        pm: Product's headcount.
        other_teams: Teams of every other department (what the line PMs cover).
        total: All staff.
        span: People per manager.
        mediators: ``broker.mediators`` (0: the VP PM plus the Directors).
        neutrality: ``broker.neutrality``, before Product's share.
        neutrality_loss: ``broker.neutrality_loss`` per unit of Product's share.
    """
    dirs = directors(pm, span)
    line = max(1, pm - dirs)
    share = pm / total if total > 0 else 0.0
    count = mediators if mediators > 0 else 1 + dirs
    return PmOrganisation(
        directors=dirs,
        line_pms=line,
        coverage=other_teams / line,
        product_share=share,
        mediators=count,
        hired_mediators=max(0, count - 1 - dirs),
        neutrality=max(0.0, min(1.0, neutrality - neutrality_loss * share)),
    )


@attrs.frozen(kw_only=True)
class Shape:
    """The organisation's structure at founding, derived from the scenario.

    Attributes:
        span: People per manager.
        products: Number of products.
        teams: Teams per enabled department.
        layers: Management layers per enabled department.
        directors: Directors of the PM organisation (the broker's department).
        line_pms: Line PMs (at least one: someone writes the roadmap).
        coverage: Teams of the other departments per line PM.
        product_share: The PM organisation's share of all staff.
        mediators: The VP PM plus Directors, or ``broker.mediators`` when set.
        hired_mediators: Mediators beyond the VP PM and the Directors (new hires).
        neutrality: The broker's neutrality after Product's share of staff.
    """

    span: float
    products: int
    teams: MappingProxyType[str, int]
    layers: MappingProxyType[str, int]
    directors: int
    line_pms: int
    coverage: float
    product_share: float
    mediators: int
    hired_mediators: int
    neutrality: float

    def crossed(self, a: str, b: str) -> int:
        """Layers a conflict between two departments crosses to where they meet."""
        return self.layers[a] + self.layers[b]

    def interfaces(self, a: str, b: str) -> float:
        """Working interfaces between two departments: team pairs on shared products.

        ``P × max(1, t_a / P) × max(1, t_b / P)`` for ``P`` products and ``t`` teams:
        every team of one side meets every team of the other on the same product,
        and a department with fewer teams than products still touches each product.
        """
        return interfaces(self.products, self.teams.get(a, 0), self.teams.get(b, 0))

    def drag(self, department: str, per_team: float) -> float:
        """A department's productivity lost per unit of conflict severity: one team's share."""
        t = self.teams[department]
        return per_team / t if t > 0 else 0.0


def shape(sc: Scenario) -> Shape:
    """The structure of a scenario's company at founding."""
    span = sc.structure.span_of_control
    active = sc.active_departments
    staff = {n: sc.departments[n].staff for n in active}
    t = {n: teams(s, span) for n, s in staff.items()}
    lay = {n: layers(s, span) for n, s in staff.items()}
    b = sc.broker
    others = sum(v for n, v in t.items() if n != b.department)
    org = organise(
        staff.get(b.department, 0),
        others,
        sum(staff.values()),
        span,
        b.mediators,
        b.neutrality,
        b.neutrality_loss,
    )
    return Shape(
        span=span,
        products=sc.delivery.products,
        teams=MappingProxyType(t),
        layers=MappingProxyType(lay),
        directors=org.directors,
        line_pms=org.line_pms,
        coverage=org.coverage,
        product_share=org.product_share,
        mediators=org.mediators,
        hired_mediators=org.hired_mediators,
        neutrality=org.neutrality,
    )


__all__ = [
    "PmOrganisation",
    "Shape",
    "directors",
    "interfaces",
    "layers",
    "organise",
    "shape",
    "teams",
]
