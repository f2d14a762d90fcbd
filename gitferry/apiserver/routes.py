"""Resolving a request path to the resource, namespace, name and subresource it addresses.

Kubernetes resource URLs have a fixed grammar:

    /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
    /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
    (and the legacy /api/v1/watch/... and /apis/{group}/{version}/watch/... forms)

`/api/v1/namespaces/{name}[/status|/finalize]` addresses a Namespace itself, so a third
segment after `namespaces/{ns}` is a resource only when one of that name is served. Called by
`app` for every request that is not discovery or OpenAPI.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitferry.apiserver import errors
from gitferry.apiserver.catalog import Catalog, ResourceType


@dataclass(frozen=True)
class Route:
    """What a resource URL addresses."""

    resource: ResourceType
    version: str
    namespace: str | None  # None: all namespaces (or a cluster-scoped resource)
    name: str | None  # None: the collection
    subresource: str | None
    legacy_watch: bool = False


def resolve(catalog: Catalog, path: str) -> Route | None:
    """The route of a resource URL, None when the path is not a resource URL at all.

    Raises 404 NotFound for a well-formed URL of a resource that is not served."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api" and parts[1] == "v1":
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    watch = rest[0] == "watch"
    if watch:
        rest = rest[1:]
        if not rest:
            return None
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        third = rest[2]
        served = catalog.lookup(group, version, third)
        is_namespace_sub = group == "" and third in ("status", "finalize") and len(rest) == 3
        if served is not None and not is_namespace_sub:
            namespace, rest = rest[1], rest[2:]
    plural = rest[0]
    resource = catalog.lookup(group, version, plural)
    if resource is None:
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource", {}
        )
    if len(rest) > 3:
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource", {}
        )
    name = rest[1] if len(rest) >= 2 else None
    subresource = rest[2] if len(rest) == 3 else None
    if subresource is not None and not _has_subresource(resource, subresource):
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource", {}
        )
    if namespace is not None and not resource.namespaced:
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource", {}
        )
    return Route(resource, version, namespace, name, subresource, legacy_watch=watch)


def _has_subresource(resource: ResourceType, subresource: str) -> bool:
    if subresource in resource.subresources:
        return True
    return resource.key == "namespaces" and subresource == "finalize"
