"""The Kustomize renderer: `kustomize build` (or `kubectl kustomize`) of an app path.

When the Application sets Kustomize options, the repository tree is copied with hard links
into a temporary directory and the app's kustomization file is replaced there by the edited
one (`kustomize_edit`); the shared snapshot is never written. Before the build,
`kustomize_guard` checks every path the build will read. The build runs with
`--load-restrictor LoadRestrictionsRootOnly`, a minimal environment (PATH, a private HOME and
the `ARGOCD_APP_*` build variables), a time cap and an output cap; only stdout is parsed.
Called by `renderer.Renderer`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from gitferry.model.errors import RenderError, UnsafePathError
from gitferry.model.source import KustomizeOptions
from gitferry.render import kustomize_edit, kustomize_guard, manifests, paths, process
from gitferry.render.options import RenderOptions

VERSIONED_KUBECTL = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.32")
_EDITS = (
    "namePrefix",
    "nameSuffix",
    "images",
    "replicas",
    "commonLabels",
    "commonAnnotations",
    "namespace",
    "patches",
    "components",
)


def command(configured: tuple[str, ...]) -> tuple[str, ...]:
    """The argv prefix that builds a kustomization given its path."""
    if configured:
        return configured
    if found := shutil.which("kustomize"):
        return (found, "build")
    if VERSIONED_KUBECTL.exists():
        return (str(VERSIONED_KUBECTL), "kustomize")
    if found := shutil.which("kubectl"):
        return (found, "kustomize")
    raise RenderError("kustomize: neither kustomize nor kubectl is installed; install one")


def has_edits(options: KustomizeOptions | None) -> bool:
    return options is not None and any(options.get(key) for key in _EDITS)


class _QuotingDumper(yaml.SafeDumper):
    """Writes every string quoted: Go's YAML reads an unquoted `1234e56` (a short commit SHA as
    an image tag) as a number where PyYAML writes it plain, and kustomize then fails."""


_QuotingDumper.add_representer(
    str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
)


def _edit_copy(
    root: Path, app: Path, options: KustomizeOptions, env: Mapping[str, str], work: Path
) -> tuple[Path, Path]:
    """A hard-linked copy of the repository with the app's kustomization edited."""
    copy_root = work / "repo"
    paths.linked_copy(root, copy_root)
    copy_app = copy_root / os.path.relpath(app, root)
    found = kustomize_guard.find_kustomization(copy_app)
    if found is None:
        raise RenderError(
            f"{paths.relative(root, app)}: no kustomization file to apply the Kustomize options to"
        )
    kustomization = kustomize_guard.load(found, copy_root)

    def component_exists(component: str) -> bool:
        where = f"{paths.relative(copy_root, found)}: component"
        if os.path.isabs(component):
            raise UnsafePathError(f"{where} {component}: absolute paths are not allowed")
        return paths.resolve(copy_root, copy_app, component, where).exists()

    edited = kustomize_edit.apply_options(kustomization, options, env, component_exists)
    text = yaml.dump(edited, Dumper=_QuotingDumper, sort_keys=False, allow_unicode=True)
    paths.replace_file(found, text.encode())
    return copy_root, copy_app


def _prepare(
    root: Path,
    app: Path,
    options: KustomizeOptions | None,
    env: Mapping[str, str],
    work: Path,
    max_files: int,
) -> tuple[Path, Path]:
    build_root, build_app = root, app
    if options is not None and has_edits(options):
        build_root, build_app = _edit_copy(root, app, options, env, work)
    kustomize_guard.check(build_root, build_app, max_files)
    return build_root, build_app


async def render_kustomize(
    root: Path,
    app: Path,
    options: KustomizeOptions | None,
    env: Mapping[str, str],
    render_options: RenderOptions,
) -> list[dict[str, Any]]:
    """The manifests `kustomize build` produces for the app path."""
    argv = command(render_options.kustomize_command)
    where = f"kustomize build {paths.relative(root, app)}"
    work = Path(tempfile.mkdtemp(prefix="gitferry-kustomize-", dir=render_options.work_dir))
    build_root = root
    try:
        build_root, build_app = await asyncio.to_thread(
            _prepare, root, app, options, env, work, render_options.max_files
        )
        home = work / "home"
        home.mkdir()
        output = await process.run(
            [*argv, str(build_app), "--load-restrictor", "LoadRestrictionsRootOnly"],
            cwd=build_root,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), **env},
            timeout=render_options.timeout_seconds,
            max_output=render_options.max_manifest_bytes,
            what=where,
        )
    except RenderError as err:
        # Messages name paths relative to the repository, never our temporary directories.
        message = str(err).replace(f"{build_root}{os.sep}", "").replace(str(build_root), ".")
        raise type(err)(message) from err
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
    return manifests.parse_stream(output.decode(errors="replace"), where)
