"""The exact messages (reference 3.8, 3.10) and how health becomes task progress (5.6)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gitferry.model.operation import OperationPhase, ResultCode, SyncPhase
from gitferry.sync.progress import (
    Progress,
    confirmation_message,
    failure_message,
    hook_outcome,
    resource_outcome,
    waiting_message,
)
from gitferry.sync.tasks import SyncTask


def pod(name: str) -> SyncTask:
    return SyncTask(
        SyncPhase.SYNC, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}}, None
    )


def hook(name: str) -> SyncTask:
    meta = {"name": name, "annotations": {"argocd.argoproj.io/hook": "Sync"}}
    return SyncTask(SyncPhase.SYNC, {"apiVersion": "v1", "kind": "Pod", "metadata": meta}, None)


WAITING = [
    # (tasks, deletion, message) — Argo CD's Test_setRunningPhase
    ([pod("my-pod")], False, "waiting for healthy state of /Pod/my-pod"),
    (
        [pod("pod-1"), pod("pod-2"), pod("pod-3")],
        False,
        "waiting for healthy state of /Pod/pod-1 and 2 more resources",
    ),
    ([hook("hook-1")], False, "waiting for completion of hook /Pod/hook-1"),
    (
        [hook("hook-1"), hook("hook-2")],
        False,
        "waiting for completion of hook /Pod/hook-1 and 1 more hooks",
    ),
    (
        [pod("pod-1"), hook("hook-1"), pod("pod-2")],
        False,
        "waiting for completion of hook /Pod/hook-1 and 2 more resources",
    ),
    ([pod("my-pod")], True, "waiting for deletion of /Pod/my-pod"),
    (
        [pod("pod-1"), pod("pod-2"), pod("pod-3")],
        True,
        "waiting for deletion of /Pod/pod-1 and 2 more resources",
    ),
    ([hook("hook-1")], True, "waiting for deletion of hook /Pod/hook-1"),
    (
        [hook("hook-1"), hook("hook-2")],
        True,
        "waiting for deletion of hook /Pod/hook-1 and 1 more hooks",
    ),
    (
        [pod("pod-1"), hook("hook-1"), pod("pod-2")],
        True,
        "waiting for deletion of hook /Pod/hook-1 and 2 more resources",
    ),
]


@pytest.mark.parametrize(("tasks", "deletion", "message"), WAITING)
def test_waiting_messages(tasks, deletion, message) -> None:
    assert waiting_message(tasks, deletion=deletion) == message


def test_pruning_confirmation_message() -> None:
    assert confirmation_message([pod("a")]) == "waiting for pruning confirmation of /Pod/a"
    assert confirmation_message([pod("a"), pod("b"), pod("c")]) == (
        "waiting for pruning confirmation of /Pod/a and 2 more resources"
    )


def test_failure_reasons_are_distinct_and_comma_joined() -> None:
    progress = Progress(())
    a, b, c = pod("a"), pod("b"), pod("c")
    progress.record(a, ResultCode.SYNC_FAILED, OperationPhase.FAILED, "namespace not found")
    progress.record(b, ResultCode.SYNC_FAILED, OperationPhase.FAILED, "namespace not found")
    progress.record(c, ResultCode.SYNC_FAILED, OperationPhase.FAILED, "quota exceeded")
    base = "one or more objects failed to apply"
    assert failure_message(base, [], progress) == base
    assert failure_message(base, [a, b], progress) == f"{base}, reason: namespace not found"
    assert failure_message(base, [a, b, c], progress) == (
        f"{base}, reason: namespace not found,quota exceeded"
    )


def test_a_result_keeps_its_last_non_empty_message() -> None:
    progress = Progress(())
    task = pod("a")
    progress.record(task, ResultCode.SYNCED, OperationPhase.RUNNING, "pod/a serverside-applied")
    progress.record(task, ResultCode.SYNCED, OperationPhase.SUCCEEDED, "")
    (result,) = progress.results()
    assert (result.message, result.hook_phase) == (
        "pod/a serverside-applied",
        OperationPhase.SUCCEEDED,
    )


@dataclass(frozen=True)
class H:
    status: str
    message: str = "m"


HOOKS = [
    (None, OperationPhase.SUCCEEDED, "job created"),
    (H("Healthy"), OperationPhase.SUCCEEDED, "m"),
    (H("Degraded"), OperationPhase.FAILED, "m"),
    (H("Unknown"), OperationPhase.FAILED, "m"),
    (H("Progressing"), OperationPhase.RUNNING, "m"),
    (H("Suspended"), OperationPhase.RUNNING, "m"),
]


@pytest.mark.parametrize(("health", "phase", "message"), HOOKS)
def test_hook_progress_from_health(health, phase, message) -> None:
    assert hook_outcome(health, "job") == (phase, message)


RESOURCES = [
    (None, (OperationPhase.SUCCEEDED, "")),
    (H("Healthy"), (OperationPhase.SUCCEEDED, "m")),
    (H("Degraded"), (OperationPhase.FAILED, "m")),
    (H("Progressing"), None),
    (H("Suspended"), None),  # a Suspended resource blocks the next wave
    (H("Missing"), None),
    (H("Unknown"), None),
]


@pytest.mark.parametrize(("health", "outcome"), RESOURCES)
def test_resource_progress_from_health(health, outcome) -> None:
    assert resource_outcome(health) == outcome
