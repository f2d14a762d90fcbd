"""Running an Application's sync operation, one step per call, resumable.

An `operation` written on the Application (by `gitferry app sync`, a rollback or auto-sync)
starts a new `status.operationState`; each call then compares at the operation's pinned
revision, plans (`sync.plan`), runs one step (`sync.executor`) and returns the new state for
the caller to persist at once, so a controller killed mid-operation continues where it stopped.
When the operation completes it is retried as its retry strategy says (reference 2.5), recorded
in the history when it succeeded (7.1), and the `operation` field is cleared.

Called by `reconcile.process`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from gitferry._kit.clock import parse_rfc3339
from gitferry.controller import compare, governance, retry
from gitferry.controller.syncadapter import ClusterAdapter
from gitferry.health import assess
from gitferry.model.application import Application
from gitferry.model.errors import GitFerryError
from gitferry.model.operation import (
    ManagedNamespaceMetadata,
    Operation,
    OperationPhase,
    OperationState,
    SyncResult,
)
from gitferry.sync import executor, plan
from gitferry.sync.context import StepContext
from gitferry.sync.options import AppSyncOptions

if TYPE_CHECKING:
    from gitferry.controller.appcontroller import AppController

Obj = dict[str, Any]
DELETION_APPROVED = "argocd.argoproj.io/deletion-approved"
# While an operation waits for health, look again at least this often (events come sooner).
RUNNING_RECHECK = 3.0
# An operation held by a sync window looks again this often (windows open on the minute).
WINDOW_RECHECK = 15.0
WINDOW_HOLD = "Sync operation blocked by sync window"


@dataclass
class StepReport:
    """What the caller writes back: the operation state, whether `operation` is cleared,
    when to run again (seconds), and the history entry added (if any)."""

    state: Obj
    clear_operation: bool = False
    next_in: float | None = None
    history: list[Obj] | None = None


def active(obj: Obj) -> bool:
    """Whether an operation must be worked on: requested, running, or waiting to retry."""
    state = (obj.get("status") or {}).get("operationState") or {}
    if obj.get("operation"):
        return True
    return state.get("phase") in ("Running", "Terminating")


def _new_state(obj: Obj, now: dt.datetime) -> OperationState:
    operation = Operation.from_dict(obj["operation"])
    sync = operation.sync
    spec = obj.get("spec") or {}
    mnm = (spec.get("syncPolicy") or {}).get("managedNamespaceMetadata")
    result = SyncResult(
        revision=sync.revision if sync else "",
        revisions=sync.revisions if sync else (),
        source=(sync.source if sync and sync.source else spec.get("source")),
        sources=(sync.sources if sync and sync.sources else tuple(spec.get("sources") or ())),
        managed_namespace_metadata=ManagedNamespaceMetadata.from_dict(mnm) if mnm else None,
    )
    return OperationState(
        operation=operation, phase=OperationPhase.RUNNING, started_at=now, sync_result=result
    )


def _current_state(obj: Obj, now: dt.datetime) -> OperationState:
    stored = (obj.get("status") or {}).get("operationState")
    requested = obj.get("operation")
    if requested and (
        not stored
        or OperationPhase(stored.get("phase", "Failed")).completed
        or (stored.get("operation") != requested and stored.get("phase") != "Terminating")
    ):
        return _new_state(obj, now)
    return OperationState.from_dict(stored)


async def step(ctl: AppController, obj: Obj) -> StepReport:
    now = ctl.clock.now()
    state = _current_state(obj, now)
    retry_strategy = (obj.get("operation") or {}).get("retry")
    if state.phase is OperationPhase.RUNNING and state.finished_at is not None:
        # A failed attempt waiting for its retry.
        retry_at = retry.next_retry_at(retry_strategy or {}, state.finished_at, state.retry_count)
        if retry_at > now:
            return StepReport(state.to_dict(), next_in=(retry_at - now).total_seconds())
        refresh = bool((retry_strategy or {}).get("refresh"))
        result = replace(state.sync_result or SyncResult(), resources=())
        if refresh:
            result = replace(result, revision="", revisions=())
        message = "Retrying operation" + (" with latest revisions" if refresh else "")
        state = replace(
            state,
            finished_at=None,
            sync_result=result,
            message=f"{message}. Attempt #{state.retry_count}",
        )

    held = _held_by_window(ctl, obj, state, now)
    if held is not None:
        return held
    pinned = state.sync_result or SyncResult()
    app = compare.for_revision(
        obj,
        {
            "revision": pinned.revision,
            "revisions": list(pinned.revisions),
            "source": pinned.source,
            "sources": list(pinned.sources),
        },
    )
    comparison = await compare.compare(ctl, obj, app)
    errors = [
        f"{kind}: {msg}"
        for kind, msg in comparison.conditions
        if kind in ("ComparisonError", "InvalidSpecError")
    ]
    if errors or not comparison.loaded or comparison.client is None:
        message = "; ".join(errors) or "the application could not be compared"
        failed = replace(state, phase=OperationPhase.ERROR, message=message, finished_at=now)
        return _complete(obj, failed, retry_strategy, now)
    if not pinned.revision and not pinned.revisions:
        multi = bool(pinned.sources)
        pinned = replace(
            pinned,
            revision="" if multi else (comparison.revisions[0] if comparison.revisions else ""),
            revisions=tuple(comparison.revisions) if multi else (),
        )
        state = replace(state, sync_result=pinned)

    sync = state.operation.sync
    assert sync is not None
    spec = obj.get("spec") or {}
    app_options = AppSyncOptions.parse(
        AppSyncOptions.effective(
            sync.sync_options, (spec.get("syncPolicy") or {}).get("syncOptions") or ()
        )
    )
    shared = [msg for kind, msg in comparison.conditions if kind == compare.SHARED_RESOURCE]
    if app_options.fail_on_shared_resource and shared:
        message = f"Shared resource found: {shared[0]}"
        failed = replace(state, phase=OperationPhase.FAILED, message=message, finished_at=now)
        return _complete(obj, failed, retry_strategy, now)
    destination_namespace = comparison.app.destination.namespace
    namespace_live = None
    if comparison.cache is not None and destination_namespace:
        namespace_live = comparison.cache.get(("", "Namespace", "", destination_namespace))
    tasks = plan.build(
        comparison.targets,
        comparison.live,
        options=plan.PlanOptions.for_operation(
            sync,
            app_options,
            destination_namespace=destination_namespace,
            revision="" if pinned.revisions else pinned.revision,
            started_at=state.started_at,
            managed_namespace_metadata=pinned.managed_namespace_metadata,
        ),
        namespace_live=namespace_live,
    )
    approved = (obj["metadata"].get("annotations") or {}).get(DELETION_APPROVED)
    outcome = await executor.step(
        StepContext(
            tasks=tasks,
            state=state,
            cluster=ClusterAdapter(comparison.client),
            health=assess.assess,
            clock=ctl.clock,
            app=app_options,
            destination_namespace=destination_namespace,
            out_of_sync=comparison.out_of_sync_keys(),
            deletion_approved=_time(approved),
            permission=governance.permission_check(comparison.project, comparison.is_namespaced),
        )
    )
    new_state = outcome.state
    if new_state.phase.completed:
        return _complete(obj, new_state, retry_strategy, now)
    delay = ctl.options.wave_delay if outcome.wave_delay else RUNNING_RECHECK
    return StepReport(new_state.to_dict(), next_in=delay)


def _held_by_window(
    ctl: AppController, obj: Obj, state: OperationState, now: dt.datetime
) -> StepReport | None:
    """A running operation makes no progress while the project's sync windows forbid it
    (reference 3.6): it stays Running with Argo CD's message, and is looked at again later."""
    try:
        app = Application.parse(obj)
    except GitFerryError:
        return None
    loaded = governance.load_project(ctl, app.project)
    decision = governance.window(
        loaded,
        app,
        manual=not state.operation.automated,
        now=now,
        started=state.started_at,
    )
    if decision.allowed:
        return None
    message = WINDOW_HOLD + (f": {decision.errors[0]}" if decision.errors else "")
    return StepReport(replace(state, message=message).to_dict(), next_in=WINDOW_RECHECK)


def _complete(
    obj: Obj,
    state: OperationState,
    retry_strategy: Obj | None,
    now: dt.datetime,
) -> StepReport:
    """A completed operation: retry it, record it, or clear it."""
    data = state.to_dict()
    terminated = state.message.startswith("Operation terminat")
    if (
        data["phase"] in ("Failed", "Error")
        and not terminated
        and retry.after_failure(data, retry_strategy, now)
    ):
        retry_at = retry.next_retry_at(retry_strategy or {}, now, data["retryCount"])
        return StepReport(data, next_in=(retry_at - now).total_seconds())
    history = None
    sync = state.operation.sync
    if (
        data["phase"] == "Succeeded"
        and sync is not None
        and not sync.dry_run
        and (not sync.resources)
    ):
        status = dict(obj.get("status") or {})
        retry.append_history(status, obj.get("spec") or {}, data, now)
        history = status["history"]
    return StepReport(data, clear_operation=True, next_in=0.0, history=history)


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError:
        return None
