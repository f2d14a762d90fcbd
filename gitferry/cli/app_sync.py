"""`gitferry app sync|rollback|wait|terminate-op`: start, follow and stop operations.

`sync` and `rollback` write `operation` onto the Application (clearing the previous
`status.operationState`, as Argo CD's API server does); the controller runs it and records
progress in `status.operationState`. Unless `--async`, the command then follows the app
(`app_progress` shows it) until the operation has completed and the controller has
reconciled the app once more, prints the final state, and exits 0 when the operation
Succeeded, 1 when it Failed or Errored or `--timeout` passed. `terminate-op` asks the
controller to stop a running operation by setting its phase to Terminating.

Registered on the `gitferry app` group by `app_cmd`.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable

import click

from gitferry.cli import (
    app_client,
    app_format,
    app_operation,
    app_plan,
    app_progress,
    common,
    config,
)
from gitferry.cli.app_client import AppRef, Json
from gitferry.cluster.client import KubeClient
from gitferry.model.errors import GitFerryError

_TIMEOUT = click.option(
    "--timeout",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Give up after this many seconds (0: wait as long as it takes).",
)
_ASYNC = click.option(
    "--async", "run_async", is_flag=True, help="Do not wait for the operation to complete."
)


class OperationFailedError(GitFerryError):
    """An operation completed without succeeding, or left resources that need pruning."""


def username() -> str:
    """The local user, recorded as `operation.initiatedBy.username`."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@click.command("sync")
@click.argument("name")
@click.option("--revision", default="", help="Sync to this revision instead of the target.")
@click.option("--prune", is_flag=True, help="Allow deleting resources no longer in Git.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the ordered plan (phase, wave, kind, namespace/name, action); change nothing.",
)
@click.option(
    "--strategy",
    type=click.Choice(["hook", "apply"]),
    default="hook",
    show_default=True,
    help="apply skips hooks.",
)
@click.option("--force", is_flag=True, help="Force apply (delete and re-create on conflict).")
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="GROUP:KIND:NAME",
    help="Sync only these resources (repeatable; NAMESPACE/NAME, '*' matches any value, "
    "a leading '!' excludes).",
)
@click.option("--sync-option", "sync_options", multiple=True, help="e.g. Replace=true.")
@click.option("--retry-limit", type=int, default=0, help="Retries of a failed sync.")
@click.option("--retry-backoff-duration", default="5s", show_default=True)
@click.option("--retry-backoff-max-duration", default="3m", show_default=True)
@click.option("--retry-backoff-factor", type=int, default=2, show_default=True)
@_ASYNC
@_TIMEOUT
@app_client.output_option("wide", "json", "yaml")
@common.handle_errors()
@config.platform_options()
def sync(
    platform: config.Platform,
    name: str,
    revision: str,
    prune: bool,
    dry_run: bool,
    strategy: str,
    force: bool,
    resources: tuple[str, ...],
    sync_options: tuple[str, ...],
    retry_limit: int,
    retry_backoff_duration: str,
    retry_backoff_max_duration: str,
    retry_backoff_factor: int,
    run_async: bool,
    timeout: int,
    output: str,
) -> None:
    """Sync an application to its target state (or --revision)."""
    request = app_operation.SyncRequest(
        revision=revision,
        prune=prune,
        dry_run=dry_run,
        strategy=strategy,
        force=force,
        resources=resources,
        sync_options=sync_options,
        retry_limit=retry_limit,
        retry_backoff_duration=retry_backoff_duration,
        retry_backoff_max_duration=retry_backoff_max_duration,
        retry_backoff_factor=retry_backoff_factor,
        username=username(),
    )
    if dry_run:
        app_plan.show(platform, name, request, "json" if output == "json" else "table")
        return
    _operate(
        platform,
        name,
        lambda app: app_operation.sync_operation(app, request),
        verb="sync",
        wait=not run_async,
        timeout=timeout,
        output=output,
    )


@click.command("rollback")
@click.argument("name")
@click.argument("history_id", metavar="[ID]", type=int, required=False)
@click.option("--prune", is_flag=True, help="Allow deleting resources not in that revision.")
@click.option("--dry-run", is_flag=True, help="Preview the rollback without changing anything.")
@_ASYNC
@_TIMEOUT
@app_client.output_option("wide", "json", "yaml")
@common.handle_errors()
@config.platform_options()
def rollback(
    platform: config.Platform,
    name: str,
    history_id: int | None,
    prune: bool,
    dry_run: bool,
    run_async: bool,
    timeout: int,
    output: str,
) -> None:
    """Roll back to a deployment of the history (ID; default: the previous one)."""
    user = username()
    _operate(
        platform,
        name,
        lambda app: app_operation.rollback_operation(
            app, history_id, prune=prune, dry_run=dry_run, username=user
        ),
        verb="rollback",
        wait=not run_async,
        timeout=timeout,
        output=output,
    )


def _operate(
    platform: config.Platform,
    name: str,
    build: Callable[[Json], Json],
    *,
    verb: str,
    wait: bool,
    timeout: int,
    output: str,
) -> None:
    ref = AppRef.parse(name, platform.namespace)

    def request(app: Json) -> Json:
        return {"operation": build(app), "status": {"operationState": None}}

    async def run() -> Json:
        async with KubeClient(platform.management()) as client:
            app = await app_client.update(client, ref, request)
            if not wait:
                return app
            with app_progress.operation_view(ref.name, enabled=output == "wide") as show:
                return await app_client.wait_until(
                    client,
                    ref,
                    app,
                    lambda a: not app_operation.operation_in_progress(a),
                    show=show,
                    timeout=timeout,
                    what=f"the {verb}",
                )

    app = common.run(run())
    if not wait:
        if output == "wide":
            click.echo(f"application '{ref.name}' {verb} requested")
        else:
            app_client.echo_data(app, output)
        return
    _print_final(app, output, operation=True)
    _check_outcome(app, ref.name)


def _check_outcome(app: Json, name: str) -> None:
    """Argo CD's verdict on a finished sync: its phase, then (for a whole-app sync that left
    the app OutOfSync) resources that still need pruning."""
    state = (app.get("status") or {}).get("operationState")
    if not state:
        raise OperationFailedError(f"app {name}: the operation ended without a recorded result")
    phase = state.get("phase")
    if phase != "Succeeded":
        message = f": {state['message']}" if state.get("message") else ""
        raise OperationFailedError(
            f"app {name}: Operation has completed with phase: {phase}{message}"
        )
    sync = (state.get("operation") or {}).get("sync") or {}
    synced = ((app.get("status") or {}).get("sync") or {}).get("status") == "Synced"
    if not sync.get("dryRun") and not sync.get("resources") and not synced:
        count = app_operation.pruning_required(app)
        if count:
            raise OperationFailedError(f"app {name}: {count} resources require pruning")


def _print_final(app: Json, output: str, *, operation: bool) -> None:
    if output == "wide":
        click.echo()
        click.echo(app_format.details(app, conditions=False, operation=operation))
    else:
        app_client.echo_data(app, output)


@click.command("wait")
@click.argument("name")
@click.option("--sync", "want_sync", is_flag=True, help="Wait until Synced.")
@click.option("--health", "want_health", is_flag=True, help="Wait until Healthy.")
@click.option("--operation", "want_operation", is_flag=True, help="Wait for no operation.")
@_TIMEOUT
@app_client.output_option("wide", "json", "yaml")
@common.handle_errors()
@config.platform_options()
def wait(
    platform: config.Platform,
    name: str,
    want_sync: bool,
    want_health: bool,
    want_operation: bool,
    timeout: int,
    output: str,
) -> None:
    """Wait until an application is synced, healthy and has no operation in progress (or
    only what --sync/--health/--operation ask for)."""
    if not (want_sync or want_health or want_operation):
        want_sync = want_health = want_operation = True
    ref = AppRef.parse(name, platform.namespace)
    wanted = [
        text
        for text, on in (
            ("Synced", want_sync),
            ("Healthy", want_health),
            ("no operation in progress", want_operation),
        )
        if on
    ]
    what = ", ".join(wanted[:-1]) + " and " + wanted[-1] if len(wanted) > 1 else wanted[0]

    def ready(app: Json) -> bool:
        return app_operation.wait_ready(
            app, sync=want_sync, health=want_health, operation=want_operation
        )

    async def run() -> Json:
        async with KubeClient(platform.management()) as client:
            app = await app_client.get(client, ref)
            with app_progress.status_view(ref.name, enabled=output == "wide") as show:
                return await app_client.wait_until(
                    client,
                    ref,
                    app,
                    ready,
                    show=show,
                    timeout=timeout,
                    what=what,
                    describe=app_progress.describe_status,
                )

    _print_final(common.run(run()), output, operation=want_operation)


@click.command("terminate-op")
@click.argument("name")
@common.handle_errors()
@config.platform_options()
def terminate_op(platform: config.Platform, name: str) -> None:
    """Stop the running operation of an application."""
    ref = AppRef.parse(name, platform.namespace)

    def terminating(app: Json) -> Json:
        app_operation.check_can_terminate(app)
        return {"status": {"operationState": {"phase": "Terminating"}}}

    async def run() -> None:
        async with KubeClient(platform.management()) as client:
            await app_client.update(client, ref, terminating)

    common.run(run())
    click.echo(f"Application '{ref.name}' operation terminating")
