"""What Argo CD's `ValidateProject` rejects in a readable AppProject (reference 2.11), as a
list of one-line problems: `!*` entries, duplicates, invalid or duplicate sync windows, role
names. Role policy lines and groups are checked by the RBAC package when it loads them.

Argo CD refuses such a project at its API; a project applied straight to the cluster still
takes effect, so the controller reports these and keeps evaluating (invalid sync windows
block the apps they apply to, see `windows`). Pure; called by `gitferry proj check` and the
controller's project loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gitferry.policy.project import Project

_ROLE_NAME = re.compile(r"[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?")


def problems(project: Project) -> list[str]:
    """The validation problems of `project`, each naming the field and value."""
    found: list[str] = []
    if "!*" in project.source_repos:
        found.append("sourceRepos: source repository has an invalid format, '!*'")
    found += _duplicates("sourceRepos", "source repository", project.source_repos)
    found += _duplicates("sourceNamespaces", "source namespace", project.source_namespaces)
    keys: list[str] = []
    for dest in project.destinations:
        for label, value in (("server", dest.server), ("name", dest.name)):
            if value == "!*":
                found.append(f"destinations: {label} has an invalid format, '!*'")
        if dest.namespace == "!*":
            found.append("destinations: namespace has an invalid format, '!*'")
        keys.append(f"{dest.server or dest.name}/{dest.namespace}")
    found += _duplicates("destinations", "destination", keys)
    names: list[str] = []
    for role in project.roles:
        if not _ROLE_NAME.fullmatch(role.name):
            found.append(
                f"roles: invalid role name '{role.name}': use letters, digits, '-' and '_', "
                "starting and ending with a letter or digit"
            )
        names.append(role.name)
    found += _duplicates("roles", "role", names)
    found += list(project.sync_windows.errors)
    seen: dict[tuple[object, ...], int] = {}
    for window in project.sync_windows.windows:
        identity = (
            window.kind,
            window.schedule,
            window.duration,
            window.applications,
            window.namespaces,
            window.clusters,
            window.time_zone,
            window.and_operator,
        )
        if identity in seen:
            found.append(f"{window.name}: duplicates syncWindows[{seen[identity]}]")
        seen.setdefault(identity, window.index)
    return found


def _duplicates(field: str, label: str, values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    found: list[str] = []
    for value in values:
        if value in seen:
            found.append(f"{field}: {label} '{value}' already added")
        seen.add(value)
    return found
