"""`gitferry app refresh [NAME...] [--repo URL] [--hard]`: ask the controller to refresh
applications now, as a Git host's webhook does.

With `--repo`, every Application with a source in that repository is refreshed, and every
ApplicationSet with a git generator reading it regenerates (the URL is compared the way
Argo CD's webhook handler compares them: scheme, user, `.git` suffix and case do not matter).
The controller fetches the repository at once (no waiting for the revision cache to expire),
compares, and auto-syncs where the apps say so. Git post-receive hooks of `gitferry up`'s
repositories call this.
"""

from __future__ import annotations

import re

import click

from gitferry.appset import controller as appsets
from gitferry.cli import app_client, common, config
from gitferry.cluster.client import KubeClient
from gitferry.model.errors import InputError


def normalize(url: str) -> str:
    """A repository URL reduced to host and path, for matching pushes to sources."""
    text = url.strip().lower().rstrip("/").removesuffix(".git")
    text = re.sub(r"^[a-z+]+://", "", text)
    text = re.sub(r"^[^@/]+@", "", text)
    text = re.sub(r"^(ssh\.|altssh\.)", "", text)
    text = re.sub(r":\d+(?=/)", "", text)
    return text.replace(":", "/", 1) if "/" not in text.split(":", 1)[0] else text


@click.command("refresh")
@click.argument("names", nargs=-1)
@click.option("--repo", "repo_url", help="Refresh every app with a source in this repository.")
@click.option("--hard", is_flag=True, help="Also regenerate manifests (hard refresh).")
@common.handle_errors()
@config.platform_options()
def refresh(
    platform: config.Platform, names: tuple[str, ...], repo_url: str | None, hard: bool
) -> None:
    """Refresh applications now (by name, or all that use --repo)."""
    if not names and not repo_url:
        raise InputError("name an application or pass --repo URL")
    value = "hard" if hard else "normal"
    patch = {"metadata": {"annotations": {app_client.REFRESH_ANNOTATION: value}}}

    async def run() -> list[str]:
        async with KubeClient(platform.management()) as client:
            chosen = [app_client.AppRef.parse(n, platform.namespace) for n in names]
            if repo_url:
                wanted = normalize(repo_url)
                for app in await app_client.list_apps(client, platform.namespace):
                    spec = app.get("spec") or {}
                    sources = spec.get("sources") or [spec.get("source") or {}]
                    if any(normalize(str(s.get("repoURL", ""))) == wanted for s in sources):
                        meta = app["metadata"]
                        chosen.append(app_client.AppRef(meta["namespace"], meta["name"]))
                await _refresh_appsets(client, platform.namespace, wanted)
            for ref in chosen:
                await app_client.get(client, ref)
                await client.patch(
                    app_client.API_VERSION,
                    app_client.KIND,
                    ref.namespace,
                    ref.name,
                    patch,
                    manager=app_client.MANAGER,
                )
            return [ref.name for ref in chosen]

    refreshed = common.run(run())
    click.echo(
        f"{len(refreshed)} application(s) refreshed"
        + (f": {', '.join(refreshed)}" if refreshed else "")
    )


async def _refresh_appsets(client: KubeClient, namespace: str, wanted: str) -> None:
    """Ask the ApplicationSets whose git generators read `wanted` to regenerate now."""
    items, _ = await client.list(appsets.API_VERSION, "ApplicationSet", namespace)
    patch = {"metadata": {"annotations": {appsets.REFRESH_ANNOTATION: "true"}}}
    for appset in items:
        urls = appsets.git_repositories(appset.get("spec") or {})
        if any(normalize(url) == wanted for url in urls):
            await client.patch(
                appsets.API_VERSION,
                "ApplicationSet",
                namespace,
                appset["metadata"]["name"],
                patch,
                manager=app_client.MANAGER,
            )
