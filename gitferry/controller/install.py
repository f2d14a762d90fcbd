"""Installing gitferry's control plane into a management cluster: the CRDs of Argo CD's kinds,
the control-plane namespace, the `default` AppProject and the settings ConfigMaps.

Idempotent: CRDs and the namespace are server-side applied (so an upgrade updates them); the
project and the ConfigMaps are created only when absent, so a second install never overwrites
settings a user has changed. Called by `gitferry install` and `gitferry up`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import yaml

from gitferry.cluster.client import KubeClient
from gitferry.model import crds
from gitferry.model.errors import ClusterError

MANAGER = "gitferry-install"
SETTINGS_MAPS = ("argocd-cm", "argocd-rbac-cm", "argocd-notifications-cm", "argocd-cmd-params-cm")
PART_OF = {"app.kubernetes.io/part-of": "argocd"}


def default_project(namespace: str) -> dict[str, Any]:
    """Argo CD's `default` AppProject: any source, any destination, every kind."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "default", "namespace": namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"namespace": "*", "server": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }


@dataclass
class InstallReport:
    """What an install did: `changed` lists `Kind/name` of objects created or updated."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


async def install(client: KubeClient, namespace: str = "argocd") -> InstallReport:
    report = InstallReport()
    for text in crds.manifests().values():
        crd = yaml.safe_load(text)
        await _apply(client, crd, report)
    for crd_name in (
        "applications.argoproj.io",
        "applicationsets.argoproj.io",
        "appprojects.argoproj.io",
    ):
        await _wait_established(client, crd_name)
    await client.discovery(refresh=True)
    namespace_obj = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": dict(PART_OF)},
    }
    await _apply(client, namespace_obj, report)
    await _create_absent(client, default_project(namespace), report)
    for name in SETTINGS_MAPS:
        configmap = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {**PART_OF, "app.kubernetes.io/name": name},
            },
        }
        await _create_absent(client, configmap, report)
    return report


async def _apply(client: KubeClient, obj: dict[str, Any], report: InstallReport) -> None:
    meta = obj["metadata"]
    before = await client.get(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])
    after = await client.apply(obj, manager=MANAGER, force=True)
    label = f"{obj['kind']}/{meta['name']}"
    same = before is not None and before["metadata"].get("resourceVersion") == after[
        "metadata"
    ].get("resourceVersion")
    (report.unchanged if same else report.changed).append(label)


async def _create_absent(client: KubeClient, obj: dict[str, Any], report: InstallReport) -> None:
    meta = obj["metadata"]
    label = f"{obj['kind']}/{meta['name']}"
    if await client.get(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"]):
        report.unchanged.append(label)
        return
    await client.create(obj, manager=MANAGER)
    report.changed.append(label)


async def _wait_established(client: KubeClient, name: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        crd = await client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, name)
        conditions = ((crd or {}).get("status") or {}).get("conditions") or ()
        if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
            return
        await asyncio.sleep(0.2)
    raise ClusterError(f"CustomResourceDefinition/{name}: not Established after {timeout:g} s")
