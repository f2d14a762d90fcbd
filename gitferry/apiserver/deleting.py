"""DELETE as kube-apiserver carries it out: preconditions, graceful deletion, the garbage
collector's finalizers (orphan, foregroundDeletion) chosen by the propagation policy, and
final removal when nothing holds the object any more.

Called by `registry.Registry.delete`; the garbage collector and the namespace controller
(simulated controllers) finish what the finalizers start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitferry.apiserver import admission, errors
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.writes import WriteResult

if TYPE_CHECKING:
    from gitferry.apiserver.registry import Registry

GC_FINALIZERS = ("orphan", "foregroundDeletion")
# Kinds whose default deletion propagation is Orphan (kept by kube-apiserver for backward
# compatibility; kubectl always sends Background for them).
ORPHAN_BY_DEFAULT = frozenset({"jobs.batch", "replicationcontrollers"})


@dataclass(frozen=True, kw_only=True)
class DeleteOptions:
    """A DeleteOptions body or its query-parameter form."""

    propagation: str | None = None  # "Foreground", "Background", "Orphan" or None
    orphan_dependents: bool | None = None
    grace_seconds: int | None = None
    uid: str | None = None  # preconditions
    resource_version: str | None = None
    dry_run: bool = False


# -- delete --------------------------------------------------------------------------


def delete(
    registry: Registry, resource: ResourceType, namespace: str, name: str, opts: DeleteOptions
) -> WriteResult:
    """DELETE: finalizers and grace periods keep the object; otherwise it is removed."""
    current = registry.get(resource, namespace, name)
    meta = current.obj["metadata"]
    if opts.uid is not None and opts.uid != meta["uid"]:
        raise _precondition(
            resource, name, "UID", opts.uid, meta["uid"], "deleted and then recreated"
        )
    if opts.resource_version is not None and opts.resource_version != str(current.rv):
        raise _precondition(
            resource,
            name,
            "ResourceVersion",
            opts.resource_version,
            str(current.rv),
            "modified",
        )
    admission.on_delete(registry, resource, current.obj)
    obj = current.copy()
    meta = obj["metadata"]
    finalizers = [f for f in meta.get("finalizers") or () if f not in GC_FINALIZERS]
    orphan = _orphan(opts, meta, orphan_by_default=resource.key in ORPHAN_BY_DEFAULT)
    foreground = opts.propagation == "Foreground" or (
        opts.propagation is None and "foregroundDeletion" in (meta.get("finalizers") or ())
    )
    if orphan:
        finalizers.append("orphan")
    if foreground:
        finalizers.append("foregroundDeletion")
    grace = admission.grace_period(resource, obj, opts.grace_seconds)
    if grace > 0 or finalizers or admission.needs_finalization(resource, obj):
        if finalizers:
            meta["finalizers"] = finalizers
        else:
            meta.pop("finalizers", None)
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = registry.now()
            meta["deletionGracePeriodSeconds"] = grace
            if meta.get("generation"):
                meta["generation"] = int(meta["generation"]) + 1
            admission.on_terminate(registry, resource, obj)
        elif grace == 0 and not finalizers and not admission.needs_finalization(resource, obj):
            return registry.remove(resource, current, dry_run=opts.dry_run)
        if obj == current.obj or opts.dry_run:
            return WriteResult(obj)
        entry = registry.store.put(resource.key, obj)
        admission.after_write(registry, resource, entry)
        return WriteResult(entry.obj)
    return registry.remove(resource, current, dry_run=opts.dry_run)


def _precondition(
    resource: ResourceType, name: str, what: str, wanted: str, actual: str, hint: str
) -> errors.ApiError:
    return errors.ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource.group_kind} "{name}": the {what} in '
        f"the precondition ({wanted}) does not match the {what} in record ({actual}). "
        f"The object might have been {hint}",
        {
            "name": name,
            **({"group": resource.group} if resource.group else {}),
            "kind": resource.kind,
        },
    )


def _orphan(opts: DeleteOptions, meta: dict[str, Any], *, orphan_by_default: bool) -> bool:
    if opts.orphan_dependents is not None:
        return opts.orphan_dependents
    if opts.propagation is not None:
        return opts.propagation == "Orphan"
    return "orphan" in (meta.get("finalizers") or ()) or (
        orphan_by_default and not meta.get("deletionTimestamp")
    )
