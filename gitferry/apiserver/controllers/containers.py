"""The simulated container runtime: each container of a pod as a small state machine.

A container waits (ContainerCreating, image pull errors and their back-off), runs, becomes
ready, exits, and is restarted by its restart policy with the kubelet's crash back-off: the
first crash restarts at once, later ones wait 10 s doubling to 5 min (`CrashLoopBackOff`,
with the real numbers in the message even when the simulation runs faster). `PodRun` plays
the containers of one pod in order: first status, sandbox, init containers one by one, then
the app containers. Time is passed in (`Tick`); nothing here reads a clock or writes.

Used by the kubelet (`kubelet.py`), which turns a `PodRun` into pod status (`podstatus.py`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gitferry.apiserver.controllers import behaviour, meta

# Real-cluster seconds of each step (scaled by the speed when played).
REPORT = 0.2  # kubelet's first status after binding
SANDBOX = 0.3  # pod sandbox and network
PULL = 0.5  # pulling an image the node does not have yet
START = 0.2  # creating and starting a container
SETTLE = 0.1  # a terminated state is visible this long before the kubelet acts on it
TERMINATE = 1.0  # stopping the containers of a deleted pod (at most its grace period)
CONFIG_RETRY = 10.0  # the kubelet retries a container it could not configure
CRASH_BACKOFF = (10.0, 300.0)
PULL_BACKOFF = (10.0, 300.0)


@dataclass(frozen=True)
class Tick:
    """The moment a pod is advanced to, and how to scale delays."""

    now: float  # monotonic
    stamp: str  # RFC 3339, for the status
    sim: Callable[[float], float]
    backoff: Callable[[float], float]
    pulled: Callable[[str], bool]  # whether the node already has an image
    # Why a container cannot be configured (a missing ConfigMap, Secret or key), or None.
    config: Callable[[dict[str, Any]], str | None]


@dataclass
class Container:
    """One container's state, as its containerStatus shows it."""

    spec: dict[str, Any]
    plan: behaviour.Plan
    restart: str  # the policy applied when it exits: Always, OnFailure or Never
    init: bool = False
    state: dict[str, Any] = field(
        default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}}
    )
    last_state: dict[str, Any] = field(default_factory=dict)
    restarts: int = 0
    ready: bool = False
    started: bool = False
    container_id: str = ""
    pulled: bool = False
    crashes: int = 0
    pull_failures: int = 0
    begun: bool = False
    timers: dict[str, float] = field(default_factory=dict)
    # Events to record: (type, reason, message), collected by the kubelet.
    notes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.spec.get("name", ""))

    @property
    def image(self) -> str:
        return str(self.spec.get("image", ""))

    @property
    def sidecar(self) -> bool:
        return self.init and self.spec.get("restartPolicy") == "Always"

    def done(self) -> bool:
        """An init container that finished successfully (a sidecar: one that started)."""
        if self.sidecar:
            return self.started
        terminated = self.state.get("terminated")
        return terminated is not None and terminated.get("exitCode") == 0

    def failed_for_good(self) -> bool:
        terminated = self.state.get("terminated")
        return bool(terminated and terminated.get("exitCode") != 0 and not self.timers)

    def begin(self, tick: Tick) -> None:
        """Pull the image and start the container after the usual delays."""
        self.begun = True
        delay = (0.0 if tick.pulled(self.image) else PULL) + START + self.plan.slow_start
        self.timers["start"] = tick.now + tick.sim(delay)

    def step(self, action: str, tick: Tick, pod_desc: str) -> None:
        del self.timers[action]
        if action == "start":
            self._pull(tick)
        elif action == "pull-backoff":
            message = f'Back-off pulling image "{self.image}"'
            self.state = {"waiting": {"reason": "ImagePullBackOff", "message": message}}
            self.notes.append(("Normal", "BackOff", message))
            self.notes.append(("Warning", "Failed", "Error: ImagePullBackOff"))
            wait = _backoff(PULL_BACKOFF, self.pull_failures)
            self.timers["start"] = tick.now + tick.backoff(wait)
        elif action == "ready":
            self.ready = "running" in self.state
        elif action == "exit":
            self._exit(tick)
        elif action == "restart":
            self._restart(tick, pod_desc)
        elif action == "rerun":
            self.restarts += 1
            self._run(tick)

    def _pull(self, tick: Tick) -> None:
        if self.plan.pull_error == "InvalidImageName":
            message = behaviour.invalid_message(self.image)
            self.state = {"waiting": {"reason": "InvalidImageName", "message": message}}
            self.notes.append(("Warning", "InspectFailed", message))
            self.notes.append(("Warning", "Failed", "Error: InvalidImageName"))
        elif self.plan.pull_error:
            self.pull_failures += 1
            message = behaviour.pull_message(self.image)
            self.state = {"waiting": {"reason": "ErrImagePull", "message": message}}
            self.notes.append(("Normal", "Pulling", f'Pulling image "{self.image}"'))
            self.notes.append(
                ("Warning", "Failed", f'Failed to pull image "{self.image}": {message}')
            )
            self.notes.append(("Warning", "Failed", "Error: ErrImagePull"))
            self.timers["pull-backoff"] = tick.now + tick.backoff(1.0)
        else:
            if tick.pulled(self.image):
                message = f'Container image "{self.image}" already present on machine'
                self.notes.append(("Normal", "Pulled", message))
            else:
                self.notes.append(("Normal", "Pulling", f'Pulling image "{self.image}"'))
                message = (
                    f'Successfully pulled image "{self.image}" in 500ms (500ms including waiting)'
                )
                self.notes.append(("Normal", "Pulled", message))
            problem = tick.config(self.spec)
            if problem:
                reason = "CreateContainerConfigError"
                self.state = {"waiting": {"reason": reason, "message": problem}}
                self.notes.append(("Warning", "Failed", f"Error: {problem}"))
                self.timers["start"] = tick.now + tick.backoff(CONFIG_RETRY)
                return
            self.pulled = True
            self._run(tick)

    def _run(self, tick: Tick) -> None:
        self.notes.append(("Normal", "Created", f"Created container: {self.name}"))
        self.notes.append(("Normal", "Started", f"Started container {self.name}"))
        self.container_id = f"containerd://{secrets.token_hex(32)}"
        self.state = {"running": {"startedAt": tick.stamp}}
        self.started = True
        self.ready = (
            self.plan.ready and self.plan.ready_delay <= 0 and not (self.init and not self.sidecar)
        )
        if self.plan.ready and self.plan.ready_delay > 0:
            self.timers["ready"] = tick.now + tick.sim(self.plan.ready_delay)
        if not self.plan.ready:
            message = "Readiness probe failed: HTTP probe failed with statuscode: 503"
            self.notes.append(("Warning", "Unhealthy", message))
        if self.plan.run_for is not None:
            self.timers["exit"] = tick.now + tick.sim(self.plan.run_for)

    def _exit(self, tick: Tick) -> None:
        started = self.state.get("running", {}).get("startedAt", tick.stamp)
        code = self.plan.exit_code
        terminated: dict[str, Any] = {
            "containerID": self.container_id,
            "exitCode": code,
            "finishedAt": tick.stamp,
            "reason": self.plan.exit_reason,
            "startedAt": started,
        }
        self.state = {"terminated": terminated}
        self.ready = self.started = False
        self.timers.pop("ready", None)
        if self.restart == "Always" or (self.restart == "OnFailure" and code != 0):
            self.timers["restart"] = tick.now + tick.sim(SETTLE)

    def _restart(self, tick: Tick, pod_desc: str) -> None:
        self.crashes += 1
        self.last_state = {"terminated": self.state["terminated"]}
        if self.crashes == 1:
            self.restarts += 1
            self._run(tick)
            return
        wait = _backoff(CRASH_BACKOFF, self.crashes - 1)
        message = (
            f"back-off {meta.go_duration(wait)} restarting failed container={self.name} "
            f"pod={pod_desc}"
        )
        self.state = {"waiting": {"reason": "CrashLoopBackOff", "message": message}}
        self.timers["rerun"] = tick.now + tick.backoff(wait)
        event = f"Back-off restarting failed container {self.name} in pod {pod_desc}"
        self.notes.append(("Warning", "BackOff", event))

    def kill(self, tick: Tick) -> None:
        """Stop the container for good (its pod is being deleted): a running process exits
        on SIGTERM with 143, as most do."""
        self.timers.clear()
        self.ready = self.started = False
        if "running" in self.state:
            self.notes.append(("Normal", "Killing", f"Stopping container {self.name}"))
            self.state = {
                "terminated": {
                    "containerID": self.container_id,
                    "exitCode": 143,
                    "finishedAt": tick.stamp,
                    "reason": "Error",
                    "startedAt": self.state["running"]["startedAt"],
                }
            }
        elif "waiting" in self.state:
            if self.last_state.get("terminated"):
                self.state = {"terminated": self.last_state["terminated"]}
            else:
                self.state = {
                    "terminated": {
                        "exitCode": 137,
                        "finishedAt": None,
                        "message": "The container could not be located when the pod was terminated",
                        "reason": "ContainerStatusUnknown",
                        "startedAt": None,
                    }
                }

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.container_id:
            result["containerID"] = self.container_id
        result["image"] = behaviour.normalize(self.image) if self.pulled else self.image
        result["imageID"] = behaviour.image_id(self.image) if self.pulled else ""
        result["lastState"] = self.last_state
        result["name"] = self.name
        result["ready"] = self.done() if self.init and not self.sidecar else self.ready
        result["restartCount"] = self.restarts
        result["started"] = self.started
        result["state"] = self.state
        return result


def _backoff(bounds: tuple[float, float], attempt: int) -> float:
    first, cap = bounds
    return float(min(first * 2 ** max(attempt - 1, 0), cap))


@dataclass
class PodRun:
    """The kubelet's view of one pod it runs."""

    uid: str
    desc: str  # <pod>_<namespace>(<uid>), as kubelet messages print a pod
    init: list[Container]
    app: list[Container]
    reported: bool = False
    sandbox: bool = False
    killed: bool = False
    # Why the pod's volumes cannot be mounted (its containers wait), or None.
    mount_error: str | None = None
    timers: dict[str, float] = field(default_factory=dict)

    def containers(self) -> list[Container]:
        return self.init + self.app

    def next_due(self) -> float | None:
        dues = list(self.timers.values())
        for container in self.containers():
            dues.extend(container.timers.values())
        return min(dues) if dues else None

    def advance(self, tick: Tick) -> None:
        """Play every step due at `tick.now`, in time order."""
        for _ in range(1000):
            self._progress(tick)
            due = self.next_due()
            if due is None or due > tick.now:
                return
            for action, when in sorted(self.timers.items(), key=lambda item: item[1]):
                if when <= due:
                    del self.timers[action]
                    self._pod_step(action, tick)
                    break
            else:
                for container in self.containers():
                    found = [a for a, when in container.timers.items() if when <= due]
                    if found:
                        container.step(found[0], tick, self.desc)
                        break

    def _pod_step(self, action: str, tick: Tick) -> None:
        if action == "report":
            self.reported = True
        elif action == "sandbox":
            self.sandbox = True
        elif action == "kill":
            self.kill(tick)

    def _progress(self, tick: Tick) -> None:
        """Start what may start now: the report, the sandbox, the next init container, or
        the app containers once initialisation is done."""
        if self.killed:
            return
        if not self.reported:
            self.timers.setdefault("report", tick.now + tick.sim(REPORT))
            return
        if not self.sandbox:
            self.timers.setdefault("sandbox", tick.now + tick.sim(SANDBOX))
            return
        if self.mount_error:
            return
        for container in self.init:
            if not container.begun:
                container.begin(tick)
                return
            if not container.done():
                return
        for container in self.app:
            if not container.begun:
                container.begin(tick)

    def waiting_for_config(self) -> bool:
        """Whether a ConfigMap or Secret that is missing holds the pod back."""
        return bool(self.mount_error) or any(
            (c.state.get("waiting") or {}).get("reason") == "CreateContainerConfigError"
            for c in self.containers()
        )

    def retry_config(self, now: float) -> None:
        """Try the containers that could not be configured again, now."""
        for container in self.containers():
            if (container.state.get("waiting") or {}).get("reason") == "CreateContainerConfigError":
                container.timers["start"] = now

    def initialized(self) -> bool:
        return all(container.done() for container in self.init)

    def kill(self, tick: Tick) -> None:
        self.killed = True
        self.timers.clear()
        for container in self.containers():
            container.kill(tick)
