"""`gitferry install`: put the control plane's CRDs, namespace, default project and settings
ConfigMaps into a management cluster (idempotent)."""

from __future__ import annotations

import click

from gitferry.cli import common, config
from gitferry.cluster.client import KubeClient
from gitferry.controller import install as installing


@click.command("install")
@common.handle_errors()
@config.platform_options()
def install(platform: config.Platform) -> None:
    """Install gitferry's control plane into the management cluster."""

    async def run() -> installing.InstallReport:
        async with KubeClient(platform.management()) as client:
            return await installing.install(client, platform.namespace)

    report = common.run(run())
    for label in report.changed:
        click.echo(f"{label} configured")
    for label in report.unchanged:
        click.echo(f"{label} unchanged")
