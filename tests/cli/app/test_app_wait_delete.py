"""`gitferry app delete` (the cascade finalizers it sets, and its refusals),
`gitferry app terminate-op`, and `gitferry app wait` (returning at once, timing out with one
line, and following the app until it is ready)."""

from __future__ import annotations

import time

import pytest

from tests.cli.app.app_cli import Apps, Json, application, lines

pytestmark = pytest.mark.e2e

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
