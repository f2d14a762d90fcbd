"""RollingSync planning (`strategy.type: RollingSync`): which Applications may sync now, and
the ApplicationSet's `status.applicationStatus`. Pure: the controller reads the live
Applications, calls `plan`, writes the statuses and applies `prepare`d Applications.

Rules (Argo CD's progressive syncs):
- Steps select generated Applications by label with `matchExpressions` (all must hold): `In`
  needs the label with one of the values, `NotIn` holds when the label is absent or has none
  of them; other operators select nothing (warning). An Application goes to the first step
  selecting it (a warning when several do); one selected by none is never synced by the
  rollout (its step is shown as "0").
- Per Application status: a new one is `Waiting`; one that goes OutOfSync while not Waiting or
  Pending returns to `Waiting`; a changed revision set says so in the message. `Waiting` and
  `Progressing` become `Healthy` when the Application is Healthy, not OutOfSync and its last
  operation (if any) Succeeded. `Pending` becomes `Progressing` when an operation started at or
  after the Pending transition runs or succeeded, when health is Progressing, or when the
  Application has errors (Degraded, or that operation Failed/Error).
- Step gating: steps in order; all Applications of a step may sync while every Application of
  the earlier steps exists, is healthy and has status `Healthy`.
- `maxUpdate` (integer or percentage of the step's Applications, rounded down but at least 1
  unless "0%"; unset = unlimited) caps the step's Applications in Pending + Progressing;
  `Waiting` Applications of an enabled step move to `Pending` within that cap.
- `prepare`: generated Applications lose `syncPolicy.automated`; those Pending and enabled get
  an `operation` flagged automated (sync windows apply as for automated syncs), pruning as
  their automated policy said.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

WAITING, PENDING, PROGRESSING, HEALTHY = "Waiting", "Pending", "Progressing", "Healthy"
SYNC_REASON = "ApplicationSet RollingSync triggered a sync of this Application resource"

_MESSAGES = {
    "new": "No Application status found, defaulting status to Waiting.",
    "changed": "Application has pending changes, setting status to Waiting.",
    "synced": "Application resource completed a sync successfully, updating status from "
    "Pending to Progressing.",
    "progressing": "Application resource became Progressing, updating status from Pending to "
    "Progressing.",
    "errors": "Application resource has errors, updating status from Pending to Progressing.",
    "already": "Application resource is already Healthy, updating status from Waiting to Healthy.",
    "healthy": "Application resource became Healthy, updating status from Progressing to Healthy.",
    "pending": "Application moved to Pending status, watching for the Application resource to "
    "start Progressing.",
}


@dataclass(frozen=True)
class RolloutPlan:
    steps: dict[str, int]  # Application name -> step index (0-based); absent: in no step
    sync: frozenset[str]  # Applications whose step is enabled now
    statuses: list[dict[str, Any]]  # the new status.applicationStatus
    warnings: list[str] = field(default_factory=list)

    def status_of(self, name: str) -> str:
        for entry in self.statuses:
            if entry.get("application") == name:
                return str(entry.get("status") or "")
        return ""


def enabled(appset: Mapping[str, Any]) -> bool:
    """Whether the ApplicationSet asks for a RollingSync."""
    strategy = (appset.get("spec") or {}).get("strategy") or {}
    return strategy.get("type") == "RollingSync"


def steps_of(appset: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`spec.strategy.rollingSync.steps` (empty when there are none)."""
    strategy = (appset.get("spec") or {}).get("strategy") or {}
    steps = (strategy.get("rollingSync") or {}).get("steps") or []
    return [step for step in steps if isinstance(step, dict)]


def plan(
    steps_spec: Sequence[Mapping[str, Any]],
    desired: Sequence[Mapping[str, Any]],
    current: Sequence[Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]],
    now: dt.datetime,
) -> RolloutPlan:
    """The rollout state after one reconcile: `steps_spec` is rollingSync.steps, `desired`
    the generated Applications, `current` the live ones, `previous` the old
    status.applicationStatus."""
    warnings: list[str] = []
    step_of, members = _assign(steps_spec, desired, warnings)
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    old = {str(s.get("application")): dict(s) for s in previous}
    live = {_name(app): app for app in current}
    statuses = [
        _advance(app, old.get(_name(app)), step_of.get(_name(app), -1), stamp) for app in current
    ]
    by_name = {s["application"]: s for s in statuses}
    sync: set[str] = set()
    allowed = True
    for names in members:
        if allowed:
            sync.update(names)
        for name in names:
            status, app = by_name.get(name), live.get(name)
            if status is None or app is None or not (healthy(app) and status["status"] == HEALTHY):
                allowed = False
                break
    _promote(steps_spec, statuses, step_of, sync, stamp, warnings)
    return RolloutPlan(step_of, frozenset(sync), statuses, warnings)


def _assign(
    steps_spec: Sequence[Mapping[str, Any]], apps: Sequence[Mapping[str, Any]], warnings: list[str]
) -> tuple[dict[str, int], list[list[str]]]:
    step_of: dict[str, int] = {}
    members: list[list[str]] = [[] for _ in steps_spec]
    for app in apps:
        name = _name(app)
        labels = (app.get("metadata") or {}).get("labels") or {}
        for index, step in enumerate(steps_spec):
            if not all(_matches(e, labels, warnings) for e in step.get("matchExpressions") or []):
                continue
            if name in step_of:
                warnings.append(
                    f"Application {name} is selected by steps {step_of[name] + 1} and "
                    f"{index + 1}; it belongs to step {step_of[name] + 1}"
                )
                continue
            step_of[name] = index
            members[index].append(name)
    return step_of, members


def _matches(expression: Mapping[str, Any], labels: Mapping[str, Any], warnings: list[str]) -> bool:
    key, operator = str(expression.get("key") or ""), str(expression.get("operator") or "")
    values = [str(v) for v in expression.get("values") or []]
    if operator not in ("In", "NotIn"):
        warnings.append(f"invalid matchExpression operator {operator!r}: only In and NotIn")
        return False
    if key not in labels:
        return operator == "NotIn"
    return (str(labels[key]) in values) == (operator == "In")


def _advance(
    app: Mapping[str, Any], old: dict[str, Any] | None, step: int, stamp: str
) -> dict[str, Any]:
    status = app.get("status") or {}
    health = str((status.get("health") or {}).get("status") or "")
    sync_status = str((status.get("sync") or {}).get("status") or "")
    operation = status.get("operationState") or {}
    phase = str(operation.get("phase") or "")
    revisions = _revisions(status)
    step_text = str(step + 1)

    def move(state: str, reason: str) -> None:
        entry.update(status=state, message=_MESSAGES[reason], step=step_text)
        entry["lastTransitionTime"] = stamp

    if old is None:
        entry: dict[str, Any] = {"application": _name(app), "targetRevisions": revisions}
        move(WAITING, "new")
    else:
        entry = dict(old)
        if entry.get("targetRevisions") != revisions:
            entry["message"] = _MESSAGES["changed"]
    outdated = sync_status == "OutOfSync"
    if outdated and entry["status"] not in (WAITING, PENDING):
        move(WAITING, "changed")
        entry["targetRevisions"] = revisions
    if entry["status"] == PENDING:
        after = _started_after(operation.get("startedAt"), entry.get("lastTransitionTime"))
        if phase == "Succeeded" and after and not outdated:
            move(PROGRESSING, "synced")
        elif (phase == "Running" and after) or health == "Progressing":
            move(PROGRESSING, "progressing")
        elif health == "Degraded" or (phase in ("Failed", "Error") and after):
            move(PROGRESSING, "errors")
    if entry["status"] == WAITING and healthy(app):
        move(HEALTHY, "already")
        entry["targetRevisions"] = revisions
    if entry["status"] == PROGRESSING and healthy(app):
        move(HEALTHY, "healthy")
    return entry


def _promote(
    steps_spec: Sequence[Mapping[str, Any]],
    statuses: list[dict[str, Any]],
    step_of: Mapping[str, int],
    sync: set[str],
    stamp: str,
    warnings: list[str],
) -> None:
    total = [0] * len(steps_spec)
    updating = [0] * len(steps_spec)
    for entry in statuses:
        step = step_of.get(entry["application"], -1)
        if step >= 0:
            total[step] += 1
            updating[step] += entry["status"] in (PENDING, PROGRESSING)
    for entry in statuses:
        name = entry["application"]
        step = step_of.get(name, -1)
        if step < 0 or entry["status"] != WAITING or name not in sync:
            continue
        cap = _max_update(steps_spec[step].get("maxUpdate"), total[step], warnings)
        if cap is not None and updating[step] >= cap:
            continue
        entry.update(status=PENDING, message=_MESSAGES["pending"], step=str(step + 1))
        entry["lastTransitionTime"] = stamp
        updating[step] += 1


def _max_update(value: Any, total: int, warnings: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.endswith("%") and text[:-1].strip().isdigit():
        scaled = math.floor(int(text[:-1]) * total / 100)
        return scaled if text == "0%" else max(scaled, 1)
    warnings.append(f"invalid maxUpdate {text!r}: an integer or a percentage such as 25%")
    return 1


def healthy(app: Mapping[str, Any]) -> bool:
    """Healthy, not OutOfSync, and the last operation (if any) succeeded."""
    status = app.get("status") or {}
    health = (status.get("health") or {}).get("status")
    sync_status = (status.get("sync") or {}).get("status")
    phase = (status.get("operationState") or {}).get("phase") or ""
    return health == "Healthy" and sync_status != "OutOfSync" and phase in ("Succeeded", "")


def prepare(apps: Sequence[Mapping[str, Any]], rollout: RolloutPlan) -> list[dict[str, Any]]:
    """The generated Applications as the controller writes them under RollingSync."""
    out: list[dict[str, Any]] = []
    for source in apps:
        app = copy.deepcopy(dict(source))
        name = _name(app)
        policy = (app.get("spec") or {}).get("syncPolicy")
        prune = False
        if isinstance(policy, dict) and isinstance(policy.get("automated"), dict):
            prune = bool(policy["automated"].get("prune"))
            del policy["automated"]
        if name in rollout.sync and rollout.status_of(name) == PENDING:
            app["operation"] = {
                "initiatedBy": {"username": "applicationset-controller", "automated": True},
                "info": [{"name": "Reason", "value": SYNC_REASON}],
                "sync": {"prune": prune},
            }
        out.append(app)
    return out


def _name(app: Mapping[str, Any]) -> str:
    return str((app.get("metadata") or {}).get("name") or "")


def _revisions(status: Mapping[str, Any]) -> list[str]:
    sync = status.get("sync") or {}
    if sync.get("revisions"):
        return [str(r) for r in sync["revisions"]]
    return [str(sync["revision"])] if sync.get("revision") else []


def _started_after(started: Any, since: Any) -> bool:
    if not started:
        return False
    start, pending = _time(started), _time(since)
    return start is None or pending is None or start >= pending


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
