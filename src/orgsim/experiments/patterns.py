"""Stylised facts the model should reproduce, checked over paired runs and never forced.

Pattern-oriented modelling: a model earns trust by reproducing, at once, several
patterns that were not put into it. :func:`check_patterns` compares the three bundled
scenarios (broker on and off, common random numbers; every run committed under
``out``, so a rerun resumes) and judges each pattern of :data:`PATTERNS` against the
figures, with 95% CIs. A pattern the model does not reproduce is a finding,
reported with its figures: no parameter is tuned here to make one pass. A pattern
that cannot be judged yet says why (the size pattern needs the bundled scenarios to
differ in structure only).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import attrs
import numpy as np

from orgsim.analysis.stats import Estimate, mean_ci
from orgsim.experiments.compare import ComparisonResult, compare
from orgsim.scenario.schema import Scenario
from orgsim.scenario.uncertainty import uncertain_parameters
from orgsim.storage.results import RunRecord

__all__ = ["PATTERNS", "SCENARIOS", "Pattern", "PatternCheck", "check_patterns", "judge"]

#: The bundled scenarios the patterns are read from, smallest first.
SCENARIOS = ("startup", "midsize", "enterprise")


@attrs.frozen(kw_only=True)
class Pattern:
    """A stylised fact: what should hold, and where the expectation comes from."""

    key: str
    claim: str
    source: str


@attrs.frozen(kw_only=True)
class PatternCheck:
    """One pattern judged against the runs.

    Attributes:
        pattern: The pattern.
        status: ``reproduced``, ``not reproduced`` or ``not testable``.
        figures: The numbers it was judged on, with their 95% CIs, per scenario.
        reason: Why it is not testable, or what the figures show.
    """

    pattern: Pattern
    status: str
    figures: dict[str, Estimate]
    reason: str = ""


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        key="return_rises_with_size",
        claim="the broker's return (net value gained per k$ of its cost) rises with "
        "company size when only structural inputs change",
        source="seed: 'VP PMs are mostly found in the largest PM organizations'",
    ),
    Pattern(
        key="startup_does_not_pay",
        claim="in a 45-person start-up the broker does not pay: its net-value effect "
        "is not significantly positive",
        source="seed: 'cash burn is much more important than job title'",
    ),
    Pattern(
        key="escalations_outgrow_headcount",
        claim="without a broker, escalations to the CEO per head rise with size",
        source="seed: the CEO as the bottleneck of cross-functional conflicts",
    ),
    Pattern(
        key="attrition_in_band",
        claim="annual attrition between 10% and 25% of staff",
        source="LinkedIn (2018): software 13.2%; SHRM (2016): all industries 19%",
    ),
    Pattern(
        key="on_time_in_band",
        claim="between 30% and 70% of features shipped by their due date",
        source="Standish CHAOS: most software work finishes late (16-32% of projects on "
        "time and on budget, 1994-2009); a band, not a figure",
    ),
    Pattern(
        key="engineering_utilisation_in_band",
        claim="engineering busy 50-90% of its capacity on the modelled work",
        source="Stripe, The Developer Coefficient (2018): about 40% of developer time "
        "goes to maintenance, so roughly half to most of it to roadmap work",
    ),
)


def check_patterns(
    *,
    runs: int = 20,
    seed: int | None = None,
    executor: str = "local",
    jobs: int | None = None,
    out: str | Path = "out/patterns",
    progress: Callable[[RunRecord], None] | None = None,
    command: Sequence[str] | None = None,
) -> list[PatternCheck]:
    """Compare the bundled scenarios and judge every pattern of :data:`PATTERNS`."""
    results = {
        name: compare(
            name,
            runs=runs,
            seed=seed,
            executor=executor,
            jobs=jobs,
            out=Path(out) / name,
            progress=progress,
            command=command,
        )
        for name in SCENARIOS
    }
    return judge(results)


def judge(results: Mapping[str, ComparisonResult]) -> list[PatternCheck]:
    """Judge every pattern on comparisons of the bundled scenarios, smallest first."""
    checks = {p.key: p for p in PATTERNS}
    out = [
        _size(checks["return_rises_with_size"], results),
        _startup(checks["startup_does_not_pay"], results),
        _escalations(checks["escalations_outgrow_headcount"], results),
        _band(
            checks["attrition_in_band"],
            results,
            lambda r: 1.0 - np.exp(-r.off["attrition_rate"]),  # a yearly hazard as a share
            (0.10, 0.25),
        ),
        _band(checks["on_time_in_band"], results, lambda r: r.off["on_time_rate"], (0.3, 0.7)),
        _band(
            checks["engineering_utilisation_in_band"],
            results,
            lambda r: r.off["utilisation.engineering"],
            (0.5, 0.9),
        ),
    ]
    return out


def _size(p: Pattern, results: Mapping[str, ComparisonResult]) -> PatternCheck:
    figures = {name: _return(r) for name, r in results.items()}
    differ = _behaviour_differs([r.scenario for r in results.values()])
    if differ:
        shown = ", ".join(differ[:4]) + (f" and {len(differ) - 4} more" if len(differ) > 4 else "")
        return PatternCheck(
            pattern=p,
            status="not testable",
            figures=figures,
            reason=f"the bundled scenarios differ in {len(differ)} behavioural constants "
            f"({shown}), so a trend would not be size's",
        )
    means = [figures[n].mean for n in results]
    rising = _rising(means)
    return PatternCheck(
        pattern=p, status="reproduced" if rising else "not reproduced", figures=figures
    )


def _startup(p: Pattern, results: Mapping[str, ComparisonResult]) -> PatternCheck:
    effect = results["startup"].table["net_value"].diff
    pays = effect.low > 0
    return PatternCheck(
        pattern=p,
        status="not reproduced" if pays else "reproduced",
        figures={"startup": effect},
    )


def _escalations(p: Pattern, results: Mapping[str, ComparisonResult]) -> PatternCheck:
    figures = {
        name: mean_ci(100.0 * r.off["conflicts_escalated"] / r.off["headcount_end"])
        for name, r in results.items()
    }
    means = [e.mean for e in figures.values()]
    rising = _rising(means)
    return PatternCheck(
        pattern=p,
        status="reproduced" if rising else "not reproduced",
        figures=figures,
        reason="escalations per 100 staff over the run, without the broker",
    )


def _band(
    p: Pattern,
    results: Mapping[str, ComparisonResult],
    value: Callable[[ComparisonResult], np.ndarray],
    band: tuple[float, float],
) -> PatternCheck:
    figures = {name: mean_ci(value(r)) for name, r in results.items()}
    inside = all(band[0] <= e.mean <= band[1] for e in figures.values())
    return PatternCheck(
        pattern=p,
        status="reproduced" if inside else "not reproduced",
        figures=figures,
        reason=f"band {band[0]:g} to {band[1]:g}, without the broker",
    )


def _rising(values: Sequence[float]) -> bool:
    """Whether each value is above the one before (smallest company first)."""
    return all(a < b for a, b in itertools.pairwise(values))


def _return(r: ComparisonResult) -> Estimate:
    """The broker's return with its CI: the net-value effect's CI over the broker cost."""
    return r.table["net_value"].diff.per(float(np.mean(r.on["broker_cost"])))


def _behaviour_differs(scenarios: Sequence[Scenario]) -> list[str]:
    """The behavioural constants (absolute ones) whose values differ between scenarios.

    Entries that exist in one scenario only (a department or kind another lacks)
    are structure, not behaviour, and are not compared.
    """
    values = [{u.path: u.value for u in uncertain_parameters(s)} for s in scenarios]
    shared = set.intersection(*(set(v) for v in values))
    return sorted(p for p in shared if len({round(v[p], 12) for v in values}) > 1)
