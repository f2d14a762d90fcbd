"""Validation of pod specs (Pods and every workload's pod template), as kube-apiserver 1.32 does.

Covers the mistakes manifests actually make: no containers, containers without a name or image,
duplicate container, port or volume names, bad port numbers and protocols, volume mounts of
undeclared volumes, unknown restart, DNS and pull policies; and the Pod update rule that only
images, `activeDeadlineSeconds`, added tolerations and removed scheduling gates may change.
Called by `validation.kinds` for the API server's write pipeline; paths and messages match
`k8s.io/kubernetes/pkg/apis/core/validation`.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.validation import fields as f
from gitferry.apiserver.validation import meta as validation_meta
from gitferry.apiserver.validation import names as validation_names

Cause = f.Cause
Obj = dict[str, Any]

_PROTOCOLS = ("SCTP", "TCP", "UDP")
_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
_UPDATABLE = ",".join(
    (
        "`spec.containers[*].image`",
        "`spec.initContainers[*].image`",
        "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
        "negative)",
    )
)


def pod(obj: Obj, old: Obj | None) -> list[Cause]:
    """A Pod: its spec, and on update the few fields a Pod may change."""
    spec = f.mapping(obj.get("spec"))
    causes = pod_spec(spec, "spec")
    if old is not None:
        causes.extend(_pod_update(spec, f.mapping(old.get("spec"))))
    return causes


def pod_template(template: Obj, path: str) -> list[Cause]:
    """`ValidatePodTemplateSpec`. Note kube's paths: `<path>.labels`, not `.metadata.labels`."""
    spec = f.mapping(template.get("spec"))
    causes = template_metadata(f.mapping(template.get("metadata")), path)
    causes.extend(pod_spec(spec, f"{path}.spec"))
    if spec.get("ephemeralContainers"):
        causes.append(
            f.forbidden(
                f"{path}.spec.ephemeralContainers",
                "ephemeral containers not allowed in pod template",
            )
        )
    return causes


def template_metadata(meta: Obj, path: str) -> list[Cause]:
    """A pod template's labels and annotations (at `<path>.labels`, `<path>.annotations`)."""
    causes = validation_meta.check_labels(meta.get("labels"), f"{path}.labels")
    causes.extend(validation_meta.check_annotations(meta.get("annotations"), f"{path}.annotations"))
    return causes


def pod_spec(spec: Obj, path: str) -> list[Cause]:
    """`ValidatePodSpec`, limited to the rules listed in the module docstring."""
    causes: list[Cause] = []
    volumes = _volumes(f.items(spec.get("volumes")), f"{path}.volumes", causes)
    containers = f.items(spec.get("containers"))
    names: set[str] = set()
    if not containers:
        causes.append(f.required(f"{path}.containers"))
    for i, container in enumerate(containers):
        item = f"{path}.containers[{i}]"
        container = f.mapping(container)
        _container(container, item, volumes, causes)
        name = f.text(container.get("name"))
        if name in names:
            causes.append(f.duplicate(f"{item}.name", name))
        else:
            names.add(name)
    for i, container in enumerate(f.items(spec.get("initContainers"))):
        item = f"{path}.initContainers[{i}]"
        container = f.mapping(container)
        _container(container, item, volumes, causes)
        name = f.text(container.get("name"))
        if name in names:
            causes.append(f.duplicate(f"{item}.name", name))
        elif name:
            names.add(name)
    causes.extend(_one_of(spec.get("restartPolicy"), _RESTART_POLICIES, f"{path}.restartPolicy"))
    causes.extend(_one_of(spec.get("dnsPolicy"), _DNS_POLICIES, f"{path}.dnsPolicy"))
    return causes


def _one_of(value: Any, supported: tuple[str, ...], path: str) -> list[Cause]:
    if value is None or value == "":
        return [f.required(path)]
    return [] if value in supported else [f.not_supported(path, value, supported)]


def _volumes(volumes: list[Any], path: str, causes: list[Cause]) -> set[str]:
    """Check volume names; return the names of the valid volumes (mounts may use only those)."""
    valid: set[str] = set()
    for i, volume in enumerate(volumes):
        name_path = f"{path}[{i}].name"
        name = f.text(f.mapping(volume).get("name"))
        errs: list[Cause] = []
        if not name:
            errs.append(f.required(name_path))
        else:
            errs.extend(
                f.invalid(name_path, name, msg) for msg in validation_names.dns1123_label(name)
            )
        if name in valid:
            errs.append(f.duplicate(name_path, name))
        if errs:
            causes.extend(errs)
        else:
            valid.add(name)
    return valid


def _container(container: Obj, path: str, volumes: set[str], causes: list[Cause]) -> None:
    name = f.text(container.get("name"))
    if not name:
        causes.append(f.required(f"{path}.name"))
    else:
        causes.extend(
            f.invalid(f"{path}.name", name, msg) for msg in validation_names.dns1123_label(name)
        )
    if not container.get("image"):
        causes.append(f.required(f"{path}.image"))
    _ports(f.items(container.get("ports")), f"{path}.ports", causes)
    for i, env in enumerate(f.items(container.get("env"))):
        if not f.mapping(env).get("name"):
            causes.append(f.required(f"{path}.env[{i}].name"))
    _mounts(f.items(container.get("volumeMounts")), f"{path}.volumeMounts", volumes, causes)
    causes.extend(
        _one_of(container.get("imagePullPolicy"), _PULL_POLICIES, f"{path}.imagePullPolicy")
    )
    policy = container.get("terminationMessagePolicy")
    message_path = f"{path}.terminationMessagePolicy"
    if not policy:
        causes.append(f.required(message_path, "must be 'File' or 'FallbackToLogsOnError'"))
    elif policy not in _MESSAGE_POLICIES:
        causes.append(f.invalid(message_path, policy, "must be 'File' or 'FallbackToLogsOnError'"))


def _ports(ports: list[Any], path: str, causes: list[Cause]) -> None:
    names: set[str] = set()
    for i, port in enumerate(ports):
        item = f"{path}[{i}]"
        port = f.mapping(port)
        name = port.get("name")
        if isinstance(name, str) and name:
            messages = validation_names.port_name(name)
            if messages:
                causes.extend(f.invalid(f"{item}.name", name, msg) for msg in messages)
            elif name in names:
                causes.append(f.duplicate(f"{item}.name", name))
            else:
                names.add(name)
        number = port.get("containerPort")
        if not number:
            causes.append(f.required(f"{item}.containerPort"))
        elif isinstance(number, int) and not isinstance(number, bool):
            causes.extend(
                f.invalid(f"{item}.containerPort", number, msg)
                for msg in validation_names.port_number(number)
            )
        host = port.get("hostPort")
        if isinstance(host, int) and not isinstance(host, bool) and host:
            causes.extend(
                f.invalid(f"{item}.hostPort", host, msg)
                for msg in validation_names.port_number(host)
            )
        protocol = port.get("protocol")
        if not protocol:
            causes.append(f.required(f"{item}.protocol"))
        elif protocol not in _PROTOCOLS:
            causes.append(f.not_supported(f"{item}.protocol", protocol, _PROTOCOLS))


def _mounts(mounts: list[Any], path: str, volumes: set[str], causes: list[Cause]) -> None:
    mount_points: set[str] = set()
    for i, mount in enumerate(mounts):
        item = f"{path}[{i}]"
        mount = f.mapping(mount)
        name = f.text(mount.get("name"))
        if not name:
            causes.append(f.required(f"{item}.name"))
        if name not in volumes:
            causes.append(f.not_found(f"{item}.name", name))
        mount_path = f.text(mount.get("mountPath"))
        if not mount_path:
            causes.append(f.required(f"{item}.mountPath"))
        if mount_path in mount_points:
            causes.append(f.invalid(f"{item}.mountPath", mount_path, "must be unique"))
        mount_points.add(mount_path)


def _pod_update(spec: Obj, old_spec: Obj) -> list[Cause]:
    """`ValidatePodUpdate`: anything but the updatable fields must stay as it was."""
    causes: list[Cause] = []
    for key in ("containers", "initContainers"):
        new_list, old_list = f.items(spec.get(key)), f.items(old_spec.get(key))
        if len(new_list) != len(old_list):
            causes.append(
                f.forbidden(f"spec.{key}", "pod updates may not add or remove containers")
            )
            return causes
    if spec == old_spec:
        return causes
    munged = dict(spec)
    for key in ("containers", "initContainers"):
        if key in munged:
            munged[key] = [
                {**f.mapping(new), "image": f.mapping(old).get("image")}
                if "image" in f.mapping(old)
                else f.mapping(new)
                for new, old in zip(f.items(spec[key]), f.items(old_spec.get(key)), strict=True)
            ]
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        munged.pop(key, None)
        if key in old_spec:
            munged[key] = old_spec[key]
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if (
        isinstance(old_grace, int)
        and old_grace < 0
        and munged.get("terminationGracePeriodSeconds") == 1
    ):
        munged["terminationGracePeriodSeconds"] = old_grace
    # Binding a pod to a node (the scheduler's write) is not a user's spec change.
    if not old_spec.get("nodeName") and "nodeName" in munged:
        munged.pop("nodeName")
    if munged != old_spec:
        causes.append(
            f.forbidden(
                "spec",
                f"pod updates may not change fields other than {_UPDATABLE}\n"
                + f.spec_diff("core.PodSpec", old_spec, munged),
            )
        )
    return causes
