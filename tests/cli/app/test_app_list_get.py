"""`gitferry app create`, `list` and `get` against the embedded cluster: Argo CD's list
columns and filters, the `get` summary, conditions, operation and resource tree, `--refresh`
waiting for a (stand-in) controller, and the one-line error every command gives for a missing
app."""

from __future__ import annotations

import json
import time

import pytest

from tests.cli.app.app_cli import REPO, Apps, Json, application, columns, lines

REFRESH = "argocd.argoproj.io/refresh"

pytestmark = pytest.mark.e2e


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
