"""`gitferry proj list|get`: the AppProjects of the control-plane namespace, read from the
management cluster as `gitferry app list|get` read Applications (there is no gitferry API
server yet), printed as a table or as JSON/YAML.

Registered on the `gitferry proj` group by `proj_cmd`.
"""

from __future__ import annotations

from typing import Any

import click

from gitferry.cli import app_client, app_format, common, config, control_read

KIND = "AppProject"
Json = dict[str, Any]


@click.command("list")
@app_client.output_option("wide", "json", "yaml", "name")
@common.handle_errors()
@config.platform_options()
def list_(platform: config.Platform, output: str) -> None:
    """List projects."""
    header = ["NAME", "DESCRIPTION", "DESTINATIONS", "SOURCES", "SYNC-WINDOWS"]
    control_read.echo_list(control_read.fetch_all(platform, KIND), output, header, _row)


@click.command("get")
@click.argument("name")
@app_client.output_option("wide", "json", "yaml")
@common.handle_errors()
@config.platform_options()
def get(platform: config.Platform, name: str, output: str) -> None:
    """Show a project: sources, destinations, resource lists, windows, roles."""
    project = control_read.fetch_one(platform, KIND, name, "project")
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
