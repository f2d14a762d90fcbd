"""Comparing one pair with a server-side dry-run prediction (reference 4.3): what counts as a
difference, what the ignore rules and normalisers hide, and that inputs are never mutated."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitferry.diff import compare, jqpaths
from gitferry.diff.ignore import IgnoreRule, IgnoreRules
from gitferry.diff.settings import CompareSettings
from gitferry.model.keys import TrackingMethod

DEFAULT = IgnoreRules(CompareSettings.from_configmap({}).rules)
TRACKING = "argocd.argoproj.io/tracking-id"


def target(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "prod",
            "annotations": {TRACKING: "app:apps/Deployment:prod/web"},
        },
        "spec": {"replicas": 2, **spec},
    }


def server(manifest: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What the API server shows for `manifest`: server metadata, defaults, status."""
    meta = {
        **manifest["metadata"],
        "uid": "u1",
        "resourceVersion": "9",
        "generation": 3,
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "managedFields": [{"manager": "argocd-controller", "operation": "Apply"}],
    }
    spec = {"revisionHistoryLimit": 10, **manifest["spec"]}
    return {**manifest, "metadata": meta, "spec": spec, "status": {"replicas": 2}, **extra}


LIVE = server(target())

# id -> (target, live, prediction, rules, modified)
CASES: dict[str, tuple[Any, Any, Any, IgnoreRules, bool]] = {
    "the prediction equals live: synced": (target(), LIVE, server(target()), DEFAULT, False),
    "server defaults and status never show": (target(), LIVE, LIVE, DEFAULT, False),
    "a changed field in git": (target(replicas=3), LIVE, server(target(replicas=3)), DEFAULT, True),
    "managedFields timestamps differ but never count": (
        target(),
        LIVE,
        {
            **LIVE,
            "metadata": {**LIVE["metadata"], "managedFields": [{"manager": "x", "time": "later"}]},
        },
        DEFAULT,
        False,
    ),
    "status differs but is ignored by default": (
        target(),
        LIVE,
        {**LIVE, "status": {"replicas": 0}},
        DEFAULT,
        False,
    ),
    "status counts when the status rule is off": (
        target(),
        LIVE,
        {**LIVE, "status": {"replicas": 0}},
        IgnoreRules(
            CompareSettings.from_configmap(
                {"resource.compareoptions": "ignoreResourceStatusField: none"}
            ).rules
        ),
        True,
    ),
    "an ignored pointer hides the difference": (
        target(replicas=3),
        LIVE,
        server(target(replicas=3)),
        IgnoreRules(
            [
                IgnoreRule(group="apps", kind="Deployment", json_pointers=("/spec/replicas",)),
                *DEFAULT.rules,
            ]
        ),
        False,
    ),
    "a rule for another kind does not": (
        target(replicas=3),
        LIVE,
        server(target(replicas=3)),
        IgnoreRules(
            [IgnoreRule(kind="Deployment", json_pointers=("/spec/replicas",)), *DEFAULT.rules]
        ),
        True,
    ),
    "no live object: modified": (target(), None, None, DEFAULT, True),
    "no target (extraneous): not modified": (None, LIVE, None, DEFAULT, False),
    "an integral float is the integer, as Go prints it": (
        target(replicas=2),
        LIVE,
        server(target(replicas=2.0)),
        DEFAULT,
        False,
    ),
    "a boolean is not a number": (
        target(paused=True),
        server(target(paused=1)),
        server(target(paused=True)),
        DEFAULT,
        True,
    ),
}


@pytest.mark.parametrize(
    ("tgt", "live", "predicted", "rules", "modified"), CASES.values(), ids=CASES.keys()
)
def test_modified_like_argo_server_side_diff(
    tgt: Any, live: Any, predicted: Any, rules: IgnoreRules, modified: bool
) -> None:
    frozen = copy.deepcopy((tgt, live, predicted))
    result = compare.compare_pair(tgt, live, predicted, rules)
    assert result.modified is modified
    assert (tgt, live, predicted) == frozen


def test_sides_of_create_and_delete() -> None:
    created = compare.compare_pair(target(), None, None, DEFAULT)
    assert created.normalized_live is None and created.predicted_live == target()
    deleted = compare.compare_pair(None, LIVE, None, DEFAULT)
    assert deleted.predicted_live is None
    assert deleted.normalized_live is not None
    assert "status" not in deleted.normalized_live
    assert "managedFields" not in deleted.normalized_live["metadata"]


def test_both_sides_need_a_prediction() -> None:
    with pytest.raises(ValueError, match="dry-run prediction"):
        compare.compare_pair(target(), LIVE, None, DEFAULT)


def test_secret_string_data_compares_equal_to_its_data() -> None:
    manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "stringData": {"a": "b"},
    }
    stored = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "uid": "u"},
        "data": {"a": "Yg=="},
    }
    assert not compare.compare_pair(manifest, stored, stored, DEFAULT).modified
    assert not compare.compare_pair(
        manifest, stored, manifest | {"metadata": stored["metadata"]}, DEFAULT
    ).modified


def test_tracking_method_migration_is_not_a_difference() -> None:
    label = "app.kubernetes.io/instance"
    old = {**LIVE, "metadata": {**LIVE["metadata"], "labels": {label: "app"}, "annotations": {}}}
    result = compare.compare_pair(
        target(),
        old,
        LIVE,
        DEFAULT,
        options=compare.CompareOptions(tracking_method=TrackingMethod.ANNOTATION),
    )
    assert not result.modified


def test_managed_fields_managers_hide_their_fields() -> None:
    owned = {
        **LIVE,
        "metadata": {
            **LIVE["metadata"],
            "managedFields": [
                {
                    "manager": "hpa",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:replicas": {}}},
                }
            ],
        },
        "spec": {**LIVE["spec"], "replicas": 7},
    }
    rules = IgnoreRules(
        [
            IgnoreRule(group="apps", kind="Deployment", managed_fields_managers=("hpa",)),
            *DEFAULT.rules,
        ]
    )
    predicted = {**owned, "spec": {**owned["spec"], "replicas": 2}}
    assert compare.compare_pair(target(), owned, predicted, DEFAULT).modified
    assert not compare.compare_pair(target(), owned, predicted, rules).modified


def test_jq_rules_apply_to_both_sides(jq_runner: jqpaths.JqRunner) -> None:
    rules = IgnoreRules(
        [
            IgnoreRule(group="apps", kind="*", jq_path_expressions=(".spec.replicas",)),
            *DEFAULT.rules,
        ]
    )
    predicted = server(target(replicas=3))
    assert not compare.compare_pair(
        target(replicas=3), LIVE, predicted, rules, jq=jq_runner
    ).modified


def test_failed_jq_rules_are_reported_not_raised(jq_runner: jqpaths.JqRunner) -> None:
    rules = IgnoreRules(
        [
            IgnoreRule(group="apps", kind="*", jq_path_expressions=(".spec.replicas[]",)),
            *DEFAULT.rules,
        ]
    )
    result = compare.compare_pair(
        target(replicas=3), LIVE, server(target(replicas=3)), rules, jq=jq_runner
    )
    assert result.modified
    assert len(result.failures) == 2 and "Cannot iterate over number" in result.failures[0]


def test_diff_text_is_a_unified_yaml_diff() -> None:
    result = compare.compare_pair(target(replicas=3), LIVE, server(target(replicas=3)), DEFAULT)
    text = result.text("apps/Deployment/prod/web")
    assert text.startswith(
        "--- live/apps/Deployment/prod/web\n+++ target/apps/Deployment/prod/web\n"
    )
    assert "-  replicas: 2\n" in text and "+  replicas: 3\n" in text
    assert compare.compare_pair(target(), LIVE, LIVE, DEFAULT).text("k") == ""


def test_unchanged_objects_are_not_copied_deeply() -> None:
    result = compare.compare_pair(target(), LIVE, LIVE, DEFAULT)
    assert result.normalized_live is not None
    assert result.normalized_live["spec"] is LIVE["spec"]
