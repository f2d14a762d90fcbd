"""`gitferry render` and `gitferry diff` as users run them: real Git repositories as sources,
a real embedded cluster as the destination, the command line as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitferry.testing.cluster import RunningCluster
from gitferry.testing.git import GitRepo, HttpGitServer

pytestmark = pytest.mark.e2e

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: blue}\n"


def gitferry(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gitferry", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def application(repo: str, namespace: str, path: str = "app") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"web-{namespace}", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "path": path, "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
    }


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    git_repo = GitRepo.create(tmp_path / "config")
    git_repo.commit({"app/deploy.yaml": DEPLOYMENT, "app/settings.yaml": CONFIGMAP})
    return git_repo


def write(path: Path, obj: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(obj))
    return path


def test_render_prints_tracked_manifests_from_a_git_revision(repo: GitRepo, tmp_path: Path) -> None:
    app = write(tmp_path / "app.yaml", application(repo.url, "shop"))
    result = gitferry("render", "-f", str(app), "-o", "json", "--cache-dir", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr
    manifests = json.loads(result.stdout)
    assert [(m["kind"], m["metadata"]["name"]) for m in manifests] == [
        ("Deployment", "web"),
        ("ConfigMap", "settings"),
    ]
    for manifest in manifests:
        assert manifest["metadata"]["namespace"] == "shop"
        tracking = manifest["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"]
        assert (
            tracking == f"web-shop:{'apps' if manifest['kind'] == 'Deployment' else ''}/"
            f"{manifest['kind']}:shop/{manifest['metadata']['name']}"
        )
    again = gitferry("render", "-f", str(app), "-o", "json", "--cache-dir", str(tmp_path / "c"))
    assert again.stdout == result.stdout, "the output order must be stable"


def test_render_with_local_working_copy_shows_uncommitted_changes(
    repo: GitRepo, tmp_path: Path
) -> None:
    (repo.work / "app" / "settings.yaml").write_text(CONFIGMAP.replace("blue", "green"))
    app = write(tmp_path / "app.yaml", application(repo.url, "shop"))
    result = gitferry(
        "render",
        "-f",
        str(app),
        "--local",
        f"{repo.url}={repo.work}",
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert result.returncode == 0, result.stderr
    assert "mode: green" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kind: Application\n\tmetadata: x\n", "app.yaml:2:"),
        ("kind: ConfigMap\nmetadata: {name: x}\n", "expected exactly one Application"),
        (
            "kind: Application\nmetadata: {name: x}\nspec: {source: {repoURL: r}}\n",
            "spec.source.repoURL and either spec.source.path or spec.source.chart are required",
        ),
    ],
    ids=["malformed-yaml-names-the-line", "no-application", "invalid-spec"],
)
def test_render_bad_input_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    app = tmp_path / "app.yaml"
    app.write_text(content)
    result = gitferry("render", "-f", str(app))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr


def test_render_of_a_missing_repository_is_one_line(tmp_path: Path) -> None:
    app = write(tmp_path / "app.yaml", application(str(tmp_path / "nowhere.git"), "shop"))
    result = gitferry("render", "-f", str(app), "--cache-dir", str(tmp_path / "c"))
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: repo ") and "Traceback" not in result.stderr


def test_diff_exit_codes_follow_the_cluster(
    repo: GitRepo, tmp_path: Path, cluster: RunningCluster, namespace: str
) -> None:
    app = write(tmp_path / "app.yaml", application(repo.url, namespace))
    cache = str(tmp_path / "c")
    base = ["-f", str(app), "--kubeconfig", str(cluster.kubeconfig), "--cache-dir", cache]

    before = gitferry("diff", *base)
    assert before.returncode == 1, before.stderr
    assert f"+++ target/apps/Deployment/{namespace}/web" in before.stdout
    assert "+  replicas: 2" in before.stdout

    rendered = gitferry("render", "-f", str(app), "--cache-dir", cache).stdout
    cluster.kubectl(
        "apply", "--server-side", "--field-manager=argocd-controller", "-f", "-", input=rendered
    )
    assert gitferry("diff", *base).returncode == 0

    cluster.kubectl("scale", "deploy/web", "-n", namespace, "--replicas=5")
    drifted = gitferry("diff", *base)
    assert drifted.returncode == 1
    assert "-  replicas: 5" in drifted.stdout and "+  replicas: 2" in drifted.stdout

    repo.commit({"app/settings.yaml": None}, "drop the settings")
    pruned = gitferry("diff", *base)
    assert pruned.returncode == 1
    assert f"--- live//ConfigMap/{namespace}/settings" in pruned.stdout
    assert "-  mode: blue" in pruned.stdout


def test_diff_against_an_unreachable_cluster_is_one_line(repo: GitRepo, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "x", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "x", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
                "current-context": "x",
            }
        )
    )
    app = write(tmp_path / "app.yaml", application(repo.url, "shop"))
    result = gitferry("diff", "-f", str(app), "--kubeconfig", str(kubeconfig))
    assert result.returncode == 2
    assert result.stderr.startswith("error: cluster x (https://127.0.0.1:1):")
    assert "Traceback" not in result.stderr


def test_render_of_a_private_repository_uses_the_given_repository_secret(
    repo: GitRepo, tmp_path: Path
) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "private-repo",
            "labels": {"argocd.argoproj.io/secret-type": "repository"},
        },
        "stringData": {"url": "", "username": "alice", "password": "s3cret-token"},
    }
    with HttpGitServer(repo.remote.parent, username="alice", password="s3cret-token") as server:
        url = server.url("remote.git")
        secret["stringData"]["url"] = url
        app = write(tmp_path / "app.yaml", application(url, "shop"))
        denied = gitferry("render", "-f", str(app), "--cache-dir", str(tmp_path / "a"))
        assert denied.returncode == 1
        assert denied.stderr.startswith("error: repo ") and "s3cret" not in denied.stderr
        secrets = write(tmp_path / "secrets.yaml", secret)
        allowed = gitferry(
            "render",
            "-f",
            str(app),
            "--repo-secrets",
            str(secrets),
            "--cache-dir",
            str(tmp_path / "b"),
        )
    assert allowed.returncode == 0, allowed.stderr
    assert "kind: Deployment" in allowed.stdout
