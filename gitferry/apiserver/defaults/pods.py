"""Defaults of pod specs, as kube-apiserver 1.32 fills them in Pods and in pod templates.

`SetDefaults_PodSpec` and its nested defaulters (containers, ports, probes, volumes, env
`fieldRef`s) apply to every pod template (Deployment, StatefulSet, Job, ...): `template()`.
A few apply to Pods only (`SetDefaults_Pod`): `enableServiceLinks`, requests copied from
limits, host ports under `hostNetwork`: `pod()`. `qos_class()` is the QoS class the API server
records in a new Pod's status. Called by `defaults` in the API server's write pipeline.

Rule of the defaulters: a Go string field is filled when empty (`""` or absent), a pointer
field when absent (None), an integer field when 0; structs that Go always serializes
(`resources`, `securityContext`) appear as `{}`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from gitferry.apiserver.validation import quantity as validation_quantity

Obj = dict[str, Any]

_HOUR = 3600
_DEFAULT_MODE = 420  # 0644
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_PROBE_DEFAULTS = {
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}

# The docker reference grammar (distribution/reference), to find an image's tag as kube does.
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"(?:{_DOMAIN}/)?{_PATH_PART}(?:/{_PATH_PART})*"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}))?"
)


def default(obj: Obj, key: str, value: Any) -> None:
    """Fill a pointer field: only when absent."""
    if obj.get(key) is None:
        obj[key] = value


def default_str(obj: Obj, key: str, value: str) -> None:
    """Fill a string field: when absent or empty."""
    if not obj.get(key):
        obj[key] = value


def child(obj: Obj, key: str) -> Obj | None:
    """The object under `key`, created when absent; None when it holds something else."""
    value = obj.get(key)
    if value is None:
        value = obj[key] = {}
    return value if isinstance(value, dict) else None


def dicts(value: Any) -> list[Obj]:
    """The objects of a list (nothing when `value` is no list)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def pull_policy(image: Any) -> str:
    """`Always` for `:latest` or untagged images, else `IfNotPresent` (also when unparsable)."""
    match = _REFERENCE.fullmatch(image) if isinstance(image, str) else None
    if match is None:
        return "IfNotPresent"
    tag, digest = match.group("tag"), match.group("digest")
    return "Always" if tag == "latest" or (not tag and not digest) else "IfNotPresent"


def template(tmpl: Obj | None) -> None:
    """Defaults of a pod template (`PodTemplateSpec`) in a workload's spec."""
    if tmpl is None:
        return
    spec = child(tmpl, "spec")
    if spec is not None:
        pod_spec(spec)


def pod(obj: Obj) -> None:
    """Defaults of a Pod: its spec, plus the Pod-only ones."""
    spec = child(obj, "spec")
    if spec is None:
        return
    pod_spec(spec)
    for key in ("containers", "initContainers"):
        for container in dicts(spec.get(key)):
            resources = container.get("resources")
            limits = resources.get("limits") if isinstance(resources, dict) else None
            if isinstance(resources, dict) and isinstance(limits, dict) and limits:
                requests = child(resources, "requests")
                if requests is not None:
                    for name, value in limits.items():
                        requests.setdefault(name, value)
    default(spec, "enableServiceLinks", True)
    if spec.get("hostNetwork") is True:
        for key in ("containers", "initContainers"):
            for container in dicts(spec.get(key)):
                for port in dicts(container.get("ports")):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")


def pod_spec(spec: Obj) -> None:
    """`SetDefaults_PodSpec` and everything nested in it."""
    default_str(spec, "dnsPolicy", "ClusterFirst")
    default_str(spec, "restartPolicy", "Always")
    default(spec, "securityContext", {})
    default(spec, "terminationGracePeriodSeconds", 30)
    default_str(spec, "schedulerName", "default-scheduler")
    for volume in dicts(spec.get("volumes")):
        _volume(volume)
    for key in _CONTAINER_LISTS:
        for container in dicts(spec.get(key)):
            _container(container)


def _container(container: Obj) -> None:
    if not container.get("imagePullPolicy"):
        container["imagePullPolicy"] = pull_policy(container.get("image"))
    default_str(container, "terminationMessagePath", "/dev/termination-log")
    default_str(container, "terminationMessagePolicy", "File")
    default(container, "resources", {})
    for port in dicts(container.get("ports")):
        default_str(port, "protocol", "TCP")
    for env in dicts(container.get("env")):
        value_from = env.get("valueFrom")
        if isinstance(value_from, dict):
            _field_ref(value_from)
    for key in _PROBES:
        probe = container.get(key)
        if isinstance(probe, dict):
            _probe(probe)
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            handler = lifecycle.get(hook)
            if isinstance(handler, dict) and isinstance(handler.get("httpGet"), dict):
                _http_get(handler["httpGet"])


def _probe(probe: Obj) -> None:
    for key, value in _PROBE_DEFAULTS.items():
        if not probe.get(key):
            probe[key] = value
    if isinstance(probe.get("httpGet"), dict):
        _http_get(probe["httpGet"])
    grpc = probe.get("grpc")
    if isinstance(grpc, dict):
        default(grpc, "service", "")


def _http_get(action: Obj) -> None:
    default_str(action, "path", "/")
    default_str(action, "scheme", "HTTP")


def _field_ref(holder: Obj) -> None:
    ref = holder.get("fieldRef")
    if isinstance(ref, dict):
        default_str(ref, "apiVersion", "v1")


def _volume(volume: Obj) -> None:
    if all(key == "name" or value is None for key, value in volume.items()):
        volume["emptyDir"] = {}
        return
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        source = volume.get(key)
        if isinstance(source, dict):
            default(source, "defaultMode", _DEFAULT_MODE)
    downward = volume.get("downwardAPI")
    if isinstance(downward, dict):
        for item in dicts(downward.get("items")):
            _field_ref(item)
    projected = volume.get("projected")
    if isinstance(projected, dict):
        for source in dicts(projected.get("sources")):
            if isinstance(source.get("downwardAPI"), dict):
                for item in dicts(source["downwardAPI"].get("items")):
                    _field_ref(item)
            if isinstance(source.get("serviceAccountToken"), dict):
                default(source["serviceAccountToken"], "expirationSeconds", _HOUR)
    host_path = volume.get("hostPath")
    if isinstance(host_path, dict):
        default(host_path, "type", "")
    ephemeral = volume.get("ephemeral")
    if isinstance(ephemeral, dict) and isinstance(ephemeral.get("volumeClaimTemplate"), dict):
        claim_spec = child(ephemeral["volumeClaimTemplate"], "spec")
        if claim_spec is not None:
            default(claim_spec, "volumeMode", "Filesystem")


def qos_class(spec: Obj) -> str:
    """The Pod's QoS class (`BestEffort`, `Burstable` or `Guaranteed`) from cpu and memory."""
    requests: dict[str, Decimal] = {}
    limits: dict[str, Decimal] = {}
    guaranteed = True
    for container in dicts(spec.get("containers")) + dicts(spec.get("initContainers")):
        resources = container.get("resources")
        resources = resources if isinstance(resources, dict) else {}
        _add_positive(resources.get("requests"), requests)
        found = _add_positive(resources.get("limits"), limits)
        if found != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    same = all(limits.get(name) == value for name, value in requests.items())
    if guaranteed and same and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


def _add_positive(values: Any, totals: dict[str, Decimal]) -> set[str]:
    found: set[str] = set()
    if not isinstance(values, dict):
        return found
    for name in ("cpu", "memory"):
        amount = validation_quantity.parse(values.get(name))
        if amount is not None and amount > 0:
            found.add(name)
            totals[name] = totals.get(name, Decimal(0)) + amount
    return found
