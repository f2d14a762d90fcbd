"""Fixtures for the `gitferry app` tests: the session cluster with gitferry's control plane
installed, and `apps`, the commands bound to a fresh namespace of it (see app_cli.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gitferry.cluster import connect
from gitferry.cluster.client import KubeClient
from gitferry.controller import install
from gitferry.testing.cluster import RunningCluster
from tests.cli.app.app_cli import Apps


@pytest.fixture(scope="session")
def crds(cluster: RunningCluster) -> RunningCluster:
    """The session cluster with gitferry's control plane (the Application CRD) installed."""

    async def run() -> None:
        async with KubeClient(connect.from_kubeconfig(cluster.kubeconfig, None)) as client:
            await install.install(client, "argocd")

    asyncio.run(run())
    return cluster


@pytest.fixture
def apps(crds: RunningCluster, namespace: str, tmp_path: Path) -> Apps:
    """The app commands, with a fresh namespace as the control-plane namespace."""
    return Apps(crds, namespace, tmp_path)
