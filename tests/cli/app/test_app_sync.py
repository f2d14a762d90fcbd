"""`gitferry app sync`: the `operation` it writes for each flag (as Argo CD writes it), its
refusals, and following the operation to its end: exit 0 on success, 1 on failure, resources
left to prune, or a timeout."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.cli.app.app_cli import AUTO, BASE, USER, Apps, Json, application, finish, lines

pytestmark = pytest.mark.e2e

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
