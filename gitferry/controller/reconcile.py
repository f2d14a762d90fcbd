"""One pass over one Application: the outer loop of DESIGN section 3.

In order: skip (`skip-reconcile`), deletion (finalizers), a running operation (one step,
persisted at once), otherwise a comparison (refresh) and the auto-sync decision. The new
status is written in one JSON patch guarded by the object's resourceVersion, so a write that
raced a user's change is refused and the app is simply processed again.

Called by the controller's workers; returns when to process the app again (seconds) or None.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitferry._kit.clock import parse_rfc3339, rfc3339
from gitferry.cluster.client import JSON_PATCH, ApiStatusError
from gitferry.controller import (
    autosync,
    compare,
    deletehooks,
    deletion,
    governance,
    operations,
)
from gitferry.model.application import Application
from gitferry.model.errors import ClusterError, GitFerryError

if TYPE_CHECKING:
    from gitferry.controller.appcontroller import AppController

log = logging.getLogger(__name__)
Obj = dict[str, Any]

SKIP_RECONCILE = "argocd.argoproj.io/skip-reconcile"
REFRESH = "argocd.argoproj.io/refresh"
APP_API = "argoproj.io/v1alpha1"


@dataclass
class AppMemory:
    """Disposable per-app state: dry-run predictions by resource key."""

    predictions: dict[str, tuple[Any, Obj]] = field(default_factory=dict)


@dataclass
class ControllerState:
    apps: dict[str, AppMemory] = field(default_factory=dict)
    # Parsed AppProjects by name: (resourceVersion, governance.LoadedProject).
    projects: dict[str, tuple[str, Any]] = field(default_factory=dict)

    def memory(self, key: str) -> AppMemory:
        return self.apps.setdefault(key, AppMemory())


async def process(ctl: AppController, key: str) -> float | None:
    namespace, _, name = key.partition("/")
    obj = ctl.application(namespace, name)
    if obj is None:
        ctl.state.apps.pop(key, None)
        return None
    annotations = obj["metadata"].get("annotations") or {}
    if annotations.get(SKIP_RECONCILE) == "true":
        return None
    if obj["metadata"].get("deletionTimestamp"):
        return await deletion.process(ctl, obj)
    try:
        app = Application.parse(obj)
    except GitFerryError as err:
        await _write(ctl, obj, _status(obj, ctl, conditions=[("InvalidSpecError", str(err))]))
        return ctl.periodic_delay()

    refresh = annotations.get(REFRESH)
    if refresh:
        for source in app.sources:
            if source.repo_url and not source.chart:
                try:
                    await ctl.repositories.refresh(source.repo_url)
                except GitFerryError as err:
                    log.info("app %s: refresh of %s failed: %s", key, source.repo_url, err)

    if operations.active(obj):
        report = await operations.step(ctl, obj)
        status = dict(obj.get("status") or {})
        status["operationState"] = report.state
        if report.history is not None:
            status["history"] = report.history
        await _write(ctl, obj, status, clear_operation=report.clear_operation, clear_refresh=False)
        return report.next_in

    comparison = await compare.compare(ctl, obj, app)
    status = _status(obj, ctl, comparison=comparison, conditions=comparison.conditions)
    decision = (
        autosync.decide(
            autosync.AutoSyncInputs(
                app=obj,
                sync_status=comparison.sync_status,
                revisions=comparison.revisions,
                resources=comparison.resources,
                now=ctl.clock.now(),
                backoff=ctl.options.self_heal_backoff,
                window_allows=governance.window(
                    comparison.project, app, manual=False, now=ctl.clock.now()
                ).allowed,
            )
        )
        if comparison.loaded
        else autosync.Decision()
    )
    conditions = [c for c in status.get("conditions") or [] if c["type"] != "SyncError"]
    if decision.error:
        conditions.append(_condition("SyncError", decision.error, obj, ctl))
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)
    finalizers = (
        deletehooks.finalizers_for(comparison.targets, obj["metadata"].get("finalizers") or [])
        if comparison.loaded
        else None
    )
    written = await _write(
        ctl,
        obj,
        status,
        operation=decision.operation,
        clear_refresh=bool(refresh),
        finalizers=finalizers,
    )
    if decision.operation is not None and written:
        log.info("app %s: %s", key, decision.reason)
        return 0.0
    delays = [d for d in (decision.recheck_in, ctl.periodic_delay()) if d is not None]
    return min(delays) if delays else None


def _condition(kind: str, message: str, obj: Obj, ctl: AppController) -> Obj:
    """A condition, keeping its transition time when it already existed with that message."""
    for old in (obj.get("status") or {}).get("conditions") or ():
        if old.get("type") == kind and old.get("message") == message:
            return dict(old)
    return {"type": kind, "message": message, "lastTransitionTime": rfc3339(ctl.clock.now())}


def _status(
    obj: Obj,
    ctl: AppController,
    *,
    comparison: compare.Comparison | None = None,
    conditions: list[tuple[str, str]] | None = None,
) -> Obj:
    """The new `status`: comparison results, kept operation state and history."""
    old = obj.get("status") or {}
    spec = obj.get("spec") or {}
    status: Obj = {}
    for kept in ("operationState", "history"):
        if old.get(kept):
            status[kept] = old[kept]
    now = rfc3339(ctl.clock.now())
    compared_to: Obj = {"destination": spec.get("destination") or {}}
    if spec.get("sources"):
        compared_to["sources"] = spec["sources"]
    else:
        compared_to["source"] = spec.get("source") or {}
    if spec.get("ignoreDifferences"):
        compared_to["ignoreDifferences"] = spec["ignoreDifferences"]
    sync: Obj = {"status": "Unknown", "comparedTo": compared_to}
    health: Obj = {"status": "Unknown"}
    if comparison is not None:
        sync["status"] = comparison.sync_status
        if comparison.loaded:
            if spec.get("sources"):
                sync["revisions"] = comparison.revisions
            elif comparison.revisions:
                sync["revision"] = comparison.revisions[0]
            health = comparison.health
        status["resources"] = comparison.resources
        if comparison.source_types:
            if spec.get("sources"):
                status["sourceTypes"] = comparison.source_types
            else:
                status["sourceType"] = comparison.source_types[0]
        status["summary"] = {"images": comparison.images} if comparison.images else {}
    status["sync"] = sync
    old_health = old.get("health") or {}
    if old_health.get("status") == health.get("status") and old_health.get("lastTransitionTime"):
        health = {**health, "lastTransitionTime": old_health["lastTransitionTime"]}
    else:
        health = {**health, "lastTransitionTime": now}
    status["health"] = health
    status["reconciledAt"] = now
    status["controllerNamespace"] = ctl.options.namespace
    unique: dict[tuple[str, str], Obj] = {}
    for kind, message in conditions or ():
        unique.setdefault((kind, message), _condition(kind, message, obj, ctl))
    if unique:
        status["conditions"] = list(unique.values())
    return status


def _stale(status: Obj, ctl: AppController) -> bool:
    """Whether `reconciledAt` must move: older than the last operation's end (clients wait
    for a comparison after a sync) or than the reconciliation period."""
    stamped = status.get("reconciledAt")
    if not stamped:
        return True
    reconciled = parse_rfc3339(stamped)
    finished = (status.get("operationState") or {}).get("finishedAt")
    if finished and parse_rfc3339(finished) > reconciled:
        return True
    period = ctl.options.reconciliation_timeout
    if period is None:
        period = ctl.settings.reconciliation_timeout
    return period > 0 and (ctl.clock.now() - reconciled).total_seconds() >= period


def _same(old: Obj, new: Obj) -> bool:
    """Equal but for `reconciledAt` (which alone does not justify a write)."""
    strip = ("reconciledAt",)
    return {k: v for k, v in old.items() if k not in strip} == {
        k: v for k, v in new.items() if k not in strip
    }


async def _write(
    ctl: AppController,
    obj: Obj,
    status: Obj,
    *,
    operation: Obj | None = None,
    clear_operation: bool = False,
    clear_refresh: bool = True,
    finalizers: list[str] | None = None,
) -> bool:
    """Persist the status (and operation changes, and `finalizers` when given) guarded by
    resourceVersion; False when the object changed meanwhile (the change event brings the app
    back)."""
    meta = obj["metadata"]
    old = obj.get("status") or {}
    refresh = clear_refresh and REFRESH in (meta.get("annotations") or {})
    if (
        _same(old, status)
        and operation is None
        and not clear_operation
        and not refresh
        and finalizers is None
        and not _stale(old, ctl)
    ):
        return True
    patch: list[Obj] = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": meta["resourceVersion"]},
        {"op": "add", "path": "/status", "value": status},
    ]
    if operation is not None:
        patch.append({"op": "add", "path": "/operation", "value": operation})
    if clear_operation and obj.get("operation") is not None:
        patch.append({"op": "remove", "path": "/operation"})
    if finalizers is not None:
        patch.append({"op": "add", "path": "/metadata/finalizers", "value": finalizers})
    if refresh:
        patch.append(
            {"op": "remove", "path": "/metadata/annotations/" + REFRESH.replace("/", "~1")}
        )
    try:
        await ctl.client.patch(
            APP_API,
            "Application",
            meta["namespace"],
            meta["name"],
            patch,
            content_type=JSON_PATCH,
            manager="argocd-application-controller",
        )
    except ApiStatusError as err:
        if err.code in (404, 409, 422):
            return False
        raise
    except ClusterError:
        raise
    return True
