"""Write the bundled observations file: a simulated company whose true constants are known.

    python scripts/observed_example.py > scenarios/observed/example-midsize.toml

The company is midsize with a structure of its own ([structure]); four behavioural
constants are set to known values off their defaults (TRUTH), one year of it is
simulated with the company's own seed, and its statistics, computed from the run's
event log by the projections every command uses, are written as the observations,
each with an assumed measurement uncertainty (SD). ``orgsim calibrate midsize
scenarios/observed/example-midsize.toml`` should then recover TRUTH within its 90%
credible intervals.
"""

from __future__ import annotations

import sys

from orgsim.engine.run import simulate
from orgsim.experiments.calibrate.observations import parse_observations
from orgsim.experiments.calibrate.sampler import with_parameters
from orgsim.experiments.calibrate.statistics import statistics
from orgsim.scenario.loading import load_scenario

STRUCTURE = {
    "departments.engineering.staff": 180,
    "departments.qa.staff": 30,
    "departments.sales.staff": 110,
    "departments.support.staff": 70,
    "delivery.products": 3,
}
TRUTH = {
    "talent.time_to_hire": 52.0,
    "departments.engineering.attrition": 0.21,
    "conflicts.intensity": 1.4,
    "delivery.stages.1.effort": 340.0,
}
# metric, per, measurement uncertainty (one sd; assumed: what a company's HR and
# delivery dashboards plausibly get wrong over a year)
OBSERVED = (
    ("attrition_rate", "run", 0.02),
    ("time_to_hire", "run", 3.0),
    ("lead_time_p50", "run", 10.0),
    ("throughput", "run", 3.0),
    ("on_time_rate", "run", 0.05),
    ("conflicts_raised", "quarter", 3.0),
    ("conflicts_escalated", "quarter", 1.5),
)
COMPANY_SEED = 2026  # the company's own history: not the calibration's seed
DAYS = 365.0


def main() -> None:
    """Simulate the company and print its observations file."""
    base = load_scenario("midsize")
    skeleton = {
        "days": DAYS,
        "structure": STRUCTURE,
        "observed": [{"metric": m, "per": per, "value": 0.0, "sd": sd} for m, per, sd in OBSERVED],
        "fit": [{"path": p} for p in TRUTH],
    }
    observed = parse_observations(skeleton, base)
    company = with_parameters(observed.scenario, observed.fit, TRUTH)
    log = simulate(company, seed=COMPANY_SEED, replication=0).log
    stats = statistics(log, observed.observations, DAYS, company.budget.quarter_days)
    staff = sum(company.departments[d].staff for d in company.active_departments)
    out = sys.stdout
    out.write(
        "# A simulated midsize company whose true constants are known ([truth]): the\n"
        "# bundled calibration example (docs/calibrate.md). Made by\n"
        "#   python scripts/observed_example.py > scenarios/observed/example-midsize.toml\n"
        f"# one year of midsize with the structure below, [truth] applied, seed {COMPANY_SEED}.\n"
        "# The measurement uncertainties (sd) are assumed.\n\n"
        'name = "example-midsize"\n'
        f'description = "A {staff}-person company, three products, no VP PM: '
        "last year's numbers\"\n"
        f"days = {DAYS:g}        # the statistics cover last year\n"
        "broker = false     # no VP PM in office while they were measured\n"
        "seed = 7           # the calibration's root seed\n\n"
        "[structure]        # the company's own headcounts and products\n"
    )
    for path, value in STRUCTURE.items():
        out.write(f'"{path}" = {value}\n')
    for (metric, per, sd), o in zip(OBSERVED, observed.observations, strict=True):
        out.write(f'\n[[observed]]\nmetric = "{metric}"\n')
        if per != "run":
            out.write(f'per = "{per}"\n')
        out.write(f"value = {stats[o.name]:.6g}\nsd = {sd:g}\n")
    for path in TRUTH:
        out.write(f'\n[[fit]]\npath = "{path}"   # prior: its documented range\n')
    out.write(
        "\n[abc]\npopulation = 100\ngenerations = 8\nmin_epsilon = 0.8\n"
        "max_simulations = 6000\n\n[truth]            # what the observations were made with\n"
    )
    for path, value in TRUTH.items():
        out.write(f'"{path}" = {value:g}\n')


if __name__ == "__main__":
    main()
