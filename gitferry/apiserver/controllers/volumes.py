"""The PersistentVolume binder and a local-path provisioner, simulated.

A claim without `storageClassName` gets the default class (retroactive default assignment).
A claim is bound to an Available volume that fits (class, size, access modes) or, when its
class has a provisioner, to a new volume `pvc-<claim uid>` created about 0.5 s later (at
once for Immediate classes, after the scheduler picked a node for WaitForFirstConsumer ones).
Binding sets `spec.volumeName`, the bind annotations and the `kubernetes.io/pvc-protection`
finalizer on the claim, and `claimRef` on the volume; both become Bound. A claim with no
class and no volume stays Pending, as on a real cluster. When a claim is deleted its volume
is Released and, with reclaim policy Delete, deleted; the protection finalizers are removed
once nothing uses the claim or volume. Started by the controller manager.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gitferry.apiserver.controllers import meta, runtime
from gitferry.apiserver.store import Event, Store
from gitferry.apiserver.validation import quantity as validation_quantity

DELAY = 0.5  # seconds to provision a volume
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
_SELECTED_NODE = "volume.kubernetes.io/selected-node"


def default_class(store: Store) -> dict[str, Any] | None:
    for entry in store.entries("storageclasses.storage.k8s.io"):
        annotations = entry.obj["metadata"].get("annotations") or {}
        if annotations.get(DEFAULT_CLASS) == "true":
            return entry.obj
    return None


def class_of(store: Store, pvc: dict[str, Any]) -> dict[str, Any] | None:
    """The StorageClass a claim uses (the default one when it names none)."""
    name = (pvc.get("spec") or {}).get("storageClassName")
    if name is None:
        return default_class(store)
    entry = store.get("storageclasses.storage.k8s.io", "", name) if name else None
    return entry.obj if entry else None


class Volumes(runtime.Controller):
    """Binds claims to volumes and provisions volumes."""

    name = "persistentvolume-binder"

    def __init__(self, manager: runtime.Manager) -> None:
        super().__init__(manager)
        self._due: dict[str, float] = {}  # claim uid -> when its volume is provisioned

    def start(self) -> None:
        for namespace, name in self.keys_of("persistentvolumeclaims"):
            self.queue(("claim", namespace, name))
        for _, name in self.keys_of("persistentvolumes"):
            self.queue(("volume", "", name))

    def watches(self) -> dict[str, runtime.Handler]:
        return {
            "persistentvolumeclaims": self._on_claim,
            "persistentvolumes": self._on_volume,
            "storageclasses.storage.k8s.io": self._on_class,
            "pods": self._on_pod,
        }

    def _on_claim(self, event: Event) -> None:
        obj = event.entry.obj
        self.queue(("claim", obj["metadata"]["namespace"], obj["metadata"]["name"]))
        volume = (obj.get("spec") or {}).get("volumeName")
        if event.type == "DELETED" and volume:
            self.queue(("volume", "", volume))

    def _on_volume(self, event: Event) -> None:
        obj = event.entry.obj
        self.queue(("volume", "", obj["metadata"]["name"]))
        claim = (obj.get("spec") or {}).get("claimRef") or {}
        if claim.get("name"):
            self.queue(("claim", claim.get("namespace", ""), claim["name"]))

    def _on_class(self, event: Event) -> None:
        for entry in self.store.entries("persistentvolumeclaims"):
            if (entry.obj.get("status") or {}).get("phase") != "Bound":
                meta_ = entry.obj["metadata"]
                self.queue(("claim", meta_["namespace"], meta_["name"]))

    def _on_pod(self, event: Event) -> None:
        pod = event.entry.obj
        if event.type != "DELETED" and not meta.is_terminal(pod):
            return
        for volume in (pod.get("spec") or {}).get("volumes") or ():
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                self.queue(("claim", pod["metadata"]["namespace"], claim))

    def reconcile(self, key: Any) -> None:
        kind, namespace, name = key
        if kind == "claim":
            self._claim(namespace, name)
        else:
            self._volume(name)

    # -- claims --------------------------------------------------------------------------

    def _claim(self, namespace: str, name: str) -> None:
        entry = self.store.get("persistentvolumeclaims", namespace, name)
        if entry is None:
            return
        pvc = entry.obj
        if pvc["metadata"].get("deletionTimestamp"):
            if PVC_PROTECTION in (pvc["metadata"].get("finalizers") or ()) and not self._used(pvc):
                self.drop_finalizer("persistentvolumeclaims", entry.obj, PVC_PROTECTION)
            return
        spec = pvc.get("spec") or {}
        if (pvc.get("status") or {}).get("phase") == "Bound":
            return
        if "storageClassName" not in spec:
            default = default_class(self.store)
            if default is not None:
                copy = entry.copy()
                copy["spec"]["storageClassName"] = default["metadata"]["name"]
                self.registry.write(self.rt("persistentvolumeclaims"), copy, self.manager_name)
                return
        volume = self._match(pvc)
        if volume is not None:
            self._bind(entry, volume)
            return
        storage_class = class_of(self.store, pvc)
        if storage_class is None or not spec.get("storageClassName"):
            return
        annotations = pvc["metadata"].get("annotations") or {}
        if storage_class.get("volumeBindingMode") == "WaitForFirstConsumer" and not (
            annotations.get(_SELECTED_NODE)
        ):
            return
        uid = pvc["metadata"]["uid"]
        now = self.manager.clock.monotonic()
        due = self._due.setdefault(uid, now + self.sim(DELAY))
        if due > now:
            self.wake(("claim", namespace, name), due - now)
            return
        del self._due[uid]
        self._bind(entry, self._provision(pvc, storage_class), provisioner=storage_class)

    def _used(self, pvc: dict[str, Any]) -> bool:
        namespace, name = pvc["metadata"]["namespace"], pvc["metadata"]["name"]
        for entry in self.store.entries("pods", namespace):
            if meta.is_terminal(entry.obj):
                continue
            for volume in (entry.obj.get("spec") or {}).get("volumes") or ():
                if (volume.get("persistentVolumeClaim") or {}).get("claimName") == name:
                    return True
        return False

    def _match(self, pvc: dict[str, Any]) -> dict[str, Any] | None:
        """An existing volume the claim may bind to."""
        spec = pvc.get("spec") or {}
        uid = pvc["metadata"]["uid"]
        if spec.get("volumeName"):
            entry = self.store.get("persistentvolumes", "", spec["volumeName"])
            if entry is None:
                return None
            ref = (entry.obj.get("spec") or {}).get("claimRef") or {}
            return entry.obj if ref.get("uid") in (None, uid) else None
        wanted = _quantity(((spec.get("resources") or {}).get("requests") or {}).get("storage"))
        modes = set(spec.get("accessModes") or ())
        for entry in self.store.entries("persistentvolumes"):
            pv = entry.obj
            pv_spec = pv.get("spec") or {}
            ref = pv_spec.get("claimRef") or {}
            if ref and not (
                ref.get("name") == pvc["metadata"]["name"]
                and ref.get("namespace") == pvc["metadata"]["namespace"]
                and ref.get("uid") in (None, uid)
            ):
                continue
            if pv["metadata"].get("deletionTimestamp") or (pv.get("status") or {}).get(
                "phase"
            ) not in (None, "Available", "Pending"):
                continue
            if pv_spec.get("storageClassName", "") != spec.get("storageClassName", ""):
                continue
            if _quantity((pv_spec.get("capacity") or {}).get("storage")) < wanted:
                continue
            if not modes <= set(pv_spec.get("accessModes") or ()):
                continue
            return pv
        return None

    def _provision(self, pvc: dict[str, Any], storage_class: dict[str, Any]) -> dict[str, Any]:
        meta_, spec = pvc["metadata"], pvc.get("spec") or {}
        name = f"pvc-{meta_['uid']}"
        existing = self.store.get("persistentvolumes", "", name)
        if existing is not None:
            return existing.obj
        node = (meta_.get("annotations") or {}).get(_SELECTED_NODE)
        provisioner = storage_class.get("provisioner", "")
        volume: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": name,
                "annotations": {"pv.kubernetes.io/provisioned-by": provisioner},
                "finalizers": [PV_PROTECTION],
            },
            "spec": {
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "capacity": {
                    "storage": ((spec.get("resources") or {}).get("requests") or {}).get(
                        "storage", "1Gi"
                    )
                },
                "claimRef": _claim_ref(pvc),
                "hostPath": {
                    "path": f"/var/local-path-provisioner/{name}_{meta_['namespace']}_"
                    f"{meta_['name']}",
                    "type": "DirectoryOrCreate",
                },
                "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy", "Delete"),
                "storageClassName": storage_class["metadata"]["name"],
                "volumeMode": spec.get("volumeMode", "Filesystem"),
            },
        }
        if node:
            volume["spec"]["nodeAffinity"] = {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/hostname",
                                    "operator": "In",
                                    "values": [node],
                                }
                            ]
                        }
                    ]
                }
            }
        created = self.registry.write(
            self.rt("persistentvolumes"), volume, "local-path-provisioner"
        ).obj
        self.event(
            pvc, "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {name}"
        )
        return created

    def _bind(
        self, entry: Any, pv: dict[str, Any], provisioner: dict[str, Any] | None = None
    ) -> None:
        volumes = self.rt("persistentvolumes")
        pv_entry = self.registry.get(volumes, "", pv["metadata"]["name"])
        if not (pv_entry.obj.get("spec") or {}).get("claimRef"):
            copy = pv_entry.copy()
            copy["spec"]["claimRef"] = _claim_ref(entry.obj)
            self.registry.write(volumes, copy, self.manager_name)
            pv_entry = self.registry.get(volumes, "", pv["metadata"]["name"])
        meta.put_status(self.registry, volumes, pv_entry, {"phase": "Bound"}, self.manager_name)
        claims = self.rt("persistentvolumeclaims")
        pvc = entry.copy()
        pvc["spec"]["volumeName"] = pv["metadata"]["name"]
        annotations = pvc["metadata"].setdefault("annotations", {})
        annotations["pv.kubernetes.io/bind-completed"] = "yes"
        annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
        if provisioner is not None:
            annotations[_PROVISIONER] = provisioner.get("provisioner", "")
            annotations["volume.beta.kubernetes.io/storage-provisioner"] = provisioner.get(
                "provisioner", ""
            )
        finalizers = pvc["metadata"].setdefault("finalizers", [])
        if PVC_PROTECTION not in finalizers:
            finalizers.append(PVC_PROTECTION)
        bound = self.registry.write(claims, pvc, self.manager_name).obj
        pv_spec = pv_entry.obj.get("spec") or {}
        status = {
            "accessModes": pv_spec.get("accessModes") or [],
            "capacity": pv_spec.get("capacity") or {},
            "phase": "Bound",
        }
        current = self.registry.get(claims, *_ns_name(bound))
        meta.put_status(self.registry, claims, current, status, self.manager_name)

    # -- volumes -------------------------------------------------------------------------

    def _volume(self, name: str) -> None:
        entry = self.store.get("persistentvolumes", "", name)
        if entry is None:
            return
        pv = entry.obj
        spec = pv.get("spec") or {}
        ref = spec.get("claimRef") or {}
        claim = (
            self.store.get("persistentvolumeclaims", ref.get("namespace", ""), ref.get("name", ""))
            if ref
            else None
        )
        gone = bool(ref.get("uid")) and (
            claim is None or claim.obj["metadata"]["uid"] != ref.get("uid")
        )
        phase = (pv.get("status") or {}).get("phase")
        if pv["metadata"].get("deletionTimestamp"):
            if PV_PROTECTION in (pv["metadata"].get("finalizers") or ()) and (
                gone or not ref or phase != "Bound"
            ):
                self.drop_finalizer("persistentvolumes", entry.obj, PV_PROTECTION)
            return
        volumes = self.rt("persistentvolumes")
        if not ref and phase in (None, "Pending"):
            meta.put_status(
                self.registry, volumes, entry, {"phase": "Available"}, self.manager_name
            )
        elif gone and phase != "Released":
            entry = self.registry.get(volumes, "", name)
            meta.put_status(self.registry, volumes, entry, {"phase": "Released"}, self.manager_name)
        if gone and spec.get("persistentVolumeReclaimPolicy") == "Delete":
            self.remove("persistentvolumes", "", name, uid=pv["metadata"]["uid"])


def _claim_ref(pvc: dict[str, Any]) -> dict[str, Any]:
    meta_ = pvc["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "name": meta_["name"],
        "namespace": meta_["namespace"],
        "resourceVersion": meta_.get("resourceVersion", ""),
        "uid": meta_["uid"],
    }


def _ns_name(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def _quantity(value: Any) -> Decimal:
    return validation_quantity.parse(value) or Decimal(0)
