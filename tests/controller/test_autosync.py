"""Automated sync decisions, table-driven from reference sections 2.2 to 2.4."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gitferry.controller.autosync import AutoSyncInputs, _self_heal_remaining, decide

NOW = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
SOURCE = {"repoURL": "https://git.example/repo.git", "path": "app", "targetRevision": "main"}


def app(
    automated: dict[str, Any] | None = None,
    *,
    operation: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    deleting: bool = False,
    retry: dict[str, Any] | None = None,
) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    if automated is not None:
        policy["automated"] = automated
    if retry is not None:
        policy["retry"] = retry
    obj: dict[str, Any] = {
        "metadata": {"name": "a", "namespace": "argocd"},
        "spec": {"source": SOURCE, "syncPolicy": policy},
        "status": {},
    }
    if operation:
        obj["operation"] = operation
    if state:
        obj["status"]["operationState"] = state
    if deleting:
        obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return obj


OUT = [{"group": "", "kind": "ConfigMap", "namespace": "x", "name": "c", "status": "OutOfSync"}]
PRUNE_ONLY = [
    {
        "group": "",
        "kind": "ConfigMap",
        "namespace": "x",
        "name": "c",
        "status": "OutOfSync",
        "requiresPruning": True,
    }
]


def state(
    phase: str,
    revision: str = "abc",
    finished: str = "2026-01-01T11:59:00Z",
    attempts: int = 0,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "phase": phase,
        "message": "boom" if phase != "Succeeded" else "successfully synced",
        "finishedAt": finished,
        "operation": {"sync": {"autoHealAttemptsCount": attempts}},
        "syncResult": {"revision": revision, "source": source or SOURCE},
    }


CASES = [
    ("auto-sync off", app(None), "OutOfSync", OUT, None, None),
    ("enabled false", app({"enabled": False}), "OutOfSync", OUT, None, None),
    ("operation in progress", app({}, operation={"sync": {}}), "OutOfSync", OUT, None, None),
    ("being deleted", app({}, deleting=True), "OutOfSync", OUT, None, None),
    ("already synced", app({}), "Synced", [], None, None),
    ("unknown status", app({}), "Unknown", OUT, None, None),
    ("prune-only drift without prune", app({}), "OutOfSync", PRUNE_ONLY, None, None),
    ("new revision syncs", app({}), "OutOfSync", OUT, "sync", None),
    (
        "failed attempt at the same revision is not retried",
        app({}, state=state("Failed")),
        "OutOfSync",
        OUT,
        None,
        "Failed last sync attempt to [abc]: boom",
    ),
    (
        "failed attempt at an older revision: new commit syncs",
        app({}, state=state("Failed", revision="old")),
        "OutOfSync",
        OUT,
        "sync",
        None,
    ),
    (
        "a changed source makes the same revision eligible",
        app({}, state=state("Failed", source={**SOURCE, "path": "other"})),
        "OutOfSync",
        OUT,
        "sync",
        None,
    ),
    (
        "succeeded without self-heal",
        app({}, state=state("Succeeded")),
        "OutOfSync",
        OUT,
        None,
        None,
    ),
    (
        "self-heal after success",
        app({"selfHeal": True}, state=state("Succeeded")),
        "OutOfSync",
        OUT,
        "sync",
        None,
    ),
    (
        "empty-app guard",
        app({"prune": True}),
        "OutOfSync",
        PRUNE_ONLY,
        None,
        "Skipping sync attempt to [abc]: auto-sync will wipe out all resources",
    ),
    (
        "allowEmpty lets it prune everything",
        app({"prune": True, "allowEmpty": True}),
        "OutOfSync",
        PRUNE_ONLY,
        "sync",
        None,
    ),
]


@pytest.mark.parametrize(
    ("obj", "status", "resources", "expect", "error"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_autosync_decision(
    obj: dict[str, Any],
    status: str,
    resources: list[dict[str, Any]],
    expect: str | None,
    error: str | None,
) -> None:
    decision = decide(
        AutoSyncInputs(app=obj, sync_status=status, revisions=["abc"], resources=resources, now=NOW)
    )
    assert (decision.operation is not None) == (expect == "sync"), decision.reason
    assert decision.error == error


def test_automated_operation_fields() -> None:
    decision = decide(
        AutoSyncInputs(
            app=app({"prune": True}),
            sync_status="OutOfSync",
            revisions=["abc"],
            resources=OUT,
            now=NOW,
        )
    )
    assert decision.operation == {
        "sync": {"prune": True, "revision": "abc", "source": SOURCE},
        "initiatedBy": {"automated": True},
        "retry": {"limit": 5},
    }
    assert decision.reason == "Initiated automated sync to 'abc'"


def test_self_heal_is_a_selective_sync_of_what_is_not_synced() -> None:
    decision = decide(
        AutoSyncInputs(
            app=app({"selfHeal": True}, state=state("Succeeded", attempts=0)),
            sync_status="OutOfSync",
            revisions=["abc"],
            resources=OUT,
            now=NOW,
        )
    )
    assert decision.operation is not None
    assert decision.operation["sync"]["resources"] == [
        {"group": "", "kind": "ConfigMap", "name": "c", "namespace": "x"}
    ]
    assert decision.operation["sync"]["autoHealAttemptsCount"] == 1


@pytest.mark.parametrize(
    ("attempts", "finished_ago", "remaining"),
    [
        (0, 0, 0),
        (1, 0, 2),
        (2, 0, 6),
        (3, 0, 18),
        (4, 0, 54),
        (5, 0, 120),
        (6, 0, 120),
        (40, 60, 60),
    ],
)
def test_self_heal_backoff_table(attempts: int, finished_ago: int, remaining: float) -> None:
    finished = (NOW - dt.timedelta(seconds=finished_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    got = _self_heal_remaining({"finishedAt": finished}, attempts, (2.0, 3.0, 120.0), NOW)
    assert got == pytest.approx(remaining)


def test_self_heal_waits_out_the_backoff() -> None:
    recent = state("Succeeded", attempts=2, finished="2026-01-01T11:59:58Z")
    decision = decide(
        AutoSyncInputs(
            app=app({"selfHeal": True}, state=recent),
            sync_status="OutOfSync",
            revisions=["abc"],
            resources=OUT,
            now=NOW,
        )
    )
    assert decision.operation is None
    assert decision.recheck_in == pytest.approx(4.0)  # delay(2) = 2 * 3 = 6 s; 2 s have passed
