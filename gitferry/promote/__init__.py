"""Promotion pipelines between environments: gates, approvals, image updates as commits."""
