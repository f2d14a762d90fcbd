"""managedFields for writes that are not applies: POST, PUT and JSON/merge/strategic PATCH.

`track_update` is what the API server's create, update and patch handlers call once they have
the object they are about to store (reference 1.10): the writer takes ownership of every
path it added or modified, every other manager loses those paths and every removed one, and
nobody ever conflicts. Which managedFields the write starts from follows
kube-apiserver 1.32's `decodeLiveOrNew` and `skipNonAppliedManager`:

* on the main resource, a request's `managedFields` of `[]` or `[{}]` clears tracking; a
  decodable non-empty list replaces the stored one; anything else keeps the stored one;
* on a subresource, the request's managedFields are ignored;
* an existing object (it has a uid) without managedFields stays untracked: only an apply
  starts tracking it again; creates are always tracked.

`reconcile` (SMD's `Updater.update`) and `record_update` are shared with `apply`, which runs
the same Update for its `before-first-apply` manager.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

from gitferry.apiserver.fields import fieldset, managed, typed
from gitferry.apiserver.fields.fieldset import FieldSet
from gitferry.apiserver.fields.managed import Entry, Identity, Managed
from gitferry.apiserver.schema import TypeNode


class Conflicts(Exception):
    """Paths another manager owns whose values a write would change, by manager."""

    def __init__(self, by_manager: dict[Identity, FieldSet]) -> None:
        super().__init__(f"{len(by_manager)} managers conflict")
        self.by_manager = by_manager

    def items(self) -> list[tuple[Identity, tuple[str, ...]]]:
        """(manager, path) pairs: managers by identifier, paths in SMD's set order."""
        return [
            (ident, path)
            for ident in sorted(self.by_manager, key=lambda ident: ident.key)
            for path in fieldset.members(self.by_manager[ident])
        ]


def reconcile(
    old: Any,
    new: Any,
    current: Managed,
    *,
    writer: Identity | None,
    force: bool,
    node: TypeNode,
    reset: FieldSet,
) -> tuple[Managed, typed.Comparison]:
    """Every manager but `writer` loses the paths the write removed and, with `force`, the
    ones it added or modified; without `force` those are Conflicts. Empty managers go."""
    others = [ident for ident in current if ident != writer]
    comparison = typed.NO_CHANGE
    if others or writer is None:
        comparison = typed.compare(old, new, node).filtered(reset)
    out = dict(current)
    changed = fieldset.union(comparison.modified, comparison.added)
    removed = comparison.removed
    if changed or removed:
        conflicts: dict[Identity, FieldSet] = {}
        for ident in others:
            clash = fieldset.intersection(current[ident].fields, changed)
            if clash:
                conflicts[ident] = clash
        if conflicts and not force:
            raise Conflicts(conflicts)
        for ident in others:
            entry = current[ident]
            fields = fieldset.difference(entry.fields, conflicts.get(ident, {}))
            fields = fieldset.difference(fields, removed)
            if fields is not entry.fields:
                out[ident] = entry.with_fields(fields)
    return {ident: entry for ident, entry in out.items() if entry.fields}, comparison


def record_update(
    old: Any,
    new: Any,
    current: Managed,
    *,
    writer: Identity,
    node: TypeNode,
    reset: FieldSet,
    now: str,
) -> Managed:
    """The managers after `writer` turned `old` into `new` with an Update."""
    out, comparison = reconcile(old, new, current, writer=None, force=True, node=node, reset=reset)
    gained = fieldset.union(comparison.modified, comparison.added)
    gained = fieldset.difference(fieldset.recursive_difference(gained, reset), managed.STRIPPED)
    if gained:
        previous = out.get(writer)
        fields = fieldset.union(gained, previous.fields) if previous else gained
        out[writer] = Entry(fields, writer.api_version, now)
    return managed.cap_updates(out)


def track_update(
    live: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    manager: str,
    node: TypeNode,
    api_version: str,
    subresource: str | None,
    reset_fields: Collection[tuple[str, ...]],
    now: str,
) -> list[dict[str, Any]]:
    """The managedFields to store on `new` when `manager` writes it over `live` (None, or an
    object without uid, for a create) with a non-apply operation. `reset_fields` are the
    endpoint's reset paths as field names (`("status",)` on a main resource whose kind has a
    status subresource): changes there are nobody's. `now` is RFC 3339 seconds, UTC. An
    empty list means the object carries no managedFields."""
    requested = (new.get("metadata") or {}).get("managedFields")
    current = _starting_point(live, requested, subresource)
    if current is None:
        # Neither the request's nor the stored managedFields decode: left as sent.
        return list(requested) if isinstance(requested, list) else []
    if not current and live is not None and (live.get("metadata") or {}).get("uid"):
        return []
    writer = managed.identity(manager, managed.UPDATE, api_version, subresource)
    old = without_managed_fields(live) if live is not None else {}
    result = record_update(
        old,
        without_managed_fields(new),
        current,
        writer=writer,
        node=node,
        reset=reset_set(reset_fields),
        now=now,
    )
    return managed.encode(result)


def reset_set(paths: Collection[tuple[str, ...]]) -> FieldSet:
    """The field set of reset paths given as field names."""
    return _reset_set(tuple(paths))


@functools.lru_cache(maxsize=256)
def _reset_set(paths: tuple[tuple[str, ...], ...]) -> FieldSet:
    return fieldset.from_paths(tuple("f:" + name for name in path) for path in paths)


def _starting_point(
    live: dict[str, Any] | None, requested: Any, subresource: str | None
) -> Managed | None:
    stored = ((live or {}).get("metadata") or {}).get("managedFields")
    if not subresource:
        if managed.is_reset(requested):
            return {}
        try:
            current = managed.decode(requested)
        except managed.DecodeError:
            current = {}
        if current:
            return current
    try:
        return managed.decode(stored)
    except managed.DecodeError:
        return None


def without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` minus `metadata.managedFields` (a shallow copy when it had them)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    meta = dict(meta)
    del meta["managedFields"]
    return {**obj, "metadata": meta}
