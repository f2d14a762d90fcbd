"""ControllerRevisions: the template history of StatefulSets and DaemonSets.

`ensure` returns the revision object for the current template (`<owner>-<hash>`), creating it
with the next revision number when it is new, and `prune` deletes unused revisions beyond
`revisionHistoryLimit`. Called by `statefulsets.py` and `daemonsets.py`.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.controllers import meta, runtime
from gitferry.apiserver.writes import WriteOptions

RESOURCE = "controllerrevisions.apps"
HASH_LABEL = "controller-revision-hash"


def hash_of(owner: dict[str, Any]) -> str:
    """The hash of the owner's current pod template (with its collisionCount)."""
    template = (owner.get("spec") or {}).get("template") or {}
    collisions = int((owner.get("status") or {}).get("collisionCount") or 0)
    return meta.template_hash(template, collisions)


def ensure(controller: runtime.Controller, owner: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The ControllerRevision of `owner`'s current template, and the template's hash."""
    template = (owner.get("spec") or {}).get("template") or {}
    template_hash = hash_of(owner)
    name = f"{owner['metadata']['name']}-{template_hash}"
    namespace = owner["metadata"]["namespace"]
    existing = controller.store.get(RESOURCE, namespace, name)
    if existing is not None:
        return existing.obj, template_hash
    known = controller.owned(owner["metadata"]["uid"], RESOURCE)
    number = max((int(r.obj.get("revision") or 0) for r in known), default=0) + 1
    labels = dict(((owner.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
    labels[HASH_LABEL] = template_hash
    data = {"spec": {"template": {**meta.deep(template), "$patch": "replace"}}}
    revision = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "ownerReferences": [meta.owner_ref(owner)],
        },
        "data": data,
        "revision": number,
    }
    try:
        created = controller.registry.create(
            controller.rt(RESOURCE),
            namespace,
            revision,
            WriteOptions(manager=controller.manager_name),
        )
    except errors.ApiError as err:
        if err.code != 409:
            raise
        current = controller.store.get(RESOURCE, namespace, name)
        if current is None:
            raise
        return current.obj, template_hash
    return created.obj, template_hash


def prune(controller: runtime.Controller, owner: dict[str, Any], keep: set[str]) -> None:
    """Delete the oldest revisions not in `keep` beyond the owner's history limit."""
    limit = int((owner.get("spec") or {}).get("revisionHistoryLimit", 10))
    known = sorted(
        (r.obj for r in controller.owned(owner["metadata"]["uid"], RESOURCE)),
        key=lambda r: int(r.get("revision") or 0),
    )
    unused = [r for r in known if r["metadata"]["name"] not in keep]
    for revision in unused[: max(len(unused) - limit, 0)]:
        meta_ = revision["metadata"]
        controller.remove(RESOURCE, meta_["namespace"], meta_["name"], uid=meta_["uid"])
