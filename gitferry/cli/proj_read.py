"""`gitferry proj list|get`: the AppProjects of the control-plane namespace, read from the
management cluster as `gitferry app list|get` read Applications (there is no gitferry API
server yet), printed as a table or as JSON/YAML.

Registered on the `gitferry proj` group by `proj_cmd`.
"""

from __future__ import annotations

from typing import Any

import click

from gitferry.cli import app_client, app_format, common, config
from gitferry.cluster.client import KubeClient
from gitferry.model.errors import GitFerryError

API_VERSION = "argoproj.io/v1alpha1"
KIND = "AppProject"
Json = dict[str, Any]


class ProjectNotFoundError(GitFerryError):
    """The named AppProject does not exist."""


@click.command("list")
@app_client.output_option("wide", "json", "yaml", "name")
@common.handle_errors()
@config.platform_options()
def list_(platform: config.Platform, output: str) -> None:
    """List projects."""

    async def run() -> list[Json]:
        async with KubeClient(platform.management()) as client:
            items, _ = await client.list(API_VERSION, KIND, platform.namespace)
            return sorted(items, key=lambda p: str(p["metadata"]["name"]))

    projects = common.run(run())
    if output in ("json", "yaml"):
        app_client.echo_data(projects, output)
    elif output == "name":
        for project in projects:
            click.echo(project["metadata"]["name"])
    else:
        header = ["NAME", "DESCRIPTION", "DESTINATIONS", "SOURCES", "SYNC-WINDOWS"]
        click.echo(app_format.table([header, *(_row(p) for p in projects)]))


@click.command("get")
@click.argument("name")
@app_client.output_option("wide", "json", "yaml")
@common.handle_errors()
@config.platform_options()
def get(platform: config.Platform, name: str, output: str) -> None:
    """Show a project: sources, destinations, resource lists, windows, roles."""

    async def run() -> Json | None:
        async with KubeClient(platform.management()) as client:
            return await client.get(API_VERSION, KIND, platform.namespace, name)

    project = common.run(run())
    if project is None:
        raise ProjectNotFoundError(f"project {name}: not found in namespace {platform.namespace}")
    if output != "wide":
        app_client.echo_data(project, output)
        return
    spec = project.get("spec") or {}
    lines = [
        ["Name:", name],
        ["Description:", str(spec.get("description") or "")],
        ["Sources:", ", ".join(spec.get("sourceRepos") or []) or "<none>"],
        ["Source namespaces:", ", ".join(spec.get("sourceNamespaces") or []) or "<none>"],
        ["Destinations:", _destinations(spec) or "<none>"],
        ["Cluster resources allowed:", _kinds(spec.get("clusterResourceWhitelist"))],
        ["Cluster resources denied:", _kinds(spec.get("clusterResourceBlacklist"))],
        ["Namespaced resources allowed:", _kinds(spec.get("namespaceResourceWhitelist"), "*")],
        ["Namespaced resources denied:", _kinds(spec.get("namespaceResourceBlacklist"))],
        [
            "Signature keys:",
            ", ".join(str(k.get("keyID")) for k in spec.get("signatureKeys") or []) or "<none>",
        ],
        [
            "Orphaned resources:",
            "disabled"
            if spec.get("orphanedResources") is None
            else f"enabled (warn={bool((spec.get('orphanedResources') or {}).get('warn'))})",
        ],
        ["Roles:", ", ".join(str(r.get("name")) for r in spec.get("roles") or []) or "<none>"],
    ]
    click.echo(app_format.table(lines))
    windows = spec.get("syncWindows") or []
    if windows:
        rows = [
            [
                "KIND",
                "SCHEDULE",
                "DURATION",
                "APPLICATIONS",
                "NAMESPACES",
                "CLUSTERS",
                "MANUALSYNC",
                "TIMEZONE",
            ]
        ]
        rows += [
            [
                str(w.get("kind")),
                str(w.get("schedule")),
                str(w.get("duration")),
                ",".join(w.get("applications") or []) or "-",
                ",".join(w.get("namespaces") or []) or "-",
                ",".join(w.get("clusters") or []) or "-",
                "Enabled" if w.get("manualSync") else "Disabled",
                str(w.get("timeZone") or "UTC"),
            ]
            for w in windows
        ]
        click.echo("\nSync windows:\n" + app_format.table(rows))


def _row(project: Json) -> list[str]:
    spec = project.get("spec") or {}
    return [
        str(project["metadata"]["name"]),
        str(spec.get("description") or ""),
        _destinations(spec) or "<none>",
        ", ".join(spec.get("sourceRepos") or []) or "<none>",
        str(len(spec.get("syncWindows") or [])),
    ]


def _destinations(spec: Json) -> str:
    return ", ".join(
        f"{d.get('server') or d.get('name') or ''},{d.get('namespace') or ''}"
        for d in spec.get("destinations") or []
    )


def _kinds(entries: Any, absent: str = "<none>") -> str:
    """`group/kind` of a resource list; `absent` when the list is not set (namespaced
    kinds are all allowed then, cluster-scoped ones none), `<none>` when empty."""
    if entries is None:
        return absent
    return ", ".join(f"{e.get('group') or ''}/{e.get('kind')}" for e in entries) or "<none>"
