"""Deployments come alive as on a real cluster: ReplicaSets `<deployment>-<hash>` with
revisions, pods that start, rolling and Recreate updates, the exact Available and Progressing
conditions, and the progress deadline."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.anyio

HASHED = re.compile(r"web-[4-9bcdf]{6,10}")


def owned(cluster: Any, kind: str, owner: dict[str, Any]) -> list[dict[str, Any]]:
    uid = owner["metadata"]["uid"]
    return [
        o
        for o in cluster.list(kind)
        if any(r["uid"] == uid for r in o["metadata"].get("ownerReferences") or ())
    ]


async def test_deployment_becomes_available_with_exact_conditions(cluster: Any, build: Any) -> None:
    cluster.create(build.deployment(replicas=3))
    await cluster.settle()

    deploy = cluster.get("Deployment", "web")
    (rs,) = cluster.list("ReplicaSet")
    status = deploy["status"]
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": deploy["metadata"]["generation"],
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert [c["type"] for c in status["conditions"]] == ["Available", "Progressing"]
    assert build.brief(build.condition(deploy, "Available")) == (
        "True",
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    assert build.brief(build.condition(deploy, "Progressing")) == (
        "True",
        "NewReplicaSetAvailable",
        f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.',
    )
    assert HASHED.fullmatch(rs["metadata"]["name"])
    assert deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert rs["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "1",
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",
    }
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["status"] == {
        "replicas": 3,
        "fullyLabeledReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "observedGeneration": 1,
    }
    pods = cluster.list("Pod")
    assert len(pods) == 3
    assert all(p["metadata"]["name"].startswith(rs["metadata"]["name"] + "-") for p in pods)
    assert all(p["status"]["phase"] == "Running" for p in pods)
    assert all(p["spec"]["nodeName"] == "test-node" for p in pods)
    assert len({p["status"]["podIP"] for p in pods}) == 3


async def test_rolling_update_creates_a_second_replica_set_and_completes(
    cluster: Any, build: Any
) -> None:
    cluster.create(build.deployment(replicas=3))
    await cluster.settle()
    (first,) = cluster.list("ReplicaSet")

    def new_image(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"

    cluster.update("Deployment", "web", new_image)
    await cluster.settle()

    deploy = cluster.get("Deployment", "web")
    sets = {rs["metadata"]["name"]: rs for rs in cluster.list("ReplicaSet")}
    assert len(sets) == 2
    second = next(rs for name, rs in sets.items() if name != first["metadata"]["name"])
    assert HASHED.fullmatch(second["metadata"]["name"])
    assert second["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert sets[first["metadata"]["name"]]["spec"]["replicas"] == 0
    assert second["spec"]["replicas"] == 3
    assert deploy["status"]["updatedReplicas"] == 3
    assert deploy["status"]["observedGeneration"] == deploy["metadata"]["generation"]
    assert build.brief(build.condition(deploy, "Progressing")) == (
        "True",
        "NewReplicaSetAvailable",
        f'ReplicaSet "{second["metadata"]["name"]}" has successfully progressed.',
    )
    images = {p["spec"]["containers"][0]["image"] for p in cluster.list("Pod")}
    assert images == {"nginx:1.28"}


async def test_rollback_reuses_the_old_replica_set_with_a_new_revision(
    cluster: Any, build: Any
) -> None:
    cluster.create(build.deployment(replicas=1))
    await cluster.settle()
    (first,) = cluster.list("ReplicaSet")

    def image(tag: str) -> Any:
        def change(obj: dict[str, Any]) -> None:
            obj["spec"]["template"]["spec"]["containers"][0]["image"] = f"nginx:{tag}"

        return change

    cluster.update("Deployment", "web", image("1.28"))
    await cluster.settle()
    cluster.update("Deployment", "web", image("1.27"))
    await cluster.settle()

    reused = cluster.get("ReplicaSet", first["metadata"]["name"])
    assert len(cluster.list("ReplicaSet")) == 2
    assert reused["spec"]["replicas"] == 1
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"


async def test_recreate_creates_the_new_replica_set_after_old_pods_are_gone(
    cluster_at: Any, build: Any
) -> None:
    async with cluster_at(speed=1.0) as cluster:
        spec = build.deployment(replicas=2)
        spec["spec"]["strategy"] = {"type": "Recreate"}
        cluster.create(spec)
        await cluster.advance(5)
        assert cluster.get("Deployment", "web")["status"]["availableReplicas"] == 2

        def new_image(obj: dict[str, Any]) -> None:
            obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"

        cluster.update("Deployment", "web", new_image)
        await cluster.settle()
        deploy = cluster.get("Deployment", "web")
        assert len(cluster.list("ReplicaSet")) == 1, "the new RS waits for old pods to go"
        assert build.brief(build.condition(deploy, "Available"))[:2] == (
            "False",
            "MinimumReplicasUnavailable",
        )
        assert "updatedReplicas" not in deploy["status"]

        await cluster.advance(5)
        deploy = cluster.get("Deployment", "web")
        assert len(cluster.list("ReplicaSet")) == 2
        assert build.brief(build.condition(deploy, "Progressing"))[1] == "NewReplicaSetAvailable"
        assert deploy["status"]["availableReplicas"] == 2


async def test_crashloop_leaves_the_deployment_unavailable_until_the_deadline(
    cluster: Any, build: Any
) -> None:
    cluster.create(
        build.deployment(replicas=1, annotations={"sim.gitferry.io/behavior": "crashloop:exit=2"})
    )
    await cluster.settle()

    (pod,) = cluster.list("Pod")
    state = pod["status"]["containerStatuses"][0]
    meta = pod["metadata"]
    assert pod["status"]["phase"] == "Running"
    assert state["state"]["waiting"] == {
        "reason": "CrashLoopBackOff",
        "message": f"back-off 10s restarting failed container=app "
        f"pod={meta['name']}_default({meta['uid']})",
    }
    assert state["lastState"]["terminated"]["exitCode"] == 2
    assert state["lastState"]["terminated"]["reason"] == "Error"
    assert state["restartCount"] == 1
    deploy = cluster.get("Deployment", "web")
    assert build.brief(build.condition(deploy, "Available")) == (
        "False",
        "MinimumReplicasUnavailable",
        "Deployment does not have minimum availability.",
    )
    assert build.condition(deploy, "Progressing")["reason"] in (
        "NewReplicaSetCreated",
        "ReplicaSetUpdated",
    )

    await cluster.advance(601)
    deploy = cluster.get("Deployment", "web")
    (rs,) = cluster.list("ReplicaSet")
    assert build.brief(build.condition(deploy, "Progressing")) == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{rs["metadata"]["name"]}" has timed out progressing.',
    )
    restarts = cluster.list("Pod")[0]["status"]["containerStatuses"][0]["restartCount"]
    assert restarts > 3, "the crash loop went on while time passed"


async def test_a_rolling_update_to_a_broken_image_keeps_the_old_pods(
    cluster: Any, build: Any
) -> None:
    cluster.create(build.deployment(replicas=3))
    await cluster.settle()

    def broken(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:doesnotexist"

    cluster.update("Deployment", "web", broken)
    await cluster.advance(601)
    deploy = cluster.get("Deployment", "web")
    sizes = sorted(rs["spec"]["replicas"] for rs in cluster.list("ReplicaSet"))
    assert sizes == [1, 3], "surge 1, unavailable 0: one new pod, all old ones kept"
    assert build.condition(deploy, "Available")["status"] == "True"
    assert build.condition(deploy, "Progressing")["reason"] == "ProgressDeadlineExceeded"
    assert (deploy["status"]["updatedReplicas"], deploy["status"]["availableReplicas"]) == (1, 3)
    assert deploy["status"]["unavailableReplicas"] == 1


async def test_fixing_the_image_recovers_after_the_deadline(cluster: Any, build: Any) -> None:
    broken = build.deployment(replicas=1, containers=[build.container(image="nginx:doesnotexist")])
    cluster.create(broken)
    await cluster.advance(601)
    deploy = cluster.get("Deployment", "web")
    assert build.condition(deploy, "Progressing")["reason"] == "ProgressDeadlineExceeded"

    def fix(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"

    cluster.update("Deployment", "web", fix)
    await cluster.settle()
    deploy = cluster.get("Deployment", "web")
    assert build.condition(deploy, "Progressing")["reason"] == "NewReplicaSetAvailable"
    assert build.condition(deploy, "Available")["status"] == "True"


@pytest.mark.parametrize(
    ("replicas", "paused", "expected"),
    [
        (0, False, ("True", "NewReplicaSetAvailable")),
        (2, True, ("Unknown", "DeploymentPaused")),
    ],
)
async def test_scale_to_zero_and_pause(
    cluster: Any, build: Any, replicas: int, paused: bool, expected: tuple[str, str]
) -> None:
    spec = build.deployment(replicas=replicas)
    spec["spec"]["paused"] = paused
    cluster.create(spec)
    await cluster.settle()
    deploy = cluster.get("Deployment", "web")
    assert build.brief(build.condition(deploy, "Progressing"))[:2] == expected
    assert deploy["status"]["observedGeneration"] == deploy["metadata"]["generation"]
    if replicas == 0:
        assert set(deploy["status"]) == {"observedGeneration", "conditions"}


async def test_scaling_keeps_the_replica_set_and_updates_its_annotations(
    cluster: Any, build: Any
) -> None:
    cluster.create(build.deployment(replicas=2))
    await cluster.settle()
    cluster.update("Deployment", "web", lambda d: d["spec"].update(replicas=5))
    await cluster.settle()
    (rs,) = cluster.list("ReplicaSet")
    assert rs["spec"]["replicas"] == 5
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "5"
    assert cluster.get("Deployment", "web")["status"]["availableReplicas"] == 5
    assert len(cluster.list("Pod")) == 5
