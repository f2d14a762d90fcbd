"""Comparing one desired object with its live counterpart, and showing the difference.

`compare` takes the live object and the object the API server predicts from a server-side
dry-run apply of the desired one (that prediction includes defaulting and every other
manager's fields, so it is what a sync would leave behind) and returns a `ObjectDiff`: whether
they differ, and a unified diff of their YAML in `kubectl diff`'s layout.

Pure; called by the CLI's `diff` and `app diff` and by the controller's comparison.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

from gitferry.diff.normalize import strip_server_fields


@dataclass(frozen=True)
class ObjectDiff:
    """The comparison of one object: `key` is `group/Kind/namespace/name`."""

    key: str
    live: dict[str, Any] | None
    target: dict[str, Any] | None
    modified: bool
    text: str


def _yaml(obj: dict[str, Any] | None) -> list[str]:
    if obj is None:
        return []
    dumped: str = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=10_000)
    return dumped.splitlines(keepends=True)


def compare(key: str, live: dict[str, Any] | None, target: dict[str, Any] | None) -> ObjectDiff:
    """The difference between `live` (None: missing) and `target` (None: to be deleted)."""
    live_view = strip_server_fields(live) if live is not None else None
    target_view = strip_server_fields(target) if target is not None else None
    modified = live_view != target_view
    text = ""
    if modified:
        text = "".join(
            difflib.unified_diff(
                _yaml(live_view),
                _yaml(target_view),
                fromfile=f"live/{key}",
                tofile=f"target/{key}",
            )
        )
    return ObjectDiff(key, live, target, modified, text)
