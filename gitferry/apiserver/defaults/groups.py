"""Defaults of the built-in kinds outside core, apps and batch, as kube-apiserver 1.32 fills them.

EndpointSlice and NetworkPolicy ports, NetworkPolicy policy types, HPA v2 min replicas, metric
and scaling behaviour, RBAC binding API groups, StorageClass and PriorityClass policies,
admission webhook settings, CRD names and conversion. `DEFAULTERS` is merged into
`defaults.apply_defaults`, which the API server's write pipeline calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitferry.apiserver.defaults.pods import child, default, default_str, dicts

Obj = dict[str, Any]

_RBAC_GROUP = "rbac.authorization.k8s.io"


def _endpoint_slice(obj: Obj) -> None:
    for port in dicts(obj.get("ports")):
        default(port, "name", "")
        default(port, "protocol", "TCP")


def _network_policy(obj: Obj) -> None:
    spec = child(obj, "spec")
    if spec is None:
        return
    for rule_key, peer_key in (("ingress", "ports"), ("egress", "ports")):
        for rule in dicts(spec.get(rule_key)):
            for port in dicts(rule.get(peer_key)):
                default(port, "protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _scaling_rules(rules: Any, window: int, policies: list[Obj]) -> Obj:
    merged: Obj = {"stabilizationWindowSeconds": window, "selectPolicy": "Max"}
    merged["policies"] = policies
    if isinstance(rules, dict):
        for key, value in rules.items():
            if value is not None:
                merged[key] = value
    return merged


def _hpa(obj: Obj) -> None:
    spec = child(obj, "spec")
    if spec is None:
        return
    default(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80},
                },
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        up = [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ]
        down = [{"type": "Percent", "value": 100, "periodSeconds": 15}]
        behavior["scaleUp"] = _scaling_rules(behavior.get("scaleUp"), 0, up)
        behavior["scaleDown"] = _scaling_rules(behavior.get("scaleDown"), 300, down)


def _bindings(obj: Obj) -> None:
    role_ref = child(obj, "roleRef")
    if role_ref is not None:
        default_str(role_ref, "apiGroup", _RBAC_GROUP)
    for subject in dicts(obj.get("subjects")):
        if not subject.get("apiGroup") and subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = _RBAC_GROUP


def _storage_class(obj: Obj) -> None:
    default(obj, "reclaimPolicy", "Delete")
    default(obj, "volumeBindingMode", "Immediate")


def _priority_class(obj: Obj) -> None:
    default(obj, "preemptionPolicy", "PreemptLowerPriority")


def _webhooks(mutating: bool) -> Callable[[Obj], None]:
    def defaulter(obj: Obj) -> None:
        for hook in dicts(obj.get("webhooks")):
            default(hook, "failurePolicy", "Fail")
            default(hook, "matchPolicy", "Equivalent")
            default(hook, "namespaceSelector", {})
            default(hook, "objectSelector", {})
            default(hook, "timeoutSeconds", 10)
            if mutating:
                default(hook, "reinvocationPolicy", "Never")
            for rule in dicts(hook.get("rules")):
                default(rule, "scope", "*")
            config = hook.get("clientConfig")
            service = config.get("service") if isinstance(config, dict) else None
            if isinstance(service, dict):
                default(service, "port", 443)

    return defaulter


def _crd(obj: Obj) -> None:
    spec = child(obj, "spec")
    if spec is None:
        return
    names = child(spec, "names")
    if names is not None:
        kind = names.get("kind")
        if isinstance(kind, str) and kind:
            default_str(names, "singular", kind.lower())
            default_str(names, "listKind", kind + "List")
    conversion = child(spec, "conversion")
    if conversion is not None:
        default_str(conversion, "strategy", "None")
        webhook = conversion.get("webhook")
        config = webhook.get("clientConfig") if isinstance(webhook, dict) else None
        service = config.get("service") if isinstance(config, dict) else None
        if isinstance(service, dict):
            default(service, "port", 443)


DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("discovery.k8s.io", "EndpointSlice"): _endpoint_slice,
    ("networking.k8s.io", "NetworkPolicy"): _network_policy,
    ("autoscaling", "HorizontalPodAutoscaler"): _hpa,
    (_RBAC_GROUP, "RoleBinding"): _bindings,
    (_RBAC_GROUP, "ClusterRoleBinding"): _bindings,
    ("storage.k8s.io", "StorageClass"): _storage_class,
    ("scheduling.k8s.io", "PriorityClass"): _priority_class,
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): _webhooks(False),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): _webhooks(True),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _crd,
}
