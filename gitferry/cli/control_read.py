"""The control-plane objects `gitferry proj` and `gitferry appset` list and show
(AppProjects, ApplicationSets), read from the management cluster as `gitferry app` reads
Applications (there is no gitferry API server yet), and the list output those commands share:
a table, names, or JSON/YAML.

Called by `proj_read` and `appset_read`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from gitferry.cli import app_client, app_format, common, config
from gitferry.cluster.client import KubeClient
from gitferry.model.errors import GitFerryError

API_VERSION = "argoproj.io/v1alpha1"
Json = dict[str, Any]


class ObjectNotFoundError(GitFerryError):
    """The named AppProject or ApplicationSet does not exist."""


def fetch_all(platform: config.Platform, kind: str) -> list[Json]:
    """Every object of `kind` in the control-plane namespace, by name."""

    async def run() -> list[Json]:
        async with KubeClient(platform.management()) as client:
            items, _ = await client.list(API_VERSION, kind, platform.namespace)
            return sorted(items, key=lambda o: str(o["metadata"]["name"]))

    return common.run(run())


def fetch_one(platform: config.Platform, kind: str, name: str, noun: str) -> Json:
    """The object `name` of `kind`; `noun` names it in the not-found error."""

    async def run() -> Json | None:
        async with KubeClient(platform.management()) as client:
            return await client.get(API_VERSION, kind, platform.namespace, name)

    found = common.run(run())
    if found is None:
        raise ObjectNotFoundError(f"{noun} {name}: not found in namespace {platform.namespace}")
    return found


def echo_list(
    items: list[Json], output: str, header: list[str], row: Callable[[Json], list[str]]
) -> None:
    """Print a list as JSON/YAML, one name per line, or a table of `header` and `row`s."""
    if output in ("json", "yaml"):
        app_client.echo_data(items, output)
    elif output == "name":
        for item in items:
            click.echo(item["metadata"]["name"])
    else:
        click.echo(app_format.table([header, *(row(item) for item in items)]))
