"""Experiments: tasks, executors and the campaign loop behind compare and sweep."""
