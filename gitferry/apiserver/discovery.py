"""`/version` and API discovery, legacy and aggregated.

kubectl asks `/api` and `/apis` with an Accept header that prefers aggregated discovery
(`apidiscovery.k8s.io/v2`), and then needs nothing more; the Python clients use the legacy
documents (`APIVersions`, `APIGroupList`, `APIGroup`, `APIResourceList`). Both are built from
the catalog and cached until a CRD changes it. Called by `app`.
"""

from __future__ import annotations

from typing import Any

import orjson

from gitferry.apiserver.catalog import VERBS, Catalog, ResourceType

AGGREGATED_TYPE = b"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
SUBRESOURCE_VERBS = ["get", "patch", "update"]

# The minor version decides which kubectl the image's dispatcher runs (27..33 are installed).
VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0+gitferry",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def wants_aggregated(accept: str) -> bool:
    return "as=APIGroupDiscoveryList" in accept and "v=v2;" in accept.replace(" ", "") + ";"


class Discovery:
    """Discovery documents of a catalog, serialised once per catalog change."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._cache: dict[str, bytes | None] = {}

    def invalidate(self) -> None:
        self._cache.clear()

    def document(self, path: str, *, aggregated: bool) -> bytes | None:
        """The document at a discovery path (`api`, `apis`, `api/v1`, `apis/<g>[/<v>]`)."""
        key = f"{'agg:' if aggregated else ''}{path}"
        if key not in self._cache:
            self._cache[key] = self._build(path, aggregated=aggregated)
        return self._cache[key]

    def _build(self, path: str, *, aggregated: bool) -> bytes | None:
        parts = [p for p in path.split("/") if p]
        groups = self._catalog.groups()
        if parts == ["api"]:
            if aggregated:
                return _dump(self._aggregated(only_core=True))
            return _dump(
                {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}
                    ],
                }
            )
        if parts == ["apis"]:
            if aggregated:
                return _dump(self._aggregated(only_core=False))
            return _dump(
                {
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [_group(name, versions) for name, versions in groups.items() if name],
                }
            )
        if parts == ["api", "v1"]:
            return _dump(self._resource_list("", "v1"))
        if len(parts) == 2 and parts[0] == "apis" and parts[1] in groups:
            return _dump(
                {"kind": "APIGroup", "apiVersion": "v1", **_group(parts[1], groups[parts[1]])}
            )
        if len(parts) == 3 and parts[0] == "apis" and parts[2] in groups.get(parts[1], ()):
            return _dump(self._resource_list(parts[1], parts[2]))
        return None

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        resources: list[dict[str, Any]] = []
        for resource in self._catalog.in_group_version(group, version):
            entry: dict[str, Any] = {
                "name": resource.plural,
                "singularName": resource.singular,
                "namespaced": resource.namespaced,
                "kind": resource.kind,
                "verbs": list(VERBS),
            }
            if resource.short_names:
                entry["shortNames"] = list(resource.short_names)
            if resource.categories:
                entry["categories"] = list(resource.categories)
            resources.append(entry)
            for sub in sorted(_subresources(resource)):
                sub_entry: dict[str, Any] = {
                    "name": f"{resource.plural}/{sub}",
                    "singularName": "",
                    "namespaced": resource.namespaced,
                    "kind": resource.kind,
                    "verbs": ["update"] if sub == "finalize" else SUBRESOURCE_VERBS,
                }
                if sub == "scale":
                    sub_entry.update(group="autoscaling", version="v1", kind="Scale")
                resources.append(sub_entry)
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources,
        }

    def _aggregated(self, *, only_core: bool) -> dict[str, Any]:
        items = []
        for group, versions in self._catalog.groups().items():
            if only_core != (group == ""):
                continue
            items.append(
                {
                    "metadata": {"name": group} if group else {},
                    "versions": [
                        {
                            "version": version,
                            "resources": [
                                _aggregated_resource(r, version)
                                for r in self._catalog.in_group_version(group, version)
                            ],
                            "freshness": "Current",
                        }
                        for version in versions
                    ],
                }
            )
        return {
            "kind": "APIGroupDiscoveryList",
            "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {},
            "items": items,
        }


def _subresources(resource: ResourceType) -> set[str]:
    subs = set(resource.subresources)
    if resource.key == "namespaces":
        subs.add("finalize")
    return subs


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": listed[0]}


def _aggregated_resource(resource: ResourceType, version: str) -> dict[str, Any]:
    kind = {"group": resource.group, "version": version, "kind": resource.kind}
    entry: dict[str, Any] = {
        "resource": resource.plural,
        "responseKind": kind,
        "scope": "Namespaced" if resource.namespaced else "Cluster",
        "singularResource": resource.singular,
        "verbs": list(VERBS),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    subs = []
    for sub in sorted(_subresources(resource)):
        response = (
            {"group": "autoscaling", "version": "v1", "kind": "Scale"} if sub == "scale" else kind
        )
        verbs = ["update"] if sub == "finalize" else SUBRESOURCE_VERBS
        subs.append({"subresource": sub, "responseKind": response, "verbs": verbs})
    if subs:
        entry["subresources"] = subs
    return entry


def _dump(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)
