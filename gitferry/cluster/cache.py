"""A watch-based cache of one cluster's live objects.

The controller never lists a cluster to compare an application: it reads this cache, which
lists every watchable kind once and then follows its watch stream (re-listing after a 410 or a
dropped stream). Objects are indexed by the application instance named in their tracking
annotation or label, so "the live objects of app X" is a dictionary lookup, and every change to
a tracked object is reported to the controller (which debounces and refreshes that app); with
`every_change`, every change is reported (the management cluster's cache, whose Applications,
AppProjects, Secrets and ConfigMaps drive the controller).

Kinds that only add noise are not watched (Events, Endpoints, EndpointSlices, Leases,
ControllerRevisions), as Argo CD's default resource exclusions do. Kinds added later by CRDs
are picked up when discovery is refreshed (`rediscover`).

Called by the controller, one cache per destination cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gitferry.cluster.client import ApiStatusError, KubeClient
from gitferry.cluster.discovery import ResourceInfo
from gitferry.model.errors import ClusterError
from gitferry.model.keys import TRACKING_ID_ANNOTATION

log = logging.getLogger(__name__)

EXCLUDED = frozenset(
    {
        ("", "Event"),
        ("events.k8s.io", "Event"),
        ("", "Endpoints"),
        ("discovery.k8s.io", "EndpointSlice"),
        ("coordination.k8s.io", "Lease"),
        ("apps", "ControllerRevision"),
        ("", "ComponentStatus"),
    }
)
Key = tuple[str, str, str, str]  # group, kind, namespace, name


def key_of(obj: dict[str, Any]) -> Key:
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    meta = obj.get("metadata") or {}
    return (group, str(obj.get("kind", "")), meta.get("namespace") or "", meta.get("name", ""))


def instance_of(obj: dict[str, Any], label_key: str) -> str | None:
    """The application instance that tracks `obj` (annotation first, then label)."""
    meta = obj.get("metadata") or {}
    tracking = (meta.get("annotations") or {}).get(TRACKING_ID_ANNOTATION)
    if tracking:
        app, _, _ = tracking.partition(":")
        return app or None
    label = (meta.get("labels") or {}).get(label_key)
    return label or None


@dataclass(frozen=True)
class Change:
    """A live object changed: `obj` is its new state (or last state, when deleted)."""

    type: str  # ADDED, MODIFIED, DELETED
    obj: dict[str, Any]
    instances: frozenset[str]  # the app instances that tracked it before or after
    old: dict[str, Any] | None = None  # the previous state, when there was one


class LiveCache:
    """Every watched object of one cluster, kept current by watches."""

    def __init__(
        self,
        client: KubeClient,
        *,
        on_change: Callable[[Change], None] | None = None,
        every_change: bool = False,
        label_key: str = "app.kubernetes.io/instance",
        watch_timeout: int = 300,
    ) -> None:
        self.client = client
        self._on_change = on_change
        self._every_change = every_change
        self._label_key = label_key
        self._watch_timeout = watch_timeout
        self._objects: dict[Key, dict[str, Any]] = {}
        self._by_instance: dict[str, set[Key]] = {}
        self._by_kind: dict[tuple[str, str], dict[Key, dict[str, Any]]] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._synced: dict[tuple[str, str], asyncio.Event] = {}
        self.error: str | None = None

    # -- reads ---------------------------------------------------------------------------

    def get(self, key: Key) -> dict[str, Any] | None:
        return self._objects.get(key)

    def tracked_by(self, instance: str) -> list[dict[str, Any]]:
        """The live objects whose tracking names `instance`."""
        return [self._objects[k] for k in sorted(self._by_instance.get(instance, ()))]

    def objects(self) -> Iterable[dict[str, Any]]:
        return self._objects.values()

    def of_kind(self, group: str, kind: str) -> Iterable[dict[str, Any]]:
        """The live objects of one kind (an index: no scan of the other kinds)."""
        return self._by_kind.get((group, kind), {}).values()

    def __len__(self) -> int:
        return len(self._objects)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Discover kinds, start one list+watch loop per kind, wait for the first lists."""
        await self.rediscover()
        await self.wait_synced()

    async def rediscover(self) -> None:
        """Watch kinds that appeared since the last discovery (new CRDs)."""
        discovery = await self.client.discovery(refresh=True)
        for info in discovery.listable():
            group_kind = (info.group, info.kind)
            if group_kind in EXCLUDED or group_kind in self._tasks:
                continue
            self._synced[group_kind] = asyncio.Event()
            self._tasks[group_kind] = asyncio.create_task(
                self._follow(info), name=f"watch {info.kind}"
            )

    async def wait_synced(self, timeout: float = 60.0) -> None:
        """Until every kind has been listed once (at once when it has: every comparison asks)."""
        events = [e for e in self._synced.values() if not e.is_set()]
        if not events:
            return
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), timeout)

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    # -- the watch loop of one kind ------------------------------------------------------

    async def _follow(self, info: ResourceInfo) -> None:
        group_kind = (info.group, info.kind)
        backoff = 0.5
        while True:
            try:
                items, rv = await self.client.list(info.api_version, info.kind)
                self._replace_kind(info, items)
                self._synced[group_kind].set()
                self.error = None
                backoff = 0.5
                while rv:
                    rv = await self._watch(info, rv)
            except asyncio.CancelledError:
                raise
            except ApiStatusError as err:
                if err.code != 404:
                    raise
                # The kind is gone (its CRD was deleted): forget its objects, stop watching.
                self._replace_kind(info, [])
                self._synced[group_kind].set()
                self._tasks.pop(group_kind, None)
                return
            except ClusterError as err:
                self.error = str(err)
                self._synced[group_kind].set()  # report, do not block start-up forever
                log.warning("watch of %s failed: %s", info.kind, err)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def _watch(self, info: ResourceInfo, rv: str) -> str:
        """Follow one watch stream; the version to resume from, or "" to re-list."""
        async for kind, obj in self.client.watch(
            info.api_version, info.kind, resource_version=rv, timeout_seconds=self._watch_timeout
        ):
            if kind == "ERROR":
                return ""  # 410 Expired (or another error): re-list
            rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
            if kind == "BOOKMARK":
                continue
            obj.setdefault("apiVersion", info.api_version)
            obj.setdefault("kind", info.kind)
            self._apply(kind, obj)
        return rv

    def _replace_kind(self, info: ResourceInfo, items: list[dict[str, Any]]) -> None:
        fresh = {key_of(item): item for item in items}
        stale = list(self._by_kind.get((info.group, info.kind), ()))
        for key in stale:
            if key not in fresh:
                self._apply("DELETED", self._objects[key])
        for item in fresh.values():
            old = self._objects.get(key_of(item))
            if old is None or old.get("metadata", {}).get("resourceVersion") != item.get(
                "metadata", {}
            ).get("resourceVersion"):
                self._apply("MODIFIED" if old else "ADDED", item)

    def _apply(self, kind: str, obj: dict[str, Any]) -> None:
        key = key_of(obj)
        old = self._objects.get(key)
        before = instance_of(old, self._label_key) if old is not None else None
        same_kind = self._by_kind.setdefault((key[0], key[1]), {})
        if kind == "DELETED":
            self._objects.pop(key, None)
            same_kind.pop(key, None)
            after = None
        else:
            self._objects[key] = obj
            same_kind[key] = obj
            after = instance_of(obj, self._label_key)
        if before and before != after:
            self._by_instance.get(before, set()).discard(key)
        if after:
            self._by_instance.setdefault(after, set()).add(key)
        instances = frozenset(i for i in (before, after) if i)
        if self._on_change is not None and (instances or self._every_change):
            self._on_change(Change(kind, obj, instances, old))
