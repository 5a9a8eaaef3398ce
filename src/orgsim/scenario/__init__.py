"""Scenarios: the frozen schema, distributions, and loading TOML into a validated Scenario."""
