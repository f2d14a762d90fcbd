"""Fixtures for the render tests: a source provider over local directories and Git
repositories (counting its calls), Application builders, one shared Renderer (its cache is
cleared for every test) and a file-tree writer."""

from __future__ import annotations

import asyncio
import collections
import hashlib
import os
import subprocess
import tarfile
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gitferry.model.application import Application
from gitferry.model.errors import RepositoryUnreachableError
from gitferry.render import renderer as renderer_module
from gitferry.render.options import RenderOptions, RenderResult

EXAMPLES_URL = "https://github.com/argoproj/argocd-example-apps"


@dataclass(frozen=True)
class Resolved:
    sha: str
    from_cache: bool = False


class LocalProvider:
    """Repositories are plain directories (one fixed commit) or local Git repositories
    (snapshots extracted with `git archive`, symlinks kept). Charts come from a table."""

    def __init__(
        self,
        repos: dict[str, Path],
        charts: dict[tuple[str, str, str], Path] | None = None,
        scratch: Path | None = None,
    ) -> None:
        self.repos = repos
        self.charts = charts or {}
        self.scratch = scratch
        self.calls: collections.Counter[str] = collections.Counter()

    def _git(self, url: str, *args: str) -> str:
        out = subprocess.run(
            ["git", "-C", str(self.repos[url]), *args], check=True, capture_output=True
        )
        return out.stdout.decode().strip()

    async def resolve(self, url: str, revision: str) -> Resolved:
        self.calls["resolve"] += 1
        path = self.repos[url]
        if (path / ".git").exists():
            return Resolved(self._git(url, "rev-parse", f"{revision}^{{commit}}"))
        return Resolved(hashlib.sha1(str(path).encode()).hexdigest())

    async def snapshot(self, url: str, sha: str) -> Path:
        self.calls["snapshot"] += 1
        path = self.repos[url]
        if not (path / ".git").exists():
            return path
        assert self.scratch is not None, "git repositories need a scratch directory"
        target = self.scratch / f"snap-{sha}"
        if not target.exists():
            archive = subprocess.run(
                ["git", "-C", str(path), "archive", sha], check=True, capture_output=True
            ).stdout
            target.mkdir(parents=True)
            tar_path = self.scratch / f"{sha}.tar"
            tar_path.write_bytes(archive)
            with tarfile.open(tar_path) as tar:
                tar.extractall(target, filter="tar")
        return target

    async def chart(self, url: str, chart: str, version: str) -> Path:
        self.calls["chart"] += 1
        try:
            return self.charts[(url, chart, version)]
        except KeyError:
            raise RepositoryUnreachableError(
                f"repo {url}: chart {chart} {version} cannot be fetched (offline test provider)"
            ) from None


def git_repo(path: Path, files: dict[str, Any]) -> str:
    """Create (or add a commit to) a Git repository; returns the new commit."""
    write_tree(path, files)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    if not (path / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", "c"], check=True, env=env)
    return subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass(frozen=True)
class Link:
    """A symlink in a tree written by `write_tree`."""

    target: str


def write_tree(root: Path, files: dict[str, Any]) -> Path:
    """Write files (str or bytes), symlinks (`Link`) and empty directories (None)."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir(exist_ok=True)
        elif isinstance(content, Link):
            if path.is_symlink():
                path.unlink()
            path.symlink_to(content.target)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def make_app(
    name: str = "app",
    *,
    source: dict[str, Any] | None = None,
    sources: list[dict[str, Any]] | None = None,
    namespace: str = "default",
    app_namespace: str = "argocd",
    project: str = "default",
) -> Application:
    spec: dict[str, Any] = {
        "project": project,
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }
    if sources is not None:
        spec["sources"] = sources
    else:
        spec["source"] = {"repoURL": "https://git.example/repo.git", **(source or {})}
    return Application.parse(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": app_namespace},
            "spec": spec,
        }
    )


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def _shared_renderer() -> Iterator[renderer_module.Renderer]:
    shared = renderer_module.Renderer()
    yield shared
    shared.close()


@pytest.fixture
def renderer(_shared_renderer: renderer_module.Renderer) -> renderer_module.Renderer:
    """One Renderer for the session (Helm workers are reused); a clean cache per test."""
    _shared_renderer.cache.clear()
    _shared_renderer.renders.clear()
    return _shared_renderer


@pytest.fixture
def render(
    renderer: renderer_module.Renderer,
) -> Callable[..., RenderResult]:
    """render(app, provider, **RenderOptions fields) -> RenderResult."""

    def _render(app: Application, provider: LocalProvider, **options: Any) -> RenderResult:
        result: RenderResult = run(renderer.render_app(app, provider, RenderOptions(**options)))
        return result

    return _render


@pytest.fixture
def repo(tmp_path: Path) -> Callable[[dict[str, Any]], tuple[LocalProvider, Path]]:
    """repo(files, name="repo") -> (provider serving the tree as https://git.example/repo.git,
    its root)."""

    def _repo(files: dict[str, Any], name: str = "repo") -> tuple[LocalProvider, Path]:
        root = write_tree(tmp_path / name, files)
        return LocalProvider({"https://git.example/repo.git": root}, scratch=tmp_path), root

    return _repo


@pytest.fixture(scope="session")
def examples(corpus: Path) -> Path:
    path = corpus / "argocd-example-apps"
    if not path.is_dir():
        pytest.skip("argocd-example-apps is not in the shared corpus")
    return path


@pytest.fixture
def helm_sdk() -> Any:
    return pytest.importorskip("helm_python", reason="helm-python-sdk is not installed")


@pytest.fixture(scope="session")
def kubectl() -> str:
    from gitferry.render import kustomize

    try:
        return kustomize.command(())[0]
    except Exception:
        pytest.skip("neither kustomize nor kubectl is installed")


@pytest.fixture(name="make_app")
def _make_app() -> Callable[..., Application]:
    """make_app(name, source=..., sources=..., namespace=..., app_namespace=...)."""
    return make_app


@pytest.fixture(name="tree")
def _tree() -> Callable[[Path, dict[str, Any]], Path]:
    """tree(root, {path: text | bytes | link(target) | None}) writes a file tree."""
    return write_tree


@pytest.fixture(name="link")
def _link() -> type[Link]:
    return Link


@pytest.fixture(name="git_repo")
def _git_repo() -> Callable[[Path, dict[str, Any]], str]:
    """git_repo(path, files) commits the files and returns the commit."""
    return git_repo


@pytest.fixture(name="Provider")
def _provider() -> type[LocalProvider]:
    return LocalProvider
