"""`gitferry proj windows|check` on files, and `proj list|get` against the session's
embedded cluster, driven in-process with click's CliRunner."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click.testing
import pytest
import yaml

from gitferry.cli import proj_cmd
from gitferry.cluster import connect
from gitferry.cluster.client import KubeClient
from gitferry.controller import install
from gitferry.testing.cluster import RunningCluster

K8S = "https://kubernetes.default.svc"
REPO = "https://git.example/team/app.git"
WED_NOON = "2024-03-06T12:00:00Z"
SAT_NOON = "2024-03-09T12:00:00Z"


def appproject(**spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sourceRepos": ["https://git.example/team/*"],
        "destinations": [{"server": K8S, "namespace": "shop"}],
        "namespaceResourceWhitelist": [{"group": "apps", "kind": "Deployment"}],
        "syncWindows": [
            {
                "kind": "allow",
                "schedule": "0 9 * * MON-FRI",
                "duration": "8h",
                "applications": ["*"],
            },
            {
                "kind": "deny",
                "schedule": "0 18-8 * * *",
                "duration": "14h",
                "namespaces": ["production"],
            },
        ],
    }
    body.update(spec)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
            "metadata": {"name": "team"}, "spec": body}  # fmt: skip


def application(repo: str = REPO, namespace: str = "shop") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": {
            "project": "team",
            "source": {"repoURL": repo, "path": "app", "targetRevision": "main"},
            "destination": {"server": K8S, "namespace": namespace},
        },
    }


def write(path: Path, *objects: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump_all(objects))
    return str(path)


def run(*args: str) -> click.testing.Result:
    return click.testing.CliRunner().invoke(proj_cmd.proj, list(args))


# -- windows -------------------------------------------------------------------------------

# (extra arguments, exit code, first line)
WINDOW_CASES = {
    "inside the allow window": (["--at", WED_NOON], 0, "allowed: permitted by active sync"),
    "outside the allow window": (["--at", SAT_NOON], 1, "blocked: blocked by sync window"),
    "manual does not help without manualSync": (
        ["--at", SAT_NOON, "--manual"],
        1,
        "blocked: blocked by sync window",
    ),
    "an invalid window that applies blocks": (
        ["--at", WED_NOON, "--namespace", "production"],
        1,
        "blocked: invalid sync windows: syncWindows[1] (deny): cannot parse schedule "
        "'0 18-8 * * *'",
    ),
}


@pytest.mark.parametrize(("extra", "code", "line"), WINDOW_CASES.values(), ids=WINDOW_CASES.keys())
def test_windows_exit_status_says_whether_a_sync_may_run(
    tmp_path: Path, extra: list[str], code: int, line: str
) -> None:
    project = write(tmp_path / "p.yaml", appproject())
    args = ["windows", "-f", project, "--app", "web", "--namespace", "shop", "--cluster", K8S]
    result = run(*args, *extra)
    assert result.exit_code == code, result.output
    assert result.stdout.splitlines()[0].startswith(line)


def test_windows_warns_about_invalid_windows_that_do_not_apply(tmp_path: Path) -> None:
    project = write(tmp_path / "p.yaml", appproject())
    result = run("windows", "-f", project, "--app", "web", "--namespace", "shop", "--at", WED_NOON)
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: project team: syncWindows[1] (deny): cannot parse")


def test_windows_json_lists_active_windows(tmp_path: Path) -> None:
    project = write(tmp_path / "p.yaml", appproject())
    result = run(
        "windows", "-f", project, "--app", "web", "--namespace", "shop",
        "--at", "2024-03-06T13:00:00+01:00", "-o", "json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert result.exit_code == 0
    assert data["allowed"] is True
    assert data["at"] == WED_NOON
    assert [w["schedule"] for w in data["activeWindows"]] == ["0 9 * * MON-FRI"]
    assert data["errors"] == []


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (appproject(), ["--at", "tomorrow"], "--at 'tomorrow': not an RFC 3339 time"),
        (appproject(), ["--at", "2024-03-06T12:00:00"], "not an RFC 3339 time with a zone"),
        (application(), [], "expected exactly one AppProject, found 0"),
        (appproject(sourceRepos="*"), [], "project team: spec.sourceRepos: must be a list"),
    ],
    ids=["bad-time", "no-zone", "no-project", "malformed-project"],
)
def test_windows_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, content: dict[str, Any], args: list[str], message: str
) -> None:
    path = write(tmp_path / "p.yaml", content)
    result = run("windows", "-f", path, "--app", "web", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr


# -- check -----------------------------------------------------------------------------------

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]},
        },
    },
}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}


def checkout(tmp_path: Path, *manifests: dict[str, Any]) -> str:
    """A working copy holding `app/` with the manifests; the --local argument for it."""
    (tmp_path / "work" / "app").mkdir(parents=True)
    write(tmp_path / "work" / "app" / "all.yaml", *manifests)
    return f"{REPO}={tmp_path / 'work'}"


def check(tmp_path: Path, project: dict[str, Any], app: dict[str, Any], *extra: str) -> Any:
    files = ["-f", write(tmp_path / "p.yaml", project), "-f", write(tmp_path / "a.yaml", app)]
    cache = ["--cache-dir", str(tmp_path / "cache")]
    return run("check", *files, *cache, *extra)


def test_check_permits_an_app_within_its_project(tmp_path: Path) -> None:
    local = checkout(tmp_path, DEPLOYMENT)
    result = check(tmp_path, appproject(), application(), "--local", local)
    assert result.exit_code == 0, result.output
    assert result.stdout == "permitted: project team permits app web\n"


def test_check_refuses_rendered_kinds_the_project_does_not_list(tmp_path: Path) -> None:
    local = checkout(tmp_path, DEPLOYMENT, CONFIGMAP, NAMESPACE)
    result = check(tmp_path, appproject(), application(), "--local", local)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "namespaceResourceWhitelist: resource :ConfigMap is not permitted in project team",
        "clusterResourceWhitelist: resource :Namespace is not permitted in project team",
    ]


def test_check_json_names_rule_value_and_stage(tmp_path: Path) -> None:
    local = checkout(tmp_path, DEPLOYMENT)
    app = application(namespace="kube-system")
    result = check(tmp_path, appproject(), app, "--local", local, "-o", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["permitted"] is False
    assert [(v["rule"], v["value"], v["stage"]) for v in data["violations"]] == [
        ("destinations", f"{K8S}/kube-system", "spec"),
        ("destinations", "kube-system", "sync"),
    ]


def test_check_reports_spec_violations_even_when_rendering_fails(tmp_path: Path) -> None:
    app = application(repo=str(tmp_path / "nowhere.git"))
    result = check(tmp_path, appproject(), app)
    assert result.exit_code == 1
    assert result.stdout.startswith("sourceRepos: application repo ")
    assert "warning: the rendered resources were not checked" in result.stderr


def test_check_render_failure_without_violations_is_an_input_error(tmp_path: Path) -> None:
    project = appproject(sourceRepos=["*"])
    result = check(tmp_path, project, application(repo=str(tmp_path / "nowhere.git")))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output


# -- list and get against the embedded cluster ----------------------------------------------


@pytest.fixture
def control_plane(cluster: RunningCluster, namespace: str) -> list[str]:
    """A fresh namespace with gitferry's control plane (the `default` AppProject) in it."""

    async def setup() -> None:
        async with KubeClient(connect.from_kubeconfig(cluster.kubeconfig, None)) as client:
            await install.install(client, namespace)

    asyncio.run(setup())
    return ["--kubeconfig", str(cluster.kubeconfig), "--namespace", namespace]


@pytest.mark.e2e
def test_list_and_get_read_the_control_plane_projects(control_plane: list[str]) -> None:
    listed = run("list", *control_plane)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines()[1].split()[:3] == ["default", "*,*", "*"]
    names = run("list", "-o", "name", *control_plane)
    assert names.stdout == "default\n"
    shown = run("get", "default", "-o", "json", *control_plane)
    assert json.loads(shown.stdout)["spec"]["sourceRepos"] == ["*"]
    details = run("get", "default", *control_plane)
    assert "Namespaced resources allowed:  *" in details.stdout


@pytest.mark.e2e
def test_get_of_a_missing_project_is_one_line(control_plane: list[str]) -> None:
    result = run("get", "nope", *control_plane)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: project nope: not found in namespace")
