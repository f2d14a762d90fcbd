"""PreDelete and PostDelete hooks (reference 6.1, 6.2): an app whose manifests hold them gets
the hook finalizers while it lives and never applies the hooks in a sync; deleting it runs the
PreDelete Job to completion before the cascade deletes anything, then the PostDelete hook, and
only then does the Application go away."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from gitferry.testing.git import GitRepo
from gitferry.testing.platform import Apps, Controller, application, unique

pytestmark = pytest.mark.e2e

SETTINGS = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
PRE_JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {
        "name": "drain",
        "annotations": {
            "argocd.argoproj.io/hook": "PreDelete",
            "argocd.argoproj.io/hook-delete-policy": "HookSucceeded",
        },
    },
    "spec": {
        "template": {
            "metadata": {"annotations": {"sim.gitferry.io/duration": "2s"}},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "drain", "image": "busybox"}],
            },
        }
    },
}
POST_MARKER = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "farewell", "annotations": {"helm.sh/hook": "post-delete"}},
}
FINALIZERS = [
    "resources-finalizer.argocd.argoproj.io",
    "pre-delete-finalizer.argocd.argoproj.io",
    "pre-delete-finalizer.argocd.argoproj.io/cleanup",
    "post-delete-finalizer.argocd.argoproj.io",
    "post-delete-finalizer.argocd.argoproj.io/cleanup",
]


def writes(audit_log: Path, namespace: str) -> list[tuple[str, str, str]]:
    """(verb, resource, name) of the successful real creates and deletes in a namespace."""
    found = []
    for line in audit_log.read_text().splitlines():
        event = json.loads(line)
        ref = event.get("objectRef") or {}
        if ref.get("namespace") != namespace or event["verb"] not in ("create", "delete"):
            continue
        if "dryRun" in event["requestURI"] or event["responseStatus"]["code"] >= 300:
            continue
        found.append((event["verb"], ref["resource"], ref.get("name", "")))
    return found


def test_delete_hooks_run_around_the_cascade(controller: Controller, apps: Apps, tmp_path: Path):
    cluster = controller.cluster
    repo = GitRepo.create(tmp_path / "repo")
    files = {"app/settings.yaml": SETTINGS, "app/drain.yaml": PRE_JOB, "app/post.yaml": POST_MARKER}
    repo.commit({path: yaml.safe_dump(obj) for path, obj in files.items()}, "hooks")
    name = namespace = unique("hooked")
    apps.create(application(name, repo.url, "app", namespace, automated={}, finalizer=True))

    def ready(app: dict) -> bool:
        status = app.get("status") or {}
        finalizers = app["metadata"].get("finalizers") or []
        return (status.get("sync") or {}).get("status") == "Synced" and all(
            f in finalizers for f in FINALIZERS
        )

    apps.wait(name, ready, what="synced with the hook finalizers")
    assert cluster.kubectl("get", "job", "drain", "-n", namespace, check=False).returncode != 0
    cluster.kubectl("delete", "application", name, "-n", "argocd", "--wait=false")

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        gone = cluster.kubectl("get", "application", name, "-n", "argocd", check=False)
        if gone.returncode != 0:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"app {name} was not deleted: {gone.stdout}")

    order = writes(cluster.audit_log, namespace)
    drain_created = order.index(("create", "jobs", "drain"))
    settings_deleted = order.index(("delete", "configmaps", "settings"))
    farewell_created = order.index(("create", "configmaps", "farewell"))
    assert drain_created < settings_deleted < farewell_created
    assert ("create", "configmaps", "farewell") not in order[:settings_deleted]
    # The PostDelete hook has no delete policy (BeforeHookCreation): it stays.
    cluster.kubectl("get", "configmap", "farewell", "-n", namespace)
