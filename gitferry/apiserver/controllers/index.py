"""Who owns what: every stored object by uid, and the dependents of every owner uid.

Kept up to date from the event stream of every resource (the manager feeds it each event
before any controller sees it), so controllers find the pods of a ReplicaSet, the
ReplicaSets of a Deployment or the dependents the garbage collector must visit without
scanning a whole resource. Used by `runtime.Manager` and, through it, by every controller.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.store import Event

# (resource key, namespace, name): enough to get an object back from the store.
Ref = tuple[str, str, str]


def owner_uids(obj: dict[str, Any] | None) -> set[str]:
    if obj is None:
        return set()
    refs = obj["metadata"].get("ownerReferences") or ()
    return {ref["uid"] for ref in refs if isinstance(ref, dict) and ref.get("uid")}


class Index:
    """Objects by uid and dependents by owner uid, over every served resource."""

    def __init__(self) -> None:
        self._uids: dict[str, Ref] = {}
        self._dependents: dict[str, set[Ref]] = {}

    def add(self, resource: str, obj: dict[str, Any]) -> None:
        """Index an object read at start-up."""
        self._apply(resource, None, obj)

    def update(self, event: Event) -> None:
        """Apply one change of the store."""
        new = None if event.type == "DELETED" else event.entry.obj
        old = event.old if event.type != "DELETED" else event.entry.obj
        self._apply(event.resource, old, new)

    def _apply(self, resource: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        obj = new if new is not None else old
        assert obj is not None
        meta = obj["metadata"]
        ref = (resource, meta.get("namespace", ""), meta["name"])
        before, after = owner_uids(old), owner_uids(new)
        for uid in before - after:
            dependents = self._dependents.get(uid)
            if dependents is not None:
                dependents.discard(ref)
                if not dependents:
                    del self._dependents[uid]
        for uid in after - before:
            self._dependents.setdefault(uid, set()).add(ref)
        uid = meta.get("uid")
        if not uid:
            return
        if new is None:
            if self._uids.get(uid) == ref:
                del self._uids[uid]
        else:
            self._uids[uid] = ref

    def lookup(self, uid: str) -> Ref | None:
        """Where the object with this uid lives, if it exists."""
        return self._uids.get(uid)

    def dependents(self, uid: str, resource: str | None = None) -> list[Ref]:
        """Objects that list `uid` among their owners (of one resource, if given), sorted."""
        refs = self._dependents.get(uid)
        if not refs:
            return []
        return sorted(ref for ref in refs if resource is None or ref[0] == resource)

    def has_dependents(self, uid: str) -> bool:
        return bool(self._dependents.get(uid))
