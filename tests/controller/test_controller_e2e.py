"""The controller end to end: a `gitferry controller` process, the embedded cluster, real Git
repositories and Argo CD's example apps (issue 4's acceptance)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from gitferry.testing.git import GitRepo
from gitferry.testing.platform import Apps, application, unique

pytestmark = pytest.mark.e2e

AUTO = {"prune": True, "selfHeal": True}

EXAMPLES = [
    ("guestbook", "guestbook", {}),
    ("helm-guestbook", "helm-guestbook", {"helm": {"valueFiles": ["values-production.yaml"]}}),
    ("kustomize-guestbook", "kustomize-guestbook", {}),
    ("sock-shop", "sock-shop", {}),
    ("sync-waves", "sync-waves", {}),
    ("pre-post-sync", "pre-post-sync", {}),
    ("helm-hooks", "helm-hooks", {}),
]


@pytest.mark.parametrize(("example", "path", "extra"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_app_becomes_synced_and_healthy(
    apps: Apps, corpus_repo: GitRepo, example: str, path: str, extra: dict[str, Any]
) -> None:
    name = unique(example)
    apps.create(application(name, corpus_repo.url, path, name, automated=AUTO, **extra))
    obj = apps.wait_synced_healthy(name, timeout=120)
    state = obj["status"]["operationState"]
    assert state["phase"] == "Succeeded", state["message"]
    assert obj["status"]["sync"]["revision"] == corpus_repo.head()
    assert obj["status"]["resources"], "the app must list its resources"
    assert all(r.get("status") == "Synced" for r in obj["status"]["resources"] if not r.get("hook"))
    assert obj["status"]["history"][-1]["revision"] == corpus_repo.head()


def _writes(audit_log: str, namespace: str) -> list[tuple[str, str]]:
    """(resource, name) of the first real write of each object in a namespace, in order."""
    seen: list[tuple[str, str]] = []
    for line in audit_log.splitlines():
        event = json.loads(line)
        ref = event.get("objectRef") or {}
        if ref.get("namespace") != namespace or event["verb"] not in ("create", "patch"):
            continue
        if "dryRun" in event["requestURI"] or event["responseStatus"]["code"] >= 300:
            continue
        key = (ref["resource"], ref.get("name", ""))
        if key not in seen:
            seen.append(key)
    return seen


def test_sync_waves_and_hooks_reach_the_cluster_in_argo_cds_order(
    apps: Apps, corpus_repo: GitRepo
) -> None:
    name = unique("waves")
    apps.create(application(name, corpus_repo.url, "sync-waves", name, automated=AUTO))
    apps.wait_synced_healthy(name, timeout=120)
    writes = _writes(apps.cluster.audit_log.read_text(), name)
    expected = [
        ("jobs", "upgrade-sql-schema"),  # PreSync hook (generated name)
        ("services", "backend"),  # wave 0: Service before ReplicaSet (kind order)
        ("replicasets", "backend"),
        ("jobs", "maint-page-up"),  # wave 1 Sync hook
        ("services", "frontend"),  # wave 2
        ("replicasets", "frontend"),
        ("jobs", "maint-page-down"),  # wave 3
    ]
    # The PreSync hook has only generateName: its name is generated from the revision.
    observed = [
        (resource, "upgrade-sql-schema" if obj.startswith("upgrade-sql-schema") else obj)
        for resource, obj in writes
    ]
    assert [entry for entry in observed if entry in expected] == expected, writes


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, labels: {{app: web}}}}
spec:
  replicas: 1
  progressDeadlineSeconds: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata:
      labels: {{app: web}}
      annotations: {{sim.gitferry.io/behavior: "{behavior}"}}
    spec:
      containers: [{{name: web, image: "nginx:{tag}"}}]
"""


def web_repo(tmp_path: Any, behavior: str = "none", tag: str = "1.27") -> GitRepo:
    repo = GitRepo.create(tmp_path / "web")
    repo.commit({"app/deploy.yaml": DEPLOYMENT.format(behavior=behavior, tag=tag)})
    return repo


def health(obj: dict[str, Any]) -> str:
    return str(((obj.get("status") or {}).get("health") or {}).get("status"))


def sync(obj: dict[str, Any]) -> str:
    return str(((obj.get("status") or {}).get("sync") or {}).get("status"))


def gitferry(apps: Apps, *args: str) -> Any:
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "gitferry", *args, "--kubeconfig", str(apps.cluster.kubeconfig)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_drift_is_healed_with_self_heal(apps: Apps, tmp_path: Any) -> None:
    repo = web_repo(tmp_path)
    name = unique("heal")
    apps.create(application(name, repo.url, "app", name, automated=AUTO))
    apps.wait_synced_healthy(name)
    apps.cluster.kubectl("scale", "deploy/web", "-n", name, "--replicas=3")
    apps.wait(
        name,
        lambda o: (
            sync(o) == "Synced"
            and apps.cluster.kubectl(
                "get", "deploy/web", "-n", name, "-o", "jsonpath={.spec.replicas}"
            ).stdout
            == "1"
        ),
        what="drift healed",
    )


def test_drift_without_self_heal_stays_out_of_sync_and_app_diff_shows_it(
    apps: Apps, tmp_path: Any
) -> None:
    repo = web_repo(tmp_path)
    name = unique("drift")
    apps.create(application(name, repo.url, "app", name, automated={"prune": True}))
    apps.wait_synced_healthy(name)
    apps.cluster.kubectl("scale", "deploy/web", "-n", name, "--replicas=3")
    apps.wait(name, lambda o: sync(o) == "OutOfSync", what="OutOfSync after drift")
    diff = gitferry(apps, "app", "diff", name)
    assert diff.returncode == 1, diff.stderr
    assert "-  replicas: 3" in diff.stdout and "+  replicas: 1" in diff.stdout
    obj = apps.get(name)
    assert obj["status"]["operationState"]["phase"] == "Succeeded"
    assert len(obj["status"]["history"]) == 1, "no new sync without self-heal"


def test_a_crash_looping_commit_degrades_and_rollback_restores(apps: Apps, tmp_path: Any) -> None:
    repo = web_repo(tmp_path)
    name = unique("rollback")
    apps.create(application(name, repo.url, "app", name))
    result = gitferry(apps, "app", "sync", name, "--timeout", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    apps.wait_synced_healthy(name)
    repo.commit({"app/deploy.yaml": DEPLOYMENT.format(behavior="crashloop", tag="1.28")})
    apps.cluster.kubectl(
        "annotate", "application", name, "-n", "argocd", "argocd.argoproj.io/refresh=normal"
    )
    apps.wait(name, lambda o: sync(o) == "OutOfSync", what="new commit seen")
    result = gitferry(apps, "app", "sync", name, "--timeout", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    apps.wait(name, lambda o: health(o) == "Degraded", timeout=60, what="Degraded")
    result = gitferry(apps, "app", "rollback", name, "0", "--timeout", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    obj = apps.wait(name, lambda o: health(o) == "Healthy", timeout=60, what="Healthy again")
    history = obj["status"]["history"]
    assert [h["id"] for h in history] == [0, 1, 2]
    assert history[2]["revision"] == history[0]["revision"]
    image = apps.cluster.kubectl(
        "get", "deploy/web", "-n", name, "-o", "jsonpath={.spec.template.spec.containers[0].image}"
    ).stdout
    assert image == "nginx:1.27"


def test_an_unreachable_repository_is_a_condition_and_live_state_stays(
    apps: Apps, tmp_path: Any
) -> None:
    repo = web_repo(tmp_path)
    name = unique("unreach")
    apps.create(application(name, repo.url, "app", name, automated=AUTO))
    apps.wait_synced_healthy(name)
    hidden = repo.delete_remote()
    apps.cluster.kubectl(
        "annotate", "application", name, "-n", "argocd", "argocd.argoproj.io/refresh=normal"
    )

    def flagged(obj: dict[str, Any]) -> bool:
        return any(
            c["type"] == "ComparisonError"
            for c in (obj.get("status") or {}).get("conditions") or ()
        )

    obj = apps.wait(name, flagged, what="ComparisonError")
    message = next(
        c["message"] for c in obj["status"]["conditions"] if c["type"] == "ComparisonError"
    )
    assert "last known commit" in message
    assert apps.cluster.kubectl("get", "deploy/web", "-n", name).returncode == 0
    hidden.rename(repo.remote)
    apps.cluster.kubectl(
        "annotate",
        "--overwrite",
        "application",
        name,
        "-n",
        "argocd",
        "argocd.argoproj.io/refresh=normal",
    )
    apps.wait(name, lambda o: not flagged(o) and sync(o) == "Synced", what="recovery")


@pytest.mark.parametrize("finalizer", [True, False], ids=["cascade", "no-cascade"])
def test_deletion_with_and_without_the_resources_finalizer(
    apps: Apps, tmp_path: Any, finalizer: bool
) -> None:
    repo = web_repo(tmp_path)
    name = unique("delete")
    apps.create(application(name, repo.url, "app", name, automated=AUTO, finalizer=finalizer))
    apps.wait_synced_healthy(name)
    apps.cluster.kubectl("delete", "application", name, "-n", "argocd", "--timeout=60s")
    remaining = apps.cluster.kubectl("get", "deploy/web", "-n", name, check=False)
    if finalizer:
        assert remaining.returncode == 1 and "NotFound" in remaining.stderr
    else:
        assert remaining.returncode == 0, "without the finalizer live resources stay"


def test_sync_dry_run_prints_the_plan_in_argo_cds_order_and_changes_nothing(
    apps: Apps, corpus_repo: GitRepo
) -> None:
    name = unique("plan")
    apps.create(application(name, corpus_repo.url, "sync-waves", name))
    apps.wait(name, lambda o: sync(o) == "OutOfSync", what="compared")
    result = gitferry(apps, "app", "sync", name, "--dry-run", "-o", "json")
    assert result.returncode == 0, result.stderr
    planned = [
        (r["phase"], r["wave"], r["kind"], r["name"].split("-presync-")[0], r["action"])
        for r in json.loads(result.stdout)
    ]
    assert planned[0][:3] == ("PreSync", 0, "Namespace")  # CreateNamespace comes first
    assert [p for p in planned[1:] if p[2] != "Namespace"] == [
        ("PreSync", 0, "Job", planned[1][3], "run hook"),
        ("Sync", 0, "Service", "backend", "create"),
        ("Sync", 0, "ReplicaSet", "backend", "create"),
        ("Sync", 1, "Job", "maint-page-up", "run hook"),
        ("Sync", 2, "Service", "frontend", "create"),
        ("Sync", 2, "ReplicaSet", "frontend", "create"),
        ("Sync", 3, "Job", "maint-page-down", "run hook"),
    ]
    assert planned[1][3].startswith("upgrade-sql-schema")
    obj = apps.get(name)
    assert "operation" not in obj and not (obj["status"] or {}).get("operationState")
    missing = apps.cluster.kubectl("get", "rs", "-n", name, check=False)
    assert "backend" not in missing.stdout


def test_app_of_apps_creates_children_and_a_repo_refresh_makes_a_push_live(
    apps: Apps, tmp_path: Any
) -> None:
    repo = GitRepo.create(tmp_path / "platform")
    child = unique("child")
    child_app = application(child, "", "web", child, automated=AUTO, finalizer=True)
    child_app["spec"]["source"]["repoURL"] = repo.url
    repo.commit(
        {
            "apps/child.yaml": json.dumps(child_app),
            "web/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
            "data: {colour: blue}\n",
        }
    )
    parent = unique("parent")
    parent_app = application(
        parent, repo.url, "apps", "argocd", automated=AUTO, finalizer=True, sync_options=[]
    )
    apps.create(parent_app)
    apps.wait_synced_healthy(parent)
    apps.wait_synced_healthy(child)
    assert (
        apps.cluster.kubectl(
            "get", "cm/settings", "-n", child, "-o", "jsonpath={.data.colour}"
        ).stdout
        == "blue"
    )
    parent_resources = apps.status(parent)["resources"]
    assert [(r["kind"], r["name"]) for r in parent_resources] == [("Application", child)]
    assert "health" not in parent_resources[0], "child apps have no health by default"

    repo.commit(
        {
            "web/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: "
            "{name: settings}\ndata: {colour: green}\n"
        }
    )
    result = gitferry(apps, "app", "refresh", "--repo", repo.url)
    assert result.returncode == 0, result.stderr
    assert f"{child}" in result.stdout and f"{parent}" in result.stdout

    def live_colour(_: dict[str, Any]) -> bool:
        return (
            apps.cluster.kubectl(
                "get", "cm/settings", "-n", child, "-o", "jsonpath={.data.colour}"
            ).stdout
            == "green"
        )

    apps.wait(child, live_colour, timeout=30, what="pushed change live")
    apps.cluster.kubectl("delete", "application", parent, "-n", "argocd", "--timeout=60s")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if apps.cluster.kubectl("get", "cm/settings", "-n", child, check=False).returncode:
            break
        time.sleep(0.3)
    else:
        raise AssertionError("deleting the parent did not cascade to the child's resources")
    gone = apps.cluster.kubectl("get", "application", child, "-n", "argocd", check=False)
    assert gone.returncode == 1
