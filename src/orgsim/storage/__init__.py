"""Storage: the SQLite event store and results database, their provenance and exports."""
