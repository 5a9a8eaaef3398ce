"""Engine: SimPy processes per mechanism that decide and record events; the log, state and streams."""
