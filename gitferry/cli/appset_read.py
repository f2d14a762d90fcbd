"""`gitferry appset list|get`: the ApplicationSets of the control-plane namespace and what
their controller reports (conditions, generated applications, RollingSync progress), read
from the management cluster as `gitferry app list|get` read Applications.

Registered on the `gitferry appset` group by `appset_cmd`.
"""

from __future__ import annotations

from typing import Any

import click

from gitferry.cli import app_client, app_format, common, config, control_read

KIND = "ApplicationSet"
Json = dict[str, Any]


@click.command("list")
@app_client.output_option("wide", "json", "yaml", "name")
@common.handle_errors()
@config.platform_options()
def list_(platform: config.Platform, output: str) -> None:
    """List ApplicationSets."""
    header = ["NAME", "APPLICATIONS", "UP-TO-DATE", "ERROR", "STRATEGY"]
    control_read.echo_list(control_read.fetch_all(platform, KIND), output, header, _row)


@click.command("get")
@click.argument("name")
@app_client.output_option("wide", "json", "yaml")
@common.handle_errors()
@config.platform_options()
def get(platform: config.Platform, name: str, output: str) -> None:
    """Show an ApplicationSet: conditions, its applications and their rollout status."""
    appset = control_read.fetch_one(platform, KIND, name, "applicationset")
    if output != "wide":
        app_client.echo_data(appset, output)
        return
    status = appset.get("status") or {}
    spec = appset.get("spec") or {}
    click.echo(
        app_format.table(
            [
                ["Name:", name],
                ["Namespace:", appset["metadata"].get("namespace", "")],
                ["Generators:", ", ".join(_generators(spec.get("generators"))) or "<none>"],
                ["Sync policy:", (spec.get("syncPolicy") or {}).get("applicationsSync", "sync")],
                ["Strategy:", (spec.get("strategy") or {}).get("type", "AllAtOnce")],
            ]
        )
    )
    conditions = [
        [c.get("type", ""), c.get("status", ""), c.get("reason", ""), c.get("message", "")]
        for c in status.get("conditions") or ()
    ]
    if conditions:
        click.echo(
            "\n" + app_format.table([["CONDITION", "STATUS", "REASON", "MESSAGE"], *conditions])
        )
    rollout = {s.get("application"): s for s in status.get("applicationStatus") or ()}
    rows = [
        [
            r.get("name", ""),
            r.get("status", ""),
            (r.get("health") or {}).get("status", ""),
            str((rollout.get(r.get("name")) or {}).get("step", "")),
            (rollout.get(r.get("name")) or {}).get("status", ""),
        ]
        for r in status.get("resources") or ()
    ]
    if rows:
        header = ["APPLICATION", "SYNC", "HEALTH", "STEP", "ROLLOUT"]
        click.echo("\n" + app_format.table([header, *rows]))


def _row(appset: Json) -> list[str]:
    status = appset.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or ()}
    error = conditions.get("ErrorOccurred") or {}
    return [
        appset["metadata"]["name"],
        str(len(status.get("resources") or ())),
        (conditions.get("ResourcesUpToDate") or {}).get("status", "Unknown"),
        error.get("message", "") if error.get("status") == "True" else "",
        ((appset.get("spec") or {}).get("strategy") or {}).get("type", "AllAtOnce"),
    ]


def _generators(entries: Any) -> list[str]:
    names: list[str] = []
    for entry in entries or ():
        if isinstance(entry, dict):
            for kind, body in entry.items():
                if kind in ("matrix", "merge") and isinstance(body, dict):
                    names.append(f"{kind}({', '.join(_generators(body.get('generators')))})")
                elif kind != "selector":
                    names.append(kind)
    return names
