"""Shared fixtures: the Argo CD example corpus, and one embedded cluster per test session
with a fresh namespace per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitferry.testing.cluster import RunningCluster, find_kubectl, start_cluster

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """Argo CD's public example apps and health test data (read in place, never copied)."""
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    return CORPUS


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCluster]:
    """One embedded cluster (simulated controllers at full speed) for the whole session."""
    running = start_cluster(tmp_path_factory.mktemp("clusters"), "session", speed=0.0)
    yield running
    running.stop()


@pytest.fixture
def kubectl_cluster(cluster: RunningCluster) -> RunningCluster:
    """The session cluster, for tests that drive the real kubectl."""
    if find_kubectl() is None:
        pytest.skip("kubectl is not installed")
    return cluster


@pytest.fixture
def namespace(cluster: RunningCluster) -> str:
    """A fresh namespace in the session cluster."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    with cluster.http() as api:
        api.post(
            "/api/v1/namespaces",
            json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        ).raise_for_status()
    return name
