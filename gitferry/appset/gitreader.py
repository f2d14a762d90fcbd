"""How the git generators read repositories: the `GitReader` seam and a per-pass view of it.

`GitReader` is what the generators need: resolve a revision to a commit, list the files of a
commit, read one file. `gitferry.source.repositories.Repositories` implements it as is (the
controller passes it); the CLI passes a reader that serves `--local` directories first.

`GitView` wraps a reader for one generation pass: a revision is resolved once per pass (a
matrix re-runs its second child for every parameter set of the first), a tree is listed once
per commit, and it derives what Argo CD's repo server answers:
- directories: every directory holding a file, relative, without the root and without any
  path that has a `.`-prefixed segment (hidden directories are skipped with their contents);
- files: the paths a files pattern selects (`filematch`), read with caps on their number and
  size.
Errors are `GeneratorFailure`s (retryable when the repository could not be reached).
"""

from __future__ import annotations

from typing import Protocol

from gitferry.appset import filematch
from gitferry.appset.errors import GeneratorFailure
from gitferry.model.errors import GitFerryError
from gitferry.source.repositories import Resolved


class GitReader(Protocol):
    """Read access to Git repositories (or plain directories) at a revision."""

    async def resolve(self, url: str, revision: str = "HEAD") -> Resolved:
        """The commit `revision` (branch, tag, SHA, HEAD, semver constraint) names now."""
        ...

    async def list_paths(self, url: str, sha: str, prefix: str = "") -> list[str]:
        """Every file and symbolic link of commit `sha` (under `prefix`), sorted."""
        ...

    async def read_file(self, url: str, sha: str, path: str) -> bytes:
        """The bytes of a regular file at commit `sha`; symbolic links are refused."""
        ...


class GitView:
    """One generation pass's cached reads through a `GitReader`."""

    def __init__(self, reader: GitReader | None, *, max_file_bytes: int, max_files: int) -> None:
        self._reader = reader
        self._max_file_bytes = max_file_bytes
        self._max_files = max_files
        self._commits: dict[tuple[str, str], str] = {}
        self._paths: dict[tuple[str, str], list[str]] = {}
        self._directories: dict[tuple[str, str], list[str]] = {}

    async def directories(self, url: str, revision: str) -> list[str]:
        """The non-hidden directories of the repository at `revision`, in the order of a
        directory walk (`a`, `a/b`, `a-c`)."""
        sha = await self._resolve(url, revision)
        key = (url, sha)
        if key not in self._directories:
            found: set[str] = set()
            for path in await self._list(url, sha):
                parts = path.split("/")[:-1]
                for depth in range(1, len(parts) + 1):
                    if parts[depth - 1].startswith("."):
                        break
                    found.add("/".join(parts[:depth]))
            self._directories[key] = sorted(found, key=lambda d: d.split("/"))
        return self._directories[key]

    async def files(
        self, url: str, revision: str, patterns: list[tuple[str, bool]], *, doublestar: bool
    ) -> dict[str, bytes]:
        """The files matching any include pattern and no exclude pattern, with contents."""
        sha = await self._resolve(url, revision)
        match = filematch.doublestar_match if doublestar else filematch.pathspec_match
        includes = [p for p, exclude in patterns if not exclude]
        excludes = [p for p, exclude in patterns if exclude]
        selected = [
            path
            for path in await self._list(url, sha)
            if any(match(p, path) for p in includes) and not any(match(p, path) for p in excludes)
        ]
        if len(selected) > self._max_files:
            raise GeneratorFailure(
                f"{len(selected)} files match, over the limit of {self._max_files}; narrow the "
                "files patterns"
            )
        contents: dict[str, bytes] = {}
        for path in selected:
            contents[path] = await self._read(url, sha, path)
        return contents

    async def _resolve(self, url: str, revision: str) -> str:
        reader = self._require()
        key = (url, revision)
        if key not in self._commits:
            try:
                resolved = await reader.resolve(url, revision or "HEAD")
            except GitFerryError as err:
                raise GeneratorFailure(str(err), retryable=err.retryable) from err
            self._commits[key] = resolved.sha
        return self._commits[key]

    async def _list(self, url: str, sha: str) -> list[str]:
        key = (url, sha)
        if key not in self._paths:
            try:
                self._paths[key] = await self._require().list_paths(url, sha)
            except GitFerryError as err:
                raise GeneratorFailure(str(err), retryable=err.retryable) from err
        return self._paths[key]

    async def _read(self, url: str, sha: str, path: str) -> bytes:
        try:
            data = await self._require().read_file(url, sha, path)
        except GitFerryError as err:
            raise GeneratorFailure(str(err), retryable=err.retryable) from err
        if len(data) > self._max_file_bytes:
            raise GeneratorFailure(
                f"{path}: {len(data)} bytes is over the {self._max_file_bytes}-byte limit "
                "for git files generator files"
            )
        return data

    def _require(self) -> GitReader:
        if self._reader is None:
            raise GeneratorFailure("git generators need repository access, and none was given")
        return self._reader
