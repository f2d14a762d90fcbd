"""The simulated kubelet of the cluster's one node: runs the pods bound to it.

For each pod with `spec.nodeName` set to the node it keeps a `containers.PodRun` (built from
the pod's containers and their `behaviour` plans), plays it forward as time passes and writes
the resulting status (`podstatus.derive`) as `kubelet` through the status subresource. Pod IPs
come from the node's pod CIDR. A pod with a deletionTimestamp has its containers stopped after
min(grace period, about 1 s) at the simulation speed, gets its terminal status and is then
removed with a grace period of 0, as the real kubelet does.

After a restart the kubelet picks running pods up from their stored status: running
containers keep running, waiting ones start again. Started by the controller manager.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.controllers import (
    behaviour,
    configrefs,
    meta,
    nodes,
    podstatus,
    runtime,
)
from gitferry.apiserver.controllers.containers import (
    CONFIG_RETRY,
    TERMINATE,
    Container,
    PodRun,
    Tick,
)
from gitferry.apiserver.store import Event

_NETWORK = ipaddress.ip_network(nodes.POD_CIDR)


class Kubelet(runtime.Controller):
    """Runs the pods scheduled to the simulated node."""

    name = "kubelet"
    manager_name = "kubelet"
    component = "kubelet"

    def __init__(self, manager: runtime.Manager) -> None:
        super().__init__(manager)
        self.node = nodes.node_name(self.options)
        self._runs: dict[str, PodRun] = {}
        self._ips: dict[str, str] = {}  # pod uid -> IP
        self._used: set[str] = set()
        self._cursor = 2
        self._images: set[str] = set()
        # Pods held back by a missing ConfigMap or Secret, by namespace.
        self._blocked: dict[str, set[str]] = {}

    def start(self) -> None:
        for entry in self.store.entries("pods"):
            pod = entry.obj
            if (pod.get("spec") or {}).get("nodeName") != self.node:
                continue
            ip = (pod.get("status") or {}).get("podIP")
            if ip and ip != nodes.NODE_IP:
                self._ips[pod["metadata"]["uid"]] = ip
                self._used.add(ip)
            self.queue((pod["metadata"]["namespace"], pod["metadata"]["name"]))

    def watches(self) -> dict[str, runtime.Handler]:
        return {"pods": self._on_pod, "configmaps": self._on_config, "secrets": self._on_config}

    def _on_config(self, event: Event) -> None:
        """A ConfigMap or Secret appeared or changed: retry the pods waiting for one."""
        if event.type == "DELETED":
            return
        namespace = event.entry.obj["metadata"].get("namespace", "")
        for name in sorted(self._blocked.get(namespace, ())):
            entry = self.store.get("pods", namespace, name)
            run = self._runs.get(entry.obj["metadata"]["uid"]) if entry else None
            if run is not None:
                run.retry_config(self.manager.clock.monotonic())
            self.queue((namespace, name))

    def _on_pod(self, event: Event) -> None:
        pod = event.entry.obj
        meta_ = pod["metadata"]
        if event.type == "DELETED":
            self._runs.pop(meta_["uid"], None)
            ip = self._ips.pop(meta_["uid"], None)
            if ip is not None:
                self._used.discard(ip)
            return
        if (pod.get("spec") or {}).get("nodeName") == self.node:
            self.queue((meta_["namespace"], meta_["name"]))

    def reconcile(self, key: Any) -> None:
        namespace, name = key
        entry = self.store.get("pods", namespace, name)
        if entry is None or (entry.obj.get("spec") or {}).get("nodeName") != self.node:
            return
        pod = entry.obj
        uid = pod["metadata"]["uid"]
        deleting = bool(pod["metadata"].get("deletionTimestamp"))
        run = self._runs.get(uid)
        if run is None:
            if meta.is_terminal(pod) or (
                deleting and not (pod.get("status") or {}).get("startTime")
            ):
                if deleting:
                    self._remove(pod)
                return
            run = self._runs[uid] = self._new_run(pod)
        now = self.manager.clock.monotonic()
        tick = Tick(
            now,
            self.registry.now(),
            self.sim,
            self.backoff,
            self._images.__contains__,
            lambda container: configrefs.env_problem(self.store, namespace, container),
        )
        self._mounts(run, entry.obj)
        if deleting and not run.killed and "kill" not in run.timers:
            grace = float(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
            run.timers["kill"] = now + self.sim(min(grace, TERMINATE))
        run.advance(tick)
        for container in run.containers():
            if container.pulled:
                self._images.add(container.image)
        phase = None
        if run.reported:
            ip = self._ip(pod, uid) if run.sandbox else None
            status = podstatus.derive(pod, run, stamp=tick.stamp, host_ip=nodes.NODE_IP, pod_ip=ip)
            phase = status["phase"]
            stored = meta.put_status(
                self.registry, self.rt("pods"), entry, status, self.manager_name
            )
            self._notes(stored, run)
        if run.killed:
            self._runs.pop(uid, None)
            self._remove(pod)
            return
        if phase in ("Succeeded", "Failed"):
            self._runs.pop(uid, None)
            return
        blocked = self._blocked.setdefault(namespace, set())
        if run.waiting_for_config():
            blocked.add(name)
        else:
            blocked.discard(name)
        due = run.next_due()
        if run.mount_error and not run.killed:
            retry = now + self.backoff(CONFIG_RETRY)
            due = retry if due is None else min(due, retry)
        if due is not None:
            self.wake(key, due - now)

    def _mounts(self, run: PodRun, pod: dict[str, Any]) -> None:
        """Check the pod's volumes until its containers have begun."""
        if any(c.begun for c in run.containers()):
            run.mount_error = None
            return
        problem = configrefs.mount_problem(self.store, pod)
        if problem and run.sandbox:
            self.event(pod, "Warning", "FailedMount", problem)
        run.mount_error = problem

    def _notes(self, pod: dict[str, Any], run: PodRun) -> None:
        for container in run.containers():
            for kind, reason, message in container.notes:
                self.event(pod, kind, reason, message)
            container.notes.clear()

    def _remove(self, pod: dict[str, Any]) -> None:
        meta_ = pod["metadata"]
        self.remove("pods", meta_["namespace"], meta_["name"], uid=meta_["uid"], grace_seconds=0)

    def _ip(self, pod: dict[str, Any], uid: str) -> str:
        if (pod.get("spec") or {}).get("hostNetwork"):
            return nodes.NODE_IP
        ip = self._ips.get(uid)
        if ip is not None:
            return ip
        size = _NETWORK.num_addresses
        for _ in range(size):
            candidate = str(_NETWORK.network_address + self._cursor)
            self._cursor = self._cursor + 1 if self._cursor < size - 2 else 2
            if candidate not in self._used:
                self._used.add(candidate)
                self._ips[uid] = candidate
                return candidate
        raise errors.internal(f"node {self.node}: pod CIDR {nodes.POD_CIDR} is full")

    def _new_run(self, pod: dict[str, Any]) -> PodRun:
        spec = pod.get("spec") or {}
        policy = spec.get("restartPolicy", "Always")
        init_policy = "Never" if policy == "Never" else "OnFailure"
        init = [
            Container(
                c,
                behaviour.plan(pod, c, init=True),
                "Always" if c.get("restartPolicy") == "Always" else init_policy,
                init=True,
            )
            for c in spec.get("initContainers") or ()
        ]
        app = [
            Container(c, behaviour.plan(pod, c, init=False), policy)
            for c in spec.get("containers") or ()
        ]
        meta_ = pod["metadata"]
        run = PodRun(
            meta_["uid"], f"{meta_['name']}_{meta_['namespace']}({meta_['uid']})", init, app
        )
        status = pod.get("status") or {}
        if status.get("startTime"):
            self._resume(run, status)
        return run

    def _resume(self, run: PodRun, status: dict[str, Any]) -> None:
        """Continue a pod the kubelet ran before a restart, from its stored status."""
        run.reported = True
        run.sandbox = bool(status.get("podIP"))
        now = self.manager.clock.monotonic()
        stored = {
            s["name"]: s
            for s in (status.get("initContainerStatuses") or [])
            + (status.get("containerStatuses") or [])
        }
        for container in run.containers():
            seen = stored.get(container.name)
            if seen is None:
                continue
            state = seen.get("state") or {}
            container.restarts = int(seen.get("restartCount") or 0)
            container.last_state = seen.get("lastState") or {}
            container.container_id = seen.get("containerID", "")
            container.pulled = bool(seen.get("imageID"))
            if "running" in state:
                container.begun = container.started = True
                container.state = state
                container.ready = bool(seen.get("ready"))
                if container.plan.run_for is not None:
                    container.timers["exit"] = now + self.sim(container.plan.run_for)
                if not container.ready and container.plan.ready and not container.init:
                    container.timers["ready"] = now + self.sim(container.plan.ready_delay)
            elif "terminated" in state:
                container.begun = True
                container.state = state
                code = state["terminated"].get("exitCode")
                if container.restart == "Always" or (
                    container.restart == "OnFailure" and code != 0
                ):
                    container.timers["restart"] = now
            elif (state.get("waiting") or {}).get("reason") == "CrashLoopBackOff":
                container.begun = True
                container.state = state
                container.crashes = max(container.restarts, 1)
                container.timers["rerun"] = now + self.backoff(10.0)
