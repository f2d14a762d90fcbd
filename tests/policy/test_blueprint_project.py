"""The blueprint's `applications` AppProject (reference/platform-blueprint.md), read from
the shared reference at test time: it loads, its deny window `0 18-8 * * *` is one clear
error, the apps that window applies to cannot sync while it is invalid, and the others
follow the allow window (Mon-Fri, fires hourly 09:00-17:00 UTC, 8h each)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from gitferry.model.keys import ResourceKey
from gitferry.policy import validation
from gitferry.policy.project import ClusterRef, Project
from gitferry.policy.windows import WindowTarget
from gitferry.testing import blueprint

K8S = "https://kubernetes.default.svc"
PROD = "https://prod-cluster.company.com"


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.parse(
        yaml.safe_load(blueprint.manifest("argocd/projects/applications-project.yaml"))
    )


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)  # 2024-03-04 is a Monday


def test_blueprint_project_loads(project: Project) -> None:
    assert project.name == "applications"
    assert len(project.sync_windows.windows) == 2
    assert [r.name for r in project.roles] == ["developer", "devops", "sre"]
    assert project.orphaned_resources is not None and project.orphaned_resources.warn


def test_deny_window_is_one_error_naming_the_window_and_schedule(project: Project) -> None:
    errors = project.sync_windows.errors
    assert errors == (
        "syncWindows[1] (deny): cannot parse schedule '0 18-8 * * *': "
        "hour: beginning of range (18) beyond end of range (8): 18-8",
    )
    assert validation.problems(project) == list(errors)


@pytest.mark.parametrize(
    "target",
    [
        WindowTarget("production-api", "production", PROD),
        WindowTarget("production-web", "development", K8S),  # by name only (OR)
        WindowTarget("billing", "production", K8S),  # by namespace only
        WindowTarget("billing", "staging", PROD),  # by cluster only
    ],
    ids=["all-selectors", "name", "namespace", "cluster"],
)
@pytest.mark.parametrize("manual", [False, True], ids=["auto", "manual"])
def test_apps_the_invalid_window_applies_to_cannot_sync(
    project: Project, target: WindowTarget, manual: bool
) -> None:
    decision = project.sync_windows.can_sync(target, manual=manual, now=at(6, 12))
    assert not decision.allowed
    assert decision.reason.startswith("invalid sync windows: syncWindows[1] (deny)")
    assert decision.errors == project.sync_windows.errors


WEB = WindowTarget("web", "development", K8S)
# (moment, allowed) for an app only the allow window applies to
ALLOW_CASES = [
    (at(6, 8, 59), False),  # Wed before 09:00, and Tuesday's last window ended at 01:00
    (at(6, 9, 0), False),  # the start second itself
    (at(6, 9, 1), True),
    (at(6, 12), True),
    (at(7, 0, 59), True),  # Wed 17:00 + 8h reaches into Thursday
    (at(7, 1, 0), False),
    (at(9, 0, 30), True),  # Saturday early: Friday's 17:00 window
    (at(9, 12), False),  # Saturday
    (at(10, 12), False),  # Sunday
]


@pytest.mark.parametrize(
    ("moment", "allowed"), ALLOW_CASES, ids=[f"{m:%a %H:%M}" for m, _ in ALLOW_CASES]
)
def test_other_apps_follow_the_allow_window(
    project: Project, moment: datetime, allowed: bool
) -> None:
    decision = project.sync_windows.can_sync(WEB, manual=False, now=moment)
    assert decision.allowed is allowed, decision.reason
    assert not decision.errors


def test_manual_sync_outside_the_allow_window_is_blocked(project: Project) -> None:
    decision = project.sync_windows.can_sync(WEB, manual=True, now=at(9, 12))
    assert not decision.allowed
    assert decision.reason.startswith("blocked by sync window: no allow window active")


def test_blueprint_rules(project: Project) -> None:
    assert project.permits_source("https://github.com/your-org/frontend-apps.git")
    assert project.permits_source("https://ghcr.io/your-org/api")
    assert not project.permits_source("https://github.com/someone-else/app")
    assert project.permits_destination(ClusterRef(server=K8S, name="in-cluster"), "development")
    assert not project.permits_destination(ClusterRef(server=K8S), "production")
    assert project.permits_resource("apps", "Deployment", "web", True)
    assert not project.permits_resource("", "PersistentVolumeClaim", "data", True)
    assert project.permits_resource("", "Namespace", "development", False)
    assert not project.permits_resource("storage.k8s.io", "StorageClass", "fast", False)
    assert project.signature_key_ids("https://github.com/your-org/data-pipelines") == (
        "1234567890ABCDEF",
    )
    assert project.orphan_ignored(ResourceKey("apps", "ReplicaSet", "development", "web-1"))
