"""`gitferry init DIR`: four real repositories with bare remotes, manifests pointing at them,
and clear refusals that leave nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitferry.cli.platform import bootstrap
from gitferry.cli.platform.layout import REPOSITORIES, Workdir


def gitferry(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gitferry", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Workdir:
    root = tmp_path_factory.mktemp("init") / "platform"
    result = gitferry("init", str(root))
    assert result.returncode == 0, result.stderr
    return Workdir(root)


@pytest.mark.parametrize("name", REPOSITORIES)
def test_each_repository_is_a_clone_of_its_pushed_bare_remote(scaffolded: Workdir, name: str):
    clone, remote = scaffolded.clone(name), scaffolded.remote(name)
    assert git("rev-parse", "--is-bare-repository", cwd=remote) == "true"
    assert git("remote", "get-url", "origin", cwd=clone) == str(remote)
    assert git("rev-parse", "HEAD", cwd=clone) == git("rev-parse", "main", cwd=remote)
    assert git("status", "--porcelain", cwd=clone) == ""


@pytest.mark.parametrize("name", REPOSITORIES)
def test_each_remote_has_a_post_receive_hook_that_refreshes_its_apps(
    scaffolded: Workdir, name: str
):
    hook = scaffolded.remote(name) / "hooks" / "post-receive"
    assert os.access(hook, os.X_OK)
    text = hook.read_text()
    assert f"app refresh --repo {scaffolded.remote_url(name)}" in text
    assert str(scaffolded.config) in text


def test_no_placeholder_is_left_and_every_manifest_parses(scaffolded: Workdir):
    for name in REPOSITORIES:
        for path in scaffolded.clone(name).rglob("*"):
            if ".git" in path.parts or not path.is_file():
                continue
            text = path.read_text()
            assert "@@" not in text, path
            if path.suffix in (".yaml", ".yml") and "templates" not in path.parts:
                list(yaml.safe_load_all(text))


def test_the_argocd_manifests_point_at_the_local_remotes(scaffolded: Workdir):
    objects = bootstrap.bootstrap_objects(scaffolded.clone("config-repo"))
    kinds = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert ("AppProject", "applications") in kinds
    assert ("Application", "platform-app-of-apps") in kinds
    root = next(o for o in objects if o["kind"] == "Application")
    assert root["spec"]["source"]["repoURL"] == scaffolded.remote_url("config-repo")
    assert root["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    policy = root["spec"]["syncPolicy"]
    assert policy["automated"] == {"prune": True, "selfHeal": True, "allowEmpty": False}
    assert {"CreateNamespace=true", "PruneLast=true", "ApplyOutOfSyncOnly=true"} <= set(
        policy["syncOptions"]
    )
    assert policy["retry"]["backoff"] == {"duration": "5s", "factor": 2, "maxDuration": "3m"}


def test_the_deny_window_is_valid_cron_from_18_00_for_14_hours(scaffolded: Workdir):
    project = yaml.safe_load(
        (scaffolded.clone("config-repo") / "argocd/projects/applications-project.yaml").read_text()
    )
    deny = [w for w in project["spec"]["syncWindows"] if w["kind"] == "deny"]
    assert [(w["schedule"], w["duration"]) for w in deny] == [("0 18 * * *", "14h")]


def test_the_microservices_applicationset_is_a_matrix(scaffolded: Workdir):
    path = scaffolded.clone("config-repo") / "argocd/applications/application-sets.yaml"
    appsets = {d["metadata"]["name"]: d for d in yaml.safe_load_all(path.read_text())}
    generators = appsets["microservices"]["spec"]["generators"]
    assert len(generators) == 1
    children = generators[0]["matrix"]["generators"]
    assert [next(iter(child)) for child in children] == ["clusters", "git"]


def test_a_second_init_in_the_same_directory_is_refused(scaffolded: Workdir):
    result = gitferry("init", str(scaffolded.root))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "already exists" in result.stderr and "gitferry up --workdir" in result.stderr


def test_without_git_it_says_so_and_creates_nothing(tmp_path: Path):
    target = tmp_path / "platform"
    result = gitferry("init", str(target), env={"PATH": str(tmp_path / "empty")})
    assert result.returncode == 1
    assert result.stderr.startswith("error: git not found")
    assert result.stderr.count("\n") == 1
    assert not target.exists()


def test_an_unwritable_workdir_is_refused_in_one_line(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = gitferry("init", str(blocker / "platform"))
    assert result.returncode == 1
    assert "is not a directory" in result.stderr and "--workdir" in result.stderr
    assert result.stderr.count("\n") == 1
