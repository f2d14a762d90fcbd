"""The two ApplicationSets of reference/platform-blueprint.md, read from the document at test
time: the platform services one, and the microservices one as written (side-by-side
generators leave parameters unresolved, as in Argo CD) and as a matrix (one Application per
production cluster and applications/* directory)."""

from __future__ import annotations

import asyncio
import base64
import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitferry.appset import generate
from gitferry.source.repositories import Resolved

BLUEPRINT = Path(__file__).resolve().parents[3] / "shared" / "reference" / "platform-blueprint.md"


@pytest.fixture(scope="module")
def appsets() -> dict[str, dict[str, Any]]:
    if not BLUEPRINT.is_file():
        pytest.skip("the shared reference (../shared/reference) is not present")
    found: dict[str, dict[str, Any]] = {}
    for block in re.findall(r"```yaml\n(.*?)```", BLUEPRINT.read_text(), re.S):
        for doc in yaml.safe_load_all(block):
            if isinstance(doc, dict) and doc.get("kind") == "ApplicationSet":
                found[doc["metadata"]["name"]] = doc
    assert set(found) == {"platform-services-applicationset", "microservices-applicationset"}
    return found


class Repos:
    """Two repositories' trees in memory, keyed by repoURL."""

    def __init__(self, trees: dict[str, list[str]]) -> None:
        self.trees = trees

    async def resolve(self, url: str, revision: str = "HEAD") -> Resolved:
        assert revision == "HEAD"
        return Resolved("c" * 40)

    async def list_paths(self, url: str, sha: str, prefix: str = "") -> list[str]:
        return sorted(self.trees[url])

    async def read_file(self, url: str, sha: str, path: str) -> bytes:
        return b""


CONFIG = "https://github.com/your-org/idp-config-repo"
MICRO = "https://github.com/your-org/microservices-config"
REPOS = Repos(
    {
        CONFIG: [
            "environments/development/platform-services/kustomization.yaml",
            "environments/staging/platform-services/kustomization.yaml",
            "environments/production/platform-services/kustomization.yaml",
            "environments/production/apps/kustomization.yaml",
            "applications/README.md",
        ],
        MICRO: [
            "applications/orders/values.yaml",
            "applications/payments/values.yaml",
            "applications/payments/values-production.yaml",
            "README.md",
        ],
    }
)


def cluster(name: str, environment: str, tag: str) -> dict[str, Any]:
    data = {"name": name, "server": f"https://{name}.example:6443"}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "cluster", "environment": environment},
            "annotations": {"image-tag": tag},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


CLUSTERS = [
    cluster("prod-east", "production", "v1.4.0"),
    cluster("prod-west", "production", "v1.4.1"),
    cluster("staging", "staging", "v1.5.0-rc1"),
]


def run(appset: dict[str, Any]) -> generate.Generated:
    return asyncio.run(generate.generate(appset, clusters=CLUSTERS, git=REPOS))


def test_platform_services_one_application_per_environment(appsets: dict) -> None:
    result = run(appsets["platform-services-applicationset"])
    assert result.invalid == []
    apps = {a["metadata"]["name"]: a for a in result.applications}
    assert list(apps) == [
        "development-platform-services",
        "production-platform-services",
        "staging-platform-services",
    ]
    prod = apps["production-platform-services"]
    assert prod["metadata"]["labels"] == {
        "environment": "production",
        "component": "platform-services",
    }
    assert prod["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "0"}
    assert prod["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert prod["spec"]["source"]["path"] == "environments/production/platform-services"
    # the generator's own template is filled from spec.template, its fields winning:
    # namespace comes from {{path.basename}}, syncPolicy from the spec template
    assert prod["spec"]["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "platform-services",
    }
    assert prod["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


def test_microservices_as_written_leaves_parameters_unresolved(appsets: dict) -> None:
    """The clusters and git generators sit side by side: each parameter set has only its own
    generator's keys, so every Application keeps a literal `{{...}}` (Argo CD renders them
    the same way) and none is valid."""
    result = run(appsets["microservices-applicationset"])
    assert result.applications == []
    names = [item.name for item in result.invalid]
    assert names == [
        "{{path.basename}}-prod-east",
        "{{path.basename}}-prod-west",
        "orders-{{name}}",
        "payments-{{name}}",
    ]
    assert all("not a valid DNS subdomain" in item.message for item in result.invalid)
    by_generator = [p.generator for p in result.parameters]
    assert by_generator == ["generators[0].clusters"] * 2 + ["generators[1].git"] * 2


def as_matrix(appset: dict[str, Any]) -> dict[str, Any]:
    """The same two generators as the children of one matrix (their templates are ignored)."""
    fixed = copy.deepcopy(appset)
    fixed["spec"]["generators"] = [{"matrix": {"generators": fixed["spec"]["generators"]}}]
    return fixed


def test_microservices_as_a_matrix_one_application_per_cluster_and_directory(
    appsets: dict,
) -> None:
    result = run(as_matrix(appsets["microservices-applicationset"]))
    assert result.invalid == []
    apps = {a["metadata"]["name"]: a for a in result.applications}
    assert list(apps) == [
        "orders-prod-east",
        "payments-prod-east",
        "orders-prod-west",
        "payments-prod-west",
    ]
    app = apps["payments-prod-west"]
    assert app["metadata"]["labels"] == {
        "app": "payments",
        "environment": "production",
        "cluster": "prod-west",
    }
    source = app["spec"]["source"]
    assert source["path"] == "applications/payments"
    assert source["helm"]["valueFiles"] == ["values.yaml", "values-production.yaml"]
    assert source["helm"]["parameters"][0] == {"name": "image.tag", "value": "v1.4.1"}
    assert app["spec"]["destination"] == {
        "server": "https://prod-west.example:6443",
        "namespace": "payments",
    }
    assert app["spec"]["project"] == "applications"
    assert app["spec"]["ignoreDifferences"][0]["jsonPointers"] == ["/spec/replicas"]
