"""The cluster starts with its system objects, new namespaces get their defaults, and a
deleted namespace is emptied before it goes."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio


async def test_a_fresh_cluster_has_its_system_objects(cluster: Any, build: Any) -> None:
    names = [n["metadata"]["name"] for n in cluster.list("Namespace", None)]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    node = cluster.get("Node", "test-node", namespace="")
    assert build.brief(build.condition(node, "Ready")) == (
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    )
    assert node["status"]["addresses"][0] == {"address": "172.18.0.2", "type": "InternalIP"}
    service = cluster.get("Service", "kubernetes")
    assert service["spec"]["clusterIP"] == "10.96.0.1"
    storage_class = cluster.get("StorageClass", "standard", namespace="")
    assert storage_class["provisioner"] == "rancher.io/local-path"
    assert storage_class["volumeBindingMode"] == "Immediate"
    assert storage_class["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true"
    }
    for namespace in names:
        assert cluster.get("ServiceAccount", "default", namespace) is not None
        root_ca = cluster.get("ConfigMap", "kube-root-ca.crt", namespace)
        assert root_ca["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")


async def test_a_new_namespace_gets_its_service_account_and_root_ca(cluster: Any) -> None:
    cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    await cluster.settle()
    assert cluster.get("ServiceAccount", "default", "team") is not None
    assert cluster.get("ConfigMap", "kube-root-ca.crt", "team") is not None
    cluster.delete("ServiceAccount", "default", "team")
    await cluster.settle()
    assert cluster.get("ServiceAccount", "default", "team") is not None, "recreated"


async def test_restarting_on_the_same_data_changes_nothing(cluster_at: Any, build: Any) -> None:
    async with cluster_at() as cluster:
        cluster.create(build.deployment(replicas=2))
        await cluster.settle()
        version = cluster.registry.store.rv
    async with cluster_at() as restarted:
        assert restarted.registry.store.rv == version
        assert len(restarted.list("Pod")) == 2


async def test_deleting_a_namespace_removes_its_contents_then_itself(
    cluster_at: Any, build: Any
) -> None:
    async with cluster_at(speed=1.0) as cluster:
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
        deploy = build.deployment(replicas=2)
        deploy["metadata"]["namespace"] = "team"
        cluster.create(deploy)
        cluster.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "keep",
                    "namespace": "team",
                    "finalizers": ["example.com/hold"],
                },
            }
        )
        await cluster.advance(5)
        assert len(cluster.list("Pod", "team")) == 2

        cluster.delete("Namespace", "team", namespace="")
        await cluster.advance(3)
        namespace = cluster.get("Namespace", "team", namespace="")
        assert namespace["status"]["phase"] == "Terminating"
        conditions = {
            c["type"]: (c["status"], c["reason"], c["message"])
            for c in namespace["status"]["conditions"]
        }
        assert conditions == {
            "NamespaceDeletionDiscoveryFailure": (
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered",
            ),
            "NamespaceDeletionGroupVersionParsingFailure": (
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed",
            ),
            "NamespaceDeletionContentFailure": (
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization",
            ),
            "NamespaceContentRemaining": (
                "True",
                "SomeResourcesRemain",
                "Some resources are remaining: configmaps. has 1 resource instances",
            ),
            "NamespaceFinalizersRemaining": (
                "True",
                "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: example.com/hold in "
                "1 resource instances",
            ),
        }
        assert cluster.list("Pod", "team") == []
        assert cluster.list("Deployment", "team") == []

        cluster.update("ConfigMap", "keep", lambda c: c["metadata"].pop("finalizers"), "team")
        await cluster.settle()
        assert cluster.get("Namespace", "team", namespace="") is None
