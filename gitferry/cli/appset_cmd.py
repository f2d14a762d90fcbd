"""`gitferry appset generate -f APPSET.yaml`: the Applications an ApplicationSet makes, offline.

Runs the same generation pass as the controller: cluster generators read the cluster Secrets
given with `--clusters` (a YAML stream, as `kubectl get secret -o yaml` prints them); git
generators read repositories through the user's cache (`~/.cache/gitferry`), local paths and
file:// repositories included, and `--local REPO=PATH` reads a repository from a directory
as it is on disk (a pull request's working copy). Prints the valid Applications as a YAML
stream (or a JSON list); each excluded Application (duplicate name, invalid name, project or
destination) gets a `warning:` line on stderr and the exit status is then 1. A generator or
template error prints one `error:` line naming the generator and the parameter set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gitferry.appset import generate as generation
from gitferry.cli import appset_read, common, offline
from gitferry.model.errors import InputError, InvalidSpecError
from gitferry.source import credentials, snapshots
from gitferry.source.repositories import WORKING_TREE, Repositories, Resolved


@click.group("appset")
def appset() -> None:
    """ApplicationSets: what they generate, and what the controller made of them."""


appset.add_command(appset_read.list_)
appset.add_command(appset_read.get)


@appset.command("generate")
@click.option(
    "-f",
    "--file",
    "path",
    required=True,
    type=click.Path(path_type=Path, allow_dash=True),
    help="A file holding one ApplicationSet (- for standard input).",
)
@click.option(
    "--clusters",
    "clusters_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A YAML stream of cluster Secrets (label argocd.argoproj.io/secret-type: cluster).",
)
@offline.source_options()
@common.OUTPUT
@common.handle_errors()
def generate(
    path: Path,
    clusters_file: Path | None,
    locals_: tuple[str, ...],
    repo_secrets: Path | None,
    cache_dir: Path | None,
    output: str,
) -> None:
    """Print the Applications an ApplicationSet generates, without a control plane."""
    appset = _appset_from(common.load_objects(path), path)
    name = str((appset.get("metadata") or {}).get("name") or "")
    secrets = offline.repository_secrets(repo_secrets)
    project = _project(appset)
    repositories = Repositories(
        (cache_dir or common.cache_dir()) / "repos",
        credentials=lambda url: credentials.pick(url, secrets, project=project),
    )
    reader = LocalFirstReader(repositories, offline.parse_locals(locals_))
    result = common.run(generation.generate(appset, clusters=_clusters(clusters_file), git=reader))
    common.print_objects(result.applications, output)
    for item in result.invalid:
        click.echo(f"warning: applicationset {name}: {item.message}", err=True)
    if result.invalid:
        total = len(result.applications) + len(result.invalid)
        raise InvalidSpecError(
            f"applicationset {name}: {len(result.invalid)} of {total} generated applications "
            "are invalid (see the warnings above); fix the template or the generators"
        )


class LocalFirstReader:
    """A `GitReader`: `--local` directories as they are on disk, the rest from `Repositories`
    (remote, file:// and local Git repositories at a commit, plain directories as they are)."""

    def __init__(self, repositories: Repositories, locals_: dict[str, Path]) -> None:
        self._repositories = repositories
        self._locals = locals_

    async def resolve(self, url: str, revision: str = "HEAD") -> Resolved:
        if self._local(url) is not None:
            return Resolved(WORKING_TREE)
        return await self._repositories.resolve(url, revision)

    async def list_paths(self, url: str, sha: str, prefix: str = "") -> list[str]:
        local = self._local(url)
        if local is not None:
            return snapshots.list_directory(local, prefix)
        return await self._repositories.list_paths(url, sha, prefix)

    async def read_file(self, url: str, sha: str, path: str) -> bytes:
        local = self._local(url)
        if local is not None:
            return snapshots.read_directory_file(local, path, f"repo {url} (--local {local})")
        return await self._repositories.read_file(url, sha, path)

    def _local(self, url: str) -> Path | None:
        return self._locals.get(url.rstrip("/"))


def _appset_from(objects: list[dict[str, Any]], where: Path) -> dict[str, Any]:
    found = [obj for obj in objects if obj.get("kind") == "ApplicationSet"]
    if len(found) != 1:
        raise InputError(
            f"{where}: expected exactly one ApplicationSet, found {len(found)}"
            + (" (give a file with only the one you mean)" if found else "")
        )
    appset = found[0]
    if not isinstance(appset.get("spec"), dict):
        raise InputError(f"{where}: the ApplicationSet has no spec")
    return appset


def _clusters(path: Path | None) -> list[dict[str, Any]]:
    if path is None:
        return []
    secrets = [obj for obj in common.load_objects(path) if obj.get("kind") == "Secret"]
    if not secrets:
        raise InputError(f"{path}: no Secret found (expected cluster Secrets)")
    return secrets


def _project(appset: dict[str, Any]) -> str:
    """The project credentials are scoped to: none when the template's project is templated,
    as Argo CD's git generator does."""
    spec = (appset.get("spec") or {}).get("template", {}).get("spec") or {}
    project = str(spec.get("project") or "")
    return "" if "{{" in project else project
