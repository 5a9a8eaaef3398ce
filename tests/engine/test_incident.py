"""Privacy incidents: the risk of Marketing's cloud e-mail move, besides its DBA work.

"Marketing's plan to move all customer emails to a cloud solution will create
privacy issues and tons of DBA work." When such a move is made (a conflict of a kind
with an ``incident_probability``), whether it would cause an incident, and after how
long, is drawn from the kind's own incident stream; the incident happens then if the
move still stands, that is unless the conflict was settled with the target
prevailing first (which undoes the move).
"""

from __future__ import annotations

from typing import Any

import pytest

from orgsim.engine import events as ev
from orgsim.engine.conflicts import raise_conflict
from orgsim.engine.context import Proc
from orgsim.engine.events import payload
from orgsim.engine.resolution import settle
from orgsim.engine.run import Run, simulate
from orgsim.engine.state import fold
from orgsim.metrics.projections import metrics
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import ConflictKind, Scenario

OFF = {k: {"enabled": False} for k in Scenario().conflicts.kinds}
LATE = {"kind": "deterministic", "mean": 1e6}


def cloud_move(probability: float = 1.0, delay: float = 50.0, horizon: float = 100.0) -> Scenario:
    """Only the cloud e-mail move; it neither surfaces nor lapses by itself in the run."""
    kind = {
        "enabled": True,
        "incident_probability": probability,
        "incident_delay": {"kind": "deterministic", "mean": delay},
        "surfacing": LATE,
        "lifetime": LATE,
    }
    return parse_scenario(
        {
            "horizon": horizon,
            "conflicts": {"intensity": 0.0, "kinds": {**OFF, "cross_initiative": kind}},
            "broker": {"enabled": False},
        }
    )


def move_then(side: str | None, at: float = 10.0) -> Run:
    """Marketing makes the move on day 0; on day ``at`` it is settled for ``side`` (None: never)."""
    sc = cloud_move()
    run = Run(sc, seed=1)
    run.setup()
    kind = sc.conflicts.kinds["cross_initiative"]

    def story(ctx: Run) -> Proc:
        raise_conflict(ctx, "cross_initiative", kind, "marketing", "engineering")
        yield ctx.env.timeout(at)
        if side is not None:
            settle(ctx, 0, kind, "negotiation", side)

    run.env.process(story(run))
    run.env.run(until=sc.horizon)
    run.record(ev.RunEnded)
    return run


@pytest.mark.parametrize(
    ("side", "happens"),
    [(None, True), ("initiator", True), ("target", False)],
    ids=["left-open", "initiator-wins", "target-wins"],
)
def test_the_incident_happens_iff_the_move_stands(side: str | None, happens: bool) -> None:
    """Probability 1, delay 50: on day 50 unless the target prevailed on day 10."""
    run = move_then(side)
    incidents = [e for e in run.log if isinstance(e, ev.PrivacyIncident)]
    assert [(e.time, e.conflict, e.cost) for e in incidents] == ([(50.0, 0, 4880.0)] * happens)
    m = metrics(run.log)
    assert (m["privacy_incidents"], m["incident_cost"]) == (float(happens), 4880.0 * happens)
    assert run.state.conflicts[0].incident == (50.0 if happens else -1.0)
    assert fold(run.log).snapshot() == run.state.snapshot()


def test_a_target_win_after_the_incident_does_not_undo_it() -> None:
    run = move_then("target", at=60.0)
    assert [e.time for e in run.log if isinstance(e, ev.PrivacyIncident)] == [50.0]


def test_the_incident_cost_is_counted_in_cost() -> None:
    m = metrics(move_then(None).log)
    assert m["incident_cost"] == 4880.0
    parts = ("salary_cost", "hiring_cost", "broker_cost", "support_backlog_cost", "incident_cost")
    assert m["cost"] == pytest.approx(sum(m[p] for p in parts), rel=1e-12)
    assert m["net_value"] == pytest.approx(m["value_shipped"] - m["cost"], rel=1e-12)


def test_the_incident_draws_shift_no_other_draw() -> None:
    """The midsize company, a year: probability 0 or 1 changes nothing but the incidents."""

    def log(probability: float) -> list[tuple[str, float, dict[str, Any]]]:
        sc = parse_scenario(
            {
                "horizon": 365.0,
                "conflicts": {"kinds": {"cross_initiative": {"incident_probability": probability}}},
            }
        )
        events = simulate(sc, seed=4).log
        return [
            (type(e).__name__, e.time, payload(e))
            for e in events
            if not isinstance(e, ev.PrivacyIncident | ev.RunStarted)
        ]

    never, always = log(0.0), log(1.0)
    assert never == always
    raised = sum(
        1 for name, _, p in never if name == "ConflictRaised" and p["kind"] == "cross_initiative"
    )
    assert raised > 0


def test_the_bundled_cloud_move_carries_the_risk() -> None:
    kinds = Scenario().conflicts.kinds
    assert kinds["cross_initiative"].incident_probability == 0.05
    assert kinds["cross_initiative"].incident_cost == 4880.0
    assert kinds["custom_work"].incident_probability == 0.0
    # the incident fields belong to extra work, by the documented prefix
    assert kinds["cross_initiative"].uses("incident_cost")
    assert not kinds["poaching"].uses("incident_probability")
    assert not ConflictKind(effect="budget").uses("incident_delay")
