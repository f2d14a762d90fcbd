"""Sync operations: a pure planner that orders tasks, and an executor that runs one wave
per step and records results so an interrupted operation resumes.
"""
