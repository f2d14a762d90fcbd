"""The operations `gitferry app` writes onto an Application, and the rules that allow them.

Pure functions over the stored dicts, in Argo CD's JSON names, so the controller reads what
`argocd app sync|rollback|terminate-op|delete` would have written (reference 2.8, 3.11, 6.1,
7.2, 7.3):

- a manual sync is refused while the app is being deleted, while another operation is set,
  and, with auto-sync on, for a `--revision` other than `targetRevision` (unless dry run);
- `--resource` filters select concrete resources of `status.resources` (`app_selectors`);
- a rollback is an apply-strategy sync to a history entry's revision and source, refused
  while auto-sync is on;
- deleting with a cascade puts the resources finalizer of the propagation policy in place;
  without one, every resources finalizer is removed.

Called by `app_sync` and `app_write`; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gitferry._kit import clock
from gitferry.cli import app_selectors
from gitferry.model.errors import GitFerryError, InputError

Json = dict[str, Any]
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
POLICY_FINALIZERS = {
    "": RESOURCES_FINALIZER,
    "foreground": f"{RESOURCES_FINALIZER}/foreground",
    "background": f"{RESOURCES_FINALIZER}/background",
}


class OperationRejectedError(GitFerryError):
    """The Application's state does not allow the requested operation (Argo CD's
    FailedPrecondition answers)."""


@dataclass(frozen=True, kw_only=True)
class SyncRequest:
    """What `gitferry app sync` was asked to do (the flags of `argocd app sync`)."""

    # Revision to sync to; empty means the app's targetRevision.
    revision: str = ""
    # Delete live resources that are no longer in Git.
    prune: bool = False
    # Run the sync as a server-side dry run.
    dry_run: bool = False
    # "hook" (run hooks, the default) or "apply" (skip hooks).
    strategy: str = "hook"
    # Force apply (delete and re-create on conflict).
    force: bool = False
    # GROUP:KIND:[NAMESPACE/]NAME filters; a leading `!` excludes, `*` matches anything.
    resources: tuple[str, ...] = ()
    # Sync options for this sync only; replace the spec's when given.
    sync_options: tuple[str, ...] = ()
    # Retries of a failed sync (0: the spec's retry strategy, if any; negative: unlimited).
    retry_limit: int = 0
    # Backoff base duration, Go syntax (`5s`, `2m`) or bare seconds.
    retry_backoff_duration: str = "5s"
    # Backoff cap, same syntax.
    retry_backoff_max_duration: str = "3m"
    # Multiplier of the backoff after each failed attempt.
    retry_backoff_factor: int = 2
    # Recorded as `operation.initiatedBy.username`.
    username: str = ""


def auto_sync_enabled(spec: Json) -> bool:
    """`syncPolicy.automated` present and not `enabled: false`."""
    automated = (spec.get("syncPolicy") or {}).get("automated")
    return isinstance(automated, dict) and automated.get("enabled") in (None, True)


def check_not_deleting(app: Json) -> None:
    if (app.get("metadata") or {}).get("deletionTimestamp"):
        raise OperationRejectedError(f"app {app_name(app)}: application is deleting")


def check_no_operation(app: Json) -> None:
    """Argo CD refuses a new operation while `operation` is set; a Running or Terminating
    state without one (a controller stopped mid-write) is refused too."""
    state = (app.get("status") or {}).get("operationState") or {}
    if app.get("operation") or state.get("phase") in ("Running", "Terminating"):
        raise OperationRejectedError(
            f"app {app_name(app)}: another operation is already in progress"
        )


def sync_operation(app: Json, request: SyncRequest) -> Json:
    """The `operation` a manual sync writes (reference 2.8 and 7.3), after its checks in
    Argo CD's order: deleting, revision, resources, another operation."""
    check_not_deleting(app)
    spec = app.get("spec") or {}
    name = app_name(app)
    if request.revision and spec.get("sources"):
        raise InputError(
            f"app {name}: --revision works on single-source apps only; this app has "
            f"{len(spec['sources'])} sources"
        )
    target = (spec.get("source") or {}).get("targetRevision") or ""
    if (
        request.revision
        and request.revision != (target or "HEAD")
        and auto_sync_enabled(spec)
        and not request.dry_run
    ):
        raise OperationRejectedError(
            f"app {name}: Cannot sync to {request.revision}: auto-sync currently set to {target}"
        )
    sync: Json = {}
    if request.revision:
        sync["revision"] = request.revision
    if request.prune:
        sync["prune"] = True
    if request.dry_run:
        sync["dryRun"] = True
    sync["syncStrategy"] = {request.strategy: {"force": True} if request.force else {}}
    if request.resources:
        selected = app_selectors.select(app, app_selectors.parse(request.resources))
        if not selected:
            raise InputError(
                f"app {name}: No matching app resources found for resource filter: "
                + ", ".join(request.resources)
            )
        sync["resources"] = selected
    check_no_operation(app)
    options = list(request.sync_options) or (spec.get("syncPolicy") or {}).get("syncOptions")
    if options:
        sync["syncOptions"] = list(options)
    operation: Json = {"sync": sync, "initiatedBy": {"username": request.username}}
    retry = (spec.get("syncPolicy") or {}).get("retry")
    if request.retry_limit != 0:
        retry = {
            "limit": request.retry_limit,
            "backoff": {
                "duration": go_duration(request.retry_backoff_duration),
                "factor": request.retry_backoff_factor,
                "maxDuration": go_duration(request.retry_backoff_max_duration),
            },
        }
    if retry:
        operation["retry"] = retry
    return operation


def rollback_entry(app: Json, history_id: int | None) -> Json:
    """The history entry to roll back to: `history_id`, else the one before the newest."""
    history = (app.get("status") or {}).get("history") or []
    if history_id is None:
        if len(history) < 2:
            raise OperationRejectedError(
                f"app {app_name(app)}: Application '{app_name(app)}' should have at least two "
                "successful deployments"
            )
        return dict(history[-2])
    for entry in history:
        if entry.get("id") == history_id:
            return dict(entry)
    meta = app.get("metadata") or {}
    raise OperationRejectedError(
        f"application {meta.get('namespace')}/{meta.get('name')} does not have deployment "
        f"with id {history_id}"
    )


def rollback_operation(
    app: Json, history_id: int | None, *, prune: bool, dry_run: bool, username: str
) -> Json:
    """The `operation` of `argocd app rollback` (reference 7.2), after its checks."""
    check_not_deleting(app)
    spec = app.get("spec") or {}
    if auto_sync_enabled(spec):
        raise OperationRejectedError(
            f"app {app_name(app)}: rollback cannot be initiated when auto-sync is enabled"
        )
    entry = rollback_entry(app, history_id)
    if not entry.get("source") and not entry.get("sources"):
        raise OperationRejectedError(
            f"app {app_name(app)}: cannot rollback to revision deployed with Argo CD v0.11 or "
            "lower. sync to revision instead."
        )
    check_no_operation(app)
    sync: Json = {}
    for key in ("revision", "revisions", "source", "sources"):
        if entry.get(key):
            sync[key] = entry[key]
    if prune:
        sync["prune"] = True
    if dry_run:
        sync["dryRun"] = True
    options = (spec.get("syncPolicy") or {}).get("syncOptions")
    if options:
        sync["syncOptions"] = list(options)
    sync["syncStrategy"] = {"apply": {}}
    return {"sync": sync, "initiatedBy": {"username": username}}


def check_can_terminate(app: Json) -> None:
    if not app.get("operation") or not (app.get("status") or {}).get("operationState"):
        raise OperationRejectedError(
            f"app {app_name(app)}: Unable to terminate operation. No operation is in progress"
        )


def deletion_finalizers(
    app: Json, *, cascade: bool | None, propagation_policy: str | None
) -> list[str]:
    """The finalizers an Application must carry before `app delete` deletes it (reference
    6.1): with a cascade, the resources finalizer of the policy given (a resources finalizer
    already there stands when none is given, as it does in Argo CD, where `/background`
    wins over the plain one added next to it); without a cascade, none of them."""
    name = app_name(app)
    finalizers = list((app.get("metadata") or {}).get("finalizers") or [])
    if cascade is False and propagation_policy:
        raise InputError(f"app {name}: cannot set propagation policy when cascading is disabled")
    others = [f for f in finalizers if f.split("/")[0] != RESOURCES_FINALIZER]
    if cascade is False:
        return others
    if propagation_policy is None and len(others) < len(finalizers):
        return finalizers
    wanted = POLICY_FINALIZERS.get((propagation_policy or "").lower())
    if wanted is None:
        raise InputError(f"app {name}: invalid propagation policy: {propagation_policy}")
    if [f for f in finalizers if f not in others] == [wanted]:
        return finalizers
    return [*others, wanted]


def operation_in_progress(app: Json) -> bool:
    """Argo CD's `app wait` rule: an operation is set, or its state has not finished, or it
    finished (not a dry run) and the app has not been reconciled since."""
    if app.get("operation"):
        return True
    status = app.get("status") or {}
    state = status.get("operationState")
    if not state:
        return False
    finished = state.get("finishedAt")
    if not finished:
        return True
    dry_run = bool(((state.get("operation") or {}).get("sync") or {}).get("dryRun"))
    reconciled = status.get("reconciledAt")
    return not dry_run and (
        not reconciled or clock.parse_rfc3339(reconciled) < clock.parse_rfc3339(finished)
    )


def app_name(app: Json) -> str:
    return str((app.get("metadata") or {}).get("name", ""))


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}


def go_duration(text: str) -> str:
    """A duration (Go syntax, or bare seconds) written the way Go's `Duration.String` writes
    it, as `argocd app sync` stores backoff durations (`3m` -> `3m0s`)."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        millis = int(text) * 1000
    else:
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise InputError(f"{text!r}: not a duration (use Go syntax such as 30s, 2m, 1h)")
        millis = round(sum(float(n) * _UNIT_MS[u] for n, u in parts))
    if millis < 1000:
        return f"{millis}ms" if millis else "0s"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"


def wait_ready(app: Json, *, sync: bool, health: bool, operation: bool) -> bool:
    """`argocd app wait`: Synced (when asked), Healthy (when asked), and no operation in
    progress (when asked)."""
    status = app.get("status") or {}
    return (
        (not sync or (status.get("sync") or {}).get("status") == "Synced")
        and (not health or (status.get("health") or {}).get("status") == "Healthy")
        and (not operation or not operation_in_progress(app))
    )


def pruning_required(app: Json) -> int:
    """Resources the last sync left in place because pruning was not allowed (those marked
    `Prune=false` do not count)."""
    result = ((app.get("status") or {}).get("operationState") or {}).get("syncResult") or {}
    return sum(
        1
        for r in result.get("resources") or ()
        if r.get("status") == "PruneSkipped" and "no prune" not in str(r.get("message", ""))
    )
