"""Updates get kube-apiserver 1.32's 422 (every problem, in its words) where kube lets nothing
change, and pass where it does: immutable metadata, selectors, claims and specs, and the specs
kube refuses with its wording followed by a Go diff.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.apiserver.validation_objects import (
    bound_claim,
    changed,
    config_map,
    deployment,
    job,
    kind,
    message,
    meta,
    running_pod,
    sts,
    svc,
)

DELETING = meta(config_map(), deletionTimestamp="2026-01-01T00:00:00Z", finalizers=["a.io/x"])

# (id, old, new, the exact 422 message or None when the update is allowed)
UPDATES = [
    ("name-immutable", config_map(), meta(config_map(), name="other"),
     'ConfigMap "other" is invalid: metadata.name: Invalid value: "other": field is immutable'),
    ("uid-immutable", config_map(), meta(config_map(), uid="1234"),
     'ConfigMap "settings" is invalid: metadata.uid: Invalid value: "1234": field is immutable'),
    ("generation-not-decremented", meta(deployment(), generation=3),
     meta(deployment(), generation=2),
     'Deployment.apps "web" is invalid: metadata.generation: Invalid value: 2: must not be '
     "decremented"),
    ("no-new-finalizers-while-deleting", DELETING,
     meta(DELETING, finalizers=["a.io/x", "b.io/y"]),
     'ConfigMap "settings" is invalid: metadata.finalizers: Forbidden: no new finalizers can be '
     'added if the object is being deleted, found new finalizers []string{"b.io/y"}'),
    ("finalizers-may-go-while-deleting", DELETING, meta(DELETING, finalizers=[]), None),
    ("deployment-selector-immutable", deployment(),
     changed(changed(deployment(), "spec.selector.matchLabels.v", "2"),
             "spec.template.metadata.labels.v", "2"),
     'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{'
     'MatchLabels:map[string]string{"app":"web", "v":"2"}, '
     "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"),
    ("deployment-template-may-change", deployment(),
     changed(deployment(), "spec.template.spec.containers.0.image", "nginx:1.28"), None),
    ("statefulset-service-name-immutable", sts(), changed(sts(), "spec.serviceName", "db2"),
     'StatefulSet.apps "db" is invalid: spec: Forbidden: updates to statefulset spec for fields '
     "other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
     "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"),
    ("statefulset-may-scale", sts(), changed(sts(), "spec.replicas", 5), None),
    ("service-cluster-ip-immutable", svc(ports=[{"port": 80}], clusterIP="10.96.0.10"),
     svc(ports=[{"port": 80}], clusterIP="10.96.0.11"),
     'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: '
     "may not change once set"),
    ("configmap-immutable-data", config_map(data={"a": "1"}, immutable=True),
     config_map(data={"a": "2"}, immutable=True),
     'ConfigMap "settings" is invalid: data: Forbidden: field is immutable when `immutable` is '
     "set"),
    ("configmap-mutable-data", config_map(data={"a": "1"}), config_map(data={"a": "2"}), None),
    ("secret-type-immutable", kind("v1", "Secret", "s", data={}),
     kind("v1", "Secret", "s", type="kubernetes.io/basic-auth", data={"username": "dQ=="}),
     'Secret "s" is invalid: type: Invalid value: "kubernetes.io/basic-auth": field is immutable'),
    ("bound-claim-may-grow", bound_claim("1Gi"), bound_claim("2Gi"), None),
    ("claim-may-not-shrink", bound_claim("2Gi"), bound_claim("1Gi"),
     'PersistentVolumeClaim "data" is invalid: spec.resources.requests.storage: Forbidden: field '
     "can not be less than previous value"),
    ("pod-image-may-change", running_pod(),
     changed(running_pod(), "spec.containers.0.image", "a:2"), None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "expected"), [pytest.param(o, n, e, id=i) for i, o, n, e in UPDATES]
)
def test_updates_change_only_what_kube_lets_change(
    old: dict[str, Any], new: dict[str, Any], expected: str | None
) -> None:
    assert message(new, old) == expected


# (id, old, new, start of the exact message: kube appends a Go diff after it)
FORBIDDEN_WITH_DIFF = [
    ("job-template-immutable", job(),
     changed(job(), "spec.template.spec.containers.0.image", "busybox:1.37"),
     'Job.batch "migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{'),
    ("pod-spec-mostly-immutable", running_pod(),
     changed(running_pod(), "spec.containers.0.env", []),
     'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than '
     "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
     "`spec.tolerations` (only additions to existing tolerations),"
     "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
     "negative)\n"),
    ("claim-spec-immutable", bound_claim("1Gi"),
     bound_claim("1Gi", storageClassName="fast"),
     'PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation '
     "except resources.requests for bound claims\n"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "start"), [pytest.param(o, n, s, id=i) for i, o, n, s in FORBIDDEN_WITH_DIFF]
)
def test_immutable_specs_are_refused_with_kubes_wording(
    old: dict[str, Any], new: dict[str, Any], start: str
) -> None:
    result = message(new, old)
    assert result is not None and result.startswith(start), result
