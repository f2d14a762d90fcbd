"""What a `kustomize build` will read, checked before it runs.

kustomize's `LoadRestrictionsRootOnly` keeps files inside each kustomization's root, but a
base or component *directory* may be anywhere, and a symlinked file is followed. So this walks
the kustomization graph from the app path: every local path in `resources`, `bases`,
`components`, patches, generators, transformers and the other file fields must stay inside
the repository (lexically and through symlinks), every kustomization root reached must hold
no symlink that escapes, and the files under them count against the file cap. Remote
(URL) resources are refused: kustomize would fetch them itself, outside `gitferry.source`.
Called by `kustomize` before every build.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from gitferry.model.errors import ManifestError, RenderError, RenderLimitError, UnsafePathError
from gitferry.render import paths
from gitferry.render.detect import KUSTOMIZATION_NAMES

_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)")
_DIR_FIELDS = ("resources", "bases", "components")
_FILE_LIST_FIELDS = ("crds", "configurations", "patchesStrategicMerge")
_PLUGIN_FIELDS = ("generators", "transformers", "validators")


def find_kustomization(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def load(path: Path, root: Path) -> dict[str, Any]:
    """A kustomization file as a mapping."""
    try:
        data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as err:
        line = f":{err.problem_mark.line + 1}" if err.problem_mark else ""
        raise ManifestError(
            f"{paths.relative(root, path)}{line}: malformed YAML: {err.problem}"
        ) from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ManifestError(f"{paths.relative(root, path)}: a kustomization must be a mapping")
    return data


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item


def _file_paths(kustomization: dict[str, Any]) -> Iterator[str]:
    """Local file paths named by a kustomization (not the directory-valued fields)."""
    for field in _FILE_LIST_FIELDS:
        for item in _strings(kustomization.get(field)):
            if "\n" not in item:  # patchesStrategicMerge may hold an inline patch
                yield item
    for field in ("patches", "patchesJson6902", "replacements"):
        for item in kustomization.get(field) or []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                yield item["path"]
    for field in ("configMapGenerator", "secretGenerator"):
        for generator in kustomization.get(field) or []:
            if not isinstance(generator, dict):
                continue
            for entry in _strings(generator.get("files")):
                yield entry.split("=", 1)[-1]
            yield from _strings(generator.get("envs"))
            if isinstance(generator.get("env"), str):
                yield generator["env"]
    openapi = kustomization.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield openapi["path"]


class _Guard:
    def __init__(self, root: Path, max_files: int) -> None:
        self.root = root
        self.max_files = max_files
        self.seen: set[str] = set()
        self.trees: list[str] = []
        self.files = 0

    def visit(self, directory: Path) -> None:
        real = os.path.realpath(directory)
        if real in self.seen:
            return
        self.seen.add(real)
        where = paths.relative(self.root, directory)
        if not any(real == tree or real.startswith(tree + os.sep) for tree in self.trees):
            self.trees.append(real)
            what = f"kustomize {where}"
            self.files += paths.check_tree(self.root, directory, self.max_files, what)
            if self.files > self.max_files:
                raise RenderLimitError(f"{what}: more than {self.max_files} files")
        kustomization_file = find_kustomization(directory)
        if kustomization_file is None:
            return  # kustomize itself reports a missing kustomization
        kustomization = load(kustomization_file, self.root)
        where = paths.relative(self.root, kustomization_file)
        for field in _DIR_FIELDS:
            for entry in _strings(kustomization.get(field)):
                self.entry(directory, entry, where, field)
        for field in _PLUGIN_FIELDS:
            for entry in _strings(kustomization.get(field)):
                if "\n" not in entry:
                    self.entry(directory, entry, where, field)
        for entry in _file_paths(kustomization):
            self.local(directory, entry, f"{where}:")

    def local(self, directory: Path, entry: str, what: str) -> Path:
        # kustomize reads an absolute path from the host's root, not the repository's.
        if os.path.isabs(entry):
            raise UnsafePathError(f"{what} {entry}: absolute paths are not allowed")
        return paths.resolve(self.root, directory, entry, what)

    def entry(self, directory: Path, entry: str, where: str, field: str) -> None:
        what = f"{where}: {field}"
        if not os.path.isabs(entry) and os.path.lexists(directory / entry):
            target = self.local(directory, entry, what)
            if target.is_dir():
                self.visit(target)
            return
        if _REMOTE.match(entry) or "?ref=" in entry or "//" in entry:
            raise RenderError(
                f"{what} {entry}: remote kustomize resources are not supported yet; "
                "vendor it into the repository"
            )
        self.local(directory, entry, what)


def check(root: Path, app: Path, max_files: int) -> None:
    """Refuse a kustomization graph that reads outside `root` or more than `max_files`."""
    _Guard(root, max_files).visit(app)
