"""Deleting an Application with the resources finalizer: its live resources go first, wave by
wave from the highest, and only then the finalizer (reference 6.2).

An Application being deleted without `resources-finalizer.argocd.argoproj.io[/foreground|
/background]` leaves its resources in the cluster (Kubernetes removes the object at once).
With it, each pass deletes the deletable managed objects of the highest sync wave and waits
until they are gone; CRDs, the Application itself, objects with `Delete=false` (annotation or
app-level option) or `helm.sh/resource-policy: keep` are kept, and `Delete=confirm` waits for
the `deletion-approved` annotation. An unresolvable destination drops the finalizers and
deletes nothing. PreDelete hooks run before the cascade and PostDelete hooks after it
(`deletehooks`), also without the resources finalizer.

Called by `reconcile.process` while an Application has a deletionTimestamp.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from gitferry._kit.clock import parse_rfc3339, rfc3339
from gitferry.cluster.cache import LiveCache
from gitferry.cluster.client import JSON_PATCH, ApiStatusError, KubeClient
from gitferry.controller import deletehooks
from gitferry.model import hooks, keys
from gitferry.model.application import Application
from gitferry.model.errors import GitFerryError
from gitferry.model.hooks import DeleteHookType

if TYPE_CHECKING:
    from gitferry.controller.appcontroller import AppController

log = logging.getLogger(__name__)
Obj = dict[str, Any]

RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
RESOURCES_FINALIZERS = (
    RESOURCES_FINALIZER,
    RESOURCES_FINALIZER + "/foreground",
    RESOURCES_FINALIZER + "/background",
)
APPROVED = "argocd.argoproj.io/deletion-approved"
WAIT = 1.0


async def process(ctl: AppController, obj: Obj) -> float | None:
    """One step of deleting `obj` (reference 6.2): PreDelete hooks, the cascade wave by wave,
    PostDelete hooks, then the hooks' cleanup; each finalizer is removed when its step is done.
    Returns when to look again (None: nothing left to do)."""
    finalizers = list(obj["metadata"].get("finalizers") or [])
    cascade = [f for f in finalizers if f in RESOURCES_FINALIZERS]
    hooked = [f for f in finalizers if f in deletehooks.ALL]
    if not cascade and not hooked:
        return None
    try:
        app = Application.parse(obj)
        entry = ctl.clusters.resolve(app.destination)
        cache = await ctl.clusters.cache(entry)
        client = ctl.clusters.client(entry)
    except GitFerryError as err:
        log.info(
            "app %s: destination unresolvable (%s); dropping finalizers",
            obj["metadata"]["name"],
            err,
        )
        await _remove_finalizers(ctl, obj, cascade + hooked)
        return None
    pre, post = DeleteHookType.PRE_DELETE, DeleteHookType.POST_DELETE
    try:
        if deletehooks.PRE in hooked:
            return await _hook_step(
                ctl, obj, deletehooks.PRE, deletehooks.run(ctl, obj, pre, cache)
            )
        if cascade:
            return await _cascade(ctl, obj, app, cache, client, cascade)
        if deletehooks.POST in hooked:
            return await _hook_step(
                ctl, obj, deletehooks.POST, deletehooks.run(ctl, obj, post, cache)
            )
        for kind, name in ((pre, deletehooks.PRE), (post, deletehooks.POST)):
            if name + deletehooks.CLEANUP in hooked:
                done = deletehooks.cleanup(ctl, obj, kind, cache, client)
                return await _hook_step(ctl, obj, name + deletehooks.CLEANUP, done)
    except GitFerryError as err:
        await _condition(ctl, obj, str(err))
        return WAIT * 5
    return None


async def _hook_step(
    ctl: AppController, obj: Obj, finalizer: str, done: Coroutine[Any, Any, bool]
) -> float:
    """Run one hook step; drop its finalizer once it is done."""
    if await done:
        await _remove_finalizers(ctl, obj, [finalizer])
    return WAIT


async def _cascade(
    ctl: AppController,
    obj: Obj,
    app: Application,
    cache: LiveCache,
    client: KubeClient,
    cascade: list[str],
) -> float | None:
    """Delete the deletable managed objects of the highest wave; drop the resources
    finalizer(s) when none is left."""
    propagation = "Background" if RESOURCES_FINALIZER + "/background" in cascade else "Foreground"
    instance = app.instance_name(ctl.options.namespace)
    managed = [
        live
        for live in cache.tracked_by(instance)
        if not (live.get("metadata") or {}).get("ownerReferences") and _self_tracked(live, ctl)
    ]
    if any((live.get("metadata") or {}).get("deletionTimestamp") for live in managed):
        return WAIT
    spec_options = tuple(((obj.get("spec") or {}).get("syncPolicy") or {}).get("syncOptions") or ())
    deletable = [live for live in managed if _deletable(live, obj, spec_options)]
    if not deletable:
        await _remove_finalizers(ctl, obj, cascade)
        return WAIT
    if any(_needs_confirmation(live, spec_options) for live in deletable) and not _approved(obj):
        return WAIT
    highest = max(hooks.sync_wave(live) for live in deletable)
    for live in deletable:
        if hooks.sync_wave(live) != highest:
            continue
        meta = live["metadata"]
        try:
            await client.delete(
                live["apiVersion"],
                live["kind"],
                meta.get("namespace"),
                meta["name"],
                propagation=propagation,
            )
        except GitFerryError as err:
            await _condition(ctl, obj, f"Unable to delete application resources: {err}")
            return WAIT * 5
    return WAIT


def _self_tracked(live: Obj, ctl: AppController) -> bool:
    tracking = keys.tracking_id_of(live, ctl.settings.installation_id)
    if tracking is None:
        return ctl.settings.tracking_method == "label"
    key = keys.ResourceKey.of(live)
    return (tracking.kind, tracking.name) == (key.kind, key.name) and (
        not key.namespace or tracking.namespace == key.namespace
    )


def _deletable(live: Obj, app: Obj, spec_options: tuple[str, ...]) -> bool:
    if keys.is_crd(live):
        return False
    meta, app_meta = live.get("metadata") or {}, app["metadata"]
    if live.get("kind") == "Application" and meta.get("uid") == app_meta.get("uid"):
        return False
    delete = hooks.option_value(live, hooks.SYNC_OPTIONS_ANNOTATION, "Delete")
    if delete is None:
        delete = hooks.list_option_value(spec_options, "Delete")
    if delete == "false":
        return False
    return (meta.get("annotations") or {}).get("helm.sh/resource-policy") != "keep"


def _needs_confirmation(live: Obj, spec_options: tuple[str, ...]) -> bool:
    value = hooks.option_value(live, hooks.SYNC_OPTIONS_ANNOTATION, "Delete")
    if value is None:
        value = hooks.list_option_value(spec_options, "Delete")
    return value == "confirm"


def _approved(app: Obj) -> bool:
    meta = app["metadata"]
    approved = (meta.get("annotations") or {}).get(APPROVED)
    if not approved or not meta.get("deletionTimestamp"):
        return False
    try:
        return parse_rfc3339(approved) >= parse_rfc3339(meta["deletionTimestamp"])
    except ValueError:
        return False


async def _remove_finalizers(ctl: AppController, obj: Obj, finalizers: list[str]) -> None:
    meta = obj["metadata"]
    kept = [f for f in meta.get("finalizers") or [] if f not in finalizers]
    patch = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": meta["resourceVersion"]},
        {"op": "replace", "path": "/metadata/finalizers", "value": kept},
    ]
    try:
        await ctl.client.patch(
            "argoproj.io/v1alpha1",
            "Application",
            meta["namespace"],
            meta["name"],
            patch,
            content_type=JSON_PATCH,
            manager="argocd-application-controller",
        )
    except ApiStatusError as err:
        if err.code not in (404, 409, 422):
            raise


async def _condition(ctl: AppController, obj: Obj, message: str) -> None:
    meta = obj["metadata"]
    status = dict(obj.get("status") or {})
    status["conditions"] = [
        c for c in status.get("conditions") or [] if c.get("type") != "DeletionError"
    ] + [
        {
            "type": "DeletionError",
            "message": message,
            "lastTransitionTime": rfc3339(ctl.clock.now()),
        }
    ]
    with contextlib.suppress(ApiStatusError):
        await ctl.client.patch(
            "argoproj.io/v1alpha1",
            "Application",
            meta["namespace"],
            meta["name"],
            {"status": status},
            manager="argocd-application-controller",
        )
