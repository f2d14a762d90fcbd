"""Checks of the generated Applications that exclude only the failing ones.

In generation order: a name already generated is a duplicate ("ApplicationSet <set> contains
applications with duplicate name: <name>"; the first occurrence is kept); then the name must
be set (generateName is not supported) and be a DNS subdomain, `spec.project` must be set,
and the destination must name a `server` or a `name` (not both). Whether the project exists
and the destination is a known cluster needs the control plane: the controller checks that.

`summary` is the message of Argo CD's ApplicationValidationError condition: the error of the
last application by sorted name, plus ` (and N more)`. Called by `generate`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


@dataclass(frozen=True)
class Invalid:
    """One generated Application that is not created or updated."""

    index: int  # position in generation order
    name: str
    message: str
    duplicate: bool = False


def check(
    apps: Sequence[dict[str, Any]], appset: str
) -> tuple[list[dict[str, Any]], list[Invalid]]:
    """The valid Applications (in order) and the invalid ones."""
    valid: list[dict[str, Any]] = []
    invalid: list[Invalid] = []
    seen: set[str] = set()
    for index, app in enumerate(apps):
        name = str((app.get("metadata") or {}).get("name") or "")
        if name in seen:
            invalid.append(
                Invalid(
                    index,
                    name,
                    f"ApplicationSet {appset} contains applications with duplicate name: {name}",
                    duplicate=True,
                )
            )
            continue
        seen.add(name)
        problem = _problem(app, name)
        if problem:
            invalid.append(Invalid(index, name, problem))
        else:
            valid.append(app)
    return valid, invalid


def _problem(app: dict[str, Any], name: str) -> str:
    if not name:
        return (
            "application name is empty: set metadata.name in the template (generateName is "
            "not supported)"
        )
    if len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
        return (
            f"application name {name!r} is not a valid DNS subdomain: lowercase alphanumeric "
            "characters, '-' or '.', starting and ending with an alphanumeric character, at most "
            "253 characters (unresolved template parameters leave '{{...}}' in it)"
        )
    spec = app.get("spec") or {}
    if not str(spec.get("project") or ""):
        return f"application {name}: spec.project is empty"
    destination = spec.get("destination") or {}
    server, cluster = str(destination.get("server") or ""), str(destination.get("name") or "")
    if server and cluster:
        return (
            f"application {name}: application destination can't have both name and server "
            f"defined: {cluster} {server}"
        )
    if not server and not cluster:
        return f"application {name}: application destination spec is invalid: set server or name"
    return ""


def summary(invalid: Sequence[Invalid]) -> str:
    """Argo CD's ApplicationValidationError message for these errors ("" when none)."""
    if not invalid:
        return ""
    last = sorted(invalid, key=lambda item: (item.name, item.index))[-1]
    more = len(invalid) - 1
    return last.message + (f" (and {more} more)" if more else "")
