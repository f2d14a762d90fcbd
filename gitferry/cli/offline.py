"""Rendering an Application from a file, with no control plane: the shared core of
`gitferry render` and `gitferry diff`.

Sources are fetched into the user's cache (`~/.cache/gitferry`) exactly as the controller
fetches them. `--local REPO=PATH` renders a repository from a local directory instead (the
working copy of a pull request), which is what makes these commands a pull-request preview.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from gitferry.cli import common
from gitferry.model.application import Application
from gitferry.model.errors import InputError, InvalidSpecError
from gitferry.render import renderer
from gitferry.render.options import RenderOptions, RenderResult
from gitferry.source import credentials
from gitferry.source.repositories import WORKING_TREE, Repositories, Resolved


@dataclass(frozen=True)
class Rendered:
    app: Application
    result: RenderResult


def source_options(*, secrets: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options of every command that reads repositories itself: `--local REPO_URL=PATH`
    (parameter `locals_`), `--repo-secrets FILE` (unless `secrets` is False) and
    `--cache-dir`."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--cache-dir", type=click.Path(path_type=Path), help="Repository cache."
        )(command)
        if secrets:
            command = click.option(
                "--repo-secrets",
                type=click.Path(path_type=Path, dir_okay=False),
                help="A YAML file of repository credential Secrets (as stored in the control "
                "plane).",
            )(command)
        return click.option(
            "--local",
            "locals_",
            multiple=True,
            metavar="REPO_URL=PATH",
            help="Read the repository REPO_URL from the local directory PATH (repeatable).",
        )(command)

    return decorate


def parse_locals(pairs: tuple[str, ...]) -> dict[str, Path]:
    """`--local REPO=PATH` pairs as {repoURL: directory}."""
    mapping: dict[str, Path] = {}
    for pair in pairs:
        url, sep, path = pair.partition("=")
        if not sep or not url or not path:
            raise InputError(f"--local {pair!r}: expected REPO_URL=PATH")
        directory = Path(path).expanduser().resolve()
        if not directory.is_dir():
            raise InputError(f"--local {pair!r}: {directory} is not a directory")
        mapping[url.rstrip("/")] = directory
    return mapping


def application_from(objects: list[dict[str, Any]], where: Path) -> dict[str, Any]:
    """The one Application among the objects of a file."""
    apps = [obj for obj in objects if obj.get("kind") == "Application"]
    if len(apps) != 1:
        raise InputError(
            f"{where}: expected exactly one Application, found {len(apps)}"
            + (" (give the file with only the app you mean)" if apps else "")
        )
    return apps[0]


class _LocalCopies:
    """A source provider that reads some repositories from local directories as they are on
    disk (uncommitted changes included) and everything else from `Repositories`."""

    def __init__(self, repositories: Repositories, locals_: dict[str, Path]) -> None:
        self._repositories = repositories
        self._locals = locals_

    async def resolve(self, url: str, revision: str) -> Resolved:
        if url.rstrip("/") in self._locals:
            return Resolved(WORKING_TREE)
        return await self._repositories.resolve(url, revision)

    async def snapshot(self, url: str, sha: str) -> Path:
        local = self._locals.get(url.rstrip("/"))
        if local is not None:
            return local
        return await self._repositories.snapshot(url, sha)

    async def chart(self, url: str, chart: str, version: str) -> Path:
        return await self._repositories.chart(url, chart, version)


def repository_secrets(path: Path | None) -> list[dict[str, Any]]:
    """Repository and repo-creds Secrets from a YAML file (`--repo-secrets`), as they would be
    stored in the control plane."""
    if path is None:
        return []
    secrets = [obj for obj in common.load_objects(path) if obj.get("kind") == "Secret"]
    if not secrets:
        raise InputError(f"{path}: no Secret found (expected repository credential Secrets)")
    return secrets


async def render(
    obj: dict[str, Any],
    *,
    cache_dir: Path,
    locals_: dict[str, Path],
    secrets: list[dict[str, Any]] | None = None,
    options: RenderOptions | None = None,
) -> Rendered:
    """Render the Application `obj` offline; `secrets` are repository credential Secrets."""
    app = Application.parse(obj)
    problems = app.spec_problems()
    if problems:
        raise InvalidSpecError(f"app {app.name}: " + "; ".join(problems))
    engine = renderer.Renderer()
    try:
        known = secrets or []
        repositories = Repositories(
            cache_dir / "repos",
            credentials=lambda url: credentials.pick(url, known, project=app.project),
        )
        provider = _LocalCopies(repositories, locals_)
        result = await engine.render_app(app, provider, options)
    finally:
        engine.close()
    return Rendered(app, result)
