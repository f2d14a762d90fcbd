"""The HorizontalPodAutoscaler controller, with fake metrics.

The simulated metrics always sit just under each metric's target, so the recommendation is
the target's current size: an HPA whose target is inside [minReplicas, maxReplicas] settles
at AbleToScale=True ReadyForNewScale, ScalingActive=True ValidMetricFound and
ScalingLimited=False DesiredWithinRange (Argo CD: Healthy). A target outside the range is
scaled to the nearest bound at once (SucceededRescale, TooFewReplicas / TooManyReplicas). A
missing target gives FailedGetScale; a target at zero replicas ScalingDisabled. With metrics
switched off in the options the HPA reports FailedGetResourceMetric, as a cluster without
metrics-server does (Argo CD: Degraded). Reconciled when the HPA or its target changes.
Started by the controller manager.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.controllers import meta, runtime
from gitferry.apiserver.store import Event
from gitferry.apiserver.writes import WriteOptions

Obj = dict[str, Any]
RESOURCE = "horizontalpodautoscalers.autoscaling"
_NO_METRICS = (
    "the HPA was unable to compute the replica count: failed to get cpu utilization: unable "
    "to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the "
    "server could not find the requested resource (get pods.metrics.k8s.io)"
)
_DEFAULT_METRIC = {
    "type": "Resource",
    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
}

Target = tuple[str, str, str]  # namespace, kind, name


class Autoscalers(runtime.Controller):
    """Reconciles HorizontalPodAutoscalers."""

    name = "horizontal-pod-autoscaler"
    component = "horizontal-pod-autoscaler"

    def __init__(self, manager: runtime.Manager) -> None:
        super().__init__(manager)
        self._watching: dict[Target, set[str]] = {}
        self._target_of: dict[tuple[str, str], Target] = {}

    def start(self) -> None:
        for entry in self.store.entries(RESOURCE):
            self._track(entry.obj)
            self.queue((entry.obj["metadata"]["namespace"], entry.obj["metadata"]["name"]))

    def watch_all(self) -> runtime.Handler:
        return self._on_event

    def _track(self, hpa: Obj | None, *, gone: bool = False) -> None:
        if hpa is None:
            return
        key = (hpa["metadata"]["namespace"], hpa["metadata"]["name"])
        before = self._target_of.pop(key, None)
        if before is not None:
            self._watching.get(before, set()).discard(key[1])
        if gone:
            return
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        target = (key[0], str(ref.get("kind", "")), str(ref.get("name", "")))
        self._target_of[key] = target
        self._watching.setdefault(target, set()).add(key[1])

    def _on_event(self, event: Event) -> None:
        obj = event.entry.obj
        namespace = obj["metadata"].get("namespace", "")
        if event.resource == RESOURCE:
            self._track(obj, gone=event.type == "DELETED")
            self.queue((namespace, obj["metadata"]["name"]))
            return
        for name in self._watching.get(
            (namespace, obj.get("kind", ""), obj["metadata"]["name"]), ()
        ):
            self.queue((namespace, name))

    def reconcile(self, key: Any) -> None:
        entry = self.store.get(RESOURCE, *key)
        if entry is None:
            return
        hpa = entry.obj
        spec = hpa.get("spec") or {}
        old = hpa.get("status") or {}
        status: Obj = {"observedGeneration": hpa["metadata"].get("generation", 1)}
        for field in ("lastScaleTime", "currentReplicas"):
            if field in old:
                status[field] = old[field]
        status["desiredReplicas"] = old.get("desiredReplicas", 0)
        status["currentMetrics"] = old.get("currentMetrics")
        wanted: list[tuple[str, str, str, str]] = []
        resource, target, problem = self._target(hpa)
        if target is None or resource is None:
            wanted.append(
                (
                    "AbleToScale",
                    "False",
                    "FailedGetScale",
                    f"the HPA controller was unable to get the target's current scale: {problem}",
                )
            )
            if self._write(entry, status, wanted):
                self.event(hpa, "Warning", "FailedGetScale", problem)
            return None
        paths = resource.scale_paths or {}
        size = int(_get(target, paths.get("specReplicasPath", ".spec.replicas")) or 0)
        current = int(_get(target, paths.get("statusReplicasPath", ".status.replicas")) or 0)
        status["currentReplicas"] = current
        low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 1))
        got_scale = (
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        )
        if size == 0 and low != 0:
            status["desiredReplicas"] = 0
            wanted += [
                got_scale,
                (
                    "ScalingActive",
                    "False",
                    "ScalingDisabled",
                    "scaling is disabled since the replica count of the target is zero",
                ),
            ]
            self._write(entry, status, wanted)
            return None
        metrics = spec.get("metrics") or [_DEFAULT_METRIC]
        if not self.options.metrics:
            status["desiredReplicas"] = size
            status["currentMetrics"] = None
            wanted += [
                got_scale,
                ("ScalingActive", "False", "FailedGetResourceMetric", _NO_METRICS),
            ]
            if self._write(entry, status, wanted):
                self.event(hpa, "Warning", "FailedGetResourceMetric", _NO_METRICS)
            return None
        desired = min(max(size, low), high)
        status["desiredReplicas"] = desired
        status["currentMetrics"] = [_current(metric) for metric in metrics]
        if desired != size:
            copy = meta.deep(target)
            _set(copy, paths.get("specReplicasPath", ".spec.replicas"), desired)
            options = WriteOptions(manager=self.manager_name, subresource="scale")
            self.registry.update_subresource(resource, copy, options)
            status["lastScaleTime"] = self.registry.now()
            reason = "below Spec.MinReplicas" if desired > size else "above Spec.MaxReplicas"
            self.event(
                hpa,
                "Normal",
                "SuccessfulRescale",
                f"New size: {desired}; reason: Current number of replicas {reason}",
            )
            wanted.append(
                (
                    "AbleToScale",
                    "True",
                    "SucceededRescale",
                    f"the HPA controller was able to update the target scale to {desired}",
                )
            )
        else:
            wanted.append(
                ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size")
            )
        wanted.append(
            (
                "ScalingActive",
                "True",
                "ValidMetricFound",
                "the HPA was able to successfully calculate a replica count from "
                + _describe(metrics[0]),
            )
        )
        if size < low:
            wanted.append(
                (
                    "ScalingLimited",
                    "True",
                    "TooFewReplicas",
                    "the desired replica count is less than the minimum replica count",
                )
            )
        elif size > high:
            wanted.append(
                (
                    "ScalingLimited",
                    "True",
                    "TooManyReplicas",
                    "the desired replica count is more than the maximum replica count",
                )
            )
        else:
            wanted.append(
                (
                    "ScalingLimited",
                    "False",
                    "DesiredWithinRange",
                    "the desired count is within the acceptable range",
                )
            )
        self._write(entry, status, wanted)
        return None

    def _target(self, hpa: Obj) -> tuple[ResourceType | None, Obj | None, str]:
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        group = str(ref.get("apiVersion", "")).rpartition("/")[0]
        kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
        resource = self.registry.catalog.by_kind(group, kind)
        if resource is None or "scale" not in resource.subresources:
            return None, None, f'no matches for kind "{kind}" in group "{group}"'
        entry = self.store.get(resource.key, hpa["metadata"]["namespace"], name)
        if entry is None:
            plural = f"{resource.plural}.{group}" if group else resource.plural
            return resource, None, f'{plural} "{name}" not found'
        return resource, entry.obj, ""

    def _write(self, entry: Any, status: Obj, wanted: list[tuple[str, str, str, str]]) -> bool:
        """Write the status with these conditions; whether anything changed."""
        previous = {c["type"]: c for c in (entry.obj.get("status") or {}).get("conditions") or ()}
        now = self.registry.now()
        conditions = []
        for kind, state, reason, message in wanted:
            before = previous.get(kind)
            since = (
                before.get("lastTransitionTime")
                if before and before.get("status") == state
                else now
            )
            conditions.append(
                {
                    "type": kind,
                    "status": state,
                    "lastTransitionTime": since,
                    "reason": reason,
                    "message": message,
                }
            )
        status["conditions"] = conditions
        meta.drop_zero(status, "currentReplicas")
        if entry.obj.get("status") == status:
            return False
        meta.put_status(self.registry, self.rt(RESOURCE), entry, status, self.manager_name)
        return True


def _current(metric: Obj) -> Obj:
    """A current value just under the metric's target (within the HPA's 10 % tolerance)."""
    kind = metric.get("type", "Resource")
    field = {
        "Resource": "resource",
        "ContainerResource": "containerResource",
        "Pods": "pods",
        "Object": "object",
        "External": "external",
    }.get(kind, "resource")
    source = metric.get(field) or {}
    target = source.get("target") or {}
    current: Obj = {}
    if "averageUtilization" in target:
        current["averageUtilization"] = round(int(target["averageUtilization"]) * 0.95)
    for value in ("averageValue", "value"):
        if value in target:
            current[value] = target[value]
    body = {k: v for k, v in source.items() if k != "target"}
    body["current"] = current
    return {"type": kind, field: body}


def _describe(metric: Obj) -> str:
    kind = metric.get("type", "Resource")
    if kind in ("Resource", "ContainerResource"):
        source = metric.get("resource" if kind == "Resource" else "containerResource") or {}
        name = source.get("name", "cpu")
        scope = "resource" if kind == "Resource" else "container resource"
        if (source.get("target") or {}).get("type") == "Utilization":
            return f"{name} {scope} utilization (percentage of request)"
        return f"{name} {scope}"
    if kind == "Pods":
        return f"pods metric {((metric.get('pods') or {}).get('metric') or {}).get('name', '')}"
    if kind == "Object":
        source = metric.get("object") or {}
        described = (source.get("describedObject") or {}).get("kind", "")
        return f"{described} metric {(source.get('metric') or {}).get('name', '')}"
    source = metric.get("external") or {}
    return f"external metric {(source.get('metric') or {}).get('name', '')}"


def _get(obj: Obj, path: str) -> Any:
    value: Any = obj
    for part in path.strip(".").split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _set(obj: Obj, path: str, new: Any) -> None:
    parts = path.strip(".").split(".")
    target = obj
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = new
