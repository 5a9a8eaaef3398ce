"""Calibration: fit a scenario's uncertain constants to what one company observes (ABC-SMC)."""
