"""Connect the started clusters into one platform.

- `write_kubeconfig`: one kubeconfig with a context per cluster (named as the cluster), the
  management cluster current; mode 0600 (it holds the clusters' tokens).
- `write_config`: the `GITFERRY_CONFIG` file every `gitferry` command finds the platform by.
- `connect`: install gitferry into the management cluster, register the destination clusters
  (cluster Secrets labelled `environment: <name>`), and, only if the app-of-apps does not
  exist yet, apply the projects and the app-of-apps from config-repo: from then on Git is in
  charge, and a restart never overwrites what was pushed since.

Called by `up_cmd`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from gitferry.cli.platform.layout import (
    CLUSTERS,
    DESTINATIONS,
    MANAGEMENT,
    NAMESPACE,
    Workdir,
)
from gitferry.cluster import connect as kubeconnect
from gitferry.cluster.client import KubeClient
from gitferry.controller import install
from gitferry.model.errors import InputError

MANAGER = "gitferry-up"
APP_OF_APPS = "platform-app-of-apps"
_BOOTSTRAP = ("argocd/projects", "argocd/applications/app-of-apps.yaml")


def write_kubeconfig(workdir: Workdir) -> Path:
    """Merge the clusters' kubeconfigs into `<workdir>/kubeconfig`."""
    merged: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [],
        "users": [],
        "contexts": [],
        "current-context": MANAGEMENT,
        "preferences": {},
    }
    for cluster in CLUSTERS:
        single = yaml.safe_load(workdir.cluster_kubeconfig(cluster).read_text())
        for key in ("clusters", "users", "contexts"):
            merged[key].extend(single.get(key) or ())
    _write_private(workdir.kubeconfig, yaml.safe_dump(merged, sort_keys=False))
    return workdir.kubeconfig


def write_config(workdir: Workdir) -> Path:
    """Write `<workdir>/config.yaml` (kubeconfig, management context, namespace)."""
    config = {
        "kubeconfig": str(workdir.kubeconfig.resolve()),
        "context": MANAGEMENT,
        "namespace": NAMESPACE,
    }
    _write_private(workdir.config, yaml.safe_dump(config, sort_keys=False))
    return workdir.config


async def connect(workdir: Workdir) -> bool:
    """Install, register the destination clusters and bootstrap the app-of-apps if absent.
    Returns whether the app-of-apps was applied now (first run)."""
    target = kubeconnect.from_kubeconfig(workdir.kubeconfig, MANAGEMENT)
    async with KubeClient(target) as client:
        await install.install(client, NAMESPACE)
        for cluster in DESTINATIONS:
            secret = kubeconnect.cluster_secret(
                cluster,
                workdir.kubeconfig,
                cluster,
                namespace=NAMESPACE,
                labels={"environment": cluster},
            )
            await client.apply(secret, manager=MANAGER, force=True)
        if await client.get("argoproj.io/v1alpha1", "Application", NAMESPACE, APP_OF_APPS):
            return False
        for obj in bootstrap_objects(workdir.clone("config-repo")):
            await client.apply(obj, manager=MANAGER, force=True)
        return True


def bootstrap_objects(config_repo: Path) -> list[dict[str, Any]]:
    """The projects and the app-of-apps, read from the config-repo clone (projects first)."""
    files: list[Path] = []
    for entry in _BOOTSTRAP:
        path = config_repo / entry
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    objects: list[dict[str, Any]] = []
    for path in files:
        try:
            documents = list(yaml.safe_load_all(path.read_text()))
        except (OSError, yaml.YAMLError) as err:
            raise InputError(f"{path}: cannot read the bootstrap manifest: {err}") from err
        objects.extend(doc for doc in documents if isinstance(doc, dict))
    return objects


def _write_private(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    temporary.replace(path)
