"""core/v1 Events, as the controllers, the scheduler and the kubelet record them, for
`kubectl describe` and the Argo CD UI.

An event repeated within ten minutes (same object, type, reason and message) bumps the
`count` and `lastTimestamp` of the first one instead of creating another, as client-go's
correlator does. Events live one hour, like kube-apiserver's default `--event-ttl`, then this
controller deletes them. Recording never fails a reconcile: an event that cannot be written
(namespace terminating, object gone) is dropped.

Every controller records through `Controller.event`, which calls `Events.record`.
"""

from __future__ import annotations

import itertools
from collections import deque
from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.controllers import meta, runtime
from gitferry.apiserver.writes import WriteOptions

TTL = 3600.0  # seconds on the clock, not scaled: events must outlive a fast simulation
_AGGREGATE = 600.0

Key = tuple[str, str, str, str, str]


class Events(runtime.Controller):
    """Records events and deletes them when they expire."""

    name = "events"

    def __init__(self, manager: runtime.Manager) -> None:
        super().__init__(manager)
        manager.events = self
        self._recent: dict[Key, tuple[str, str, float]] = {}
        self._expiry: deque[tuple[float, str, str, Key]] = deque()
        self._seq = itertools.count()

    def start(self) -> None:
        now = self.manager.clock.now()
        monotonic = self.manager.clock.monotonic()
        for entry in self.store.entries("events"):
            event = entry.obj
            age = meta.seconds_since(event.get("lastTimestamp") or event.get("eventTime"), now)
            key: Key = ("", "", "", "", entry.obj["metadata"]["name"])
            self._expiry.append(
                (
                    monotonic + max(TTL - age, 0.0),
                    event["metadata"]["namespace"],
                    event["metadata"]["name"],
                    key,
                )
            )
        self._expiry = deque(sorted(self._expiry))
        if self._expiry:
            self.wake("expire", self._expiry[0][0] - monotonic)

    def record(
        self, obj: dict[str, Any], kind: str, reason: str, message: str, component: str
    ) -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        key: Key = (meta.get("uid", ""), kind, reason, message, component)
        now = self.manager.clock.monotonic()
        stamp = self.registry.now()
        resource = self.rt("events")
        try:
            recent = self._recent.get(key)
            if recent is not None and now - recent[2] < _AGGREGATE:
                entry = self.store.get("events", recent[0], recent[1])
                if entry is not None:
                    event = entry.copy()
                    event["count"] = int(event.get("count") or 1) + 1
                    event["lastTimestamp"] = stamp
                    self.registry.write(resource, event, component)
                    return
            name = f"{meta['name']}.{self._suffix()}"
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": name, "namespace": namespace},
                "involvedObject": _reference(obj),
                "reason": reason,
                "message": message,
                "source": {"component": component},
                "firstTimestamp": stamp,
                "lastTimestamp": stamp,
                "count": 1,
                "type": kind,
                "eventTime": None,
                "reportingComponent": component,
                "reportingInstance": "",
            }
            self.registry.create(resource, namespace, event, WriteOptions(manager=component))
        except errors.ApiError:
            return
        self._recent[key] = (namespace, name, now)
        self._expiry.append((now + TTL, namespace, name, key))
        self.wake("expire", TTL)

    def _suffix(self) -> str:
        nanos = int(self.manager.clock.now().timestamp() * 1e9) + next(self._seq)
        return f"{nanos:x}"

    def reconcile(self, key: Any) -> None:
        now = self.manager.clock.monotonic()
        while self._expiry and self._expiry[0][0] <= now:
            _, namespace, name, recent_key = self._expiry.popleft()
            if self._recent.get(recent_key, ("", "", 0.0))[:2] == (namespace, name):
                del self._recent[recent_key]
            self.remove("events", namespace, name)
        if self._expiry:
            self.wake("expire", self._expiry[0][0] - now)


def _reference(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    ref = {"apiVersion": obj.get("apiVersion", ""), "kind": obj.get("kind", "")}
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    ref["name"] = meta["name"]
    ref["uid"] = meta.get("uid", "")
    if meta.get("resourceVersion"):
        ref["resourceVersion"] = meta["resourceVersion"]
    return ref
