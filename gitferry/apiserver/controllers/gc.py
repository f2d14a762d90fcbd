"""The garbage collector: ownerReferences across every resource, custom ones included.

- Background: a dependent whose owners are all gone (matched by uid) is deleted; when only
  some are gone, the dangling references are removed from it.
- Foreground: an owner with a deletionTimestamp and the `foregroundDeletion` finalizer has its
  dependents deleted (foreground again when they have dependents of their own) and keeps the
  finalizer until no dependent with `blockOwnerDeletion: true` is left; then the finalizer is
  removed and the registry completes the deletion.
- Orphan: an owner with the `orphan` finalizer is removed from its dependents'
  ownerReferences, then the finalizer is removed.

Work items are `("dependent", ref)` and `("owner", ref)`, found through the manager's
ownership index on every event. Started by the controller manager.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.controllers import runtime
from gitferry.apiserver.controllers.index import Ref, owner_uids
from gitferry.apiserver.store import Event

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def _deleting_with(obj: dict[str, Any] | None, finalizer: str) -> bool:
    if obj is None:
        return False
    meta = obj["metadata"]
    return bool(meta.get("deletionTimestamp")) and finalizer in (meta.get("finalizers") or ())


class GarbageCollector(runtime.Controller):
    """Deletes what lost its owners and finalizes owners deleted in foreground or orphan
    mode."""

    name = "garbage-collector"
    manager_name = "kube-controller-manager"
    component = "garbage-collector-controller"

    def start(self) -> None:
        index = self.manager.index
        for resource in self.registry.catalog.all():
            for entry in self.store.entries(resource.key):
                obj = entry.obj
                ref = _ref(resource.key, obj)
                if any(index.lookup(uid) is None for uid in owner_uids(obj)):
                    self.queue(("dependent", ref))
                if _deleting_with(obj, FOREGROUND) or _deleting_with(obj, ORPHAN):
                    self.queue(("owner", ref))

    def watch_all(self) -> runtime.Handler:
        return self._on_event

    def _on_event(self, event: Event) -> None:
        obj = event.entry.obj
        ref = _ref(event.resource, obj)
        index = self.manager.index
        if event.type == "DELETED":
            for dependent in index.dependents(obj["metadata"].get("uid", "")):
                self.queue(("dependent", dependent))
        else:
            if any(index.lookup(uid) is None for uid in owner_uids(obj)):
                self.queue(("dependent", ref))
            if _deleting_with(obj, FOREGROUND) or _deleting_with(obj, ORPHAN):
                self.queue(("owner", ref))
        for uid in owner_uids(obj) | owner_uids(event.old):
            owner = index.lookup(uid)
            if owner is not None:
                entry = self.store.get(*owner)
                if entry is not None and _deleting_with(entry.obj, FOREGROUND):
                    self.queue(("owner", owner))

    def reconcile(self, key: Any) -> None:
        kind, ref = key
        entry = self.store.get(*ref)
        if entry is None:
            return
        if kind == "owner":
            self._owner(ref, entry.obj)
        else:
            self._dependent(ref, entry.obj)

    def _owner(self, ref: Ref, obj: dict[str, Any]) -> None:
        uid = obj["metadata"]["uid"]
        dependents = self.manager.index.dependents(uid)
        if _deleting_with(obj, ORPHAN):
            for dependent in dependents:
                self._drop_references(dependent, {uid})
            self._drop_finalizer(ref, ORPHAN)
            return
        if not _deleting_with(obj, FOREGROUND):
            return
        blocking = 0
        for dependent in dependents:
            entry = self.store.get(*dependent)
            if entry is None:
                continue
            blocking += any(
                r.get("uid") == uid and r.get("blockOwnerDeletion")
                for r in entry.obj["metadata"].get("ownerReferences") or ()
            )
            if not entry.obj["metadata"].get("deletionTimestamp"):
                self._dependent(dependent, entry.obj)
        if blocking == 0:
            self._drop_finalizer(ref, FOREGROUND)

    def _dependent(self, ref: Ref, obj: dict[str, Any]) -> None:
        """Delete a dependent whose owners are gone or waiting for it; drop references to
        them when a live owner remains."""
        if obj["metadata"].get("deletionTimestamp"):
            return
        solid, dangling, waiting = set(), set(), set()
        for owner_ref in obj["metadata"].get("ownerReferences") or ():
            uid = owner_ref.get("uid", "")
            found = self.manager.index.lookup(uid)
            owner = self.store.get(*found) if found else None
            if owner is None or (found and found[1] not in ("", ref[1])):
                dangling.add(uid)
            elif _deleting_with(owner.obj, FOREGROUND):
                waiting.add(uid)
            else:
                solid.add(uid)
        if not dangling and not waiting:
            return
        if solid:
            self._drop_references(ref, dangling | waiting)
            return
        if waiting and self.manager.index.has_dependents(obj["metadata"]["uid"]):
            policy = "Foreground"
        elif ORPHAN in (obj["metadata"].get("finalizers") or ()):
            policy = "Orphan"
        elif FOREGROUND in (obj["metadata"].get("finalizers") or ()):
            policy = "Foreground"
        else:
            policy = "Background"
        self.remove(*ref, uid=obj["metadata"]["uid"], propagation=policy)

    def _drop_references(self, ref: Ref, uids: set[str]) -> None:
        entry = self.store.get(*ref)
        if entry is None:
            return
        refs = entry.obj["metadata"].get("ownerReferences") or []
        kept = [r for r in refs if r.get("uid") not in uids]
        if len(kept) == len(refs):
            return
        copy = entry.copy()
        if kept:
            copy["metadata"]["ownerReferences"] = kept
        else:
            copy["metadata"].pop("ownerReferences", None)
        self.registry.write(self.rt(ref[0]), copy, self.manager_name)

    def _drop_finalizer(self, ref: Ref, finalizer: str) -> None:
        entry = self.store.get(*ref)
        if entry is not None:
            self.drop_finalizer(ref[0], entry.obj, finalizer)


def _ref(resource: str, obj: dict[str, Any]) -> Ref:
    meta = obj["metadata"]
    return (resource, meta.get("namespace", ""), meta["name"])
