"""Metrics: projections of the event log, and the one catalogue of metric names, units and directions."""
