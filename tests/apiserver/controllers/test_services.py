"""Services get endpoints and load-balancer addresses, claims bind, Ingresses get an
address, HorizontalPodAutoscalers report healthy fake metrics."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio


def service(kind: str = "ClusterIP", target: Any = 80) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "labels": {"tier": "front"}},
        "spec": {
            "type": kind,
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": target}],
        },
    }


def claim(name: str = "data", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "2Gi"}},
            **spec,
        },
    }


async def test_service_endpoints_list_ready_and_unready_pods(cluster: Any, build: Any) -> None:
    ports = [{"name": "http", "containerPort": 8080}]
    cluster.create(build.deployment(replicas=2, containers=[build.container(ports=ports)]))
    cluster.create(service(target="http"))
    await cluster.settle()

    endpoints = cluster.get("Endpoints", "web")
    (subset,) = endpoints["subsets"]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert len(subset["addresses"]) == 2
    address = subset["addresses"][0]
    assert address["nodeName"] == "test-node"
    assert address["targetRef"]["kind"] == "Pod"
    assert endpoints["metadata"]["labels"] == {"tier": "front"}
    (endpoint_slice,) = [
        s
        for s in cluster.list("EndpointSlice")
        if s["metadata"]["labels"]["kubernetes.io/service-name"] == "web"
    ]
    assert endpoint_slice["metadata"]["name"].startswith("web-")
    assert endpoint_slice["metadata"]["labels"]["kubernetes.io/service-name"] == "web"
    assert endpoint_slice["addressType"] == "IPv4"
    assert [e["conditions"] for e in endpoint_slice["endpoints"]] == [
        {"ready": True, "serving": True, "terminating": False}
    ] * 2

    cluster.create(
        build.pod(
            "unready",
            annotations={"sim.gitferry.io/behavior": "never-ready"},
            containers=[build.container(ports=ports)],
        )
    )
    cluster.update("Pod", "unready", lambda p: p["metadata"]["labels"].update(app="web"))
    await cluster.settle()
    (subset,) = cluster.get("Endpoints", "web")["subsets"]
    assert [a["targetRef"]["name"] for a in subset["notReadyAddresses"]] == ["unready"]


async def test_load_balancer_service_gets_an_ingress_ip(cluster: Any) -> None:
    cluster.create(service(kind="LoadBalancer"))
    await cluster.settle()
    status = cluster.get("Service", "web")["status"]
    assert status == {"loadBalancer": {"ingress": [{"ip": "172.18.255.200", "ipMode": "VIP"}]}}


async def test_load_balancers_can_be_switched_off(cluster_at: Any) -> None:
    async with cluster_at(load_balancers=False) as cluster:
        cluster.create(service(kind="LoadBalancer"))
        await cluster.settle()
        assert cluster.get("Service", "web")["status"] == {"loadBalancer": {}}


async def test_claim_binds_to_a_provisioned_volume(cluster: Any) -> None:
    cluster.create(claim())
    await cluster.settle()
    pvc = cluster.get("PersistentVolumeClaim", "data")
    volume_name = f"pvc-{pvc['metadata']['uid']}"
    assert pvc["spec"]["storageClassName"] == "standard"
    assert pvc["spec"]["volumeName"] == volume_name
    assert pvc["status"] == {
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": "2Gi"},
        "phase": "Bound",
    }
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"
    volume = cluster.get("PersistentVolume", volume_name, namespace="")
    assert volume["status"] == {"phase": "Bound"}
    assert volume["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Delete"

    cluster.delete("PersistentVolumeClaim", "data")
    await cluster.settle()
    assert cluster.get("PersistentVolumeClaim", "data") is None
    assert cluster.get("PersistentVolume", volume_name, namespace="") is None


async def test_claim_without_a_class_stays_pending(cluster: Any) -> None:
    cluster.create(claim(storageClassName=""))
    await cluster.settle()
    assert cluster.get("PersistentVolumeClaim", "data")["status"] == {"phase": "Pending"}


async def test_ingress_gets_an_address(cluster: Any) -> None:
    cluster.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "rules": [
                    {
                        "host": "web.local",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        }
    )
    await cluster.settle()
    assert cluster.get("Ingress", "web")["status"] == {
        "loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}
    }


def autoscaler(low: int = 2, high: int = 5) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 60},
                    },
                }
            ],
        },
    }


async def test_autoscaler_enforces_its_minimum_and_reports_healthy(
    cluster: Any, build: Any
) -> None:
    cluster.create(build.deployment(replicas=1))
    cluster.create(autoscaler(low=2))
    await cluster.settle()

    assert cluster.get("Deployment", "web")["spec"]["replicas"] == 2
    hpa = cluster.get("HorizontalPodAutoscaler", "web")
    status = hpa["status"]
    assert status["desiredReplicas"] == 2
    assert status["currentReplicas"] == 2
    assert status["currentMetrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 57}}}
    ]
    assert [build.brief(c) for c in status["conditions"]] == [
        ("True", "ReadyForNewScale", "recommended size matches current size"),
        (
            "True",
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica "
            "count from cpu resource utilization (percentage of request)",
        ),
        ("False", "DesiredWithinRange", "the desired count is within the acceptable range"),
    ]
    assert status["lastScaleTime"]


async def test_autoscaler_without_metrics_is_degraded(cluster_at: Any, build: Any) -> None:
    async with cluster_at(metrics=False) as cluster:
        cluster.create(build.deployment(replicas=2))
        cluster.create(autoscaler())
        await cluster.settle()
        active = build.condition(cluster.get("HorizontalPodAutoscaler", "web"), "ScalingActive")
        assert (active["status"], active["reason"]) == ("False", "FailedGetResourceMetric")


async def test_autoscaler_reports_a_missing_target(cluster: Any, build: Any) -> None:
    cluster.create(autoscaler())
    await cluster.settle()
    able = build.condition(cluster.get("HorizontalPodAutoscaler", "web"), "AbleToScale")
    assert build.brief(able) == (
        "False",
        "FailedGetScale",
        "the HPA controller was unable to get the target's current scale: "
        'deployments.apps "web" not found',
    )
