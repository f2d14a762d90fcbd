"""lightkube (the engine's Kubernetes client) against the embedded cluster: server-side apply
with conflicts and force, watch from a resourceVersion, generic resources from CRDs."""

from __future__ import annotations

import threading

import pytest
import yaml
from lightkube import ApiError, Client, KubeConfig
from lightkube.generic_resource import load_in_cluster_generic_resources
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.core_v1 import ConfigMap

from gitferry.model import crds
from gitferry.testing.cluster import RunningCluster

pytestmark = pytest.mark.e2e


def _client(cluster: RunningCluster, manager: str) -> Client:
    return Client(KubeConfig.from_file(str(cluster.kubeconfig)), field_manager=manager)


def _cm(namespace: str, **data: str) -> ConfigMap:
    return ConfigMap(metadata=ObjectMeta(name="shared", namespace=namespace), data=data)


def test_apply_conflict_names_the_field_and_manager_then_force_wins(
    cluster: RunningCluster, namespace: str
) -> None:
    alice, bob = _client(cluster, "alice"), _client(cluster, "bob")
    alice.apply(_cm(namespace, colour="red", size="s"))
    with pytest.raises(ApiError) as raised:
        bob.apply(_cm(namespace, colour="blue"))
    status = raised.value.status
    assert status.code == 409 and status.reason == "Conflict"
    assert status.message == 'Apply failed with 1 conflict: conflict with "alice": .data.colour'
    assert status.details.causes[0].field == ".data.colour"
    forced = bob.apply(_cm(namespace, colour="blue"), force=True)
    assert forced.data == {"colour": "blue", "size": "s"}
    owners = {m.manager: m.fieldsV1 for m in forced.metadata.managedFields}
    assert owners["bob"] == {"f:data": {"f:colour": {}}}
    assert owners["alice"] == {"f:data": {"f:size": {}}}


def test_apply_dry_run_stores_nothing(cluster: RunningCluster, namespace: str) -> None:
    client = _client(cluster, "dry")
    preview = client.apply(_cm(namespace, a="1"), dry_run=True)
    assert preview.data == {"a": "1"}
    with pytest.raises(ApiError) as raised:
        client.get(ConfigMap, "shared", namespace=namespace)
    assert raised.value.status.code == 404


def test_watch_from_a_resource_version_sees_only_later_changes(
    cluster: RunningCluster, namespace: str
) -> None:
    client = _client(cluster, "watcher")
    client.apply(_cm(namespace, step="1"))
    start = client.get(ConfigMap, "shared", namespace=namespace).metadata.resourceVersion
    client.apply(_cm(namespace, step="2"))
    seen: list[tuple[str, str]] = []

    def consume() -> None:
        for op, obj in client.watch(ConfigMap, namespace=namespace, resource_version=start):
            seen.append((op, obj.data["step"]))
            if obj.data["step"] == "3":
                return

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    client.apply(_cm(namespace, step="3"))
    thread.join(timeout=20)
    assert seen == [("MODIFIED", "2"), ("MODIFIED", "3")]


def test_generic_resources_from_crds(cluster: RunningCluster, namespace: str) -> None:
    client = _client(cluster, "generic")
    for text in crds.manifests().values():
        client.apply(CustomResourceDefinition.from_dict(yaml.safe_load(text)), force=True)
    load_in_cluster_generic_resources(client)
    from lightkube.generic_resource import get_generic_resource

    application = get_generic_resource("argoproj.io/v1alpha1", "Application")
    assert application is not None
    created = client.apply(
        application(
            metadata=ObjectMeta(name="demo", namespace=namespace),
            spec={"project": "default", "destination": {"namespace": namespace}},
        )
    )
    assert created.metadata.generation == 1
    listed = list(client.list(application, namespace=namespace))
    assert [item.metadata.name for item in listed] == ["demo"]
