"""`gitferry app sync NAME --dry-run`: the ordered plan of a sync, computed here and printed,
with nothing written anywhere.

The Application is rendered as the controller would render it, paired with the live objects
of its destination, and handed to the same planner the controller runs (`sync.plan`), so the
rows come out in exactly the order the sync would take: phase, wave, kind order, name, with
Namespaces and CRDs moved ahead of what needs them and prunes mirrored. Called by `app_sync`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from gitferry.cli import app_client, app_diff, common, config, diff_cmd, offline
from gitferry.cli.app_operation import SyncRequest, sync_operation
from gitferry.cluster.client import ApiStatusError, KubeClient
from gitferry.model.operation import SyncOperationResource
from gitferry.render.options import RenderOptions
from gitferry.sync import plan
from gitferry.sync.options import AppSyncOptions
from gitferry.sync.tasks import SyncTask

Obj = dict[str, Any]


def action(task: SyncTask, prune: bool) -> str:
    """What the sync would do with one task."""
    if task.is_hook:
        return "run hook"
    if task.is_prune:
        return "prune" if prune else "prune (skipped: needs --prune)"
    return "create" if task.live is None else "apply"


def rows(tasks: list[SyncTask], prune: bool) -> list[Obj]:
    result = []
    for task in tasks:
        obj = task.target if task.target is not None else task.live or {}
        meta = obj.get("metadata") or {}
        result.append(
            {
                "phase": str(task.phase),
                "wave": task.wave,
                "kind": obj.get("kind", ""),
                "namespace": meta.get("namespace", ""),
                "name": meta.get("name", ""),
                "action": action(task, prune),
            }
        )
    return result


async def compute(platform: config.Platform, name: str, request: SyncRequest) -> list[Obj]:
    ref = app_client.AppRef.parse(name, platform.namespace)
    async with KubeClient(platform.management()) as management:
        app_obj = await app_client.get(management, ref)
        secrets, _ = await management.list("v1", "Secret", platform.namespace)
    sync = sync_operation(app_obj, request)["sync"]
    prune = bool(sync.get("prune"))
    selection: list[Obj] = sync.get("resources") or []
    target = app_diff.destination(app_obj, secrets, platform)
    repo_secrets = [
        s
        for s in secrets
        if ((s.get("metadata") or {}).get("labels") or {}).get("argocd.argoproj.io/secret-type")
        in app_diff.REPOSITORY_TYPES
    ]
    async with KubeClient(target) as client:
        discovery = await client.discovery()

        def scope(group: str, kind: str) -> bool | None:
            found = discovery.by_group_kind.get((group, kind))
            return None if found is None else found.namespaced

        rendered = await offline.render(
            app_obj,
            cache_dir=common.cache_dir(),
            locals_={},
            secrets=repo_secrets,
            options=RenderOptions(is_namespaced=scope, control_namespace=platform.namespace),
        )
        live: list[Obj] = []
        for manifest in rendered.result.manifests:
            meta = manifest.get("metadata") or {}
            if not meta.get("name"):
                continue  # a hook with only generateName: it never exists before it runs
            try:
                found = await client.get(
                    manifest["apiVersion"],
                    manifest["kind"],
                    meta.get("namespace"),
                    meta.get("name", ""),
                )
            except ApiStatusError:
                found = None
            if found is not None:
                live.append(found)
        known = {
            (o["kind"], (o.get("metadata") or {}).get("namespace"), o["metadata"]["name"])
            for o in live
        }
        for tracked in await diff_cmd.tracked(
            client, rendered.app.instance_name(platform.namespace)
        ):
            meta = tracked["metadata"]
            if (tracked["kind"], meta.get("namespace"), meta["name"]) not in known:
                live.append(tracked)
        spec = app_obj.get("spec") or {}
        chosen = tuple(SyncOperationResource.from_dict(r) for r in selection)
        options = AppSyncOptions.parse(
            AppSyncOptions.effective((), (spec.get("syncPolicy") or {}).get("syncOptions") or ())
        )
        tasks = plan.build(
            rendered.result.manifests,
            live,
            options=plan.PlanOptions(
                destination_namespace=rendered.app.destination.namespace,
                revision=rendered.result.revisions[0] if rendered.result.revisions else "",
                started_at=dt.datetime.now(dt.UTC),
                app=options,
                skip_hooks="apply" in (sync.get("syncStrategy") or {}) or bool(selection),
                resources=chosen,
            ),
        )
    return rows(tasks, prune)


def show(platform: config.Platform, name: str, request: SyncRequest, output: str) -> None:
    """Print the plan of a sync `request` (table, or JSON rows)."""
    planned = common.run(compute(platform, name, request))
    if output == "json":
        click.echo(json.dumps(planned, indent=2))
        return
    click.echo(f"{'PHASE':<9}{'WAVE':>5}  {'KIND':<26}{'NAMESPACE/NAME':<48}ACTION")
    for row in planned:
        where = f"{row['namespace']}/{row['name']}" if row["namespace"] else row["name"]
        click.echo(
            f"{row['phase']:<9}{row['wave']:>5}  {row['kind']:<26}{where:<48}{row['action']}"
        )
    click.echo(f"{len(planned)} tasks; nothing was changed (dry run)")
