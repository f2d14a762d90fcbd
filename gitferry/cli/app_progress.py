"""Showing an Application while a command waits on it.

On a terminal, `operation_view` is a live `rich` table of the running operation: its phase,
message and elapsed time over one row per resource of
`status.operationState.syncResult.resources` (kind, namespace/name, result, phase, hook,
message), redrawn as the controller records results; `status_view` is one live line with the
sync status, health and operation phase (`app wait`). Without a terminal (pipes, CI logs)
both print one timestamped line per change instead, so a log shows every step once.

Called by `app_sync` (sync, rollback, wait); the views receive every version of the app that
`app_client.wait_until` sees.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import click
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from gitferry.cli import app_operation

Json = dict[str, Any]
Show = Callable[[Json], None]
_RESULT_FIELDS = (
    "group",
    "kind",
    "namespace",
    "name",
    "status",
    "hookPhase",
    "hookType",
    "message",
)
_PHASE_STYLE = {
    "Succeeded": "green",
    "Synced": "green",
    "Healthy": "green",
    "Running": "yellow",
    "Progressing": "yellow",
    "Terminating": "yellow",
    "OutOfSync": "yellow",
    "Failed": "red",
    "Error": "red",
    "SyncFailed": "red",
    "Degraded": "red",
}


def result_rows(app: Json) -> list[tuple[tuple[str, ...], list[str]]]:
    """(key, cells) per resource result of the current operation: KIND, NAMESPACE/NAME,
    RESULT, PHASE, HOOK, MESSAGE."""
    state = (app.get("status") or {}).get("operationState") or {}
    rows: list[tuple[tuple[str, ...], list[str]]] = []
    for item in (state.get("syncResult") or {}).get("resources") or ():
        v = {k: str(item.get(k) or "") for k in _RESULT_FIELDS}
        key = (v["group"], v["kind"], v["namespace"], v["name"], v["hookType"])
        where = "/".join(p for p in (v["namespace"], v["name"]) if p)
        cells = [v["kind"], where, v["status"], v["hookPhase"], v["hookType"], v["message"]]
        rows.append((key, cells))
    return rows


def operation_headline(app: Json) -> tuple[str, str]:
    """(phase, message) of the operation; `Pending` until the controller has picked it up."""
    state = (app.get("status") or {}).get("operationState") or {}
    return str(state.get("phase") or "Pending"), str(state.get("message") or "")


def status_cells(app: Json) -> list[str]:
    status = app.get("status") or {}
    state = status.get("operationState") or {}
    operation = str(state.get("phase") or "Pending")
    if not app_operation.operation_in_progress(app):
        operation = "none"
    return [
        str((status.get("sync") or {}).get("status") or "Unknown"),
        str((status.get("health") or {}).get("status") or "Unknown"),
        operation,
    ]


def describe_status(app: Json) -> str:
    sync, health, operation = status_cells(app)
    return f"sync {sync}, health {health}, operation {operation}"


@contextlib.contextmanager
def operation_view(name: str, *, enabled: bool = True) -> Iterator[Show]:
    """Show a running operation until the block ends."""
    if not enabled:
        yield _ignore
        return
    console = Console()
    if not console.is_terminal:
        printer = _ChangePrinter()

        def log(app: Json) -> None:
            phase, message = operation_headline(app)
            printer.emit(("operation",), f"operation {phase}" + (f": {message}" if message else ""))
            for key, cells in result_rows(app):
                printer.emit(key, "  ".join(c for c in cells if c))

        yield log
        return
    started = time.monotonic()
    latest: list[Json] = [{}]

    def render() -> RenderableType:
        app = latest[0]
        phase, message = operation_headline(app)
        elapsed = int(time.monotonic() - started)
        title = Text.assemble(
            (f"app {name} ", "bold"), (phase, _PHASE_STYLE.get(phase, "")), f"  {elapsed}s"
        )
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("KIND", "NAME", "RESULT", "PHASE", "HOOK", "MESSAGE"):
            table.add_column(column, overflow="fold")
        for _, cells in result_rows(app):
            styled = [Text(c, style=_PHASE_STYLE.get(c, "")) for c in cells]
            table.add_row(*styled)
        parts: list[RenderableType] = [title]
        if message:
            parts.append(Text(message, style="dim"))
        parts.append(table)
        return Group(*parts)

    with Live(get_renderable=render, console=console, refresh_per_second=4) as live:

        def show(app: Json) -> None:
            latest[0] = app
            live.refresh()

        yield show


@contextlib.contextmanager
def status_view(name: str, *, enabled: bool = True) -> Iterator[Show]:
    """Show an app's sync status, health and operation until the block ends."""
    if not enabled:
        yield _ignore
        return
    console = Console()
    if not console.is_terminal:
        printer = _ChangePrinter()
        yield lambda app: printer.emit(("status",), f"app {name}: {describe_status(app)}")
        return
    started = time.monotonic()
    latest: list[Json] = [{}]

    def render() -> RenderableType:
        line = Text()
        line.append(f"app {name}  ", style="bold")
        for label, value in zip(
            ("sync", "health", "operation"), status_cells(latest[0]), strict=True
        ):
            line.append(f"{label} ")
            line.append(value, style=_PHASE_STYLE.get(value, ""))
            line.append("  ")
        line.append(f"{int(time.monotonic() - started)}s", style="dim")
        return line

    with Live(get_renderable=render, console=console, refresh_per_second=4, transient=True) as live:

        def show(app: Json) -> None:
            latest[0] = app
            live.refresh()

        yield show


class _ChangePrinter:
    """Prints `TIME  text` for a key whenever its text differs from the last one printed."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, ...], str] = {}

    def emit(self, key: tuple[str, ...], text: str) -> None:
        if self._seen.get(key) == text:
            return
        self._seen[key] = text
        stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
        click.echo(f"{stamp}  {text}")


def _ignore(app: Json) -> None:
    del app
