"""Reporting: terminal tables, JSON documents and charts, from results only."""
