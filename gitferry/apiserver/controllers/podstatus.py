"""Pod status derived from container states, with the kubelet's own rules.

Phase, the five kubelet conditions (in the kubelet's order) and their reasons and messages
all follow from the container states, never from templates: image-pull errors give a
Pending pod, crash loops a Running one, finished containers Succeeded or Failed, and a
deleted pod ends in a terminal phase. `lastTransitionTime` moves only when a condition's
status flips.

Called by the kubelet (`kubelet.py`); pure functions.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.controllers.containers import Container, PodRun
from gitferry.apiserver.defaults import pods as defaults_pods

Obj = dict[str, Any]
KUBELET_CONDITIONS = (
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
)


def derive(pod: Obj, run: PodRun, *, stamp: str, host_ip: str, pod_ip: str | None) -> Obj:
    """The status the kubelet reports for `pod` as `run` stands now."""
    old: Obj = pod.get("status") or {}
    spec: Obj = pod.get("spec") or {}
    policy = spec.get("restartPolicy", "Always")
    phase = _phase(run, policy)
    terminal = phase in ("Succeeded", "Failed")
    app = [_status(c, run) for c in run.app]
    init = [_status(c, run) for c in run.init]
    unready = [c.name for c in run.app + [c for c in run.init if c.sidecar] if not c.ready]
    incomplete = [c.name for c in run.init if not c.done()]
    wanted: list[Obj] = [
        _cond("PodReadyToStartContainers", run.sandbox and not terminal),
        _cond(
            "Initialized",
            not incomplete,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(incomplete)}]",
        ),
    ]
    if terminal:
        reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
        containers_ready = _cond("ContainersReady", False, reason)
    else:
        containers_ready = _cond(
            "ContainersReady",
            not unready,
            "ContainersNotReady",
            f"containers with unready status: [{' '.join(unready)}]",
        )
    wanted.append(_ready(spec, old, containers_ready))
    wanted.append(containers_ready)
    scheduled = next((c for c in old.get("conditions") or () if c["type"] == "PodScheduled"), None)
    # A pod bound without the scheduler (nodeName set by its author) gets PodScheduled from
    # the kubelet.
    wanted.append(dict(scheduled) if scheduled is not None else _cond("PodScheduled", True))
    conditions = [c for c in old.get("conditions") or () if c["type"] not in KUBELET_CONDITIONS]
    previous = {c["type"]: c for c in old.get("conditions") or ()}
    for condition in wanted:
        before = previous.get(condition["type"])
        if before is not None and before.get("status") == condition["status"]:
            condition["lastTransitionTime"] = before.get("lastTransitionTime")
        else:
            condition.setdefault("lastTransitionTime", stamp)
        conditions.append(_ordered(condition))
    status: Obj = {
        "conditions": conditions,
        "containerStatuses": app,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
    }
    if init:
        status["initContainerStatuses"] = init
    status["phase"] = phase
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    status["qosClass"] = old.get("qosClass") or defaults_pods.qos_class(spec)
    status["startTime"] = old.get("startTime") or stamp
    return status


def _phase(run: PodRun, policy: str) -> str:
    if run.killed:
        codes = [(c.state.get("terminated") or {}).get("exitCode") for c in run.app]
        return "Succeeded" if codes and all(code == 0 for code in codes) else "Failed"
    if policy == "Never" and any(c.failed_for_good() for c in run.init if not c.sidecar):
        return "Failed"
    if not run.initialized():
        return "Pending"
    running = stopped = succeeded = waiting = 0
    for container in run.app:
        state = container.state
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode") == 0
        elif container.last_state.get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if policy == "Never" else "Running"
    return "Pending"


def _status(container: Container, run: PodRun) -> Obj:
    status = container.status()
    if not container.begun and not run.killed and (container.init or run.init):
        status["state"] = {"waiting": {"reason": "PodInitializing"}}
    return status


def _ready(spec: Obj, old: Obj, containers_ready: Obj) -> Obj:
    if containers_ready["status"] != "True":
        return {**containers_ready, "type": "Ready"}
    current = {c["type"]: c.get("status") for c in old.get("conditions") or ()}
    for gate in spec.get("readinessGates") or ():
        kind = gate.get("conditionType", "")
        if kind not in current:
            message = f'corresponding condition of pod readiness gate "{kind}" does not exist.'
            return _cond("Ready", False, "ReadinessGatesNotReady", message)
        if current[kind] != "True":
            message = (
                f'the status of pod readiness gate "{kind}" is not "True", but {current[kind]}'
            )
            return _cond("Ready", False, "ReadinessGatesNotReady", message)
    return _cond("Ready", True)


def _cond(kind: str, ok: bool, reason: str = "", message: str = "") -> Obj:
    condition: Obj = {"type": kind, "status": "True" if ok else "False"}
    if not ok and reason:
        condition["reason"] = reason
        if message:
            condition["message"] = message
    return condition


def _ordered(condition: Obj) -> Obj:
    result: Obj = {
        "type": condition["type"],
        "status": condition["status"],
        "lastProbeTime": None,
        "lastTransitionTime": condition.get("lastTransitionTime"),
    }
    for key in ("reason", "message"):
        if condition.get(key):
            result[key] = condition[key]
    return result
