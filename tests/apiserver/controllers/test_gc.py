"""Garbage collection by ownerReferences: background, foreground and orphan deletion."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio


async def test_background_deletion_removes_dependents(cluster: Any, build: Any) -> None:
    cluster.create(build.deployment(replicas=2))
    await cluster.settle()
    cluster.delete("Deployment", "web", propagation="Background")
    await cluster.settle()
    assert cluster.get("Deployment", "web") is None
    assert cluster.list("ReplicaSet") == []
    assert cluster.list("Pod") == []


async def test_foreground_deletion_holds_the_owner_until_dependents_are_gone(
    cluster_at: Any, build: Any
) -> None:
    async with cluster_at(speed=1.0) as cluster:
        cluster.create(build.deployment(replicas=2))
        await cluster.advance(5)
        cluster.delete("Deployment", "web", propagation="Foreground")
        await cluster.settle()
        deploy = cluster.get("Deployment", "web")
        assert deploy["metadata"]["finalizers"] == ["foregroundDeletion"]
        assert deploy["metadata"]["deletionTimestamp"]
        (rs,) = cluster.list("ReplicaSet")
        assert rs["metadata"]["finalizers"] == ["foregroundDeletion"]
        assert all(p["metadata"].get("deletionTimestamp") for p in cluster.list("Pod"))

        await cluster.advance(2)
        assert cluster.list("Pod") == []
        assert cluster.list("ReplicaSet") == []
        assert cluster.get("Deployment", "web") is None


async def test_orphan_deletion_keeps_dependents_without_the_owner(cluster: Any, build: Any) -> None:
    cluster.create(build.deployment(replicas=2))
    await cluster.settle()
    cluster.delete("Deployment", "web", propagation="Orphan")
    await cluster.settle()
    assert cluster.get("Deployment", "web") is None
    (rs,) = cluster.list("ReplicaSet")
    assert "ownerReferences" not in rs["metadata"]
    assert len(cluster.list("Pod")) == 2


async def test_a_dependent_of_a_missing_owner_is_collected(cluster: Any, build: Any) -> None:
    orphan = build.pod()
    orphan["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "gone",
            "uid": "00000000-0000-0000-0000-000000000000",
        }
    ]
    cluster.create(orphan)
    await cluster.settle()
    assert cluster.get("Pod", "solo") is None


async def test_a_dangling_reference_is_dropped_when_another_owner_lives(
    cluster: Any, build: Any
) -> None:
    owner = cluster.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "owner", "namespace": "default"},
        }
    )
    shared = build.pod()
    shared["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "gone",
            "uid": "00000000-0000-0000-0000-000000000000",
        },
    ]
    cluster.create(shared)
    await cluster.settle()
    refs = cluster.get("Pod", "solo")["metadata"]["ownerReferences"]
    assert [r["name"] for r in refs] == ["owner"]
