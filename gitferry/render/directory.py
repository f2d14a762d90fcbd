"""The Directory renderer: plain YAML and JSON files of an app path (reference 1.5).

Walks the app path in lexical order (sub-directories only with `recurse`; symlinked
directories are never entered), keeps files named `*.yaml|yml|json|jsonnet`, applies
`exclude` then `include` (gobwas globs on the path relative to the app), refuses symlinks
that resolve outside the repository, skips symlinks to missing or non-regular files, caps the
combined size and the file count, skips files marked `+argocd:skip-file-rendering`, and
parses what is left with `manifests`. Jsonnet is not supported yet. Called by
`renderer.Renderer` (in a thread: it is plain file I/O).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitferry.model.errors import RenderError, RenderLimitError, UnsafePathError
from gitferry.model.source import DirectoryOptions
from gitferry.render import globbing, manifests, paths

_MANIFEST_NAME = re.compile(r"^.*\.(yaml|yml|json|jsonnet)$", re.DOTALL)


@dataclass(frozen=True)
class _Candidate:
    path: str  # the file as listed (maybe a symlink)
    rel: str  # relative to the app path, for include/exclude
    name: str


class _Walk:
    def __init__(
        self, root: Path, app: Path, options: DirectoryOptions, max_bytes: int, max_files: int
    ) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.app = app
        self.options = options
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.files = 0
        self.size = 0
        self.found: list[_Candidate] = []

    def run(self, directory: str) -> None:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda e: e.name)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if self.options.recurse:
                    self.run(entry.path)
                continue
            self.files += 1
            if self.files > self.max_files:
                raise RenderLimitError(
                    f"{paths.relative(self.root, self.app)}: more than {self.max_files} files"
                )
            self.consider(entry)

    def consider(self, entry: os.DirEntry[str]) -> None:
        if not _MANIFEST_NAME.match(entry.name):
            return
        rel = os.path.relpath(entry.path, self.app).replace(os.sep, "/")
        info = entry.stat(follow_symlinks=False)
        if entry.is_symlink():
            target = os.path.realpath(entry.path)
            if not os.path.exists(target):
                return  # a dangling symlink is skipped (Argo CD logs a warning)
            if not paths.is_inside(self.root, Path(entry.path)):
                shown = paths.relative(self.root, entry.path)
                raise UnsafePathError(f"{shown}: symlink points outside the repository")
            info = os.stat(target)
        if not stat.S_ISREG(info.st_mode):
            return
        if self.options.exclude and globbing.gobwas_match(self.options.exclude, rel):
            return
        if self.options.include and not globbing.gobwas_match(self.options.include, rel):
            return
        if not entry.name.endswith(".jsonnet"):
            self.size += info.st_size
            if self.size > self.max_bytes:
                raise RenderLimitError(
                    f"{paths.relative(self.root, self.app)}: manifests exceed "
                    f"{self.max_bytes} bytes combined"
                )
        self.found.append(_Candidate(entry.path, rel, entry.name))


def render_directory(
    root: Path,
    app: Path,
    options: DirectoryOptions | None,
    *,
    max_bytes: int,
    max_files: int,
) -> list[dict[str, Any]]:
    """The manifests of a directory app, in walk order."""
    walk = _Walk(root, app, options or DirectoryOptions(), max_bytes, max_files)
    walk.run(str(app))
    result: list[dict[str, Any]] = []
    for candidate in walk.found:
        where = paths.relative(root, candidate.path)
        with open(candidate.path, "rb") as handle:
            data = handle.read(max_bytes + 1)
        if manifests.SKIP_MARKER in data:
            continue
        if candidate.name.endswith(".jsonnet"):
            raise RenderError(f"jsonnet is not supported yet: {where}")
        result.extend(manifests.parse_directory_file(data, candidate.name, where))
    return result
