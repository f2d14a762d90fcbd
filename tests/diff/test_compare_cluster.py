"""The comparison against a real API server (the embedded cluster): live objects and
server-side dry-run predictions as the controller gets them, with defaults, status, managed
fields and other managers' changes all present."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gitferry.diff import compare
from gitferry.diff.ignore import IgnoreRule, IgnoreRules
from gitferry.diff.settings import CompareSettings
from gitferry.testing.cluster import RunningCluster

pytestmark = pytest.mark.e2e

DEFAULT = CompareSettings.from_configmap({}).rules


def manifest(namespace: str, replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": namespace,
            "annotations": {
                "argocd.argoproj.io/tracking-id": f"app:apps/Deployment:{namespace}/web"
            },
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def apply(
    api: httpx.Client, obj: dict[str, Any], manager: str, *, dry_run: bool = False
) -> dict[str, Any]:
    path = f"/apis/apps/v1/namespaces/{obj['metadata']['namespace']}/deployments/web"
    params = {"fieldManager": manager, "force": "true", **({"dryRun": "All"} if dry_run else {})}
    response = api.patch(
        path,
        params=params,
        content=json.dumps(obj),
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def get(api: httpx.Client, namespace: str) -> dict[str, Any]:
    response = api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/web")
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def test_synced_changed_ignored_and_managed_fields(cluster: RunningCluster, namespace: str) -> None:
    with cluster.http() as api:
        apply(api, manifest(namespace), "argocd-controller")
        live = get(api, namespace)
        rules = IgnoreRules(DEFAULT)

        same = apply(api, manifest(namespace), "argocd-controller", dry_run=True)
        assert not compare.compare_pair(manifest(namespace), live, same, rules).modified

        changed_target = manifest(namespace, replicas=3)
        changed = apply(api, changed_target, "argocd-controller", dry_run=True)
        result = compare.compare_pair(changed_target, live, changed, rules)
        assert result.modified
        assert "+    replicas: 3" in result.text("apps/Deployment/x/web").replace(
            "  replicas", "    replicas"
        )

        ignoring = IgnoreRules(
            [
                IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas",)),
                *DEFAULT,
            ]
        )
        assert not compare.compare_pair(changed_target, live, changed, ignoring).modified

        # another manager (an autoscaler) takes replicas over
        scale = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {"replicas": 5},
        }
        apply(api, scale, "hpa")
        live = get(api, namespace)
        predicted = apply(api, manifest(namespace), "argocd-controller", dry_run=True)
        assert compare.compare_pair(manifest(namespace), live, predicted, rules).modified
        trusting = IgnoreRules(
            [
                IgnoreRule(group="apps", kind="Deployment", managed_fields_managers=("hpa",)),
                *DEFAULT,
            ]
        )
        assert not compare.compare_pair(manifest(namespace), live, predicted, trusting).modified


def test_a_field_removed_from_git_shows(cluster: RunningCluster, namespace: str) -> None:
    rules = IgnoreRules(DEFAULT)
    with_label = manifest(namespace)
    with_label["metadata"]["labels"] = {"team": "a"}
    with cluster.http() as api:
        apply(api, with_label, "argocd-controller")
        live = get(api, namespace)
        unchanged = apply(api, with_label, "argocd-controller", dry_run=True)
        assert not compare.compare_pair(with_label, live, unchanged, rules).modified
        without = manifest(namespace)
        predicted = apply(api, without, "argocd-controller", dry_run=True)
        result = compare.compare_pair(without, live, predicted, rules)
        assert result.modified
        assert "-    team: a" in result.text("k")


def test_the_bumped_generation_counts_only_with_include_mutation_webhook(
    cluster: RunningCluster, namespace: str
) -> None:
    rules = IgnoreRules(
        [IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas",)), *DEFAULT]
    )
    with cluster.http() as api:
        apply(api, manifest(namespace), "argocd-controller")
        live = get(api, namespace)
        target = manifest(namespace, replicas=4)
        predicted = apply(api, target, "argocd-controller", dry_run=True)
        assert not compare.compare_pair(target, live, predicted, rules).modified
        include = compare.CompareOptions(include_mutation_webhook=True)
        assert compare.compare_pair(target, live, predicted, rules, options=include).modified
