"""The controller end to end: a `gitferry controller` process, the embedded cluster, real Git
repositories and Argo CD's example apps (issue 4's acceptance)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitferry.testing.git import GitRepo
from gitferry.testing.platform import Apps, application, unique

pytestmark = pytest.mark.e2e

AUTO = {"prune": True, "selfHeal": True}

EXAMPLES = [
    ("guestbook", "guestbook", {}),
    ("helm-guestbook", "helm-guestbook", {"helm": {"valueFiles": ["values-production.yaml"]}}),
    ("kustomize-guestbook", "kustomize-guestbook", {}),
    ("sock-shop", "sock-shop", {}),
    ("sync-waves", "sync-waves", {}),
    ("pre-post-sync", "pre-post-sync", {}),
    ("helm-hooks", "helm-hooks", {}),
]


@pytest.mark.parametrize(("example", "path", "extra"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_app_becomes_synced_and_healthy(
    apps: Apps, corpus_repo: GitRepo, example: str, path: str, extra: dict[str, Any]
) -> None:
    name = unique(example)
    apps.create(application(name, corpus_repo.url, path, name, automated=AUTO, **extra))
    obj = apps.wait_synced_healthy(name, timeout=120)
    state = obj["status"]["operationState"]
    assert state["phase"] == "Succeeded", state["message"]
    assert obj["status"]["sync"]["revision"] == corpus_repo.head()
    assert obj["status"]["resources"], "the app must list its resources"
    assert all(r.get("status") == "Synced" for r in obj["status"]["resources"] if not r.get("hook"))
    assert obj["status"]["history"][-1]["revision"] == corpus_repo.head()


def _writes(audit_log: str, namespace: str) -> list[tuple[str, str]]:
    """(resource, name) of the first real write of each object in a namespace, in order."""
    seen: list[tuple[str, str]] = []
    for line in audit_log.splitlines():
        event = json.loads(line)
        ref = event.get("objectRef") or {}
        if ref.get("namespace") != namespace or event["verb"] not in ("create", "patch"):
            continue
        if "dryRun" in event["requestURI"] or event["responseStatus"]["code"] >= 300:
            continue
        key = (ref["resource"], ref.get("name", ""))
        if key not in seen:
            seen.append(key)
    return seen


def test_sync_waves_and_hooks_reach_the_cluster_in_argo_cds_order(
    apps: Apps, corpus_repo: GitRepo
) -> None:
    name = unique("waves")
    apps.create(application(name, corpus_repo.url, "sync-waves", name, automated=AUTO))
    apps.wait_synced_healthy(name, timeout=120)
    writes = _writes(apps.cluster.audit_log.read_text(), name)
    expected = [
        ("jobs", "upgrade-sql-schema"),  # PreSync hook (generated name)
        ("services", "backend"),  # wave 0: Service before ReplicaSet (kind order)
        ("replicasets", "backend"),
        ("jobs", "maint-page-up"),  # wave 1 Sync hook
        ("services", "frontend"),  # wave 2
        ("replicasets", "frontend"),
        ("jobs", "maint-page-down"),  # wave 3
    ]
    # The PreSync hook has only generateName: its name is generated from the revision.
    observed = [
        (resource, "upgrade-sql-schema" if obj.startswith("upgrade-sql-schema") else obj)
        for resource, obj in writes
    ]
    assert [entry for entry in observed if entry in expected] == expected, writes
