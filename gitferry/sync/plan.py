"""The planner: a pure function from (desired objects, live objects, options) to the ordered
task list of one sync step (reference 3.1, 3.4, 3.5, 2.7).

`build` does, in order:

1. Split the targets: ignored hooks are dropped, hooks set aside, the rest are resources.
2. Pair every resource with its live object by (group, kind, namespace, name); a
   cluster-scoped live object (empty namespace) matches whatever namespace the target has.
   Live objects left over are extraneous and become prunes, unless they are hooks or Skip.
3. With a selective sync (`sync.resources`), keep only the pairs it names.
4. Resource tasks: one per sync phase of the pair's object (Skip has none).
5. Hook tasks, unless the operation skips hooks: one per hook phase, named from
   `generateName` when the hook has no name, and carrying the hook finalizer.
6. Give every target without a namespace the destination namespace (cluster-scoped too).
7. CreateNamespace: a PreSync task for the destination namespace when no Namespace manifest
   has its name, and the namespace is missing or `managedNamespaceMetadata` is set.
8. Find live objects for targets that have none yet (hooks, the namespace).
9. Resolve each task's options; mirror the prune waves; move PruneLast prunes; sort.

The caller re-plans on every step from fresh live state, so the plan is the same on every
step of one operation (hook names depend only on the revision and the start time).
Called by the controller's operation runner; the result goes to `executor.step`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from gitferry.model import hooks as model_hooks
from gitferry.model import keys
from gitferry.model.operation import (
    ManagedNamespaceMetadata,
    SyncOperation,
    SyncOperationResource,
    SyncPhase,
)
from gitferry.sync import hooks, order, waves
from gitferry.sync.options import AppSyncOptions, Obj, resolve
from gitferry.sync.tasks import ObjectRef, SyncTask


@dataclass(frozen=True, kw_only=True)
class PlanOptions:
    """Everything besides the objects that decides the plan."""

    # spec.destination.namespace: filled into targets without a namespace.
    destination_namespace: str = ""
    # The resolved revision (single source); multi-source apps pass "" as Argo CD does.
    revision: str = ""
    # operationState.startedAt: part of generated hook names.
    started_at: datetime
    # The app-level sync options (see `AppSyncOptions.effective`).
    app: AppSyncOptions = field(default_factory=AppSyncOptions)
    # The sync strategy's force flag.
    force: bool = False
    # No hook tasks: apply strategy or selective sync.
    skip_hooks: bool = False
    # A selective sync: only these resources (empty: all).
    resources: tuple[SyncOperationResource, ...] = ()
    # spec.syncPolicy.managedNamespaceMetadata, used with CreateNamespace=true.
    managed_namespace_metadata: ManagedNamespaceMetadata | None = None

    @classmethod
    def for_operation(
        cls,
        sync: SyncOperation,
        app: AppSyncOptions,
        *,
        destination_namespace: str,
        revision: str,
        started_at: datetime,
        managed_namespace_metadata: ManagedNamespaceMetadata | None = None,
    ) -> PlanOptions:
        return cls(
            destination_namespace=destination_namespace,
            revision=revision,
            started_at=started_at,
            app=app,
            force=sync.force,
            skip_hooks=sync.skips_hooks,
            resources=sync.resources,
            managed_namespace_metadata=managed_namespace_metadata,
        )


def build(
    targets: Sequence[Obj],
    live: Sequence[Obj],
    *,
    options: PlanOptions,
    namespace_live: Obj | None = None,
) -> list[SyncTask]:
    """The sorted tasks for `targets` (the desired objects, hooks included) against `live`
    (the app's live objects). `namespace_live` is the live destination namespace, looked up
    by the caller when CreateNamespace is on (None: it does not exist)."""
    resources = [t for t in targets if not model_hooks.is_hook(t)]
    hook_targets = [t for t in targets if model_hooks.is_hook(t) and not model_hooks.is_ignored(t)]
    pairs = _pair(resources, live, options.destination_namespace)
    if options.resources:
        pairs = [p for p in pairs if _selected(p, options.resources)]

    tasks: list[SyncTask] = []
    for target, live_obj in pairs:
        obj = target if target is not None else live_obj
        if obj is None or model_hooks.is_hook(obj):
            continue
        tasks.extend(SyncTask(phase, target, live_obj) for phase in hooks.sync_phases(obj))
    if not options.skip_hooks:
        for hook in hook_targets:
            for phase in hooks.sync_phases(hook):
                tasks.append(SyncTask(phase, _hook_target(hook, phase, options), None))

    tasks = [_fill_namespace(t, options.destination_namespace) for t in tasks]
    namespace_task = _namespace_task(resources, namespace_live, options)
    if namespace_task is not None:
        tasks.append(namespace_task)

    crds = {key for t in targets if (key := order.crd_key(t)) is not None}
    resolved = []
    for task in tasks:
        live_obj = task.live
        if live_obj is None and task.target is not None:
            live_obj = _find_live(task.target, live)
        task_options = resolve(options.app, task.target, live_obj, force=options.force)
        may_skip = task_options.skip_dry_run_on_missing_resource or (
            f"{task.group}/{task.kind}" in crds
        )
        resolved.append(
            replace(task, live=live_obj, options=task_options, may_skip_dry_run=may_skip)
        )
    resolved = waves.move_prune_last(waves.mirror_prune_waves(resolved))
    return order.sort_tasks(resolved)


def _pair(
    resources: list[Obj], live: Sequence[Obj], destination: str
) -> list[tuple[Obj | None, Obj | None]]:
    """Targets matched to live objects by key; each live object used once; leftovers last.
    A target without a namespace (scope unknown) also matches in the destination."""
    by_key: dict[keys.ResourceKey, list[int]] = {}
    for index, obj in enumerate(live):
        by_key.setdefault(keys.ResourceKey.of(obj), []).append(index)
    used: set[int] = set()
    pairs: list[tuple[Obj | None, Obj | None]] = []
    for target in resources:
        key = keys.ResourceKey.of(target)
        match = None
        candidates = [key, _in_namespace(key, "")]
        if not key.namespace:
            candidates.append(_in_namespace(key, destination))
        for candidate in candidates:
            free = [i for i in by_key.get(candidate, ()) if i not in used]
            if free:
                match = free[0]
                break
        if match is not None:
            used.add(match)
        pairs.append((target, live[match] if match is not None else None))
    pairs.extend((None, obj) for index, obj in enumerate(live) if index not in used)
    return pairs


def _in_namespace(key: keys.ResourceKey, namespace: str) -> keys.ResourceKey:
    return keys.ResourceKey(key.group, key.kind, namespace, key.name)


def _selected(
    pair: tuple[Obj | None, Obj | None], selection: tuple[SyncOperationResource, ...]
) -> bool:
    obj = pair[1] if pair[1] is not None else pair[0]
    if obj is None:
        return False
    ref = ObjectRef.of(obj)
    return any(r.matches(ref.group, ref.kind, ref.namespace, ref.name) for r in selection)


def _hook_target(hook: Obj, phase: SyncPhase, options: PlanOptions) -> Obj:
    """A copy of the hook with a generated name (when it has none) and the finalizer."""
    target = copy.deepcopy(hook)
    meta = target.setdefault("metadata", {})
    if not meta.get("name"):
        meta["name"] = hooks.hook_name(
            str(meta.get("generateName") or ""), options.revision, phase, options.started_at
        )
    finalizers = list(meta.get("finalizers") or [])
    if hooks.HOOK_FINALIZER not in finalizers:
        meta["finalizers"] = [*finalizers, hooks.HOOK_FINALIZER]
    return target


def _fill_namespace(task: SyncTask, namespace: str) -> SyncTask:
    target = task.target
    if target is None or keys.metadata_of(target).get("namespace"):
        return task
    filled = {**target, "metadata": {**keys.metadata_of(target), "namespace": namespace}}
    return replace(task, target=filled)


def _is_namespace(obj: Obj, name: str) -> bool:
    ref = ObjectRef.of(obj)
    return ref.group == "" and ref.kind == "Namespace" and ref.name == name


def _namespace_task(
    resources: list[Obj], namespace_live: Obj | None, options: PlanOptions
) -> SyncTask | None:
    """The CreateNamespace task (reference 2.7), or None."""
    name = options.destination_namespace
    if not options.app.create_namespace or not name:
        return None
    if any(_is_namespace(obj, name) for obj in resources):
        return None
    managed = options.managed_namespace_metadata
    if namespace_live is not None and managed is None:
        return None
    meta: Obj = {"name": name}
    if managed is not None:
        # Labels and annotations are applied server-side so others' metadata is kept.
        meta["labels"] = dict(managed.labels)
        meta["annotations"] = {
            **managed.annotations,
            model_hooks.SYNC_OPTIONS_ANNOTATION: "ServerSideApply=true",
        }
    target = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}
    return SyncTask(SyncPhase.PRE_SYNC, target, namespace_live)


def _find_live(target: Obj, live: Sequence[Obj]) -> Obj | None:
    """The live object of a target: same group, kind and name, and the same namespace
    unless the live object is cluster-scoped."""
    key = keys.ResourceKey.of(target)
    for obj in live:
        found = keys.ResourceKey.of(obj)
        if _in_namespace(found, key.namespace) == key and found.namespace in ("", key.namespace):
            return obj
    return None
