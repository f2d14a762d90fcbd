"""The DaemonSet controller: one pod per eligible node.

A node is eligible when the pod template's nodeSelector, required node affinity and
tolerations (plus the tolerations the controller always adds) let it run there. Each daemon
pod (`<ds>-xxxxx`) carries `controller-revision-hash`, `pod-template-generation` and a node
affinity for its node; the scheduler binds it. Failed pods are replaced; RollingUpdate
replaces old-template pods within `maxUnavailable`; OnDelete leaves them. Status has the four
always-present counters plus ready, available, unavailable and updated counts and
`observedGeneration`. Started by the controller manager.
"""

from __future__ import annotations

import math
from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.controllers import meta, replicasets, revisions, runtime, scheduler
from gitferry.apiserver.store import Entry, Event
from gitferry.apiserver.writes import WriteOptions

Obj = dict[str, Any]
GENERATION = "pod-template-generation"
_TOLERATIONS = [
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
]


class DaemonSets(runtime.Controller):
    """Reconciles DaemonSets."""

    name = "daemonset"
    component = "daemonset-controller"

    def start(self) -> None:
        for key in self.keys_of("daemonsets.apps"):
            self.queue(key)

    def watches(self) -> dict[str, runtime.Handler]:
        return {
            "daemonsets.apps": self._on_self,
            "pods": self._on_pod,
            "nodes": lambda _event: self.start(),
        }

    def _on_self(self, event: Event) -> None:
        meta_ = event.entry.obj["metadata"]
        self.queue((meta_["namespace"], meta_["name"]))

    def _on_pod(self, event: Event) -> None:
        for obj in (event.old, event.entry.obj):
            ref = runtime.controller_ref(obj)
            if ref is not None and ref.get("kind") == "DaemonSet":
                self.queue((event.entry.obj["metadata"]["namespace"], ref["name"]))

    def reconcile(self, key: Any) -> None:
        namespace, name = key
        entry = self.store.get("daemonsets.apps", namespace, name)
        if entry is None:
            return
        ds = entry.obj
        template_hash = revisions.hash_of(ds)
        if not ds["metadata"].get("deletionTimestamp"):
            revision, template_hash = revisions.ensure(self, ds)
            self._manage(ds, template_hash)
            revisions.prune(self, ds, {revision["metadata"]["name"]})
        self._status(entry, template_hash)

    def _placement(self, ds: Obj) -> tuple[list[str], dict[str, list[Obj]]]:
        """Eligible node names, and the owned pods by the node they are meant for."""
        probe = {"metadata": {"name": ""}, "spec": _pod_spec(ds, None)}
        eligible = [
            n.obj["metadata"]["name"]
            for n in self.store.entries("nodes")
            if scheduler.fits(probe, n.obj)
        ]
        by_node: dict[str, list[Obj]] = {}
        for entry in self.owned(ds["metadata"]["uid"], "pods"):
            by_node.setdefault(_node_of(entry.obj), []).append(entry.obj)
        for pods in by_node.values():
            pods.sort(key=lambda p: p["metadata"]["creationTimestamp"])
        return eligible, by_node

    def _manage(self, ds: Obj, template_hash: str) -> None:
        eligible, by_node = self._placement(ds)
        doomed: list[Obj] = []
        missing: list[str] = []
        for node, pods in by_node.items():
            if node not in eligible:
                doomed.extend(p for p in pods if not p["metadata"].get("deletionTimestamp"))
        running: dict[str, Obj] = {}
        for node in eligible:
            live = [p for p in by_node.get(node, []) if not p["metadata"].get("deletionTimestamp")]
            failed = [p for p in live if (p.get("status") or {}).get("phase") == "Failed"]
            doomed.extend(failed)
            live = [p for p in live if p not in failed]
            if not live:
                missing.append(node)
                continue
            running[node] = live[0]
            doomed.extend(live[1:])
        strategy = (ds.get("spec") or {}).get("updateStrategy") or {"type": "RollingUpdate"}
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            doomed.extend(self._rolling(ds, strategy, template_hash, eligible, running))
        for pod in doomed:
            self._delete(ds, pod)
        for node in missing:
            self._create(ds, node, template_hash)

    def _rolling(
        self,
        ds: Obj,
        strategy: Obj,
        template_hash: str,
        eligible: list[str],
        running: dict[str, Obj],
    ) -> list[Obj]:
        limit = (strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1)
        if isinstance(limit, str) and limit.endswith("%"):
            limit = math.ceil(int(limit[:-1]) * len(eligible) / 100)
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        now = self.manager.clock.now()
        unavailable = sum(
            1
            for node in eligible
            if node not in running or meta.available_in(running[node], min_ready, now) != 0.0
        )
        chosen = []
        for node in eligible:
            pod = running.get(node)
            if pod is None or _hash(pod) == template_hash:
                continue
            if meta.available_in(pod, min_ready, now) != 0.0:
                chosen.append(pod)
            elif unavailable < int(limit or 1):
                chosen.append(pod)
                unavailable += 1
        return chosen

    def _create(self, ds: Obj, node: str, template_hash: str) -> None:
        template = (ds.get("spec") or {}).get("template") or {}
        pod = replicasets.pod_from_template(
            template, ds, generate_name=f"{ds['metadata']['name']}-"
        )
        labels = pod["metadata"].setdefault("labels", {})
        labels[revisions.HASH_LABEL] = template_hash
        labels[GENERATION] = str(ds["metadata"].get("generation", 1))
        pod["spec"] = _pod_spec(ds, node)
        try:
            created = self.registry.create(
                self.rt("pods"),
                ds["metadata"]["namespace"],
                pod,
                WriteOptions(manager=self.manager_name),
            ).obj
        except errors.ApiError as err:
            self.event(ds, "Warning", "FailedCreate", f"Error creating: {err.message}")
            raise
        self.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

    def _delete(self, ds: Obj, pod: Obj) -> None:
        meta_ = pod["metadata"]
        if self.remove("pods", meta_["namespace"], meta_["name"], uid=meta_["uid"]):
            self.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {meta_['name']}")

    def _status(self, entry: Entry, template_hash: str) -> None:
        ds = entry.obj
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        now = self.manager.clock.now()
        eligible, by_node = self._placement(ds)
        counts = dict.fromkeys(("current", "ready", "available", "updated", "misscheduled"), 0)
        wake: float | None = None
        for node, pods in by_node.items():
            pods = [p for p in pods if not meta.is_terminal(p)]
            if not pods:
                continue
            if node not in eligible:
                counts["misscheduled"] += 1
                continue
            counts["current"] += 1
            counts["updated"] += any(_hash(p) == template_hash for p in pods)
            wait = meta.available_in(pods[0], min_ready, now)
            if wait is not None:
                counts["ready"] += 1
                counts["available"] += wait == 0.0
                if wait > 0:
                    wake = wait if wake is None else min(wake, wait)
        desired = len(eligible)
        status: Obj = {
            "currentNumberScheduled": counts["current"],
            "numberMisscheduled": counts["misscheduled"],
            "desiredNumberScheduled": desired,
            "numberReady": counts["ready"],
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": counts["updated"],
            "numberAvailable": counts["available"],
            "numberUnavailable": desired - counts["available"],
        }
        meta.drop_zero(status, "updatedNumberScheduled", "numberAvailable", "numberUnavailable")
        meta.put_status(self.registry, self.rt("daemonsets.apps"), entry, status, self.manager_name)
        if wake is not None:
            self.wake((ds["metadata"]["namespace"], ds["metadata"]["name"]), wake + 0.001)


def _pod_spec(ds: Obj, node: str | None) -> Obj:
    """The template's pod spec with the daemon tolerations and, for a node, its affinity."""
    spec: Obj = meta.deep(((ds.get("spec") or {}).get("template") or {}).get("spec") or {})
    tolerations = spec.setdefault("tolerations", [])
    wanted = list(_TOLERATIONS)
    if spec.get("hostNetwork"):
        wanted.append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
    for key, effect in wanted:
        if not any(t.get("key") == key and t.get("effect") == effect for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": effect})
    if node is not None:
        affinity = spec.setdefault("affinity", {}).setdefault("nodeAffinity", {})
        affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
            ]
        }
    return spec


def _node_of(pod: Obj) -> str:
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    terms = (
        ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or []
    for term in terms:
        for field in term.get("matchFields") or ():
            if field.get("key") == "metadata.name" and field.get("values"):
                return str(field["values"][0])
    return ""


def _hash(pod: Obj) -> str:
    return str((pod["metadata"].get("labels") or {}).get(revisions.HASH_LABEL, ""))
