"""The Application objects of the management cluster, as every `gitferry app` command reads
and writes them, and the `-o` handling those commands share.

There is no gitferry API server yet, so the commands talk to the Kubernetes API directly,
the way Argo CD's API server does for `argocd app`: `update` writes a merge patch built from
the object just read and carrying its `resourceVersion` (so a concurrent write, such as the
controller starting an auto-sync, is a conflict that is retried against the new state, never
silently overwritten); `wait_until` follows one Application with a watch until a condition
holds or a timeout passes. A watch rather than polling: the controller's writes reach the
progress view within milliseconds, every intermediate version is seen (a poll every half
second skips short phases), and an idle wait costs one open request. The watch is of the
namespace's Applications, filtered to the one followed; when the server ends the stream the
object is read again and the watch resumes from its version.

Called by `app_read`, `app_sync` and `app_write`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, cast

import click

from gitferry._kit import yamlio
from gitferry.cluster.client import ApiStatusError, KubeClient
from gitferry.model.errors import GitFerryError

Json = dict[str, Any]
API_VERSION = "argoproj.io/v1alpha1"
KIND = "Application"
MANAGER = "gitferry-cli"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
_CONFLICT_RETRIES = 10
_WATCH_SECONDS = 60


class AppNotFoundError(GitFerryError):
    """The named Application does not exist."""


class WaitTimeoutError(GitFerryError):
    """A command gave up waiting on an Application (`--timeout`)."""


@dataclass(frozen=True)
class AppRef:
    """Where an Application is: `NAME` in the control-plane namespace, or `NAMESPACE/NAME`
    (Argo CD's qualified name)."""

    namespace: str
    name: str

    @classmethod
    def parse(cls, text: str, default_namespace: str) -> AppRef:
        namespace, _, name = text.rpartition("/")
        return cls(namespace or default_namespace, name)


def output_option(*choices: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`-o/--output` with `choices`, the first being the default."""
    return click.option(
        "-o",
        "--output",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def echo_data(data: Any, output: str) -> None:
    """Print an object (or a list) as JSON or YAML."""
    if output == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(yamlio.dump_documents([data]), nl=False)


async def get(client: KubeClient, ref: AppRef) -> Json:
    app = await client.get(API_VERSION, KIND, ref.namespace, ref.name)
    if app is None:
        raise AppNotFoundError(f"app {ref.name}: not found in namespace {ref.namespace}")
    return app


async def list_apps(
    client: KubeClient, namespace: str, *, selector: str | None = None
) -> list[Json]:
    items, _ = await client.list(API_VERSION, KIND, namespace, label_selector=selector)
    return sorted(items, key=lambda a: (a["metadata"]["namespace"], a["metadata"]["name"]))


async def update(client: KubeClient, ref: AppRef, change: Callable[[Json], Json | None]) -> Json:
    """Merge-patch the app with `change(current)` (None: nothing to write), retrying against
    the new state when someone else wrote in between; `change` may refuse by raising."""
    for _ in range(_CONFLICT_RETRIES):
        app = await get(client, ref)
        patch = change(app)
        if patch is None:
            return app
        metadata = patch.setdefault("metadata", {})
        metadata["resourceVersion"] = app["metadata"]["resourceVersion"]
        try:
            return await client.patch(
                API_VERSION, KIND, ref.namespace, ref.name, patch, manager=MANAGER
            )
        except ApiStatusError as err:
            if err.code != 409:
                raise
    raise GitFerryError(
        f"app {ref.name}: the Application kept changing while it was being updated; try again"
    )


async def follow(client: KubeClient, ref: AppRef, first: Json) -> AsyncGenerator[Json | None, None]:
    """`first`, then every new version of the app; None (and the end) when it is deleted."""
    yield first
    version = str(first["metadata"]["resourceVersion"])
    while True:
        # KubeClient.watch is an async generator: closed here, its HTTP stream ends at once.
        events = cast(
            AsyncGenerator[tuple[str, Json], None],
            client.watch(
                API_VERSION,
                KIND,
                ref.namespace,
                resource_version=version,
                timeout_seconds=_WATCH_SECONDS,
            ),
        )
        async with contextlib.aclosing(events):
            async for kind, obj in events:
                if kind == "ERROR":  # the version is too old: read again below
                    break
                meta = obj.get("metadata") or {}
                version = str(meta.get("resourceVersion") or version)
                if kind == "BOOKMARK" or meta.get("name") != ref.name:
                    continue
                if kind == "DELETED":
                    yield None
                    return
                yield obj
        current = await client.get(API_VERSION, KIND, ref.namespace, ref.name)
        if current is None:
            yield None
            return
        if str(current["metadata"]["resourceVersion"]) != version:
            yield current
        version = str(current["metadata"]["resourceVersion"])


async def wait_until(
    client: KubeClient,
    ref: AppRef,
    first: Json,
    done: Callable[[Json], bool],
    *,
    show: Callable[[Json], None],
    timeout: int,
    what: str,
    describe: Callable[[Json], str] | None = None,
) -> Json:
    """Follow the app, showing each version, until `done`; `timeout` seconds (0: no limit).
    The timeout error names what was awaited and, with `describe`, where the app stood."""
    last = first
    try:
        async with asyncio.timeout(timeout or None):
            versions = follow(client, ref, first)
            async with contextlib.aclosing(versions):
                async for app in versions:
                    if app is None:
                        raise GitFerryError(f"app {ref.name}: deleted while waiting for {what}")
                    last = app
                    show(app)
                    if done(app):
                        return app
    except TimeoutError as err:
        state = f" ({describe(last)})" if describe else ""
        raise WaitTimeoutError(
            f"app {ref.name}: timed out after {timeout}s waiting for {what}{state}"
        ) from err
    raise AssertionError("unreachable: following ends only with a deletion")
