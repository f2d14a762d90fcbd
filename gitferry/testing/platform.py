"""Test helpers for the control plane: a `gitferry controller` child process, and builders and
waiters for Applications on an embedded cluster. Used by gitferry's controller tests and
available to users testing their own GitOps configuration.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitferry.testing.cluster import RunningCluster


@dataclass
class Controller:
    """A `gitferry controller` child process."""

    cluster: RunningCluster
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    # Seconds between periodic refreshes (short for tests; None: the controller's default).
    reconciliation_timeout: float | None = 3.0
    wave_delay: float = 0.2

    def start(self) -> None:
        log = (self.workdir / "controller.log").open("ab")
        command = [
            sys.executable,
            "-m",
            "gitferry",
            "-v",
            "controller",
            "--kubeconfig",
            str(self.cluster.kubeconfig),
            "--cache-dir",
            str(self.workdir / "cache"),
            "--wave-delay",
            str(self.wave_delay),
        ]
        if self.reconciliation_timeout is not None:
            command += ["--reconciliation-timeout", str(self.reconciliation_timeout)]
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=30)

    def log(self) -> str:
        return (self.workdir / "controller.log").read_text(errors="replace")


class Apps:
    """Create Applications and read their state through kubectl."""

    def __init__(self, cluster: RunningCluster) -> None:
        self.cluster = cluster

    def create(self, app: dict[str, Any]) -> None:
        self.cluster.kubectl("apply", "-f", "-", input=json.dumps(app))

    def get(self, name: str) -> dict[str, Any]:
        result = self.cluster.kubectl("get", "application", name, "-n", "argocd", "-o", "json")
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def status(self, name: str) -> dict[str, Any]:
        return self.get(name).get("status") or {}

    def wait(
        self,
        name: str,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 60.0,
        what: str = "",
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            last = self.get(name)
            if predicate(last):
                return last
            time.sleep(0.3)
        state = last.get("status") or {}
        raise AssertionError(
            f"app {name}: {what or 'condition'} not reached in {timeout:g}s; sync="
            f"{(state.get('sync') or {}).get('status')} health="
            f"{(state.get('health') or {}).get('status')} operation="
            f"{(state.get('operationState') or {}).get('phase')}: "
            f"{(state.get('operationState') or {}).get('message')} conditions="
            f"{state.get('conditions')}"
        )

    def wait_synced_healthy(self, name: str, timeout: float = 90.0) -> dict[str, Any]:
        def ready(obj: dict[str, Any]) -> bool:
            status = obj.get("status") or {}
            return (
                (status.get("sync") or {}).get("status") == "Synced"
                and (status.get("health") or {}).get("status") == "Healthy"
                and not obj.get("operation")
            )

        return self.wait(name, ready, timeout=timeout, what="Synced and Healthy")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def application(
    name: str,
    repo: str,
    path: str,
    namespace: str,
    *,
    automated: dict[str, Any] | None = None,
    sync_options: list[str] | None = None,
    finalizer: bool = False,
    **source: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "project": "default",
        "source": {"repoURL": repo, "path": path, "targetRevision": "main", **source},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        "syncPolicy": {"syncOptions": sync_options or ["CreateNamespace=true"]},
    }
    if automated is not None:
        spec["syncPolicy"]["automated"] = automated
    meta: dict[str, Any] = {"name": name, "namespace": "argocd"}
    if finalizer:
        meta["finalizers"] = ["resources-finalizer.argocd.argoproj.io"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": meta,
        "spec": spec,
    }
