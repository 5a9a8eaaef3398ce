"""Engine: SimPy processes per mechanism that decide and record events; log, state, streams."""
