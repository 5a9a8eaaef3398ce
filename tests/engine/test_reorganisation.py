"""Reorganisation battles: a team moved between departments, as a kind of conflict.

Seed: "the great budgetary and reorganization battles that tear companies apart";
"You get to ask 'how should we be organized for success?' without being accused of
empire building."
"""

from __future__ import annotations

from orgsim.engine import events as ev
from orgsim.engine.conflicts import raise_conflict
from orgsim.engine.resolution import settle
from orgsim.engine.run import Run
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.schema import Scenario


def test_the_default_kind_folds_a_qa_team_into_engineering() -> None:
    kind = Scenario().conflicts.kinds["reorganisation"]
    assert (kind.effect, kind.initiator, kind.target) == ("transfer", "engineering", "qa")
    assert kind.transfer_count == 6 and kind.initiator_right == 0.4
    assert (kind.severity.low, kind.severity.high) == (1.0, 2.0)  # type: ignore[attr-defined]


def test_a_whole_team_moves_keeps_its_pay_re_ramps_and_goes_back_when_qa_prevails() -> None:
    kinds = {k: {"enabled": k == "reorganisation"} for k in Scenario().conflicts.kinds}
    sc = parse_scenario({"horizon": 10.0, "conflicts": {"kinds": kinds}})
    run = Run(sc, seed=1)
    run.setup()
    kind = sc.conflicts.kinds["reorganisation"]
    qa = sorted((p.skill, e) for e, p in run.state.employees.items() if p.department == "qa")
    team = {e for _, e in qa[-6:]}
    raise_conflict(run, "reorganisation", kind, "engineering", "qa")
    moved = [e for e in run.log if isinstance(e, ev.EmployeeTransferred)]
    assert {e.employee for e in moved} == team
    assert run.state.departments["qa"].staff == 40 - 6
    assert run.state.departments["engineering"].staff == 200 + 6
    for emp in team:
        person = run.state.employees[emp]
        assert person.department == "engineering"
        assert person.salary == sc.departments["qa"].salary  # pay stays with them
        assert not person.ramped  # and they ramp up again
    cid = moved[0].conflict
    settle(run, cid, kind, "ceo", "target")
    assert run.state.departments["qa"].staff == 40
    assert run.state.departments["engineering"].staff == 200
    assert all(run.state.employees[e].department == "qa" for e in team)
    assert run.state.conflicts[cid].status == "resolved"
