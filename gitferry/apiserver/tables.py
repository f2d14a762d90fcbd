"""Server-side printing: `meta.k8s.io/v1` Table answers for `kubectl get`.

kubectl asks for a Table on get and list; with one, it prints the server's columns (READY,
STATUS, RESTARTS ...) as on a real cluster instead of just NAME and AGE. Columns follow
kube-apiserver's printers for the common built-in kinds and a CRD's
additionalPrinterColumns (simple JSONPaths) for custom resources. Called by `handlers` and
`watch`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gitferry._kit.clock import parse_rfc3339
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.http import Request

Obj = dict[str, Any]
Column = tuple[str, str, Callable[[Obj], Any]]  # (name, type, cell)


def wanted(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "as=Table" in accept and "g=meta.k8s.io" in accept


def age(obj: Obj) -> str:
    """kubectl's short human duration since creation (`45s`, `5m`, `3h12m`, `4d`)."""
    stamp = obj["metadata"].get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    seconds = int((datetime.now(UTC) - parse_rfc3339(stamp)).total_seconds())
    return duration(max(seconds, 0))


def duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def _get(obj: Obj, *path: str, default: Any = None) -> Any:
    value: Any = obj
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return default
    return value


def _pod_status(pod: Obj) -> str:
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Pending"
    for container in status.get("containerStatuses") or ():
        state = container.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            terminated = state["terminated"]
            reason = terminated.get("reason") or f"ExitCode:{terminated.get('exitCode')}"
    return str(reason)


def _pod_ready(pod: Obj) -> str:
    statuses = _get(pod, "status", "containerStatuses", default=[])
    total = len(_get(pod, "spec", "containers", default=[]))
    return f"{sum(1 for c in statuses if c.get('ready'))}/{total}"


def _ports(svc: Obj) -> str:
    parts = []
    for port in _get(svc, "spec", "ports", default=[]):
        text = f"{port.get('port')}"
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        parts.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _external_ip(svc: Obj) -> str:
    ingress = _get(svc, "status", "loadBalancer", "ingress", default=[])
    ips = [i.get("ip") or i.get("hostname") for i in ingress]
    if ips:
        return ",".join(str(ip) for ip in ips)
    if _get(svc, "spec", "type") == "LoadBalancer":
        return "<pending>"
    return "<none>"


def _job_status(job: Obj) -> str:
    for condition in _get(job, "status", "conditions", default=[]):
        if condition.get("status") == "True" and condition.get("type") in ("Complete", "Failed"):
            return str(condition["type"])
    return "Suspended" if _get(job, "spec", "suspend") else "Running"


def _ingress_address(ing: Obj) -> str:
    ingress = _get(ing, "status", "loadBalancer", "ingress", default=[])
    return ",".join(str(i.get("ip") or i.get("hostname")) for i in ingress)


_COLUMNS: dict[str, list[Column]] = {
    "pods": [
        ("Ready", "string", _pod_ready),
        ("Status", "string", _pod_status),
        (
            "Restarts",
            "string",
            lambda p: str(
                sum(
                    c.get("restartCount", 0)
                    for c in _get(p, "status", "containerStatuses", default=[])
                )
            ),
        ),
    ],
    "deployments.apps": [
        (
            "Ready",
            "string",
            lambda d: (
                f"{_get(d, 'status', 'readyReplicas', default=0)}/"
                f"{_get(d, 'spec', 'replicas', default=0)}"
            ),
        ),
        ("Up-to-date", "integer", lambda d: _get(d, "status", "updatedReplicas", default=0)),
        ("Available", "integer", lambda d: _get(d, "status", "availableReplicas", default=0)),
    ],
    "replicasets.apps": [
        ("Desired", "integer", lambda r: _get(r, "spec", "replicas", default=0)),
        ("Current", "integer", lambda r: _get(r, "status", "replicas", default=0)),
        ("Ready", "integer", lambda r: _get(r, "status", "readyReplicas", default=0)),
    ],
    "statefulsets.apps": [
        (
            "Ready",
            "string",
            lambda s: (
                f"{_get(s, 'status', 'readyReplicas', default=0)}/"
                f"{_get(s, 'spec', 'replicas', default=0)}"
            ),
        ),
    ],
    "daemonsets.apps": [
        ("Desired", "integer", lambda d: _get(d, "status", "desiredNumberScheduled", default=0)),
        ("Current", "integer", lambda d: _get(d, "status", "currentNumberScheduled", default=0)),
        ("Ready", "integer", lambda d: _get(d, "status", "numberReady", default=0)),
        ("Up-to-date", "integer", lambda d: _get(d, "status", "updatedNumberScheduled", default=0)),
        ("Available", "integer", lambda d: _get(d, "status", "numberAvailable", default=0)),
    ],
    "services": [
        ("Type", "string", lambda s: _get(s, "spec", "type", default="ClusterIP")),
        ("Cluster-IP", "string", lambda s: _get(s, "spec", "clusterIP", default="<none>")),
        ("External-IP", "string", _external_ip),
        ("Port(s)", "string", _ports),
    ],
    "jobs.batch": [
        ("Status", "string", _job_status),
        (
            "Completions",
            "string",
            lambda j: (
                f"{_get(j, 'status', 'succeeded', default=0)}/"
                f"{_get(j, 'spec', 'completions', default=1)}"
            ),
        ),
    ],
    "cronjobs.batch": [
        ("Schedule", "string", lambda c: _get(c, "spec", "schedule", default="")),
        ("Suspend", "boolean", lambda c: bool(_get(c, "spec", "suspend", default=False))),
        ("Active", "integer", lambda c: len(_get(c, "status", "active", default=[]))),
    ],
    "namespaces": [("Status", "string", lambda n: _get(n, "status", "phase", default=""))],
    "configmaps": [
        ("Data", "integer", lambda c: len(c.get("data") or {}) + len(c.get("binaryData") or {}))
    ],
    "secrets": [
        ("Type", "string", lambda s: s.get("type", "Opaque")),
        ("Data", "integer", lambda s: len(s.get("data") or {})),
    ],
    "persistentvolumeclaims": [
        ("Status", "string", lambda p: _get(p, "status", "phase", default="Pending")),
        ("Volume", "string", lambda p: _get(p, "spec", "volumeName", default="")),
    ],
    "ingresses.networking.k8s.io": [
        ("Class", "string", lambda i: _get(i, "spec", "ingressClassName", default="<none>")),
        (
            "Hosts",
            "string",
            lambda i: (
                ",".join(r.get("host", "*") for r in _get(i, "spec", "rules", default=[])) or "*"
            ),
        ),
        ("Address", "string", _ingress_address),
    ],
}


def _custom_columns(resource: ResourceType) -> list[Column]:
    columns: list[Column] = []
    for column in resource.printer_columns:
        path = str(column.get("jsonPath", "")).strip("{}").lstrip(".")
        if path == "metadata.creationTimestamp":
            continue
        columns.append(
            (
                str(column.get("name", "")),
                str(column.get("type", "string")),
                _path_cell([p for p in path.split(".") if p]),
            )
        )
    return columns


def _path_cell(parts: list[str]) -> Callable[[Obj], Any]:
    def cell(obj: Obj) -> Any:
        return _get(obj, *parts, default="")

    return cell


def table(resource: ResourceType, objects: list[Obj], rv: str) -> Obj:
    """A Table of `objects` with the kind's columns, NAME first and AGE last."""
    columns = _COLUMNS.get(resource.key) if resource.builtin else _custom_columns(resource)
    columns = columns or []
    definitions = [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": "Name must be unique within a namespace.",
            "priority": 0,
        }
    ]
    definitions += [
        {"name": n, "type": t, "format": "", "description": n, "priority": 0} for n, t, _ in columns
    ]
    definitions.append(
        {
            "name": "Age",
            "type": "string",
            "format": "",
            "description": "CreationTimestamp",
            "priority": 0,
        }
    )
    rows = []
    for obj in objects:
        cells = [obj["metadata"]["name"], *(cell(obj) for _, _, cell in columns), age(obj)]
        meta = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
        rows.append(
            {
                "cells": cells,
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": meta,
                },
            }
        )
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": definitions,
        "rows": rows,
    }
