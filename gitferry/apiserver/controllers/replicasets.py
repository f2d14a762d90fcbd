"""The ReplicaSet controller: keeps `spec.replicas` pods and reports them in status.

Missing pods are created from the template (`<rs>-xxxxx`, template labels and annotations, a
controller ownerReference); surplus pods are deleted, least valuable first (unscheduled,
pending, not ready, low deletion cost, ready for less time, more restarts, newer). Status
counts the active pods (not finished, not being deleted): `replicas` (always present),
`fullyLabeledReplicas`, `readyReplicas`, `availableReplicas` (ready for `minReadySeconds`),
`observedGeneration`, and `ReplicaFailure` while pods cannot be created. Reconciled on every
change of the ReplicaSet or of a pod it owns. Started by the controller manager.
"""

from __future__ import annotations

from typing import Any

from gitferry._kit.clock import parse_rfc3339
from gitferry.apiserver import errors
from gitferry.apiserver.controllers import meta, runtime
from gitferry.apiserver.store import Entry, Event
from gitferry.apiserver.writes import WriteOptions

BURST = 500  # pods created or deleted per sync
_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


class ReplicaSets(runtime.Controller):
    """Reconciles ReplicaSets."""

    name = "replicaset"
    component = "replicaset-controller"

    def start(self) -> None:
        for key in self.keys_of("replicasets.apps"):
            self.queue(key)

    def watches(self) -> dict[str, runtime.Handler]:
        return {"replicasets.apps": self._on_self, "pods": self._on_pod}

    def _on_self(self, event: Event) -> None:
        meta_ = event.entry.obj["metadata"]
        self.queue((meta_["namespace"], meta_["name"]))

    def _on_pod(self, event: Event) -> None:
        namespace = event.entry.obj["metadata"]["namespace"]
        for obj in (event.old, event.entry.obj):
            ref = runtime.controller_ref(obj)
            if ref is not None and ref.get("kind") == "ReplicaSet":
                self.queue((namespace, ref["name"]))

    def reconcile(self, key: Any) -> None:
        namespace, name = key
        entry = self.store.get("replicasets.apps", namespace, name)
        if entry is None:
            return
        rs = entry.obj
        pods = [p.obj for p in self.owned(rs["metadata"]["uid"], "pods")]
        active = [pod for pod in pods if meta.is_active(pod)]
        failure: dict[str, Any] | None = None
        if not rs["metadata"].get("deletionTimestamp"):
            wanted = int((rs.get("spec") or {}).get("replicas", 1))
            if len(active) < wanted:
                failure = self._create(rs, min(wanted - len(active), BURST))
            elif len(active) > wanted:
                self._delete(rs, sorted(active, key=_deletion_rank)[: len(active) - wanted])
        self._status(entry, active, failure)

    def _create(self, rs: dict[str, Any], count: int) -> dict[str, Any] | None:
        template = (rs.get("spec") or {}).get("template") or {}
        for _ in range(count):
            pod = pod_from_template(template, rs, generate_name=f"{rs['metadata']['name']}-")
            try:
                created = self.registry.create(
                    self.rt("pods"),
                    rs["metadata"]["namespace"],
                    pod,
                    WriteOptions(manager=self.manager_name),
                )
            except errors.ApiError as err:
                self.event(rs, "Warning", "FailedCreate", f"Error creating: {err.message}")
                self.wake((rs["metadata"]["namespace"], rs["metadata"]["name"]), 1.0)
                return {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "reason": "FailedCreate",
                    "message": err.message,
                }
            self.event(
                rs, "Normal", "SuccessfulCreate", f"Created pod: {created.obj['metadata']['name']}"
            )
        return None

    def _delete(self, rs: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        for pod in pods[:BURST]:
            meta_ = pod["metadata"]
            if self.remove("pods", meta_["namespace"], meta_["name"], uid=meta_["uid"]):
                self.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {meta_['name']}")

    def _status(
        self, entry: Entry, active: list[dict[str, Any]], failure: dict[str, Any] | None
    ) -> None:
        rs = entry.obj
        spec = rs.get("spec") or {}
        now = self.manager.clock.now()
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        ready = available = labelled = 0
        next_check: float | None = None
        for pod in active:
            labels = pod["metadata"].get("labels") or {}
            labelled += all(labels.get(k) == v for k, v in template_labels.items())
            wait = meta.available_in(pod, min_ready, now)
            if wait is None:
                continue
            ready += 1
            if wait <= 0:
                available += 1
            else:
                next_check = wait if next_check is None else min(next_check, wait)
        old = rs.get("status") or {}
        conditions = [c for c in old.get("conditions") or () if c.get("type") != "ReplicaFailure"]
        if failure is not None:
            previous = meta.condition(old.get("conditions"), "ReplicaFailure")
            failure["lastTransitionTime"] = (previous or {}).get(
                "lastTransitionTime"
            ) or self.registry.now()
            conditions.append(
                {
                    k: failure[k]
                    for k in ("type", "status", "lastTransitionTime", "reason", "message")
                }
            )
        status: dict[str, Any] = {
            "replicas": len(active),
            "fullyLabeledReplicas": labelled,
            "readyReplicas": ready,
            "availableReplicas": available,
            "observedGeneration": rs["metadata"].get("generation", 1),
            "conditions": conditions,
        }
        meta.drop_zero(
            status, "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "conditions"
        )
        meta.put_status(
            self.registry, self.rt("replicasets.apps"), entry, status, self.manager_name
        )
        if next_check is not None:
            self.wake((rs["metadata"]["namespace"], rs["metadata"]["name"]), next_check + 0.001)


def pod_from_template(
    template: dict[str, Any], owner: dict[str, Any], *, generate_name: str = "", name: str = ""
) -> dict[str, Any]:
    """A new pod from a pod template, owned by `owner` (ReplicaSet, Job, DaemonSet ...)."""
    template_meta = template.get("metadata") or {}
    metadata: dict[str, Any] = {}
    if name:
        metadata["name"] = name
    else:
        metadata["generateName"] = generate_name
    metadata["namespace"] = owner["metadata"]["namespace"]
    for key in ("labels", "annotations", "finalizers"):
        if template_meta.get(key):
            metadata[key] = meta.deep(template_meta[key])
    metadata["ownerReferences"] = [meta.owner_ref(owner)]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": meta.deep(template.get("spec") or {}),
    }


def _deletion_rank(pod: dict[str, Any]) -> tuple[Any, ...]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    annotations = pod["metadata"].get("annotations") or {}
    since = meta.ready_since(pod)
    try:
        cost = int(annotations.get("controller.kubernetes.io/pod-deletion-cost", 0))
    except ValueError:
        cost = 0
    restarts = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or ())
    created = parse_rfc3339(pod["metadata"]["creationTimestamp"]).timestamp()
    ready_for = -parse_rfc3339(since).timestamp() if since else 0.0
    return (
        1 if spec.get("nodeName") else 0,
        _PHASE_RANK.get(status.get("phase", "Pending"), 0),
        1 if since is not None else 0,
        cost,
        ready_for,
        -restarts,
        -created,
    )
