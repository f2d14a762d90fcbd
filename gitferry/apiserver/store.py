"""The live state of the embedded cluster: objects in memory, written through to SQLite, and
the event log that watches read from.

All reads are served from memory (each object is kept parsed and serialised, so a list of
10,000 objects is a join of ready bytes). Every write takes the next value of the single
cluster-wide resourceVersion counter, is committed to `storage.Storage` before it becomes
visible, and is published to the watchers of its resource at once. Everything runs on the
server's event loop, so a write is atomic with respect to every reader without locks.

Used by `registry` (the write pipeline), the read and watch handlers, and the simulated
controllers (through `registry`).
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from gitferry.apiserver import errors
from gitferry.apiserver.storage import Storage

Key = tuple[str, str]  # (namespace, name); namespace is "" for cluster-scoped objects


@dataclass(slots=True)
class Entry:
    """One stored object. `obj` must never be mutated: copy it (`copy()`) to change it."""

    obj: dict[str, Any]
    raw: bytes
    rv: int

    def copy(self) -> dict[str, Any]:
        """A private deep copy of the object (parsing the stored bytes is the fastest way)."""
        result: dict[str, Any] = orjson.loads(self.raw)
        return result


@dataclass(slots=True)
class Event:
    """One change: ADDED, MODIFIED or DELETED, with the object before the change (if any)."""

    type: str
    resource: str
    entry: Entry
    old: dict[str, Any] | None
    rv: int


@dataclass(eq=False)
class Watcher:
    """A subscription to the changes of one resource, filtered by namespace and selectors."""

    resource: str
    namespace: str | None
    predicate: Callable[[dict[str, Any]], bool] | None
    queue: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)

    def _matches(self, obj: dict[str, Any] | None) -> bool:
        if obj is None:
            return False
        if self.namespace is not None and obj["metadata"].get("namespace", "") != self.namespace:
            return False
        return self.predicate is None or self.predicate(obj)

    def translate(self, event: Event) -> tuple[str, Entry] | None:
        """What this watcher sees of `event`, as kube-apiserver decides it per watcher: an
        object that starts matching is ADDED, one that stops matching is DELETED."""
        now = event.entry.obj if event.type != "DELETED" else None
        was, is_ = self._matches(event.old), self._matches(now)
        if event.type == "DELETED":
            return ("DELETED", event.entry) if was else None
        if was and is_:
            return ("MODIFIED", event.entry)
        if is_:
            return ("ADDED", event.entry)
        if was and event.old is not None:
            # Stopped matching: DELETED with the previous content and the new version.
            gone = dict(event.old)
            gone["metadata"] = {**event.old["metadata"], "resourceVersion": str(event.rv)}
            return ("DELETED", Entry(gone, orjson.dumps(gone), event.rv))
        return None


class Store:
    """Objects by resource and (namespace, name), the resourceVersion counter, the event log."""

    def __init__(self, storage: Storage, *, history: int = 20_000) -> None:
        self._storage = storage
        self._objects: dict[str, dict[Key, Entry]] = {}
        self._sorted: dict[str, list[Key]] = {}
        self._watchers: dict[str, set[Watcher]] = {}
        self._log: list[Event] = []
        self._history = history
        self.rv = storage.resource_version()
        # Changes at or below this version are no longer in the log (410 for older watches).
        self._floor = self.rv
        for resource, namespace, name, rv, body in storage.load():
            obj = orjson.loads(body)
            self._objects.setdefault(resource, {})[(namespace, name)] = Entry(obj, body, rv)
        for resource, objects in self._objects.items():
            self._sorted[resource] = sorted(objects)

    # -- reads ---------------------------------------------------------------------------

    def get(self, resource: str, namespace: str, name: str) -> Entry | None:
        objects = self._objects.get(resource)
        return objects.get((namespace, name)) if objects else None

    def entries(self, resource: str, namespace: str | None = None) -> list[Entry]:
        """Objects of a resource in storage order (namespace, then name), optionally of one
        namespace."""
        objects = self._objects.get(resource)
        if not objects:
            return []
        keys = self._sorted[resource]
        if namespace is not None:
            start = bisect.bisect_left(keys, (namespace, ""))
            end = bisect.bisect_left(keys, (namespace + "\x00", ""))
            keys = keys[start:end]
        return [objects[key] for key in keys]

    def count(self, resource: str) -> int:
        return len(self._objects.get(resource) or ())

    def resources(self) -> list[str]:
        return [resource for resource, objects in self._objects.items() if objects]

    # -- writes --------------------------------------------------------------------------

    def put(self, resource: str, obj: dict[str, Any]) -> Entry:
        """Store `obj` (new or replacing the current one) at the next resourceVersion."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        rv = self.rv + 1
        meta["resourceVersion"] = str(rv)
        raw = orjson.dumps(obj)
        self._storage.put(resource, key[0], key[1], rv, raw)
        self.rv = rv
        objects = self._objects.setdefault(resource, {})
        old = objects.get(key)
        entry = Entry(obj, raw, rv)
        objects[key] = entry
        if old is None:
            bisect.insort(self._sorted.setdefault(resource, []), key)
        kind = "MODIFIED" if old else "ADDED"
        self._publish(Event(kind, resource, entry, old.obj if old else None, rv))
        return entry

    def remove(self, resource: str, namespace: str, name: str) -> Entry:
        """Delete an object at the next resourceVersion; the returned entry is its last state
        with the deletion's version (as watchers receive it)."""
        objects = self._objects[resource]
        old = objects[(namespace, name)]
        rv = self.rv + 1
        self._storage.delete(resource, namespace, name, rv)
        self.rv = rv
        del objects[(namespace, name)]
        keys = self._sorted[resource]
        del keys[bisect.bisect_left(keys, (namespace, name))]
        last = old.copy()
        last["metadata"]["resourceVersion"] = str(rv)
        entry = Entry(last, orjson.dumps(last), rv)
        self._publish(Event("DELETED", resource, entry, old.obj, rv))
        return entry

    # -- watch ---------------------------------------------------------------------------

    def _publish(self, event: Event) -> None:
        self._log.append(event)
        if len(self._log) > self._history + self._history // 4:
            dropped = len(self._log) - self._history
            self._floor = self._log[dropped - 1].rv
            del self._log[:dropped]
        for watcher in self._watchers.get(event.resource, ()):
            watcher.queue.put_nowait(event)

    def watch(self, watcher: Watcher, since: int | None) -> list[Event]:
        """Subscribe `watcher`; return the logged events after `since` that it must replay
        first (none when `since` is None). Raises 410 Expired when `since` is older than
        the log."""
        replay: list[Event] = []
        if since is not None:
            if since < self._floor:
                raise errors.expired(f"too old resource version: {since} ({self._floor})")
            start = bisect.bisect_right(self._log, since, key=lambda event: event.rv)
            replay = [e for e in self._log[start:] if e.resource == watcher.resource]
        self._watchers.setdefault(watcher.resource, set()).add(watcher)
        return replay

    def unwatch(self, watcher: Watcher) -> None:
        self._watchers.get(watcher.resource, set()).discard(watcher)

    def close_watchers(self, resource: str | None = None) -> None:
        """End the watches of one resource (its CRD was deleted) or of all (shutdown)."""
        targets = [resource] if resource is not None else list(self._watchers)
        for key in targets:
            for watcher in self._watchers.pop(key, set()):
                watcher.queue.put_nowait(None)
