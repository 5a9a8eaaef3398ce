"""Exploratory modelling: policies (levers) across everything we are unsure of (uncertainties)."""
