"""Destination clusters: where an Application's `destination` points, and one client and live
cache per cluster.

Clusters are the Secrets labelled `argocd.argoproj.io/secret-type: cluster` in the control-plane
namespace, plus the in-cluster destination `https://kubernetes.default.svc` (name
`in-cluster`), which is the management cluster itself. Resolution follows Argo CD (reference
1.10): exactly one of server or name; a name must match exactly one cluster.

Called by the controller's refresh and sync (client, cache) and by `gitferry cluster list`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gitferry.cluster import connect
from gitferry.cluster.cache import Change, LiveCache
from gitferry.cluster.client import KubeClient
from gitferry.model.application import IN_CLUSTER, Destination
from gitferry.model.errors import ClusterError, InvalidSpecError

log = logging.getLogger(__name__)

CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
IN_CLUSTER_NAME = "in-cluster"


@dataclass(frozen=True)
class ClusterEntry:
    """One registered destination."""

    name: str
    server: str
    labels: dict[str, str]
    target: connect.ClusterTarget | None  # None: the Secret is unusable (see `problem`)
    problem: str = ""
    project: str = ""  # set: the cluster belongs to this project only


def secret_field(secret: dict[str, Any], key: str) -> str:
    """A Secret value from `stringData` or base64 `data`."""
    string_data = secret.get("stringData") or {}
    if key in string_data:
        return str(string_data[key])
    raw = (secret.get("data") or {}).get(key)
    if raw is None:
        return ""
    try:
        return base64.b64decode(raw).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


def is_cluster_secret(obj: dict[str, Any]) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return obj.get("kind") == "Secret" and labels.get(CLUSTER_SECRET_LABEL) == "cluster"


class Clusters:
    """The registered destinations, with lazily started clients and live caches."""

    def __init__(
        self,
        management: connect.ClusterTarget,
        management_client: KubeClient,
        management_cache: LiveCache,
        *,
        on_change: Callable[[str, Change], None],
        label_key: str = "app.kubernetes.io/instance",
    ) -> None:
        self._management = management
        self._on_change = on_change
        self._label_key = label_key
        self._entries: dict[str, ClusterEntry] = {}
        # The in-cluster destination shares the controller's own client and cache.
        self._clients: dict[str, KubeClient] = {IN_CLUSTER: management_client}
        self._caches: dict[str, LiveCache] = {IN_CLUSTER: management_cache}
        self.update([])

    def update(self, secrets: list[dict[str, Any]]) -> None:
        """Re-read the cluster Secrets (called whenever one changes)."""
        entries = {IN_CLUSTER: ClusterEntry(IN_CLUSTER_NAME, IN_CLUSTER, {}, self._management)}
        for secret in secrets:
            if not is_cluster_secret(secret):
                continue
            labels = dict((secret.get("metadata") or {}).get("labels") or {})
            server = secret_field(secret, "server").rstrip("/")
            name = secret_field(secret, "name") or server
            project = secret_field(secret, "project")
            try:
                target = connect.from_cluster_secret(secret)
                entries[server] = ClusterEntry(name, server, labels, target, project=project)
            except ClusterError as err:
                entries[server] = ClusterEntry(name, server, labels, None, str(err), project)
        for server in set(self._entries) - set(entries):
            self._forget(server)
        for server, entry in entries.items():
            old = self._entries.get(server)
            if old is not None and old.target != entry.target and server != IN_CLUSTER:
                self._forget(server)
        self._entries = entries

    def _forget(self, server: str) -> None:
        cache = self._caches.pop(server, None)
        client = self._clients.pop(server, None)
        if cache is not None or client is not None:

            async def close() -> None:
                if cache is not None:
                    await cache.stop()
                if client is not None:
                    await client.close()

            asyncio.get_running_loop().create_task(close())

    def entries(self) -> list[ClusterEntry]:
        return sorted(self._entries.values(), key=lambda e: e.name)

    def resolve(self, destination: Destination) -> ClusterEntry:
        """The cluster a destination names, or InvalidSpecError with Argo CD's message."""
        if destination.server and destination.name:
            raise InvalidSpecError(
                "application destination can't have both name and server defined: "
                f"{destination.name} {destination.server}"
            )
        if destination.server:
            entry = self._entries.get(destination.server)
            if entry is None:
                raise InvalidSpecError(
                    f"cluster {destination.server} has not been configured (add it with "
                    "`gitferry cluster add`)"
                )
            return entry
        if not destination.name:
            raise InvalidSpecError("Destination server missing from app spec")
        matches = [e for e in self._entries.values() if e.name == destination.name]
        if not matches:
            raise InvalidSpecError(f"there are no clusters with this name: {destination.name}")
        if len(matches) > 1:
            servers = [m.server for m in matches]
            raise InvalidSpecError(
                f"there are {len(matches)} clusters with the same name: {servers}"
            )
        return matches[0]

    def client(self, entry: ClusterEntry) -> KubeClient:
        if entry.target is None:
            raise ClusterError(f"cluster {entry.name}: {entry.problem}")
        client = self._clients.get(entry.server)
        if client is None:
            client = self._clients[entry.server] = KubeClient(entry.target)
        return client

    async def cache(self, entry: ClusterEntry) -> LiveCache:
        """The cluster's live cache, started (and fully listed) on first use."""
        cache = self._caches.get(entry.server)
        if cache is None:
            server = entry.server
            cache = LiveCache(
                self.client(entry),
                on_change=lambda change: self._on_change(server, change),
                label_key=self._label_key,
            )
            self._caches[entry.server] = cache
            await cache.start()
        else:
            await cache.wait_synced()
        return cache

    async def close(self) -> None:
        """Stop the destination caches and clients (not the management ones)."""
        for server in [s for s in {*self._caches, *self._clients} if s != IN_CLUSTER]:
            cache = self._caches.pop(server, None)
            if cache is not None:
                await cache.stop()
            client = self._clients.pop(server, None)
            if client is not None:
                await client.close()
