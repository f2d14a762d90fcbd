"""What a fresh cluster contains before anyone writes to it, and the one simulated Node.

On every start (synchronously, before the other controllers run) this makes sure the system
namespaces (`default`, `kube-system`, `kube-public`, `kube-node-lease`), the `kubernetes`
Service with its Endpoints and EndpointSlice, and one Ready Node `<node_prefix>-node` exist,
as kube-apiserver and the kubelet would recreate them. The default StorageClass `standard`
(rancher.io/local-path, Immediate binding) is created on the first start only, like the one
kind installs, so a user may delete it. A deleted Node is registered again at once.

Called by the manager (`start`); the constants are read by the scheduler and the kubelet.
"""

from __future__ import annotations

import platform
import uuid
from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.controllers import meta, runtime
from gitferry.apiserver.store import Event
from gitferry.apiserver.writes import WriteOptions

NODE_IP = "172.18.0.2"
POD_CIDR = "10.244.0.0/16"
KUBERNETES_IP = "10.96.0.1"
KUBELET_VERSION = "v1.32.0"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def node_name(options: runtime.Options) -> str:
    return f"{options.node_prefix}-node"


class Nodes(runtime.Controller):
    """Bootstrap objects and the Node's registration."""

    name = "node"
    manager_name = "kube-apiserver"

    def start(self) -> None:
        first_boot = self.store.get("namespaces", "", "default") is None
        for namespace in SYSTEM_NAMESPACES:
            self._ensure("namespaces", "", _namespace(namespace))
        self._ensure("services", "default", _kubernetes_service())
        self._ensure("endpoints", "default", _kubernetes_endpoints())
        self._ensure("endpointslices.discovery.k8s.io", "default", _kubernetes_slice())
        if first_boot:
            self._ensure("storageclasses.storage.k8s.io", "", _storage_class())
        self.reconcile(node_name(self.options))

    def watches(self) -> dict[str, runtime.Handler]:
        return {"nodes": self._on_node}

    def _on_node(self, event: Event) -> None:
        if event.type == "DELETED" and event.entry.obj["metadata"]["name"] == node_name(
            self.options
        ):
            self.queue(node_name(self.options))

    def reconcile(self, key: Any) -> None:
        name = str(key)
        if self.store.get("nodes", "", name) is not None:
            return
        node = _node(name)
        status = node.pop("status")
        created = self.registry.create(self.rt("nodes"), "", node, WriteOptions(manager="kubelet"))
        obj = meta.deep(created.obj)
        obj["status"] = {**status, "conditions": _node_conditions(self.registry.now())}
        self.registry.write_status(self.rt("nodes"), obj, "kubelet")

    def _ensure(self, resource: str, namespace: str, obj: dict[str, Any]) -> None:
        if self.store.get(resource, namespace, obj["metadata"]["name"]) is not None:
            return
        status = obj.pop("status", None)
        try:
            created = self.registry.create(
                self.rt(resource), namespace, obj, WriteOptions(manager=self.manager_name)
            )
        except errors.ApiError as err:
            if err.code == 409:
                return
            raise
        if status is not None:
            obj = meta.deep(created.obj)
            obj["status"] = status
            self.registry.write_status(self.rt(resource), obj, self.manager_name)


def _namespace(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
    }


def _kubernetes_service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "clusterIP": KUBERNETES_IP,
            "clusterIPs": [KUBERNETES_IP],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
    }


def _kubernetes_endpoints() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": [
            {
                "addresses": [{"ip": NODE_IP}],
                "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
            }
        ],
    }


def _kubernetes_slice() -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "kubernetes"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [NODE_IP], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
    }


def _storage_class() -> dict[str, Any]:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": "standard",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "rancher.io/local-path",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }


def _node(name: str) -> dict[str, Any]:
    arch = _ARCH.get(platform.machine().lower(), "amd64")
    resources = {
        "cpu": "8",
        "ephemeral-storage": "102400Mi",
        "hugepages-2Mi": "0",
        "memory": "16Gi",
        "pods": "110",
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": arch,
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": arch,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node-role.kubernetes.io/control-plane": "",
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {
            "podCIDR": POD_CIDR,
            "podCIDRs": [POD_CIDR],
            "providerID": f"gitferry://{name}",
        },
        "status": {
            "addresses": [
                {"address": NODE_IP, "type": "InternalIP"},
                {"address": name, "type": "Hostname"},
            ],
            "allocatable": resources,
            "capacity": resources,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": arch,
                "bootID": str(uuid.uuid4()),
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": platform.release() or "6.1.0",
                "kubeProxyVersion": KUBELET_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "machineID": uuid.uuid4().hex,
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": str(uuid.uuid4()),
            },
        },
    }


def _node_conditions(now: str) -> list[dict[str, Any]]:
    def cond(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
        return {
            "type": kind,
            "status": status,
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }

    return [
        cond(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
