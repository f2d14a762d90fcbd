"""Bad objects get kube-apiserver 1.32's 422 (every problem, in its words); good ones pass."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitferry.apiserver import catalog, decode, defaults, errors, schema, validation
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.validation import meta as validation_meta

CATALOG = catalog.Catalog()
UID = "3c7a1e8e-5b2f-4d5e-9a61-0c1d2e3f4a5b"
SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_RULE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_RULE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
CONFIG_KEY_RULE = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)


def resource_of(obj: dict[str, Any]) -> ResourceType:
    found = CATALOG.by_kind(obj["apiVersion"].rpartition("/")[0], obj["kind"])
    assert found is not None, obj["kind"]
    return found


def prepared(obj: dict[str, Any]) -> dict[str, Any]:
    """What the write pipeline hands to validation: namespaced, with a uid, defaulted."""
    out = copy.deepcopy(obj)
    resource = resource_of(out)
    meta = out.setdefault("metadata", {})
    if resource.namespaced:
        meta.setdefault("namespace", "default")
    meta.setdefault("uid", UID)
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + "x7k2p"
    defaults.apply_defaults(resource, out)
    return out


def message(obj: dict[str, Any], old: dict[str, Any] | None = None) -> str | None:
    """The 422 message validating `obj` (an update of `old`) gives, or None when it passes."""
    new = prepared(obj)
    try:
        validation.validate(resource_of(new), new, prepared(old) if old is not None else None)
    except errors.ApiError as err:
        assert err.code == 422 and err.reason == "Invalid"
        return err.message
    return None


def deployment(name: str = "web", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
            **spec,
        },
    }


def with_containers(*containers: dict[str, Any], **pod_spec: Any) -> dict[str, Any]:
    obj = deployment()
    obj["spec"]["template"]["spec"] = {"containers": list(containers), **pod_spec}
    return obj


def kind(api: str, kind_name: str, name: str, **body: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind_name, "metadata": {"name": name}, **body}


def job(restart: str | None = "Never", **spec: Any) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [{"name": "run", "image": "busybox:1.36"}]}
    if restart:
        pod_spec["restartPolicy"] = restart
    return kind("batch/v1", "Job", "migrate", spec={"template": {"spec": pod_spec}, **spec})


def cron_job(name: str = "nightly", schedule: str = "0 3 * * *") -> dict[str, Any]:
    template = job("OnFailure")["spec"]["template"]
    spec = {"schedule": schedule, "jobTemplate": {"spec": {"template": template}}}
    return kind("batch/v1", "CronJob", name, spec=spec)


def svc(**spec: Any) -> dict[str, Any]:
    return kind("v1", "Service", "web", spec={"selector": {"app": "web"}, **spec})


def config_map(name: str = "settings", **body: Any) -> dict[str, Any]:
    return kind("v1", "ConfigMap", name, **body)


def meta(obj: dict[str, Any], **fields: Any) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"].update(fields)
    return obj


def changed(obj: dict[str, Any], path: str | tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy with `value` at `path` (dotted, or a tuple of keys and indexes)."""
    obj = copy.deepcopy(obj)
    target: Any = obj
    *parents, last = path.split(".") if isinstance(path, str) else path
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    target[int(last) if isinstance(target, list) else last] = value
    return obj


TEMPLATE = "spec.template.spec"
LONG = "a" * 254

# (id, object, the exact 422 message)
INVALID = [
    ("subdomain-name", deployment("Bad_Name"),
     f'Deployment.apps "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
     f"{SUBDOMAIN_RULE}"),
    ("subdomain-name-too-long", config_map(LONG),
     f'ConfigMap "{LONG}" is invalid: metadata.name: Invalid value: "{LONG}": '
     "must be no more than 253 characters"),
    ("name-or-generate-name-required", config_map(""),
     'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'),
    ("namespace-name-is-a-label", kind("v1", "Namespace", "Prod"),
     f'Namespace "Prod" is invalid: metadata.name: Invalid value: "Prod": {LABEL_RULE}'),
    ("namespace-name-without-dots", kind("v1", "Namespace", "team.a"),
     'Namespace "team.a" is invalid: metadata.name: Invalid value: "team.a": '
     "must not contain dots"),
    ("service-name-is-dns1035", meta(svc(ports=[{"port": 80}]), name="1web"),
     f'Service "1web" is invalid: metadata.name: Invalid value: "1web": {DNS1035_RULE}'),
    ("role-name-is-a-path-segment", kind("rbac.authorization.k8s.io/v1", "Role", "a/b"),
     'Role.rbac.authorization.k8s.io "a/b" is invalid: metadata.name: Invalid value: "a/b": '
     "may not contain '/'"),
    ("crd-name-is-plural-dot-group", kind(
        "apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.org",
        spec={"group": "example.com", "names": {"plural": "widgets", "kind": "Widget"}}),
     'CustomResourceDefinition.apiextensions.k8s.io "widgets.example.org" is invalid: '
     'metadata.name: Invalid value: "widgets.example.org": '
     'must be spec.names.plural+"."+spec.group'),
    ("cronjob-name-at-most-52", cron_job("n" * 53),
     f'CronJob.batch "{"n" * 53}" is invalid: metadata.name: Invalid value: "{"n" * 53}": '
     "must be no more than 52 characters"),
    ("label-value", meta(config_map(), labels={"tier": "front end"}),
     'ConfigMap "settings" is invalid: metadata.labels: Invalid value: "front end": a valid label '
     "must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
     "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
     "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
    ("label-key-prefix", meta(config_map(), labels={"Example.com/tier": "web"}),
     'ConfigMap "settings" is invalid: metadata.labels: Invalid value: "Example.com/tier": '
     f"prefix part {SUBDOMAIN_RULE}"),
    ("annotations-too-large", meta(config_map(), annotations={"big": "x" * 262142}),
     'ConfigMap "settings" is invalid: metadata.annotations: Too long: '
     "may not be more than 262144 bytes"),
    ("owner-reference-fields-required", meta(config_map(), ownerReferences=[
        {"apiVersion": "apps/", "kind": "", "name": "web", "uid": ""}]),
     'ConfigMap "settings" is invalid: [metadata.ownerReferences.apiVersion: Invalid value: '
     '"apps/": version must not be empty, metadata.ownerReferences.kind: Invalid value: "": kind '
     'must not be empty, metadata.ownerReferences.uid: Invalid value: "": uid must not be empty]'),
    ("finalizer-not-qualified", meta(config_map(), finalizers=["cleanup"]),
     'ConfigMap "settings" is invalid: metadata.finalizers[0]: Invalid value: "cleanup": name is '
     "neither a standard finalizer name nor is it fully qualified"),
    ("finalizers-orphan-and-foreground", meta(config_map(), finalizers=[
        "orphan", "foregroundDeletion"]),
     'ConfigMap "settings" is invalid: metadata.finalizers: Invalid value: []string{"orphan", '
     '"foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set'),
    ("selector-must-match-template", deployment(selector={"matchLabels": {"app": "api"}}),
     'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
     'map[string]string{"app":"web"}: `selector` does not match template `labels`'),
    ("negative-replicas", deployment(replicas=-1),
     'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or '
     "equal to 0"),
    ("recreate-with-rolling-update", deployment(strategy={
        "type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
     'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be '
     "specified when strategy `type` is 'Recreate'"),
    ("containers-required", with_containers(),
     f'Deployment.apps "web" is invalid: {TEMPLATE}.containers: Required value'),
    ("container-name-and-image-required", with_containers({"ports": [{"containerPort": 80}]}),
     f'Deployment.apps "web" is invalid: [{TEMPLATE}.containers[0].name: Required value, '
     f"{TEMPLATE}.containers[0].image: Required value]"),
    ("container-names-unique", with_containers(
        {"name": "app", "image": "a:1"}, {"name": "app", "image": "b:1"}),
     f'Deployment.apps "web" is invalid: {TEMPLATE}.containers[1].name: Duplicate value: "app"'),
    ("init-container-names-unique", with_containers(
        {"name": "app", "image": "a:1"}, initContainers=[{"name": "app", "image": "b:1"}]),
     f'Deployment.apps "web" is invalid: {TEMPLATE}.initContainers[0].name: Duplicate value: '
     '"app"'),
    ("container-port-range", with_containers({"name": "a", "image": "a:1", "ports": [
        {"containerPort": 70000, "protocol": "tcp"}]}),
     f'Deployment.apps "web" is invalid: [{TEMPLATE}.containers[0].ports[0].containerPort: '
     "Invalid value: 70000: must be between 1 and 65535, inclusive, "
     f'{TEMPLATE}.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: '
     '"SCTP", "TCP", "UDP"]'),
    ("mount-of-undeclared-volume", with_containers({"name": "a", "image": "a:1", "volumeMounts": [
        {"name": "data", "mountPath": "/data"}]}),
     f'Deployment.apps "web" is invalid: {TEMPLATE}.containers[0].volumeMounts[0].name: '
     'Not found: "data"'),
    ("pull-policy-supported", with_containers({"name": "a", "image": "a:1",
                                               "imagePullPolicy": "Sometimes"}),
     f'Deployment.apps "web" is invalid: {TEMPLATE}.containers[0].imagePullPolicy: Unsupported '
     'value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'),
    ("replica-template-restarts-always", with_containers({"name": "a", "image": "a:1"},
                                                          restartPolicy="Never"),
     f'Deployment.apps "web" is invalid: {TEMPLATE}.restartPolicy: Unsupported value: "Never": '
     'supported values: "Always"'),
    ("statefulset-selector-empty", kind("apps/v1", "StatefulSet", "db", spec={
        "selector": {}, "serviceName": "db", "template": {
            "metadata": {"labels": {"app": "db"}},
            "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}}),
     'StatefulSet.apps "db" is invalid: spec.selector: Invalid value: v1.LabelSelector{'
     "MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: "
     "empty selector is invalid for statefulset"),
    ("daemonset-without-selector-matches-nothing", kind("apps/v1", "DaemonSet", "agent", spec={
        "template": {"metadata": {"labels": {"app": "agent"}},
                     "spec": {"containers": [{"name": "a", "image": "a:1"}]}}}),
     'DaemonSet.apps "agent" is invalid: spec.template.metadata.labels: Invalid value: '
     'map[string]string{"app":"agent"}: `selector` does not match template `labels`'),
    ("job-default-restart-policy", job(restart=None),
     'Job.batch "migrate" is invalid: spec.template.spec.restartPolicy: Required value: '
     'valid values: "OnFailure", "Never"'),
    ("job-negative-backoff", job(backoffLimit=-2),
     'Job.batch "migrate" is invalid: spec.backoffLimit: Invalid value: -2: must be greater than '
     "or equal to 0"),
    ("job-template-labels-not-generated", job(template={"metadata": {"labels": {
        "job-name": "other"}}, "spec": {"containers": [{"name": "r", "image": "r:1"}],
                                        "restartPolicy": "Never"}}),
     'Job.batch "migrate" is invalid: spec.template.metadata.labels[job-name]: Invalid value: '
     'map[string]string{"batch.kubernetes.io/controller-uid":"' + UID + '", '
     '"batch.kubernetes.io/job-name":"migrate", "controller-uid":"' + UID + '", '
     '"job-name":"other"}: migrate'),
    ("job-selector-not-auto-generated", changed(job(selector={"matchLabels": {"app": "x"}}),
                                                "spec.template.metadata", {"labels": {"app": "x"}}),
     'Job.batch "migrate" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:'
     'map[string]string{"app":"x", "batch.kubernetes.io/controller-uid":"' + UID + '"}, '
     "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated"),
    ("cronjob-schedule-required", cron_job(schedule=""),
     'CronJob.batch "nightly" is invalid: spec.schedule: Required value'),
    ("cronjob-schedule-five-fields", cron_job(schedule="* * *"),
     'CronJob.batch "nightly" is invalid: spec.schedule: Invalid value: "* * *": expected exactly '
     "5 fields, found 3: [* * *]"),
    ("cronjob-schedule-range", cron_job(schedule="61 * * * *"),
     'CronJob.batch "nightly" is invalid: spec.schedule: Invalid value: "61 * * * *": end of '
     "range (61) above maximum (59): 61"),
    ("cronjob-schedule-no-tz", cron_job(schedule="TZ=UTC 0 3 * * *"),
     'CronJob.batch "nightly" is invalid: spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": '
     "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
    ("service-ports-required", svc(),
     'Service "web" is invalid: spec.ports: Required value'),
    ("service-ports-named-when-several", svc(ports=[{"port": 80}, {"port": 443}]),
     'Service "web" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: '
     "Required value]"),
    ("service-port-range", svc(ports=[{"port": 0, "targetPort": 8080}]),
     'Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and '
     "65535, inclusive"),
    ("service-type-supported", svc(ports=[{"port": 80}], type="Public"),
     'Service "web" is invalid: spec.type: Unsupported value: "Public": supported values: '
     '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'),
    ("external-name-required", svc(type="ExternalName"),
     'Service "web" is invalid: spec.externalName: Required value'),
    ("configmap-key", config_map(data={"a b": "1"}),
     f'ConfigMap "settings" is invalid: data[a b]: Invalid value: "a b": {CONFIG_KEY_RULE}'),
    ("configmap-key-in-both-bags", config_map(data={"k": "1"}, binaryData={"k": "MQ=="}),
     'ConfigMap "settings" is invalid: [data[k]: Invalid value: "k": duplicate of key present in '
     'binaryData, binaryData[k]: Invalid value: "k": duplicate of key present in data]'),
    ("tls-secret-keys", kind("v1", "Secret", "cert", type="kubernetes.io/tls", data={}),
     'Secret "cert" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]'),
    ("pvc-access-modes-and-storage", kind("v1", "PersistentVolumeClaim", "data", spec={}),
     'PersistentVolumeClaim "data" is invalid: [spec.accessModes: Required value: at least 1 '
     "access mode is required, spec.resources[storage]: Required value]"),
    ("ingress-path-type", kind("networking.k8s.io/v1", "Ingress", "web", spec={"rules": [
        {"http": {"paths": [{"path": "/", "backend": {"service": {"name": "web", "port": {
            "number": 80}}}}]}}]}),
     'Ingress.networking.k8s.io "web" is invalid: spec.rules[0].http.paths[0].pathType: '
     "Required value: pathType must be specified"),
]  # fmt: skip


@pytest.mark.parametrize(("obj", "expected"), [pytest.param(o, e, id=i) for i, o, e in INVALID])
def test_invalid_objects_get_kubes_422(obj: dict[str, Any], expected: str) -> None:
    assert message(obj) == expected


def running_pod() -> dict[str, Any]:
    return kind("v1", "Pod", "p", spec={"containers": [
        {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]}]})  # fmt: skip


def bound_claim(storage: str, **spec: Any) -> dict[str, Any]:
    return kind("v1", "PersistentVolumeClaim", "data", spec={
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}},
        "storageClassName": "standard", **spec}, status={"phase": "Bound"})  # fmt: skip


def sts(**spec: Any) -> dict[str, Any]:
    return kind("apps/v1", "StatefulSet", "db", spec={
        "selector": {"matchLabels": {"app": "db"}}, "serviceName": "db", "template": {
            "metadata": {"labels": {"app": "db"}},
            "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}, **spec})  # fmt: skip


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


def test_every_problem_is_a_cause_with_reason_and_field() -> None:
    obj = prepared(with_containers({"ports": [{"containerPort": 0}]}))
    with pytest.raises(errors.ApiError) as raised:
        validation.validate(resource_of(obj), obj, None)
    causes = (raised.value.details or {})["causes"]
    assert causes == [
        {"reason": "FieldValueRequired", "message": "Required value",
         "field": f"{TEMPLATE}.containers[0].name"},
        {"reason": "FieldValueRequired", "message": "Required value",
         "field": f"{TEMPLATE}.containers[0].image"},
        {"reason": "FieldValueRequired", "message": "Required value",
         "field": f"{TEMPLATE}.containers[0].ports[0].containerPort"},
    ]  # fmt: skip


def test_secret_data_that_is_not_base64_fails_to_decode() -> None:
    obj = prepared(kind("v1", "Secret", "s", data={"password": "hunter2!"}))
    with pytest.raises(errors.ApiError) as raised:
        validation.validate(resource_of(obj), obj, None)
    assert (raised.value.code, raised.value.reason) == (400, "BadRequest")
    assert raised.value.message == (
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 7'
    )


# (id, kind's resource, generateName prefix, problems)
PREFIXES = [
    ("trailing-dash-allowed", ("batch", "Job"), "upgrade-sql-schema-", []),
    ("bare-prefix-allowed", ("batch", "Job"), "upgrade-sql-schema", []),
    ("uppercase-refused", ("", "ConfigMap"), "Cfg-", [(
        "FieldValueInvalid", "metadata.generateName", f'Invalid value: "Cfg-": {SUBDOMAIN_RULE}')]),
    ("label-rule-for-namespaces", ("", "Namespace"), "team.a-", [(
        "FieldValueInvalid", "metadata.generateName",
        'Invalid value: "team.a-": must not contain dots')]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "prefix", "expected"), [pytest.param(k, p, e, id=i) for i, k, p, e in PREFIXES]
)
def test_generate_name_prefix_follows_the_name_rule(
    key: tuple[str, str], prefix: str, expected: list[tuple[str, str, str]]
) -> None:
    resource = CATALOG.by_kind(*key)
    assert resource is not None
    assert validation_meta.generate_name_prefix(resource, prefix) == expected


def _container(**extra: Any) -> dict[str, Any]:
    return {"name": "a", "image": "a:1", **extra}


# (id, object, unknown field paths in object order)
UNKNOWN = [
    ("all-known", deployment(), []),
    ("spec-field", deployment(replica=2), ["spec.replica"]),
    ("metadata-field", meta(deployment(), label={"a": "b"}), ["metadata.label"]),
    ("container-field-with-index", with_containers(_container(), _container(imagePolicy="x")),
     ["spec.template.spec.containers[1].imagePolicy"]),
    ("case-matters", changed(deployment(), "spec.Replicas", 2), ["spec.Replicas"]),
    ("several-in-object-order", changed(deployment(foo=1), "spec.template.bar", 2),
     ["spec.template.bar", "spec.foo"]),
    ("map-keys-are-free", meta(config_map(data={"any key": "v"}), labels={"x": "y"}), []),
    ("top-level", config_map(extra=True), ["extra"]),
]  # fmt: skip


@pytest.mark.parametrize(("obj", "expected"), [pytest.param(o, e, id=i) for i, o, e in UNKNOWN])
def test_unknown_fields_are_reported_as_kube_paths(
    obj: dict[str, Any], expected: list[str]
) -> None:
    assert decode.drop_unknown_fields(resource_of(obj).type, copy.deepcopy(obj)) == expected


def test_strict_decoding_message_joins_every_unknown_field() -> None:
    assert decode.strict_message(["spec.foo", "spec.template.bar"]) == (
        'strict decoding error: unknown field "spec.foo", unknown field "spec.template.bar"'
    )


def test_preserve_unknown_fields_accept_anything() -> None:
    node = schema.from_crd({"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    assert decode.drop_unknown_fields(node, {"spec": {"anything": {"goes": [1]}}}) == []


def _documents(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(folder.rglob("*.yaml")):
        if path.name in ("kustomization.yaml", "Chart.yaml") or "templates" in path.parts:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and "kind" in doc and "apiVersion" in doc:
                kinds = {(r.group, r.kind) for r in CATALOG.all()}
                if (doc["apiVersion"].rpartition("/")[0], doc["kind"]) in kinds:
                    docs.append(doc)
    return docs


@pytest.mark.parametrize(
    "app", ["guestbook", "sock-shop", "pre-post-sync", "helm-hooks", "sync-waves"]
)
def test_example_app_manifests_are_valid(corpus: Path, app: str) -> None:
    docs = _documents(corpus / "argocd-example-apps" / app)
    assert docs
    for doc in docs:
        obj = prepared(doc)
        assert validation.problems(resource_of(obj), obj, None) == [], obj["metadata"]
        assert decode.drop_unknown_fields(resource_of(obj).type, copy.deepcopy(doc)) == []


def _has_untyped_ingress_path(doc: dict[str, Any]) -> bool:
    rules = doc.get("spec", {}).get("rules") or []
    paths = [p for r in rules for p in (r.get("http") or {}).get("paths") or []]
    return any("pathType" not in p for p in paths)


def test_objects_stored_by_real_clusters_are_valid(corpus: Path) -> None:
    """Live objects (from 2018-era clusters) pass as a no-op update, and as a create.

    Their Ingresses predate networking.k8s.io/v1, which made `pathType` required; those are
    left out. A stored Job is no valid create body (its selector names its old uid), so Jobs
    are checked as updates only.
    """
    docs = [d for d in _documents(corpus / "argocd-health-testdata")
            if not _has_untyped_ingress_path(d)]  # fmt: skip
    assert len(docs) > 20
    for doc in docs:
        obj = prepared(doc)
        if obj["kind"] != "Job":
            assert validation.problems(resource_of(obj), obj, None) == [], obj["metadata"]
        assert validation.problems(resource_of(obj), obj, obj) == [], obj["metadata"]


def test_small_configmap_writes_are_cheap() -> None:
    """The server budgets ~1,500 small ConfigMap writes a second; these checks take a sliver."""
    resource = CATALOG.by_kind("", "ConfigMap")
    assert resource is not None
    labelled = meta(config_map(data={"a": "1", "b": "2"}), labels={"app": "web"})
    old = prepared(meta(labelled, annotations={"team": "core"}))
    new = changed(old, "data.a", "3")
    started = time.perf_counter()
    for _ in range(1500):
        defaults.apply_defaults(resource, new)
        decode.drop_unknown_fields(resource.type, copy.deepcopy(new))
        validation.validate(resource, new, old)
    assert time.perf_counter() - started < 0.5


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 70000) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
SKELETONS = [
    meta(
        deployment(),
        labels={"app": "web"},
        annotations={"a": "b"},
        finalizers=["a.io/b"],
        ownerReferences=[{"apiVersion": "v1", "kind": "X", "name": "x", "uid": "1"}],
    ),
    job(),
    cron_job(),
    svc(ports=[{"port": 80, "name": "http", "targetPort": "http"}], clusterIP="10.0.0.1"),
    config_map(data={"a": "1"}, binaryData={"b": "MQ=="}, immutable=True),
    kind("v1", "Secret", "s", data={"a": "YQ=="}, type="kubernetes.io/tls"),
    running_pod(),
    sts(volumeClaimTemplates=[{"metadata": {"name": "d"}, "spec": {}}]),
    bound_claim("1Gi"),
    kind("networking.k8s.io/v1", "Ingress", "web", spec={"rules": [{"http": {"paths": [{}]}}]}),
    kind("v1", "Namespace", "prod", spec={"finalizers": ["kubernetes"]}),
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*prefix, i))
    return found


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SKELETONS), st.data(), JSON_VALUES, JSON_VALUES)
def test_malformed_objects_never_crash_the_pipeline(
    skeleton: dict[str, Any], data: st.DataObject, value: Any, old_value: Any
) -> None:
    """Whatever the types, defaulting and validation answer with API errors, never a crash."""
    obj = changed(prepared(skeleton), data.draw(st.sampled_from(_paths(skeleton))), value)
    old = changed(prepared(skeleton), data.draw(st.sampled_from(_paths(skeleton))), old_value)
    resource = resource_of(skeleton)
    for args in ((obj, None), (obj, old), (old, obj)):
        candidate = copy.deepcopy(args[0])
        try:
            defaults.apply_defaults(resource, candidate)
            decode.drop_unknown_fields(resource.type, copy.deepcopy(candidate))
            validation.validate(resource, candidate, args[1])
        except errors.ApiError:
            pass
