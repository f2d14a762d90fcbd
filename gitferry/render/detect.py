"""Source type detection with parameter-override files (reference 1.4).

`merge_overrides` applies `<path>/.argocd-source.yaml`, then
`<path>/.argocd-source-<app>.yaml`, as JSON merge patches on the source (only tool options
change; `repoURL`, `path`, `chart` and `targetRevision` are always kept from the spec).
`source_type` then picks the explicit tool block, or discovers one from the files at the app
path's root (`Chart.yaml` -> Helm, a kustomization file -> Kustomize, else Directory).
Called by `renderer.Renderer` for every source it renders.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from gitferry.model.errors import InvalidSpecError, ManifestError, RenderError
from gitferry.model.source import ApplicationSource
from gitferry.render import paths

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_KEPT = ("repoURL", "path", "chart", "targetRevision")


class SourceType(StrEnum):
    HELM = "Helm"
    KUSTOMIZE = "Kustomize"
    DIRECTORY = "Directory"
    PLUGIN = "Plugin"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def merge_overrides(
    source: ApplicationSource, root: Path, app: Path, instance: str
) -> ApplicationSource:
    """The source with the app path's parameter-override files applied."""
    merged: dict[str, Any] = dict(source.raw)
    changed = False
    for name in (".argocd-source.yaml", f".argocd-source-{instance}.yaml"):
        candidate = app / name
        if not os.path.lexists(candidate):
            continue
        where = paths.relative(root, candidate)
        path = paths.resolve(root, app, name, "parameter file")
        try:
            patch = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        except yaml.YAMLError as err:
            raise ManifestError(f"{where}: malformed YAML: {err}") from err
        if patch is None:
            continue
        if not isinstance(patch, dict):
            raise ManifestError(f"{where}: must be a mapping of source options")
        merged = merge_patch(merged, patch)
        changed = True
    if not changed:
        return source
    for key in _KEPT:
        if key in source.raw:
            merged[key] = source.raw[key]
        else:
            merged.pop(key, None)
    try:
        return ApplicationSource.parse(merged)
    except InvalidSpecError as err:
        raise RenderError(f"{paths.relative(root, app)}: parameter overrides: {err}") from err


def discover(app: Path) -> SourceType:
    """Auto-discovery: the last matching file name at the app root, in lexical order."""
    found = SourceType.DIRECTORY
    with os.scandir(app) as scan:
        names = sorted(e.name for e in scan if not e.is_dir(follow_symlinks=False))
    for name in names:
        if name.endswith("Chart.yaml"):
            found = SourceType.HELM
        elif name in KUSTOMIZATION_NAMES:
            found = SourceType.KUSTOMIZE
    return found


def source_type(source: ApplicationSource, app: Path) -> SourceType:
    """The explicit tool block, else discovery. Plugins are refused."""
    explicit = source.explicit_types()
    if len(explicit) > 1:
        raise RenderError(f"multiple application sources defined: {','.join(explicit)}")
    chosen = SourceType(explicit[0]) if explicit else discover(app)
    if chosen is SourceType.PLUGIN:
        raise RenderError("config management plugins are not supported yet")
    return chosen
