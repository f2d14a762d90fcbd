"""Shared resources (reference 4.1 step 6, 3.11): an app whose manifests name an object that
another app already tracks gets a `SharedResourceWarning` naming both apps; with
`FailOnSharedResource=true` its sync fails before anything is applied, and the object stays
the first app's."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from gitferry.testing.git import GitRepo
from gitferry.testing.platform import Apps, Controller, application, unique

pytestmark = pytest.mark.e2e

TRACKING = "argocd.argoproj.io/tracking-id"


def settings(value: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings"},
            "data": {"owner": value},
        }
    )


def conditions(app: dict[str, Any], kind: str) -> list[str]:
    found = (app.get("status") or {}).get("conditions") or ()
    return [str(c.get("message")) for c in found if c.get("type") == kind]


def test_a_shared_object_warns_and_fail_on_shared_resource_refuses_the_sync(
    controller: Controller, apps: Apps, tmp_path: Any
):
    repo = GitRepo.create(tmp_path / "repo")
    files = {"first/settings.yaml": settings("first"), "second/settings.yaml": settings("second")}
    repo.commit(files, "two apps, one ConfigMap")
    namespace = unique("shared")
    first, second = unique("first"), unique("second")
    apps.create(application(first, repo.url, "first", namespace, automated={}))
    apps.wait_synced_healthy(first)

    strict = ["CreateNamespace=true", "FailOnSharedResource=true"]
    app = application(second, repo.url, "second", namespace, automated={}, sync_options=strict)
    apps.create(app)
    expected = f"ConfigMap/settings is part of applications argocd/{second} and {first}"

    def refused(app: dict[str, Any]) -> bool:
        state = (app.get("status") or {}).get("operationState") or {}
        return str(state.get("message", "")).startswith(f"Shared resource found: {expected}")

    found = apps.wait(second, refused, what="a refused sync")
    assert conditions(found, "SharedResourceWarning") == [expected]
    assert found["status"]["operationState"]["phase"] in ("Failed", "Running")  # Running: retry
    live = controller.cluster.kubectl("get", "configmap", "settings", "-n", namespace, "-o", "yaml")
    obj = yaml.safe_load(live.stdout)
    assert obj["data"] == {"owner": "first"}
    assert obj["metadata"]["annotations"][TRACKING].startswith(f"{first}:")
