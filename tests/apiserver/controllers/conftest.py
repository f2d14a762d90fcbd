"""An in-process embedded cluster (registry over a temporary SQLite store) with every
simulated controller running on a fake clock, and builders for the objects tests create."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from gitferry._kit.clock import FakeClock
from gitferry.apiserver import controllers
from gitferry.apiserver.catalog import Catalog
from gitferry.apiserver.deleting import DeleteOptions
from gitferry.apiserver.registry import Registry
from gitferry.apiserver.storage import Storage
from gitferry.apiserver.store import Store
from gitferry.apiserver.writes import WriteOptions

Obj = dict[str, Any]
RESOURCES = {
    "Deployment": "deployments.apps",
    "ReplicaSet": "replicasets.apps",
    "StatefulSet": "statefulsets.apps",
    "DaemonSet": "daemonsets.apps",
    "Job": "jobs.batch",
    "CronJob": "cronjobs.batch",
    "Ingress": "ingresses.networking.k8s.io",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers.autoscaling",
    "ControllerRevision": "controllerrevisions.apps",
    "EndpointSlice": "endpointslices.discovery.k8s.io",
    "StorageClass": "storageclasses.storage.k8s.io",
    "Endpoints": "endpoints",
}


class Cluster:
    """The registry, the controller manager and its fake clock."""

    def __init__(self, path: Path, options: controllers.Options) -> None:
        self.path = path
        self.clock = FakeClock()
        self.storage = Storage(path / "cluster.db")
        self.registry = Registry(Catalog(), Store(self.storage), self.clock)
        self.manager = controllers.manager(self.registry, options)

    def resource(self, kind: str) -> Any:
        key = RESOURCES.get(kind, kind.lower() + "s")
        return self.registry.catalog.by_key(key)

    def create(self, obj: Obj) -> Obj:
        resource = self.resource(obj["kind"])
        namespace = obj["metadata"].get("namespace", "default") if resource.namespaced else ""
        return self.registry.create(resource, namespace, obj, WriteOptions(manager="test")).obj

    def update(
        self, kind: str, name: str, change: Callable[[Obj], None], namespace: str = "default"
    ) -> Obj:
        resource = self.resource(kind)
        current = self.registry.get(resource, namespace, name).copy()
        change(current)
        return self.registry.write(resource, current, "test").obj

    def delete(self, kind: str, name: str, namespace: str = "default", **options: Any) -> None:
        resource = self.resource(kind)
        self.registry.delete(
            resource, namespace if resource.namespaced else "", name, DeleteOptions(**options)
        )

    def get(self, kind: str, name: str, namespace: str = "default") -> Obj | None:
        resource = self.resource(kind)
        entry = self.registry.store.get(
            resource.key, namespace if resource.namespaced else "", name
        )
        return entry.obj if entry else None

    def list(self, kind: str, namespace: str | None = "default") -> list[Obj]:
        return [e.obj for e in self.registry.store.entries(self.resource(kind).key, namespace)]

    async def settle(self) -> None:
        await self.manager.settle()

    async def advance(self, seconds: float) -> None:
        await self.manager.advance(seconds)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def cluster_at(tmp_path: Path) -> Callable[..., Any]:
    """`async with cluster_at(speed=0.0, ...) as cluster`: a running simulated cluster."""

    @asynccontextmanager
    async def running(**options: Any) -> AsyncIterator[Cluster]:
        options.setdefault("node_prefix", "test")
        options.setdefault("speed", 0.0)
        cluster = Cluster(tmp_path, controllers.Options(**options))
        await cluster.manager.start()
        await cluster.settle()
        try:
            yield cluster
        finally:
            await cluster.manager.stop()
            cluster.storage.close()

    return running


@pytest.fixture
async def cluster(cluster_at: Callable[..., Any]) -> AsyncIterator[Cluster]:
    async with cluster_at() as running:
        yield running


# -- builders ------------------------------------------------------------------------------


def container(name: str = "app", image: str = "nginx:1.27", **extra: Any) -> Obj:
    return {"name": name, "image": image, **extra}


def template(
    labels: dict[str, str],
    *,
    annotations: dict[str, str] | None = None,
    containers: list[Obj] | None = None,
    **spec: Any,
) -> Obj:
    metadata: Obj = {"labels": labels}
    if annotations:
        metadata["annotations"] = annotations
    return {"metadata": metadata, "spec": {"containers": containers or [container()], **spec}}


def deployment(name: str = "web", replicas: int = 3, **template_options: Any) -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": template(labels, **template_options),
        },
    }


def job(name: str = "task", *, annotations: dict[str, str] | None = None, **spec: Any) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "template": template({"job": name}, annotations=annotations, restartPolicy="Never"),
            **spec,
        },
    }


def pod(
    name: str = "solo",
    *,
    annotations: dict[str, str] | None = None,
    containers: list[Obj] | None = None,
    **spec: Any,
) -> Obj:
    metadata: Obj = {"name": name, "namespace": "default", "labels": {"app": name}}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": containers or [container()], **spec},
    }


def condition(obj: Obj | None, kind: str) -> Obj | None:
    for item in ((obj or {}).get("status") or {}).get("conditions") or ():
        if item["type"] == kind:
            return dict(item)
    return None


def brief(item: Obj | None) -> tuple[str, str, str] | None:
    """(status, reason, message) of a condition."""
    if item is None:
        return None
    return (item["status"], item.get("reason", ""), item.get("message", ""))


class Builders:
    """The object builders, handed to tests by the `build` fixture (test modules cannot
    import a conftest)."""

    container = staticmethod(container)
    template = staticmethod(template)
    deployment = staticmethod(deployment)
    job = staticmethod(job)
    pod = staticmethod(pod)
    condition = staticmethod(condition)
    brief = staticmethod(brief)


@pytest.fixture
def build() -> type[Builders]:
    return Builders
