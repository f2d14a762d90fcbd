"""Which resources a cluster serves: kinds, plurals, scopes, verbs (legacy discovery).

Read once per client and refreshed when an unknown kind shows up (a CRD applied by a sync).
The engine needs it to build URLs for any kind and to know whether a kind is namespaced
(reference 1.10: unknown kinds count as namespaced). Called by `client`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class ResourceInfo:
    """One served resource."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: frozenset[str]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None, name: str | None = None) -> str:
        """The collection or object URL path."""
        base = f"/apis/{self.group}/{self.version}" if self.group else "/api/v1"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
        return base


@dataclass(frozen=True)
class Discovery:
    """Resources by (apiVersion, kind), and by (group, kind) for any version."""

    by_version_kind: dict[tuple[str, str], ResourceInfo]
    by_group_kind: dict[tuple[str, str], ResourceInfo]

    def find(self, api_version: str, kind: str) -> ResourceInfo | None:
        found = self.by_version_kind.get((api_version, kind))
        if found is None:
            group = api_version.rpartition("/")[0]
            found = self.by_group_kind.get((group, kind))
            if found is not None and found.api_version != api_version:
                return None
        return found

    def is_namespaced(self, group: str, kind: str) -> bool:
        """Whether a kind is namespaced; unknown kinds count as namespaced."""
        found = self.by_group_kind.get((group, kind))
        return True if found is None else found.namespaced

    def listable(self) -> list[ResourceInfo]:
        """One preferred version per group and kind that can be listed and watched."""
        return [r for r in self.by_group_kind.values() if {"list", "watch"} <= r.verbs]


async def load_discovery(get: Callable[[str], Awaitable[Any]]) -> Discovery:
    """Read /api, /apis and every group-version's resource list (in parallel)."""
    paths = ["/api/v1"]
    groups = await get("/apis")
    preferred: dict[str, str] = {}
    for group in (groups or {}).get("groups") or ():
        preferred[group["name"]] = group["preferredVersion"]["version"]
        paths += [f"/apis/{v['groupVersion']}" for v in group.get("versions") or ()]
    lists = await asyncio.gather(*(get(path) for path in paths))
    by_version_kind: dict[tuple[str, str], ResourceInfo] = {}
    by_group_kind: dict[tuple[str, str], ResourceInfo] = {}
    for resource_list in lists:
        group_version = resource_list.get("groupVersion", "v1")
        group, _, version = group_version.rpartition("/")
        for entry in resource_list.get("resources") or ():
            if "/" in entry["name"]:
                continue  # subresources
            info = ResourceInfo(
                group=group,
                version=version,
                kind=entry["kind"],
                plural=entry["name"],
                namespaced=bool(entry.get("namespaced")),
                verbs=frozenset(entry.get("verbs") or ()),
            )
            by_version_kind[(group_version, info.kind)] = info
            if (
                group == ""
                or preferred.get(group) == version
                or ((group, info.kind) not in by_group_kind)
            ):
                by_group_kind[(group, info.kind)] = info
    return Discovery(by_version_kind, by_group_kind)
