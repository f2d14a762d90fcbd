"""How `gitferry app` prints Applications: the list table, the summary and resource table
of `get`, the operation result, and the history, laid out as `argocd app` lays them out.

Pure functions from the stored Application dicts to lines of text; `table` aligns columns
the way Go's tabwriter does in the argocd CLI (two spaces between columns). Called by
`app_read` and `app_sync`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from gitferry._kit import clock
from gitferry.cli import app_operation

Json = dict[str, Any]
_FIELD = "{:<20}{}"
_SHA = re.compile(r"^[0-9a-f]{7,40}$")


def table(rows: list[list[str]]) -> str:
    """Left-aligned columns separated by two spaces; the last column is not padded."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append(("  ".join([*cells, row[-1]])).rstrip())
    return "\n".join(lines)


def qualified_name(app: Json) -> str:
    meta = app.get("metadata") or {}
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


def sources(app: Json) -> list[Json]:
    spec = app.get("spec") or {}
    return list(spec.get("sources") or ([spec["source"]] if spec.get("source") else []))


def server(app: Json) -> str:
    destination = (app.get("spec") or {}).get("destination") or {}
    return str(destination.get("server") or destination.get("name") or "")


def sync_policy(app: Json) -> str:
    spec = app.get("spec") or {}
    if not app_operation.auto_sync_enabled(spec):
        return "Manual"
    return "Auto-Prune" if spec["syncPolicy"]["automated"].get("prune") else "Auto"


def conditions_summary(app: Json) -> str:
    counts: dict[str, int] = {}
    for condition in (app.get("status") or {}).get("conditions") or ():
        counts[condition.get("type", "")] = counts.get(condition.get("type", ""), 0) + 1
    items = [f"{kind}({n})" if n > 1 else kind for kind, n in counts.items()]
    return ",".join(items) or "<none>"


def list_rows(apps: list[Json]) -> list[list[str]]:
    rows = [
        [
            "NAME",
            "CLUSTER",
            "NAMESPACE",
            "PROJECT",
            "STATUS",
            "HEALTH",
            "SYNCPOLICY",
            "CONDITIONS",
            "REPO",
            "PATH",
            "TARGET",
        ]
    ]
    for app in apps:
        spec = app.get("spec") or {}
        status = app.get("status") or {}
        first = (sources(app) or [{}])[0]
        rows.append(
            [
                qualified_name(app),
                server(app),
                str((spec.get("destination") or {}).get("namespace") or ""),
                str(spec.get("project") or "default"),
                str((status.get("sync") or {}).get("status") or ""),
                str((status.get("health") or {}).get("status") or ""),
                sync_policy(app),
                conditions_summary(app),
                str(first.get("repoURL") or ""),
                str(first.get("path") or first.get("chart") or ""),
                str(first.get("targetRevision") or ""),
            ]
        )
    return rows


def summary_lines(app: Json) -> list[str]:
    """The header of `argocd app get`: identity, sources, policy, sync and health."""
    spec = app.get("spec") or {}
    status = app.get("status") or {}
    lines = [
        _FIELD.format("Name:", qualified_name(app)),
        _FIELD.format("Project:", spec.get("project") or "default"),
        _FIELD.format("Server:", server(app)),
        _FIELD.format("Namespace:", (spec.get("destination") or {}).get("namespace") or ""),
        "Sources:" if spec.get("sources") else "Source:",
    ]
    for source in sources(app):
        lines.append(_FIELD.format("- Repo:", source.get("repoURL") or ""))
        lines.append(_FIELD.format("  Target:", source.get("targetRevision") or ""))
        for label, key in (("  Path:", "path"), ("  Chart:", "chart"), ("  Ref:", "ref")):
            if source.get(key):
                lines.append(_FIELD.format(label, source[key]))
        values = (source.get("helm") or {}).get("valueFiles")
        if values:
            lines.append(_FIELD.format("  Helm Values:", ",".join(values)))
    policy = "Manual"
    if app_operation.auto_sync_enabled(spec):
        automated = spec["syncPolicy"]["automated"]
        policy = "Automated" + (" (Prune)" if automated.get("prune") else "")
    lines.append(_FIELD.format("Sync Policy:", policy))
    lines.append(_FIELD.format("Sync Status:", sync_status(app)))
    health = status.get("health") or {}
    text = str(health.get("status") or "")
    if health.get("message"):
        text += f" ({health['message']})"
    lines.append(_FIELD.format("Health Status:", text))
    return lines


def details(app: Json, *, conditions: bool = True, operation: bool = True) -> str:
    """`argocd app get`: the summary, then (each when present) the conditions, the
    operation state and the resource table, separated by blank lines."""
    blocks = ["\n".join(summary_lines(app))]
    if conditions and condition_rows(app):
        blocks.append(table(condition_rows(app)))
    state = (app.get("status") or {}).get("operationState")
    if operation and state:
        blocks.append("\n".join(operation_lines(state)))
    if resource_rows(app):
        blocks.append(table(resource_rows(app)))
    return "\n\n".join(blocks)


def sync_status(app: Json) -> str:
    """`Synced to main (1a2b3c4)`, `OutOfSync from main (...)`, as `argocd app get`."""
    sync = (app.get("status") or {}).get("sync") or {}
    text = str(sync.get("status") or "")
    first = (sources(app) or [{}])[0]
    target = str(first.get("targetRevision") or "")
    preposition = {"Synced": " to ", "OutOfSync": " from "}.get(text)
    if preposition:
        text += preposition + target
    revisions = sync.get("revisions") or ([sync["revision"]] if sync.get("revision") else [])
    if revisions and not _SHA.match(target) and all(len(r) > 7 for r in revisions):
        text += " (" + ", ".join(r[:7] for r in revisions) + ")"
    return text


def condition_rows(app: Json) -> list[list[str]]:
    conditions = (app.get("status") or {}).get("conditions") or []
    rows = [["CONDITION", "MESSAGE", "LAST TRANSITION"]]
    rows += [
        [str(c.get("type", "")), str(c.get("message", "")), str(c.get("lastTransitionTime", ""))]
        for c in conditions
    ]
    return rows if conditions else []


def operation_lines(state: Json | None, *, now: dt.datetime | None = None) -> list[str]:
    """`argocd app get --show-operation`: phase, times, duration and message."""
    if not state:
        return []
    lines = []
    result = state.get("syncResult")
    if result is not None:
        lines.append(_FIELD.format("Operation:", "Sync"))
        revision = ", ".join(result.get("revisions") or []) or result.get("revision", "")
        lines.append(_FIELD.format("Sync Revision:", revision))
    started, finished = state.get("startedAt"), state.get("finishedAt")
    lines.append(_FIELD.format("Phase:", state.get("phase", "")))
    lines.append(_FIELD.format("Start:", started or ""))
    lines.append(_FIELD.format("Finished:", finished or ""))
    if started:
        end = clock.parse_rfc3339(finished) if finished else (now or dt.datetime.now(dt.UTC))
        seconds = int((end - clock.parse_rfc3339(started)).total_seconds())
        lines.append(_FIELD.format("Duration:", f"{seconds}s"))
    if state.get("message"):
        lines.append(_FIELD.format("Message:", state["message"]))
    return lines


@dataclass
class ResourceState:
    """One row of the resource table: a managed resource, or a result of the last sync."""

    group: str
    kind: str
    namespace: str
    name: str
    status: str = ""
    health: str = ""
    hook: str = ""
    message: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.group, self.kind, self.namespace, self.name)


def resource_states(app: Json) -> list[ResourceState]:
    """Argo CD's `getResourceStates`: the last sync's results first (with the live sync and
    health of the resources they name), then the other managed resources sorted by key."""
    status = app.get("status") or {}
    managed = {_key(r): r for r in status.get("resources") or ()}
    states = []
    result = (status.get("operationState") or {}).get("syncResult") or {}
    for item in result.get("resources") or ():
        sync, health = str(item.get("hookPhase") or ""), str(item.get("status") or "")
        resource = managed.pop(_key(item), None)
        if resource is not None and not item.get("hookType"):
            health = str((resource.get("health") or {}).get("status") or "")
            sync = str(resource.get("status") or "")
        hook, message = str(item.get("hookType") or ""), str(item.get("message") or "")
        states.append(ResourceState(*_key(item), sync, health, hook, message))
    for key in sorted(managed, key="/".join):
        resource = managed[key]
        health = str((resource.get("health") or {}).get("status") or "")
        states.append(ResourceState(*key, str(resource.get("status") or ""), health))
    return states


def resource_rows(app: Json) -> list[list[str]]:
    rows = [["GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"]]
    for s in resource_states(app):
        rows.append([s.group, s.kind, s.namespace, s.name, s.status, s.health, s.hook, s.message])
    return rows if len(rows) > 1 else []


def history_blocks(app: Json) -> list[tuple[str, list[list[str]]]]:
    """`argocd app history`: per source repository, its deployments (ID, DATE, REVISION)
    with the path or chart deployed."""
    blocks: dict[str, list[list[str]]] = {}
    for entry in (app.get("status") or {}).get("history") or ():
        if entry.get("sources"):
            revisions = entry.get("revisions") or []
            pairs = [
                (source, revisions[i] if i < len(revisions) else "")
                for i, source in enumerate(entry["sources"])
            ]
        else:
            pairs = [(entry.get("source") or {}, str(entry.get("revision") or ""))]
        for source, sha in pairs:
            revision = str(source.get("targetRevision") or "")
            if len(sha) >= 7:
                revision = f"{revision} ({sha[:7]})".strip()
            rows = blocks.setdefault(
                str(source.get("repoURL") or ""), [["ID", "DATE", "REVISION", "PATH"]]
            )
            where = str(source.get("path") or source.get("chart") or "")
            rows.append(
                [str(entry.get("id", "")), str(entry.get("deployedAt", "")), revision, where]
            )
    return list(blocks.items())


def _key(resource: Json) -> tuple[str, str, str, str]:
    return (
        str(resource.get("group") or ""),
        str(resource.get("kind") or ""),
        str(resource.get("namespace") or ""),
        str(resource.get("name") or ""),
    )
