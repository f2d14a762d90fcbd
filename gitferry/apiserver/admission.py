"""Kind-specific steps of the write pipeline: what kube-apiserver's admission plugins and
registry strategies do for particular kinds.

- Namespaces: content may only be created in an existing, non-terminating namespace; the
  protected namespaces cannot be deleted; deletion moves a namespace to Terminating and the
  namespace controller empties it.
- Services: cluster IPs and node ports are allocated on create.
- Pods: graceful deletion (the simulated kubelet finishes it).
- CustomResourceDefinitions: a stored CRD is served at once (catalog and OpenAPI), with the
  status the CRD controllers would write; deleting it deletes its objects.

Called only by `registry`, at fixed points of its pipeline.
"""

from __future__ import annotations

import ipaddress
import random
from typing import TYPE_CHECKING, Any

from gitferry.apiserver import crds, errors
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.store import Entry

if TYPE_CHECKING:
    from gitferry.apiserver.registry import Registry

PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")
NODE_PORTS = range(30000, 32768)


def on_create(registry: Registry, resource: ResourceType, obj: dict[str, Any]) -> None:
    """Checks and allocations before a new object is validated and stored."""
    if resource.namespaced:
        _check_namespace(registry, resource, obj)
    if resource.key == "namespaces":
        obj.setdefault("status", {})["phase"] = "Active"
    elif resource.key == "services":
        _allocate_service(registry, obj, None)
    elif resource.key == "customresourcedefinitions.apiextensions.k8s.io":
        _check_crd(resource, obj)


def on_update(
    registry: Registry,
    resource: ResourceType,
    obj: dict[str, Any],
    old: dict[str, Any],
    subresource: str | None,
) -> None:
    """Steps before an updated object is validated and stored."""
    if resource.key == "namespaces" and subresource != "finalize":
        # spec.finalizers changes only through /finalize (the namespace controller).
        finalizers = (old.get("spec") or {}).get("finalizers")
        spec = obj.setdefault("spec", {})
        if finalizers:
            spec["finalizers"] = finalizers
        else:
            spec.pop("finalizers", None)
    elif resource.key == "services":
        _allocate_service(registry, obj, old)
    elif resource.key == "customresourcedefinitions.apiextensions.k8s.io":
        _check_crd(resource, obj)


def on_delete(registry: Registry, resource: ResourceType, obj: dict[str, Any]) -> None:
    """Refusals before a deletion starts."""
    name = obj["metadata"]["name"]
    if resource.key == "namespaces" and name in PROTECTED_NAMESPACES:
        raise errors.forbidden(
            f'namespaces "{name}" is forbidden: this namespace may not be deleted',
            {"name": name, "kind": "namespaces"},
        )


def on_terminate(registry: Registry, resource: ResourceType, obj: dict[str, Any]) -> None:
    """The first time an object gets its deletionTimestamp."""
    if resource.key == "namespaces":
        obj.setdefault("status", {})["phase"] = "Terminating"


def grace_period(resource: ResourceType, obj: dict[str, Any], requested: int | None) -> int:
    """Seconds the object lingers before removal: only scheduled, running pods have one."""
    if resource.key != "pods":
        return 0
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        return 0
    grace = requested if requested is not None else spec.get("terminationGracePeriodSeconds", 30)
    if obj["metadata"].get("deletionTimestamp") and requested is None:
        grace = obj["metadata"].get("deletionGracePeriodSeconds", grace)
    return max(int(grace), 1) if grace else 0


def needs_finalization(resource: ResourceType, obj: dict[str, Any]) -> bool:
    """Whether deletion must wait for a controller even without metadata finalizers."""
    return resource.key == "namespaces" and bool((obj.get("spec") or {}).get("finalizers"))


def after_write(registry: Registry, resource: ResourceType, entry: Entry) -> None:
    """Effects of a committed create or update."""
    if resource.key == "customresourcedefinitions.apiextensions.k8s.io":
        _serve_crd(registry, resource, entry)


def after_delete(registry: Registry, resource: ResourceType, entry: Entry) -> None:
    """Effects of a committed removal."""
    if resource.key == "customresourcedefinitions.apiextensions.k8s.io":
        served = crds.resource_type(entry.obj)
        if served is None:
            return
        for item in registry.store.entries(served.key):
            meta = item.obj["metadata"]
            registry.store.remove(served.key, meta.get("namespace", ""), meta["name"])
        registry.store.close_watchers(served.key)
        registry.catalog.remove(served.key)
        registry.catalog_changed()


def _check_namespace(registry: Registry, resource: ResourceType, obj: dict[str, Any]) -> None:
    meta = obj["metadata"]
    namespace = meta.get("namespace", "")
    entry = registry.store.get("namespaces", "", namespace)
    if entry is None:
        raise errors.namespace_not_found(namespace)
    if entry.obj["metadata"].get("deletionTimestamp"):
        name = meta.get("name") or meta.get("generateName", "")
        raise errors.forbidden(
            f'{errors.resource_name(resource.group, resource.plural)} "{name}" is forbidden: '
            f"unable to create new content in namespace {namespace} because it is being "
            "terminated",
            {
                "name": name,
                **({"group": resource.group} if resource.group else {}),
                "kind": resource.plural,
                "causes": [
                    {
                        "reason": "NamespaceTerminating",
                        "message": f"namespace {namespace} is being terminated",
                        "field": "metadata.namespace",
                    }
                ],
            },
        )


def _allocate_service(registry: Registry, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.setdefault("spec", {})
    kind = spec.get("type", "ClusterIP")
    if kind == "ExternalName":
        return
    old_spec = (old or {}).get("spec") or {}
    if old_spec.get("clusterIP") and not spec.get("clusterIP"):
        spec["clusterIP"] = old_spec["clusterIP"]
        spec["clusterIPs"] = old_spec.get("clusterIPs", [old_spec["clusterIP"]])
    if not spec.get("clusterIP"):
        spec["clusterIP"] = _free_cluster_ip(registry)
    if spec["clusterIP"] != "None":
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    else:
        spec.setdefault("clusterIPs", ["None"])
    if kind in ("NodePort", "LoadBalancer"):
        old_ports = {
            (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
            for p in old_spec.get("ports") or ()
        }
        used = _used_node_ports(registry)
        for port in spec.get("ports") or ():
            if not port.get("nodePort"):
                previous = old_ports.get((port.get("port"), port.get("protocol", "TCP")))
                port["nodePort"] = previous or _pick(NODE_PORTS, used)
                used.add(port["nodePort"])


def _free_cluster_ip(registry: Registry) -> str:
    used = {
        (entry.obj.get("spec") or {}).get("clusterIP")
        for entry in registry.store.entries("services")
    }
    hosts = SERVICE_CIDR.num_addresses
    for _ in range(1000):
        candidate = str(SERVICE_CIDR.network_address + random.randrange(2, hosts - 1))
        if candidate not in used:
            return candidate
    raise errors.internal("failed to allocate a serviceIP: range is full")


def _used_node_ports(registry: Registry) -> set[int]:
    return {
        port.get("nodePort")
        for entry in registry.store.entries("services")
        for port in (entry.obj.get("spec") or {}).get("ports") or ()
        if port.get("nodePort")
    }


def _pick(candidates: range, used: set[int]) -> int:
    free = [port for port in candidates if port not in used]
    if not free:
        raise errors.internal("failed to allocate a nodePort: range is full")
    return random.choice(free)


def _check_crd(resource: ResourceType, obj: dict[str, Any]) -> None:
    problem = crds.name_error(obj)
    if problem is not None:
        raise errors.invalid(
            resource.group,
            resource.kind,
            obj["metadata"].get("name", ""),
            [("FieldValueInvalid", "metadata.name", problem)],
        )


def _serve_crd(registry: Registry, resource: ResourceType, entry: Entry) -> None:
    crd = entry.obj
    served = crds.resource_type(crd)
    if crd["metadata"].get("deletionTimestamp"):
        return
    if served is not None:
        registry.catalog.add(served)
        registry.catalog_changed()
    status = crds.status(crd, registry.now())
    if crd.get("status") != status:
        copy = entry.copy()
        copy["status"] = status
        registry.write_status(resource, copy, "kube-apiserver")
