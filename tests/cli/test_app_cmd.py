"""`gitferry app ...` against the session's embedded cluster, driven in-process with click's
CliRunner. No controller runs here: where a command needs status, a test writes it onto the
Application with a merge patch (or a stand-in controller thread does, once the command has
written its `operation`), and checks what the command printed, decided and wrote."""

from __future__ import annotations

import asyncio
import getpass
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click.testing
import pytest
import yaml

from gitferry.cli import app_cmd
from gitferry.cluster import connect
from gitferry.cluster.client import KubeClient
from gitferry.controller import install
from gitferry.testing.cluster import RunningCluster

Json = dict[str, Any]
REPO = "https://git.example/config.git"
REFRESH = "argocd.argoproj.io/refresh"


def _entry(number: int, revision: str, sha: str, path: str = "app") -> Json:
    return {
        "id": number,
        "revision": sha * 40,
        "deployedAt": f"2026-01-0{number + 1}T10:00:00Z",
        "deployStartedAt": f"2026-01-0{number + 1}T09:59:50Z",
        "source": {"repoURL": REPO, "path": path, "targetRevision": revision},
        "initiatedBy": {"username": "ops"},
    }


HISTORY = [_entry(0, "main", "a"), _entry(1, "main", "b"), _entry(2, "v2", "c", "app-v2")]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def crds(cluster: RunningCluster) -> RunningCluster:
    """The session cluster with gitferry's control plane (the Application CRD) installed."""

    async def run() -> None:
        async with KubeClient(connect.from_kubeconfig(cluster.kubeconfig, None)) as client:
            await install.install(client, "argocd")

    asyncio.run(run())
    return cluster


@pytest.fixture
def apps(crds: RunningCluster, namespace: str, tmp_path: Path) -> Apps:
    """The app commands, with a fresh namespace as the control-plane namespace."""
    return Apps(crds, namespace, tmp_path)


class Apps:
    """The `gitferry app` commands and the Applications of one test namespace."""

    def __init__(self, cluster: RunningCluster, namespace: str, workdir: Path) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.workdir = workdir

    def run(self, *args: str) -> click.testing.Result:
        platform = ["--kubeconfig", str(self.cluster.kubeconfig), "--namespace", self.namespace]
        return click.testing.CliRunner().invoke(app_cmd.app, [*args, *platform])

    def path(self, name: str = "") -> str:
        base = f"/apis/argoproj.io/v1alpha1/namespaces/{self.namespace}/applications"
        return f"{base}/{name}" if name else base

    def create(self, name: str = "web", **spec: Any) -> Json:
        obj = application(name, **spec)
        with self.cluster.http() as api:
            response = api.post(self.path(), json=obj)
            response.raise_for_status()
            result: Json = response.json()
        return result

    def write_file(self, *objects: Json) -> str:
        path = self.workdir / "apps.yaml"
        path.write_text(yaml.safe_dump_all(objects))
        return str(path)

    def get(self, name: str = "web") -> Json:
        with self.cluster.http() as api:
            response = api.get(self.path(name))
            response.raise_for_status()
            result: Json = response.json()
        return result

    def exists(self, name: str = "web") -> bool:
        with self.cluster.http() as api:
            return api.get(self.path(name)).status_code == 200

    def patch(self, name: str, patch: Json) -> Json:
        """A merge patch, as the controller writes status."""
        with self.cluster.http() as api:
            response = api.patch(
                self.path(name),
                json=patch,
                headers={"Content-Type": "application/merge-patch+json"},
            )
            response.raise_for_status()
            result: Json = response.json()
        return result

    @contextmanager
    def controller(
        self,
        name: str,
        react: Callable[[Apps, Json], None],
        *,
        when: Callable[[Json], bool] = lambda app: bool(app.get("operation")),
    ) -> Iterator[None]:
        """A stand-in controller: once the app is `when` (default: has an `operation`),
        `react(apps, app)` runs in a thread, writing what the real controller would."""
        failures: list[BaseException] = []

        def watch() -> None:
            deadline = time.monotonic() + 30
            try:
                while time.monotonic() < deadline:
                    current = self.get(name)
                    if when(current):
                        react(self, current)
                        return
                    time.sleep(0.05)
                raise TimeoutError(f"app {name}: the awaited change never came")
            except BaseException as err:
                failures.append(err)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        yield
        thread.join(timeout=30)
        if failures:
            raise failures[0]


def application(name: str = "web", **spec: Any) -> Json:
    body: Json = {
        "project": "default",
        "source": {"repoURL": REPO, "path": "app", "targetRevision": "main"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "shop"},
    }
    body.update(spec)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": body,
    }


def finish(apps: Apps, name: str, phase: str, *, message: str = "", sync: str = "Synced") -> None:
    """Record a finished operation the way the controller does: result, finishedAt, the
    `operation` cleared, and a reconciliation afterwards."""
    current = apps.get(name)
    stamp = "2026-01-01T10:00:05Z"
    results = [
        {
            "group": "apps",
            "version": "v1",
            "kind": "Deployment",
            "namespace": "shop",
            "name": "web",
            "status": "Synced" if phase == "Succeeded" else "SyncFailed",
            "message": message or "deployment.apps/web configured",
            "hookPhase": "Running",
            "syncPhase": "Sync",
        }
    ]
    apps.patch(
        name,
        {
            "status": {
                "operationState": {
                    "operation": current["operation"],
                    "phase": "Running",
                    "message": "waiting for healthy state of apps/Deployment/web",
                    "startedAt": "2026-01-01T10:00:00Z",
                    "syncResult": {"revision": "1a2b3c4d5e6f", "resources": results},
                }
            }
        },
    )
    time.sleep(0.2)
    results[0]["hookPhase"] = phase
    apps.patch(
        name,
        {
            "operation": None,
            "status": {
                "operationState": {
                    "phase": phase,
                    "message": message or "successfully synced (all tasks run)",
                    "finishedAt": stamp,
                    "syncResult": {"revision": "1a2b3c4d5e6f", "resources": results},
                },
                "sync": {"status": sync, "revision": "1a2b3c4d5e6f"},
                "health": {"status": "Healthy"},
                "reconciledAt": stamp,
            },
        },
    )


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def columns(table: str) -> list[list[str]]:
    """Rows of a printed table, split on runs of two or more spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in table.strip().splitlines()]


# -- create, list, get, history ---------------------------------------------------------


def test_create_from_a_file_then_list_shows_argocd_columns(apps: Apps) -> None:
    path = apps.write_file(
        application("web"),
        application("api", syncPolicy={"automated": {"prune": True}}, project="shop"),
    )
    created = apps.run("create", "-f", path)
    assert created.exit_code == 0, created.output
    assert lines(created.stdout) == ["application 'web' created", "application 'api' created"]
    assert apps.get("web")["metadata"]["namespace"] == apps.namespace

    apps.patch(
        "web",
        {
            "status": {
                "sync": {"status": "OutOfSync"},
                "health": {"status": "Missing"},
                "conditions": [
                    {"type": "SyncError", "message": "a"},
                    {"type": "SyncError", "message": "b"},
                ],
            }
        },
    )
    listed = apps.run("list")
    assert listed.exit_code == 0, listed.output
    rows = columns(listed.stdout)
    assert rows[0] == [
        "NAME",
        "CLUSTER",
        "NAMESPACE",
        "PROJECT",
        "STATUS",
        "HEALTH",
        "SYNCPOLICY",
        "CONDITIONS",
        "REPO",
        "PATH",
        "TARGET",
    ]
    ns = apps.namespace
    assert rows[1][:3] == [f"{ns}/api", "https://kubernetes.default.svc", "shop"]
    assert rows[1][3:] == ["shop", "Auto-Prune", "<none>", REPO, "app", "main"]
    assert rows[2] == [
        f"{ns}/web",
        "https://kubernetes.default.svc",
        "shop",
        "default",
        "OutOfSync",
        "Missing",
        "Manual",
        "SyncError(2)",
        REPO,
        "app",
        "main",
    ]


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("-p", "shop"), ["api"]),
        (("-l", "tier=backend"), ["api"]),
        (("-l", "tier!=backend"), ["web"]),
    ],
)
def test_list_filters_by_project_and_label(
    apps: Apps, args: tuple[str, ...], names: list[str]
) -> None:
    apps.create("web")
    api = application("api", project="shop")
    api["metadata"]["labels"] = {"tier": "backend"}
    assert apps.run("create", "-f", apps.write_file(api)).exit_code == 0
    result = apps.run("list", "-o", "json", *args)
    assert result.exit_code == 0, result.output
    assert [a["metadata"]["name"] for a in json.loads(result.stdout)] == names


def test_create_of_an_existing_app_needs_upsert_to_change_it(apps: Apps) -> None:
    path = apps.write_file(application("web"))
    assert apps.run("create", "-f", path).exit_code == 0
    again = apps.run("create", "-f", path)
    assert lines(again.stdout) == ["application 'web' unchanged"]

    changed = apps.write_file(application("web", project="shop"))
    refused = apps.run("create", "-f", changed)
    assert refused.exit_code == 1
    assert lines(refused.stderr) == [
        "error: app web: existing application spec is different, use upsert flag to force update"
    ]
    upserted = apps.run("create", "-f", changed, "--upsert")
    assert lines(upserted.stdout) == ["application 'web' updated"]
    assert apps.get("web")["spec"]["project"] == "shop"


def test_create_refuses_an_invalid_spec_in_one_line(apps: Apps) -> None:
    broken = application("web", destination={"server": "https://a", "name": "b"})
    result = apps.run("create", "-f", apps.write_file(broken))
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        "error: app web: application destination can't have both name and server defined: "
        "b https://a"
    ]


def test_get_prints_summary_conditions_operation_and_resource_tree(apps: Apps) -> None:
    apps.create("web")
    apps.patch(
        "web",
        {
            "status": {
                "sync": {"status": "Synced", "revision": "1a2b3c4d5e6f7a8b"},
                "health": {"status": "Degraded", "message": "Caused by apps/Deployment:shop/web"},
                "conditions": [
                    {
                        "type": "SharedResourceWarning",
                        "message": "ConfigMap/settings is part of other",
                        "lastTransitionTime": "2026-01-01T10:00:00Z",
                    }
                ],
                "operationState": {
                    "operation": {"sync": {}},
                    "phase": "Succeeded",
                    "message": "successfully synced (all tasks run)",
                    "startedAt": "2026-01-01T10:00:00Z",
                    "finishedAt": "2026-01-01T10:00:07Z",
                    "syncResult": {
                        "revision": "1a2b3c4d5e6f7a8b",
                        "resources": [
                            {
                                "kind": "Pod",
                                "namespace": "shop",
                                "name": "migrate",
                                "status": "Synced",
                                "hookType": "PreSync",
                                "hookPhase": "Succeeded",
                                "message": "job completed",
                            }
                        ],
                    },
                },
                "resources": [
                    {
                        "group": "apps",
                        "version": "v1",
                        "kind": "Deployment",
                        "namespace": "shop",
                        "name": "web",
                        "status": "Synced",
                        "health": {"status": "Degraded", "message": "no pods"},
                    },
                    {
                        "kind": "ConfigMap",
                        "namespace": "shop",
                        "name": "settings",
                        "status": "Synced",
                    },
                ],
            }
        },
    )
    result = apps.run("get", "web")
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    ns = apps.namespace
    assert out[:13] == [
        f"Name:               {ns}/web",
        "Project:            default",
        "Server:             https://kubernetes.default.svc",
        "Namespace:          shop",
        "Source:",
        f"- Repo:             {REPO}",
        "  Target:           main",
        "  Path:             app",
        "Sync Policy:        Manual",
        "Sync Status:        Synced to main (1a2b3c4)",
        "Health Status:      Degraded (Caused by apps/Deployment:shop/web)",
        "",
        "CONDITION              MESSAGE                              LAST TRANSITION",
    ]
    assert "Phase:              Succeeded" in out
    assert "Duration:           7s" in out
    assert "Message:            successfully synced (all tasks run)" in out
    # Argo CD's layout: a hook's row shows its phase under STATUS and its result under HEALTH.
    assert out[-4:] == [
        "GROUP  KIND        NAMESPACE  NAME      STATUS     HEALTH    HOOK     MESSAGE",
        "       Pod         shop       migrate   Succeeded  Synced    PreSync  job completed",
        "       ConfigMap   shop       settings  Synced",
        "apps   Deployment  shop       web       Synced     Degraded",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("get", "nope"),
        ("history", "nope"),
        ("sync", "nope"),
        ("rollback", "nope"),
        ("wait", "nope"),
        ("set", "nope", "--revision", "v2"),
        ("terminate-op", "nope"),
        ("delete", "nope", "--yes"),
    ],
)
def test_a_missing_app_is_one_line(apps: Apps, args: tuple[str, ...]) -> None:
    result = apps.run(*args)
    assert result.exit_code == 1
    assert lines(result.stderr) == [f"error: app nope: not found in namespace {apps.namespace}"]
    assert result.stdout == ""


def test_get_json_is_the_application(apps: Apps) -> None:
    apps.create("web")
    result = apps.run("get", "web", "-o", "json")
    assert json.loads(result.stdout)["spec"]["source"]["repoURL"] == REPO


@pytest.mark.parametrize(("flag", "level"), [("--refresh", "normal"), ("--hard-refresh", "hard")])
def test_get_refresh_waits_for_the_controller_to_reconcile(
    apps: Apps, flag: str, level: str
) -> None:
    apps.create("web")
    apps.patch("web", {"status": {"reconciledAt": "2026-01-01T09:00:00Z"}})
    seen: list[str] = []

    def reconcile(apps: Apps, app: Json) -> None:
        seen.append(app["metadata"]["annotations"][REFRESH])
        time.sleep(0.3)
        apps.patch(
            "web",
            {
                "metadata": {"annotations": {REFRESH: None}},
                "status": {"reconciledAt": "2026-01-01T10:00:00Z", "sync": {"status": "Synced"}},
            },
        )

    def asked(app: Json) -> bool:
        return REFRESH in ((app.get("metadata") or {}).get("annotations") or {})

    with apps.controller("web", reconcile, when=asked):
        result = apps.run("get", "web", flag, "--timeout", "20")
    assert result.exit_code == 0, result.output
    assert seen == [level]
    assert "Sync Status:        Synced to main" in lines(result.stdout)


def test_get_refresh_without_a_controller_times_out(apps: Apps) -> None:
    apps.create("web")
    result = apps.run("get", "web", "--refresh", "--timeout", "1")
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        "error: app web: timed out after 1s waiting for the refresh (is the controller running?)"
    ]


def test_history_lists_deployments_per_source(apps: Apps) -> None:
    apps.create("web")
    apps.patch("web", {"status": {"history": HISTORY}})
    result = apps.run("history", "web")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        f"SOURCE  {REPO}",
        "ID  DATE                  REVISION        PATH",
        "0   2026-01-01T10:00:00Z  main (aaaaaaa)  app",
        "1   2026-01-02T10:00:00Z  main (bbbbbbb)  app",
        "2   2026-01-03T10:00:00Z  v2 (ccccccc)    app-v2",
    ]
    as_json = apps.run("history", "web", "-o", "json")
    assert json.loads(as_json.stdout) == HISTORY


# -- set ----------------------------------------------------------------------------------

BASE = application("web")["spec"]


@pytest.mark.parametrize(
    ("args", "changes"),
    [
        (("--revision", "v2"), {"source": {**BASE["source"], "targetRevision": "v2"}}),
        (
            ("--path", "other", "--repo", "https://git.example/other.git"),
            {
                "source": {
                    **BASE["source"],
                    "path": "other",
                    "repoURL": "https://git.example/other.git",
                }
            },
        ),
        (
            ("--dest-namespace", "prod", "--project", "shop"),
            {"destination": {**BASE["destination"], "namespace": "prod"}, "project": "shop"},
        ),
        (
            ("--sync-policy", "automated", "--self-heal", "--auto-prune"),
            {"syncPolicy": {"automated": {"selfHeal": True, "prune": True}}},
        ),
        (
            ("--sync-option", "CreateNamespace=true", "--sync-option", "ServerSideApply=true"),
            {"syncPolicy": {"syncOptions": ["CreateNamespace=true", "ServerSideApply=true"]}},
        ),
        (
            ("--helm-set", "replicas=3", "--values", "prod.yaml", "--values", "eu.yaml"),
            {
                "source": {
                    **BASE["source"],
                    "helm": {
                        "parameters": [{"name": "replicas", "value": "3"}],
                        "valueFiles": ["prod.yaml", "eu.yaml"],
                    },
                }
            },
        ),
    ],
)
def test_set_patches_the_spec(apps: Apps, args: tuple[str, ...], changes: Json) -> None:
    apps.create("web")
    result = apps.run("set", "web", *args)
    assert result.exit_code == 0, result.output
    assert apps.get("web")["spec"] == {**BASE, **changes}


def test_set_sync_policy_none_turns_automation_off(apps: Apps) -> None:
    apps.create(
        "web",
        syncPolicy={"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]},
    )
    assert apps.run("set", "web", "--sync-policy", "none").exit_code == 0
    assert apps.get("web")["spec"]["syncPolicy"] == {"syncOptions": ["CreateNamespace=true"]}
    assert apps.run("set", "web", "--sync-option", "!CreateNamespace=true").exit_code == 0
    assert "syncPolicy" not in apps.get("web")["spec"]


def test_set_changes_one_source_of_a_multi_source_app(apps: Apps) -> None:
    second = {"repoURL": "https://git.example/values.git", "targetRevision": "main", "ref": "v"}
    apps.create("web", source=None, sources=[BASE["source"], second])
    refused = apps.run("set", "web", "--revision", "v2")
    assert refused.exit_code == 1
    assert lines(refused.stderr) == [
        "error: app web: Source position should be specified and must be greater than 0 for "
        "applications with multiple sources"
    ]
    assert apps.run("set", "web", "--revision", "v2", "--source-position", "2").exit_code == 0
    assert [s["targetRevision"] for s in apps.get("web")["spec"]["sources"]] == ["main", "v2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--self-heal",),
            "app web: Cannot set --self-heal: application not configured with automatic sync",
        ),
        ((), "app web: set at least one option to update"),
        (
            ("--dest-name", "prod"),
            "app web: application destination can't have both name and server defined: prod "
            "https://kubernetes.default.svc",
        ),
        (
            ("--helm-set", "replicas"),
            "--helm-set 'replicas': Expected helm parameter of the form: param=value. "
            "Received: replicas",
        ),
    ],
)
def test_set_refusals(apps: Apps, args: tuple[str, ...], message: str) -> None:
    apps.create("web")
    result = apps.run("set", "web", *args)
    assert result.exit_code == 1
    assert lines(result.stderr) == [f"error: {message}"]
    assert apps.get("web")["spec"] == BASE


# -- sync ---------------------------------------------------------------------------------

USER = getpass.getuser()
LIVE = [
    {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
    {"version": "v1", "kind": "Service", "namespace": "shop", "name": "web"},
    {"version": "v1", "kind": "ConfigMap", "namespace": "shop", "name": "settings"},
]
DEPLOYMENT = {"group": "apps", "kind": "Deployment", "name": "web", "namespace": "shop"}
SERVICE = {"kind": "Service", "name": "web", "namespace": "shop"}
CONFIGMAP = {"kind": "ConfigMap", "name": "settings", "namespace": "shop"}
HOOK: Json = {"hook": {}}


@pytest.mark.parametrize(
    ("args", "sync", "retry"),
    [
        ((), {"syncStrategy": HOOK}, None),
        (("--prune",), {"prune": True, "syncStrategy": HOOK}, None),
        (("--revision", "v2"), {"revision": "v2", "syncStrategy": HOOK}, None),
        (("--strategy", "apply"), {"syncStrategy": {"apply": {}}}, None),
        (("--strategy", "apply", "--force"), {"syncStrategy": {"apply": {"force": True}}}, None),
        (("--force",), {"syncStrategy": {"hook": {"force": True}}}, None),
        (
            ("--resource", "apps:Deployment:web"),
            {"syncStrategy": HOOK, "resources": [DEPLOYMENT]},
            None,
        ),
        (
            ("--resource", "!apps:Deployment:web"),
            {"syncStrategy": HOOK, "resources": [SERVICE, CONFIGMAP]},
            None,
        ),
        (
            ("--resource", "*:*:web", "--resource", "!:Service:*"),
            {"syncStrategy": HOOK, "resources": [DEPLOYMENT]},
            None,
        ),
        (
            ("--resource", ":*:shop/*"),
            {"syncStrategy": HOOK, "resources": [SERVICE, CONFIGMAP]},
            None,
        ),
        (
            ("--sync-option", "Replace=true", "--sync-option", "ServerSideApply=true"),
            {"syncStrategy": HOOK, "syncOptions": ["Replace=true", "ServerSideApply=true"]},
            None,
        ),
        (
            ("--retry-limit", "3"),
            {"syncStrategy": HOOK},
            {"limit": 3, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m0s"}},
        ),
        (
            (
                "--retry-limit",
                "-1",
                "--retry-backoff-duration",
                "90s",
                "--retry-backoff-max-duration",
                "1h",
                "--retry-backoff-factor",
                "3",
            ),
            {"syncStrategy": HOOK},
            {"limit": -1, "backoff": {"duration": "1m30s", "factor": 3, "maxDuration": "1h0m0s"}},
        ),
        (
            ("--prune", "--revision", "v3", "--strategy", "apply"),
            {"revision": "v3", "prune": True, "syncStrategy": {"apply": {}}},
            None,
        ),
    ],
)
def test_sync_writes_the_operation_argocd_writes(
    apps: Apps, args: tuple[str, ...], sync: Json, retry: Json | None
) -> None:
    apps.create("web")
    apps.patch("web", {"status": {"resources": LIVE, "operationState": {"phase": "Failed"}}})
    started = time.monotonic()
    result = apps.run("sync", "web", "--async", *args)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10
    assert lines(result.stdout) == ["application 'web' sync requested"]
    app = apps.get("web")
    expected: Json = {"sync": sync, "initiatedBy": {"username": USER}}
    if retry:
        expected["retry"] = retry
    assert app["operation"] == expected
    assert "operationState" not in app["status"]


def test_sync_takes_options_and_retry_from_the_spec_unless_given(apps: Apps) -> None:
    retry = {"limit": 2, "backoff": {"duration": "10s"}}
    apps.create("web", syncPolicy={"syncOptions": ["CreateNamespace=true"], "retry": retry})
    assert apps.run("sync", "web", "--async").exit_code == 0
    assert apps.get("web")["operation"]["sync"]["syncOptions"] == ["CreateNamespace=true"]
    assert apps.get("web")["operation"]["retry"] == retry

    apps.patch("web", {"operation": None})
    assert apps.run("sync", "web", "--async", "--sync-option", "Validate=false").exit_code == 0
    assert apps.get("web")["operation"]["sync"]["syncOptions"] == ["Validate=false"]


AUTO = {"automated": {"prune": True}}


@pytest.mark.parametrize(
    ("spec", "status", "args", "message"),
    [
        (
            {"syncPolicy": AUTO},
            {},
            ("--revision", "v2"),
            "app web: Cannot sync to v2: auto-sync currently set to main",
        ),
        (
            {"syncPolicy": AUTO, "source": {**BASE["source"], "targetRevision": ""}},
            {},
            ("--revision", "v2"),
            "app web: Cannot sync to v2: auto-sync currently set to ",
        ),
        (
            {},
            {"resources": LIVE},
            ("--resource", "apps:Deployment:nope"),
            ("app web: No matching app resources found for resource filter: apps:Deployment:nope"),
        ),
        (
            {},
            {"operationState": {"phase": "Running"}},
            (),
            ("app web: another operation is already in progress"),
        ),
    ],
)
def test_sync_refusals(
    apps: Apps, spec: Json, status: Json, args: tuple[str, ...], message: str
) -> None:
    apps.create("web", **spec)
    apps.patch("web", {"status": status})
    result = apps.run("sync", "web", "--async", *args)
    assert result.exit_code == 1
    assert result.stderr == f"error: {message}\n"
    assert "operation" not in apps.get("web")


@pytest.mark.parametrize("args", [("--revision", "main")])
def test_sync_of_an_auto_synced_app_may_name_its_target(apps: Apps, args: tuple[str, ...]) -> None:
    apps.create("web", syncPolicy=AUTO)
    assert apps.run("sync", "web", "--async", *args).exit_code == 0


def test_sync_refuses_while_an_operation_is_set(apps: Apps) -> None:
    apps.create("web")
    assert apps.run("sync", "web", "--async").exit_code == 0
    again = apps.run("sync", "web", "--async", "--prune")
    assert again.exit_code == 1
    assert lines(again.stderr) == ["error: app web: another operation is already in progress"]
    assert "prune" not in apps.get("web")["operation"]["sync"]


def test_sync_refuses_an_app_being_deleted(apps: Apps) -> None:
    app = application("web")
    app["metadata"]["finalizers"] = ["test.gitferry.io/hold"]
    assert apps.run("create", "-f", apps.write_file(app)).exit_code == 0
    with apps.cluster.http() as api:
        api.delete(apps.path("web")).raise_for_status()
    result = apps.run("sync", "web")
    assert result.exit_code == 1
    assert lines(result.stderr) == ["error: app web: application is deleting"]


def test_sync_follows_the_operation_and_exits_0_when_it_succeeds(apps: Apps) -> None:
    apps.create("web")
    with apps.controller("web", lambda apps, app: finish(apps, "web", "Succeeded")):
        result = apps.run("sync", "web", "--timeout", "30")
    assert result.exit_code == 0, result.output
    out = result.stdout
    # One line per change without a terminal: the operation, then each resource result.
    assert re.search(r"  operation Pending\n", out)
    assert "  operation Running: waiting for healthy state of apps/Deployment/web\n" in out
    assert "  Deployment  shop/web  Synced  Running  deployment.apps/web configured\n" in out
    assert "  Deployment  shop/web  Synced  Succeeded  deployment.apps/web configured\n" in out
    assert "  operation Succeeded: successfully synced (all tasks run)\n" in out
    assert "Phase:              Succeeded" in lines(out)
    assert "Sync Status:        Synced to main (1a2b3c4)" in lines(out)


def test_sync_exits_1_when_the_operation_fails(apps: Apps) -> None:
    apps.create("web")

    def fail(apps: Apps, app: Json) -> None:
        finish(
            apps, "web", "Failed", message="one or more objects failed to apply", sync="OutOfSync"
        )

    with apps.controller("web", fail):
        result = apps.run("sync", "web", "--timeout", "30")
    assert result.exit_code == 1
    assert "Phase:              Failed" in lines(result.stdout)
    assert lines(result.stderr) == [
        "error: app web: Operation has completed with phase: Failed: one or more objects "
        "failed to apply"
    ]


def test_sync_that_leaves_resources_to_prune_exits_1(apps: Apps) -> None:
    apps.create("web")

    def leave_one(apps: Apps, app: Json) -> None:
        skipped = {
            "kind": "ConfigMap",
            "namespace": "shop",
            "name": "old",
            "status": "PruneSkipped",
            "message": "ignored (requires pruning)",
        }
        apps.patch(
            "web",
            {
                "operation": None,
                "status": {
                    "operationState": {
                        "operation": app["operation"],
                        "phase": "Succeeded",
                        "startedAt": "2026-01-01T10:00:00Z",
                        "finishedAt": "2026-01-01T10:00:01Z",
                        "syncResult": {"revision": "abc", "resources": [skipped]},
                    },
                    "sync": {"status": "OutOfSync"},
                    "reconciledAt": "2026-01-01T10:00:02Z",
                },
            },
        )

    with apps.controller("web", leave_one):
        result = apps.run("sync", "web", "--timeout", "30")
    assert result.exit_code == 1
    assert lines(result.stderr) == ["error: app web: 1 resources require pruning"]


def test_sync_gives_up_after_the_timeout(apps: Apps) -> None:
    apps.create("web")
    result = apps.run("sync", "web", "--timeout", "1")
    assert result.exit_code == 1
    assert lines(result.stderr) == ["error: app web: timed out after 1s waiting for the sync"]


def test_sync_json_output_is_the_final_application(apps: Apps) -> None:
    apps.create("web")
    with apps.controller("web", lambda apps, app: finish(apps, "web", "Succeeded")):
        result = apps.run("sync", "web", "--timeout", "30", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"]["operationState"]["phase"] == "Succeeded"


# -- rollback -----------------------------------------------------------------------------


def test_rollback_defaults_to_the_previous_deployment(apps: Apps) -> None:
    apps.create("web", syncPolicy={"syncOptions": ["CreateNamespace=true"]})
    apps.patch("web", {"status": {"history": HISTORY}})
    result = apps.run("rollback", "web", "--async")
    assert result.exit_code == 0, result.output
    assert apps.get("web")["operation"] == {
        "sync": {
            "revision": "b" * 40,
            "source": HISTORY[1]["source"],
            "syncOptions": ["CreateNamespace=true"],
            "syncStrategy": {"apply": {}},
        },
        "initiatedBy": {"username": USER},
    }


def test_rollback_to_an_id_with_prune_and_dry_run(apps: Apps) -> None:
    apps.create("web")
    apps.patch("web", {"status": {"history": HISTORY}})
    assert apps.run("rollback", "web", "0", "--prune", "--dry-run", "--async").exit_code == 0
    assert apps.get("web")["operation"]["sync"] == {
        "revision": "a" * 40,
        "source": HISTORY[0]["source"],
        "prune": True,
        "dryRun": True,
        "syncStrategy": {"apply": {}},
    }


@pytest.mark.parametrize(
    ("spec", "history", "args", "message"),
    [
        (
            {"syncPolicy": AUTO},
            HISTORY,
            ("1",),
            "app web: rollback cannot be initiated when auto-sync is enabled",
        ),
        ({}, HISTORY, ("7",), "application {ns}/web does not have deployment with id 7"),
        (
            {},
            HISTORY[:1],
            (),
            "app web: Application 'web' should have at least two successful deployments",
        ),
        (
            {},
            [{"id": 0, "revision": "abc"}, {"id": 1, "revision": "def"}],
            ("0",),
            "app web: cannot rollback to revision deployed with Argo CD v0.11 or lower. sync to "
            "revision instead.",
        ),
    ],
)
def test_rollback_refusals(
    apps: Apps, spec: Json, history: list[Json], args: tuple[str, ...], message: str
) -> None:
    apps.create("web", **spec)
    apps.patch("web", {"status": {"history": history}})
    result = apps.run("rollback", "web", *args, "--async")
    assert result.exit_code == 1
    assert lines(result.stderr) == ["error: " + message.format(ns=apps.namespace)]
    assert "operation" not in apps.get("web")


def test_rollback_follows_the_operation_like_sync(apps: Apps) -> None:
    apps.create("web")
    apps.patch("web", {"status": {"history": HISTORY}})

    def rolled_back(apps: Apps, app: Json) -> None:
        # The spec still names main, so the app is OutOfSync after a rollback (reference 7.2).
        finish(apps, "web", "Succeeded", sync="OutOfSync")

    with apps.controller("web", rolled_back):
        result = apps.run("rollback", "web", "--timeout", "30")
    assert result.exit_code == 0, result.output
    assert "Phase:              Succeeded" in lines(result.stdout)


# -- delete -------------------------------------------------------------------------------

FINALIZER = "resources-finalizer.argocd.argoproj.io"
HOLD = "test.gitferry.io/hold"  # keeps the deleted object readable (no controller runs here)


@pytest.mark.parametrize(
    ("before", "args", "after"),
    [
        ([HOLD], (), [HOLD, FINALIZER]),
        ([HOLD], ("--cascade",), [HOLD, FINALIZER]),
        ([HOLD], ("--propagation-policy", "foreground"), [HOLD, f"{FINALIZER}/foreground"]),
        ([HOLD], ("-p", "background"), [HOLD, f"{FINALIZER}/background"]),
        ([HOLD, f"{FINALIZER}/background"], (), [HOLD, f"{FINALIZER}/background"]),
        ([HOLD, FINALIZER], ("-p", "background"), [HOLD, f"{FINALIZER}/background"]),
        ([HOLD, f"{FINALIZER}/background"], ("--no-cascade",), [HOLD]),
    ],
)
def test_delete_sets_the_cascade_finalizers_then_deletes(
    apps: Apps, before: list[str], args: tuple[str, ...], after: list[str]
) -> None:
    app = application("web")
    app["metadata"]["finalizers"] = before
    assert apps.run("create", "-f", apps.write_file(app)).exit_code == 0
    result = apps.run("delete", "web", *args)
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == ["application 'web' deleted"]
    deleted = apps.get("web")
    assert deleted["metadata"]["deletionTimestamp"]
    assert deleted["metadata"]["finalizers"] == after


def test_delete_without_cascade_removes_the_app_at_once(apps: Apps) -> None:
    app = application("web")
    app["metadata"]["finalizers"] = [FINALIZER]
    assert apps.run("create", "-f", apps.write_file(app)).exit_code == 0
    assert apps.run("delete", "web", "--no-cascade").exit_code == 0
    assert not apps.exists("web")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--no-cascade", "-p", "foreground"),
            "app web: cannot set propagation policy when cascading is disabled",
        ),
        (("-p", "orphan"), "app web: invalid propagation policy: orphan"),
    ],
)
def test_delete_refusals(apps: Apps, args: tuple[str, ...], message: str) -> None:
    apps.create("web")
    result = apps.run("delete", "web", *args)
    assert result.exit_code == 1
    assert lines(result.stderr) == [f"error: {message}"]
    assert apps.exists("web")


# -- terminate-op and wait ----------------------------------------------------------------


def test_terminate_op_marks_the_running_operation_terminating(apps: Apps) -> None:
    apps.create("web")
    assert apps.run("sync", "web", "--async").exit_code == 0
    apps.patch("web", {"status": {"operationState": {"phase": "Running", "message": "wave 1"}}})
    result = apps.run("terminate-op", "web")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == ["Application 'web' operation terminating"]
    app = apps.get("web")
    assert app["status"]["operationState"] == {"phase": "Terminating", "message": "wave 1"}
    assert app["operation"]


def test_terminate_op_without_an_operation(apps: Apps) -> None:
    apps.create("web")
    result = apps.run("terminate-op", "web")
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        "error: app web: Unable to terminate operation. No operation is in progress"
    ]


SYNCED_HEALTHY = {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}


def test_wait_returns_at_once_when_the_app_is_ready(apps: Apps) -> None:
    apps.create("web")
    apps.patch("web", {"status": SYNCED_HEALTHY})
    result = apps.run("wait", "web", "--timeout", "5")
    assert result.exit_code == 0, result.output
    assert "Health Status:      Healthy" in lines(result.stdout)


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            (),
            {"sync": {"status": "OutOfSync"}, "health": {"status": "Healthy"}},
            "waiting for Synced, Healthy and no operation in progress "
            "(sync OutOfSync, health Healthy, operation none)",
        ),
        (
            ("--health",),
            {"sync": {"status": "Synced"}, "health": {"status": "Progressing"}},
            "waiting for Healthy (sync Synced, health Progressing, operation none)",
        ),
        (
            ("--operation", "--sync"),
            {**SYNCED_HEALTHY, "operationState": {"phase": "Running"}},
            "waiting for Synced and no operation in progress "
            "(sync Synced, health Healthy, operation Running)",
        ),
    ],
)
def test_wait_times_out_with_one_line(
    apps: Apps, args: tuple[str, ...], status: Json, message: str
) -> None:
    apps.create("web")
    apps.patch("web", {"status": status})
    result = apps.run("wait", "web", "--timeout", "1", *args)
    assert result.exit_code == 1
    assert lines(result.stderr) == [f"error: app web: timed out after 1s {message}"]


def test_wait_only_for_what_is_asked(apps: Apps) -> None:
    apps.create("web")
    apps.patch(
        "web", {"status": {"sync": {"status": "OutOfSync"}, "health": {"status": "Healthy"}}}
    )
    assert apps.run("wait", "web", "--health", "--timeout", "5").exit_code == 0


def test_wait_follows_the_app_until_it_is_ready(apps: Apps) -> None:
    apps.create("web")
    apps.patch(
        "web", {"status": {"sync": {"status": "OutOfSync"}, "health": {"status": "Missing"}}}
    )

    def converge(apps: Apps, app: Json) -> None:
        time.sleep(0.3)
        apps.patch("web", {"status": {"health": {"status": "Progressing"}}})
        time.sleep(0.2)
        apps.patch("web", {"status": SYNCED_HEALTHY})

    with apps.controller("web", converge, when=lambda app: True):
        result = apps.run("wait", "web", "--timeout", "20")
    assert result.exit_code == 0, result.output
    updates = [line.split("  ", 1)[1] for line in lines(result.stdout) if "  app web: " in line]
    assert updates == [
        "app web: sync OutOfSync, health Missing, operation none",
        "app web: sync OutOfSync, health Progressing, operation none",
        "app web: sync Synced, health Healthy, operation none",
    ]
