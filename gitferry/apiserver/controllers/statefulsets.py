"""The StatefulSet controller: pods `<sts>-<ordinal>` with stable names and their claims.

Pods are created in order (OrderedReady: the next one only when every lower one is Running
and Ready; Parallel: all at once), each after the PVCs `<template>-<sts>-<ordinal>` of its
volumeClaimTemplates. Scale-down removes the highest ordinal first, one at a time. A new
template is a new ControllerRevision; RollingUpdate replaces pods from the highest ordinal
down to `partition`, one at a time, waiting for each to be ready; OnDelete waits for the
user. Status: `replicas` and `availableReplicas` always present, `currentRevision` moves to
`updateRevision` only when every pod is updated and ready. Started by the controller manager.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.controllers import meta, replicasets, revisions, runtime
from gitferry.apiserver.store import Entry, Event
from gitferry.apiserver.writes import WriteOptions

Obj = dict[str, Any]
POD_NAME = "statefulset.kubernetes.io/pod-name"
POD_INDEX = "apps.kubernetes.io/pod-index"


class StatefulSets(runtime.Controller):
    """Reconciles StatefulSets."""

    name = "statefulset"
    component = "statefulset-controller"

    def start(self) -> None:
        for key in self.keys_of("statefulsets.apps"):
            self.queue(key)

    def watches(self) -> dict[str, runtime.Handler]:
        return {"statefulsets.apps": self._on_self, "pods": self._on_pod}

    def _on_self(self, event: Event) -> None:
        meta_ = event.entry.obj["metadata"]
        self.queue((meta_["namespace"], meta_["name"]))

    def _on_pod(self, event: Event) -> None:
        for obj in (event.old, event.entry.obj):
            ref = runtime.controller_ref(obj)
            if ref is not None and ref.get("kind") == "StatefulSet":
                self.queue((event.entry.obj["metadata"]["namespace"], ref["name"]))

    def reconcile(self, key: Any) -> None:
        namespace, name = key
        entry = self.store.get("statefulsets.apps", namespace, name)
        if entry is None:
            return
        sts = entry.obj
        status = sts.get("status") or {}
        if sts["metadata"].get("deletionTimestamp"):
            update = status.get("updateRevision", "")
            self._status(entry, status.get("currentRevision") or update, update)
            return
        revision, _ = revisions.ensure(self, sts)
        update = revision["metadata"]["name"]
        current = status.get("currentRevision") or update
        self._manage(sts, current, update)
        self._status(entry, current, update)
        revisions.prune(self, sts, {current, update})

    def _pods(self, sts: Obj) -> dict[int, Obj]:
        prefix = sts["metadata"]["name"] + "-"
        pods: dict[int, Obj] = {}
        for entry in self.owned(sts["metadata"]["uid"], "pods"):
            suffix = entry.obj["metadata"]["name"].removeprefix(prefix)
            if suffix.isdigit():
                pods[int(suffix)] = entry.obj
        return pods

    def _manage(self, sts: Obj, current: str, update: str) -> None:
        spec = sts.get("spec") or {}
        want = int(spec.get("replicas", 1))
        ordered = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        strategy = spec.get("updateStrategy") or {"type": "RollingUpdate"}
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        min_ready = int(spec.get("minReadySeconds") or 0)
        pods = self._pods(sts)
        now = self.manager.clock.now()

        def healthy(pod: Obj) -> bool:
            wait = meta.available_in(pod, min_ready, now)
            return (pod.get("status") or {}).get("phase") == "Running" and wait == 0.0

        for ordinal in range(want):
            pod = pods.get(ordinal)
            if pod is None:
                use = current if ordinal < partition else update
                self._create(sts, ordinal, use)
            elif meta.is_terminal(pod) and not pod["metadata"].get("deletionTimestamp"):
                self._delete(sts, pod)
            elif healthy(pod):
                continue
            if ordered:
                return
        for ordinal in sorted((i for i in pods if i >= want), reverse=True):
            pod = pods[ordinal]
            if not pod["metadata"].get("deletionTimestamp"):
                self._delete(sts, pod)
            if ordered:
                return
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        for ordinal in range(want - 1, partition - 1, -1):
            pod = pods.get(ordinal)
            if pod is None or pod["metadata"].get("deletionTimestamp"):
                return
            if _revision(pod) != update:
                self._delete(sts, pod)
                return
            if not healthy(pod):
                return

    def _create(self, sts: Obj, ordinal: int, revision: str) -> None:
        meta_ = sts["metadata"]
        spec = sts.get("spec") or {}
        template = spec.get("template") or {}
        stored = self.store.get(revisions.RESOURCE, meta_["namespace"], revision)
        if stored is not None:
            template = dict(
                (stored.obj.get("data") or {}).get("spec", {}).get("template") or template
            )
            template.pop("$patch", None)
        name = f"{meta_['name']}-{ordinal}"
        pod = replicasets.pod_from_template(template, sts, name=name)
        labels = pod["metadata"].setdefault("labels", {})
        labels[revisions.HASH_LABEL] = revision
        labels[POD_NAME] = name
        labels[POD_INDEX] = str(ordinal)
        pod["spec"]["hostname"] = name
        if spec.get("serviceName"):
            pod["spec"]["subdomain"] = spec["serviceName"]
        volumes = [
            v
            for v in pod["spec"].get("volumes") or ()
            if v.get("name")
            not in {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates") or ()}
        ]
        for claim_template in spec.get("volumeClaimTemplates") or ():
            claim = self._claim(sts, claim_template, ordinal, name)
            volumes.append(
                {
                    "name": claim_template["metadata"]["name"],
                    "persistentVolumeClaim": {"claimName": claim},
                }
            )
        if volumes:
            pod["spec"]["volumes"] = volumes
        try:
            self.registry.create(
                self.rt("pods"), meta_["namespace"], pod, WriteOptions(manager=self.manager_name)
            )
        except errors.ApiError as err:
            if err.code == 409:
                return
            self.event(
                sts,
                "Warning",
                "FailedCreate",
                f"create Pod {name} in StatefulSet {meta_['name']} failed error: {err.message}",
            )
            raise
        self.event(
            sts,
            "Normal",
            "SuccessfulCreate",
            f"create Pod {name} in StatefulSet {meta_['name']} successful",
        )

    def _claim(self, sts: Obj, template: Obj, ordinal: int, pod: str) -> str:
        meta_ = sts["metadata"]
        name = f"{template['metadata']['name']}-{meta_['name']}-{ordinal}"
        if self.store.get("persistentvolumeclaims", meta_["namespace"], name) is not None:
            return name
        labels = dict(((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
        labels.update((template.get("metadata") or {}).get("labels") or {})
        claim: Obj = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": meta_["namespace"], "labels": labels},
            "spec": meta.deep(template.get("spec") or {}),
        }
        annotations = (template.get("metadata") or {}).get("annotations")
        if annotations:
            claim["metadata"]["annotations"] = dict(annotations)
        policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
        if policy.get("whenDeleted") == "Delete":
            claim["metadata"]["ownerReferences"] = [meta.owner_ref(sts)]
        self.registry.create(
            self.rt("persistentvolumeclaims"),
            meta_["namespace"],
            claim,
            WriteOptions(manager=self.manager_name),
        )
        self.event(
            sts,
            "Normal",
            "SuccessfulCreate",
            f"create Claim {name} Pod {pod} in StatefulSet {meta_['name']} success",
        )
        return name

    def _delete(self, sts: Obj, pod: Obj) -> None:
        meta_ = pod["metadata"]
        if not self.remove("pods", meta_["namespace"], meta_["name"], uid=meta_["uid"]):
            return
        self.event(
            sts,
            "Normal",
            "SuccessfulDelete",
            f"delete Pod {meta_['name']} in StatefulSet {sts['metadata']['name']} successful",
        )

    def _status(self, entry: Entry, current: str, update: str) -> None:
        sts = entry.obj
        spec = sts.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.manager.clock.now()
        counts = {
            "replicas": 0,
            "readyReplicas": 0,
            "availableReplicas": 0,
            "currentReplicas": 0,
            "updatedReplicas": 0,
        }
        wake: float | None = None
        for pod in self._pods(sts).values():
            counts["replicas"] += 1
            running = (pod.get("status") or {}).get("phase") == "Running"
            wait = meta.available_in(pod, min_ready, now) if running else None
            if wait is not None:
                counts["readyReplicas"] += 1
                counts["availableReplicas"] += wait == 0.0
                if wait > 0:
                    wake = wait if wake is None else min(wake, wait)
            if not pod["metadata"].get("deletionTimestamp"):
                counts["currentReplicas"] += _revision(pod) == current
                counts["updatedReplicas"] += _revision(pod) == update
        strategy = (spec.get("updateStrategy") or {}).get("type", "RollingUpdate")
        if (
            strategy == "RollingUpdate"
            and counts["updatedReplicas"] == counts["replicas"] == (counts["readyReplicas"])
        ):
            current = update
            counts["currentReplicas"] = counts["updatedReplicas"]
        status: Obj = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": counts["replicas"],
            "readyReplicas": counts["readyReplicas"],
            "currentReplicas": counts["currentReplicas"],
            "updatedReplicas": counts["updatedReplicas"],
            "currentRevision": current,
            "updateRevision": update,
            "collisionCount": int((sts.get("status") or {}).get("collisionCount") or 0),
            "availableReplicas": counts["availableReplicas"],
        }
        meta.drop_zero(status, "readyReplicas", "currentReplicas", "updatedReplicas")
        meta.put_status(
            self.registry, self.rt("statefulsets.apps"), entry, status, self.manager_name
        )
        if wake is not None:
            self.wake((sts["metadata"]["namespace"], sts["metadata"]["name"]), wake + 0.001)


def _revision(pod: Obj) -> str:
    return str((pod["metadata"].get("labels") or {}).get(revisions.HASH_LABEL, ""))
