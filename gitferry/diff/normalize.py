"""Normalisation of objects before they are compared or shown.

Live objects carry fields the API server owns (uid, resourceVersion, generation, timestamps,
managedFields, status) and kubectl's last-applied annotation; none of them are part of what
Git declares. `strip_server_fields` removes them from a copy so that a desired object and its
live (or predicted) counterpart differ only where the declared state does.

Pure; called by `diff.objects` and, through it, by the CLI's `diff` and the controller.
"""

from __future__ import annotations

import copy
from typing import Any

SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def strip_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of `obj` without status and server-maintained metadata."""
    result = copy.deepcopy(obj)
    result.pop("status", None)
    meta = result.get("metadata")
    if isinstance(meta, dict):
        for key in SERVER_METADATA:
            meta.pop(key, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
            if not annotations:
                del meta["annotations"]
    return result
