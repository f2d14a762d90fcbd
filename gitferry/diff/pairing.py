"""Pairing desired manifests with live objects (Argo CD's `Reconcile`, reference 4.2).

1. Targets are split: hooks (IsHook) go aside (they are run, not compared), ignored objects
   (a hook with no valid type, 3.1) are dropped, the rest are resources. A `hook: Skip` target
   stays a resource; it simply gets no sync status.
2. Live objects listed twice under one UID (the same object served by two API groups) are
   reduced to one: the copy whose key matches a target, else the first.
3. Each resource is matched by key: (group, kind, namespace or the destination namespace,
   name) when the kind is namespaced, (group, kind, "", name) when cluster-scoped, both (in
   that order) when the scope is unknown. A live object is consumed by one target at most.
4. Live objects left over are appended without a target, in input order: the extraneous
   resources (live hooks among them).

Pure; the controller's refresh calls `reconcile` with the normalised targets and the live
objects from its watch cache, then compares every pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gitferry.model import hooks
from gitferry.model.keys import ResourceKey

Json = dict[str, Any]
# (group, kind) -> True namespaced, False cluster-scoped, None unknown.
ScopeLookup = Callable[[str, str], bool | None]


def unknown_scope(group: str, kind: str) -> bool | None:
    """A scope lookup that knows nothing (every kind is matched under both keys)."""
    return None


@dataclass(frozen=True)
class Pair:
    """A desired object and its live counterpart; either may be missing, not both."""

    target: Json | None
    live: Json | None

    @property
    def key(self) -> ResourceKey:
        """The key of the live object, else of the target (what status entries show)."""
        obj = self.live if self.live is not None else self.target
        assert obj is not None
        return ResourceKey.of(obj)


@dataclass(frozen=True)
class Reconciliation:
    """Resources in pairs (targets first, then extraneous live objects), and the hooks."""

    pairs: tuple[Pair, ...]
    hooks: tuple[Json, ...]

    def managed_keys(self) -> set[ResourceKey]:
        """The keys of every paired resource (the app's managed resources)."""
        return {pair.key for pair in self.pairs}


def split_targets(targets: Iterable[Json | None]) -> tuple[list[Json], list[Json]]:
    """(resources, hooks) of the targets; ignored objects are dropped."""
    resources: list[Json] = []
    found_hooks: list[Json] = []
    for obj in targets:
        if obj is None or hooks.is_ignored(obj):
            continue
        (found_hooks if hooks.is_hook(obj) else resources).append(obj)
    return resources, found_hooks


def _uid(obj: Json) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")


def dedupe_live(live: Iterable[Json], target_keys: set[ResourceKey]) -> dict[ResourceKey, Json]:
    """Live objects by key, one per UID (objects without a UID are all kept)."""
    by_key = {ResourceKey.of(obj): obj for obj in live}
    by_uid: dict[str, list[ResourceKey]] = {}
    for key, obj in by_key.items():
        uid = _uid(obj)
        if uid:
            by_uid.setdefault(uid, []).append(key)
    for copies in by_uid.values():
        if len(copies) < 2:
            continue
        keep = next((key for key in copies if key in target_keys), copies[0])
        for key in copies:
            if key != keep:
                del by_key[key]
    return by_key


def candidate_keys(
    target: Json, destination_namespace: str, is_namespaced: ScopeLookup
) -> Sequence[ResourceKey]:
    """The keys under which a target's live object may be found."""
    key = ResourceKey.of(target)
    namespaced = is_namespaced(key.group, key.kind)
    namespace = key.namespace or destination_namespace
    found: list[ResourceKey] = []
    if namespaced is not False:
        found.append(ResourceKey(key.group, key.kind, namespace, key.name))
    if namespaced is not True:
        found.append(ResourceKey(key.group, key.kind, "", key.name))
    return found


def reconcile(
    targets: Iterable[Json | None],
    live: Iterable[Json],
    *,
    destination_namespace: str,
    is_namespaced: ScopeLookup = unknown_scope,
) -> Reconciliation:
    """Pair targets with live objects (reference 4.2)."""
    resources, found_hooks = split_targets(targets)
    remaining = dedupe_live(live, {ResourceKey.of(obj) for obj in resources})
    pairs: list[Pair] = []
    for target in resources:
        match = None
        for key in candidate_keys(target, destination_namespace, is_namespaced):
            match = remaining.pop(key, None)
            if match is not None:
                break
        pairs.append(Pair(target, match))
    pairs += [Pair(None, obj) for obj in remaining.values()]
    return Reconciliation(tuple(pairs), tuple(found_hooks))
