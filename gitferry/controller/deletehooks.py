"""PreDelete and PostDelete hooks (reference 6.1 and 6.2 steps 2, 4, 5 and 6).

While an app lives, its finalizers follow its rendered manifests: with a PreDelete hook
(`argocd.argoproj.io/hook: PreDelete` or `helm.sh/hook: pre-delete`) it carries
`pre-delete-finalizer.argocd.argoproj.io` and its `/cleanup` twin, likewise for PostDelete
(`finalizers_for`, called by `reconcile` after each comparison). When the app is deleted,
`run` creates the hooks of one type that do not exist yet, waits while any is Progressing and
fails on a Degraded one (deleting it, so the next pass creates it again); `cleanup` deletes
the hooks whose delete policy matches their aggregate health (HookSucceeded when Healthy,
HookFailed when Degraded; no policy means BeforeHookCreation, which keeps them) and waits
until they are gone. Called by `deletion.process`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitferry.cluster.cache import LiveCache, key_of
from gitferry.cluster.client import ApiStatusError, KubeClient
from gitferry.controller import compare
from gitferry.health import assess
from gitferry.health.status import is_worse
from gitferry.model import hooks
from gitferry.model.application import Application
from gitferry.model.errors import GitFerryError
from gitferry.model.hooks import DeleteHookType
from gitferry.model.keys import ResourceKey
from gitferry.sync.hooks import DeletePolicy, delete_policies

if TYPE_CHECKING:
    from gitferry.controller.appcontroller import AppController

Obj = dict[str, Any]
PRE = "pre-delete-finalizer.argocd.argoproj.io"
POST = "post-delete-finalizer.argocd.argoproj.io"
CLEANUP = "/cleanup"
FINALIZER = {DeleteHookType.PRE_DELETE: PRE, DeleteHookType.POST_DELETE: POST}
ALL = (PRE, PRE + CLEANUP, POST, POST + CLEANUP)


class HookFailure(GitFerryError):
    """A delete hook failed or could not be created; the message becomes `DeletionError`."""


def finalizers_for(targets: list[Obj], finalizers: list[str]) -> list[str] | None:
    """`finalizers` with the hook finalizers the rendered `targets` call for; None when that
    is what they already are."""
    wanted = list(finalizers)
    for kind, name in FINALIZER.items():
        present = any(kind in hooks.delete_hook_types(t) for t in targets)
        for finalizer in (name, name + CLEANUP):
            if present and finalizer not in wanted:
                wanted.append(finalizer)
            elif not present and finalizer in wanted:
                wanted.remove(finalizer)
    return None if wanted == list(finalizers) else wanted


async def run(ctl: AppController, obj: Obj, kind: DeleteHookType, cache: LiveCache) -> bool:
    """One pass of running the hooks of `kind`: whether they are all done (Healthy, Suspended,
    Unknown or without health). Raises `HookFailure` for a failed or uncreatable hook."""
    comparison = await compare.compare(ctl, obj, Application.parse(obj))
    if not comparison.loaded or comparison.client is None:
        problems = "; ".join(message for _, message in comparison.conditions)
        raise HookFailure(f"{kind} hooks: cannot render the application: {problems}")
    client = comparison.client
    namespace = comparison.app.destination.namespace
    live = {ResourceKey.of(o): o for o in _live_hooks(ctl, obj, cache, kind)}
    created = 0
    for target in comparison.targets:
        if kind not in hooks.delete_hook_types(target):
            continue
        group, target_kind, target_namespace, _ = key_of(target)
        scoped = comparison.is_namespaced(group, target_kind) is not False
        if not target_namespace and namespace and scoped:
            target.setdefault("metadata", {})["namespace"] = namespace
        if ResourceKey.of(target) in live:
            continue
        try:
            await client.create(target, manager="argocd-controller")
        except GitFerryError as err:
            raise HookFailure(f"{kind} hook {ResourceKey.of(target)}: {err}") from err
        created += 1
    if created:
        return False
    degraded, progressing = [], False
    for hook in live.values():
        status = _health(hook)
        if status == "Degraded":
            degraded.append(hook)
        progressing = progressing or status == "Progressing"
    if degraded:
        for hook in degraded:
            await _delete(client, hook)
        names = ", ".join(
            f"{h['metadata'].get('namespace', '')}/{h['metadata']['name']}" for h in degraded
        )
        raise HookFailure(f"{kind} hook(s) failed: {names}")
    return not progressing


async def cleanup(
    ctl: AppController, obj: Obj, kind: DeleteHookType, cache: LiveCache, client: KubeClient
) -> bool:
    """One pass of deleting the finished hooks of `kind` as their policies say: whether
    nothing is left to wait for."""
    live = _live_hooks(ctl, obj, cache, kind)
    aggregate = "Healthy"
    for hook in live:
        if is_worse(aggregate, status := _health(hook)):
            aggregate = status
    pending = 0
    for hook in live:
        policies = delete_policies(hook)
        if (DeletePolicy.HOOK_SUCCEEDED in policies and aggregate == "Healthy") or (
            DeletePolicy.HOOK_FAILED in policies and aggregate == "Degraded"
        ):
            pending += 1
            if not hook["metadata"].get("deletionTimestamp"):
                await _delete(client, hook)
    return pending == 0


def _health(hook: Obj) -> str:
    """A hook's health code; no health check counts as Healthy."""
    health = assess.assess(hook)
    return str(health.status) if health is not None else "Healthy"


def _live_hooks(ctl: AppController, obj: Obj, cache: LiveCache, kind: DeleteHookType) -> list[Obj]:
    instance = Application.parse(obj).instance_name(ctl.options.namespace)
    return [o for o in cache.tracked_by(instance) if kind in hooks.delete_hook_types(o)]


async def _delete(client: KubeClient, hook: Obj) -> None:
    meta = hook["metadata"]
    try:
        await client.delete(hook["apiVersion"], hook["kind"], meta.get("namespace"), meta["name"])
    except ApiStatusError as err:
        if err.code != 404:
            raise HookFailure(f"deleting hook {ResourceKey.of(hook)}: {err}") from err
