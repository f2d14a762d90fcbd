"""Who owns which Application, and what one reconcile changes (reference 5.6).

Pure. `changes` compares the generated Applications with the live ones of the ApplicationSet's
namespace and returns what to create, update and delete under the effective
`applicationsSync` policy:

- owned = the live Applications whose controller ownerReference is this ApplicationSet (by
  UID); a live Application of a generated name with another controller owner is an error for
  that name (never adopted); one with no controller owner is adopted (updated, which sets
  the ownerReference);
- an update writes the generated spec, labels, annotations and finalizers over the live
  object, keeping the preserved annotations and labels (`spec.preservedFields`, plus Argo CD's
  always-preserved ones) and the pre/post-delete finalizers; paths named by
  `ignoreApplicationDifferences` (JSON pointers, optionally per application name) keep their
  live values; nothing is written when nothing would change;
- deletions are the owned Applications whose names are no longer generated.

gitferry honours `syncPolicy.applicationsSync` of every ApplicationSet (Argo CD does only when
its controller runs with policy override enabled, and ignores the field by default, which
surprises everyone who sets it). Called by `appset.controller`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
API_VERSION = "argoproj.io/v1alpha1"
POLICIES = {
    # policy: (create, update, delete)
    "sync": (True, True, True),
    "create-update": (True, True, False),
    "create-delete": (True, False, True),
    "create-only": (True, False, False),
}
ALWAYS_PRESERVED = (
    "notified.notifications.argoproj.io",
    "argocd.argoproj.io/refresh",
    "argocd.argoproj.io/hydrate",
)
PRESERVED_FINALIZER_PREFIXES = (
    "pre-delete-finalizer.argocd.argoproj.io",
    "post-delete-finalizer.argocd.argoproj.io",
)


@dataclass
class Changes:
    """What one reconcile writes."""

    create: list[Obj] = field(default_factory=list)
    update: list[Obj] = field(default_factory=list)  # full objects, with resourceVersion
    delete: list[Obj] = field(default_factory=list)  # live objects
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def policy(appset: Mapping[str, Any]) -> str:
    """The effective applicationsSync policy (default `sync`); raises ValueError if unknown."""
    chosen = ((appset.get("spec") or {}).get("syncPolicy") or {}).get("applicationsSync") or "sync"
    if chosen not in POLICIES:
        raise ValueError(
            f"syncPolicy.applicationsSync: unknown policy {chosen!r} (one of {', '.join(POLICIES)})"
        )
    return str(chosen)


def owner_reference(appset: Mapping[str, Any]) -> Obj:
    meta = appset.get("metadata") or {}
    return {
        "apiVersion": API_VERSION,
        "kind": "ApplicationSet",
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    """The UID of the object's controller owner, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid") or "")
    return None


def owned(appset: Mapping[str, Any], apps: Sequence[Mapping[str, Any]]) -> list[Obj]:
    """The live Applications this ApplicationSet controls."""
    uid = (appset.get("metadata") or {}).get("uid")
    return [dict(app) for app in apps if uid and controller_uid(app) == uid]


def changes(
    appset: Mapping[str, Any],
    generated: Sequence[Mapping[str, Any]],
    still_generated: set[str],
    live_apps: Sequence[Mapping[str, Any]],
) -> Changes:
    """What to write so the live Applications follow the generated ones under the policy.
    `still_generated` holds every generated name, valid or not (invalid ones are kept)."""
    may_create, may_update, may_delete = POLICIES[policy(appset)]
    uid = (appset.get("metadata") or {}).get("uid")
    live = {str(app["metadata"]["name"]): app for app in live_apps}
    result = Changes()
    for desired in sorted(generated, key=lambda app: str(app["metadata"]["name"])):
        name = str(desired["metadata"]["name"])
        current = live.get(name)
        if current is None:
            if may_create:
                created = copy.deepcopy(dict(desired))
                created["metadata"]["ownerReferences"] = [owner_reference(appset)]
                result.create.append(created)
            continue
        owner = controller_uid(current)
        if owner is not None and owner != uid:
            result.errors.append(
                f"application {name} already exists and is controlled by another owner"
            )
            continue
        if not may_update and owner == uid:
            result.unchanged.append(name)
            continue
        updated = merged(appset, desired, current)
        if _same(updated, current):
            result.unchanged.append(name)
        else:
            result.update.append(updated)
    if may_delete:
        for app in owned(appset, live_apps):
            if app["metadata"]["name"] not in still_generated:
                result.delete.append(app)
    return result


def merged(appset: Mapping[str, Any], desired: Mapping[str, Any], live: Mapping[str, Any]) -> Obj:
    """The live Application with the generated content written over it (5.6)."""
    spec = appset.get("spec") or {}
    preserved = spec.get("preservedFields") or {}
    out = copy.deepcopy(dict(live))
    meta = out["metadata"]
    wanted = desired.get("metadata") or {}
    meta["labels"] = _with_preserved(
        wanted.get("labels"), meta.get("labels"), preserved.get("labels") or ()
    )
    meta["annotations"] = _with_preserved(
        wanted.get("annotations"),
        meta.get("annotations"),
        (*ALWAYS_PRESERVED, *(preserved.get("annotations") or ())),
    )
    finalizers = list(wanted.get("finalizers") or [])
    finalizers += [
        f
        for f in meta.get("finalizers") or ()
        if f.startswith(PRESERVED_FINALIZER_PREFIXES) and f not in finalizers
    ]
    meta["finalizers"] = finalizers
    for key in ("labels", "annotations", "finalizers"):
        if not meta[key]:
            del meta[key]
    others = [r for r in meta.get("ownerReferences") or () if not r.get("controller")]
    meta["ownerReferences"] = [*others, owner_reference(appset)]
    out["spec"] = copy.deepcopy(desired.get("spec") or {})
    if desired.get("operation"):
        out["operation"] = copy.deepcopy(desired["operation"])
    for pointer in ignored_pointers(appset, str(meta.get("name"))):
        _keep_live(out, live, pointer)
    return out


def ignored_pointers(appset: Mapping[str, Any], app_name: str) -> list[str]:
    """The JSON pointers of `ignoreApplicationDifferences` that apply to `app_name`."""
    found: list[str] = []
    for rule in (appset.get("spec") or {}).get("ignoreApplicationDifferences") or ():
        if rule.get("name") and rule["name"] != app_name:
            continue
        found += [str(p) for p in rule.get("jsonPointers") or ()]
    return found


def unsupported_rules(appset: Mapping[str, Any]) -> list[str]:
    """Rules gitferry cannot apply yet (reported, never silently ignored)."""
    return [
        "ignoreApplicationDifferences: jqPathExpressions are not supported yet; use jsonPointers"
        for rule in (appset.get("spec") or {}).get("ignoreApplicationDifferences") or ()
        if rule.get("jqPathExpressions")
    ][:1]


def _with_preserved(
    wanted: Mapping[str, str] | None, current: Mapping[str, str] | None, keep: Sequence[str]
) -> dict[str, str]:
    out = dict(wanted or {})
    for key in keep:
        if current and key in current and key not in out:
            out[key] = current[key]
    return out


def _keep_live(target: Obj, live: Mapping[str, Any], pointer: str) -> None:
    """Set `pointer` in `target` to its value in `live` (or remove it there if absent)."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    if not parts:
        return
    value: Any = live
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            value = _MISSING
            break
    node: Any = target
    for part in parts[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(part, {}) if value is not _MISSING else node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return
        if node is None:
            return
    last = parts[-1]
    if isinstance(node, dict):
        if value is _MISSING:
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)
    elif (
        isinstance(node, list)
        and last.isdigit()
        and int(last) < len(node)
        and value is not _MISSING
    ):
        node[int(last)] = copy.deepcopy(value)


_MISSING = object()


def _same(updated: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    def view(obj: Mapping[str, Any]) -> tuple[Any, ...]:
        meta = obj.get("metadata") or {}
        return (
            obj.get("spec"),
            obj.get("operation"),
            meta.get("labels") or {},
            meta.get("annotations") or {},
            meta.get("finalizers") or [],
            meta.get("ownerReferences") or [],
        )

    return view(updated) == view(live)
