"""Bad objects get kube-apiserver 1.32's 422 (every problem, in its words), when created: the
name, metadata and per-kind rules, each problem a cause with its reason and field, Secret data
that fails to decode, and the name rule applied to generateName prefixes.
"""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.apiserver import errors, validation
from gitferry.apiserver.validation import meta as validation_meta
from tests.apiserver.validation_objects import (
    CATALOG,
    UID,
    changed,
    config_map,
    cron_job,
    deployment,
    job,
    kind,
    message,
    meta,
    prepared,
    resource_of,
    svc,
    with_containers,
)

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
