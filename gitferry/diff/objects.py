"""Comparing one desired object with its live counterpart, and showing the difference.

`compare` takes the live object and the object the API server predicts from a server-side
dry-run apply of the desired one (that prediction includes defaulting and every other
manager's fields, so it is what a sync would leave behind) and returns a `ObjectDiff`: whether
they differ, and a unified diff of their YAML in `kubectl diff`'s layout.

Pure; called by the CLI's `diff` and `app diff` and by the controller's comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gitferry.diff.compare import unified_diff
from gitferry.diff.normalize import strip_server_fields


@dataclass(frozen=True)
class ObjectDiff:
    """The comparison of one object: `key` is `group/Kind/namespace/name`."""

    key: str
    live: dict[str, Any] | None
    target: dict[str, Any] | None
    modified: bool
    text: str


def compare(key: str, live: dict[str, Any] | None, target: dict[str, Any] | None) -> ObjectDiff:
    """The difference between `live` (None: missing) and `target` (None: to be deleted)."""
    live_view = strip_server_fields(live) if live is not None else None
    target_view = strip_server_fields(target) if target is not None else None
    modified = live_view != target_view
    text = unified_diff(key, live_view, target_view) if modified else ""
    return ObjectDiff(key, live, target, modified, text)
