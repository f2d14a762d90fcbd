"""Fixtures for controller tests: the session's embedded cluster with gitferry installed (it is
both the management cluster and the in-cluster destination), a `gitferry controller` process
watching it, and helpers to create Applications and wait for their status."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitferry.testing.cluster import RunningCluster
from gitferry.testing.git import GitRepo
from gitferry.testing.platform import Apps, Controller

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "argocd-example-apps"


@pytest.fixture(scope="session")
def installed(cluster: RunningCluster) -> RunningCluster:
    result = subprocess.run(
        [sys.executable, "-m", "gitferry", "install", "--kubeconfig", str(cluster.kubeconfig)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return cluster


@pytest.fixture(scope="session")
def controller(
    installed: RunningCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Controller]:
    running = Controller(installed, tmp_path_factory.mktemp("controller"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def apps(controller: Controller) -> Apps:
    return Apps(controller.cluster)


@pytest.fixture
def corpus_repo(tmp_path: Path) -> GitRepo:
    """Argo CD's example apps committed into a throwaway Git repository (read in place from
    ../shared/corpus; the copy lives in the test's temporary directory only)."""
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is not present")
    repo = GitRepo.create(tmp_path / "examples")
    for item in CORPUS.iterdir():
        if item.is_dir():
            shutil.copytree(item, repo.work / item.name)
    repo.commit({}, "examples")
    return repo
