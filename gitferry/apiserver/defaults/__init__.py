"""Defaulting of built-in objects, so that stored objects look like kube-apiserver 1.32's.

Called by the API server's write pipeline on create and on every update, after merging or
patching and before validation: `apply_defaults(resource, obj)` fills in place what kube's
defaulters (`SetDefaults_*`), conversion and create strategies fill: replicas, rollout
strategies, history limits, pod template defaults, Service traffic policies and IP families,
generated Job selectors, the Namespace finalizer and name label, Secret `stringData` folded into
`data`, and so on. It is idempotent: defaulting twice changes nothing more.

`initial_status(resource, obj)` is the `status` a new object of a kind with a status
subresource starts with (`{}` for most, plus the fields Go always serializes, such as a
Service's `loadBalancer: {}` or a ReplicaSet's `replicas: 0`).

Not done here (the server's business): cluster IP and node port allocation, `metadata.uid` (Job
defaults read it), generation, managed fields. Custom resources get no defaults from this module.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.defaults import groups as defaults_groups
from gitferry.apiserver.defaults import pods as defaults_pods
from gitferry.apiserver.defaults.pods import child, default, default_str, dicts

Obj = dict[str, Any]

MAX_INT32 = 2**31 - 1
_JOB_UID_LABEL = "batch.kubernetes.io/controller-uid"
_JOB_NAME_LABEL = "batch.kubernetes.io/job-name"


def apply_defaults(resource: ResourceType, obj: Obj) -> None:
    """Fill in place the defaults kube-apiserver fills for this kind (no-op for others)."""
    if not resource.builtin:
        return
    defaulter = _DEFAULTERS.get((resource.group, resource.kind))
    if defaulter is not None:
        defaulter(obj)


def _spec(obj: Obj) -> Obj | None:
    return child(obj, "spec")


# --- apps and batch --------------------------------------------------------------------------


def _deployment(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    default(spec, "replicas", 1)
    strategy = child(spec, "strategy")
    if strategy is not None:
        default_str(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = child(strategy, "rollingUpdate")
            if rolling is not None:
                default(rolling, "maxUnavailable", "25%")
                default(rolling, "maxSurge", "25%")
    default(spec, "revisionHistoryLimit", 10)
    default(spec, "progressDeadlineSeconds", 600)
    defaults_pods.template(child(spec, "template"))


def _replica_set(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    default(spec, "replicas", 1)
    defaults_pods.template(child(spec, "template"))


def _replication_controller(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    template = spec.get("template")
    labels = template.get("metadata", {}).get("labels") if isinstance(template, dict) else None
    if isinstance(labels, dict) and labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = child(obj, "metadata")
        if meta is not None and not meta.get("labels"):
            meta["labels"] = dict(labels)
    default(spec, "replicas", 1)
    if isinstance(template, dict):
        defaults_pods.template(template)


def _stateful_set(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    default_str(spec, "podManagementPolicy", "OrderedReady")
    strategy = child(spec, "updateStrategy")
    if strategy is not None:
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
            default(strategy, "rollingUpdate", {})
        rolling = strategy.get("rollingUpdate")
        if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
            default(rolling, "partition", 0)
    policy = child(spec, "persistentVolumeClaimRetentionPolicy")
    if policy is not None:
        default_str(policy, "whenDeleted", "Retain")
        default_str(policy, "whenScaled", "Retain")
    default(spec, "replicas", 1)
    default(spec, "revisionHistoryLimit", 10)
    defaults_pods.template(child(spec, "template"))
    for claim in dicts(spec.get("volumeClaimTemplates")):
        default_str(claim, "apiVersion", "v1")
        default_str(claim, "kind", "PersistentVolumeClaim")
        claim_spec = child(claim, "spec")
        if claim_spec is not None:
            default(claim_spec, "volumeMode", "Filesystem")
        status = child(claim, "status")
        if status is not None:
            default_str(status, "phase", "Pending")


def _daemon_set(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    strategy = child(spec, "updateStrategy")
    if strategy is not None:
        default_str(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = child(strategy, "rollingUpdate")
            if rolling is not None:
                default(rolling, "maxUnavailable", 1)
                default(rolling, "maxSurge", 0)
    default(spec, "revisionHistoryLimit", 10)
    defaults_pods.template(child(spec, "template"))


def _job_spec(spec: Obj) -> None:
    """What a Job's spec and a CronJob's job template share: the pod template defaults."""
    defaults_pods.template(child(spec, "template"))
    failure_policy = spec.get("podFailurePolicy")
    if isinstance(failure_policy, dict):
        for rule in dicts(failure_policy.get("rules")):
            for pattern in dicts(rule.get("onPodConditions")):
                default_str(pattern, "status", "True")


def _job(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    default(spec, "parallelism", 1)
    default(spec, "backoffLimit", MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6)
    default(spec, "completionMode", "NonIndexed")
    default(spec, "suspend", False)
    replacement = "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
    default(spec, "podReplacementPolicy", replacement)
    default(spec, "manualSelector", False)
    _job_spec(spec)
    meta = child(obj, "metadata")
    if meta is None:
        return
    if spec["manualSelector"] is not True and not _selects_uid(spec, meta):
        _generate_job_selector(spec, meta)
    template = spec.get("template")
    labels = template.get("metadata", {}).get("labels") if isinstance(template, dict) else None
    if isinstance(labels, dict) and labels and not meta.get("labels"):
        meta["labels"] = dict(labels)


def _selects_uid(spec: Obj, meta: Obj) -> bool:
    """Whether the selector already names this Job's uid (kube generates on create only)."""
    selector = spec.get("selector")
    labels = selector.get("matchLabels") if isinstance(selector, dict) else None
    uid = meta.get("uid")
    return (
        isinstance(labels, dict)
        and bool(uid)
        and uid
        in (
            labels.get(_JOB_UID_LABEL),
            labels.get("controller-uid"),
        )
    )


def _generate_job_selector(spec: Obj, meta: Obj) -> None:
    """The selector and pod labels kube generates, keyed by the Job's uid (set by the caller)."""
    template = child(spec, "template")
    template_meta = child(template, "metadata") if template is not None else None
    labels = child(template_meta, "labels") if template_meta is not None else None
    if labels is None:
        return
    name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    uid = meta.get("uid") if isinstance(meta.get("uid"), str) else ""
    for key in ("job-name", _JOB_NAME_LABEL):
        labels.setdefault(key, name)
    for key in ("controller-uid", _JOB_UID_LABEL):
        labels.setdefault(key, uid)
    selector = child(spec, "selector")
    match_labels = child(selector, "matchLabels") if selector is not None else None
    if match_labels is not None:
        match_labels.setdefault(_JOB_UID_LABEL, uid)


def _cron_job(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    default_str(spec, "concurrencyPolicy", "Allow")
    default(spec, "suspend", False)
    default(spec, "successfulJobsHistoryLimit", 3)
    default(spec, "failedJobsHistoryLimit", 1)
    job_template = child(spec, "jobTemplate")
    job_spec = child(job_template, "spec") if job_template is not None else None
    if job_spec is not None:
        _job_spec(job_spec)


# --- core ------------------------------------------------------------------------------------


def _pod(obj: Obj) -> None:
    defaults_pods.pod(obj)


def _service(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    default_str(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig")
        client_ip = config.get("clientIP") if isinstance(config, dict) else None
        if not isinstance(client_ip, dict) or client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    default_str(spec, "type", "ClusterIP")
    kind = spec["type"]
    for port in dicts(spec.get("ports")):
        default_str(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, "") and port.get("port") is not None:
            port["targetPort"] = port["port"]
    external = kind in ("NodePort", "LoadBalancer") or (
        kind == "ClusterIP" and bool(spec.get("externalIPs"))
    )
    if external:
        default_str(spec, "externalTrafficPolicy", "Cluster")
    if kind in ("NodePort", "LoadBalancer", "ClusterIP"):
        default(spec, "internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        default(spec, "allocateLoadBalancerNodePorts", True)
        status = obj.get("status")
        balancer = status.get("loadBalancer") if isinstance(status, dict) else None
        for ingress in dicts(balancer.get("ingress") if isinstance(balancer, dict) else None):
            if ingress.get("ip"):
                default(ingress, "ipMode", "VIP")
    if kind != "ExternalName":
        # What the IP allocator records for a single-stack IPv4 cluster. A headless Service
        # without a selector asks for both families, as kube does.
        headless = spec.get("clusterIP") == "None" or spec.get("clusterIPs") == ["None"]
        policy = "RequireDualStack" if headless and not spec.get("selector") else "SingleStack"
        default(spec, "ipFamilyPolicy", policy)
        if not spec.get("ipFamilies"):
            spec["ipFamilies"] = ["IPv4"]


def _namespace(obj: Obj) -> None:
    meta = child(obj, "metadata")
    if meta is None:
        return
    name = meta.get("name")
    if isinstance(name, str) and name:
        labels = child(meta, "labels")
        if labels is not None:
            labels["kubernetes.io/metadata.name"] = name
    # Kube adds the finalizer on create only and lets /finalize remove it; a namespace being
    # deleted therefore never gets it back here.
    spec = _spec(obj)
    if spec is not None and spec.get("finalizers") is None and not meta.get("deletionTimestamp"):
        spec["finalizers"] = ["kubernetes"]


def _secret(obj: Obj) -> None:
    default_str(obj, "type", "Opaque")
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = child(obj, "data")
        if data is not None:
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()


def _persistent_volume(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    default_str(spec, "persistentVolumeReclaimPolicy", "Retain")
    default(spec, "volumeMode", "Filesystem")
    host_path = spec.get("hostPath")
    if isinstance(host_path, dict):
        default(host_path, "type", "")


def _persistent_volume_claim(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is not None:
        default(spec, "volumeMode", "Filesystem")


def _endpoints(obj: Obj) -> None:
    for subset in dicts(obj.get("subsets")):
        for port in dicts(subset.get("ports")):
            default_str(port, "protocol", "TCP")


_DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("", "Pod"): _pod,
    ("", "Service"): _service,
    ("", "Namespace"): _namespace,
    ("", "Secret"): _secret,
    ("", "PersistentVolume"): _persistent_volume,
    ("", "PersistentVolumeClaim"): _persistent_volume_claim,
    ("", "Endpoints"): _endpoints,
    ("", "ReplicationController"): _replication_controller,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("apps", "StatefulSet"): _stateful_set,
    ("apps", "DaemonSet"): _daemon_set,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cron_job,
    **defaults_groups.DEFAULTERS,
}


# --- initial status --------------------------------------------------------------------------

# Status fields Go always serializes (no `omitempty`), so a new object shows them as zero.
_ZERO_STATUS: dict[tuple[str, str], Obj] = {
    ("", "Service"): {"loadBalancer": {}},
    ("networking.k8s.io", "Ingress"): {"loadBalancer": {}},
    ("", "Namespace"): {"phase": "Active"},
    ("", "PersistentVolume"): {"phase": "Pending"},
    ("", "PersistentVolumeClaim"): {"phase": "Pending"},
    ("", "ReplicationController"): {"replicas": 0},
    ("apps", "ReplicaSet"): {"replicas": 0},
    ("apps", "StatefulSet"): {"replicas": 0, "availableReplicas": 0},
    ("apps", "DaemonSet"): {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    },
    ("autoscaling", "HorizontalPodAutoscaler"): {"desiredReplicas": 0},
    ("policy", "PodDisruptionBudget"): {
        "disruptionsAllowed": 0,
        "currentHealthy": 0,
        "desiredHealthy": 0,
        "expectedPods": 0,
    },
}


def initial_status(resource: ResourceType, obj: Obj | None = None) -> Obj | None:
    """The status a new object starts with; None for kinds without a status subresource.

    `obj` (the defaulted object being created) refines two kinds: a Pod's QoS class and a
    CRD's stored version.
    """
    if not resource.has_status():
        return None
    if not resource.builtin:
        return {}
    key = (resource.group, resource.kind)
    if key == ("", "Pod"):
        spec = obj.get("spec") if isinstance(obj, dict) else None
        spec = spec if isinstance(spec, dict) else {}
        return {"phase": "Pending", "qosClass": defaults_pods.qos_class(spec)}
    if key == ("apiextensions.k8s.io", "CustomResourceDefinition"):
        spec = obj.get("spec") if isinstance(obj, dict) else None
        versions = dicts(spec.get("versions")) if isinstance(spec, dict) else []
        stored = [v.get("name") for v in versions if v.get("storage") is True][:1]
        return {"acceptedNames": {"kind": "", "plural": ""}, "storedVersions": stored}
    zero = _ZERO_STATUS.get(key)
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in zero.items()} if zero else {}
