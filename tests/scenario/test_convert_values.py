"""Value tests of orgsim.scenario.convert: the plain form of distributions and stages.

The converter is built once at import; these tests build one with
``_make_converter()`` so that the function that registers the distribution hook is
itself what is checked.
"""

from __future__ import annotations

from orgsim.scenario.convert import _make_converter, structure, unstructure
from orgsim.scenario.distributions import Dist, lognormal, uniform
from orgsim.scenario.schema import Stage


def test_a_distribution_keeps_only_its_set_parameters() -> None:
    converter = _make_converter()
    assert converter.unstructure(lognormal(25.0, 0.5)) == {
        "kind": "lognormal",
        "mean": 25.0,
        "cv": 0.5,
    }
    assert converter.unstructure(uniform(1.0, 2.0)) == {"kind": "uniform", "low": 1.0, "high": 2.0}
    assert converter.unstructure(Dist()) == {"kind": "exponential"}


def test_a_stage_nests_its_distribution_without_unset_parameters() -> None:
    converter = _make_converter()
    stage = Stage(name="spec", department="product", effort=lognormal(25.0, 0.5))
    assert converter.unstructure(stage) == {
        "name": "spec",
        "department": "product",
        "effort": {"kind": "lognormal", "mean": 25.0, "cv": 0.5},
    }


def test_a_converter_builds_a_stage_back_from_its_plain_form() -> None:
    converter = _make_converter()
    plain = {
        "name": "spec",
        "department": "product",
        "effort": {"kind": "uniform", "low": 1.0, "high": 2.0},
    }
    assert converter.structure(plain, Stage) == Stage(
        name="spec", department="product", effort=uniform(1.0, 2.0)
    )


def test_the_module_functions_round_trip_a_stage() -> None:
    stage = Stage(name="test", department="qa", effort=lognormal(50.0, 0.6))
    plain = unstructure(stage)
    assert plain == {
        "name": "test",
        "department": "qa",
        "effort": {"kind": "lognormal", "mean": 50.0, "cv": 0.6},
    }
    assert structure(plain, Stage) == stage
