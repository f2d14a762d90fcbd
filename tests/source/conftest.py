"""Fixtures of the source tests: a Git repository with a bare remote, a fake clock, a
`Repositories` on a fresh cache, and a recorder of every git process started."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitferry._kit.clock import FakeClock
from gitferry.source import repositories
from gitferry.testing.git import GitCallRecorder, GitRepo


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """A repository with one commit on `main`."""
    made = GitRepo.create(tmp_path / "repo")
    made.commit({"app/cm.yaml": "kind: ConfigMap\n"}, "first")
    return made


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def repos(tmp_path: Path, clock: FakeClock) -> repositories.Repositories:
    return repositories.Repositories(tmp_path / "cache", clock=clock, git_timeout=30.0)


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitCallRecorder:
    """Every git process gitferry starts from now on, with its argv."""
    made = GitCallRecorder(tmp_path / "recorder")
    monkeypatch.setenv("PATH", f"{made.bin}{os.pathsep}{os.environ['PATH']}")
    return made
