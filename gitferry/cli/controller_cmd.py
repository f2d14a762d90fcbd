"""`gitferry controller`: run the application controller until interrupted.

It watches the management cluster named by --kubeconfig/--context (or $GITFERRY_CONFIG) and
keeps every Application in the control-plane namespace synced, as Argo CD's application
controller does, and every ApplicationSet's Applications generated, as its ApplicationSet
controller does: both loops share one watch cache and one repository cache.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from gitferry.cli import common, config


@click.command("controller")
@click.option("--workers", default=32, show_default=True, help="Applications processed at once.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Repository cache.")
@click.option(
    "--reconciliation-timeout",
    type=float,
    help="Seconds between periodic refreshes (default: argocd-cm timeout.reconciliation).",
)
@click.option("--wave-delay", default=2.0, show_default=True, help="Seconds between sync waves.")
@common.handle_errors()
@config.platform_options()
def controller(
    platform: config.Platform,
    workers: int,
    cache_dir: Path | None,
    reconciliation_timeout: float | None,
    wave_delay: float,
) -> None:
    """Run the application and ApplicationSet controllers."""
    from gitferry.appset.controller import AppSetController, AppSetOptions
    from gitferry.controller.appcontroller import AppController, ControllerOptions

    logging.getLogger("gitferry").setLevel(
        min(logging.getLogger().level, logging.WARNING) or logging.WARNING
    )
    options = ControllerOptions(
        namespace=platform.namespace,
        workers=workers,
        cache_dir=cache_dir or common.cache_dir(),
        reconciliation_timeout=reconciliation_timeout,
        wave_delay=wave_delay,
    )
    click.echo(
        f"controller: watching {platform.namespace} on {platform.management().server}", err=True
    )

    async def run() -> None:
        applications = AppController(platform.management(), options)
        appsets = AppSetController(
            applications.client,
            applications.cache,
            applications.repositories,
            AppSetOptions(namespace=platform.namespace),
        )
        applications.listeners.append(appsets.on_change)
        await applications.start()
        appsets.start()
        try:
            await asyncio.Event().wait()
        finally:
            await appsets.stop()
            await applications.stop()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        click.echo("controller: stopped", err=True)
