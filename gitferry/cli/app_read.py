"""`gitferry app list|get|history`: read Applications from the management cluster and print
them as `argocd app list|get|history` do (tables), or as JSON/YAML.

`get --refresh` (or `--hard-refresh`) first asks the controller for a refresh through the
`argocd.argoproj.io/refresh` annotation and waits until the controller has reconciled the
app (the annotation gone and `status.reconciledAt` moved), so what it prints is current.

Registered on the `gitferry app` group by `app_cmd`.
"""

from __future__ import annotations

import click

from gitferry.cli import app_client, app_format, common, config
from gitferry.cli.app_client import AppRef, Json
from gitferry.cluster.client import KubeClient


@click.command("list")
@app_client.output_option("wide", "json", "yaml", "name")
@click.option("-p", "--project", "projects", multiple=True, help="Only apps of this project.")
@click.option("-l", "--selector", help="Label selector (key=value, key!=value, key in (a,b)).")
@common.handle_errors()
@config.platform_options()
def list_(platform: config.Platform, output: str, projects: tuple[str, ...], selector: str) -> None:
    """List applications."""

    async def run() -> list[Json]:
        async with KubeClient(platform.management()) as client:
            return await app_client.list_apps(client, platform.namespace, selector=selector)

    apps = common.run(run())
    if projects:
        apps = [a for a in apps if ((a.get("spec") or {}).get("project") or "default") in projects]
    if output in ("json", "yaml"):
        app_client.echo_data(apps, output)
    elif output == "name":
        for app in apps:
            click.echo(app_format.qualified_name(app))
    else:
        click.echo(app_format.table(app_format.list_rows(apps)))


@click.command("get")
@click.argument("name")
@app_client.output_option("wide", "json", "yaml")
@click.option("--refresh", is_flag=True, help="Refresh the app (re-read Git) first.")
@click.option(
    "--hard-refresh", is_flag=True, help="Refresh and regenerate manifests (no cache) first."
)
@click.option(
    "--timeout",
    type=click.IntRange(1),
    default=60,
    show_default=True,
    help="With --refresh: seconds to wait for the controller.",
)
@common.handle_errors()
@config.platform_options()
def get(
    platform: config.Platform,
    name: str,
    output: str,
    refresh: bool,
    hard_refresh: bool,
    timeout: int,
) -> None:
    """Show an application: summary, conditions, operation and resources."""
    ref = AppRef.parse(name, platform.namespace)
    level = "hard" if hard_refresh else "normal" if refresh else None

    async def run() -> Json:
        async with KubeClient(platform.management()) as client:
            app = await app_client.get(client, ref)
            if level is None:
                return app
            before = (app.get("status") or {}).get("reconciledAt")
            app = await app_client.update(
                client,
                ref,
                lambda _: {"metadata": {"annotations": {app_client.REFRESH_ANNOTATION: level}}},
            )

            def refreshed(current: Json) -> bool:
                annotations = (current.get("metadata") or {}).get("annotations") or {}
                reconciled = (current.get("status") or {}).get("reconciledAt")
                return app_client.REFRESH_ANNOTATION not in annotations and reconciled != before

            return await app_client.wait_until(
                client,
                ref,
                app,
                refreshed,
                show=lambda _: None,
                timeout=timeout,
                what="the refresh (is the controller running?)",
            )

    app = common.run(run())
    if output != "wide":
        app_client.echo_data(app, output)
        return
    click.echo(app_format.details(app))


@click.command("history")
@click.argument("name")
@app_client.output_option("wide", "json", "yaml", "id")
@common.handle_errors()
@config.platform_options()
def history(platform: config.Platform, name: str, output: str) -> None:
    """Show an application's deployment history (oldest first)."""
    ref = AppRef.parse(name, platform.namespace)

    async def run() -> Json:
        async with KubeClient(platform.management()) as client:
            return await app_client.get(client, ref)

    app = common.run(run())
    entries = (app.get("status") or {}).get("history") or []
    if output in ("json", "yaml"):
        app_client.echo_data(entries, output)
    elif output == "id":
        for entry in entries:
            click.echo(entry.get("id"))
    else:
        blocks = [
            f"SOURCE  {repo}\n{app_format.table(rows)}"
            for repo, rows in app_format.history_blocks(app)
        ]
        if blocks:
            click.echo("\n\n".join(blocks))
