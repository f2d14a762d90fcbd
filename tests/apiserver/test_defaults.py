"""Defaulting fills what kube-apiserver 1.32 fills, only that, and only once."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from gitferry.apiserver import catalog, defaults
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.defaults import pods as defaults_pods

CATALOG = catalog.Catalog()
UID = "3c7a1e8e-5b2f-4d5e-9a61-0c1d2e3f4a5b"
EXAMPLE_APPS = ("guestbook", "sock-shop", "pre-post-sync", "helm-hooks", "sync-waves")


def resource_of(obj: dict[str, Any]) -> ResourceType:
    group = obj["apiVersion"].rpartition("/")[0]
    found = CATALOG.by_kind(group, obj["kind"])
    assert found is not None, obj["kind"]
    return found


def defaulted(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    defaults.apply_defaults(resource_of(out), out)
    return out


def at(obj: Any, path: str) -> Any:
    """The value at a dotted path with `[i]` indexes (KeyError when absent)."""
    for part in path.replace("[", ".[").split("."):
        obj = obj[int(part[1:-1])] if part.startswith("[") else obj[part]
    return obj


def pod_spec(**spec: Any) -> dict[str, Any]:
    return {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec}


def workload(kind: str, spec: dict[str, Any], api: str = "apps/v1") -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec()}
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "web", "namespace": "default", "uid": UID},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template, **spec},
    }


def unselected(obj: dict[str, Any]) -> dict[str, Any]:
    del obj["spec"]["selector"]
    return obj


def service(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec},
    }


def pod(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": pod_spec(**spec)}


CRONJOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "c", "namespace": "default"},
    "spec": {
        "schedule": "*/5 * * * *",
        "jobTemplate": {"spec": {"template": {"spec": pod_spec(restartPolicy="Never")}}},
    },
}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}
TEMPLATE = "spec.template.spec"
CONTAINER = f"{TEMPLATE}.containers[0]"

# (id, manifest, path, value after defaulting)
FILLED = [
    ("deployment-replicas-1", workload("Deployment", {}), "spec.replicas", 1),
    ("deployment-rolling-update-25-percent", workload("Deployment", {}), "spec.strategy",
     {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}),
    ("deployment-recreate-gets-no-rolling-update", workload("Deployment", {"strategy": {
        "type": "Recreate"}}), "spec.strategy", {"type": "Recreate"}),
    ("deployment-revision-history-10", workload("Deployment", {}), "spec.revisionHistoryLimit", 10),
    ("deployment-progress-deadline-600", workload("Deployment", {}),
     "spec.progressDeadlineSeconds", 600),
    ("template-restart-always", workload("Deployment", {}), f"{TEMPLATE}.restartPolicy", "Always"),
    ("template-dns-cluster-first", workload("Deployment", {}), f"{TEMPLATE}.dnsPolicy",
     "ClusterFirst"),
    ("template-default-scheduler", workload("Deployment", {}), f"{TEMPLATE}.schedulerName",
     "default-scheduler"),
    ("template-security-context-empty", workload("Deployment", {}),
     f"{TEMPLATE}.securityContext", {}),
    ("template-grace-period-30", workload("Deployment", {}),
     f"{TEMPLATE}.terminationGracePeriodSeconds", 30),
    ("container-pull-if-not-present-for-tag", workload("Deployment", {}),
     f"{CONTAINER}.imagePullPolicy", "IfNotPresent"),
    ("container-termination-message-path", workload("Deployment", {}),
     f"{CONTAINER}.terminationMessagePath", "/dev/termination-log"),
    ("container-termination-message-policy", workload("Deployment", {}),
     f"{CONTAINER}.terminationMessagePolicy", "File"),
    ("container-resources-empty", workload("Deployment", {}), f"{CONTAINER}.resources", {}),
    ("replicaset-replicas-1", workload("ReplicaSet", {}), "spec.replicas", 1),
    ("statefulset-ordered-ready", workload("StatefulSet", {}), "spec.podManagementPolicy",
     "OrderedReady"),
    ("statefulset-rolling-update-partition-0", workload("StatefulSet", {}),
     "spec.updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
    ("statefulset-explicit-rolling-update-stays-bare", workload("StatefulSet", {
        "updateStrategy": {"type": "RollingUpdate"}}), "spec.updateStrategy",
     {"type": "RollingUpdate"}),
    ("statefulset-pvc-retention-retain", workload("StatefulSet", {}),
     "spec.persistentVolumeClaimRetentionPolicy",
     {"whenDeleted": "Retain", "whenScaled": "Retain"}),
    ("statefulset-claim-template-filesystem", workload("StatefulSet", {"volumeClaimTemplates": [
        {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}),
     "spec.volumeClaimTemplates[0].spec.volumeMode", "Filesystem"),
    ("daemonset-rolling-update-1-0", workload("DaemonSet", {}), "spec.updateStrategy",
     {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
    ("daemonset-revision-history-10", workload("DaemonSet", {}), "spec.revisionHistoryLimit", 10),
    ("job-backoff-limit-6", workload("Job", {}, "batch/v1"), "spec.backoffLimit", 6),
    ("job-completions-and-parallelism-1", workload("Job", {}, "batch/v1"), "spec.completions", 1),
    ("job-non-indexed", workload("Job", {}, "batch/v1"), "spec.completionMode", "NonIndexed"),
    ("job-not-suspended", workload("Job", {}, "batch/v1"), "spec.suspend", False),
    ("job-replacement-terminating-or-failed", workload("Job", {}, "batch/v1"),
     "spec.podReplacementPolicy", "TerminatingOrFailed"),
    ("job-replacement-failed-with-failure-policy", workload("Job", {"podFailurePolicy": {
        "rules": []}}, "batch/v1"), "spec.podReplacementPolicy", "Failed"),
    ("job-manual-selector-false", workload("Job", {}, "batch/v1"), "spec.manualSelector", False),
    ("job-generated-selector", unselected(workload("Job", {}, "batch/v1")), "spec.selector",
     {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}),
    ("job-generated-template-labels", workload("Job", {}, "batch/v1"),
     "spec.template.metadata.labels", {"app": "web", "job-name": "web",
                                       "batch.kubernetes.io/job-name": "web",
                                       "controller-uid": UID,
                                       "batch.kubernetes.io/controller-uid": UID}),
    ("cronjob-concurrency-allow", CRONJOB, "spec.concurrencyPolicy", "Allow"),
    ("cronjob-not-suspended", CRONJOB, "spec.suspend", False),
    ("cronjob-keeps-3-successful", CRONJOB, "spec.successfulJobsHistoryLimit", 3),
    ("cronjob-keeps-1-failed", CRONJOB, "spec.failedJobsHistoryLimit", 1),
    ("cronjob-job-template-pod-defaults", CRONJOB,
     "spec.jobTemplate.spec.template.spec.dnsPolicy", "ClusterFirst"),
    ("service-cluster-ip-type", service(), "spec.type", "ClusterIP"),
    ("service-session-affinity-none", service(), "spec.sessionAffinity", "None"),
    ("service-port-tcp-and-target", service(), "spec.ports", [
        {"port": 80, "protocol": "TCP", "targetPort": 80}]),
    ("service-single-stack-ipv4", service(), "spec.ipFamilies", ["IPv4"]),
    ("service-ip-family-policy", service(), "spec.ipFamilyPolicy", "SingleStack"),
    ("service-internal-traffic-cluster", service(), "spec.internalTrafficPolicy", "Cluster"),
    ("service-node-port-external-traffic", service(type="NodePort"),
     "spec.externalTrafficPolicy", "Cluster"),
    ("service-load-balancer-allocates-node-ports", service(type="LoadBalancer"),
     "spec.allocateLoadBalancerNodePorts", True),
    ("service-headless-without-selector-requires-dual-stack", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "h"},
        "spec": {"clusterIP": "None"}}, "spec.ipFamilyPolicy", "RequireDualStack"),
    ("service-client-ip-affinity-timeout", service(sessionAffinity="ClientIP"),
     "spec.sessionAffinityConfig", {"clientIP": {"timeoutSeconds": 10800}}),
    ("pod-enable-service-links", pod(), "spec.enableServiceLinks", True),
    ("pod-untagged-image-pulls-always", {**pod(), "spec": {"containers": [
        {"name": "a", "image": "nginx"}]}}, "spec.containers[0].imagePullPolicy", "Always"),
    ("pod-requests-from-limits", {**pod(), "spec": {"containers": [
        {"name": "a", "image": "x:1", "resources": {"limits": {"cpu": "1"}}}]}},
     "spec.containers[0].resources", {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}),
    ("pod-probe-defaults", {**pod(), "spec": {"containers": [
        {"name": "a", "image": "x:1", "readinessProbe": {"httpGet": {"port": 80}}}]}},
     "spec.containers[0].readinessProbe", {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                                            "timeoutSeconds": 1, "periodSeconds": 10,
                                            "successThreshold": 1, "failureThreshold": 3}),
    ("pod-volume-without-source-is-empty-dir", pod(volumes=[{"name": "tmp"}]),
     "spec.volumes[0]", {"name": "tmp", "emptyDir": {}}),
    ("pod-config-map-volume-mode-420", pod(volumes=[{"name": "c", "configMap": {"name": "c"}}]),
     "spec.volumes[0].configMap.defaultMode", 420),
    ("pod-env-field-ref-api-version", {**pod(), "spec": {"containers": [
        {"name": "a", "image": "x:1", "env": [
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}]}]}},
     "spec.containers[0].env[0].valueFrom.fieldRef.apiVersion", "v1"),
    ("namespace-finalizer", NAMESPACE, "spec.finalizers", ["kubernetes"]),
    ("namespace-name-label", NAMESPACE, "metadata.labels", {"kubernetes.io/metadata.name": "prod"}),
    ("secret-opaque", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}, "type",
     "Opaque"),
    ("secret-string-data-folded-into-data", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
        "data": {"a": "YQ=="}, "stringData": {"a": "new", "b": "b"}},
     "data", {"a": "bmV3", "b": "Yg=="}),
    ("pvc-filesystem", {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                        "metadata": {"name": "d"}, "spec": {}}, "spec.volumeMode", "Filesystem"),
    ("pv-retain-filesystem", {"apiVersion": "v1", "kind": "PersistentVolume",
                              "metadata": {"name": "v"}, "spec": {}},
     "spec", {"persistentVolumeReclaimPolicy": "Retain", "volumeMode": "Filesystem"}),
    ("crd-conversion-none", {"apiVersion": "apiextensions.k8s.io/v1",
                             "kind": "CustomResourceDefinition", "metadata": {"name": "ws.x.io"},
                             "spec": {"names": {"kind": "W", "plural": "ws"}}},
     "spec", {"names": {"kind": "W", "plural": "ws", "singular": "w", "listKind": "WList"},
              "conversion": {"strategy": "None"}}),
    ("hpa-min-replicas-and-cpu-metric", {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h"}, "spec": {"maxReplicas": 5}}, "spec.metrics[0].resource.target",
     {"type": "Utilization", "averageUtilization": 80}),
    ("rolebinding-subject-api-group", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "b"}, "roleRef": {"kind": "Role", "name": "r"},
        "subjects": [{"kind": "User", "name": "u"}]},
     "subjects[0].apiGroup", "rbac.authorization.k8s.io"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("manifest", "path", "expected"),
    [pytest.param(m, p, e, id=i) for i, m, p, e in FILLED],
)
def test_defaults_fill_what_kube_fills(manifest: dict[str, Any], path: str, expected: Any) -> None:
    assert at(defaulted(manifest), path) == expected


@pytest.mark.parametrize(
    ("manifest", "absent"),
    [
        pytest.param(workload("Deployment", {}), f"{TEMPLATE}.enableServiceLinks",
                     id="templates-get-no-service-links"),
        pytest.param(service(type="ExternalName", externalName="x.example.com"), "spec.ipFamilies",
                     id="external-name-gets-no-ip-families"),
        pytest.param(service(), "spec.externalTrafficPolicy",
                     id="cluster-ip-gets-no-external-traffic-policy"),
        pytest.param(unselected(workload("Job", {"manualSelector": True}, "batch/v1")),
                     "spec.selector", id="manual-selector-job-gets-no-generated-selector"),
        pytest.param({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                      "stringData": {"a": "b"}}, "stringData", id="secret-string-data-dropped"),
        pytest.param({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": "gone", "deletionTimestamp": "2026-01-01T00:00:00Z"}, "spec": {}},
            "spec.finalizers", id="deleting-namespace-gets-no-finalizer-back"),
        pytest.param({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
                     "data", id="configmap-gets-nothing"),
        pytest.param(workload("Job", {"parallelism": 3}, "batch/v1"), "spec.completions",
                     id="job-with-only-parallelism-is-a-work-queue"),
        pytest.param(CRONJOB, "spec.jobTemplate.spec.backoffLimit",
                     id="cronjob-job-template-gets-no-job-defaults"),
    ],
)  # fmt: skip
def test_defaults_leave_alone_what_kube_leaves_alone(manifest: dict[str, Any], absent: str) -> None:
    with pytest.raises(KeyError):
        at(defaulted(manifest), absent)


def test_job_labels_copied_from_its_generated_template_labels() -> None:
    job = defaulted(workload("Job", {}, "batch/v1"))
    assert job["metadata"]["labels"] == job["spec"]["template"]["metadata"]["labels"]


def test_custom_resources_get_no_defaults() -> None:
    crd_type = catalog.ResourceType(
        group="example.com", version="v1", kind="Widget", plural="widgets", singular="widget",
        namespaced=True, builtin=False,
    )  # fmt: skip
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    defaults.apply_defaults(crd_type, obj)
    assert obj == {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}


# (id, image, pull policy)
IMAGES = [
    ("untagged", "nginx", "Always"),
    ("latest", "nginx:latest", "Always"),
    ("tagged", "nginx:1.27", "IfNotPresent"),
    ("registry-port-untagged", "localhost:5000/team/app", "Always"),
    ("registry-port-tagged", "localhost:5000/team/app:v2", "IfNotPresent"),
    ("digest-only", "nginx@sha256:" + "a" * 64, "IfNotPresent"),
    ("latest-with-digest", "nginx:latest@sha256:" + "a" * 64, "Always"),
    ("unparsable-uppercase", "Nginx", "IfNotPresent"),
    ("empty", "", "IfNotPresent"),
]


@pytest.mark.parametrize(("image", "policy"), [pytest.param(m, p, id=i) for i, m, p in IMAGES])
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    assert defaults_pods.pull_policy(image) == policy


@given(
    st.from_regex(r"[a-z0-9]{1,10}(/[a-z0-9]{1,8})?", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True),
)
def test_only_the_latest_tag_pulls_always(name: str, tag: str) -> None:
    expected = "Always" if tag == "latest" else "IfNotPresent"
    assert defaults_pods.pull_policy(f"{name}:{tag}") == expected


# (id, kind key (group, kind), object or None, initial status)
STATUSES = [
    ("deployment-empty", ("apps", "Deployment"), None, {}),
    ("service-load-balancer", ("", "Service"), None, {"loadBalancer": {}}),
    ("ingress-load-balancer", ("networking.k8s.io", "Ingress"), None, {"loadBalancer": {}}),
    ("namespace-active", ("", "Namespace"), None, {"phase": "Active"}),
    ("pvc-pending", ("", "PersistentVolumeClaim"), None, {"phase": "Pending"}),
    ("replicaset-zero-replicas", ("apps", "ReplicaSet"), None, {"replicas": 0}),
    ("statefulset-zero-replicas", ("apps", "StatefulSet"), None,
     {"replicas": 0, "availableReplicas": 0}),
    ("job-empty", ("batch", "Job"), None, {}),
    ("configmap-has-none", ("", "ConfigMap"), None, None),
    ("pod-best-effort", ("", "Pod"), pod(), {"phase": "Pending", "qosClass": "BestEffort"}),
    ("pod-guaranteed-from-limits", ("", "Pod"), defaulted({**pod(), "spec": {"containers": [
        {"name": "a", "image": "x:1",
         "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}}]}}),
     {"phase": "Pending", "qosClass": "Guaranteed"}),
    ("pod-burstable", ("", "Pod"), {**pod(), "spec": {"containers": [
        {"name": "a", "image": "x:1", "resources": {"requests": {"cpu": "0.1"}}}]}},
     {"phase": "Pending", "qosClass": "Burstable"}),
    ("crd-stored-version", ("apiextensions.k8s.io", "CustomResourceDefinition"),
     {"spec": {"versions": [{"name": "v1beta1", "storage": False},
                            {"name": "v1", "storage": True}]}},
     {"acceptedNames": {"kind": "", "plural": ""}, "storedVersions": ["v1"]}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "obj", "expected"), [pytest.param(k, o, e, id=i) for i, k, o, e in STATUSES]
)
def test_initial_status_has_the_fields_go_always_serializes(
    key: tuple[str, str], obj: dict[str, Any] | None, expected: dict[str, Any] | None
) -> None:
    resource = CATALOG.by_kind(*key)
    assert resource is not None
    assert defaults.initial_status(resource, obj) == expected


def test_live_nginx_deployment_is_its_manifest_defaulted(corpus: Path) -> None:
    """A Deployment stored by a real cluster equals the minimal manifest, defaulted."""
    live = yaml.safe_load(
        (corpus / "argocd-health-testdata/deployment-healthy-nginx.yaml").read_text()
    )
    manifest = workload("Deployment", {"revisionHistoryLimit": 2})
    manifest["spec"]["selector"] = {"matchLabels": {"app": "nginx"}}
    manifest["spec"]["template"] = {
        "metadata": {"labels": {"app": "nginx"}},
        "spec": {"containers": [{"image": "nginx:1.7.9", "name": "nginx",
                                 "ports": [{"containerPort": 80}]}]},
    }  # fmt: skip
    live["spec"]["template"]["metadata"].pop("creationTimestamp")
    assert defaulted(manifest)["spec"] == live["spec"]


def _documents(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(folder.rglob("*.yaml")):
        if path.name in ("kustomization.yaml", "Chart.yaml") or "templates" in path.parts:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and "kind" in doc and "apiVersion" in doc:
                docs.append(doc)
    return docs


def _known(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kinds = {(r.group, r.kind) for r in CATALOG.all()}
    return [d for d in docs if (d["apiVersion"].rpartition("/")[0], d["kind"]) in kinds]


def test_defaulting_example_apps_is_idempotent(corpus: Path) -> None:
    docs = _known(
        [d for app in EXAMPLE_APPS for d in _documents(corpus / "argocd-example-apps" / app)]
    )
    assert len(docs) > 30
    for doc in docs:
        doc.setdefault("metadata", {})["uid"] = UID
        once = defaulted(doc)
        assert defaulted(once) == once, doc["metadata"]


def _contains(whole: Any, part: Any) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            k in whole and _contains(whole[k], v) for k, v in part.items()
        )
    if isinstance(part, list):
        return (
            isinstance(whole, list)
            and len(whole) == len(part)
            and all(_contains(w, p) for w, p in zip(whole, part, strict=True))
        )
    return bool(whole == part)


def test_live_objects_only_gain_fields(corpus: Path) -> None:
    """Objects a real cluster stored keep every value they have; defaulting twice is a no-op."""
    docs = _known(_documents(corpus / "argocd-health-testdata"))
    assert len(docs) > 20
    for doc in docs:
        once = defaulted(doc)
        assert _contains(once, doc), doc["metadata"]["name"]
        assert defaulted(once) == once
