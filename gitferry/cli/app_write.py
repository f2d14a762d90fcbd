"""`gitferry app create|set|delete`: change Applications on the management cluster.

`create -f FILE` creates the Applications of a file (in the control-plane namespace unless
they name one); an existing app that differs is refused unless `--upsert`, an identical one is
left alone. `set` merge-patches the spec with the flags of `argocd app set`. `delete` first
puts the finalizers in place that tell the controller whether (and with which propagation
policy) to delete the app's resources, then deletes the Application; the controller does the
cascade. Every write carries the resourceVersion it was computed from, so a concurrent change
is retried rather than overwritten (`app_client.update`).

Registered on the `gitferry app` group by `app_cmd`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gitferry.cli import app_client, app_operation, app_spec, common, config
from gitferry.cli.app_client import AppRef, Json
from gitferry.cluster.client import ApiStatusError, KubeClient
from gitferry.model.errors import InputError


@click.command("create")
@click.option(
    "-f",
    "--file",
    "path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="YAML or JSON file with Application(s) ('-' reads standard input).",
)
@click.option("--upsert", is_flag=True, help="Update an existing app whose spec differs.")
@common.handle_errors()
@config.platform_options()
def create(platform: config.Platform, path: Path, upsert: bool) -> None:
    """Create applications from a file."""
    objects = common.load_objects(path)
    if not objects:
        raise InputError(f"{path}: no Application in the file")
    wanted = [app_spec.desired(obj, platform.namespace) for obj in objects]

    async def run() -> list[str]:
        actions = []
        async with KubeClient(platform.management()) as client:
            for app in wanted:
                actions.append(await _create_one(client, app, upsert=upsert))
        return actions

    for app, action in zip(wanted, common.run(run()), strict=True):
        click.echo(f"application '{app['metadata']['name']}' {action}")


async def _create_one(client: KubeClient, app: Json, *, upsert: bool) -> str:
    ref = AppRef(app["metadata"]["namespace"], app["metadata"]["name"])
    try:
        await client.create(app, manager=app_client.MANAGER)
    except ApiStatusError as err:
        if err.code != 409:
            raise
    else:
        return "created"
    changed = False

    def patch(existing: Json) -> Json | None:
        nonlocal changed
        result = app_spec.upsert_patch(existing, app, upsert=upsert)
        changed = result is not None
        return result

    await app_client.update(client, ref, patch)
    return "updated" if changed else "unchanged"


@click.command("set")
@click.argument("name")
@click.option("--revision", help="Target revision (branch, tag, commit, chart version).")
@click.option("--path", "source_path", help="Path within the repository.")
@click.option("--repo", help="Repository URL.")
@click.option("--dest-namespace", help="Destination namespace.")
@click.option("--dest-server", help="Destination cluster by API server URL.")
@click.option("--dest-name", help="Destination cluster by name.")
@click.option("--project", help="Project of the app.")
@click.option(
    "--sync-policy",
    type=click.Choice(["automated", "auto", "automatic", "none", "manual"]),
    help="Automated sync on or off.",
)
@click.option("--self-heal/--no-self-heal", default=None, help="Self-heal (automated apps).")
@click.option("--auto-prune/--no-auto-prune", default=None, help="Auto-prune (automated apps).")
@click.option(
    "--sync-option", "sync_options", multiple=True, help="Add a sync option ('!OPT' removes)."
)
@click.option("--helm-set", "helm_sets", multiple=True, metavar="NAME=VALUE")
@click.option("--values", multiple=True, help="Helm value file in the repository (repeatable).")
@click.option(
    "--source-position", type=int, help="Source to change in a multi-source app (from 1)."
)
@common.handle_errors()
@config.platform_options()
def set_(
    platform: config.Platform,
    name: str,
    revision: str | None,
    source_path: str | None,
    repo: str | None,
    dest_namespace: str | None,
    dest_server: str | None,
    dest_name: str | None,
    project: str | None,
    sync_policy: str | None,
    self_heal: bool | None,
    auto_prune: bool | None,
    sync_options: tuple[str, ...],
    helm_sets: tuple[str, ...],
    values: tuple[str, ...],
    source_position: int | None,
) -> None:
    """Change an application's spec."""
    ref = AppRef.parse(name, platform.namespace)
    change = app_spec.SpecChange(
        revision=revision,
        path=source_path,
        repo=repo,
        dest_namespace=dest_namespace,
        dest_server=dest_server,
        dest_name=dest_name,
        project=project,
        sync_policy=sync_policy,
        self_heal=self_heal,
        auto_prune=auto_prune,
        sync_options=sync_options,
        helm_sets=helm_sets,
        values=values,
        source_position=source_position,
    )

    def patch(app: Json) -> Json | None:
        spec = app.get("spec") or {}
        edited = app_spec.edit_spec(ref.name, spec, change)
        app_spec.validate({**app, "spec": edited})
        diff = app_spec.merge_diff(spec, edited)
        return {"spec": diff} if diff else None

    async def run() -> None:
        async with KubeClient(platform.management()) as client:
            await app_client.update(client, ref, patch)

    common.run(run())
    click.echo(f"application '{ref.name}' updated")


@click.command("delete")
@click.argument("name")
@click.option(
    "--cascade/--no-cascade",
    default=None,
    help="Delete the app's resources too (the default), or leave them in the cluster.",
)
@click.option(
    "-p",
    "--propagation-policy",
    help="How the app's resources are deleted: foreground or background.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@common.handle_errors()
@config.platform_options()
def delete(
    platform: config.Platform,
    name: str,
    cascade: bool | None,
    propagation_policy: str | None,
    yes: bool,
) -> None:
    """Delete an application (and, by default, its resources)."""
    ref = AppRef.parse(name, platform.namespace)

    def finalizers(app: Json) -> Json | None:
        wanted = app_operation.deletion_finalizers(
            app, cascade=cascade, propagation_policy=propagation_policy
        )
        if wanted == list((app.get("metadata") or {}).get("finalizers") or []):
            return None
        return {"metadata": {"finalizers": wanted}}

    async def check() -> None:
        async with KubeClient(platform.management()) as client:
            finalizers(await app_client.get(client, ref))

    common.run(check())
    if cascade is not False and not yes and sys.stdin.isatty() and sys.stdout.isatty():
        question = f"Are you sure you want to delete '{ref.name}' and all its resources?"
        if not click.confirm(question):
            click.echo(f"The command to delete '{ref.name}' was cancelled.")
            return

    async def run() -> None:
        async with KubeClient(platform.management()) as client:
            await app_client.update(client, ref, finalizers)
            # Background, like Argo CD's API server: the resources finalizer, not
            # Kubernetes' garbage collector, decides what happens to the app's resources.
            if not await client.delete(
                app_client.API_VERSION,
                app_client.KIND,
                ref.namespace,
                ref.name,
                propagation="Background",
            ):
                raise app_client.AppNotFoundError(
                    f"app {ref.name}: not found in namespace {ref.namespace}"
                )

    common.run(run())
    click.echo(f"application '{ref.name}' deleted")
