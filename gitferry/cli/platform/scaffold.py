"""Scaffold the platform's four repositories from the templates in `scaffold/`.

The templates follow the blueprint's layout (application, configuration, infrastructure and
policy repositories, with `argocd/` holding projects, the app-of-apps, ApplicationSets, RBAC
and notifications). `@@NAME@@` placeholders become the local remotes' URLs; a path part
`dot-x` becomes `.x` (package data cannot carry dot files reliably). Each repository is
committed and pushed to a bare remote whose `post-receive` hook refreshes the platform's
applications of that repository, as a Git host's webhook would.

If anything fails, what this call created is removed again: no half-made workdir. Called by
`init_cmd` and `up_cmd`.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from gitferry.cli.platform.layout import NAMESPACE, REPOSITORIES, Workdir
from gitferry.source import workspace
from gitferry.source.git import Git

_TEMPLATES = "scaffold"
_HOOK = """#!/bin/sh
# gitferry: tell the platform that this repository changed, as a Git host's webhook would.
# It runs in the background so that the push returns at once; its output goes to {log}.
GITFERRY_CONFIG={config} nohup {python} -m gitferry app refresh --repo {url} \\
  >>{log} 2>&1 </dev/null &
exit 0
"""


def placeholders(workdir: Workdir) -> dict[str, str]:
    """The values of the templates' `@@NAME@@` placeholders."""
    values = {"NAMESPACE": NAMESPACE}
    for name in REPOSITORIES:
        values[name.removesuffix("-repo").upper() + "_REPO"] = workdir.remote_url(name)
    return values


def hook_script(workdir: Workdir, repository: str) -> str:
    """The `post-receive` hook of a remote: refresh the apps that read this repository."""
    return _HOOK.format(
        config=shlex.quote(str(workdir.config.resolve())),
        python=shlex.quote(sys.executable),
        url=shlex.quote(workdir.remote_url(repository)),
        log=shlex.quote(str(workdir.log("hooks").resolve())),
    )


async def scaffold(workdir: Workdir) -> list[workspace.Published]:
    """Write, commit and publish the four repositories under `workdir`. Raises
    RepositoryError (after removing what it created) if git fails."""
    created = [workdir.root / "repos", workdir.root / "remotes"]
    existed = {path: path.exists() for path in created}
    git = Git(workdir.cache / "git-home", timeout=60.0)
    values = placeholders(workdir)
    workdir.log("hooks").parent.mkdir(parents=True, exist_ok=True)
    try:
        published = []
        for name in REPOSITORIES:
            clone = workdir.clone(name)
            _copy(resources.files(__package__).joinpath(_TEMPLATES, name), clone, values)
            published.append(
                await workspace.publish(
                    git,
                    clone,
                    workdir.remote(name),
                    message=f"Scaffold {name} (gitferry init)",
                    hook=hook_script(workdir, name),
                )
            )
        return published
    except BaseException:
        for path in created:
            if not existed[path]:
                shutil.rmtree(path, ignore_errors=True)
        raise


def _copy(source: Traversable, target: Path, values: dict[str, str]) -> None:
    """Copy a template tree, renaming `dot-` parts and filling placeholders."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir(), key=lambda item: item.name):
        if entry.name == "__pycache__":
            continue
        name = entry.name
        if name.startswith("dot-"):
            name = "." + name.removeprefix("dot-")
        if entry.is_dir():
            _copy(entry, target / name, values)
            continue
        text = entry.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(f"@@{key}@@", value)
        (target / name).write_text(text, encoding="utf-8")
