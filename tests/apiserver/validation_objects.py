"""The harness and object builders that the validation tests (test_validation_creates.py,
test_validation_updates.py, test_validation_unknown_fields.py and test_validation_pipeline.py)
share: `message` runs an object (or an update of one) through validation the way the write
pipeline hands it over and returns kube-apiserver 1.32's 422 message, and short builders for
the Deployments, Jobs, Services, ConfigMaps, Pods, claims and StatefulSets the tables use.
"""

from __future__ import annotations

import copy
from typing import Any

from gitferry.apiserver import catalog, defaults, errors, validation
from gitferry.apiserver.catalog import ResourceType

CATALOG = catalog.Catalog()
UID = "3c7a1e8e-5b2f-4d5e-9a61-0c1d2e3f4a5b"


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
