"""Validation of core kinds (Service, ConfigMap, Secret, Namespace, PVC) and Ingress paths.

Follows `k8s.io/kubernetes/pkg/apis/core/validation` for what manifests get wrong: Services
without ports, unnamed ports when there are several, port ranges, ExternalName rules, a cluster
IP that changes; ConfigMap and Secret keys, keys in both `data` and `binaryData`, data of an
`immutable` object, a Secret's type-specific keys and its type; a PVC without access modes or
storage, or whose spec changes; Ingress paths without `pathType`. Called through
`validation_kinds.CHECKS` in the API server's write pipeline.

One exception to "problems are 422 causes": Secret data that is not base64 fails to decode in
kube before any validation runs, so `secret` raises that 400 `BadRequest` itself.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.validation import fields as f
from gitferry.apiserver.validation import meta as validation_meta
from gitferry.apiserver.validation import names as validation_names
from gitferry.apiserver.validation import quantity as validation_quantity

Cause = f.Cause
Obj = dict[str, Any]

MAX_DATA_SIZE = 1024 * 1024
_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_AFFINITIES = ("ClientIP", "None")
_PROTOCOLS = ("SCTP", "TCP", "UDP")
_KUBELET_PORT = 10250
_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
_IMMUTABLE_SET = "field is immutable when `immutable` is set"
_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
# Keys a Secret of a given type must carry (a basic-auth Secret needs one of its two).
_SECRET_KEYS = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}


# --- Service ---------------------------------------------------------------------------------


def _cluster_ips(spec: Obj) -> list[Any]:
    ips = f.items(spec.get("clusterIPs"))
    if ips:
        return ips
    return [spec["clusterIP"]] if spec.get("clusterIP") else []


def service(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = f.mapping(obj.get("spec"))
    kind = spec.get("type")
    ports = [f.mapping(port) for port in f.items(spec.get("ports"))]
    ips = _cluster_ips(spec)
    headless = ips[:1] == ["None"]
    causes: list[Cause] = []
    if not ports and not headless and kind != "ExternalName":
        causes.append(f.required("spec.ports"))
    if kind in ("LoadBalancer", "NodePort") and headless:
        causes.append(
            f.invalid("spec.clusterIPs[0]", "None", f"may not be set to 'None' for {kind} services")
        )
    if kind == "LoadBalancer":
        for i, port in enumerate(ports):
            if port.get("port") == _KUBELET_PORT:
                causes.append(
                    f.invalid(
                        f"spec.ports[{i}]",
                        _KUBELET_PORT,
                        f"may not expose port {_KUBELET_PORT} externally since it is used by "
                        "kubelet",
                    )
                )
    if kind == "ExternalName":
        causes.extend(_external_name(spec, ips))
    names: set[str] = set()
    for i, port in enumerate(ports):
        causes.extend(_service_port(port, len(ports) > 1, names, f"spec.ports[{i}]"))
    causes.extend(validation_meta.check_labels(spec.get("selector"), "spec.selector"))
    affinity = spec.get("sessionAffinity")
    if not affinity:
        causes.append(f.required("spec.sessionAffinity"))
    elif affinity not in _AFFINITIES:
        causes.append(f.not_supported("spec.sessionAffinity", affinity, _AFFINITIES))
    if not kind:
        causes.append(f.required("spec.type"))
    elif kind not in _SERVICE_TYPES:
        causes.append(f.not_supported("spec.type", kind, _SERVICE_TYPES))
    seen: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        number = port.get("port")
        key = (f.text(port.get("protocol")), number if isinstance(number, int) else 0)
        if key in seen:
            causes.append(f.duplicate(f"spec.ports[{i}]", _go_service_port(*key)))
        seen.add(key)
    if old is not None:
        causes.extend(_cluster_ip_unchanged(spec, f.mapping(old.get("spec"))))
    return causes


def _external_name(spec: Obj, ips: list[Any]) -> list[Cause]:
    causes: list[Cause] = []
    if ips:
        causes.append(f.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
    if spec.get("ipFamilies"):
        causes.append(f.forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
    if spec.get("ipFamilyPolicy") is not None:
        causes.append(
            f.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services")
        )
    name = f.text(spec.get("externalName"))
    cname = name[:-1] if name.endswith(".") else name
    if cname:
        causes.extend(
            f.invalid("spec.externalName", cname, msg)
            for msg in validation_names.dns1123_subdomain(cname)
        )
    else:
        causes.append(f.required("spec.externalName"))
    return causes


def _service_port(port: Obj, require_name: bool, names: set[str], path: str) -> list[Cause]:
    causes: list[Cause] = []
    name = f.text(port.get("name"))
    if require_name and not name:
        causes.append(f.required(f"{path}.name"))
    elif name:
        causes.extend(
            f.invalid(f"{path}.name", name, msg) for msg in validation_names.dns1123_label(name)
        )
        if name in names:
            causes.append(f.duplicate(f"{path}.name", name))
        names.add(name)
    number = port.get("port") or 0
    if isinstance(number, int):
        causes.extend(
            f.invalid(f"{path}.port", number, msg) for msg in validation_names.port_number(number)
        )
    protocol = port.get("protocol")
    if not protocol:
        causes.append(f.required(f"{path}.protocol"))
    elif protocol not in _PROTOCOLS:
        causes.append(f.not_supported(f"{path}.protocol", protocol, _PROTOCOLS))
    target = port.get("targetPort")
    if isinstance(target, str):
        causes.extend(
            f.invalid(f"{path}.targetPort", target, msg)
            for msg in validation_names.port_name(target)
        )
    elif isinstance(target, int):
        causes.extend(
            f.invalid(f"{path}.targetPort", target, msg)
            for msg in validation_names.port_number(target)
        )
    app_protocol = port.get("appProtocol")
    if isinstance(app_protocol, str):
        causes.extend(
            f.invalid(f"{path}.appProtocol", app_protocol, msg)
            for msg in validation_names.qualified_name(app_protocol)
        )
    return causes


def _go_service_port(protocol: Any, port: Any) -> f.GoRaw:
    return f.GoRaw(
        f'core.ServicePort{{Name:"", Protocol:{f.go_quote(str(protocol or ""))}, '
        f"AppProtocol:(*string)(nil), Port:{port if isinstance(port, int) else 0}, "
        'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'
    )


def _cluster_ip_unchanged(spec: Obj, old_spec: Obj) -> list[Cause]:
    """Cluster IPs may be added or released, never changed (except to or from ExternalName)."""
    if "ExternalName" in (spec.get("type"), old_spec.get("type")):
        return []
    new, old = _cluster_ips(spec), _cluster_ips(old_spec)
    if new[:1] == ["None"] and old[:1] == ["None"]:
        return []
    shown = f.GoRaw(f.go_strings([str(ip) for ip in new]))
    if len(old) == len(new):
        return [
            f.invalid(f"spec.clusterIPs[{i}]", shown, "may not change once set")
            for i, ip in enumerate(old)
            if ip != new[i]
        ]
    if old and not new:
        return [f.invalid("spec.clusterIPs[0]", shown, "primary clusterIP can not be unset")]
    if old and new and old[0] != new[0]:
        return [f.invalid("spec.clusterIPs[0]", shown, "may not change once set")]
    return []


# --- ConfigMap and Secret --------------------------------------------------------------------


def _immutable_data(obj: Obj, old: Obj | None, keys: tuple[str, ...]) -> list[Cause]:
    if old is None or old.get("immutable") is not True:
        return []
    causes: list[Cause] = []
    if obj.get("immutable") is not True:
        causes.append(f.forbidden("immutable", _IMMUTABLE_SET))
    causes.extend(
        f.forbidden(key, _IMMUTABLE_SET)
        for key in keys
        if f.mapping(obj.get(key)) != f.mapping(old.get(key))
    )
    return causes


def _keys(data: Obj, path: str) -> list[Cause]:
    return [
        f.invalid(f"{path}[{key}]", key, msg)
        for key in data
        for msg in validation_names.config_map_key(key)
    ]


def config_map(obj: Obj, old: Obj | None) -> list[Cause]:
    data, binary = f.mapping(obj.get("data")), f.mapping(obj.get("binaryData"))
    causes = _immutable_data(obj, old, ("data", "binaryData"))
    if not data and not binary:
        return causes
    causes.extend(_keys(data, "data"))
    causes.extend(
        f.invalid(f"data[{key}]", key, "duplicate of key present in binaryData")
        for key in data
        if key in binary
    )
    causes.extend(_keys(binary, "binaryData"))
    causes.extend(
        f.invalid(f"binaryData[{key}]", key, "duplicate of key present in data")
        for key in binary
        if key in data
    )
    binary_size = sum(_decoded_size(v) for v in binary.values() if isinstance(v, str))
    chars = sum(len(v) for v in data.values() if isinstance(v, str))
    # Kube counts bytes; a character is 1 to 4 of them, so count exactly only when it matters.
    if chars * 4 + binary_size > MAX_DATA_SIZE and _utf8_size(data) + binary_size > MAX_DATA_SIZE:
        causes.append(f.too_long("", MAX_DATA_SIZE))
    return causes


def _utf8_size(data: Obj) -> int:
    return sum(len(v.encode()) for v in data.values() if isinstance(v, str))


def _decoded_size(text: str) -> int:
    body = "".join(text.split())
    return len(body) * 3 // 4 - len(body) + len(body.rstrip("="))


def base64_error(text: str) -> int | None:
    """Offset Go's base64 decoder reports for `text` (`illegal base64 data at input byte N`)."""
    size, at = len(text), 0
    while True:
        quantum = 0
        while quantum < 4:
            if at == size:
                return None if quantum == 0 else at - quantum
            char = text[at]
            at += 1
            if char in _BASE64:
                quantum += 1
            elif char not in "\r\n":
                if char != "=" or quantum < 2:
                    return at - 1
                if quantum == 2:  # "==" expected; the first "=" is consumed
                    while at < size and text[at] in "\r\n":
                        at += 1
                    if at == size:
                        return size
                    if text[at] != "=":
                        return at - 1
                    at += 1
                while at < size and text[at] in "\r\n":
                    at += 1
                return at if at < size else None


def secret(obj: Obj, old: Obj | None) -> list[Cause]:
    data = f.mapping(obj.get("data"))
    for value in data.values():
        offset = base64_error(value) if isinstance(value, str) else None
        if offset is not None:
            raise errors.bad_request(
                'Secret in version "v1" cannot be handled as a Secret: '
                f"illegal base64 data at input byte {offset}"
            )
    causes: list[Cause] = []
    kind = f.text(obj.get("type"))
    if old is not None:
        causes.extend(f.immutable(kind, f.text(old.get("type")), "type"))
        causes.extend(_immutable_data(obj, old, ("data",)))
    causes.extend(_keys(data, "data"))
    if sum(_decoded_size(v) for v in data.values() if isinstance(v, str)) > MAX_DATA_SIZE:
        causes.append(f.too_long("data", MAX_DATA_SIZE))
    if kind == "kubernetes.io/service-account-token":
        name_key = "kubernetes.io/service-account.name"
        if not f.mapping(f.mapping(obj.get("metadata")).get("annotations")).get(name_key):
            causes.append(f.required(f"metadata.annotations[{name_key}]"))
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            causes.extend((f.required("data[username]"), f.required("data[password]")))
    elif kind in _SECRET_KEYS:
        for key in _SECRET_KEYS[kind]:
            if key not in data or (kind == "kubernetes.io/ssh-auth" and not data[key]):
                causes.append(f.required(f"data[{key}]"))
                if kind != "kubernetes.io/tls":
                    break
    return causes


# --- Namespace, PVC, Ingress -----------------------------------------------------------------


def namespace(obj: Obj, old: Obj | None) -> list[Cause]:
    finalizers = f.items(f.mapping(obj.get("spec")).get("finalizers"))
    causes: list[Cause] = []
    for name in finalizers:
        if isinstance(name, str):
            causes.extend(validation_meta.finalizer_name(name, "spec.finalizers"))
    return causes


def persistent_volume_claim(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = f.mapping(obj.get("spec"))
    causes: list[Cause] = []
    modes = f.items(spec.get("accessModes"))
    if not modes:
        causes.append(f.required("spec.accessModes", "at least 1 access mode is required"))
    for mode in modes:
        if mode not in _ACCESS_MODES:
            causes.append(f.not_supported("spec.accessModes", mode, _ACCESS_MODES))
    requests = f.mapping(f.mapping(spec.get("resources")).get("requests"))
    if "storage" not in requests:
        causes.append(f.required("spec.resources[storage]"))
    if old is not None:
        causes.extend(_claim_update(obj, old))
    return causes


def _claim_update(obj: Obj, old: Obj) -> list[Cause]:
    spec, old_spec = f.mapping(obj.get("spec")), f.mapping(old.get("spec"))
    new_cmp, old_cmp = dict(spec), dict(old_spec)
    for key in ("volumeName", "storageClassName"):  # each may be set once
        if not old_spec.get(key):
            old_cmp.pop(key, None)
            new_cmp.pop(key, None)
    phase = f.mapping(obj.get("status")).get("phase") or f.mapping(old.get("status")).get("phase")
    new_size = f.mapping(f.mapping(spec.get("resources")).get("requests")).get("storage")
    old_size = f.mapping(f.mapping(old_spec.get("resources")).get("requests")).get("storage")
    if phase == "Bound":  # a bound claim may be resized
        new_cmp["resources"] = old_spec.get("resources")
        if {k: v for k, v in f.mapping(spec.get("resources")).items() if k != "requests"} != {
            k: v for k, v in f.mapping(old_spec.get("resources")).items() if k != "requests"
        }:
            new_cmp["resources"] = spec.get("resources")
    causes: list[Cause] = []
    if new_cmp != old_cmp:
        causes.append(
            f.forbidden(
                "spec",
                "spec is immutable after creation except resources.requests for bound claims\n"
                + f.spec_diff("core.PersistentVolumeClaimSpec", old_cmp, new_cmp),
            )
        )
    new_value, old_value = validation_quantity.parse(new_size), validation_quantity.parse(old_size)
    if new_value is not None and old_value is not None and new_value < old_value:
        causes.append(
            f.forbidden(
                "spec.resources.requests.storage", "field can not be less than previous value"
            )
        )
    return causes


def ingress(obj: Obj, old: Obj | None) -> list[Cause]:
    causes: list[Cause] = []
    for i, rule in enumerate(f.items(f.mapping(obj.get("spec")).get("rules"))):
        http = f.mapping(f.mapping(rule).get("http"))
        for j, entry in enumerate(f.items(http.get("paths"))):
            path = f"spec.rules[{i}].http.paths[{j}]"
            entry = f.mapping(entry)
            kind, text = entry.get("pathType"), f.text(entry.get("path"))
            if kind is None:
                causes.append(f.required(f"{path}.pathType", "pathType must be specified"))
            elif kind not in _PATH_TYPES:
                causes.append(f.not_supported(f"{path}.pathType", kind, _PATH_TYPES))
            elif (kind != "ImplementationSpecific" or text) and not text.startswith("/"):
                causes.append(f.invalid(f"{path}.path", text, "must be an absolute path"))
    return causes
