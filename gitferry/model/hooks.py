"""The annotations that say how a resource takes part in a sync: hook types (reference 3.1),
sync waves (3.3) and the CSV option annotations (`sync-options`, `compare-options`; section 0).

Rules, as Argo CD applies them:

* A CSV annotation is split on `,`, items trimmed, empty items and repeats dropped (first kept).
  "Has option X" is exact membership; "option value of K" is the text after the first `K=`.
* Hook types are the valid values of `argocd.argoproj.io/hook` (PreSync, Sync, PostSync,
  SyncFail, Skip); only when there are none, the mapped values of `helm.sh/hook`
  (pre-install/pre-upgrade -> PreSync, post-install/post-upgrade -> PostSync).
* Skip: `Skip` is the only type. IsHook: the Argo annotation is present and the object is not
  Skip (even for garbage values); else `helm.sh/hook` is present and is not `crd-install`.
* Ignored: a hook with no valid type; it is neither applied, nor given a sync status.
* Delete hooks (PreDelete/PostDelete, or Helm pre-delete/post-delete) run only when an app is
  deleted; the controller drops them from the sync targets unless they also have a sync phase.
* The wave is the first of `sync-wave`, `helm.sh/hook-weight` that parses as Go's Atoi would
  (optional sign, decimal digits), else 0.

Pure; used by `diff` (pairing, sync status) and by `sync` (phases, ordering).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from gitferry.model.keys import annotations_of

HOOK_ANNOTATION = "argocd.argoproj.io/hook"
HELM_HOOK_ANNOTATION = "helm.sh/hook"
SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave"
HELM_HOOK_WEIGHT_ANNOTATION = "helm.sh/hook-weight"
SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options"
COMPARE_OPTIONS_ANNOTATION = "argocd.argoproj.io/compare-options"

_ATOI = re.compile(r"[+-]?[0-9]+")


class HookType(StrEnum):
    """The values of `argocd.argoproj.io/hook` that a sync acts on."""

    PRE_SYNC = "PreSync"
    SYNC = "Sync"
    POST_SYNC = "PostSync"
    SYNC_FAIL = "SyncFail"
    SKIP = "Skip"


class DeleteHookType(StrEnum):
    """Hooks that run when the application is deleted (reference 6)."""

    PRE_DELETE = "PreDelete"
    POST_DELETE = "PostDelete"


_TYPES = frozenset(member.value for member in HookType)
_DELETE_TYPES = frozenset(member.value for member in DeleteHookType)
_HELM_HOOKS = {
    "pre-install": HookType.PRE_SYNC,
    "pre-upgrade": HookType.PRE_SYNC,
    "post-install": HookType.POST_SYNC,
    "post-upgrade": HookType.POST_SYNC,
}
_HELM_DELETE_HOOKS = {
    "pre-delete": DeleteHookType.PRE_DELETE,
    "post-delete": DeleteHookType.POST_DELETE,
}


def parse_csv(value: str) -> tuple[str, ...]:
    """Items of a CSV annotation value: trimmed, no empty items, first occurrence kept."""
    items: dict[str, None] = {}
    for item in value.split(","):
        item = item.strip()
        if item:
            items.setdefault(item)
    return tuple(items)


def csv_annotation(obj: dict[str, Any], key: str) -> tuple[str, ...]:
    """The parsed CSV annotation `key` of an object (empty when absent)."""
    value = annotations_of(obj).get(key)
    return parse_csv(value) if isinstance(value, str) else ()


def has_option(obj: dict[str, Any], key: str, option: str) -> bool:
    """Whether the CSV annotation `key` lists `option` exactly (`Prune=false`)."""
    return option in csv_annotation(obj, key)


def option_value(obj: dict[str, Any], key: str, name: str) -> str | None:
    """The value after the first `name=` item of the CSV annotation `key`, or None."""
    return list_option_value(csv_annotation(obj, key), name)


def list_option_value(options: tuple[str, ...] | list[str], name: str) -> str | None:
    """The value after the first `name=` item of an option list (app-level `syncOptions` match
    exactly, untrimmed), or None."""
    prefix = f"{name}="
    for item in options:
        if item.startswith(prefix):
            return item[len(prefix) :]
    return None


def hook_types(obj: dict[str, Any]) -> tuple[HookType, ...]:
    """The valid Argo hook types of an object, else its mapped Helm hook types."""
    found = tuple(HookType(v) for v in csv_annotation(obj, HOOK_ANNOTATION) if v in _TYPES)
    if found:
        return found
    mapped: dict[HookType, None] = {}
    for value in csv_annotation(obj, HELM_HOOK_ANNOTATION):
        if value in _HELM_HOOKS:
            mapped.setdefault(_HELM_HOOKS[value])
    return tuple(mapped)


def is_skip(obj: dict[str, Any]) -> bool:
    """`Skip` is the object's only hook type: it is never applied and gets no sync status."""
    return hook_types(obj) == (HookType.SKIP,)


def is_hook(obj: dict[str, Any]) -> bool:
    """Argo CD's IsHook."""
    found = annotations_of(obj)
    if HOOK_ANNOTATION in found:
        return not is_skip(obj)
    helm = found.get(HELM_HOOK_ANNOTATION)
    return helm is not None and helm != "crd-install"


def is_ignored(obj: dict[str, Any]) -> bool:
    """A hook without a valid type (`hook: Garbage`, `helm.sh/hook: test-success`)."""
    found = annotations_of(obj)
    if HOOK_ANNOTATION not in found and HELM_HOOK_ANNOTATION not in found:
        return False
    return is_hook(obj) and not hook_types(obj)


def delete_hook_types(obj: dict[str, Any]) -> tuple[DeleteHookType, ...]:
    """The deletion hook types an object carries (Argo and Helm annotations together)."""
    found: dict[DeleteHookType, None] = {}
    present = annotations_of(obj)
    if HOOK_ANNOTATION not in present and HELM_HOOK_ANNOTATION not in present:
        return ()
    for value in csv_annotation(obj, HOOK_ANNOTATION):
        if value in _DELETE_TYPES:
            found.setdefault(DeleteHookType(value))
    for value in csv_annotation(obj, HELM_HOOK_ANNOTATION):
        if value in _HELM_DELETE_HOOKS:
            found.setdefault(_HELM_DELETE_HOOKS[value])
    return tuple(found)


def is_delete_only_hook(obj: dict[str, Any]) -> bool:
    """A deletion hook with no sync-phase hook type: not a sync target (reference 4.1 step 8)."""
    if not delete_hook_types(obj):
        return False
    return not any(t is not HookType.SKIP for t in hook_types(obj))


def parse_atoi(text: str) -> int | None:
    """`text` as Go's strconv.Atoi reads it (sign and decimal digits only), else None."""
    if not _ATOI.fullmatch(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def sync_wave(obj: dict[str, Any]) -> int:
    """The sync wave of an object: `sync-wave`, else `helm.sh/hook-weight`, else 0."""
    found = annotations_of(obj)
    for key in (SYNC_WAVE_ANNOTATION, HELM_HOOK_WEIGHT_ANNOTATION):
        value = found.get(key)
        if isinstance(value, str):
            wave = parse_atoi(value)
            if wave is not None:
                return wave
    return 0
