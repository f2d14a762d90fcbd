"""Logging and the metrics registry, shared by every long-running process."""
