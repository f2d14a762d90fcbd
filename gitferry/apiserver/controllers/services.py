"""Service controllers: Endpoints, EndpointSlices and a fake load balancer.

For every Service with a selector (not ExternalName) the Endpoints `<service>` lists the
matching pods that have an IP: ready ones under `addresses`, the others under
`notReadyAddresses` (terminating pods left out), with target ports resolved by name; one
EndpointSlice `<service>-xxxxx` owned by the Service carries the same pods with ready,
serving and terminating conditions. A LoadBalancer Service gets
`status.loadBalancer.ingress: [{ip, ipMode: VIP}]` from 172.18.255.200 upwards about 0.5 s
after it appears (as cloud-provider-kind or MetalLB would), unless the load balancer is
switched off in the options. Started by the controller manager.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from gitferry.apiserver import errors, selectors
from gitferry.apiserver.controllers import meta, runtime
from gitferry.apiserver.store import Event
from gitferry.apiserver.writes import WriteOptions

Obj = dict[str, Any]
DELAY = 0.5  # seconds before a load balancer gets its address
POOL = ipaddress.ip_network("172.18.255.0/24")
SLICES = "endpointslices.discovery.k8s.io"
TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"


class Services(runtime.Controller):
    """Keeps Endpoints, EndpointSlices and load-balancer addresses of Services."""

    name = "endpoint"
    component = "endpoint-controller"

    def __init__(self, manager: runtime.Manager) -> None:
        super().__init__(manager)
        self._lb_due: dict[str, float] = {}

    def start(self) -> None:
        for key in self.keys_of("services"):
            self.queue(key)

    def watches(self) -> dict[str, runtime.Handler]:
        return {"services": self._on_service, "pods": self._on_pod, "endpoints": self._on_service}

    def _on_service(self, event: Event) -> None:
        meta_ = event.entry.obj["metadata"]
        self.queue((meta_["namespace"], meta_["name"]))

    def _on_pod(self, event: Event) -> None:
        namespace = event.entry.obj["metadata"]["namespace"]
        labels = [
            (obj["metadata"].get("labels") or {})
            for obj in (event.old, event.entry.obj)
            if obj is not None
        ]
        for entry in self.store.entries("services", namespace):
            selector = (entry.obj.get("spec") or {}).get("selector")
            if selector and any(
                all(lbl.get(k) == v for k, v in selector.items()) for lbl in labels
            ):
                self.queue((namespace, entry.obj["metadata"]["name"]))

    def reconcile(self, key: Any) -> None:
        namespace, name = key
        entry = self.store.get("services", namespace, name)
        if entry is None:
            self._lb_due.pop(f"{namespace}/{name}", None)
            if self.store.get("endpoints", namespace, name) is not None:
                self.remove("endpoints", namespace, name)
            return
        service = entry.obj
        if service["metadata"].get("deletionTimestamp"):
            return
        self._load_balancer(entry, key)
        spec = service.get("spec") or {}
        if not spec.get("selector") or spec.get("type") == "ExternalName":
            return
        pods = [
            p.obj
            for p in self.store.entries("pods", namespace)
            if selectors.matches_label_selector(
                {"matchLabels": spec["selector"]}, p.obj["metadata"].get("labels") or {}
            )
            and not meta.is_terminal(p.obj)
            and (p.obj.get("status") or {}).get("podIP")
        ]
        pods.sort(key=lambda p: p["metadata"]["name"])
        self._endpoints(service, pods)
        self._slice(service, pods)

    # -- Endpoints -----------------------------------------------------------------------

    def _endpoints(self, service: Obj, pods: list[Obj]) -> None:
        spec = service.get("spec") or {}
        meta_ = service["metadata"]
        publish = bool(spec.get("publishNotReadyAddresses"))
        groups: dict[tuple[Any, ...], Obj] = {}
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") and not publish:
                continue
            ports = _ports(spec, pod)
            if ports is None:
                continue
            subset = groups.setdefault(tuple(sorted(str(p) for p in ports)), {"ports": ports})
            bucket = (
                "addresses"
                if publish or meta.ready_since(pod) is not None
                else ("notReadyAddresses")
            )
            subset.setdefault(bucket, []).append(_address(pod, service))
        subsets = []
        for subset in groups.values():
            for bucket in ("addresses", "notReadyAddresses"):
                if bucket in subset:
                    subset[bucket].sort(key=lambda a: ipaddress.ip_address(a["ip"]))
            subsets.append(
                {k: subset[k] for k in ("addresses", "notReadyAddresses", "ports") if k in subset}
            )
        labels = dict(meta_.get("labels") or {})
        if spec.get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        current = self.store.get("endpoints", meta_["namespace"], meta_["name"])
        obj: Obj = (
            current.copy()
            if current
            else {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": meta_["name"], "namespace": meta_["namespace"]},
            }
        )
        if (
            current
            and obj.get("subsets", []) == subsets
            and (obj["metadata"].get("labels") or {}) == labels
        ):
            return
        obj["metadata"]["labels"] = labels
        obj["metadata"].setdefault("annotations", {})[TRIGGER] = self.registry.now()
        if subsets:
            obj["subsets"] = subsets
        else:
            obj.pop("subsets", None)
        self.registry.write(self.rt("endpoints"), obj, self.manager_name)

    # -- EndpointSlice -------------------------------------------------------------------

    def _slice(self, service: Obj, pods: list[Obj]) -> None:
        spec = service.get("spec") or {}
        meta_ = service["metadata"]
        endpoints, ports = [], None
        for pod in pods:
            resolved = _ports(spec, pod)
            if resolved is None:
                continue
            ports = ports if ports is not None else resolved
            terminating = bool(pod["metadata"].get("deletionTimestamp"))
            ready = meta.ready_since(pod) is not None
            endpoint: Obj = {
                "addresses": [pod["status"]["podIP"]],
                "conditions": {
                    "ready": ready and not terminating,
                    "serving": ready,
                    "terminating": terminating,
                },
            }
            address = _address(pod, service)
            if "hostname" in address:
                endpoint["hostname"] = address["hostname"]
            endpoint["nodeName"] = address.get("nodeName", "")
            endpoint["targetRef"] = address["targetRef"]
            endpoints.append(endpoint)
        if ports is None:
            ports = _ports(spec, None) or []
        labels = dict(meta_.get("labels") or {})
        labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io"
        labels["kubernetes.io/service-name"] = meta_["name"]
        owned = self.owned(meta_["uid"], SLICES)
        wanted = {"addressType": "IPv4", "endpoints": endpoints, "ports": ports}
        if owned:
            current = owned[0].obj
            if (
                all(current.get(k) == v for k, v in wanted.items())
                and (current["metadata"].get("labels") or {}) == labels
            ):
                return
            obj = owned[0].copy()
            obj["metadata"]["labels"] = labels
            obj.update(wanted)
            self.registry.write(self.rt(SLICES), obj, "endpointslice-controller")
            return
        obj = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "generateName": f"{meta_['name']}-",
                "namespace": meta_["namespace"],
                "labels": labels,
                "ownerReferences": [meta.owner_ref(service)],
            },
            **wanted,
        }
        self.registry.create(
            self.rt(SLICES),
            meta_["namespace"],
            obj,
            WriteOptions(manager="endpointslice-controller"),
        )

    # -- load balancer -------------------------------------------------------------------

    def _load_balancer(self, entry: Any, key: tuple[str, str]) -> None:
        service = entry.obj
        status = meta.deep(service.get("status") or {})
        balancer = status.setdefault("loadBalancer", {})
        marker = f"{key[0]}/{key[1]}"
        if (service.get("spec") or {}).get("type") != "LoadBalancer" or not (
            self.options.load_balancers
        ):
            self._lb_due.pop(marker, None)
            if balancer.pop("ingress", None) is not None:
                meta.put_status(
                    self.registry, self.rt("services"), entry, status, "cloud-controller-manager"
                )
            return
        if balancer.get("ingress"):
            return
        now = self.manager.clock.monotonic()
        due = self._lb_due.setdefault(marker, now + self.sim(DELAY))
        if due > now:
            self.wake(key, due - now)
            return
        del self._lb_due[marker]
        balancer["ingress"] = [{"ip": self._free_ip(), "ipMode": "VIP"}]
        meta.put_status(
            self.registry, self.rt("services"), entry, status, "cloud-controller-manager"
        )
        self.event(service, "Normal", "EnsuredLoadBalancer", "Ensured load balancer")

    def _free_ip(self) -> str:
        used = {
            ingress.get("ip")
            for entry in self.store.entries("services")
            for ingress in ((entry.obj.get("status") or {}).get("loadBalancer") or {}).get(
                "ingress"
            )
            or ()
        }
        hosts = list(POOL.hosts())
        for address in hosts[199:] + hosts[:199]:
            if str(address) not in used:
                return str(address)
        raise errors.internal(f"load balancer pool {POOL} is exhausted")


def _ports(spec: Obj, pod: Obj | None) -> list[Obj] | None:
    """The Service's ports resolved against a pod's container ports (None: a named target
    port the pod does not have)."""
    named: dict[str, int] = {}
    if pod is not None:
        for container in (pod.get("spec") or {}).get("containers") or ():
            for port in container.get("ports") or ():
                if port.get("name"):
                    named[port["name"]] = port.get("containerPort", 0)
    resolved = []
    for port in spec.get("ports") or ():
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str) and not target.isdigit():
            if target not in named:
                if pod is None:
                    continue
                return None
            target = named[target]
        item: Obj = {}
        if port.get("name"):
            item["name"] = port["name"]
        item["port"] = int(target)
        item["protocol"] = port.get("protocol", "TCP")
        if port.get("appProtocol"):
            item["appProtocol"] = port["appProtocol"]
        resolved.append(item)
    return resolved


def _address(pod: Obj, service: Obj) -> Obj:
    spec = pod.get("spec") or {}
    address: Obj = {"ip": pod["status"]["podIP"]}
    if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"]:
        address["hostname"] = spec["hostname"]
    if spec.get("nodeName"):
        address["nodeName"] = spec["nodeName"]
    address["targetRef"] = {
        "kind": "Pod",
        "name": pod["metadata"]["name"],
        "namespace": pod["metadata"]["namespace"],
        "uid": pod["metadata"]["uid"],
    }
    return address
