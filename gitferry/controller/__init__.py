"""Reconcile loops for Applications and AppProjects: work queue, auto-sync, self-heal,
history, finalizers.
"""
