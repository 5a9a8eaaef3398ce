"""Exact labels and entries of the metric catalogue, as tables and charts show them.

The catalogue's entries are built when the module is imported, so the tests here call
:func:`derived_label`, the entry builder ``_m`` and :func:`metric` themselves too: a
label that is only read back from :data:`METRICS` would not show a fault of the
function that made it.
"""

from __future__ import annotations

import re

import pytest

from orgsim.metrics.catalogue import BY_NAME, Metric, _m, derived_label, label, metric

# ------------------------------------------------------------------ derived labels


@pytest.mark.parametrize(
    ("name", "text"),
    [
        # underscores read as spaces, the first letter in capitals
        ("open_conflicts", "Open conflicts"),
        # p50 is the median, p90 keeps its name in brackets
        ("lead_time_p50", "Lead time (median)"),
        ("lead_time_p90", "Lead time (p90)"),
        ("resolve_time_p90", "Resolve time (p90)"),
        # the acronyms in capitals, wherever they are in the name
        ("ceo_hours", "CEO hours"),
        ("wip_mean", "WIP mean"),
        ("budget_hhi", "Budget HHI"),
        # a family's member: the dot reads as a colon, the department after it
        ("headcount_end.qa", "Headcount end: QA"),
        ("utilisation.eng", "Utilisation: eng"),
    ],
)
def test_derived_label_spells_out_a_name(name: str, text: str) -> None:
    assert derived_label(name) == text


def test_derived_label_keeps_the_spacing_of_a_department_name() -> None:
    # A department may be called "new  york" (two spaces; the scenario accepts any
    # key). Each space of the name stays one space of the label, none is dropped:
    # "headcount_end.new  york" -> "headcount end: new  york" -> capitalised.
    assert derived_label("headcount_end.new  york") == "Headcount end: new  york"


def test_label_of_a_name_outside_the_catalogue_is_the_derived_one() -> None:
    assert "lead_time_p90.q" not in BY_NAME
    assert label("lead_time_p90.q") == "Lead time (p90): q"


# ------------------------------------------------------------------ catalogue entries


def test_the_entry_builder_fills_every_field() -> None:
    # no label given: the one derived from the name; not broker-only by default
    assert _m("lead_time_p50", "delivery", "days", "lower", "median days") == Metric(
        name="lead_time_p50",
        group="delivery",
        unit="days",
        better="lower",
        doc="median days",
        label="Lead time (median)",
        broker_only=False,
    )


def test_the_entry_builder_keeps_a_given_label_and_broker_flag() -> None:
    entry = _m("ceo_load", "conflict", "share", "lower", "d", label="CEO load", broker_only=True)
    assert (entry.name, entry.group, entry.unit, entry.better, entry.doc) == (
        "ceo_load",
        "conflict",
        "share",
        "lower",
        "d",
    )
    assert (entry.label, entry.broker_only) == ("CEO load", True)
    # a given label wins over the derived one ("Cash end")
    assert _m("cash_end", "economics", "k$", "higher", "d", label="Cash at end").label == (
        "Cash at end"
    )


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        # a label derived from the name, not broker-only
        ("lead_time_p90", ("delivery", "days", "lower", "Lead time (p90)", False)),
        ("wip_mean", ("delivery", "features", "", "WIP mean", False)),
        ("attrition_rate", ("organisation", "1/year", "lower", "Attrition rate", False)),
        # a label of its own
        ("resolve_censored_share", ("conflict", "share", "lower", "Unresolved share", False)),
        ("cash_end", ("economics", "k$", "higher", "Cash at end", False)),
        # broker-only, with a label of its own and with a derived one
        (
            "mediation_censored_share",
            ("conflict", "share", "lower", "Mediation waits censored", True),
        ),
        ("credibility_end", ("conflict", "share", "higher", "Credibility end", True)),
    ],
)
def test_catalogue_entries(name: str, fields: tuple[str, str, str, str, bool]) -> None:
    entry = metric(name)
    assert entry.name == name
    assert (entry.group, entry.unit, entry.better, entry.label, entry.broker_only) == fields


def test_catalogue_docs_are_the_definitions() -> None:
    assert metric("features_shipped").doc == "features through their last stage"
    assert metric("net_value").doc == "value shipped minus cost"


# ------------------------------------------------------------------ families


def test_a_department_headcount_entry() -> None:
    assert metric("headcount_end.qa") == Metric(
        name="headcount_end.qa",
        group="organisation",
        unit="people",
        better="",
        doc="staff of qa at the end",
        label="Headcount end: QA",
        broker_only=False,
    )


def test_a_department_utilisation_entry() -> None:
    assert metric("utilisation.eng") == Metric(
        name="utilisation.eng",
        group="organisation",
        unit="share",
        better="",
        doc="share of eng's capacity spent working, over the run",
        label="Utilisation: eng",
        broker_only=False,
    )
    # a utilisation is a share: a table writes it as a percentage
    assert metric("utilisation.eng").format(0.875) == "87.5%"


def test_a_department_name_with_a_dot_is_the_whole_rest_of_the_name() -> None:
    # the family is what comes before the first dot; department "a.b" (a scenario
    # accepts it) keeps its own dot
    assert metric("headcount_end.a.b").doc == "staff of a.b at the end"
    assert metric("headcount_end.a.b").unit == "people"
    assert metric("utilisation.a.b").doc == "share of a.b's capacity spent working, over the run"


@pytest.mark.parametrize("name", ["nonsense", "headcount_end.", "utilisation.", "lead_time.eng"])
def test_names_outside_the_catalogue_and_its_families_are_unknown(name: str) -> None:
    # "lead_time.eng" has a department but no family of that name
    with pytest.raises(KeyError, match=re.escape(f"no metric '{name}' in the catalogue")):
        metric(name)


# ------------------------------------------------------------------ formats


def test_metric_format_passes_the_sign_on() -> None:
    # value_shipped is in k$: 5 k$ reads $5k, with signed=True +$5k
    shipped = metric("value_shipped")
    assert shipped.format(5.0, signed=True) == "+$5k"
    assert shipped.format(0.0, signed=True) == "+$0k"
    assert shipped.format(5.0) == "$5k"
    # lead time in days: 2.5 -> "2.50 days" (two decimals below 10)
    assert metric("lead_time_p50").format(2.5, signed=True) == "+2.50 days"
    assert metric("lead_time_p50").format(-2.5, signed=True) == "-2.50 days"
