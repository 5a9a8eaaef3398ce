"""The state's index of each department's staff: by number, and ranked by skill.

Poaching takes the target's best people (:meth:`OrgState.best`) and the attrition
heap checks its entries against the department's staff (``Dept.people``); both
indexes must follow every hire, leaver and move, in both departments of a move.
"""

from __future__ import annotations

from test_state_values import company

from orgsim.engine import events as ev


def test_best_ranks_by_skill_then_by_lowest_number() -> None:
    s = (
        company()
        .hire(0, "eng", skill=1.0)
        .hire(1, "eng", skill=3.0)
        .hire(2, "eng", skill=1.0)
        .hire(3, "eng", skill=2.0)
        .hire(4, "sales", skill=9.0)
        .fold()
    )
    assert s.best("eng", 3) == [1, 3, 0]  # 3.0, 2.0, then 1.0 of the lower number
    assert s.best("eng", 9) == [1, 3, 0, 2]  # more than there are: all of them
    assert s.best("eng", 0) == []
    assert s.best("sales", 2) == [4]


def test_a_move_takes_the_person_out_of_one_index_into_the_other() -> None:
    s = (
        company()
        .hire(0, "eng", skill=2.0)
        .hire(1, "eng", skill=1.0)
        .add(ev.EmployeeTransferred, 1.0, employee=0, source="eng", destination="sales", conflict=0)
        .fold()
    )
    assert s.best("eng", 2) == [1]
    assert s.best("sales", 2) == [0]
    assert set(s.departments["eng"].people) == {1}
    assert set(s.departments["sales"].people) == {0}


def test_a_leaver_leaves_both_indexes() -> None:
    s = (
        company()
        .hire(0, "eng", skill=2.0)
        .hire(1, "eng", skill=2.0)
        .add(ev.EmployeeLeft, 1.0, employee=0)
        .fold()
    )
    assert s.best("eng", 2) == [1]
    assert list(s.departments["eng"].people) == [1]
    assert s.departments["eng"].ranked == [(-2.0, 1)]
