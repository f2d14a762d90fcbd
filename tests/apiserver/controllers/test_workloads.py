"""StatefulSets and DaemonSets reach ready with the statuses kubectl rollout status reads."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio


def statefulset(replicas: int = 3, image: str = "nginx:1.27") -> dict[str, Any]:
    labels = {"app": "db"}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "serviceName": "db",
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "db", "image": image}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
        },
    }


def daemonset() -> dict[str, Any]:
    labels = {"app": "agent"}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "agent", "image": "fluentd"}]},
            },
        },
    }


async def test_statefulset_becomes_ready_in_order_with_claims(cluster: Any) -> None:
    cluster.create(statefulset())
    await cluster.settle()

    sts = cluster.get("StatefulSet", "db")
    status = sts["status"]
    revision = status["updateRevision"]
    assert revision.startswith("db-")
    assert status == {
        "observedGeneration": 1,
        "replicas": 3,
        "readyReplicas": 3,
        "currentReplicas": 3,
        "updatedReplicas": 3,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
        "availableReplicas": 3,
    }
    pods = {p["metadata"]["name"]: p for p in cluster.list("Pod")}
    assert sorted(pods) == ["db-0", "db-1", "db-2"]
    labels = pods["db-1"]["metadata"]["labels"]
    assert labels["controller-revision-hash"] == revision
    assert labels["statefulset.kubernetes.io/pod-name"] == "db-1"
    assert labels["apps.kubernetes.io/pod-index"] == "1"
    assert pods["db-1"]["spec"]["hostname"] == "db-1"
    assert pods["db-1"]["spec"]["subdomain"] == "db"
    claims = {c["metadata"]["name"]: c for c in cluster.list("PersistentVolumeClaim")}
    assert sorted(claims) == ["data-db-0", "data-db-1", "data-db-2"]
    assert {c["status"]["phase"] for c in claims.values()} == {"Bound"}
    created = [p["metadata"]["creationTimestamp"] for p in (pods["db-0"], pods["db-2"])]
    assert created == sorted(created)


async def test_statefulset_ordered_ready_stops_at_an_unready_pod(cluster: Any) -> None:
    spec = statefulset()
    spec["spec"]["template"]["metadata"]["annotations"] = {
        "sim.gitferry.io/behavior": "never-ready"
    }
    cluster.create(spec)
    await cluster.settle()
    assert [p["metadata"]["name"] for p in cluster.list("Pod")] == ["db-0"]
    status = cluster.get("StatefulSet", "db")["status"]
    assert status["replicas"] == 1
    assert "readyReplicas" not in status


async def test_statefulset_rolling_update_moves_the_current_revision(cluster: Any) -> None:
    cluster.create(statefulset())
    await cluster.settle()
    before = cluster.get("StatefulSet", "db")["status"]["currentRevision"]

    def new_image(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"

    cluster.update("StatefulSet", "db", new_image)
    await cluster.settle()
    status = cluster.get("StatefulSet", "db")["status"]
    assert status["updateRevision"] != before
    assert status["currentRevision"] == status["updateRevision"]
    assert status["updatedReplicas"] == status["readyReplicas"] == 3
    images = {p["spec"]["containers"][0]["image"] for p in cluster.list("Pod")}
    assert images == {"nginx:1.28"}
    assert len(cluster.list("ControllerRevision")) == 2


async def test_daemonset_runs_one_pod_per_node(cluster: Any) -> None:
    cluster.create(daemonset())
    await cluster.settle()
    ds = cluster.get("DaemonSet", "agent")
    assert ds["status"] == {
        "currentNumberScheduled": 1,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 1,
        "numberReady": 1,
        "observedGeneration": 1,
        "updatedNumberScheduled": 1,
        "numberAvailable": 1,
    }
    (pod,) = cluster.list("Pod")
    assert pod["metadata"]["name"].startswith("agent-")
    assert pod["metadata"]["labels"]["pod-template-generation"] == "1"
    terms = pod["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"]
    assert terms == [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["test-node"]}]}
    ]


async def test_daemonset_update_replaces_the_pod(cluster: Any) -> None:
    cluster.create(daemonset())
    await cluster.settle()
    (old,) = cluster.list("Pod")

    def new_image(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = "fluentd:2"

    cluster.update("DaemonSet", "agent", new_image)
    await cluster.settle()
    (pod,) = cluster.list("Pod")
    assert pod["metadata"]["uid"] != old["metadata"]["uid"]
    status = cluster.get("DaemonSet", "agent")["status"]
    assert status["updatedNumberScheduled"] == status["numberAvailable"] == 1
    assert status["observedGeneration"] == 2


async def test_daemonset_skips_nodes_its_selector_excludes(cluster: Any) -> None:
    spec = daemonset()
    spec["spec"]["template"]["spec"]["nodeSelector"] = {"gpu": "true"}
    cluster.create(spec)
    await cluster.settle()
    assert cluster.list("Pod") == []
    assert cluster.get("DaemonSet", "agent")["status"]["desiredNumberScheduled"] == 0
