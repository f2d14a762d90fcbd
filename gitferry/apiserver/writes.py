"""The value types of the write pipeline: how a write was asked for (`WriteOptions`) and
what it produced (`WriteResult`).

Shared by `registry`, `deleting`, the HTTP handlers and the simulated controllers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class WriteOptions:
    """How one write request asked to be carried out."""

    # The field manager recorded in managedFields (the fieldManager parameter, or the
    # User-Agent's product name).
    manager: str
    # dryRun=All: run everything, persist nothing.
    dry_run: bool = False
    # The subresource written ("status", "scale"), or None for the object itself.
    subresource: str | None = None
    # The API version of the endpoint (custom resources may serve several).
    version: str | None = None
    # Server-side apply only: take ownership of conflicting fields.
    force: bool = False


@dataclass
class WriteResult:
    """The object as stored (or as it would be stored), whether it was created, warnings."""

    obj: dict[str, Any]
    created: bool = False
    warnings: list[str] = field(default_factory=list)
    deleted: bool = False
