"""Hooks in a sync (reference 3.1, 3.2): phases, delete policies (Argo plus Helm, default
BeforeHookCreation) and generated names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitferry.model.operation import SyncPhase
from gitferry.sync import hooks
from gitferry.sync.hooks import DeletePolicy

PHASES = [
    # (annotations, phases)
    ({}, ("Sync",)),
    ({"argocd.argoproj.io/hook": "Skip"}, ()),
    ({"argocd.argoproj.io/hook": "Skip,PreSync"}, ("PreSync",)),
    ({"argocd.argoproj.io/hook": "PostSync, PreSync ,PostSync"}, ("PreSync", "PostSync")),
    ({"argocd.argoproj.io/hook": "SyncFail"}, ("SyncFail",)),
    ({"argocd.argoproj.io/hook": "Garbage"}, ()),
    ({"helm.sh/hook": "pre-install,post-upgrade"}, ("PreSync", "PostSync")),
    ({"helm.sh/hook": "test-success"}, ()),
    ({"helm.sh/hook": "crd-install"}, ("Sync",)),  # not a hook at all
    ({"argocd.argoproj.io/hook": "Sync", "helm.sh/hook": "pre-install"}, ("Sync",)),
]


@pytest.mark.parametrize(("annotations", "expected"), PHASES)
def test_sync_phases(k8s, annotations, expected) -> None:
    obj = k8s.make("Job", "j", None, annotations or None)
    assert tuple(p.value for p in hooks.sync_phases(obj)) == expected


POLICIES = [
    # (argo policy, helm policy, policies)
    (None, None, {"BeforeHookCreation"}),
    ("Garbage", None, {"BeforeHookCreation"}),
    ("HookSucceeded", None, {"HookSucceeded"}),
    ("HookSucceeded,HookFailed", None, {"HookSucceeded", "HookFailed"}),
    (None, "hook-failed", {"HookFailed"}),
    ("HookSucceeded", "before-hook-creation", {"HookSucceeded", "BeforeHookCreation"}),
    (None, "hook-succeeded, garbage", {"HookSucceeded"}),
]


@pytest.mark.parametrize(("argo", "helm", "expected"), POLICIES)
def test_delete_policies(k8s, argo, helm, expected) -> None:
    annotations = {"argocd.argoproj.io/hook": "PreSync"}
    if argo:
        annotations["argocd.argoproj.io/hook-delete-policy"] = argo
    if helm:
        annotations["helm.sh/hook-delete-policy"] = helm
    found = hooks.delete_policies(k8s.make("Job", "j", None, annotations))
    assert found == {DeletePolicy(p) for p in expected}


def test_generated_hook_names() -> None:
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    stamp = int(start.timestamp())
    assert hooks.hook_name("job-", "FooBarBaz", SyncPhase.PRE_SYNC, start) == (
        f"job-foobarb-presync-{stamp}"
    )
    assert hooks.hook_name("job-", "abcdefgh", SyncPhase.SYNC_FAIL, start) == (
        f"job-abcdefg-syncfail-{stamp}"
    )
    assert hooks.hook_name("job-", "1234567", SyncPhase.SYNC, start) == f"job-1234567-sync-{stamp}"
    assert hooks.hook_name("job-", "", SyncPhase.POST_SYNC, start) == f"job--postsync-{stamp}"
