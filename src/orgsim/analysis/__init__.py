"""Analysis: statistics, sensitivity indices and queueing theory, on arrays in and numbers out."""
