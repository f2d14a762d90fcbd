"""The ApplicationSet controller end to end (issue 6): a new directory in the configuration
repository creates an application and removing it deletes it as the policy says; a template
that renders an invalid Application changes nothing and says which parameter set; a
RollingSync over development, staging and production advances only as health allows."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitferry.testing.cluster import RunningCluster
from gitferry.testing.git import GitRepo
from gitferry.testing.platform import Controller, unique

pytestmark = pytest.mark.e2e
REFRESH = "argocd.argoproj.io/application-set-refresh"


def configmap(value: str) -> str:
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"v": value}}
    )


def deployment(ready: bool) -> str:
    template: dict[str, Any] = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
    }
    if not ready:
        template["metadata"]["annotations"] = {"sim.gitferry.io/behavior": "never-ready"}
    return yaml.safe_dump(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template},
        }
    )


def appset(name: str, generators: list[Any], template: dict[str, Any], **spec: Any) -> Any:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"generators": generators, "template": template, **spec},
    }


def app_template(name: str, repo: str, path: str, namespace: str, **meta: Any) -> Any:
    return {
        "metadata": {"name": name, **meta},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "targetRevision": "main", "path": path},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]},
        },
    }


def apply(cluster: RunningCluster, obj: Any) -> None:
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", input=json.dumps(obj))


def refresh(cluster: RunningCluster, name: str) -> None:
    cluster.kubectl("annotate", "applicationset", name, "-n", "argocd", f"{REFRESH}=true")


def apps_of(cluster: RunningCluster, prefix: str) -> dict[str, Any]:
    result = cluster.kubectl("get", "applications", "-n", "argocd", "-o", "json")
    items = json.loads(result.stdout)["items"]
    return {a["metadata"]["name"]: a for a in items if a["metadata"]["name"].startswith(prefix)}


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what}: not reached in {timeout:g}s")


def get_appset(cluster: RunningCluster, name: str) -> Any:
    result = cluster.kubectl("get", "applicationset", name, "-n", "argocd", "-o", "json")
    return json.loads(result.stdout)


def condition(obj: Any, kind: str) -> dict[str, Any]:
    for item in (obj.get("status") or {}).get("conditions") or ():
        if item.get("type") == kind:
            return dict(item)
    return {}


@pytest.mark.parametrize("policy", ["sync", "create-update"])
def test_a_directory_makes_an_application_and_its_removal_follows_the_policy(
    controller: Controller, tmp_path: Path, policy: str
):
    cluster = controller.cluster
    repo = GitRepo.create(tmp_path / "config")
    repo.commit({"apps/one/cm.yaml": configmap("1"), "apps/two/cm.yaml": configmap("2")})
    prefix, namespace = unique("dirs"), unique("dirs")
    generator = {
        "git": {"repoURL": repo.url, "revision": "main", "directories": [{"path": "apps/*"}]}
    }
    template = app_template(f"{prefix}-{{{{path.basename}}}}", repo.url, "{{path}}", namespace)
    name = unique("dirs")
    apply(cluster, appset(name, [generator], template, syncPolicy={"applicationsSync": policy}))
    wait_for(
        "two applications",
        lambda: set(apps_of(cluster, prefix)) == {f"{prefix}-one", f"{prefix}-two"},
    )
    owner = apps_of(cluster, prefix)[f"{prefix}-one"]["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("ApplicationSet", name, True)

    repo.commit(
        {"apps/three/cm.yaml": configmap("3"), "apps/one/cm.yaml": None}, "one out, three in"
    )
    refresh(cluster, name)
    expected = {f"{prefix}-two", f"{prefix}-three"}
    if policy == "create-update":
        expected.add(f"{prefix}-one")
    wait_for("the directories followed", lambda: set(apps_of(cluster, prefix)) == expected)
    status = wait_for(
        "ResourcesUpToDate",
        lambda: (
            condition(get_appset(cluster, name), "ResourcesUpToDate").get("status") == "True"
            and get_appset(cluster, name)
        ),
    )["status"]
    assert {r["name"] for r in status["resources"]} == {f"{prefix}-two", f"{prefix}-three"}


def test_an_invalid_application_changes_nothing_and_names_its_parameters(
    controller: Controller, tmp_path: Path
):
    cluster = controller.cluster
    repo = GitRepo.create(tmp_path / "config")
    repo.commit({"app/cm.yaml": configmap("1")})
    prefix = unique("bad")
    elements = [{"suffix": "fine"}, {"suffix": "Not_A_Name"}]
    template = app_template(f"{prefix}-{{{{suffix}}}}", repo.url, "app", unique("bad"))
    name = unique("bad")
    apply(cluster, appset(name, [{"list": {"elements": elements}}], template))
    error = wait_for(
        "ErrorOccurred",
        lambda: (
            condition(get_appset(cluster, name), "ErrorOccurred").get("status") == "True"
            and condition(get_appset(cluster, name), "ErrorOccurred")
        ),
    )
    assert "Not_A_Name" in error["message"] and "suffix" in error["message"]
    assert "nothing was created or deleted" in error["message"]
    assert apps_of(cluster, prefix) == {}


def test_a_rolling_sync_advances_only_as_health_allows(controller: Controller, tmp_path: Path):
    cluster = controller.cluster
    repo = GitRepo.create(tmp_path / "config")
    repo.commit(
        {
            "envs/development/web.yaml": deployment(ready=True),
            "envs/staging/web.yaml": deployment(ready=False),
            "envs/production/web.yaml": deployment(ready=True),
        }
    )
    prefix = unique("roll")
    elements = [{"env": env} for env in ("development", "staging", "production")]
    template = app_template(
        f"{prefix}-{{{{env}}}}",
        repo.url,
        "envs/{{env}}",
        f"{prefix}-{{{{env}}}}",
        labels={"env": "{{env}}"},
    )
    steps = [
        {"matchExpressions": [{"key": "env", "operator": "In", "values": [env]}]}
        for env in ("development", "staging", "production")
    ]
    name = unique("roll")
    strategy = {"type": "RollingSync", "rollingSync": {"steps": steps}}
    apply(cluster, appset(name, [{"list": {"elements": elements}}], template, strategy=strategy))

    def health(env: str) -> str:
        app = apps_of(cluster, prefix).get(f"{prefix}-{env}") or {}
        return str(((app.get("status") or {}).get("health") or {}).get("status"))

    wait_for("development healthy", lambda: health("development") == "Healthy")
    wait_for("staging deployed", lambda: health("staging") == "Progressing")
    time.sleep(3)
    assert health("production") == "Missing", "production synced before staging was healthy"
    rollout = {
        s["application"]: s for s in get_appset(cluster, name)["status"]["applicationStatus"]
    }
    assert rollout[f"{prefix}-production"]["status"] == "Waiting"
    assert condition(get_appset(cluster, name), "RolloutProgressing")["status"] == "True"

    repo.commit({"envs/staging/web.yaml": deployment(ready=True)}, "fix staging")
    for env in ("development", "staging", "production"):
        cluster.kubectl(
            "annotate", "application", f"{prefix}-{env}", "-n", "argocd",
            "argocd.argoproj.io/refresh=normal", "--overwrite",
        )  # fmt: skip
    wait_for("staging healthy", lambda: health("staging") == "Healthy", timeout=90)
    wait_for("production healthy", lambda: health("production") == "Healthy", timeout=90)
    wait_for(
        "rollout complete",
        lambda: condition(get_appset(cluster, name), "RolloutProgressing").get("status") == "False",
    )
