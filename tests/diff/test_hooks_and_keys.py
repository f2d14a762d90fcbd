"""Resource keys, tracking ids and the hook, wave and option annotations (reference section 0,
3.1, 3.3 and 4.7)."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.model import hooks, keys
from gitferry.model.keys import ResourceKey, TrackingMethod


def annotated(**annotations: str) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"annotations": annotations}}


HOOK = "argocd.argoproj.io/hook"
HELM = "helm.sh/hook"

# id -> (annotations, hook types, is_hook, is_skip, is_ignored)
HOOK_CASES: dict[str, tuple[dict[str, str], tuple[str, ...], bool, bool, bool]] = {
    "no annotations: a resource": ({}, (), False, False, False),
    "argo PreSync": ({HOOK: "PreSync"}, ("PreSync",), True, False, False),
    "CSV trimmed, deduplicated": (
        {HOOK: " PreSync , PostSync,PreSync,"},
        ("PreSync", "PostSync"),
        True,
        False,
        False,
    ),
    "Skip alone is not a hook": ({HOOK: "Skip"}, ("Skip",), False, True, False),
    "Skip with another type is a hook": ({HOOK: "Skip,Sync"}, ("Skip", "Sync"), True, False, False),
    "garbage argo value: a hook with no type, ignored": ({HOOK: "Garbage"}, (), True, False, True),
    "empty argo value: still a hook, ignored": ({HOOK: ""}, (), True, False, True),
    "helm pre-install maps to PreSync": ({HELM: "pre-install"}, ("PreSync",), True, False, False),
    "helm post-upgrade maps to PostSync": (
        {HELM: "post-upgrade"},
        ("PostSync",),
        True,
        False,
        False,
    ),
    "helm pre-install,pre-upgrade is one PreSync": (
        {HELM: "pre-install,pre-upgrade"},
        ("PreSync",),
        True,
        False,
        False,
    ),
    "helm test hook is ignored": ({HELM: "test-success"}, (), True, False, True),
    "helm pre-rollback is ignored": ({HELM: "pre-rollback"}, (), True, False, True),
    "helm crd-install is not a hook": ({HELM: "crd-install"}, (), False, False, False),
    "argo types win over helm": (
        {HOOK: "Sync", HELM: "post-install"},
        ("Sync",),
        True,
        False,
        False,
    ),
    "garbage argo falls back to helm types": (
        {HOOK: "Nope", HELM: "post-install"},
        ("PostSync",),
        True,
        False,
        False,
    ),
    "case matters": ({HOOK: "presync"}, (), True, False, True),
}


@pytest.mark.parametrize(
    ("annotations", "types", "is_hook", "is_skip", "is_ignored"),
    HOOK_CASES.values(),
    ids=HOOK_CASES.keys(),
)
def test_hook_identification_follows_argo(
    annotations: dict[str, str],
    types: tuple[str, ...],
    is_hook: bool,
    is_skip: bool,
    is_ignored: bool,
) -> None:
    obj = annotated(**annotations)
    assert hooks.hook_types(obj) == types
    assert hooks.is_hook(obj) is is_hook
    assert hooks.is_skip(obj) is is_skip
    assert hooks.is_ignored(obj) is is_ignored


DELETE_CASES = {
    "argo PreDelete only": ({HOOK: "PreDelete"}, True),
    "helm post-delete only": ({HELM: "post-delete"}, True),
    "PreDelete with a sync phase stays a sync hook": ({HOOK: "PreDelete,PostSync"}, False),
    "no delete type": ({HOOK: "PreSync"}, False),
}


@pytest.mark.parametrize(("annotations", "only"), DELETE_CASES.values(), ids=DELETE_CASES.keys())
def test_delete_hooks_leave_the_targets_unless_they_also_sync(
    annotations: dict[str, str], only: bool
) -> None:
    assert hooks.is_delete_only_hook(annotated(**annotations)) is only


WAVE = "argocd.argoproj.io/sync-wave"
WEIGHT = "helm.sh/hook-weight"
WAVES = {
    "unset": ({}, 0),
    "sync-wave": ({WAVE: "5"}, 5),
    "negative": ({WAVE: "-3"}, -3),
    "plus sign": ({WAVE: "+2"}, 2),
    "spaces are not Atoi": ({WAVE: " 1"}, 0),
    "underscores are not Atoi": ({WAVE: "1_0"}, 0),
    "unicode digits are not Atoi": ({WAVE: "\u0661"}, 0),
    "beyond int64 is not Atoi": ({WAVE: "9223372036854775808"}, 0),
    "helm weight for any object": ({WEIGHT: "4"}, 4),
    "sync-wave wins over weight": ({WAVE: "1", WEIGHT: "4"}, 1),
    "unparseable wave falls back to weight": ({WAVE: "x", WEIGHT: "4"}, 4),
}


@pytest.mark.parametrize(("annotations", "wave"), WAVES.values(), ids=WAVES.keys())
def test_sync_wave_parses_like_go_atoi(annotations: dict[str, str], wave: int) -> None:
    assert hooks.sync_wave(annotated(**annotations)) == wave


def test_options_are_csv_items_matched_exactly() -> None:
    obj = annotated(**{hooks.SYNC_OPTIONS_ANNOTATION: "Prune=false, Delete=confirm,Prune=true"})
    assert hooks.has_option(obj, hooks.SYNC_OPTIONS_ANNOTATION, "Prune=false")
    assert not hooks.has_option(obj, hooks.SYNC_OPTIONS_ANNOTATION, "prune=false")
    assert hooks.option_value(obj, hooks.SYNC_OPTIONS_ANNOTATION, "Prune") == "false"
    assert hooks.option_value(obj, hooks.SYNC_OPTIONS_ANNOTATION, "Replace") is None
    assert hooks.list_option_value([" Prune=confirm", "Prune=false"], "Prune") == "false"


def test_resource_key_string_and_order() -> None:
    key = ResourceKey.of({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"}})
    assert str(key) == "apps/Deployment//w"
    assert str(ResourceKey("", "ConfigMap", "ns", "cm")) == "/ConfigMap/ns/cm"
    assert ResourceKey("", "A", "", "x") < ResourceKey("apps", "A", "", "a")


TRACKING_IDS = {
    "valid": (
        "app:apps/Deployment:prod/web",
        keys.TrackingId("app", "apps", "Deployment", "prod", "web"),
    ),
    "core group": ("app:/ConfigMap:ns/cm", keys.TrackingId("app", "", "ConfigMap", "ns", "cm")),
    "two parts": ("app:apps/Deployment", None),
    "no slash in group/kind": ("app:Deployment:prod/web", None),
    "extra slash in ns/name": ("app:apps/Deployment:prod/web/x", None),
    "colons after the third part stay in the name": (
        "a:/K:ns/n:x",
        keys.TrackingId("a", "", "K", "ns", "n:x"),
    ),
}


@pytest.mark.parametrize(("value", "parsed"), TRACKING_IDS.values(), ids=TRACKING_IDS.keys())
def test_tracking_ids_parse_as_argo(value: str, parsed: keys.TrackingId | None) -> None:
    assert keys.parse_tracking_id(value) == parsed


def test_owner_app_by_tracking_method() -> None:
    obj = {
        "metadata": {
            "labels": {keys.DEFAULT_LABEL_KEY: "by-label"},
            "annotations": {
                keys.TRACKING_ID_ANNOTATION: "by-annotation:/ConfigMap:ns/cm",
                keys.INSTALLATION_ID_ANNOTATION: "one",
            },
        }
    }
    assert keys.owner_app(obj, TrackingMethod.LABEL) == "by-label"
    assert keys.owner_app(obj, TrackingMethod.ANNOTATION) == "by-annotation"
    assert keys.owner_app(obj, TrackingMethod.ANNOTATION_AND_LABEL) == "by-annotation"
    assert keys.owner_app(obj, TrackingMethod.ANNOTATION, installation_id="one") == "by-annotation"
    assert keys.owner_app(obj, TrackingMethod.ANNOTATION, installation_id="two") == ""
