"""The persisted shapes of `gitferry.model.operation` read and write Argo CD's JSON exactly."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from gitferry.model.errors import InvalidSpecError
from gitferry.model.operation import (
    Operation,
    OperationPhase,
    OperationState,
    ResourceResult,
    ResultCode,
    Strategy,
    SyncOperation,
    SyncOperationResource,
    SyncPhase,
)

# As Argo CD writes it (field names and omissions of types.go).
ARGO_STATE = {
    "operation": {
        "sync": {
            "revision": "dddfff3b28ce7b6778667640ba49ba186df4b1da",
            "prune": True,
            "syncStrategy": {"hook": {}},
            "resources": [{"group": "apps", "kind": "Deployment", "name": "web"}],
            "source": {"repoURL": "https://git.example/apps.git", "path": "guestbook"},
            "syncOptions": ["CreateNamespace=true", "PrunePropagationPolicy=background"],
        },
        "initiatedBy": {"username": "admin"},
        "info": [{"name": "Reason", "value": "ConfigMap changed"}],
        "retry": {
            "limit": 5,
            "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"},
            "refresh": True,
        },
    },
    "phase": "Running",
    "message": "waiting for completion of hook batch/Job/migrate",
    "syncResult": {
        "resources": [
            {
                "group": "batch",
                "version": "v1",
                "kind": "Job",
                "namespace": "prod",
                "name": "migrate",
                "status": "Synced",
                "message": "job.batch/migrate serverside-applied",
                "hookType": "PreSync",
                "hookPhase": "Running",
                "syncPhase": "PreSync",
                "images": ["registry.example/migrate:1.2"],
            },
            {
                "group": "",
                "version": "v1",
                "kind": "Service",
                "namespace": "prod",
                "name": "old",
                "status": "PruneSkipped",
                "message": "ignored (requires pruning)",
                "hookPhase": "Succeeded",
                "syncPhase": "Sync",
            },
        ],
        "revision": "dddfff3b28ce7b6778667640ba49ba186df4b1da",
        "source": {"repoURL": "https://git.example/apps.git", "path": "guestbook"},
        "managedNamespaceMetadata": {"labels": {"team": "a"}},
    },
    "startedAt": "2026-03-04T05:06:07Z",
    "retryCount": 1,
}


def test_an_argo_cd_operation_state_round_trips_unchanged() -> None:
    state = OperationState.from_dict(copy.deepcopy(ARGO_STATE))
    assert state.to_dict() == ARGO_STATE
    assert state.phase is OperationPhase.RUNNING
    assert state.started_at == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    sync = state.operation.sync
    assert sync is not None
    assert (sync.strategy, sync.force, sync.prune) == (Strategy.HOOK, False, True)
    assert sync.resources == (SyncOperationResource(kind="Deployment", name="web", group="apps"),)
    assert state.operation.retry.backoff is not None
    assert state.operation.retry.backoff.factor == 2
    hook = state.sync_result.resources[0] if state.sync_result else None
    assert hook is not None
    assert hook.key == "batch/Job/prod/migrate:PreSync"
    assert (hook.status, hook.hook_phase, hook.sync_phase) == (
        ResultCode.SYNCED,
        OperationPhase.RUNNING,
        SyncPhase.PRE_SYNC,
    )


def test_a_minimal_operation_writes_what_go_always_writes() -> None:
    operation = Operation(sync=SyncOperation(revision="abc"))
    assert operation.to_dict() == {
        "sync": {"revision": "abc"},
        "initiatedBy": {},
        "retry": {},
    }
    assert Operation.from_dict(operation.to_dict()) == operation


def test_strategy_and_force() -> None:
    apply = SyncOperation.from_dict({"syncStrategy": {"apply": {"force": True}}})
    assert (apply.strategy, apply.force, apply.skips_hooks) == (Strategy.APPLY, True, True)
    assert apply.to_dict() == {"syncStrategy": {"apply": {"force": True}}}
    assert not SyncOperation().skips_hooks
    selective = SyncOperation(resources=(SyncOperationResource(kind="Pod", name="p"),))
    assert selective.skips_hooks


def test_a_finished_state_writes_finished_at() -> None:
    state = OperationState(
        operation=Operation(),
        phase=OperationPhase.SUCCEEDED,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        finished_at=datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
    )
    written = state.to_dict()
    assert written["finishedAt"] == "2026-01-01T00:01:00Z"
    assert OperationState.from_dict(written) == state
    assert OperationPhase.SUCCEEDED.completed and not OperationPhase.TERMINATING.completed


def test_an_empty_result_status_reads_as_none() -> None:
    result = ResourceResult.from_dict(
        {"kind": "Pod", "name": "p", "status": "", "hookPhase": "Error"}
    )
    assert (result.status, result.hook_phase) == (None, OperationPhase.ERROR)
    assert "status" not in result.to_dict()


@pytest.mark.parametrize(
    "broken",
    [
        {**ARGO_STATE, "phase": "Exploded"},
        {**ARGO_STATE, "startedAt": "yesterday"},
        {**ARGO_STATE, "operation": []},
        {k: v for k, v in ARGO_STATE.items() if k != "startedAt"},
    ],
)
def test_malformed_states_are_refused_with_the_field(broken) -> None:
    with pytest.raises(InvalidSpecError):
        OperationState.from_dict(broken)


def test_selective_sync_resources_match_like_argo_cd() -> None:
    web = SyncOperationResource(kind="Deployment", name="web", group="apps")
    assert web.matches("apps", "Deployment", "prod", "web")
    assert not web.matches("", "Deployment", "prod", "web")
    scoped = SyncOperationResource(kind="Deployment", name="web", group="apps", namespace="dev")
    assert not scoped.matches("apps", "Deployment", "prod", "web")
