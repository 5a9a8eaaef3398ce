"""Metrics: projections of the event log, and the one catalogue of metric names and units."""
