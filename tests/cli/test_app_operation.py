"""The pure rules behind `gitferry app`: resource filters, deletion finalizers, durations,
the wait conditions, and spec edits (no cluster needed)."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.cli import app_operation, app_selectors, app_spec
from gitferry.model.errors import GitFerryError

RESOURCES = [
    {"group": "apps", "kind": "Deployment", "namespace": "shop", "name": "web"},
    {"group": "", "kind": "Service", "namespace": "shop", "name": "web"},
    {"group": "", "kind": "ConfigMap", "namespace": "shop", "name": "settings"},
    {"group": "", "kind": "Namespace", "namespace": "", "name": "shop"},
]


def app(**status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": "argocd"}, "spec": {}, "status": status}


@pytest.mark.parametrize(
    ("filters", "selected"),
    [
        (("apps:Deployment:web",), ["Deployment/web"]),
        ((":Service:web",), ["Service/web"]),
        (("*:*:web",), ["Deployment/web", "Service/web"]),
        ((":*:*",), ["Service/web", "ConfigMap/settings", "Namespace/shop"]),
        (("!:Service:*",), ["Deployment/web", "ConfigMap/settings", "Namespace/shop"]),
        (("*:*:web", "!apps:*:*"), ["Service/web"]),
        (("apps:Deployment:shop/web",), ["Deployment/web"]),
        (("apps:Deployment:other/web",), []),
        ((":Namespace:*/shop",), ["Namespace/shop"]),
    ],
)
def test_resource_filters_select_like_argocd(filters: tuple[str, ...], selected: list[str]) -> None:
    selectors = app_selectors.parse(filters)
    chosen = app_selectors.select(app(resources=RESOURCES), selectors)
    assert [f"{r['kind']}/{r['name']}" for r in chosen] == selected


def test_selected_resources_leave_out_empty_group_and_namespace() -> None:
    selectors = app_selectors.parse((":Namespace:shop",))
    assert app_selectors.select(app(resources=RESOURCES), selectors) == [
        {"kind": "Namespace", "name": "shop"}
    ]


@pytest.mark.parametrize("text", ["Deployment:web", "a:b:c:d", "apps:Deployment:a/b/c"])
def test_malformed_resource_filters_are_refused(text: str) -> None:
    with pytest.raises(GitFerryError, match="GROUP:KIND"):
        app_selectors.parse((text,))


PLAIN = "resources-finalizer.argocd.argoproj.io"


@pytest.mark.parametrize(
    ("current", "cascade", "policy", "expected"),
    [
        ([], None, None, [PLAIN]),
        ([], True, "foreground", [f"{PLAIN}/foreground"]),
        ([], None, "Background", [f"{PLAIN}/background"]),
        ([f"{PLAIN}/background"], None, None, [f"{PLAIN}/background"]),
        ([PLAIN], None, "background", [f"{PLAIN}/background"]),
        (["keep.example.com", PLAIN], False, None, ["keep.example.com"]),
        ([f"{PLAIN}/foreground", f"{PLAIN}/background"], False, None, []),
    ],
)
def test_deletion_finalizers_follow_cascade_and_policy(
    current: list[str], cascade: bool | None, policy: str | None, expected: list[str]
) -> None:
    obj = {"metadata": {"name": "web", "finalizers": current}}
    found = app_operation.deletion_finalizers(obj, cascade=cascade, propagation_policy=policy)
    assert found == expected


@pytest.mark.parametrize(
    ("cascade", "policy", "message"),
    [
        (False, "foreground", "cannot set propagation policy when cascading is disabled"),
        (None, "orphan", "invalid propagation policy: orphan"),
    ],
)
def test_deletion_finalizer_errors(cascade: bool | None, policy: str, message: str) -> None:
    with pytest.raises(GitFerryError, match=message):
        app_operation.deletion_finalizers(
            {"metadata": {"name": "web"}}, cascade=cascade, propagation_policy=policy
        )


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("5s", "5s"),
        ("3m", "3m0s"),
        ("90s", "1m30s"),
        ("1h", "1h0m0s"),
        ("1.5s", "1.5s"),
        ("500ms", "500ms"),
        ("30", "30s"),
        ("2m30s", "2m30s"),
        ("0s", "0s"),
    ],
)
def test_backoff_durations_are_written_as_go_writes_them(text: str, written: str) -> None:
    assert app_operation.go_duration(text) == written


def test_a_malformed_duration_is_refused() -> None:
    with pytest.raises(GitFerryError, match="not a duration"):
        app_operation.go_duration("5 minutes")


FINISHED = "2026-01-01T10:00:05Z"


@pytest.mark.parametrize(
    ("obj", "in_progress"),
    [
        ({"operation": {"sync": {}}}, True),
        ({"status": {"operationState": {"phase": "Running"}}}, True),
        ({"status": {"operationState": {"phase": "Succeeded", "finishedAt": FINISHED}}}, True),
        (
            {
                "status": {
                    "operationState": {"phase": "Succeeded", "finishedAt": FINISHED},
                    "reconciledAt": "2026-01-01T10:00:04Z",
                }
            },
            True,
        ),
        (
            {
                "status": {
                    "operationState": {"phase": "Failed", "finishedAt": FINISHED},
                    "reconciledAt": FINISHED,
                }
            },
            False,
        ),
        (
            {
                "status": {
                    "operationState": {
                        "phase": "Succeeded",
                        "finishedAt": FINISHED,
                        "operation": {"sync": {"dryRun": True}},
                    }
                }
            },
            False,
        ),
        ({"status": {}}, False),
    ],
)
def test_operation_in_progress_waits_for_the_reconciliation_after_it(
    obj: dict[str, Any], in_progress: bool
) -> None:
    assert app_operation.operation_in_progress(obj) is in_progress


def test_pruning_required_ignores_resources_marked_no_prune() -> None:
    results = [
        {"status": "PruneSkipped", "message": "ignored (requires pruning)"},
        {"status": "PruneSkipped", "message": "ignored (no prune)"},
        {"status": "Synced", "message": "configured"},
    ]
    obj = {"status": {"operationState": {"syncResult": {"resources": results}}}}
    assert app_operation.pruning_required(obj) == 1


SPEC = {
    "project": "default",
    "source": {
        "repoURL": "https://git.example/config.git",
        "path": "app",
        "targetRevision": "main",
    },
    "destination": {"server": "https://kubernetes.default.svc", "namespace": "shop"},
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            app_spec.SpecChange(sync_policy="automated", self_heal=True),
            {"syncPolicy": {"automated": {"selfHeal": True}}},
        ),
        (
            app_spec.SpecChange(sync_options=("CreateNamespace=true", "!Validate=false")),
            {"syncPolicy": {"syncOptions": ["CreateNamespace=true"]}},
        ),
        (
            app_spec.SpecChange(helm_sets=("replicas=3", "image.tag=v2"), values=("prod.yaml",)),
            {
                "source": {
                    **SPEC["source"],
                    "helm": {
                        "parameters": [
                            {"name": "replicas", "value": "3"},
                            {"name": "image.tag", "value": "v2"},
                        ],
                        "valueFiles": ["prod.yaml"],
                    },
                }
            },
        ),
    ],
)
def test_spec_edits(change: app_spec.SpecChange, expected: dict[str, Any]) -> None:
    assert app_spec.edit_spec("web", SPEC, change) == {**SPEC, **expected}


def test_merge_diff_removes_and_replaces() -> None:
    old = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1]}
    new = {"a": 1, "b": {"c": 4}, "e": [2], "f": "x"}
    assert app_spec.merge_diff(old, new) == {"b": {"c": 4, "d": None}, "e": [2], "f": "x"}
