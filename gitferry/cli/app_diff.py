"""`gitferry app diff NAME`: what a sync of a registered Application would change now.

The same comparison as `gitferry diff` (render, then a server-side dry run per object), for an
Application of the running platform: its destination cluster and repository credentials come
from the control plane's Secrets. Exit status as `argocd app diff`: 0 no difference,
1 differences, 2 error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gitferry.cli import app_client, common, config, diff_cmd, offline
from gitferry.cluster import connect
from gitferry.cluster.client import KubeClient
from gitferry.controller.clusters import is_cluster_secret, secret_field
from gitferry.diff import objects as objdiff
from gitferry.model.application import IN_CLUSTER, Application
from gitferry.model.errors import InvalidSpecError

REPOSITORY_TYPES = ("repository", "repo-creds")


@click.command("diff")
@click.argument("name")
@offline.source_options(secrets=False)
@common.handle_errors(code=2)
@config.platform_options()
def diff(
    platform: config.Platform, name: str, locals_: tuple[str, ...], cache_dir: Path | None
) -> None:
    """Show how the destination would change if NAME were synced now."""
    ref = app_client.AppRef.parse(name, platform.namespace)

    async def run() -> list[objdiff.ObjectDiff]:
        async with KubeClient(platform.management()) as management:
            app_obj = await app_client.get(management, ref)
            secrets, _ = await management.list("v1", "Secret", platform.namespace)
        target = destination(app_obj, secrets, platform)
        repo_secrets = [
            s
            for s in secrets
            if ((s.get("metadata") or {}).get("labels") or {}).get("argocd.argoproj.io/secret-type")
            in REPOSITORY_TYPES
        ]
        return await diff_cmd.compute(
            app_obj,
            target,
            cache_dir or common.cache_dir(),
            offline.parse_locals(locals_),
            repo_secrets,
            control_namespace=platform.namespace,
        )

    diff_cmd.show(common.run(run()))


def destination(
    app_obj: dict[str, Any], secrets: list[dict[str, Any]], platform: config.Platform
) -> connect.ClusterTarget:
    destination = Application.parse(app_obj).destination
    if destination.server == IN_CLUSTER or destination.name == "in-cluster":
        return platform.management()
    for secret in secrets:
        if not is_cluster_secret(secret):
            continue
        server = secret_field(secret, "server").rstrip("/")
        if server == destination.server or (
            destination.name and secret_field(secret, "name") == destination.name
        ):
            return connect.from_cluster_secret(secret)
    raise InvalidSpecError(
        f"app {app_obj['metadata']['name']}: destination "
        f"{destination.server or destination.name} is not a registered cluster"
    )
