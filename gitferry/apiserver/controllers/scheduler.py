"""The simulated kube-scheduler: binds pending pods to the node, or says why it cannot.

A pod without `spec.nodeName` (and with the default scheduler) is bound to the node about
50 ms after creation: `spec.nodeName` is set as `kube-scheduler` and `PodScheduled=True` is
added. It stays Pending with `PodScheduled=False Unschedulable` and the scheduler's message
when the node excludes it (nodeSelector, required node affinity, untolerated taints, an
unschedulable node) or when a claim it mounts is missing or unbound with Immediate binding.
Claims of a WaitForFirstConsumer class get `volume.kubernetes.io/selected-node` and the pod
waits until the provisioner has bound them. Pods waiting are retried when nodes or claims
change. Started by the controller manager.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.controllers import meta, nodes, runtime, volumes
from gitferry.apiserver.store import Event

DELAY = 0.05  # seconds from creation to binding
SELECTED_NODE = "volume.kubernetes.io/selected-node"
_PREEMPTION = "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
_WAIT = "wait"


class Scheduler(runtime.Controller):
    """Binds pods to the simulated node."""

    name = "scheduler"
    manager_name = "kube-scheduler"
    component = "default-scheduler"

    def __init__(self, manager: runtime.Manager) -> None:
        super().__init__(manager)
        self.node = nodes.node_name(self.options)
        self._pending: dict[str, set[str]] = {}

    def start(self) -> None:
        for entry in self.store.entries("pods"):
            if self._wants(entry.obj):
                self._track(entry.obj)
                self.queue(_key(entry.obj))

    def watches(self) -> dict[str, runtime.Handler]:
        return {
            "pods": self._on_pod,
            "nodes": lambda _event: self._retry(None),
            "persistentvolumeclaims": lambda event: self._retry(
                event.entry.obj["metadata"]["namespace"]
            ),
        }

    def _wants(self, pod: dict[str, Any]) -> bool:
        spec = pod.get("spec") or {}
        return (
            not spec.get("nodeName")
            and not pod["metadata"].get("deletionTimestamp")
            and spec.get("schedulerName", "default-scheduler") == "default-scheduler"
            and not meta.is_terminal(pod)
        )

    def _track(self, pod: dict[str, Any]) -> None:
        namespace, name = _key(pod)
        self._pending.setdefault(namespace, set()).add(name)

    def _on_pod(self, event: Event) -> None:
        pod = event.entry.obj
        namespace, name = _key(pod)
        if event.type != "DELETED" and self._wants(pod):
            self._track(pod)
            if event.type == "ADDED":
                self.wake((namespace, name), self.sim(DELAY))
            else:
                self.queue((namespace, name))
            return
        names = self._pending.get(namespace)
        if names is not None:
            names.discard(name)
            if not names:
                del self._pending[namespace]

    def _retry(self, namespace: str | None) -> None:
        for ns, names in list(self._pending.items()):
            if namespace is None or ns == namespace:
                for name in sorted(names):
                    self.queue((ns, name))

    def reconcile(self, key: Any) -> None:
        namespace, name = key
        entry = self.store.get("pods", namespace, name)
        if entry is None or not self._wants(entry.obj):
            return
        pod = entry.obj
        if (pod.get("spec") or {}).get("schedulingGates"):
            self._unschedulable(
                entry, "SchedulingGated", "Scheduling is blocked due to non-empty scheduling gates"
            )
            return
        node = self.store.get("nodes", "", self.node)
        problem = "no nodes available to schedule pods" if node is None else _misfit(pod, node.obj)
        if problem is None:
            problem = self._claims(pod)
            if problem == _WAIT:
                return
        if problem is not None:
            message = (
                problem if node is None else f"0/1 nodes are available: {problem}. " + (_PREEMPTION)
            )
            self._unschedulable(entry, "Unschedulable", message)
            return
        self._bind(entry)

    def _bind(self, entry: Any) -> None:
        pod = entry.copy()
        pod["spec"]["nodeName"] = self.node
        bound = self.registry.write(self.rt("pods"), pod, self.manager_name).obj
        status = meta.deep(bound.get("status") or {})
        conditions = [c for c in status.get("conditions") or () if c["type"] != "PodScheduled"]
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": self.registry.now(),
            }
        )
        status["conditions"] = conditions
        current = self.registry.get(self.rt("pods"), *_key(bound))
        stored = meta.put_status(self.registry, self.rt("pods"), current, status, self.manager_name)
        namespace, name = _key(stored)
        self.event(
            stored,
            "Normal",
            "Scheduled",
            f"Successfully assigned {namespace}/{name} to {self.node}",
        )

    def _unschedulable(self, entry: Any, reason: str, message: str) -> None:
        status = meta.deep(entry.obj.get("status") or {})
        current = meta.condition(status.get("conditions"), "PodScheduled")
        if current is not None and current.get("message") == message:
            return
        conditions = [c for c in status.get("conditions") or () if c["type"] != "PodScheduled"]
        transition = self.registry.now()
        if current is not None and current.get("status") == "False":
            transition = current.get("lastTransitionTime") or transition
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": transition,
                "reason": reason,
                "message": message,
            }
        )
        status["conditions"] = conditions
        stored = meta.put_status(self.registry, self.rt("pods"), entry, status, self.manager_name)
        if reason == "Unschedulable":
            self.event(stored, "Warning", "FailedScheduling", message)

    def _claims(self, pod: dict[str, Any]) -> str | None:
        """A reason the pod's claims keep it off the node, `_WAIT`, or None when bound."""
        namespace = pod["metadata"]["namespace"]
        waiting = False
        for volume in (pod.get("spec") or {}).get("volumes") or ():
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            entry = self.store.get("persistentvolumeclaims", namespace, claim)
            if entry is None:
                return f'persistentvolumeclaim "{claim}" not found'
            pvc = entry.obj
            if pvc["metadata"].get("deletionTimestamp"):
                return f'persistentvolumeclaim "{claim}" is being deleted'
            if (pvc.get("status") or {}).get("phase") == "Bound":
                continue
            storage_class = volumes.class_of(self.store, pvc)
            mode = (storage_class or {}).get("volumeBindingMode", "Immediate")
            if mode != "WaitForFirstConsumer":
                return "pod has unbound immediate PersistentVolumeClaims"
            waiting = True
            annotations = pvc["metadata"].get("annotations") or {}
            if annotations.get(SELECTED_NODE) != self.node:
                copy = entry.copy()
                copy["metadata"].setdefault("annotations", {})[SELECTED_NODE] = self.node
                self.registry.write(self.rt("persistentvolumeclaims"), copy, self.manager_name)
        return _WAIT if waiting else None


def _key(pod: dict[str, Any]) -> tuple[str, str]:
    return (pod["metadata"].get("namespace", ""), pod["metadata"]["name"])


def _misfit(pod: dict[str, Any], node: dict[str, Any]) -> str | None:
    """Why the node cannot take the pod, in the scheduler's words, or None."""
    spec = pod.get("spec") or {}
    node_spec = node.get("spec") or {}
    if node_spec.get("unschedulable") and not any(
        _tolerates(t, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
        for t in spec.get("tolerations") or ()
    ):
        return "1 node(s) were unschedulable"
    for taint in node_spec.get("taints") or ():
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not any(
            _tolerates(t, taint) for t in spec.get("tolerations") or ()
        ):
            return (
                f"1 node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value', '')}}}"
            )
    labels = node["metadata"].get("labels") or {}
    selector = spec.get("nodeSelector") or {}
    affinity = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = affinity.get("nodeSelectorTerms") or []
    if any(labels.get(k) != v for k, v in selector.items()) or (
        terms and not any(_term(term, labels, node["metadata"]["name"]) for term in terms)
    ):
        return "1 node(s) didn't match Pod's node affinity/selector"
    return None


def _tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return not toleration.get("key") or toleration.get("key") == taint.get("key")
    return toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get(
        "value", ""
    )


def _term(term: dict[str, Any], labels: dict[str, str], name: str) -> bool:
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    return all(_requirement(e, labels) for e in expressions) and all(
        _requirement(f, {"metadata.name": name}) for f in fields
    )


def _requirement(expression: dict[str, Any], labels: dict[str, str]) -> bool:
    key, op = expression.get("key", ""), expression.get("operator", "")
    values = [str(v) for v in expression.get("values") or ()]
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and values:
        try:
            left, right = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return left > right if op == "Gt" else left < right
    return False


def fits(pod: dict[str, Any], node: dict[str, Any]) -> bool:
    """Whether the node may run the pod (used by the DaemonSet controller)."""
    return _misfit(pod, node) is None
