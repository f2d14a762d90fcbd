"""Automated sync: whether a refresh should start an operation, exactly as Argo CD decides
(reference 2.2 to 2.4).

Pure: given the Application, the comparison just made (sync status, resolved revisions,
`status.resources`) and the last operation state, `decide` returns the operation to start,
or the reason not to (a `SyncError` condition when Argo CD sets one), or when to look again
(self-heal backoff). The same revision is never re-attempted automatically after a failure;
only the operation's own retry re-runs it. Called by the controller after every comparison.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gitferry._kit.clock import parse_rfc3339


@dataclass(frozen=True)
class Decision:
    """What auto-sync decided: an operation to write, a SyncError message, a recheck delay."""

    operation: dict[str, Any] | None = None
    error: str | None = None
    recheck_in: float | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class AutoSyncInputs:
    app: dict[str, Any]
    sync_status: str
    revisions: list[str]
    resources: list[dict[str, Any]]
    now: dt.datetime
    # Self-heal backoff: base seconds, factor, cap.
    backoff: tuple[float, float, float] = (2.0, 3.0, 300.0)
    # Whether project sync windows allow an automated sync now.
    window_allows: bool = True


def automated(app: dict[str, Any]) -> dict[str, Any] | None:
    """`spec.syncPolicy.automated` when auto-sync is on (present and not `enabled: false`)."""
    policy = ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated")
    if policy is None or not isinstance(policy, dict):
        return None
    if policy.get("enabled") is False:
        return None
    return policy


def decide(inputs: AutoSyncInputs) -> Decision:
    app, policy = inputs.app, automated(inputs.app)
    if policy is None:
        return Decision(reason="auto-sync is off")
    if not inputs.window_allows:
        return Decision(reason="blocked by sync window")
    if app.get("operation"):
        return Decision(reason="an operation is in progress")
    if (app.get("metadata") or {}).get("deletionTimestamp"):
        return Decision(reason="the application is being deleted")
    if inputs.sync_status != "OutOfSync":
        return Decision(reason=f"sync status is {inputs.sync_status}")
    prune = bool(policy.get("prune"))
    not_synced = [r for r in inputs.resources if r.get("status") != "Synced"]
    if not prune and not_synced and all(r.get("requiresPruning") for r in not_synced):
        return Decision(reason="need to prune extra resources only")

    spec = app.get("spec") or {}
    multi = bool(spec.get("sources"))
    state = (app.get("status") or {}).get("operationState")
    revisions_text = ", ".join(inputs.revisions)
    sync: dict[str, Any] = {"prune": prune}
    if multi:
        sync["revisions"] = list(inputs.revisions)
        sync["sources"] = spec["sources"]
    else:
        sync["revision"] = inputs.revisions[0] if inputs.revisions else ""
        sync["source"] = spec.get("source")
    options = (spec.get("syncPolicy") or {}).get("syncOptions")
    if options:
        sync["syncOptions"] = list(options)

    attempted, succeeded = _already_attempted(state, spec, inputs.revisions, multi)
    if attempted and not succeeded:
        last = _last_revisions(state)
        return Decision(
            error=f"Failed last sync attempt to [{last}]: {(state or {}).get('message', '')}",
            reason="the last attempt at this revision failed",
        )
    if attempted:
        if not policy.get("selfHeal"):
            return Decision(reason=f"most recent sync already to {revisions_text}")
        attempts = int(
            ((state or {}).get("operation") or {}).get("sync", {}).get("autoHealAttemptsCount", 0)
            or 0
        )
        remaining = _self_heal_remaining(state, attempts, inputs.backoff, inputs.now)
        if remaining > 0:
            return Decision(recheck_in=remaining, reason="self-heal backoff")
        sync["autoHealAttemptsCount"] = attempts + 1
        sync["resources"] = [_selector(r) for r in not_synced]
    if (
        prune
        and not policy.get("allowEmpty")
        and all(r.get("requiresPruning") for r in inputs.resources)
    ):
        return Decision(
            error=f"Skipping sync attempt to [{revisions_text}]: auto-sync will wipe out all "
            "resources",
            reason="empty-app guard",
        )
    retry = (spec.get("syncPolicy") or {}).get("retry") or {"limit": 5}
    operation = {
        "sync": sync,
        "initiatedBy": {"automated": True},
        "retry": retry,
    }
    return Decision(operation=operation, reason=f"Initiated automated sync to '{revisions_text}'")


def _selector(resource: dict[str, Any]) -> dict[str, Any]:
    return {key: resource.get(key, "") for key in ("group", "kind", "name", "namespace")}


def _last_revisions(state: dict[str, Any] | None) -> str:
    result = (state or {}).get("syncResult") or {}
    if result.get("revisions"):
        return ", ".join(result["revisions"])
    return str(result.get("revision", ""))


def _already_attempted(
    state: dict[str, Any] | None, spec: dict[str, Any], revisions: list[str], multi: bool
) -> tuple[bool, bool]:
    """(attempted, succeeded) per reference 2.3."""
    if not state:
        return False, False
    phase = state.get("phase", "")
    succeeded = phase == "Succeeded"
    completed = phase in ("Succeeded", "Failed", "Error")
    result = state.get("syncResult")
    if not result:
        return completed, succeeded
    if multi:
        if list(result.get("revisions") or []) != list(revisions):
            return False, succeeded
        return result.get("sources") == spec.get("sources"), succeeded
    if result.get("revision") != (revisions[0] if revisions else ""):
        return False, succeeded
    return result.get("source") == spec.get("source"), succeeded


def _self_heal_remaining(
    state: dict[str, Any] | None,
    attempts: int,
    backoff: tuple[float, float, float],
    now: dt.datetime,
) -> float:
    """Seconds until the next self-heal may run (reference 2.4)."""
    base, factor, cap = backoff
    delay = 0.0 if attempts == 0 else min(base * factor ** (attempts - 1), cap)
    finished = (state or {}).get("finishedAt")
    if not finished:
        return delay
    return delay - (now - parse_rfc3339(finished)).total_seconds()
