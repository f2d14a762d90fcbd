"""Orphaned resources (reference 4.9): what lives in an app's destination namespace that
nothing manages.

Enabled per project by `spec.orphanedResources: {warn, ignore: [{group, kind, name}]}`. A
live object is orphaned when it is namespaced, top-level (no `ownerReferences`), in the
destination namespace, not one of the app's managed resources, not tracked by an Application
that exists, and of a kind the project permits. Never orphaned: `Service kubernetes` in
`default`, every `ServiceAccount default`, every `ConfigMap kube-root-ca.crt`, and entries of
`ignore` (group, kind and name are globs; an empty kind or name matches anything, an empty
group only the core group). Orphans are only shown: with `warn: true` the app gets
`OrphanedResourceWarning: Application has <N> orphaned resources`; they never affect sync or
health and are never pruned.

Pure; called by the controller when it builds an app's resource tree.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from gitferry.diff.ignore import glob_match
from gitferry.diff.syncstatus import Condition, PermitLookup
from gitferry.model.errors import InvalidSpecError
from gitferry.model.keys import ResourceKey

Json = dict[str, Any]


def _known_exclusion(key: ResourceKey) -> bool:
    """What every namespace has and nobody declares."""
    if key.group != "":
        return False
    return (
        (key.kind == "Service" and key.name == "kubernetes" and key.namespace == "default")
        or (key.kind == "ServiceAccount" and key.name == "default")
        or (key.kind == "ConfigMap" and key.name == "kube-root-ca.crt")
    )


@dataclass(frozen=True, kw_only=True)
class OrphanIgnore:
    """One `spec.orphanedResources.ignore` entry."""

    group: str = ""
    kind: str = ""
    name: str = ""

    def matches(self, key: ResourceKey) -> bool:
        return (
            (not self.kind or glob_match(self.kind, key.kind))
            and glob_match(self.group, key.group)
            and (not self.name or glob_match(self.name, key.name))
        )


@dataclass(frozen=True, kw_only=True)
class OrphanedResources:
    """A project's `spec.orphanedResources`."""

    warn: bool = False
    ignore: tuple[OrphanIgnore, ...] = ()

    @classmethod
    def parse(cls, data: Any) -> OrphanedResources | None:
        """The setting from the project's spec field; None when monitoring is off."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise InvalidSpecError("spec.orphanedResources: must be an object")
        entries = data.get("ignore") or []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise InvalidSpecError("spec.orphanedResources.ignore: must be a list of objects")
        return cls(
            warn=data.get("warn") is True,
            ignore=tuple(
                OrphanIgnore(
                    group=str(e.get("group") or ""),
                    kind=str(e.get("kind") or ""),
                    name=str(e.get("name") or ""),
                )
                for e in entries
            ),
        )

    def excludes(self, key: ResourceKey) -> bool:
        """Whether a resource is never reported as orphaned."""
        return _known_exclusion(key) or any(i.matches(key) for i in self.ignore)


def find_orphans(
    candidates: Iterable[Json],
    *,
    settings: OrphanedResources,
    destination_namespace: str,
    managed: Collection[ResourceKey],
    owner: Callable[[Json], str],
    existing_apps: Collection[str],
    is_permitted: PermitLookup | None = None,
) -> list[ResourceKey]:
    """Keys of the orphaned resources among the live objects of the destination cluster,
    sorted. `owner` gives an object's tracking app instance name ("" when untracked) and
    `existing_apps` the instance names of the Applications that exist."""
    if not destination_namespace:
        return []
    found: list[ResourceKey] = []
    for obj in candidates:
        key = ResourceKey.of(obj)
        if key.namespace != destination_namespace or (obj.get("metadata") or {}).get(
            "ownerReferences"
        ):
            continue
        if key in managed or settings.excludes(key):
            continue
        app = owner(obj)
        if app and app in existing_apps:
            continue
        if is_permitted is not None and not is_permitted(key.group, key.kind, key.name, True):
            continue
        found.append(key)
    return sorted(found, key=str)


def orphan_condition(
    orphans: Collection[ResourceKey], settings: OrphanedResources
) -> Condition | None:
    """`OrphanedResourceWarning` when there are orphans and the project asks to be warned."""
    if not orphans or not settings.warn:
        return None
    return Condition(
        "OrphanedResourceWarning", f"Application has {len(orphans)} orphaned resources"
    )
