"""Pod (v1) health (reference 5.3). A pod is "long-running" when its restart policy is Always,
or when it carries `argocd.argoproj.io/ignore-restart-policy: "true"` and is not a sync hook.
Pods that run to completion (OnFailure, Never) must not turn Degraded on a transient error:
as hooks, that would fail the sync early and then run the hook again once the error clears.

1. Long-running: any container (not init container) waiting with a reason that starts with
   `Err` or ends with `Error` or `BackOff` -> Degraded, their messages joined (any phase).
2. By phase: Pending -> Progressing; Succeeded -> Healthy; Failed -> Degraded with the pod's
   message, else the first terminated container's message, `OOMKilled`, or exit code;
   Running -> Healthy when long-running and Ready, Degraded when long-running with a restarted
   container, else Progressing; Running with OnFailure/Never -> Progressing.
3. Anything else (phase Unknown, an unexpected restart policy) -> Unknown.

Called through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Json, Obj
from gitferry.health.status import Health, HealthStatus
from gitferry.model import hooks

IGNORE_RESTART_POLICY = "argocd.argoproj.io/ignore-restart-policy"


def _waiting_error(reason: str) -> bool:
    return reason.startswith("Err") or reason.endswith(("Error", "BackOff"))


def _fail_message(container: Json) -> str:
    # A container that has not terminated reads as an empty `terminated`: no message.
    terminated = fields.mapping(fields.mapping(container, "state"), "terminated")
    message = fields.text(terminated, "message")
    if message:
        return message
    if fields.text(terminated, "reason") == "OOMKilled":
        return "OOMKilled"
    code = fields.integer(terminated, "exitCode")
    if code != 0:
        name = fields.text(container, "name")
        return f'container "{name}" failed with exit code {code}'
    return ""


def _ready(status: Json) -> bool:
    ready = fields.condition(status, "Ready")
    return ready is not None and fields.text(ready, "status") == "True"


def check(obj: Obj) -> Health:
    spec = fields.mapping(obj, "spec")
    status = fields.mapping(obj, "status")
    restart_policy = fields.text(spec, "restartPolicy")
    long_running = restart_policy == "Always" or (
        fields.annotation(obj, IGNORE_RESTART_POLICY) == "true" and not hooks.is_hook(obj)
    )
    containers = fields.objects(status, "containerStatuses")
    if long_running:
        messages = []
        for container in containers:
            waiting = fields.mapping(fields.mapping(container, "state"), "waiting")
            if _waiting_error(fields.text(waiting, "reason")):
                messages.append(fields.text(waiting, "message"))
        if messages:
            return Health(HealthStatus.DEGRADED, ", ".join(messages))
    phase = fields.text(status, "phase")
    message = fields.text(status, "message")
    if phase == "Pending":
        return Health(HealthStatus.PROGRESSING, message)
    if phase == "Succeeded":
        return Health(HealthStatus.HEALTHY, message)
    if phase == "Failed":
        if message:
            return Health(HealthStatus.DEGRADED, message)
        for container in (*fields.objects(status, "initContainerStatuses"), *containers):
            failure = _fail_message(container)
            if failure:
                return Health(HealthStatus.DEGRADED, failure)
        return Health(HealthStatus.DEGRADED)
    if phase == "Running":
        if long_running:
            if _ready(status):
                return Health(HealthStatus.HEALTHY, message)
            for container in containers:
                last = fields.mapping(container, "lastState")
                if last.get("terminated") is not None:
                    return Health(HealthStatus.DEGRADED, message)
            return Health(HealthStatus.PROGRESSING, message)
        if restart_policy in ("OnFailure", "Never"):
            return Health(HealthStatus.PROGRESSING, message)
    return Health(HealthStatus.UNKNOWN, message)
