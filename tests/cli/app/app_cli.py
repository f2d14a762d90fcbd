"""The harness the `gitferry app` tests share: `Apps` runs the commands in-process with
click's CliRunner against one namespace of the session's embedded cluster and reads and writes
its Applications directly; `finish` plays the controller finishing an operation; and the
Application builder, spec and user that the tests' tables refer to.

No controller runs in these tests: where a command needs status, a test writes it onto the
Application with a merge patch (or a stand-in controller thread does, once the command has
written its `operation`), and checks what the command printed, decided and wrote. The fixtures
that hand out `Apps` are in conftest.py next to this module.
"""

from __future__ import annotations

import getpass
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click.testing
import yaml

from gitferry.cli import app_cmd
from gitferry.testing.cluster import RunningCluster

Json = dict[str, Any]
REPO = "https://git.example/config.git"


class Apps:
    """The `gitferry app` commands and the Applications of one test namespace."""

    def __init__(self, cluster: RunningCluster, namespace: str, workdir: Path) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.workdir = workdir

    def run(self, *args: str) -> click.testing.Result:
        platform = ["--kubeconfig", str(self.cluster.kubeconfig), "--namespace", self.namespace]
        return click.testing.CliRunner().invoke(app_cmd.app, [*args, *platform])

    def path(self, name: str = "") -> str:
        base = f"/apis/argoproj.io/v1alpha1/namespaces/{self.namespace}/applications"
        return f"{base}/{name}" if name else base

    def create(self, name: str = "web", **spec: Any) -> Json:
        obj = application(name, **spec)
        with self.cluster.http() as api:
            response = api.post(self.path(), json=obj)
            response.raise_for_status()
            result: Json = response.json()
        return result

    def write_file(self, *objects: Json) -> str:
        path = self.workdir / "apps.yaml"
        path.write_text(yaml.safe_dump_all(objects))
        return str(path)

    def get(self, name: str = "web") -> Json:
        with self.cluster.http() as api:
            response = api.get(self.path(name))
            response.raise_for_status()
            result: Json = response.json()
        return result

    def exists(self, name: str = "web") -> bool:
        with self.cluster.http() as api:
            return api.get(self.path(name)).status_code == 200

    def patch(self, name: str, patch: Json) -> Json:
        """A merge patch, as the controller writes status."""
        with self.cluster.http() as api:
            response = api.patch(
                self.path(name),
                json=patch,
                headers={"Content-Type": "application/merge-patch+json"},
            )
            response.raise_for_status()
            result: Json = response.json()
        return result

    @contextmanager
    def controller(
        self,
        name: str,
        react: Callable[[Apps, Json], None],
        *,
        when: Callable[[Json], bool] = lambda app: bool(app.get("operation")),
    ) -> Iterator[None]:
        """A stand-in controller: once the app is `when` (default: has an `operation`),
        `react(apps, app)` runs in a thread, writing what the real controller would."""
        failures: list[BaseException] = []

        def watch() -> None:
            deadline = time.monotonic() + 30
            try:
                while time.monotonic() < deadline:
                    current = self.get(name)
                    if when(current):
                        react(self, current)
                        return
                    time.sleep(0.05)
                raise TimeoutError(f"app {name}: the awaited change never came")
            except BaseException as err:
                failures.append(err)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        yield
        thread.join(timeout=30)
        if failures:
            raise failures[0]


def application(name: str = "web", **spec: Any) -> Json:
    body: Json = {
        "project": "default",
        "source": {"repoURL": REPO, "path": "app", "targetRevision": "main"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "shop"},
    }
    body.update(spec)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": body,
    }


def finish(apps: Apps, name: str, phase: str, *, message: str = "", sync: str = "Synced") -> None:
    """Record a finished operation the way the controller does: result, finishedAt, the
    `operation` cleared, and a reconciliation afterwards."""
    current = apps.get(name)
    stamp = "2026-01-01T10:00:05Z"
    results = [
        {
            "group": "apps",
            "version": "v1",
            "kind": "Deployment",
            "namespace": "shop",
            "name": "web",
            "status": "Synced" if phase == "Succeeded" else "SyncFailed",
            "message": message or "deployment.apps/web configured",
            "hookPhase": "Running",
            "syncPhase": "Sync",
        }
    ]
    apps.patch(
        name,
        {
            "status": {
                "operationState": {
                    "operation": current["operation"],
                    "phase": "Running",
                    "message": "waiting for healthy state of apps/Deployment/web",
                    "startedAt": "2026-01-01T10:00:00Z",
                    "syncResult": {"revision": "1a2b3c4d5e6f", "resources": results},
                }
            }
        },
    )
    time.sleep(0.2)
    results[0]["hookPhase"] = phase
    apps.patch(
        name,
        {
            "operation": None,
            "status": {
                "operationState": {
                    "phase": phase,
                    "message": message or "successfully synced (all tasks run)",
                    "finishedAt": stamp,
                    "syncResult": {"revision": "1a2b3c4d5e6f", "resources": results},
                },
                "sync": {"status": sync, "revision": "1a2b3c4d5e6f"},
                "health": {"status": "Healthy"},
                "reconciledAt": stamp,
            },
        },
    )


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def columns(table: str) -> list[list[str]]:
    """Rows of a printed table, split on runs of two or more spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in table.strip().splitlines()]


# The spec `application()` writes, which the set and sync tables edit.
BASE = application("web")["spec"]
AUTO = {"automated": {"prune": True}}
USER = getpass.getuser()
