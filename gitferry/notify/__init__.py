"""Notifications: triggers, templates and services."""
