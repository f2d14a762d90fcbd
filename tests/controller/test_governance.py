"""Projects, sync windows and signed commits, enforced by a running controller (issue 5):
an app outside its project never syncs, a resource kind the project refuses fails the whole
sync before anything is applied, a deny window holds automated syncs and lets a manual one
through only with manualSync, and an unsigned commit is refused while a signed one syncs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitferry.testing.cluster import RunningCluster
from gitferry.testing.git import GitRepo, GpgKey
from gitferry.testing.platform import Apps, Controller, application, unique

pytestmark = pytest.mark.e2e

CONFIGMAP = yaml.safe_dump(
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}
)
SERVICE = yaml.safe_dump(
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80}], "selector": {"app": "web"}},
    }
)


def project(name: str, **spec: Any) -> dict[str, Any]:
    base = {
        "sourceRepos": ["*"],
        "destinations": [{"server": "*", "namespace": "*"}],
        "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {**base, **spec},
    }


def apply(cluster: RunningCluster, obj: dict[str, Any]) -> None:
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", input=json.dumps(obj))


def exists(cluster: RunningCluster, *args: str) -> bool:
    return cluster.kubectl("get", *args, check=False).returncode == 0


def condition(app: dict[str, Any], kind: str) -> str:
    for item in (app.get("status") or {}).get("conditions") or ():
        if item.get("type") == kind:
            return str(item.get("message", ""))
    return ""


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    created = GitRepo.create(tmp_path / "repo")
    created.commit({"app/settings.yaml": CONFIGMAP}, "settings")
    return created


def test_an_app_outside_its_project_destinations_never_syncs(
    controller: Controller, apps: Apps, repo: GitRepo
):
    cluster = controller.cluster
    name, namespace = unique("outside"), unique("elsewhere")
    apply(cluster, project(name, destinations=[{"server": "*", "namespace": "allowed-*"}]))
    app = application(name, repo.url, "app", namespace, automated={"prune": True})
    app["spec"]["project"] = name
    apps.create(app)
    found = apps.wait(name, lambda a: bool(condition(a, "InvalidSpecError")), what="refusal")
    message = condition(found, "InvalidSpecError")
    assert f"namespace '{namespace}' do not match any of the allowed destinations" in message
    assert f"project '{name}'" in message
    time.sleep(2)
    assert not apps.get(name).get("operation")
    assert not exists(cluster, "namespace", namespace)


def test_a_refused_kind_fails_the_sync_before_anything_is_applied(
    controller: Controller, apps: Apps, repo: GitRepo
):
    cluster = controller.cluster
    name, namespace = unique("kinds"), unique("kinds")
    repo.commit({"app/service.yaml": SERVICE}, "a service too")
    apply(
        cluster,
        project(name, namespaceResourceWhitelist=[{"group": "", "kind": "ConfigMap"}]),
    )
    app = application(name, repo.url, "app", namespace, automated={"prune": True})
    app["spec"]["project"] = name
    apps.create(app)
    refusal = f"resource :Service is not permitted in project {name}"

    def refused(app: dict[str, Any]) -> bool:
        return refusal in ((app.get("status") or {}).get("operationState") or {}).get("message", "")

    state = apps.wait(name, refused, what="a refused sync")["status"]["operationState"]
    # Failed, or Running while it waits for its automatic retry (the default limit is 5).
    assert state["phase"] in ("Failed", "Running")
    assert "one or more synchronization tasks are not valid" in state["message"]
    assert not exists(cluster, "configmap", "settings", "-n", namespace)
    assert not exists(cluster, "service", "web", "-n", namespace)


def test_a_deny_window_holds_automated_syncs_and_manual_ones_without_manual_sync(
    controller: Controller, apps: Apps, repo: GitRepo
):
    cluster = controller.cluster
    name, namespace = unique("frozen"), unique("frozen")
    always = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]}
    apply(cluster, project(name, syncWindows=[{**always, "manualSync": False}]))
    app = application(name, repo.url, "app", namespace, automated={"prune": True})
    app["spec"]["project"] = name
    apps.create(app)
    apps.wait(name, lambda a: (a.get("status") or {}).get("sync", {}).get("status") == "OutOfSync")
    time.sleep(3)
    assert not apps.get(name).get("operation"), "an automated sync started inside a deny window"

    operation = {"sync": {"revision": "main"}, "initiatedBy": {"username": "alice"}}
    cluster.kubectl(
        "patch", "application", name, "-n", "argocd", "--type", "merge",
        "-p", json.dumps({"operation": operation}),
    )  # fmt: skip
    held = apps.wait(
        name,
        lambda a: (
            "blocked by sync window"
            in ((a.get("status") or {}).get("operationState") or {}).get("message", "")
        ),
        what="the operation held",
    )
    assert held["status"]["operationState"]["phase"] == "Running"
    assert not exists(cluster, "configmap", "settings", "-n", namespace)

    apply(cluster, project(name, syncWindows=[{**always, "manualSync": True}]))
    apps.wait_synced_healthy(name)
    assert exists(cluster, "configmap", "settings", "-n", namespace)


def test_an_unsigned_commit_is_refused_and_a_signed_one_syncs(
    controller: Controller, apps: Apps, repo: GitRepo, tmp_path: Path
):
    cluster = controller.cluster
    key = GpgKey.generate(tmp_path / "gnupg")
    try:
        keys = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-gpg-keys-cm", "namespace": "argocd"},
            "data": {key.key_id: key.public_key},
        }
        apply(cluster, keys)
        name, namespace = unique("signed"), unique("signed")
        apply(cluster, project(name, signatureKeys=[{"keyID": key.key_id}]))
        app = application(name, repo.url, "app", namespace, automated={"prune": True})
        app["spec"]["project"] = name
        apps.create(app)
        unsigned = repo.head()
        refused = apps.wait(
            name, lambda a: unsigned in condition(a, "ComparisonError"), what="a refusal"
        )
        assert "is not signed" in condition(refused, "ComparisonError")
        assert not exists(cluster, "configmap", "settings", "-n", namespace)

        repo.commit({"app/settings.yaml": CONFIGMAP.replace("'1'", "'2'")}, sign_with=key)
        # The push's webhook: without it the controller keeps the resolved revision a while.
        cluster.kubectl(
            "annotate", "application", name, "-n", "argocd", "argocd.argoproj.io/refresh=normal"
        )
        apps.wait_synced_healthy(name)
        data = cluster.kubectl(
            "get", "configmap", "settings", "-n", namespace, "-o", "jsonpath={.data.a}"
        ).stdout
        assert data == "2"
    finally:
        key.close()
