"""Pods are scheduled and run by the simulated kubelet; phase, conditions and container
states follow the kubelet's rules for each failure mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.anyio

BEHAVIOR = "sim.gitferry.io/behavior"


@dataclass(frozen=True)
class Expect:
    """The pod status a failure mode leads to."""

    phase: str
    state: str  # the key under the container's state
    reason: str | None  # the state's reason
    not_ready: str | None = None  # the Ready condition's reason; None when ready


CRASH = Expect("Running", "waiting", "CrashLoopBackOff", "ContainersNotReady")
PULL = Expect("Pending", "waiting", "ImagePullBackOff", "ContainersNotReady")
SHELL = {"name": "app", "image": "busybox", "command": ["sh", "-c", "exit 2"]}
# fmt: off
CASES = [
    pytest.param({}, Expect("Running", "running", None), id="healthy"),
    pytest.param({"annotations": {BEHAVIOR: "crashloop"}}, CRASH, id="crashloop"),
    pytest.param({"annotations": {BEHAVIOR: "oom"}}, CRASH, id="oom"),
    pytest.param({"annotations": {BEHAVIOR: "never-ready"}},
                 Expect("Running", "running", None, "ContainersNotReady"), id="never-ready"),
    pytest.param({"annotations": {BEHAVIOR: "image-pull-error"}}, PULL, id="image-pull-error"),
    pytest.param({"containers": [{"name": "app", "image": "nginx:doesnotexist"}]}, PULL,
                 id="tag doesnotexist"),
    pytest.param({"containers": [{"name": "app", "image": "Bad Image"}]},
                 Expect("Pending", "waiting", "InvalidImageName", "ContainersNotReady"),
                 id="invalid image"),
    pytest.param({"restartPolicy": "Never"},
                 Expect("Succeeded", "terminated", "Completed", "PodCompleted"), id="completes"),
    pytest.param({"restartPolicy": "Never", "annotations": {BEHAVIOR: "exit:3"}},
                 Expect("Failed", "terminated", "Error", "PodFailed"), id="exit 3"),
    pytest.param({"restartPolicy": "Never", "containers": [SHELL]},
                 Expect("Failed", "terminated", "Error", "PodFailed"), id="shell exit"),
    pytest.param({"containers": [SHELL]}, CRASH, id="shell exit in a long-running pod"),
    pytest.param({"restartPolicy": "OnFailure", "annotations": {BEHAVIOR: "exit:1"}}, CRASH,
                 id="on-failure restarts"),
]
# fmt: on


@pytest.mark.parametrize(("options", "expect"), CASES)
async def test_failure_modes_give_the_real_pod_status(
    cluster: Any, build: Any, options: dict[str, Any], expect: Expect
) -> None:
    cluster.create(build.pod(**options))
    await cluster.settle()
    await cluster.advance(1)  # past the first pull back-off and crash

    pod = cluster.get("Pod", "solo")
    status = pod["status"]
    (container,) = status["containerStatuses"]
    assert status["phase"] == expect.phase
    assert list(container["state"]) == [expect.state]
    assert container["state"][expect.state].get("reason") == expect.reason
    assert container["ready"] is (expect.not_ready is None)
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    ready_condition = build.condition(pod, "Ready")
    assert ready_condition["status"] == ("True" if expect.not_ready is None else "False")
    assert ready_condition.get("reason") == expect.not_ready
    assert all(c["lastProbeTime"] is None for c in status["conditions"])


async def test_a_running_pod_looks_like_a_kubelet_wrote_it(cluster: Any, build: Any) -> None:
    cluster.create(build.pod())
    await cluster.settle()
    pod = cluster.get("Pod", "solo")
    status = pod["status"]
    (container,) = status["containerStatuses"]
    assert pod["spec"]["nodeName"] == "test-node"
    assert status["hostIP"] == "172.18.0.2"
    assert status["hostIPs"] == [{"ip": "172.18.0.2"}]
    assert status["podIP"].startswith("10.244.")
    assert status["qosClass"] == "BestEffort"
    assert status["startTime"]
    assert container["image"] == "docker.io/library/nginx:1.27"
    assert container["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert container["containerID"].startswith("containerd://")
    assert container["started"] is True
    assert container["restartCount"] == 0
    assert container["lastState"] == {}
    reasons = {e["reason"] for e in cluster.list("Event") if e["involvedObject"]["name"] == "solo"}
    assert {"Scheduled", "Pulling", "Pulled", "Created", "Started"} <= reasons


async def test_crash_back_off_doubles_and_keeps_real_numbers(cluster: Any, build: Any) -> None:
    cluster.create(build.pod(annotations={BEHAVIOR: "crashloop"}))
    await cluster.settle()
    messages = []
    # At speed 0 back-offs run at 1/100 of real time: 0.1 s, 0.2 s, 0.4 s ...
    for wait in (0.1, 0.2, 0.4, 0.8, 0.0):
        state = cluster.get("Pod", "solo")["status"]["containerStatuses"][0]["state"]
        messages.append(state["waiting"]["message"].split(" restarting")[0])
        await cluster.advance(wait)
    assert messages == [
        "back-off 10s",
        "back-off 20s",
        "back-off 40s",
        "back-off 1m20s",
        "back-off 2m40s",
    ]


async def test_slow_start_and_readiness_delay_on_the_clock(cluster_at: Any, build: Any) -> None:
    async with cluster_at(speed=1.0) as cluster:
        probe = {"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 5}
        cluster.create(
            build.pod(
                annotations={BEHAVIOR: "slow-start:10s"},
                containers=[build.container(readinessProbe=probe)],
            )
        )
        await cluster.advance(5)
        waiting = cluster.get("Pod", "solo")["status"]["containerStatuses"][0]["state"]
        assert waiting == {"waiting": {"reason": "ContainerCreating"}}
        await cluster.advance(7)
        status = cluster.get("Pod", "solo")["status"]
        assert status["phase"] == "Running"
        assert status["containerStatuses"][0]["ready"] is False
        await cluster.advance(5)
        assert build.condition(cluster.get("Pod", "solo"), "Ready")["status"] == "True"


async def test_init_containers_run_first(cluster: Any, build: Any) -> None:
    cluster.create(build.pod(initContainers=[build.container("setup", "busybox")]))
    await cluster.settle()
    status = cluster.get("Pod", "solo")["status"]
    (init,) = status["initContainerStatuses"]
    assert init["state"]["terminated"]["reason"] == "Completed"
    assert init["ready"] is True
    assert status["phase"] == "Running"
    assert build.condition(cluster.get("Pod", "solo"), "Initialized")["status"] == "True"


async def test_a_deleted_pod_gets_a_terminal_status_then_goes(cluster_at: Any, build: Any) -> None:
    async with cluster_at(speed=1.0) as cluster:
        cluster.create(build.pod())
        await cluster.advance(3)
        cluster.delete("Pod", "solo")
        await cluster.settle()
        assert cluster.get("Pod", "solo")["metadata"]["deletionTimestamp"]
        await cluster.advance(1)
        assert cluster.get("Pod", "solo") is None


async def test_unschedulable_pod_stays_pending_with_the_scheduler_message(
    cluster: Any, build: Any
) -> None:
    cluster.create(build.pod(nodeSelector={"disk": "ssd"}))
    await cluster.settle()
    pod = cluster.get("Pod", "solo")
    assert pod["status"]["phase"] == "Pending"
    assert "nodeName" not in pod["spec"]
    assert build.brief(build.condition(pod, "PodScheduled")) == (
        "False",
        "Unschedulable",
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
    )


async def test_a_pod_waits_for_its_claim(cluster: Any, build: Any) -> None:
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    cluster.create(build.pod(volumes=volumes))
    await cluster.settle()
    pending = cluster.get("Pod", "solo")
    assert build.condition(pending, "PodScheduled")["message"].startswith(
        '0/1 nodes are available: persistentvolumeclaim "data" not found.'
    )
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "default"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
    )
    await cluster.settle()
    assert cluster.get("Pod", "solo")["status"]["phase"] == "Running"


def settings(data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "default"},
        "data": data,
    }


async def test_a_missing_config_map_key_holds_the_container_until_it_appears(
    cluster: Any, build: Any
) -> None:
    env = [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}}]
    cluster.create(build.pod(containers=[build.container(env=env)]))
    await cluster.settle()
    status = cluster.get("Pod", "solo")["status"]
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"] == {
        "waiting": {
            "reason": "CreateContainerConfigError",
            "message": 'configmap "settings" not found',
        }
    }

    cluster.create(settings({"other": "x"}))
    await cluster.settle()
    waiting = cluster.get("Pod", "solo")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["message"] == "couldn't find key mode in ConfigMap default/settings"

    cluster.update("ConfigMap", "settings", lambda c: c["data"].update(mode="fast"))
    await cluster.settle()
    assert cluster.get("Pod", "solo")["status"]["phase"] == "Running"


async def test_a_missing_secret_volume_keeps_the_pod_creating(cluster: Any, build: Any) -> None:
    volumes = [{"name": "certs", "secret": {"secretName": "tls"}}]
    cluster.create(build.pod(volumes=volumes))
    await cluster.settle()
    pod = cluster.get("Pod", "solo")
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["containerStatuses"][0]["state"] == {
        "waiting": {"reason": "ContainerCreating"}
    }
    mounts = [e["message"] for e in cluster.list("Event") if e["reason"] == "FailedMount"]
    assert mounts == ['MountVolume.SetUp failed for volume "certs" : secret "tls" not found']

    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "tls", "namespace": "default"},
            "data": {},
        }
    )
    await cluster.settle()
    assert cluster.get("Pod", "solo")["status"]["phase"] == "Running"
