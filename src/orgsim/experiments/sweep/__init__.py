"""Sweeps: the sweep file, its design points, their runs and their aggregation."""
