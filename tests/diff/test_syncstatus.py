"""Sync status per resource and per app, and the `status.resources[]` entries (reference 4.5,
4.6)."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.diff.compare import ResourceDiff
from gitferry.diff.pairing import Pair
from gitferry.diff.syncstatus import (
    StatusOptions,
    SyncStatusCode,
    requires_confirmation,
    sync_status,
)
from gitferry.model.keys import TrackingMethod

SYNCED, OUT, UNKNOWN = SyncStatusCode.SYNCED, SyncStatusCode.OUT_OF_SYNC, SyncStatusCode.UNKNOWN
SAME = ResourceDiff(False, {}, {})
CHANGED = ResourceDiff(True, {}, {})


def cm(name: str = "cm", namespace: str = "ns") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
    }


def with_annotations(obj: dict[str, Any], **annotations: str) -> dict[str, Any]:
    return {**obj, "metadata": {**obj["metadata"], "annotations": annotations}}


OWN_ID = {"argocd.argoproj.io/tracking-id": "app:/ConfigMap:ns/cm"}
HOOK = {"argocd.argoproj.io/hook": "PostSync"}
SKIP = {"argocd.argoproj.io/hook": "Skip"}
IGNORE_EXTRANEOUS = {"argocd.argoproj.io/compare-options": "IgnoreExtraneous"}
NO_PRUNE = {"argocd.argoproj.io/sync-options": "Prune=false"}


def ann(*maps: dict[str, str]) -> dict[str, Any]:
    merged: dict[str, str] = {}
    for m in maps:
        merged.update(m)
    return {**cm(), "metadata": {**cm()["metadata"], "annotations": merged}}


# id -> (target, live, diff, options, resource status, app status)
CASES: dict[str, tuple[Any, Any, Any, StatusOptions, SyncStatusCode | None, SyncStatusCode]] = {
    "equal: synced": (cm(), cm(), SAME, StatusOptions(), SYNCED, SYNCED),
    "modified: out of sync": (cm(), cm(), CHANGED, StatusOptions(), OUT, OUT),
    "missing live object: out of sync": (cm(), None, CHANGED, StatusOptions(), OUT, OUT),
    "extraneous: out of sync": (None, ann(OWN_ID), SAME, StatusOptions(), OUT, OUT),
    "extraneous with Prune=false is still out of sync": (
        None,
        ann(OWN_ID, NO_PRUNE),
        SAME,
        StatusOptions(),
        OUT,
        OUT,
    ),
    "extraneous with IgnoreExtraneous: resource out of sync, app synced": (
        None,
        ann(OWN_ID, IGNORE_EXTRANEOUS),
        SAME,
        StatusOptions(),
        OUT,
        SYNCED,
    ),
    "IgnoreExtraneous does not hide a modified resource": (
        ann(IGNORE_EXTRANEOUS),
        ann(IGNORE_EXTRANEOUS),
        CHANGED,
        StatusOptions(),
        OUT,
        OUT,
    ),
    "live hook: no status": (None, ann(OWN_ID, HOOK), SAME, StatusOptions(), None, SYNCED),
    "live PreDelete hook: no status": (
        None,
        ann(OWN_ID, {"argocd.argoproj.io/hook": "PreDelete"}),
        SAME,
        StatusOptions(),
        None,
        SYNCED,
    ),
    "skip target: no status": (ann(SKIP), None, CHANGED, StatusOptions(), None, SYNCED),
    "ignored object: no status": (
        None,
        ann({"helm.sh/hook": "test-success"}),
        SAME,
        StatusOptions(),
        None,
        SYNCED,
    ),
    "tracking id of another object: no status": (
        None,
        ann({"argocd.argoproj.io/tracking-id": "app:/ConfigMap:ns/original"}),
        SAME,
        StatusOptions(),
        None,
        SYNCED,
    ),
    "tracking mismatch counts with the label method": (
        None,
        ann({"argocd.argoproj.io/tracking-id": "app:/ConfigMap:ns/original"}),
        SAME,
        StatusOptions(tracking_method=TrackingMethod.LABEL),
        OUT,
        OUT,
    ),
    "not permitted by the project: unknown, the app keeps its status": (
        cm(),
        cm(),
        SAME,
        StatusOptions(is_permitted=lambda g, k, n, namespaced: k != "ConfigMap"),
        UNKNOWN,
        SYNCED,
    ),
    "not permitted and modified: unknown, app out of sync": (
        cm(),
        cm(),
        CHANGED,
        StatusOptions(is_permitted=lambda g, k, n, namespaced: False),
        UNKNOWN,
        OUT,
    ),
    "failed to load: everything unknown": (
        cm(),
        cm(),
        CHANGED,
        StatusOptions(failed_to_load=True),
        UNKNOWN,
        UNKNOWN,
    ),
    "managed namespace metadata changed: app out of sync": (
        cm(),
        cm(),
        SAME,
        StatusOptions(managed_namespace_changed=True),
        SYNCED,
        OUT,
    ),
    "synthetic managed namespace missing: synced": (
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}},
        None,
        CHANGED,
        StatusOptions(managed_namespace="ns"),
        SYNCED,
        SYNCED,
    ),
}


@pytest.mark.parametrize(
    ("tgt", "live", "diff", "options", "status", "app"), CASES.values(), ids=CASES.keys()
)
def test_sync_status_rules(
    tgt: Any,
    live: Any,
    diff: ResourceDiff,
    options: StatusOptions,
    status: SyncStatusCode | None,
    app: SyncStatusCode,
) -> None:
    result = sync_status([(Pair(tgt, live), diff)], [], options)
    assert [entry.status for entry in result.resources] == [status]
    assert result.status is app


def test_no_resources_is_synced() -> None:
    assert sync_status([], []).status is SYNCED


def test_entries_are_sorted_by_their_key_string() -> None:
    objs = [
        {"apiVersion": "apps.x/v1", "kind": "A", "metadata": {"name": "a"}},
        {"apiVersion": "apps/v1", "kind": "A", "metadata": {"name": "a"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b", "namespace": "ns"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "z", "namespace": "ns"}},
    ]
    result = sync_status([(Pair(o, o), SAME) for o in objs], [])
    # "apps.x/" sorts before "apps/" as strings ('.' < '/'), unlike tuples
    assert [str(e.key) for e in result.resources] == [
        "/ConfigMap/ns/z",
        "/Service/ns/b",
        "apps.x/A//a",
        "apps/A//a",
    ]


def test_entry_fields() -> None:
    target = with_annotations(cm(), **{"argocd.argoproj.io/sync-wave": "3"})
    hook_manifest = with_annotations(cm("job"), **HOOK, **{"argocd.argoproj.io/sync-wave": "-2"})
    live_hook = with_annotations(cm("job"), **HOOK)
    result = sync_status(
        [(Pair(target, target), SAME), (Pair(None, live_hook), SAME)], [hook_manifest]
    )
    by_name = {e.name: e for e in result.resources}
    assert by_name["cm"].to_json() == {
        "version": "v1",
        "kind": "ConfigMap",
        "namespace": "ns",
        "name": "cm",
        "status": "Synced",
        "syncWave": 3,
    }
    job = by_name["job"]
    assert job.hook and job.sync_wave == -2 and job.status is None and job.requires_pruning
    assert job.to_json() == {
        "version": "v1",
        "kind": "ConfigMap",
        "namespace": "ns",
        "name": "job",
        "hook": True,
        "requiresPruning": True,
        "syncWave": -2,
    }


def test_wave_comes_from_the_target() -> None:
    target = with_annotations(cm(), **{"argocd.argoproj.io/sync-wave": "3"})
    (entry,) = sync_status([(Pair(target, cm()), SAME)], []).resources
    assert entry.sync_wave == 3 and not entry.requires_pruning


def test_requires_pruning_only_when_self_referencing() -> None:
    foreign = ann({"argocd.argoproj.io/tracking-id": "app:/ConfigMap:ns/original"})
    (entry,) = sync_status([(Pair(None, foreign), SAME)], []).resources
    assert not entry.requires_pruning


CONFIRM = {
    "prune confirm on the object": ({"argocd.argoproj.io/sync-options": "Prune=confirm"}, (), True),
    "delete confirm on the object": (
        {"argocd.argoproj.io/sync-options": "Delete=confirm"},
        (),
        True,
    ),
    "app-level fallback": ({}, ("Prune=confirm",), True),
    "the object's value wins over the app's": (
        {"argocd.argoproj.io/sync-options": "Prune=true"},
        ("Prune=confirm",),
        False,
    ),
    "nothing": ({}, ("Prune=false",), False),
}


@pytest.mark.parametrize(
    ("annotations", "app_options", "expected"), CONFIRM.values(), ids=CONFIRM.keys()
)
def test_requires_deletion_confirmation(
    annotations: dict[str, str], app_options: tuple[str, ...], expected: bool
) -> None:
    assert requires_confirmation(ann(annotations), app_options) is expected


def test_missing_namespace_on_a_namespaced_kind_is_an_invalid_spec() -> None:
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    result = sync_status(
        [(Pair(obj, None), CHANGED)], [], StatusOptions(is_namespaced=lambda g, k: True)
    )
    assert [(c.type, c.message) for c in result.conditions] == [
        ("InvalidSpecError", "Namespace for web apps/v1, Kind=Deployment is missing.")
    ]
