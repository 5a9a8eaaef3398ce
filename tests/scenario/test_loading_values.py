"""Loading, wording and unstructuring values the other scenario tests leave open (issue 12)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from orgsim.errors import ScenarioError
from orgsim.scenario.convert import unstructure
from orgsim.scenario.loading import parse_scenario
from orgsim.scenario.problems import describe


def test_a_non_string_key_in_a_dict_does_not_stop_the_walk() -> None:
    # The bad key 1 is named, and the walk goes on to the next entry: its range
    # problem (staff >= 0) is reported in the same pass.
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"departments": {1: {}, "product": {"staff": -1}}})
    found = [(p.path, p.message) for p in info.value.problems]
    assert ("departments", "keys must be strings, got integer 1") in found
    assert ("departments.product.staff", "must be >= 0, got -1") in found


def test_describe_names_a_non_toml_value_by_its_python_type() -> None:
    # Neither bool, integer, float, str, table, array, None nor date/time: the
    # Python type's name and its repr.
    assert describe(Decimal("1.5")) == "Decimal Decimal('1.5')"
    assert describe(Fraction(1, 3)) == "Fraction Fraction(1, 3)"


def test_unstructure_names_the_type_it_refuses() -> None:
    with pytest.raises(TypeError) as info:
        unstructure(3)
    assert str(info.value) == "unstructure() takes a scenario object, not int"
