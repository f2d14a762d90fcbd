"""The first deployment of applications that sync windows hold back.

A platform started at night would leave production empty until the morning: the
`applications` project's windows forbid automated syncs then, though they allow manual ones.
Bringing an environment up is an operator's act, so `gitferry up` syncs, once and manually,
every application that has never been deployed, is OutOfSync, is held back by its project's
windows for automated syncs and would be allowed a manual sync. Afterwards the windows govern
every change as usual. Called by `up_cmd` through `progress.converge`'s `nudge`.
"""

from __future__ import annotations

from typing import Any

from gitferry._kit.clock import SystemClock
from gitferry.cli.platform.layout import NAMESPACE
from gitferry.cli.platform.progress import Snapshot
from gitferry.cluster.client import KubeClient
from gitferry.model.application import Application
from gitferry.model.errors import GitFerryError
from gitferry.policy.project import Project
from gitferry.policy.windows import WindowTarget

Json = dict[str, Any]
USERNAME = "gitferry-up"


class FirstSync:
    """Remembers which applications it has started, so each is synced at most once."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self.started: set[str] = set()

    async def __call__(self, snapshot: Snapshot) -> None:
        held = [app for app in snapshot.apps if _candidate(app, self.started)]
        if not held:
            return
        projects, _ = await self.client.list("argoproj.io/v1alpha1", "AppProject", NAMESPACE)
        by_name = {p["metadata"]["name"]: p for p in projects}
        now = SystemClock().now()
        for app in held:
            name = app["metadata"]["name"]
            try:
                parsed = Application.parse(app)
                project = Project.parse(by_name[parsed.project])
            except (GitFerryError, KeyError):
                continue
            target = WindowTarget.of(parsed)
            windows = project.sync_windows
            automated = windows.can_sync(target, manual=False, now=now)
            manual = windows.can_sync(target, manual=True, now=now)
            if automated.allowed or not manual.allowed:
                continue
            patch = {
                "operation": {
                    "sync": {"prune": True},
                    "initiatedBy": {"username": USERNAME},
                    "info": [{"name": "Reason", "value": "first deployment by gitferry up"}],
                }
            }
            await self.client.patch(
                "argoproj.io/v1alpha1", "Application", NAMESPACE, name, patch, manager=USERNAME
            )
            self.started.add(name)


def _candidate(app: Json, started: set[str]) -> bool:
    status = app.get("status") or {}
    return (
        app["metadata"]["name"] not in started
        and not app.get("operation")
        and not status.get("history")
        and not status.get("operationState")
        and (status.get("sync") or {}).get("status") == "OutOfSync"
    )
