"""Sync status per resource and per application, and the `status.resources[]` entries
(reference 4.5 and 4.6).

Per pair, with `obj` the live object if present else the target, in order:
1. No status (and no effect on the app) for hooks, ignored objects, `hook: Skip` targets and
   live objects whose tracking id names another object (`diff.tracking`).
2. OutOfSync when the diff is Modified, the target is missing (extraneous) or the live object
   is missing; except the synthetic managed namespace while it does not exist. The app turns
   OutOfSync with it, unless the resource is extraneous and carries the compare option
   `IgnoreExtraneous`. (`Prune=false` changes nothing here.)
3. Otherwise Synced.
4. The project does not permit the kind/name -> Unknown; targets failed to load -> Unknown.
   A namespaced resource without a namespace adds `InvalidSpecError`.
The app is Unknown when loading failed, OutOfSync when a counted resource is (or the managed
namespace metadata changed since the last sync), else Synced (also with no resources).

Entries carry `requiresPruning` (extraneous and self-referencing), `syncWave` (the target's,
or for a live hook the wave of the manifest hook of the same kind, namespace and name),
`requiresDeletionConfirmation` (`Delete=confirm` or `Prune=confirm` on the target or live
object, else in the app's sync options) and `hook`; sorted by `group/kind/namespace/name`.
Health is not set here (Argo CD keeps it in the resource tree by default).

Pure; called by the controller's refresh after `diff.compare`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gitferry.diff.compare import ResourceDiff
from gitferry.diff.pairing import Pair, ScopeLookup, unknown_scope
from gitferry.diff.tracking import is_self_referencing
from gitferry.model import hooks
from gitferry.model.keys import ResourceKey, TrackingMethod, group_of, version_of

Json = dict[str, Any]
# (group, kind, name, namespaced) -> whether the app's project permits the resource.
PermitLookup = Callable[[str, str, str, bool], bool]


class SyncStatusCode(StrEnum):
    """`status.sync.status` and `status.resources[].status`."""

    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Condition:
    """An Application condition raised by the comparison (`type`, `message`)."""

    type: str
    message: str


@dataclass(frozen=True, kw_only=True)
class ResourceStatus:
    """One `status.resources[]` entry."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    status: SyncStatusCode | None = None
    hook: bool = False
    requires_pruning: bool = False
    sync_wave: int = 0
    requires_deletion_confirmation: bool = False

    @property
    def key(self) -> ResourceKey:
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    def to_json(self) -> Json:
        """The entry as Argo CD stores it (empty fields omitted)."""
        fields: Json = {
            "group": self.group,
            "version": self.version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "status": self.status.value if self.status else "",
            "hook": self.hook,
            "requiresPruning": self.requires_pruning,
            "syncWave": self.sync_wave,
            "requiresDeletionConfirmation": self.requires_deletion_confirmation,
        }
        return {key: value for key, value in fields.items() if value}


@dataclass(frozen=True, kw_only=True)
class StatusOptions:
    """What the sync status needs beyond the compared pairs."""

    # argocd-cm `application.resourceTrackingMethod` and `installationID`.
    tracking_method: TrackingMethod = TrackingMethod.ANNOTATION
    installation_id: str = ""
    # `spec.syncPolicy.syncOptions` (app-level Delete=/Prune= fallbacks).
    app_sync_options: tuple[str, ...] = ()
    # The targets (or live state) could not be loaded: everything is Unknown.
    failed_to_load: bool = False
    # The destination namespace when it is managed (managedNamespaceMetadata), else "".
    managed_namespace: str = ""
    # `spec.syncPolicy.managedNamespaceMetadata` differs from the last sync's.
    managed_namespace_changed: bool = False
    # Whether a kind is namespaced (cluster discovery); None is unknown.
    is_namespaced: ScopeLookup = unknown_scope
    # The project's permission check; None permits everything.
    is_permitted: PermitLookup | None = None


@dataclass(frozen=True)
class SyncResult:
    """The app's sync status, its resource entries (sorted) and the conditions raised."""

    status: SyncStatusCode
    resources: tuple[ResourceStatus, ...]
    conditions: tuple[Condition, ...]


def requires_confirmation(obj: Json | None, app_sync_options: Sequence[str]) -> bool:
    """`Delete=confirm` or `Prune=confirm` on the object, else in the app's options."""
    if obj is None:
        return False
    for option in ("Delete", "Prune"):
        value = hooks.option_value(obj, hooks.SYNC_OPTIONS_ANNOTATION, option)
        if value is None:
            value = hooks.list_option_value(tuple(app_sync_options), option)
        if value == "confirm":
            return True
    return False


def _wave(pair: Pair, is_hook: bool, manifest_hooks: Sequence[Json]) -> int:
    if pair.target is not None:
        return hooks.sync_wave(pair.target)
    if is_hook and pair.live is not None:
        key = ResourceKey.of(pair.live)
        for hook in manifest_hooks:
            other = ResourceKey.of(hook)
            if (other.kind, other.namespace, other.name) == (key.kind, key.namespace, key.name):
                return hooks.sync_wave(hook)
    return 0


def _is_managed_namespace(pair: Pair, options: StatusOptions) -> bool:
    target = pair.target
    return (
        bool(options.managed_namespace)
        and pair.live is None
        and target is not None
        and target.get("kind") == "Namespace"
        and group_of(str(target.get("apiVersion") or "")) == ""
        and (target.get("metadata") or {}).get("name") == options.managed_namespace
    )


def sync_status(
    compared: Sequence[tuple[Pair, ResourceDiff | None]],
    manifest_hooks: Sequence[Json],
    options: StatusOptions = StatusOptions(),
) -> SyncResult:
    """Per-resource and app sync status of the compared pairs (reference 4.5, 4.6)."""
    app_status = SyncStatusCode.SYNCED
    entries: list[ResourceStatus] = []
    conditions: list[Condition] = []
    for pair, diff in compared:
        obj = pair.live if pair.live is not None else pair.target
        if obj is None:
            continue
        key = ResourceKey.of(obj)
        api_version = str(obj.get("apiVersion") or "")
        self_ref = is_self_referencing(
            pair.live, pair.target, options.tracking_method, options.installation_id
        )
        is_hook = hooks.is_hook(obj) or bool(hooks.delete_hook_types(obj))
        extraneous = pair.target is None and pair.live is not None
        uncounted = (
            is_hook
            or hooks.is_ignored(obj)
            or (pair.target is not None and hooks.is_skip(pair.target))
            or not self_ref
        )
        status: SyncStatusCode | None = None
        if uncounted:
            status = None
        elif not _is_managed_namespace(pair, options) and (
            (diff is not None and diff.modified) or pair.target is None or pair.live is None
        ):
            status = SyncStatusCode.OUT_OF_SYNC
            ignored = hooks.has_option(obj, hooks.COMPARE_OPTIONS_ANNOTATION, "IgnoreExtraneous")
            if not (extraneous and ignored):
                app_status = SyncStatusCode.OUT_OF_SYNC
        else:
            status = SyncStatusCode.SYNCED
        namespaced = options.is_namespaced(key.group, key.kind) is True
        if options.is_permitted is not None and not options.is_permitted(
            key.group, key.kind, key.name, namespaced
        ):
            status = SyncStatusCode.UNKNOWN
        if namespaced and not key.namespace:
            gvk = f"{group_of(api_version)}/{version_of(api_version)}, Kind={key.kind}"
            conditions.append(
                Condition("InvalidSpecError", f"Namespace for {key.name} {gvk} is missing.")
            )
        if options.failed_to_load:
            status = SyncStatusCode.UNKNOWN
        entries.append(
            ResourceStatus(
                group=key.group,
                version=version_of(api_version),
                kind=key.kind,
                namespace=key.namespace,
                name=key.name,
                status=status,
                hook=is_hook,
                requires_pruning=extraneous and self_ref,
                sync_wave=_wave(pair, is_hook, manifest_hooks),
                requires_deletion_confirmation=requires_confirmation(
                    pair.target, options.app_sync_options
                )
                or requires_confirmation(pair.live, options.app_sync_options),
            )
        )
    if options.failed_to_load:
        app_status = SyncStatusCode.UNKNOWN
    elif options.managed_namespace_changed:
        app_status = SyncStatusCode.OUT_OF_SYNC
    entries.sort(key=lambda entry: str(entry.key))
    return SyncResult(app_status, tuple(entries), tuple(conditions))
