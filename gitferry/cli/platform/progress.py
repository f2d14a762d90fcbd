"""Watch the platform's applications converge, and say what runs where once they have.

`converge` polls the management cluster until every Application is Synced and Healthy and
every ApplicationSet reports its applications up to date (the app-of-apps creates the
ApplicationSets, which create most applications: an early "all healthy" with half the apps
missing must not count). On a terminal it draws a live table; elsewhere (CI, logs, tests)
it prints one line whenever the count changes. Called by `up_cmd`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from gitferry.cli.platform.layout import NAMESPACE
from gitferry.cluster.client import KubeClient
from gitferry.model.application import IN_CLUSTER

Json = dict[str, Any]
_POLL = 0.5
# Converged must hold for this long: an app-of-apps sync creates ApplicationSets a moment
# before they generate their applications.
_SETTLE = 2.0
_STYLE = {"Synced": "green", "Healthy": "green", "OutOfSync": "yellow", "Progressing": "cyan"}


@dataclass
class Snapshot:
    """What the platform looks like at one poll."""

    apps: list[Json] = field(default_factory=list)
    appsets: list[Json] = field(default_factory=list)

    def ready(self) -> list[Json]:
        return [app for app in self.apps if _sync(app) == "Synced" and _health(app) == "Healthy"]

    def settled(self) -> list[Json]:
        """Ready, or deliberately left alone: automated sync off and no operation running
        (an operator stopped it, say during an incident; it is reported, not waited for)."""
        ready = self.ready()
        return [app for app in self.apps if app in ready or _held_by_operator(app)]

    def converged(self) -> bool:
        return bool(self.apps) and len(self.settled()) == len(self.apps) and self.appsets_done()

    def appsets_done(self) -> bool:
        return all(_up_to_date(appset) for appset in self.appsets)


async def snapshot(client: KubeClient) -> Snapshot:
    """The Applications and ApplicationSets of the control plane, sorted by name."""
    apps, _ = await client.list("argoproj.io/v1alpha1", "Application", NAMESPACE)
    appsets, _ = await client.list("argoproj.io/v1alpha1", "ApplicationSet", NAMESPACE)
    return Snapshot(
        sorted(apps, key=lambda a: a["metadata"]["name"]),
        sorted(appsets, key=lambda a: a["metadata"]["name"]),
    )


async def converge(
    client: KubeClient,
    console: Console,
    *,
    timeout: float,
    check: Callable[[], None],
    nudge: Callable[[Snapshot], Awaitable[None]] | None = None,
) -> Snapshot:
    """Poll until converged (returns the final snapshot) or `timeout` seconds pass (returns the
    last one). `check` raises if a child process died; `nudge` may act on each snapshot (it
    starts bootstrap syncs that sync windows hold back)."""
    started = time.monotonic()
    live = Live(console=console, refresh_per_second=4) if console.is_terminal else None
    last_line = ""
    settled_since: float | None = None
    current = Snapshot()
    try:
        if live:
            live.start()
        while time.monotonic() - started < timeout:
            check()
            current = await snapshot(client)
            if nudge is not None:
                await nudge(current)
            elapsed = time.monotonic() - started
            if live:
                live.update(table(current, elapsed))
            else:
                line = progress_line(current)
                if line != last_line:
                    console.print(f"[{elapsed:5.1f}s] {line}", highlight=False)
                    last_line = line
            if current.converged():
                settled_since = settled_since or time.monotonic()
                if time.monotonic() - settled_since >= _SETTLE:
                    return current
            else:
                settled_since = None
            await asyncio.sleep(_POLL)
        return current
    finally:
        if live:
            live.stop()


def progress_line(current: Snapshot) -> str:
    """One line: how many applications are ready, and the first one that is not."""
    waiting = [app for app in current.apps if app not in current.settled()]
    text = f"{len(current.ready())}/{len(current.apps)} applications synced and healthy"
    if waiting:
        first = waiting[0]
        text += f"; waiting for {first['metadata']['name']} ({_sync(first)}, {_health(first)})"
    elif not current.appsets_done():
        text += "; ApplicationSets are generating applications"
    return text


def table(current: Snapshot, elapsed: float) -> Table:
    """The live view: one row per application."""
    view = Table(title=f"gitferry up: {progress_line(current)}  [{elapsed:.0f}s]", expand=False)
    for column in ("APPLICATION", "PROJECT", "DESTINATION", "SYNC", "HEALTH", "MESSAGE"):
        view.add_column(column, no_wrap=column != "MESSAGE")
    for app in current.apps:
        sync, health = _sync(app), _health(app)
        view.add_row(
            app["metadata"]["name"],
            (app.get("spec") or {}).get("project", ""),
            destination(app),
            f"[{_STYLE.get(sync, 'red')}]{sync}[/]",
            f"[{_STYLE.get(health, 'red')}]{health}[/]",
            _message(app),
        )
    return view


def destination(app: Json) -> str:
    """`cluster/namespace` of an application."""
    dest = (app.get("spec") or {}).get("destination") or {}
    server = dest.get("server")
    cluster = dest.get("name") or ("in-cluster" if server == IN_CLUSTER else server)
    return f"{cluster}/{dest.get('namespace', '')}"


def _sync(app: Json) -> str:
    return str(((app.get("status") or {}).get("sync") or {}).get("status") or "Unknown")


def _health(app: Json) -> str:
    return str(((app.get("status") or {}).get("health") or {}).get("status") or "Unknown")


def _message(app: Json) -> str:
    status = app.get("status") or {}
    for condition in status.get("conditions") or ():
        if str(condition.get("type", "")).endswith("Error"):
            return str(condition.get("message", ""))[:120]
    operation = status.get("operationState") or {}
    if operation.get("phase") in ("Running", "Failed", "Error"):
        return f"{operation['phase']}: {operation.get('message', '')}"[:120]
    return ""


def _held_by_operator(app: Json) -> bool:
    policy = ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated")
    running = ((app.get("status") or {}).get("operationState") or {}).get("phase") == "Running"
    return policy is None and not app.get("operation") and not running


def _up_to_date(appset: Json) -> bool:
    for condition in (appset.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "ResourcesUpToDate":
            return bool(condition.get("status") == "True")
    return False
